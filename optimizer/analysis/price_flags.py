r"""Marginal values a reader should not take for market prices, flagged (issue 14, part 6).

A marginal value (the dual of a balance row) is a price only where the market sets it: supply's
cost meeting demand's willingness to pay. Four other things can set it, and ``balance.csv`` says
which in its ``price_flag`` column (blank: a price):

=============  ===================================================================================
flag           the marginal value ...
=============  ===================================================================================
penalty        is set by the unmet-demand penalty: demand at this node goes unmet, or the dual
               depends on the penalty of some partly unmet demand through the basis
               (:math:`y_{pen} = B^{-T} c_{B,pen} \neq 0`; e.g. an oxide priced off the penalty of a
               magnet demand that is not served)
outside_band   belongs to a demand curve (FORMULATION.md E1) cleared at or beyond its band's edge:
               supply's cost sets it, not the curve, and it lies above (below) every step's price
disposal       is the disposal cost of an unwanted co-product (often zero) plus what it costs to bring
               it here: the node's marginal tonne is one that would otherwise be disposed of, here
               or upstream (:math:`B^{-T} 1_{c}`, the change of c's disposal per tonne withdrawn,
               is non-zero at the node); the ore a co-product comes from is not flagged
not_unique     is one end of an interval of valid duals: the basis is primal degenerate at this
               node (HiGHS ranging: its right-hand side cannot move one way without a basis change),
               so one more tonne and one less tonne are worth different amounts
=============  ===================================================================================

With ``transit: forbidden`` (E2) ``price_flag_made`` flags ``marginal_value_made`` the same way
(:func:`_made_flags`). One flag per node, the first that applies in the order above. ``penalty`` through the basis and
``not_unique`` need the optimal basis (:class:`optimizer.solver.DualEvidence`, about the cost of one
more solve); without it (sweeps, or a basis HiGHS could not rank) only the flags read off the
solution's flows are given, and ``summary.json`` ``price_flags.basis`` says so. For a MIP the basis
is that of the LP with the integers fixed, whose duals are the ones reported.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.labels import labels
from optimizer.model import Model, elastic_demand
from optimizer.model.quotas import covered_trade
from optimizer.model.transit import transit_binds, transit_row_ids
from optimizer.solution import Solution, rent_flags
from optimizer.solver import SolverResult

FLAGS = ("penalty", "outside_band", "disposal", "not_unique")
LEGEND = {
    "penalty": "set by the unmet-demand penalty",
    "outside_band": "outside the demand curve's band",
    "disposal": "the disposal cost of an unwanted co-product",
    "not_unique": "degenerate basis, one tonne more and one tonne less are worth different amounts",
}
TOLERANCE = 1e-7


def evidence_costs(model: Model) -> dict[str, np.ndarray]:
    """The vectors whose ``B^-T c_B`` the flags need (pass to ``HighsSolver.solve``): the penalty
    costs, and per commodity that can be disposed an indicator of its disposal columns."""
    lp = model.lp
    costs = {}
    penalty = lp.cost_parts.get("penalty")
    if penalty is not None and np.any(penalty):
        costs["penalty"] = penalty
    disposal = lp.columns["disposal"]
    for commodity in np.unique(disposal.index["c"].to_numpy()):
        indicator = np.zeros(lp.n_cols)
        indicator[disposal.ids[disposal.index["c"].to_numpy() == commodity]] = 1.0
        costs[f"disposal:{commodity}"] = indicator
    return costs


def add_price_flags(solution: Solution, model: Model, result: SolverResult) -> None:
    """Add ``price_flag`` to ``solution["balance"]`` and ``price_flags`` to its summary."""
    if "balance" not in solution.tables:
        return
    balance = solution.tables["balance"]
    nodes = _nodes(model)
    flags = _flow_flags(solution, model, result, nodes)
    evidence = result.evidence
    if evidence is not None:
        flags = _first(flags, _basis_flags(model, result, nodes))
    nodes["price_flag"] = flags
    keys = ["region", "commodity", "period"]
    merged = balance[keys].merge(nodes[keys + ["price_flag"]], on=keys, how="left")
    balance["price_flag"] = merged["price_flag"].fillna("").to_numpy()
    if "marginal_value_made" in balance:
        nodes["price_flag_made"] = _made_flags(model, result, nodes)
        merged = balance[keys].merge(nodes[keys + ["price_flag_made"]], on=keys, how="left")
        balance["price_flag_made"] = merged["price_flag_made"].fillna("").to_numpy()
    flagged = balance[balance["price_flag"] != ""]
    solution.summary["price_flags"] = {
        "basis": "ranging" if evidence is not None else "flows only (no basis ranging in this run)",
        "seconds": round(evidence.seconds, 4) if evidence is not None else None,
        "counts": {flag: int((flagged["price_flag"] == flag).sum()) for flag in FLAGS},
        **(
            {"counts_made": {flag: int((balance["price_flag_made"] == flag).sum()) for flag in FLAGS}}
            if "price_flag_made" in balance
            else {}
        ),
        "flagged": [
            {
                "region": row.region,
                "commodity": row.commodity,
                "period": int(row.period),
                "marginal_value": float(row.marginal_value),
                "flag": row.price_flag,
                **(
                    {"marginal_value_made": float(row.marginal_value_made)}
                    if hasattr(row, "marginal_value_made")
                    else {}
                ),
            }
            for row in flagged.itertuples()
        ],
    }


def _first(*flags: pd.Series) -> pd.Series:
    """Per node, the flag that comes first in ``FLAGS`` among those given."""
    rank = {flag: position for position, flag in enumerate(("",) + FLAGS)}
    ranks = np.column_stack([f.map(rank).to_numpy() for f in flags])
    ranks = np.where(ranks == 0, len(rank), ranks).min(axis=1)
    names = np.array(("",) + FLAGS + ("",), dtype=object)
    return pd.Series(names[ranks], index=flags[0].index)


def _nodes(model: Model) -> pd.DataFrame:
    """Every balance row: its names, its row id and the weight of its period."""
    rows = model.lp.rows["balance"]
    frame = pd.DataFrame(labels(model.data, rows.index))
    frame["row"] = rows.ids
    frame["code"] = model.data.node_code(rows.index["r"], rows.index["c"], rows.index["t"])
    return frame


def _flow_flags(solution: Solution, model: Model, result: SolverResult, nodes: pd.DataFrame) -> pd.Series:
    """Flags read off the flows: unmet demand, a curve at its band's edge, disposal."""
    data, lp, x = model.data, model.lp, result.x
    flags = pd.Series("", index=nodes.index)
    position = pd.Series(nodes.index, index=nodes["code"])
    demand = data.demand
    code = data.node_code(demand["r"], demand["c"], demand["t"])
    at = position.reindex(code).to_numpy()

    disposal = lp.columns["disposal"]
    disposed = x[disposal.ids] > TOLERANCE
    d = disposal.index[disposed]
    flags.iloc[position.reindex(data.node_code(d["r"], d["c"], d["t"])).to_numpy()] = "disposal"

    steps = lp.columns[elastic_demand.FAMILY]
    if steps.size:
        served = np.zeros(len(demand))
        width = np.zeros(len(demand))
        row = steps.index["demand"].to_numpy()
        np.add.at(served, row, x[steps.ids])
        np.add.at(width, row, steps.index["width"].to_numpy())
        has_steps = width > 0
        edge = has_steps & ((served <= TOLERANCE * np.maximum(1.0, width)) | (served >= width * (1 - TOLERANCE)))
        flags.iloc[at[edge]] = "outside_band"

    unmet = solution["delivered"]["unmet"].to_numpy() > TOLERANCE * np.maximum(1.0, demand["quantity"].to_numpy())
    penalised = unmet & demand["penalty"].notna().to_numpy() & (data.objective == "cost")
    flags.iloc[at[penalised]] = "penalty"
    return flags


