"""Re-use a built program for an instance of the same shape: new bounds and costs on the same matrix.

A scenario that changes capacities, costs, prices, demands, quotas or stocks (and not which
processes, links, demands and stocks exist, nor recipes, losses, unit sizes or lead times) leaves
the program's columns, rows and coefficients as they were. Then only the bound and cost vectors are
recomputed, with the same functions the full build uses, and the matrix is kept: no merges, no
node numbering, no sparse assembly.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

import numpy as np
import pandas as pd

from optimizer.instance.origin import hub_regions
from optimizer.model.elastic_demand import steps
from optimizer.model.index import ModelData
from optimizer.model.lp import LinearProgram
from optimizer.model.objective import objective_parts


def same_shape(old: ModelData, new: ModelData) -> bool:
    """True when ``new`` gives a program with ``old``'s columns, rows and coefficients."""

    def transit(data: ModelData) -> tuple:  # E2 rows are renumbered (their right-hand side); E3 are not
        return data.instance.transit, tuple(sorted(hub_regions(data.instance)))

    return (
        not old.instance.tracked_regions
        and not new.instance.tracked_regions
        and transit(old) == transit(new)
        and old.instance.policies == new.instance.policies
        and old.objective == new.objective
        and np.array_equal(old.periods, new.periods)
        and np.array_equal(old.lengths, new.lengths)
        and same(process_structure(old), process_structure(new))
        and same(old.recipe, new.recipe)
        and same(old.trade[["c", "o", "d", "t", "loss"]], new.trade[["c", "o", "d", "t", "loss"]])
        and same(old.demand[["r", "c", "t"]], new.demand[["r", "c", "t"]])
        and same(demand_curves(old), demand_curves(new))
        and same(old.quotas[["name", "t"]], new.quotas[["name", "t"]])
        and same(old.quota_links, new.quota_links)
        and same(old.stocks[["r", "c"]], new.stocks[["r", "c"]])
    )


def same(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    return a is b or a.reset_index(drop=True).equals(b.reset_index(drop=True))  # NaN equals NaN here


def process_structure(data: ModelData) -> pd.DataFrame:
    """What of the processes' rows shapes the program: keys, lead times, unit sizes, and whether each
    may build, has a finite capacity, a reserve, a total build cap (numbers that add or drop columns
    and rows)."""
    p = data.processes
    return p[["p", "r", "t", "lead_time", "unit_size"]].assign(
        buildable=p["max_build"] > 0,
        limited=np.isfinite(p["capacity"]),
        reserved=np.isfinite(p["reserve"]),
        capped=np.isfinite(p["max_build_total"]),
    )


def demand_curves(data: ModelData) -> pd.DataFrame:
    """The flexible steps of the demand curves (the shape of ``elastic_step``)."""
    return steps(data)[["demand", "j"]]


def renumber(
    lp: LinearProgram, data: ModelData, availability: pd.DataFrame, changed: Iterable[str] | None = None
) -> LinearProgram:
    """``lp`` with the bounds and costs of ``data`` (which must have the same shape).

    Each registered family recomputes its own numbers (``bounds`` or ``limits`` in the registry);
    with ``changed`` (the :class:`ModelData` fields that differ from those ``lp`` was numbered
    from), only the families that read one of them, and the objective only if it reads one.
    """
    from optimizer.model.registry import FAMILIES, OBJECTIVE_READS

    changed = None if changed is None else frozenset(changed)

    def stale(reads: frozenset[str]) -> bool:
        return changed is None or not reads.isdisjoint(changed)

    lower, upper = lp.col_lower.copy(), lp.col_upper.copy()
    row_lower, row_upper = lp.row_lower.copy(), lp.row_upper.copy()
    for spec in FAMILIES:
        if not stale(spec.reads):
            continue
        if spec.kind == "variable" and spec.bounds is not None and spec.name in lp.columns:
            family = lp.columns[spec.name]
            lower[family.start : family.stop], upper[family.start : family.stop] = spec.bounds(data, availability)
        elif spec.kind == "constraint" and spec.limits is not None and spec.name in lp.rows:
            family = lp.rows[spec.name]
            row_lower[family.start : family.stop], row_upper[family.start : family.stop] = spec.limits(data, lp)
    costs = {}
    if stale(OBJECTIVE_READS):
        parts, cost, offset = objective_parts(data, lp, availability)
        costs = {"col_cost": cost, "offset": offset, "cost_parts": parts}
    return dataclasses.replace(lp, col_lower=lower, col_upper=upper, row_lower=row_lower, row_upper=row_upper, **costs)
