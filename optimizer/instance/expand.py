"""The table rules of INTERFACE.md that turn sparse rows into one row per key and period.

* A blank ``period`` means every period; a row with a period replaces the blank row with the same
  key, whole, for that period.
* ``*`` as ``origin`` or ``destination`` of trade.csv means every region; a row naming a region
  replaces a ``*`` row. When both ``CN,*`` and ``*,JP`` match CN→JP, the row naming the origin wins.
  Region specificity is decided before period specificity: an explicit ``CN,JP`` row without a
  period beats a ``*,*`` row with one.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.instance.validate import WILDCARD


def expand_periods(
    frame: pd.DataFrame, key: list[str], periods: tuple[int, ...], rank: str | None = None
) -> pd.DataFrame:
    """One row per ``key`` and period: blank-period rows copied to every period, dated rows winning.

    ``rank`` names a column of precedence to apply before the period's (higher wins).

    >>> rows = pd.DataFrame({"process": ["mine", "mine"], "period": [np.nan, 2030], "capacity": [5.0, 9.0]})
    >>> expand_periods(rows, ["process"], (2025, 2030))[["process", "period", "capacity"]]
      process  period  capacity
    0    mine    2025       5.0
    1    mine    2030       9.0
    """
    dated = frame["period"].notna()
    general = frame.loc[~dated].drop(columns="period").merge(pd.DataFrame({"period": list(periods)}), how="cross")
    explicit = frame.loc[dated].astype({"period": int})
    general["_dated"] = 0
    explicit = explicit.assign(_dated=1)
    both = pd.concat([general, explicit], ignore_index=True)
    order = ([rank] if rank else []) + ["_dated"]
    both = both.sort_values(order, kind="stable").drop_duplicates(key + ["period"], keep="last")
    both = both.drop(columns="_dated").sort_values(key + ["period"], kind="stable").reset_index(drop=True)
    both["period"] = both["period"].astype(int)
    return both


def expand_trade(trade: pd.DataFrame, regions: list[str], periods: tuple[int, ...]) -> pd.DataFrame:
    """trade.csv with ``*`` replaced by every region and one row per link and period."""
    if trade.empty:
        frame = trade.copy()
        frame["period"] = frame["period"].astype(int)
        return frame
    all_regions = pd.Series(regions, dtype=object)
    frame = trade.copy()
    frame["_regional"] = (frame["origin"] != WILDCARD) * 2 + (frame["destination"] != WILDCARD)
    for column in ("origin", "destination"):
        wild = frame[column] == WILDCARD
        spread = frame.loc[wild].drop(columns=column).merge(all_regions.rename(column).to_frame(), how="cross")
        frame = pd.concat([frame.loc[~wild], spread], ignore_index=True)
    frame = frame[frame["origin"] != frame["destination"]]
    key = ["commodity", "origin", "destination"]
    return expand_periods(frame, key, periods, rank="_regional").drop(columns="_regional")


def spread_over_periods(frame: pd.DataFrame, periods: tuple[int, ...]) -> pd.DataFrame:
    """Tables without a period column (stocks) are the same in every period."""
    return frame.merge(pd.DataFrame({"period": list(periods)}), how="cross")


def build_limit(processes: pd.DataFrame) -> np.ndarray:
    """How much capacity each processes.csv row may build: ``max_build``; when blank, none, unless a
    ``capex`` is given (then unlimited). Unlimited capacity needs no build."""
    blank_default = np.where(processes["capex"].notna(), np.inf, 0.0)
    limit = np.where(processes["max_build"].notna(), processes["max_build"], blank_default)
    return np.where(processes["capacity"].isna() | np.isinf(processes["capacity"]), 0.0, limit)
