"""The few numbers of the accounts worth a line in the summary.

Totals over the horizon weight each period's annual figures by its length (tonnes and money in the
periods' own terms, undiscounted).
"""

from __future__ import annotations

import pandas as pd

from optimizer.solution import Solution

ORIGIN_KINDS = ("domestic_mining", "import_mining", "recycling", "stock")


def _over_horizon(frame: pd.DataFrame, column: str, solution: Solution) -> pd.Series:
    lengths = dict(zip(solution.instance.periods, solution.instance.period_lengths, strict=True))
    return frame[column] * frame["period"].map(lengths)


def account_headlines(solution: Solution, regions: int = 5) -> dict:
    """Origin split of the main demand regions, the costliest losses, the largest value added."""
    sourcing = solution["sourcing"]
    headline: dict = {"sourcing": {}, "highest_loss_cost": [], "highest_value_added": None}
    if not sourcing.empty:
        tonnes = sourcing.assign(tonnes=_over_horizon(sourcing, "tonnes", solution))
        by_region = tonnes.groupby("region")["tonnes"].sum().nlargest(regions)
        split = tonnes.groupby(["region", "origin_kind"])["tonnes"].sum()
        for region, total in by_region.items():
            headline["sourcing"][region] = {
                kind: float(split.get((region, kind), 0.0) / total) for kind in ORIGIN_KINDS
            }
    mfca = solution["mfca"]
    if not mfca.empty:
        losses = mfca.assign(cost=_over_horizon(mfca, "to_losses", solution)).groupby(["stage", "region"])["cost"].sum()
        headline["highest_loss_cost"] = [
            {"stage": s, "region": r, "loss_cost": float(v)} for (s, r), v in losses.nlargest(3).items() if v > 0
        ]
    value_added = solution["value_added"]
    marginal = value_added[value_added["basis"] == "marginal_value"]
    if not marginal.empty:
        added = marginal.assign(v=_over_horizon(marginal, "value_added", solution)).groupby(["stage", "region"])["v"]
        (stage, region), value = next(iter(added.sum().nlargest(1).items()))
        headline["highest_value_added"] = {"stage": stage, "region": region, "value_added": float(value)}
    return headline


def headline_lines(summary: dict, currency: str) -> list[str]:
    """The headlines as sentences for the terminal."""
    accounts = summary.get("accounts")
    if not accounts:
        return []
    lines = []
    for region, split in accounts["sourcing"].items():
        parts = [f"{kind.replace('_', ' ')} {share:.0%}" for kind, share in split.items() if share >= 0.005]
        lines.append(f"Sourcing of {region}'s deliveries: " + ", ".join(parts))
    for item in accounts["highest_loss_cost"]:
        lines.append(
            f"Material losses of the {item['stage']} stage in {item['region']} cost "
            f"{item['loss_cost']:,.0f} {currency} over the horizon"
        )
    best = accounts["highest_value_added"]
    if best:
        lines.append(
            f"Highest value added: the {best['stage']} stage in {best['region']}, "
            f"{best['value_added']:,.0f} {currency} at marginal values"
        )
    return lines
