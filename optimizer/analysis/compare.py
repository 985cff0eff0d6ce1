"""Scenarios side by side: one row per scenario of ``comparison.csv``.

Columns: scenario, status, objective, the cost categories, unmet_demand (t over the horizon),
``built_<region>`` (new capacity, t/yr summed over processes and periods), for the main demand
regions ``domestic_<region>``, ``import_<region>``, ``recycling_<region>`` and ``from_CN_<region>``
(shares of the region's deliveries by origin, tonnes over the horizon), and ``mv_<commodity>_<region>``
(marginal value, USD/t, mean over the periods weighted by their length; blank where the node has no
flow) for NdPr oxide, Dy2O3, Tb4O7 and NdFeB magnets in CN, JP, EU and US (in the main demand
regions for an instance that has none of these), and ``flag_mv_<commodity>_<region>``: the price
flags (``;``-separated, :mod:`optimizer.analysis.price_flags`) of the periods behind that mean,
blank when every one is a price.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.model import COST_CATEGORIES
from optimizer.solution import Solution

KEY_PRODUCTS = ("NdPr_oxide", "Dy2O3", "Tb4O7", "ndfeb_magnet")
KEY_REGIONS = ("CN", "JP", "EU", "US")
FLAG_PREFIX = "flag_"  # flag_mv_<commodity>_<region>: the price flags of some period behind that mean


def main_demand_regions(solution: Solution, count: int = 5) -> list[str]:
    delivered = solution.tables.get("delivered")
    if delivered is None or delivered.empty:
        return []
    return delivered.groupby("region")["demand"].sum().nlargest(count).index.tolist()


def comparison_row(solution: Solution, regions: list[str]) -> dict:
    summary = solution.summary
    row = {"scenario": solution.instance.scenario, "status": summary["status"], "objective": summary["objective"]}
    costs = summary["costs"] or {}
    row.update({category: costs.get(category) for category in COST_CATEGORIES})
    # parts of the objective beyond the fixed categories (E1's demand_response) are shown too
    row.update({category: value for category, value in costs.items() if category not in row})
    row["unmet_demand"] = summary.get("unmet_demand")
    if not solution.tables:
        return row
    instance = solution.instance
    lengths = dict(zip(instance.periods, instance.period_lengths, strict=True))
    builds = solution["builds"]
    for region, built in builds.groupby("region")["built"].sum().items():
        row[f"built_{region}"] = float(built)
    sourcing = solution["sourcing"].assign(weighted=lambda f: f["tonnes"] * f["period"].map(lengths))
    for region in regions:
        mine = sourcing[sourcing["region"] == region]
        total = mine["weighted"].sum()
        if total <= 0:
            continue
        kinds = mine.groupby("origin_kind")["weighted"].sum() / total
        row[f"domestic_{region}"] = float(kinds.get("domestic_mining", 0.0))
        row[f"import_{region}"] = float(kinds.get("import_mining", 0.0))
        row[f"recycling_{region}"] = float(kinds.get("recycling", 0.0))
        if "CN" in instance.regions:
            row[f"from_CN_{region}"] = float(mine.loc[mine["origin_region"] == "CN", "weighted"].sum() / total)
    balance = solution["balance"]
    key_regions = [r for r in KEY_REGIONS if r in instance.regions] or regions
    chosen = balance[balance["commodity"].isin(KEY_PRODUCTS) & balance["region"].isin(key_regions)]
    chosen = chosen.assign(length=chosen["period"].map(lengths))
    for (commodity, region), group in chosen.groupby(["commodity", "region"]):
        row[f"mv_{commodity}_{region}"] = float(np.average(group["marginal_value"], weights=group["length"]))
        if "price_flag" in group:  # analysis/price_flags.py: which periods' values are not prices
            flags = sorted(set(group["price_flag"]) - {""})
            if flags:
                row[f"{FLAG_PREFIX}mv_{commodity}_{region}"] = ";".join(flags)
    return row


def comparison_table(solutions: list[Solution]) -> pd.DataFrame:
    """One row per solution, regions and columns fixed by the first (the reference) scenario."""
    regions = main_demand_regions(solutions[0]) if solutions else []
    rows = [comparison_row(solution, regions) for solution in solutions]
    frame = pd.DataFrame(rows)
    built = sorted(c for c in frame.columns if c.startswith("built_"))
    frame[built] = frame[built].fillna(0.0)
    extra_costs = [c for s in solutions for c in (s.summary["costs"] or {}) if c not in COST_CATEGORIES]
    fixed = ["scenario", "status", "objective", *COST_CATEGORIES, *dict.fromkeys(extra_costs), "unmet_demand"]
    rest = [c for c in frame.columns if c not in fixed and c not in built]
    return frame[fixed + built + rest]


def differences(table: pd.DataFrame) -> pd.DataFrame:
    """Numeric columns as differences to the first scenario (the first row keeps its values)."""
    numeric = table.select_dtypes("number")
    delta = numeric - numeric.iloc[0]
    delta.iloc[0] = numeric.iloc[0]
    return pd.concat([table[["scenario", "status"]], delta], axis=1)
