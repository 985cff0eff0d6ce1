"""A solved program turned into tidy tables with the instance's names (INTERFACE.md's results).

Sign conventions of the reported duals (per tonne, or per t/yr of capacity, in the period's own
money, i.e. the raw dual divided by ``disc[t] * len[t]``):

* ``marginal_value``: cost objective, the cost of one more tonne demanded at the node; value
  objective, the value of one more tonne available there. The program is always minimised (value
  as its negative), so both are ``row_dual / weight``.
* ``marginal_value_made`` (only with ``transit: forbidden``, E2): what one more tonne *made* at the
  node is worth, ``(row_dual - transit_dual) / weight`` (model/transit.py ``made_value``): unique
  where ``marginal_value`` is one end of an interval because the exporter sells all it makes.
* ``capacity_dual``: the saving (or extra value) from one more unit of capacity, ``>= 0``:
  ``-row_dual / weight`` for a capacity row, ``max(0, -reduced cost) / weight`` for a capacity
  that is the activity's bound; ``capacity_dual_flag`` ``not_unique`` where it is one end of an
  interval (the capacity binds and HiGHS ranging says it cannot move one way without a basis
  change: a candidate with no capacity that is not built, say, where one more t/yr saves less than
  one less t/yr costs), blank otherwise and everywhere without the basis's evidence (a sweep).
* ``rent`` (quotas): the saving (or extra value) from one more tonne of an export quota, ``>= 0``,
  ``-row_dual / weight``: what a licence to export one more tonne is worth, the gap between the
  price abroad (net of shipping) and at home that the quota holds open; ``rent_flag``
  ``not_unique`` where it is one end of an interval (a degenerate basis at the limit).
"""

from __future__ import annotations

import weakref
from collections.abc import MutableMapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from optimizer.constraint_table import constraint_table
from optimizer.deferred import DeferredTables
from optimizer.instance import Instance
from optimizer.labels import ZERO, clean, labels
from optimizer.model import COST_CATEGORIES, Model, elastic_demand
from optimizer.model.elastic_demand import is_elastic
from optimizer.model.index import ModelData
from optimizer.model.transit import made_value
from optimizer.output.columns import RESULT_COLUMNS
from optimizer.solver import SolverResult, solver_version

if TYPE_CHECKING:
    from optimizer.diagnosis import Diagnosis


@dataclass
class Solution:
    """Summary and tables of one solved scenario: everything the writers and the analysis read."""

    instance: Instance
    summary: dict
    tables: MutableMapping[str, pd.DataFrame] = field(default_factory=dict)
    diagnosis: Diagnosis | None = None

    @property
    def status(self) -> str:
        return self.summary["status"]

    @property
    def objective(self) -> float | None:
        return self.summary.get("objective")

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.tables[name]

    @property
    def statistics(self):
        """Prices, builds, flows and costs grouped as asked (:mod:`optimizer.statistics`)."""
        from optimizer.statistics import Statistics

        return Statistics.of(self)


def make_solution(model: Model, result: SolverResult, extra_rows: list | None = None) -> Solution:
    """The solution's summary and tables; ``extra_rows`` are the rows of the user's own constraints
    (:class:`~optimizer.model.pyomo_solve.ExtraRow`), which go to ``constraints`` with the rows of
    the registered families marked ``report``."""
    data, lp = model.data, model.lp
    summary = _summary(model, result)
    solution = Solution(instance=model.instance, summary=summary)
    if not result.has_solution:
        return solution
    x = result.x
    delivery = _delivery_numbers(data, model, x)
    tables = DeferredTables(
        {
            "activity": lambda: _activity(data, model, result),
            "trade": lambda: _trade(data, model, x),
            "delivered": lambda: _delivered(data, model, delivery),
            "balance": lambda: _balance(data, model, result),
            "builds": lambda: _builds(data, model, x),
            "costs": lambda: cost_ledger(model, x),
            "constraints": lambda: constraint_table(model, result, extra_rows or []),
            "quotas": lambda: _quotas(data, model, result),
        }
    )
    solution.tables = tables
    if "content_balance" in lp.rows:  # E3: class-resolved columns
        from optimizer.content import add_content_columns

        balance = tables["balance"]
        before = balance["marginal_value"].to_numpy()
        add_content_columns(model, result, tables)
        if "marginal_value_made" in balance:  # made of the class marginal_value now reports (E2 with E3)
            balance = tables["balance"]
            balance["marginal_value_made"] += balance["marginal_value"].to_numpy() - before
    # elementwise products, not BLAS dot products: OpenBLAS takes milliseconds to start a thread pool
    costs = {name: float((lp.cost_parts[name] * x).sum()) for name in COST_CATEGORIES}
    welfare = elastic_demand.welfare_offset(data)
    costs["penalty"] += lp.offset - welfare
    if is_elastic(data).any():  # E1: lost willingness to pay of reductions minus the value of increases
        costs[elastic_demand.OBJECTIVE_PART] = float((lp.cost_parts[elastic_demand.OBJECTIVE_PART] * x).sum()) + welfare
    summary["costs"] = costs
    weight = data.weight[data.demand["t"].to_numpy()]
    if data.objective == "value":  # what the objective counted (on a curve, each step at its price)
        summary["revenue"] = -float((lp.cost_parts["revenue"] * x).sum())
    else:
        summary["revenue"] = float(np.sum(weight * data.demand["price"].to_numpy() * delivery["delivered"]))
    lengths = data.lengths[data.demand["t"].to_numpy()]
    summary["unmet_demand"] = float(np.sum(lengths * delivery["unmet"]))
    sign = -1.0 if data.objective == "value" else 1.0
    summary["objective"] = sign * result.objective
    return solution


