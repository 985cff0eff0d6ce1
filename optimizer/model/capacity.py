"""Capacity with builds, and cumulative reserves.

Capacity (where some build can add to it by period t; elsewhere it is the activity's upper bound):

.. math::  z_{prt} - \\sum_{\\tau:\\ year_\\tau + lead \\le year_t} unit \\cdot n_{pr\\tau} \\le cap_{prt}

Its dual (or, for a bound, the activity's reduced cost) is the value of one more unit of capacity.

Reserves (deposits run out): :math:`\\sum_t len_t z_{prt} \\le reserve_{pr}`.
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
