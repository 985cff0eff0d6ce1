"""History next to the optimum: what least-cost sourcing within the same quotas and demand would have
changed (issue: "how far the real chain was from it")."""

from __future__ import annotations

import pandas as pd

from optimizer.solution import Solution

KEY_OXIDES = ("NdPr_oxide", "Dy2O3", "Tb4O7")


def counterfactual_tables(history: Solution, optimum: Solution, region: str = "CN") -> dict[str, pd.DataFrame]:
    """``costs`` (the two totals and the saving), ``sourcing`` (origin split of the region's deliveries),
    ``binding`` (the region's capacities with a positive dual in the optimum: quotas that bind) and
    ``marginal_values`` (NdPr, Dy, Tb oxides in the region by year, both runs)."""
    costs = pd.DataFrame(
        [
            {"run": "history (account)", "total_cost": history.objective},
            {"run": "least cost (solve)", "total_cost": optimum.objective},
        ]
    )
    costs["saving_vs_history"] = history.objective - costs["total_cost"]

    def split(solution: Solution, run: str) -> pd.DataFrame:
        sourcing = solution["sourcing"]
        sourcing = sourcing[sourcing["region"] == region]
        share = sourcing.groupby("origin_kind")["tonnes"].sum() / sourcing["tonnes"].sum()
        return share.rename(run)

    sourcing = pd.concat([split(history, "history"), split(optimum, "least_cost")], axis=1).fillna(0.0)

    activity = optimum["activity"]
    binding = activity[(activity["region"] == region) & (activity["capacity_dual"] > 1e-6)]
    binding = (
        binding.groupby("process")
        .agg(periods=("period", "count"), mean_capacity_dual=("capacity_dual", "mean"))
        .sort_values("mean_capacity_dual", ascending=False)
        .reset_index()
    )

    def values(solution: Solution, run: str) -> pd.DataFrame:
        balance = solution["balance"]
        chosen = balance[(balance["region"] == region) & balance["commodity"].isin(KEY_OXIDES)]
        return chosen.assign(run=run)[["commodity", "run", "period", "marginal_value"]]

    marginal = pd.concat([values(history, "history"), values(optimum, "least_cost")])
    marginal = marginal.pivot(index=["commodity", "run"], columns="period", values="marginal_value")
    marginal.columns = [str(period) for period in marginal.columns]
    return {
        "costs": costs,
        "sourcing": sourcing.reset_index(names="origin_kind"),
        "binding": binding,
        "marginal_values": marginal.reset_index(),
    }
