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

    ``rank`` names a column of precedence decided before the period's (higher wins). Rows come out
    in the order their key first appears, then by period, so that a scenario which only changes
    numbers gives tables (and a model) of the same shape as its base.

    >>> rows = pd.DataFrame({"process": ["mine", "mine"], "period": [np.nan, 2030], "capacity": [5.0, 9.0]})
    >>> expand_periods(rows, ["process"], (2025, 2030))[["process", "period", "capacity"]]
      process  period  capacity
    0    mine    2025       5.0
    1    mine    2030       9.0
    """
    years = np.asarray(periods, dtype=np.int64)
    key_id = frame.groupby(key, sort=False, dropna=False).ngroup().to_numpy()
    period = frame["period"].to_numpy(dtype=float)
    dated = ~np.isnan(period)
    general = np.flatnonzero(~dated)
    explicit = np.flatnonzero(dated)
    rows = np.concatenate([np.repeat(general, len(years)), explicit])
    year = np.concatenate([np.tile(years, len(general)), period[explicit].astype(np.int64)])
    precedence = dated[rows].astype(np.int64)
    if rank is not None:
        precedence = precedence + 2 * frame[rank].to_numpy(dtype=np.int64)[rows]
    order = np.lexsort((precedence, year, key_id[rows]))
    rows, year = rows[order], year[order]
    last = np.ones(len(rows), dtype=bool)  # the last row of each (key, period) wins
    last[:-1] = (key_id[rows][1:] != key_id[rows][:-1]) | (year[1:] != year[:-1])
    result = frame.iloc[rows[last]].reset_index(drop=True)
    result["period"] = year[last]
    return result


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
    return expand_periods(frame.reset_index(drop=True), key, periods, rank="_regional").drop(columns="_regional")


# The key of each table with a period column, without the period.
PERIOD_KEYS = {
    "processes": ["process", "region"],
    "commodities": ["commodity"],
    "demand": ["region", "commodity"],
    "quotas": ["quota"],
}


# processes.csv numbers of a (process, region) over the whole horizon, given on its row without a period
UNDATED_PROCESS_NUMBERS = ("reserve", "max_build_total")


def undated_rows(processes: pd.DataFrame) -> np.ndarray:
    """Positions of the row that holds each (process, region)'s :data:`UNDATED_PROCESS_NUMBERS`: its
    row without a period, else its earliest dated row. A scenario's ``drop`` with ``periods`` turns
    the row without a period into dated copies for the periods it keeps, each carrying those numbers
    (in the files, validation keeps them off dated rows, so there a dated row gives blanks)."""
    order = processes.assign(_position=np.arange(len(processes))).sort_values(
        "period", na_position="first", kind="stable"
    )
    return np.sort(order.drop_duplicates(["process", "region"])["_position"].to_numpy())


def expand_table(tables: dict[str, pd.DataFrame], name: str, regions: list[str], periods: tuple[int, ...]):
    """One row per key and period of a table (``reserve`` and ``max_build_total`` left out: they
    are not per period, see :data:`UNDATED_PROCESS_NUMBERS`)."""
    if name == "trade":
        return expand_trade(tables["trade"], regions, periods)
    frame = tables[name]
    if name == "processes":
        frame = frame.drop(columns=[c for c in UNDATED_PROCESS_NUMBERS if c in frame])
    return expand_periods(frame, PERIOD_KEYS[name], periods)


def build_limit(processes: pd.DataFrame) -> np.ndarray:
    """How much capacity each processes.csv row may build: ``max_build``; when blank, none, unless a
    ``capex`` is given (then unlimited). Unlimited capacity needs no build."""
    blank_default = np.where(processes["capex"].notna(), np.inf, 0.0)
    limit = np.where(processes["max_build"].notna(), processes["max_build"], blank_default)
    return np.where(processes["capacity"].isna() | np.isinf(processes["capacity"]), 0.0, limit)
