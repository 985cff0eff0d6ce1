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


def network(instance, scenario=None) -> nx.DiGraph:
    """The chain of an instance (name, folder or loaded :class:`Instance`) under a scenario.

    Both engines build their model from this graph and nothing else (docs/network.md).

    >>> graph = network("toy")
    >>> graph.has_edge(("commodity", "SOUTH", "NdPr_oxide"), ("commodity", "EAST", "NdPr_oxide"))
    True
    """
    from optimizer.instance import load_instance
    from optimizer.scenario import apply_scenario

    if not isinstance(instance, Instance):
        instance = load_instance(instance)
    if scenario is not None:
        instance = apply_scenario(instance, scenario)
    return build_network(instance)


def build_network(instance: Instance) -> nx.DiGraph:
    """The instance's chain as a directed graph (union over periods).

    Every deployed process and every declared trade link is present; those that can never carry
    flow (capacity 0 in every period and no build) have ``open=False``, so that a scenario
    re-opening them keeps the model's shape. The checks read the open part (:func:`open_chain`).

    >>> from optimizer.instance import load_instance
    >>> graph = build_network(load_instance("toy"))
    >>> sorted(graph.successors(("process", "SOUTH", "separation_heavy")))[:2]
    [('commodity', 'SOUTH', 'CeO2'), ('commodity', 'SOUTH', 'Dy2O3')]
    """
    t = instance.tables
    graph = nx.DiGraph(name=instance.name, instance=instance, scenario=instance.scenario)
    commodities = t["commodities"]
    stage = dict(zip(commodities["commodity"], commodities["stage"], strict=False))

    def add_commodities(regions, names) -> None:
        graph.add_nodes_from(
            (commodity_node(r, c), {"kind": "commodity", "region": r, "commodity": c, "stage": stage.get(c)})
            for r, c in zip(regions, names, strict=True)
            if commodity_node(r, c) not in graph
        )

    processes = _deployed_processes(instance.expanded("processes"))
    recipe = t["process_io"][["process", "commodity", "direction", "coefficient"]]
    flows = processes.merge(recipe, on="process")
    add_commodities(flows["region"].tolist(), flows["commodity"].tolist())
    graph.add_nodes_from(
        (process_node(r, p), {"kind": "process", "region": r, "process": p, "open": bool(runnable)})
        for r, p, runnable in zip(
            processes["region"].tolist(), processes["process"].tolist(), processes["open"].tolist(), strict=True
        )
    )
    for r, p, c, direction, a in zip(
        flows["region"].tolist(),
        flows["process"].tolist(),
        flows["commodity"].tolist(),
        flows["direction"].tolist(),
        flows["coefficient"].tolist(),
        strict=True,
    ):
        if direction == "in":
            graph.add_edge(commodity_node(r, c), process_node(r, p), kind="input", coefficient=a)
        else:
            graph.add_edge(process_node(r, p), commodity_node(r, c), kind="output", coefficient=a)

    trade = instance.expanded("trade")
    links = (
        trade.assign(open=trade["capacity"].isna() | (trade["capacity"] > 0))
        .groupby(["commodity", "origin", "destination"], sort=False)
        .agg(cost=("cost", "min"), loss=("loss", "min"), open=("open", "any"))
        .reset_index()
    )
    add_commodities(links["origin"].tolist(), links["commodity"].tolist())
    add_commodities(links["destination"].tolist(), links["commodity"].tolist())
    graph.add_edges_from(
        (commodity_node(o, c), commodity_node(d, c), {"kind": "trade", "cost": cost, "loss": loss, "open": is_open})
        for c, o, d, cost, loss, is_open in zip(
            links["commodity"].tolist(),
            links["origin"].tolist(),
            links["destination"].tolist(),
            links["cost"].tolist(),
            links["loss"].tolist(),
            links["open"].tolist(),
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


def open_chain(graph: nx.DiGraph) -> nx.DiGraph:
    """The part of the chain that can carry flow: closed processes and links left out (a view)."""
    return nx.subgraph_view(
        graph,
        filter_node=lambda node: graph.nodes[node].get("open", True),
        filter_edge=lambda u, v: graph.edges[u, v].get("open", True),
    )


def deployed(graph: nx.DiGraph) -> pd.DataFrame:
    """The (process, region) pairs of the graph's process nodes, in the graph's order."""
    pairs = [(d["process"], d["region"]) for _, d in graph.nodes(data=True) if d.get("kind") == "process"]
    return pd.DataFrame(pairs, columns=["process", "region"])


def trade_links(graph: nx.DiGraph) -> pd.DataFrame:
    """The (commodity, origin, destination) links of the graph's trade edges."""
    links = [
        (graph.nodes[u]["commodity"], graph.nodes[u]["region"], graph.nodes[v]["region"])
        for u, v, kind in graph.edges(data="kind")
        if kind == "trade"
    ]
    return pd.DataFrame(links, columns=["commodity", "origin", "destination"])


def _deployed_processes(frame: pd.DataFrame) -> pd.DataFrame:
    """(process, region) pairs, each with ``open``: capacity or a build in at least one period."""
    runnable = frame["capacity"].isna() | (frame["capacity"] > 0) | (build_limit(frame) > 0)
    return (
        frame[["process", "region"]]
        .assign(open=runnable.to_numpy())
        .groupby(["process", "region"], sort=False)["open"]
        .any()
        .reset_index()
    )


def check_network(graph: nx.DiGraph, instance: Instance) -> NetworkReport:
    """Demands that no source reaches, and processes with an input that never arrives."""
    chain = open_chain(graph)
    reached = nx.descendants(chain, SOURCE) | {SOURCE}
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
            for node, data in chain.nodes(data=True)
            if data.get("kind") == "process" and any(pred not in reached for pred in chain.predecessors(node))
        }
    )
    return NetworkReport(unreachable_demands=tuple(unreachable), idle_processes=tuple(idle))
