"""Capacity with builds, cumulative reserves, and each project's total build cap.

Capacity (where some build can add to it by period t; elsewhere it is the activity's upper bound):

.. math::  z_{prt} - \\sum_{\\tau:\\ year_\\tau + lead \\le year_t} unit \\cdot n_{pr\\tau} \\le cap_{prt}

Its dual (or, for a bound, the activity's reduced cost) is the value of one more unit of capacity.

Reserves (deposits run out): :math:`\\sum_t len_t z_{prt} \\le reserve_{pr}`.

Total build cap (a project's size, ``max_build_total`` in processes.csv), on capacity, not units:

.. math::  \\sum_t unit \\cdot n_{prt} \\le max\\_build\\_total_{pr}

where some period of the process and region may build. Its dual is the value, over the horizon in
discounted money, of a project larger by one t/yr (Pyomo ``build_total_limit[process, region]``,
reported in ``constraints.csv``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.model.index import ModelData
from optimizer.model.lp import LPBuilder


def capacity_limits(data: ModelData, activity_index: pd.DataFrame) -> np.ndarray:
    """Right-hand sides of the capacity rows: existing capacity where some build can add to it."""
    return data.processes["capacity"].to_numpy()[activity_index["capacity_row"].to_numpy()]


def reserve_limits(data: ModelData) -> np.ndarray:
    """Right-hand sides of the reserve rows, in (process, region) order."""
    reserve = data.processes["reserve"].to_numpy()
    finite = np.flatnonzero(np.isfinite(reserve))
    pair = data.processes["p"].to_numpy()[finite] * len(data.regions) + data.processes["r"].to_numpy()[finite]
    _, first = np.unique(pair, return_index=True)  # sorted by (p, r), each pair's first row
    return reserve[finite[first]]


def _capped_builds(data: ModelData) -> tuple[pd.DataFrame, np.ndarray]:
    """The build columns' rows of ``processes`` (see :func:`~optimizer.model.variables.build_columns`)
    that a total cap limits, with their position among the build columns, and the cap of each."""
    buildable = data.processes[data.processes["max_build"] > 0].reset_index(drop=True)
    cap = buildable["max_build_total"].to_numpy()
    capped = np.flatnonzero(np.isfinite(cap))
    return buildable.loc[capped, ["p", "r"]].assign(build=capped), cap[capped]


def build_total_limits(data: ModelData) -> np.ndarray:
    """Right-hand sides of the total build cap rows, in (process, region) order."""
    builds, cap = _capped_builds(data)
    _, first = np.unique(builds["p"].to_numpy() * len(data.regions) + builds["r"].to_numpy(), return_index=True)
    return cap[first]


def add_build_totals(data: ModelData, lp: LPBuilder) -> None:
    build = lp.column("build")
    builds, _ = _capped_builds(data)
    groups = builds.groupby(["p", "r"], sort=True)
    family = lp.add_rows("build_total", groups.size().reset_index()[["p", "r"]], -np.inf, build_total_limits(data))
    unit = build.index["unit"].to_numpy()[builds["build"].to_numpy()]
    lp.add_terms(family.start + groups.ngroup().to_numpy(), build.start + builds["build"].to_numpy(), unit)


def add_capacity(data: ModelData, lp: LPBuilder, availability: pd.DataFrame) -> None:
    activity = lp.column("activity")
    needs_row = activity.index["capacity_row"].to_numpy()
    keys = activity.index.loc[needs_row, ["p", "r", "t"]].assign(col=activity.ids[needs_row])
    family = lp.add_rows("capacity", keys[["p", "r", "t"]], -np.inf, capacity_limits(data, activity.index))
    rows = family.start + np.arange(family.size)
    lp.add_terms(rows, keys["col"].to_numpy(), 1.0)

    build = lp.column("build")
    added = availability.merge(keys.assign(row=rows), on=["p", "r", "t"])
    unit = build.index["unit"].to_numpy()[added["build"].to_numpy()]
    lp.add_terms(added["row"].to_numpy(), build.start + added["build"].to_numpy(), -unit)


def add_reserves(data: ModelData, lp: LPBuilder) -> None:
    activity = lp.column("activity")
    reserve = data.processes["reserve"].to_numpy()
    finite = np.isfinite(reserve)
    limited = activity.index.loc[finite, ["p", "r"]].assign(
        reserve=reserve[finite], col=activity.ids[finite], t=activity.index["t"][finite]
    )
    groups = limited.groupby(["p", "r"], sort=True)
    index = groups["reserve"].first().reset_index()
    family = lp.add_rows("reserve", index[["p", "r"]], -np.inf, reserve_limits(data))
    row = family.start + groups.ngroup().to_numpy()
    lp.add_terms(row, limited["col"].to_numpy(), data.lengths[limited["t"].to_numpy()])