def _activity(data: ModelData, model: Model, result: SolverResult) -> pd.DataFrame:
    lp = model.lp
    family = lp.columns["activity"]
    index = family.index
    t = index["t"].to_numpy()
    weight = data.weight[t]
    capacity = data.processes["capacity"].to_numpy().copy()
    dual = np.maximum(0.0, -result.col_dual[family.ids]) * np.isfinite(lp.col_upper[family.ids])
    rows = lp.rows["capacity"]
    if rows.size:
        position = np.flatnonzero(index["capacity_row"].to_numpy())
        dual[position] = -result.row_dual[rows.ids]
        # Capacity there is what existed plus what was built and is available by then.
        available_builds = result.x[family.ids][position] - result.row_activity[rows.ids]
        capacity[position] = capacity[position] + available_builds
    frame = pd.DataFrame(labels(data, index))
    frame["activity"] = clean(result.x[family.ids])  # no -0 or -1e-13 tonnes from the solver
    frame["capacity"] = np.where(np.isfinite(capacity), capacity, np.nan)
    frame["capacity_dual"] = clean(dual / weight)
    frame["capacity_dual_flag"] = _capacity_flags(model, result)
    return frame


def _capacity_flags(model: Model, result: SolverResult) -> np.ndarray:
    """``not_unique`` where an activity's capacity binds at a degenerate point of the basis: its row's
    right-hand side (or, without a row, the column's upper bound) cannot move one way without a basis
    change. A capacity with room left has dual 0 in every optimal dual (complementary slackness)."""
    lp, evidence = model.lp, result.evidence
    family = lp.columns["activity"]
    flags = np.full(family.size, "", dtype=object)
    if evidence is None or not family.size:
        return flags
    stuck = np.zeros(family.size, dtype=bool)
    bounded = np.flatnonzero(np.isfinite(lp.col_upper[family.ids]))
    columns = family.ids[bounded]
    bound = lp.col_upper[columns]
    stuck[bounded] = _reached(result.x[columns], bound) & evidence.stuck_bound(columns, bound)
    rows = lp.rows["capacity"]
    if rows.size:
        position = np.flatnonzero(family.index["capacity_row"].to_numpy())
        limited = np.isfinite(lp.row_upper[rows.ids])
        ids, limit = rows.ids[limited], lp.row_upper[rows.ids][limited]
        stuck[position] = False
        stuck[position[limited]] = _reached(result.row_activity[ids], limit) & evidence.stuck(ids, limit)
    flags[stuck] = "not_unique"
    return flags


def _reached(value: np.ndarray, limit: np.ndarray) -> np.ndarray:
    return value >= limit - 1e-7 * np.maximum(1.0, np.abs(limit))


def _trade(data: ModelData, model: Model, x: np.ndarray) -> pd.DataFrame:
    lp = model.lp
    family = lp.columns["trade"]
    shipped = x[family.ids]
    used = shipped > ZERO
    index = family.index[used]
    weight = data.weight[index["t"].to_numpy()]
    per_tonne = (lp.cost_parts["trade"] + lp.cost_parts["tariff"])[family.ids][used] / weight
    frame = pd.DataFrame(labels(data, index))
    frame["shipped"] = shipped[used]
    frame["arrived"] = shipped[used] * (1.0 - index["loss"].to_numpy())
    frame["cost"] = per_tonne * shipped[used]
    return frame


def _delivery_numbers(data: ModelData, model: Model, x: np.ndarray) -> dict[str, np.ndarray]:
    """The number columns of :func:`_delivered` (the summary reads them without the table)."""
    family = model.lp.columns["delivery"]
    core = x[family.ids]
    steps = model.lp.columns[elastic_demand.FAMILY]
    response = elastic_demand.cleared(data, steps.index, x[steps.ids])
    numbers = {
        "demand": data.demand["quantity"].to_numpy(),
        "delivered": core + response["served_steps"].to_numpy(),
        "unmet": clean(elastic_demand.core_quantity(data) - core),
    }
    if is_elastic(data).any():
        numbers["elastic_change"] = clean(response["elastic_change"].to_numpy())
    return numbers


