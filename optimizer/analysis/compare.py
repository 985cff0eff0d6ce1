"""Scenarios side by side: one row per run of ``comparison.csv``, every number from
:mod:`optimizer.statistics` (so compare, the report and sweeps share one definition of each).

Columns: scenario (the run's label: the scenario name, or the user's ``--label``), status, objective,
the cost categories (discounted, whole horizon), unmet_demand (t over the horizon), new capacity
``built_<stage>_<region>`` (t/yr, summed over processes and periods; a sweep's rows keep the
region totals ``built_<region>``), for the main demand regions ``domestic_<region>``,
``import_<region>``, ``recycling_<region>`` and ``from_CN_<region>`` (shares of the region's
deliveries by origin, tonnes over the horizon), and the marginal values of NdPr oxide, Dy2O3, Tb4O7
and NdFeB magnets in CN, JP, EU and US (in the main demand regions for an instance that has none of
these), USD/t in the period's own money:

* ``mv_<commodity>_<region>``: the **horizon mean**, periods weighted by their length;
* ``mv_<commodity>_<region>@<year>``: the value in that period, when periods are chosen
  (``compare --period 2030``, ``--periods 2025-2030``); builds and sourcing shares then count only
  those periods too.

``flag_mv_...`` beside each marginal value: the price flags (``;``-separated,
:mod:`optimizer.analysis.price_flags`) of the periods behind it, blank when every one is a price.
``shortfall_periods`` lists the periods with unmet demand, where the marginal values of what is short
are the unmet-demand penalty rather than a price. Parts of the objective beyond the fixed cost
categories (E1's ``demand_response``) follow the categories.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from optimizer.errors import InputError
from optimizer.model import COST_CATEGORIES
from optimizer.statistics import KEY_PRODUCTS, KEY_REGIONS, Statistics, demand_regions, distinct_labels, key_prices

__all__ = ["KEY_PRODUCTS", "KEY_REGIONS", "comparison_row", "comparison_table", "main_demand_regions"]

FLAG_PREFIX = "flag_"  # flag_mv_<commodity>_<region>[@year]: the price flags of the periods behind that value


def main_demand_regions(solution, count: int = 5) -> list[str]:
    """The regions with the largest demand (a Solution, a results folder or its Statistics)."""
    return demand_regions(Statistics.of(solution), count)


def parse_periods(text: str | None, single: Sequence[int] | None = None) -> list[int] | None:
    """``--periods 2025-2030`` (or ``2025,2030``) and repeated ``--period`` as a list of years."""
    years = list(single or [])
    if text:
        for part in str(text).split(","):
            start, _, stop = part.strip().partition("-")
            try:
                first, last = int(start), int(stop or start)
            except ValueError:
                raise InputError(f"--periods '{text}': expected a year range such as 2025-2030") from None
            if last < first:
                raise InputError(f"--periods '{text}': the range ends before it starts")
            years += list(range(first, last + 1))
    return sorted(set(years)) or None


def comparison_row(
    run, regions: list[str], periods: Sequence[int] | None = None, build_columns: str = "region"
) -> dict:
    """The comparison's numbers of one run (a Solution or a results folder); ``build_columns`` is
    ``"region"`` (``built_<region>``, what sweeps count) or ``"stage_region"``."""
    stats = Statistics.of(run)
    summary = stats.summary
    row = {"scenario": stats.label, "status": summary["status"], "objective": summary.get("objective")}
    costs = summary.get("costs") or {}
    row.update({category: costs.get(category) for category in COST_CATEGORIES})
    # parts of the objective beyond the fixed categories (E1's demand_response) are shown too
    row.update({category: value for category, value in costs.items() if category not in row})
    row["unmet_demand"] = summary.get("unmet_demand")
    if stats.table("balance").empty:
        return row
    in_range = [p for p in stats.periods if p in periods] if periods else None
    if periods and not in_range:
        raise InputError(f"no period of {stats.label} is in {periods[0]}-{periods[-1]}: expected {stats.periods}")
    by = ["stage", "region"] if build_columns == "stage_region" else ["region"]
    for key, built in stats.builds(by=by, period=in_range).items():
        row["built_" + ("_".join(key) if isinstance(key, tuple) else key)] = float(built)
    present = set(stats.table("balance")["region"].unique())
    sourced = set(stats.table("sourcing")["region"].unique())
    regions = [r for r in regions if r in sourced]
    if regions:
        kinds = stats.flows(by=["region", "origin_kind"], region=regions, period=in_range, share=True)
        origins = stats.flows(by=["region", "origin"], region=regions, period=in_range, share=True)
        for region in regions:
            mine = kinds.xs(region, level="region") if region in kinds.index.get_level_values(0) else None
            if mine is None:
                continue
            for kind, column in (
                ("domestic_mining", "domestic"),
                ("import_mining", "import"),
                ("recycling", "recycling"),
            ):
                row[f"{column}_{region}"] = float(mine.get(kind, 0.0))
            if "CN" in present:
                row[f"from_CN_{region}"] = float(origins.get((region, "CN"), 0.0))
    prices = key_prices(stats, in_range, regions)
    row.update(prices)
    row.update(_price_flags(stats, prices))
    return row


def _price_flags(stats: Statistics, prices: dict) -> dict:
    """``flag_<column>`` for each marginal value some of whose periods are flagged as not a price."""
    balance = stats.table("balance")
    if "price_flag" not in balance:
        return {}
    flagged = balance[balance["price_flag"].fillna("") != ""]
    found = {}
    for column in prices:
        name, _, year = column.removeprefix("mv_").partition("@")
        commodity, _, region = name.rpartition("_")  # region codes have no underscore (ISO 3166)
        rows = flagged[(flagged["commodity"] == commodity) & (flagged["region"] == region)]
        if year:
            rows = rows[rows["period"] == int(year)]
        if not rows.empty:
            found[FLAG_PREFIX + column] = ";".join(sorted(set(rows["price_flag"])))
    return found


def shortfall_text(run, periods: Sequence[int] | None = None) -> str:
    """The periods with unmet demand (those chosen), as ``"2025 2026"``."""
    return " ".join(str(p) for p in Statistics.of(run).shortfall_periods() if not periods or p in periods)


def comparison_table(
    runs: list, periods: Sequence[int] | None = None, labels: Sequence[str] | None = None
) -> pd.DataFrame:
    """One row per run (Solutions or results folders), regions and columns fixed by the first (the
    reference); ``labels`` name the runs (default: each run's label), made distinct."""
    runs = [Statistics.of(run) for run in runs]
    regions = main_demand_regions(runs[0]) if runs else []
    rows = [comparison_row(run, regions, periods, build_columns="stage_region") for run in runs]
    names = distinct_labels(labels if labels is not None else [row["scenario"] for row in rows])
    for row, name, run in zip(rows, names, runs, strict=True):
        row["scenario"] = name
        row["shortfall_periods"] = shortfall_text(run, periods)
    frame = pd.DataFrame(rows)
    built = sorted(c for c in frame.columns if c.startswith("built_"))
    frame[built] = frame[built].fillna(0.0)
    extra = [c for run in runs for c in (run.summary.get("costs") or {}) if c not in COST_CATEGORIES]
    fixed = ["scenario", "status", "objective", *COST_CATEGORIES, *dict.fromkeys(extra), "unmet_demand"]
    rest = [c for c in frame.columns if c not in fixed and c not in built and c != "shortfall_periods"]
    tail = ["shortfall_periods"] if "shortfall_periods" in frame.columns else []
    return frame[fixed + built + rest + tail]


def builds_table(table: pd.DataFrame) -> pd.DataFrame:
    """The ``built_<stage>_<region>`` columns of a comparison as stage × region rows, one column per run."""
    built = [c for c in table.columns if c.startswith("built_")]
    long = table.set_index("scenario")[built].T
    keys = long.index.str.removeprefix("built_").str.rsplit("_", n=1)
    long.index = pd.MultiIndex.from_tuples([tuple(k) for k in keys], names=["stage", "region"])
    long = long[(long.abs() > 1e-6).any(axis=1)]
    return long.sort_index()
