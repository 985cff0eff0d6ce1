"""Where the rare earths of every delivery come from: the region's own mines, other regions' mines,
recycling or stock, traced back through every process and trade link.

Proportional mixing: a commodity node's outputs carry the origin mix of everything that flows into it
(process outputs, arrivals, stock draws) by mass; a process's outputs carry the mix of its rare-earth
inputs by mass. Writing ``x_n`` for the origin mix of node ``n`` (a row vector over origins):

.. math::  x_n = \\sum_m \\frac{F_{mn}}{\\sum_{m'} F_{m'n}} x_m + b_n

where ``F`` are the flows into ``n`` and ``b_n`` the share fed directly by sources (a mine or a
scrap collection of a region, or the region's stock). This is a sparse linear system
``(I - M) X = B`` per period (all periods at once, as one block-diagonal system), solved by one LU
factorisation with every origin as a right-hand side, not by walking paths.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from optimizer.analysis.content_sourcing import class_resolved, has_classes, unlabelled
from optimizer.analysis.flows import ZERO, NodeIndex, process_flows
from optimizer.instance.chain import bears_rare_earth, source_processes
from optimizer.output.columns import RESULT_COLUMNS
from optimizer.solution import Solution

SOURCING_COLUMNS = RESULT_COLUMNS["sourcing"]
STAGE_COLUMNS = RESULT_COLUMNS["stage_sourcing"]
CLASS_COLUMNS = SOURCING_COLUMNS[:3] + ["content_class"] + SOURCING_COLUMNS[3:]


def sourcing_tables(solution: Solution, stages: bool = True) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """``sourcing`` (per delivered commodity) and ``stage_sourcing`` (per stage's rare-earth feed; None
    when ``stages`` is false: a sweep needs only the first)."""
    instance = solution.instance
    flows = process_flows(solution)
    # A flow below the solution's tolerance (a tiny coefficient times an activity) has no balance row:
    # it is left out here as the balance leaves it out, so every flow's end is a node of the trace.
    flows = flows[flows["rare_earth"] & (flows["tonnes"].abs() > ZERO)]
    sources = source_processes(instance)
    flows = flows.merge(sources, on="process", how="left")
    trade = solution["trade"]
    trade = trade[bears_rare_earth(instance, trade["commodity"])]
    balance = solution["balance"]
    balance = balance[bears_rare_earth(instance, balance["commodity"])]
    delivered = solution["delivered"]
    delivered = delivered[(delivered["delivered"] > ZERO) & bears_rare_earth(instance, delivered["commodity"])]

    classes = has_classes(solution)
    if classes:  # E3: trace the class-resolved network
        flows, trade, balance, delivered = class_resolved(solution, flows, trade, balance, delivered)
    mix = _origin_mix(flows, trade, balance)
    if mix is None:
        return pd.DataFrame(columns=SOURCING_COLUMNS), pd.DataFrame(columns=STAGE_COLUMNS) if stages else None
    nodes, shares, origins = mix
    if classes:
        names, _ = unlabelled(origins.get_level_values(0))
        origins = pd.MultiIndex.from_arrays([names, origins.get_level_values(1)])
    at = nodes.locate("c", delivered["region"], delivered["commodity"], delivered["period"])
    sourcing = _long(delivered[["region", "commodity", "period"]], shares[at], origins, delivered["delivered"])
    if classes:
        sourcing["region"], sourcing["content_class"] = unlabelled(sourcing["region"])
        solution.tables["content_sourcing"] = _finish(
            sourcing.copy(), ["region", "commodity", "period", "content_class"], CLASS_COLUMNS
        )
    sourcing = _finish(sourcing, ["region", "commodity", "period"], SOURCING_COLUMNS)
    if not stages:
        return sourcing, None
    fed = flows[flows["direction"] == "in"]
    feed = fed.groupby(["region", "process", "process_stage", "period"], as_index=False)["tonnes"].sum()
    at = nodes.locate("p", feed["region"], feed["process"], feed["period"])
    feeds = _long(
        feed[["region", "process_stage", "period"]].rename(columns={"process_stage": "stage"}),
        shares[at],
        origins,
        feed["tonnes"],
    )
    if classes:
        feeds["region"], _ = unlabelled(feeds["region"])
    return sourcing, _finish(feeds, ["region", "stage", "period"], STAGE_COLUMNS)


def _origin_mix(flows: pd.DataFrame, trade: pd.DataFrame, balance: pd.DataFrame):
    """Nodes (kind, region, commodity or process, period), their origin shares (rows sum to 1 where
    anything flows in) and the origins (region, kind). Periods do not mix: the system is block-diagonal."""
    outputs = flows[flows["direction"] == "out"]
    inputs = flows[flows["direction"] == "in"]
    from_source = outputs[outputs["source_kind"].notna()]
    from_process = outputs[outputs["source_kind"].isna()]
    draws = balance[balance["stock_change"] < -ZERO]

    ends = ["region", "commodity", "period"]
    commodity_nodes = pd.concat(  # every commodity a flow starts or ends at, whether the balance kept it or not
        [
            balance[ends],
            trade[["origin", "commodity", "period"]].set_axis(ends, axis=1),
            trade[["destination", "commodity", "period"]].set_axis(ends, axis=1),
            outputs[ends],
            inputs[ends],
        ]
    ).drop_duplicates()
    process_nodes = pd.concat(
        [from_process[["region", "process", "period"]], inputs[["region", "process", "period"]]]
    ).drop_duplicates()
    nodes = NodeIndex(
        ("c", commodity_nodes[["region", "commodity", "period"]]), ("p", process_nodes[["region", "process", "period"]])
    )
    origins = pd.MultiIndex.from_frame(
        pd.concat(
            [
                from_source[["region", "source_kind"]].set_axis(["origin_region", "kind"], axis=1),
                draws[["region"]].assign(kind="stock").set_axis(["origin_region", "kind"], axis=1),
            ]
        ).drop_duplicates()
    )
    if len(nodes) == 0 or len(origins) == 0:
        return None

    # flows between nodes (to, from, tonnes) and from origins straight into nodes
    to_m = np.r_[
        nodes.locate("c", from_process["region"], from_process["commodity"], from_process["period"]),
        nodes.locate("c", trade["destination"], trade["commodity"], trade["period"]),
        nodes.locate("p", inputs["region"], inputs["process"], inputs["period"]),
    ]
    from_m = np.r_[
        nodes.locate("p", from_process["region"], from_process["process"], from_process["period"]),
        nodes.locate("c", trade["origin"], trade["commodity"], trade["period"]),
        nodes.locate("c", inputs["region"], inputs["commodity"], inputs["period"]),
    ]
    weight_m = np.r_[from_process["tonnes"].to_numpy(), trade["arrived"].to_numpy(), inputs["tonnes"].to_numpy()]
    to_b = np.r_[
        nodes.locate("c", from_source["region"], from_source["commodity"], from_source["period"]),
        nodes.locate("c", draws["region"], draws["commodity"], draws["period"]),
    ]
    from_b = origins.get_indexer(
        pd.MultiIndex.from_arrays(
            [
                np.r_[from_source["region"].to_numpy(), draws["region"].to_numpy()],
                np.r_[from_source["source_kind"].to_numpy(), np.full(len(draws), "stock")],
            ]
        )
    )
    weight_b = np.r_[from_source["tonnes"].to_numpy(), -draws["stock_change"].to_numpy()]

    n = len(nodes)
    inflow = np.bincount(to_m, weights=weight_m, minlength=n) + np.bincount(to_b, weights=weight_b, minlength=n)
    scale = np.divide(1.0, inflow, out=np.zeros(n), where=inflow > ZERO)
    mixing = sp.csc_array((weight_m * scale[to_m], (to_m, from_m)), shape=(n, n))
    direct = sp.csc_array((weight_b * scale[to_b], (to_b, from_b)), shape=(n, len(origins))).toarray()
    identity = sp.identity(n, format="csc")
    try:
        shares = spla.splu((identity - mixing).tocsc()).solve(direct)
    except RuntimeError:
        # A loop with no source feeding it (a zero-cost circulation) makes the system singular;
        # damping the loop by 1e-12 gives it a unique solution with the same shares elsewhere.
        shares = spla.splu((identity - mixing * (1 - 1e-12)).tocsc()).solve(direct)
    return nodes, np.asarray(shares).reshape(n, len(origins)), origins


def _long(keys: pd.DataFrame, shares: np.ndarray, origins: pd.MultiIndex, tonnes) -> pd.DataFrame:
    """One row per key and origin with a share above zero."""
    rows, cols = np.nonzero(shares > 1e-12)
    frame = keys.iloc[rows].reset_index(drop=True)
    frame["origin_region"] = origins.get_level_values(0)[cols]
    frame["source"] = origins.get_level_values(1)[cols]
    frame["tonnes"] = np.asarray(tonnes)[rows] * shares[rows, cols]
    return frame


def _finish(frame: pd.DataFrame, key: list[str], columns: list[str]) -> pd.DataFrame:
    mining = frame["source"] == "mining"
    frame["origin_kind"] = np.where(
        mining & (frame["origin_region"] == frame["region"]),
        "domestic_mining",
        np.where(mining, "import_mining", frame["source"]),
    )
    frame = frame.groupby(key + ["origin_region", "origin_kind"], as_index=False, sort=False)["tonnes"].sum()
    total = frame.groupby(key, sort=False)["tonnes"].transform("sum")
    frame["share"] = frame["tonnes"] / total
    return frame[columns].sort_values(key + ["origin_kind", "origin_region"], kind="stable").reset_index(drop=True)
