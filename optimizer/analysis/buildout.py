"""Where capacity is worth building: every candidate build judged at the scenario's marginal values.

``buildout.csv``, one row per process, region and period where processes.csv allows builds:
``built`` (t/yr commissioned in that period), ``capex`` (annualised, USD per t/yr per year),
``value_of_capacity`` (the capacity dual, i.e. what one more t/yr would earn or save each year at the
scenario's marginal values: outputs minus inputs minus operating costs when capacity binds, else 0,
averaged over the years a build of that period would be available, after its lead time) and
``payback_ratio`` = value of capacity / capex: at or above 1 a build pays for itself at these prices;
``value_flag`` ``not_unique`` where a capacity dual of the window is one end of an interval
(activity.csv ``capacity_dual_flag``: one more t/yr saves less than one less costs, as at a candidate
with no capacity that is not built), so the value is an upper end, not the saving of one more t/yr.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.instance.chain import process_stages
from optimizer.instance.expand import build_limit
from optimizer.solution import Solution

COLUMNS = [
    "process",
    "region",
    "period",
    "stage",
    "bloc",
    "built",
    "capex",
    "value_of_capacity",
    "payback_ratio",
    "value_flag",
]


def buildout_table(solution: Solution) -> pd.DataFrame:
    instance = solution.instance
    processes = instance.expanded("processes")
    candidates = processes.loc[build_limit(processes) > 0, ["process", "region", "period", "capex", "lead_time"]]
    if candidates.empty:
        return pd.DataFrame(columns=COLUMNS)
    lengths = pd.Series(instance.period_lengths, index=instance.periods)
    duals = solution["activity"][["process", "region", "period", "capacity_dual", "capacity_dual_flag"]]
    window = candidates.merge(duals.rename(columns={"period": "year"}), on=["process", "region"])
    window = window[window["year"] >= window["period"] + window["lead_time"]]
    window = window.assign(length=window["year"].map(lengths))
    window["weighted"] = window["capacity_dual"] * window["length"]
    window["ambiguous"] = window["capacity_dual_flag"] == "not_unique"
    value = window.groupby(["process", "region", "period"]).agg(
        weighted=("weighted", "sum"), length=("length", "sum"), ambiguous=("ambiguous", "any")
    )
    table = candidates.join(
        (value["weighted"] / value["length"]).rename("value_of_capacity"), on=["process", "region", "period"]
    )
    table["value_of_capacity"] = table["value_of_capacity"].fillna(0.0)
    ambiguous = value["ambiguous"].reindex(pd.MultiIndex.from_frame(table[["process", "region", "period"]]))
    table["value_flag"] = np.where(ambiguous.fillna(False).to_numpy(dtype=bool), "not_unique", "")
    table["capex"] = table["capex"].fillna(0.0)
    table["payback_ratio"] = table["value_of_capacity"] / table["capex"].where(table["capex"] > 0)
    builds = solution["builds"].set_index(["process", "region", "period"])["built"]
    key = pd.MultiIndex.from_frame(table[["process", "region", "period"]])
    table["built"] = builds.reindex(key, fill_value=0.0).to_numpy()
    table = table.merge(process_stages(instance).rename(columns={"process_stage": "stage"}), on="process", how="left")
    table["bloc"] = table["region"].map(instance.table("regions").set_index("region")["bloc"]).fillna("")
    table = table.sort_values(["period", "payback_ratio"], ascending=[True, False], na_position="last")
    return table[COLUMNS].reset_index(drop=True).assign(payback_ratio=lambda f: f["payback_ratio"].astype(float))