def _delivered(data: ModelData, model: Model, numbers: dict[str, np.ndarray]) -> pd.DataFrame:
    """``demand`` is the reference quantity; on a demand curve (E1) ``delivered`` is the cleared
    quantity, ``unmet`` only the shortfall below the curve's band, and ``elastic_change`` the
    answer to price (``delivered = demand + elastic_change - unmet``)."""
    frame = pd.DataFrame(labels(data, model.lp.columns["delivery"].index))
    for name, values in numbers.items():
        frame[name] = values
    return frame


_BALANCE_TERMS: list = [None, None]  # (weak reference to a matrix, its balance terms): re-solves share a matrix


def _balance_terms(lp) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """Row, column, coefficient and column family of every term of the balance rows (the family
    numbered in ``lp.columns``' order), kept while the matrix is the same: a row slice of a large
    CSC matrix costs more than the rest of the table."""
    reference, terms = _BALANCE_TERMS
    if reference is not None and reference() is lp.matrix and terms[4] == list(lp.columns):
        return terms
    rows = lp.rows["balance"]
    block = lp.matrix[rows.start : rows.stop].tocoo()
    family_of = np.zeros(lp.n_cols, dtype=np.int8)
    names = list(lp.columns)
    for position, name in enumerate(names):
        family_of[lp.columns[name].start : lp.columns[name].stop] = position
    terms = (block.row, block.col, block.data, family_of[block.col], names)
    _BALANCE_TERMS[:] = [weakref.ref(lp.matrix), terms]
    return terms


def _balance(data: ModelData, model: Model, result: SolverResult) -> pd.DataFrame:
    lp = model.lp
    rows = lp.rows["balance"]
    term_row, term_col, coefficient, kind, names = _balance_terms(lp)
    flow = coefficient * result.x[term_col]
    parts = {
        name: np.zeros(rows.size)
        for name in ("produced", "consumed", "imports", "exports", "delivered", "disposed", "stock_change")
    }

    def add(target: str, mask: np.ndarray, sign: float) -> None:
        parts[target] += np.bincount(term_row[mask], weights=sign * flow[mask], minlength=rows.size)

    add("produced", (kind == names.index("activity")) & (flow > 0), 1.0)
    add("consumed", (kind == names.index("activity")) & (flow < 0), -1.0)
    add("imports", (kind == names.index("trade")) & (flow > 0), 1.0)
    add("exports", (kind == names.index("trade")) & (flow < 0), -1.0)
    add("delivered", (kind == names.index("delivery")) | (kind == names.index(elastic_demand.FAMILY)), -1.0)
    add("disposed", kind == names.index("disposal"), -1.0)
    add("stock_change", kind == names.index("stock"), -1.0)
    parts["stock_change"] += lp.row_lower[rows.ids]  # the initial stock is on the right-hand side
    t = rows.index["t"].to_numpy()
    frame = pd.DataFrame(labels(data, rows.index))
    for name, values in parts.items():
        frame[name] = clean(values)
    frame["marginal_value"] = clean(result.row_dual[rows.ids] / data.weight[t])
    if "transit" in lp.rows:  # E2: what a tonne made there is worth (its export netback), README
        frame["marginal_value_made"] = clean(made_value(data, lp, result.row_dual) / data.weight[t])
    flows = frame[list(parts)].abs().to_numpy().max(axis=1)
    return frame[flows > ZERO].reset_index(drop=True)


def _quotas(data: ModelData, model: Model, result: SolverResult) -> pd.DataFrame:
    """One row per quota and period: the tonnes it let through, its limit and its rent."""
    quotas, rows = data.quotas, model.lp.rows["quota"]
    if quotas.empty:  # typed like a full table, so code that reads it needs no special case
        numbers = {"period": np.int64, "shipped": float, "limit": float, "rent": float}  # rent_flag: text
        return pd.DataFrame({name: pd.Series(dtype=numbers.get(name, object)) for name in RESULT_COLUMNS["quotas"]})
    # quota_frames numbers the quotas in the order of the expanded table, so its origins line up
    origin = model.instance.expanded("quotas")["origin"].to_numpy()
    t = quotas["t"].to_numpy()
    frame = pd.DataFrame({"quota": quotas["name"].to_numpy(), "origin": origin, "period": data.periods[t]})
    frame["shipped"] = clean(result.row_activity[rows.ids])
    frame["limit"] = quotas["limit"].to_numpy(dtype=float)
    frame["rent"] = clean(-result.row_dual[rows.ids] / data.weight[t])
    frame["rent_flag"] = rent_flags(result, rows.ids, quotas["limit"].to_numpy(dtype=float))
    return frame


