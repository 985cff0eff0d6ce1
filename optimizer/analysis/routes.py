"""Supply routes: the chains of mines, plants and links that feed a commodity into a region.

The flow decomposition of an optimum for one period: a networkx graph of the period's flows
(commodity nodes ``name@REGION``, process nodes ``process@REGION``), every simple path from a
source (a mine, a scrap collection) to the target node, and for each path

* ``tonnes``: the target's supply times, at every node on the way, the share of that node's
  inflow that comes from the previous node (proportional mixing, as in sourcing);
* ``cost_per_tonne``: the full cost of a tonne delivered entirely along this route. A process's
  joint cost (its own costs plus its inputs, as if all came along the route) is shared among its
  rare-earth outputs **by value at marginal values**: the output the route follows carries
  ``q·v / Σ q_i·v_i`` of it (negative values count as zero: a co-product that must be disposed of
  carries no joint cost), so a tonne of terbium does not carry what a tonne of cerium does. Where
  no output has a positive value, by mass. Transport and tariffs are per tonne arrived, transit
  losses scaling what must be shipped;
* ``price_per_tonne``: the marginal value of the commodity at the delivery (what one more tonne
  there is worth), so a route's margin is ``price_per_tonne - cost_per_tonne``.

With ``clean=True`` the graph is the class-resolved one (FORMULATION.md E3, see
:mod:`optimizer.analysis.content_sourcing`) and the routes lead to the *clean* part of the target:
they pass through clean material only, and the price is the clean marginal value.

Routes are ranked cheapest first; the tonnes say how much of the supply actually takes each.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd

from optimizer.analysis.content_sourcing import SEP, class_resolved, labelled, unlabelled
from optimizer.analysis.flows import ZERO, process_flows
from optimizer.instance.chain import bears_rare_earth, source_processes
from optimizer.solution import Solution

ROUTE_COLUMNS = ["rank", "route", "regions", "tonnes", "cost_per_tonne", "price_per_tonne"]
MIN_SHARE = 1e-6  # inflows below this share of a node are left out of the decomposition


def _marginal_values(solution: Solution, period: int) -> dict[tuple[str, str], float]:
    """(commodity, region) → marginal value; with classes also (commodity, labelled region) per class."""
    balance = solution["balance"]
    balance = balance[balance["period"] == period]
    values = dict(
        zip(zip(balance["commodity"], balance["region"], strict=True), balance["marginal_value"], strict=True)
    )
    for k in ("clean", "tracked"):
        column = f"marginal_value_{k}"
        if column in balance:
            known = balance[balance[column].notna()]
            regions = labelled(known["region"], k)
            values.update(zip(zip(known["commodity"], regions, strict=True), known[column], strict=True))
    return values


def flow_graph(solution: Solution, period: int, clean: bool = False) -> nx.DiGraph:
    """The rare-earth flows of one period (by class when ``clean``). Process nodes carry ``own`` (their
    costs in the period), ``inputs`` (rare-earth input tonnes) and ``allocation`` (per output node: the
    share of the joint cost one tonne of it carries, by value at marginal values)."""
    instance = solution.instance
    flows = process_flows(solution)
    flows = flows[(flows["period"] == period) & flows["rare_earth"]]
    trade = solution["trade"]
    trade = trade[(trade["period"] == period) & bears_rare_earth(instance, trade["commodity"])]
    ledger = solution["costs"]
    ledger = ledger[(ledger["period"] == period) & ledger["process"].notna()]
    own = ledger.groupby(["process", "region"])["amount"].sum()
    out_mass = flows[flows["direction"] == "out"].groupby(["process", "region"])["tonnes"].sum()
    rate = (own / out_mass).dropna()  # own cost per tonne of rare-earth output, per class alike
    if clean:
        balance = solution["balance"]
        balance = balance[(balance["period"] == period) & bears_rare_earth(instance, balance["commodity"])]
        delivered = solution["delivered"]
        delivered = delivered[(delivered["period"] == period) & bears_rare_earth(instance, delivered["commodity"])]
        flows, trade, _, _ = class_resolved(solution, flows, trade, balance, delivered)
    values = _marginal_values(solution, period)
    sources = set(source_processes(instance)["process"])
    graph = nx.DiGraph()
    outputs = flows[flows["direction"] == "out"]
    in_mass = flows[flows["direction"] == "in"].groupby(["process", "region"])["tonnes"].sum()
    for (process, region), group in outputs.groupby(["process", "region"]):
        mass = group["tonnes"].sum()
        if mass <= ZERO:
            continue
        worth = np.array([max(values.get((c, region), 0.0), 0.0) for c in group["commodity"]]) * group["tonnes"]
        total = worth.sum()
        share = worth / total / group["tonnes"] if total > ZERO else np.full(len(group), 1.0 / mass)
        plain, _ = unlabelled([region]) if clean else ([region], None)
        graph.add_node(
            f"{process}@{region}",
            kind="process",
            region=region,
            source=process in sources,
            own=rate.get((process, plain[0]), 0.0) * mass,
            inputs=in_mass.get((process, region), 0.0),
            allocation={f"{c}@{region}": a for c, a in zip(group["commodity"], np.asarray(share), strict=True)},
        )
    for row in flows.itertuples(index=False):
        node = f"{row.commodity}@{row.region}"
        if node not in graph:
            graph.add_node(node, kind="commodity", region=row.region)
        process = f"{row.process}@{row.region}"
        if process not in graph:
            graph.add_node(
                process,
                kind="process",
                region=row.region,
                source=row.process in sources,
                own=0.0,
                inputs=0.0,
                allocation={},
            )
        if row.direction == "out":
            graph.add_edge(process, node, tonnes=row.tonnes, kind="output")
        else:
            graph.add_edge(node, process, tonnes=row.tonnes, kind="input")
    for row in trade.itertuples(index=False):
        origin, destination = f"{row.commodity}@{row.origin}", f"{row.commodity}@{row.destination}"
        for node, region in ((origin, row.origin), (destination, row.destination)):
            if node not in graph:
                graph.add_node(node, kind="commodity", region=region)
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
    solution: Solution, commodity: str, region: str, period: int | None = None, k: int = 10, clean: bool = False
) -> pd.DataFrame:
    """The routes feeding ``commodity`` into ``region`` in ``period`` (default: the last), cheapest first;
    with ``clean``, the routes of its clean part (needs a solution with content classes)."""
    period = period if period is not None else solution.instance.periods[-1]
    graph = flow_graph(solution, period, clean=clean)
    place = labelled(pd.Series([region]), "clean")[0] if clean else region
    target = f"{commodity}@{place}"
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
    price = _marginal_values(solution, period).get((commodity, place), np.nan)
    rows = []
    for backwards in nx.all_simple_paths(upstream.reverse(copy=False), target, sources):
        path = backwards[::-1]
        share = np.prod([kept.edges[u, v]["tonnes"] / inflow[v] for u, v in zip(path, path[1:], strict=False)])
        names = _plain(path) if clean else path
        rows.append(
            {
                "route": " > ".join(dict.fromkeys(names)),  # a downgrade (clean used as tracked) is no step
                "regions": ";".join(dict.fromkeys(name.split("@")[1] for name in names)),
                "tonnes": inflow[target] * share,
                "cost_per_tonne": _route_cost(kept, path),
                "price_per_tonne": price,
            }
        )
    if not rows:
        return pd.DataFrame(columns=ROUTE_COLUMNS)
    table = pd.DataFrame(rows).sort_values(["cost_per_tonne", "tonnes"], ascending=[True, False]).head(k)
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    return table[ROUTE_COLUMNS].reset_index(drop=True)


def _plain(path: list[str]) -> list[str]:
    return [name.split(SEP)[0] for name in path]


def _route_cost(graph: nx.DiGraph, path: list[str]) -> float:
    """Cost of a tonne at the end of ``path`` if everything came along it (walked from the source)."""
    cost = 0.0
    for position, node in enumerate(path):
        data = graph.nodes[node]
        if data["kind"] == "process":
            per_tonne = data["allocation"].get(path[position + 1], 0.0)
            cost = (data["own"] + data["inputs"] * cost) * per_tonne
        elif position and graph.nodes[path[position - 1]]["kind"] == "commodity":  # arrived by trade
            edge = graph.edges[path[position - 1], node]
            loss = edge["shipped"] / edge["tonnes"] if edge["tonnes"] > ZERO else 1.0
            cost = (cost + edge["transport"]) * loss
    return float(cost)


def average_cost(routes: pd.DataFrame) -> float | None:
    """Tonnes-weighted cost per tonne over the routes listed."""
    tonnes = routes["tonnes"].sum()
    return float((routes["tonnes"] * routes["cost_per_tonne"]).sum() / tonnes) if tonnes > 0 else None