def _basis_flags(model: Model, result: SolverResult, nodes: pd.DataFrame) -> pd.Series:
    """Flags that need the basis: a dual that depends on a penalty, a dual that is not unique."""
    evidence, lp = result.evidence, model.lp
    rows = nodes["row"].to_numpy()
    weight = model.data.weight[model.data.node_parts(nodes["code"].to_numpy())[2]]
    value = np.abs(result.row_dual[rows]) / weight
    flags = np.full(len(nodes), "", dtype=object)
    flags[evidence.stuck(rows, lp.row_lower[rows], TOLERANCE)] = "not_unique"
    # (B^-T 1_c)_i is the change of c's disposal (wherever it is basic) per tonne more withdrawn at
    # node i: non-zero when the node's marginal tonne is one that would otherwise be dumped
    commodity = model.data.node_parts(nodes["code"].to_numpy())[1]
    for c in np.unique(commodity):
        dumped = evidence.explained.get(f"disposal:{c}")
        if dumped is not None:
            mine = commodity == c
            flags[mine & (np.abs(dumped[rows]) > 1e-6)] = "disposal"
    penalty = evidence.explained.get("penalty")
    if penalty is not None:
        from_penalty = np.abs(penalty[rows]) / weight > TOLERANCE * np.maximum(1.0, value)
        flags[from_penalty] = "penalty"
    return pd.Series(flags, index=nodes.index)


