"""Supply routes: the chains of mines, plants and links that feed a commodity into a region.

The flow decomposition of an optimum for one period: a networkx graph of the period's flows
(commodity nodes ``name@REGION``, process nodes ``process@REGION``), every simple path from a
source (a mine, a scrap collection) to the target node, and for each path

* ``tonnes``: the target's supply times, at every node on the way, the share of that node's
  inflow that comes from the previous node (proportional mixing, as in sourcing);
* ``cost_per_tonne``: the full cost of a tonne delivered entirely along this route: each process's
  own costs per tonne of its rare-earth output plus its inputs (joint costs allocated by mass: the
  inputs a process needs per tonne of output are all charged to the route followed), transport and
  tariffs per tonne arrived, transit losses scaling what must be shipped.

Routes are ranked cheapest first; the tonnes say how much of the supply actually takes each.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd

from optimizer.analysis.flows import ZERO, process_flows
from optimizer.instance.chain import bears_rare_earth, source_processes
from optimizer.solution import Solution

ROUTE_COLUMNS = ["rank", "route", "regions", "tonnes", "cost_per_tonne"]
MIN_SHARE = 1e-6  # inflows below this share of a node are left out of the decomposition


def flow_graph(solution: Solution, period: int) -> nx.DiGraph:
    """The rare-earth flows of one period; node attribute ``cost`` = own cost per tonne of output."""
    instance = solution.instance
    flows = process_flows(solution)
    flows = flows[(flows["period"] == period) & flows["rare_earth"]]
    ledger = solution["costs"]
    own = (
        ledger[(ledger["period"] == period) & ledger["process"].notna() & (ledger["source"] != "build")]
        .groupby(["process", "region"])["amount"]
        .sum()
    )
    capex = (
        ledger[(ledger["period"] == period) & (ledger["source"] == "build")]
        .groupby(["process", "region"])["amount"]
        .sum()
    )
    own = own.add(capex, fill_value=0.0)
    sources = set(source_processes(instance)["process"])
    graph = nx.DiGraph()
    outputs = flows[flows["direction"] == "out"]
    out_mass = outputs.groupby(["process", "region"])["tonnes"].sum()
    in_mass = flows[flows["direction"] == "in"].groupby(["process", "region"])["tonnes"].sum()
    for (process, region), mass in out_mass.items():
        graph.add_node(
            f"{process}@{region}",
            kind="process",
            region=region,
            source=process in sources,
            cost=own.get((process, region), 0.0) / mass,
            inputs_per_output=in_mass.get((process, region), 0.0) / mass,
        )
    for row in flows.itertuples(index=False):
        node = f"{row.commodity}@{row.region}"
        if node not in graph:
            graph.add_node(node, kind="commodity", region=row.region, cost=0.0)
        process = f"{row.process}@{row.region}"
        if row.direction == "out":
            graph.add_edge(process, node, tonnes=row.tonnes, kind="output")
        else:
            graph.add_edge(node, process, tonnes=row.tonnes, kind="input")
    trade = solution["trade"]
    trade = trade[(trade["period"] == period) & bears_rare_earth(instance, trade["commodity"])]
    for row in trade.itertuples(index=False):
        origin, destination = f"{row.commodity}@{row.origin}", f"{row.commodity}@{row.destination}"
        for node, region in ((origin, row.origin), (destination, row.destination)):
            if node not in graph:
                graph.add_node(node, kind="commodity", region=region, cost=0.0)
        graph.add_edge(
            origin,
            destination,
            tonnes=row.arrived,
            kind="trade",
            shipped=row.shipped,
            transport=row.cost / row.shipped if row.shipped > ZERO else 0.0,
        )
    return graph


def supply_routes(
    solution: Solution, commodity: str, region: str, period: int | None = None, k: int = 10
) -> pd.DataFrame:
    """The routes feeding ``commodity`` into ``region`` in ``period`` (default: the last), cheapest first."""
    period = period if period is not None else solution.instance.periods[-1]
    graph = flow_graph(solution, period)
    target = f"{commodity}@{region}"
    if target not in graph:
        return pd.DataFrame(columns=ROUTE_COLUMNS)
    inflow = {node: sum(d["tonnes"] for _, _, d in graph.in_edges(node, data=True)) for node in graph}
    # keep only edges carrying a visible share of their head's inflow, then look only upstream of the target
    kept = nx.DiGraph()
    kept.add_nodes_from(graph.nodes(data=True))
    kept.add_edges_from(
        (u, v, d) for u, v, d in graph.edges(data=True) if inflow[v] > ZERO and d["tonnes"] / inflow[v] >= MIN_SHARE
    )
    upstream = kept.subgraph(nx.ancestors(kept, target) | {target})
    sources = {n for n, d in upstream.nodes(data=True) if d.get("source")}
    rows = []
    for backwards in nx.all_simple_paths(upstream.reverse(copy=False), target, sources):
        path = backwards[::-1]
        share = np.prod([kept.edges[u, v]["tonnes"] / inflow[v] for u, v in zip(path, path[1:], strict=False)])
        rows.append(
            {
                "route": " > ".join(path),
                "regions": ";".join(dict.fromkeys(kept.nodes[n]["region"] for n in path)),
                "tonnes": inflow[target] * share,
                "cost_per_tonne": _route_cost(kept, path),
            }
        )
    if not rows:
        return pd.DataFrame(columns=ROUTE_COLUMNS)
    table = pd.DataFrame(rows).sort_values(["cost_per_tonne", "tonnes"], ascending=[True, False]).head(k)
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    return table[ROUTE_COLUMNS].reset_index(drop=True)


def _route_cost(graph: nx.DiGraph, path: list[str]) -> float:
    """Cost of a tonne at the end of ``path`` if everything came along it (walked from the source)."""
    cost = 0.0
    for position, node in enumerate(path):
        data = graph.nodes[node]
        if data["kind"] == "process":
            cost = data["cost"] + data["inputs_per_output"] * cost
        elif position and graph.nodes[path[position - 1]]["kind"] == "commodity":  # arrived by trade
            edge = graph.edges[path[position - 1], node]
            loss = edge["shipped"] / edge["tonnes"] if edge["tonnes"] > ZERO else 1.0
            cost = (cost + edge["transport"]) * loss
    return float(cost)


def average_cost(routes: pd.DataFrame) -> float | None:
    """Tonnes-weighted cost per tonne over the routes listed."""
    tonnes = routes["tonnes"].sum()
    return float((routes["tonnes"] * routes["cost_per_tonne"]).sum() / tonnes) if tonnes > 0 else None