def rent_flags(result: SolverResult, ids: np.ndarray, limit: np.ndarray) -> np.ndarray:
    """``rent_flag`` of the quota rows ``ids`` at their ``limit``s: ``not_unique`` where a quota is at
    its limit and the basis is degenerate there (HiGHS ranging, as for a marginal value's
    ``price_flag``: the limit cannot move one way without a basis change), so a tonne more and a
    tonne less of licence are worth different amounts; blank otherwise, and blank everywhere without
    the basis's evidence (a sweep). A quota with room left has rent 0 in every optimal dual
    (complementary slackness); HiGHS ranges its row around its activity, not its limit, so only rows
    at the limit are read. ``price_flag_made`` reads it too: an exporter's made value is its
    destination's netback less the rents of the binding quotas over the link."""
    flags = np.full(ids.size, "", dtype=object)
    evidence = result.evidence
    if evidence is None or not ids.size:
        return flags
    at_limit = result.row_activity[ids] >= limit - 1e-7 * np.maximum(1.0, np.abs(limit))
    flags[at_limit & evidence.stuck(ids, limit)] = "not_unique"
    return flags


def _builds(data: ModelData, model: Model, x: np.ndarray) -> pd.DataFrame:
    family = model.lp.columns["build"]
    built = x[family.ids] * family.index["unit"].to_numpy()
    used = built > ZERO
    frame = pd.DataFrame(labels(data, family.index[used]))
    frame["built"] = built[used]
    return frame


def cost_ledger(model: Model, x: np.ndarray) -> pd.DataFrame:
    """Every cost of the solution per year in its period's money, by category and by what incurred it.

    Columns: category, source (activity, build, trade, disposal, stock, delivery), process, region,
    commodity, origin, destination, period, amount. ``Σ disc·len·amount`` per category is the
    category's total in summary.json; MFCA allocates these entries to its quantity centres.
    """
    data, lp = model.data, model.lp
    weight = data.weight
    parts = []

    def entries(source: str, category: str, index: pd.DataFrame, amount: np.ndarray) -> None:
        used = np.abs(amount) > ZERO
        if used.any():
            frame = pd.DataFrame(labels(data, index[used].reset_index(drop=True)))
            parts.append(frame.assign(category=category, source=source, amount=amount[used]))

    for name, family in lp.columns.items():
        if family.size == 0 or name == "build":
            continue
        t = family.index["t"].to_numpy()
        for category in COST_CATEGORIES:
            if category == "capex" or (category == "penalty") != (name == "delivery"):
                continue
            per_unit = lp.cost_parts[category][family.ids] / weight[t]
            if category == "penalty":  # the cost of unmet demand, u = demand - s (below the band on a curve)
                amount = -per_unit * (elastic_demand.core_quantity(data) - x[family.ids])
            else:
                amount = per_unit * x[family.ids]
            entries(name, category, family.index, amount)

    build = lp.columns["build"]
    if build.size:
        available = model.availability
        buildable = data.processes[data.processes["max_build"] > 0].reset_index(drop=True)
        b = available["build"].to_numpy()
        amount = buildable["capex"].to_numpy()[b] * build.index["unit"].to_numpy()[b] * x[build.start + b]
        entries("build", "capex", available[["p", "r", "t"]], amount)
    columns = ["category", "source", "process", "region", "commodity", "origin", "destination", "period", "amount"]
    if not parts:
        return pd.DataFrame(columns=columns)
    return pd.concat(parts, ignore_index=True).reindex(columns=columns)


def _summary(model: Model, result: SolverResult) -> dict:
    instance, lp = model.instance, model.lp
    summary = {
        "status": result.status,
        "objective_kind": model.objective_kind,
        "objective": None,
        "instance": instance.name,
        "instance_path": str(instance.folder.resolve()),
        "scenario": instance.scenario,
        "periods": list(instance.periods),
        "currency": instance.currency,
        "n_variables": lp.n_cols,
        "n_constraints": lp.n_rows,
        "n_nonzeros": lp.nnz,
        "n_integer_variables": int(lp.integer.sum()),
        "build_seconds": round(model.build_seconds, 4),
        "solve_seconds": round(result.wall_seconds, 4),
        "solver": {"name": "highs", "version": solver_version(), "seconds": round(result.solver_seconds, 4)},
        "costs": {name: None for name in COST_CATEGORIES},
        "revenue": None,
        "unmet_demand": None,
        "duals": result.duals_from,
        "solver_info": result.info,
    }
    if result.status == "time_limit" and result.has_solution:
        summary["solution"] = "feasible, not proven optimal (time limit)"
    if lp.is_mip:
        summary["mip_gap"] = result.mip_gap
    return summary