def _made_flags(model: Model, result: SolverResult, nodes: pd.DataFrame) -> pd.Series:
    r"""Flags of ``marginal_value_made`` (E2): the node's own flag, except at a node whose transit row
    binds.

    * If it exports on a link with room left, :math:`\lambda` is one end of an interval
      (``not_unique`` or ``disposal`` at its lower end, :math:`-\text{disposal cost}`), but
      :math:`\lambda - \mu` equals, through that export column (in the basis), the destination's
      marginal value net of the link's cost and loss, less the rent of every export quota over the
      link that binds (its dual :math:`q \le 0` is the column's fourth term: :math:`\lambda - \mu =
      (1 - loss)\lambda_d - c - \text{rent}`): it is as unique as the destination's value and those
      rents. It takes the first in ``FLAGS`` among those destinations' flags and ``not_unique`` where
      such a rent is (``quotas.csv`` ``rent_flag``, :func:`optimizer.solution.rent_flags`; e.g. a
      limit that a capacity also holds: tests/test_quota_made_flags.py derives both ends by hand).
    * Otherwise (it exports nothing, or only on links at their capacity) nothing ties
      :math:`\lambda - \mu` to a destination: one more tonne made there would be sold at home (or
      not at all), one tonne less would cost an export or a tonne made at the node's own cost, and
      :math:`\mu` (so :math:`\lambda - \mu`) is one end of that interval wherever HiGHS ranging says
      the transit row's right-hand side cannot move without a basis change: ``not_unique``, unless
      the node's own flag comes first. Like every ranging flag this errs on the safe side: a
      degenerate basis can flag a value that is unique (a full link's exporter whose own making is
      in the basis, at its making cost).
    """
    data, lp = model.data, model.lp
    flags = nodes["price_flag"].copy()
    binds = transit_binds(data, lp, result.row_activity)
    if not binds.any():
        return flags
    trade = lp.columns["trade"]
    shipped, room = result.x[trade.ids], lp.col_upper[trade.ids]
    # only an export column strictly inside its bounds (in the basis) ties λ − μ to the destination's
    # value; a link at its capacity pins nothing, and its origin is read like a non-exporter
    with np.errstate(invalid="ignore"):  # an unlimited link (inf) always has room
        below = np.isinf(room) | (shipped < room - TOLERANCE * np.maximum(1.0, np.abs(room)))
    basic = (shipped > TOLERANCE) & below
    link = trade.index[basic]
    position = pd.Series(nodes.index, index=nodes["code"])
    origin = position.reindex(data.node_code(link["o"], link["c"], link["t"])).to_numpy()
    destination = position.reindex(data.node_code(link["d"], link["c"], link["t"])).to_numpy()

    if result.evidence is not None:
        exports = np.zeros(len(nodes), dtype=bool)
        exports[origin] = True
        flags[binds & ~exports & _transit_stuck(model, result) & (flags == "").to_numpy()] = "not_unique"

    rank = {flag: place for place, flag in enumerate(FLAGS)}
    exporting = binds[origin]
    ambiguous_rent = _behind_an_ambiguous_rent(model, result, trade.ids[basic][exporting])
    inherited = pd.DataFrame(
        {
            "origin": np.concatenate([origin[exporting], origin[exporting][ambiguous_rent]]),
            "flag": np.concatenate(
                [nodes["price_flag"].to_numpy()[destination[exporting]], np.full(ambiguous_rent.sum(), "not_unique")]
            ),
        }
    )
    inherited["rank"] = inherited["flag"].map(rank).fillna(len(FLAGS))
    first = inherited.sort_values("rank").drop_duplicates("origin").set_index("origin")["flag"]
    flags.iloc[first.index.to_numpy()] = first.to_numpy()
    return flags


def _behind_an_ambiguous_rent(model: Model, result: SolverResult, columns: np.ndarray) -> np.ndarray:
    """Per trade column in ``columns``, whether an export quota over it binds with a rent that is one
    end of an interval (its ``rent_flag`` in quotas.csv is ``not_unique``); all False without the
    basis's evidence."""
    data, lp = model.data, model.lp
    behind = np.zeros(len(columns), dtype=bool)
    rows = lp.rows.get("quota")
    if result.evidence is None or rows is None or rows.size == 0:
        return behind
    ambiguous = rent_flags(result, rows.ids, data.quotas["limit"].to_numpy(dtype=float)) == "not_unique"
    if not ambiguous.any():
        return behind
    covered = covered_trade(data, lp.columns["trade"])
    return np.isin(columns, covered["col"].to_numpy()[ambiguous[covered["quota"].to_numpy()]])


def _transit_stuck(model: Model, result: SolverResult) -> np.ndarray:
    """Per balance row, whether its node's transit row is degenerate in the basis (HiGHS ranging:
    its right-hand side cannot move one way without a basis change)."""
    ids = transit_row_ids(model.data, model.lp)
    has_row = ids >= 0
    stuck = np.zeros(ids.size, dtype=bool)
    stuck[has_row] = result.evidence.stuck(ids[has_row], model.lp.row_upper[ids[has_row]], TOLERANCE)
    return stuck
