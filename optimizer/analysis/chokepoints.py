"""Chokepoints: which single mine, plant, link or region's processing would hurt most if it failed.

N-1 analysis on one live model (:class:`~optimizer.study.Study`): every element that carries flow in
the optimum — a process in a region, a trade link, a region's whole processing (every process of
the region that has inputs) — is cut in turn (in one period, or in all), the model re-solved in
place, and the elements ranked by the increase in total cost and in unmet demand.

A model with lumpy builds is screened on its LP relaxation (``exact=False``, the default): the
ranking is what matters, and it costs one LP re-solve per element instead of one MIP. Calibration
floors (processes.csv ``min_activity``) are released in the optimum and in every cut: they hold a base
year to what plants did, and a failed mine upstream of a floored separator would otherwise make every
such cut infeasible, which says nothing about the chain.

The networkx view: for each main demand, the smallest set of plants and links outside the demand's
region that every tonne of its supply passes through (a minimum node cut between the sources and
the demand in the graph of the optimum's flows): single points of failure upstream of the region.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import networkx as nx
import numpy as np
import pandas as pd

from optimizer.analysis.routes import flow_graph
from optimizer.instance.chain import source_processes
from optimizer.model import Model
from optimizer.model.cut import cut_columns
from optimizer.solution import Solution

Progress = Callable[[int, int], None]


def elements(optimum: Solution, period: int | None = None) -> list[tuple[str, str, dict]]:
    """(kind, name, selector) of every element that carries flow in the optimum."""
    activity = optimum["activity"]
    trade = optimum["trade"]
    if period is not None:
        activity, trade = activity[activity["period"] == period], trade[trade["period"] == period]
    active = activity[activity["activity"] > 1e-9][["process", "region"]].drop_duplicates()
    sources = set(source_processes(optimum.instance)["process"])
    found = [
        ("mine" if p in sources else "plant", f"{p} in {r}", {"process": p, "region": r})
        for p, r in active.itertuples(index=False)
    ]
    links = trade[["commodity", "origin", "destination"]].drop_duplicates()
    found += [
        ("link", f"{c} {o}->{d}", {"commodity": c, "origin": o, "destination": d})
        for c, o, d in links.itertuples(index=False)
    ]
    processing = active[~active["process"].isin(sources)]["region"].drop_duplicates()
    found += [("region processing", f"all processing in {r}", {"region": r, "processing": True}) for r in processing]
    return found


def cut_for(selector: dict, period: int | None) -> Callable[[Model], Model]:
    """The model transformation that removes one element (in one period or all)."""

    def cut(model: Model) -> Model:
        data, lp = model.data, model.lp
        chosen = []
        if "commodity" in selector:
            family = lp.columns["trade"]
            index = family.index
            hit = (
                (index["c"].to_numpy() == data.commodities.get_loc(selector["commodity"]))
                & (index["o"].to_numpy() == data.regions.get_loc(selector["origin"]))
                & (index["d"].to_numpy() == data.regions.get_loc(selector["destination"]))
            )
            chosen.append((family, hit))
        else:
            region = data.regions.get_loc(selector["region"])
            if selector.get("processing"):
                fed = set(data.recipe.loc[data.recipe["coefficient"] < 0, "p"])
                processes = np.array(sorted(fed))
            else:
                processes = np.array([data.process_names.get_loc(selector["process"])])
            for name in ("activity", "build"):
                family = lp.columns[name]
                hit = (family.index["r"].to_numpy() == region) & np.isin(family.index["p"].to_numpy(), processes)
                chosen.append((family, hit))
        columns = []
        for family, hit in chosen:
            if period is not None:
                hit = hit & (data.periods[family.index["t"].to_numpy()] == period)
            columns.append(family.ids[hit])
        return cut_columns(model, np.concatenate(columns))

    return cut


def relaxed(model: Model) -> Model:
    """The LP relaxation: lumpy builds become continuous."""
    return dataclasses.replace(model, lp=dataclasses.replace(model.lp, integer=np.zeros(model.lp.n_cols, dtype=bool)))


def chokepoint_table(
    study,
    optimum: Solution,
    period: int | None = None,
    progress: Progress | None = None,
    prepare: Callable[[Model], Model] | None = None,
) -> pd.DataFrame:
    """Every flow-carrying element cut in turn, ranked: cuts that leave the model infeasible first, then
    by cost increase (then unmet demand). ``prepare`` is what ``optimum`` was solved with (relaxation,
    floors released), applied before each cut so that every cut is compared with the same program."""
    found = elements(optimum, period)
    rows = []
    for position, (kind, name, selector) in enumerate(found):
        if progress:
            progress(position, len(found))
        cut = cut_for(selector, period)
        restrict = cut if prepare is None else (lambda model, cut=cut: cut(prepare(model)))
        cut = study.solve(accounts=False, restrict=restrict)
        rows.append(
            {
                "kind": kind,
                "element": name,
                "status": cut.status,
                "cost_increase": (cut.objective - optimum.objective) if cut.objective is not None else np.nan,
                "unmet_increase": ((cut.summary["unmet_demand"] or 0.0) - (optimum.summary["unmet_demand"] or 0.0))
                if cut.tables
                else np.nan,
            }
        )
    table = pd.DataFrame(rows, columns=["kind", "element", "status", "cost_increase", "unmet_increase"])
    severity = table["cost_increase"].fillna(np.inf)  # no solution at all is the worst outcome
    table = (
        table.assign(_severity=severity)
        .sort_values(["_severity", "unmet_increase"], ascending=False, kind="stable")
        .drop(columns="_severity")
    )
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    return table.reset_index(drop=True)


def min_cuts(optimum: Solution, period: int | None = None, demands: int = 5) -> pd.DataFrame:
    """For the largest deliveries, the fewest plants and links outside the demand's region that all of
    its supply passes through (a minimum node cut; trade links count as nodes too)."""
    period = period if period is not None else optimum.instance.periods[-1]
    graph = flow_graph(optimum, period)
    delivered = optimum["delivered"]
    delivered = delivered[(delivered["period"] == period) & (delivered["delivered"] > 1e-9)]
    rows = []
    for row in delivered.nlargest(demands, "delivered").itertuples(index=False):
        cut = _outside_cut(graph, row.region, f"{row.commodity}@{row.region}")
        rows.append(
            {
                "demand": f"{row.commodity}@{row.region}",
                "period": period,
                "cut_size": len(cut) if cut is not None else 0,
                "cut": "supplied from within the region" if cut is None else "; ".join(sorted(cut)),
            }
        )
    return pd.DataFrame(rows, columns=["demand", "period", "cut_size", "cut"])


def _outside_cut(graph: nx.DiGraph, region: str, target: str) -> set[str] | None:
    """Minimum node cut between all sources and ``target`` with the target's region merged into it."""
    if target not in graph:
        return set()
    merged = nx.DiGraph()
    inside = {n for n, d in graph.nodes(data=True) if d.get("region") == region}
    upstream = nx.ancestors(graph, target) | {target}
    for u, v in graph.subgraph(upstream).edges():
        if u in inside and v in inside:
            continue
        merged.add_edge(u, "TARGET" if v in inside else v, link=graph.nodes[u].get("kind") == "commodity")
    for node in upstream:
        if graph.nodes[node].get("source"):
            merged.add_edge("SOURCES", "TARGET" if node in inside else node)
    if "TARGET" not in merged or merged.has_edge("SOURCES", "TARGET"):
        return None
    # a trade edge between two commodity nodes becomes a node of its own, so a link can be cut as well
    split = nx.DiGraph()
    for u, v, data in merged.edges(data=True):
        if data.get("link") and graph.nodes.get(v, {}).get("kind") == "commodity":
            link = f"{u} > {v}"
            split.add_edge(u, link)
            split.add_edge(link, v)
        else:
            split.add_edge(u, v)
    return set(nx.minimum_node_cut(split, "SOURCES", "TARGET"))
