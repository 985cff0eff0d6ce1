"""The physical flows of a solution, one row per process, commodity and period, in the instance's names.

The accounts (sourcing, MFA, MFCA) all start from here: activity times recipe, with each
commodity's stage and whether it bears rare earths, and each process attributed to a *stage* (the
stage of its largest rare-earth output), which is the quantity centre of the MFA and MFCA.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.instance import Instance
from optimizer.solution import Solution

ZERO = 1e-9


def commodity_table(instance: Instance) -> pd.DataFrame:
    """commodity → stage, rare_earth (unit blank or in t REO), element_group."""
    table = instance.table("commodities")
    general = table[table["period"].isna()].set_index("commodity")
    unit = general["unit"].str.lower()
    return pd.DataFrame(
        {
            "stage": general["stage"],
            "rare_earth": (unit == "") | unit.str.contains("reo"),
            "element_group": general["element_group"],
        }
    )


def reference_prices(instance: Instance) -> pd.Series:
    """Reference price per (commodity, period); missing where commodities.csv gives none."""
    prices = instance.expanded("commodities")
    return prices.set_index(["commodity", "period"])["reference_price"].dropna()


def process_flows(solution: Solution) -> pd.DataFrame:
    """Columns: process, region, period, commodity, direction, tonnes, stage, rare_earth, process_stage."""
    instance = solution.instance
    activity = solution["activity"]
    activity = activity[activity["activity"] > ZERO]
    recipe = instance.table("process_io")[["process", "commodity", "direction", "coefficient"]]
    flows = activity[["process", "region", "period", "activity"]].merge(recipe, on="process")
    flows["tonnes"] = flows["activity"] * flows["coefficient"]
    flows = flows.drop(columns="coefficient").join(commodity_table(instance)[["stage", "rare_earth"]], on="commodity")
    return flows.merge(process_stages(instance), on="process", how="left")


def process_stages(instance: Instance) -> pd.DataFrame:
    """The stage each process belongs to: that of its largest rare-earth output (else largest output)."""
    recipe = instance.table("process_io")
    outputs = recipe[recipe["direction"] == "out"].join(commodity_table(instance), on="commodity")
    outputs = outputs.assign(rank=outputs["rare_earth"].astype(int) * 1e12 + outputs["coefficient"])
    best = outputs.sort_values("rank", kind="stable").groupby("process").tail(1)
    return best[["process", "stage"]].rename(columns={"stage": "process_stage"})


def source_processes(instance: Instance) -> pd.DataFrame:
    """Processes without rare-earth inputs (mines, scrap collection) and the origin kind they stand for:
    ``recycling`` when all their outputs are end-of-life commodities, ``mining`` otherwise."""
    recipe = instance.table("process_io").join(commodity_table(instance), on="commodity")
    fed = set(recipe.loc[(recipe["direction"] == "in") & recipe["rare_earth"], "process"])
    outputs = recipe[(recipe["direction"] == "out") & ~recipe["process"].isin(fed)]
    end_of_life = outputs.groupby("process")["stage"].agg(lambda s: bool((s == "end_of_life").all()))
    return pd.DataFrame(
        {"process": end_of_life.index, "source_kind": np.where(end_of_life.to_numpy(), "recycling", "mining")}
    )
