"""The chain as a networkx graph, and the checks that run on it before any solve.

Nodes are ``("commodity", region, commodity)`` and ``("process", region, process)``; edges go from
an input commodity to a process (``kind="input"``), from a process to an output commodity
(``kind="output"``), and from a commodity in one region to the same commodity in another
(``kind="trade"``). Attributes carry recipe coefficients, costs and capacities. Links and
processes that are banned in every period (capacity 0 and no build) are left out, so reachability
in the graph is reachability in the model.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import pandas as pd

from optimizer.instance import Instance
from optimizer.instance.expand import build_limit

SOURCE = ("source",)


@dataclass(frozen=True)
class NetworkReport:
    """What the graph says before solving: demands no source can reach, processes that cannot run."""

    unreachable_demands: tuple[tuple[str, str], ...]
    idle_processes: tuple[tuple[str, str], ...]

    def messages(self) -> list[str]:
        lines = [
            f"demand for {c} in {r} cannot be reached from any mine, recycling source or stock"
            for r, c in self.unreachable_demands
        ]
        lines += [f"process {p} in {r} can never run: some input never reaches {r}" for r, p in self.idle_processes]
        return lines


def commodity_node(region: str, commodity: str) -> tuple[str, str, str]:
    return ("commodity", region, commodity)


def process_node(region: str, process: str) -> tuple[str, str, str]:
    return ("process", region, process)


def build_network(instance: Instance) -> nx.DiGraph:
    """The instance's chain as a directed graph (union over periods).

    >>> from optimizer.instance import load_instance
    >>> graph = build_network(load_instance("toy"))
    >>> sorted(graph.successors(("process", "SOUTH", "separation_heavy")))[:2]
    [('commodity', 'SOUTH', 'CeO2'), ('commodity', 'SOUTH', 'Dy2O3')]
    """
    t = instance.tables
    graph = nx.DiGraph(name=instance.name)
    commodities = t["commodities"]
    stage = dict(zip(commodities["commodity"], commodities["stage"], strict=False))

    processes = _runnable_processes(instance.expanded("processes"))
    recipe = t["process_io"][["process", "commodity", "direction", "coefficient"]]
    flows = processes.merge(recipe, on="process")
    inputs = flows[flows["direction"] == "in"]
    outputs = flows[flows["direction"] == "out"]
    for frame in (inputs, outputs):
        graph.add_nodes_from(
            (commodity_node(r, c), {"kind": "commodity", "region": r, "commodity": c, "stage": stage.get(c)})
            for r, c in zip(frame["region"].tolist(), frame["commodity"].tolist(), strict=True)
        )
    graph.add_nodes_from(
        (process_node(r, p), {"kind": "process", "region": r, "process": p})
        for r, p in zip(processes["region"].tolist(), processes["process"].tolist(), strict=True)
    )
    graph.add_edges_from(
        (commodity_node(r, c), process_node(r, p), {"kind": "input", "coefficient": a})
        for r, p, c, a in zip(
            inputs["region"].tolist(),
            inputs["process"].tolist(),
            inputs["commodity"].tolist(),
            inputs["coefficient"].tolist(),
            strict=True,
        )
    )
    graph.add_edges_from(
        (process_node(r, p), commodity_node(r, c), {"kind": "output", "coefficient": a})
        for r, p, c, a in zip(
            outputs["region"].tolist(),
            outputs["process"].tolist(),
            outputs["commodity"].tolist(),
            outputs["coefficient"].tolist(),
            strict=True,
        )
    )

    trade = instance.expanded("trade")
    open_links = (
        trade[trade["capacity"].isna() | (trade["capacity"] > 0)]
        .groupby(["commodity", "origin", "destination"], sort=False)
        .agg(cost=("cost", "min"), loss=("loss", "min"))
        .reset_index()
    )
    for region_column in ("origin", "destination"):
        graph.add_nodes_from(
            (commodity_node(r, c), {"kind": "commodity", "region": r, "commodity": c, "stage": stage.get(c)})
            for r, c in zip(open_links[region_column].tolist(), open_links["commodity"].tolist(), strict=True)
            if commodity_node(r, c) not in graph
        )
    graph.add_edges_from(
        (commodity_node(o, c), commodity_node(d, c), {"kind": "trade", "cost": cost, "loss": loss})
        for c, o, d, cost, loss in zip(
            open_links["commodity"].tolist(),
            open_links["origin"].tolist(),
            open_links["destination"].tolist(),
            open_links["cost"].tolist(),
            open_links["loss"].tolist(),
            strict=True,
        )
    )

    sources = set(recipe["process"]) - set(recipe.loc[recipe["direction"] == "in", "process"])
    graph.add_node(SOURCE, kind="source")
    graph.add_edges_from(
        (SOURCE, process_node(r, p), {"kind": "source"})
        for r, p in zip(processes["region"].tolist(), processes["process"].tolist(), strict=True)
        if p in sources
    )
    stocks = t["stocks"]
    stocked = stocks[stocks["initial"] > 0]
    graph.add_edges_from(
        (SOURCE, commodity_node(r, c), {"kind": "stock"})
        for r, c in zip(stocked["region"].tolist(), stocked["commodity"].tolist(), strict=True)
    )
    return graph


def _runnable_processes(frame: pd.DataFrame) -> pd.DataFrame:
    """(process, region) pairs with capacity or a build in at least one period."""
    runnable = frame["capacity"].isna() | (frame["capacity"] > 0) | (build_limit(frame) > 0)
    return frame.loc[runnable, ["process", "region"]].drop_duplicates()


def check_network(graph: nx.DiGraph, instance: Instance) -> NetworkReport:
    """Demands that no source reaches, and processes with an input that never arrives."""
    reached = nx.descendants(graph, SOURCE) | {SOURCE}
    demand = instance.tables["demand"]
    demand = demand[demand["quantity"] > 0]
    unreachable = sorted(
        {
            (r, c)
            for r, c in zip(demand["region"].tolist(), demand["commodity"].tolist(), strict=True)
            if commodity_node(r, c) not in reached
        }
    )
    idle = sorted(
        {
            (data["region"], data["process"])
            for node, data in graph.nodes(data=True)
            if data.get("kind") == "process" and any(pred not in reached for pred in graph.predecessors(node))
        }
    )
    return NetworkReport(unreachable_demands=tuple(unreachable), idle_processes=tuple(idle))
