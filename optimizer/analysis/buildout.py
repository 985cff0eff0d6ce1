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
``total_cap`` is the process and region's ``max_build_total`` (t/yr over the horizon, blank: none)
and ``total_cap_dual`` its row's dual (constraints.csv ``build_total_limit``): the change of the
discounted total cost per t/yr more of cap, ≤ 0 where the cap binds. A build that would pay
(payback ≥ 1) but is not made is held back by such a cap or by ``max_build``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.instance.chain import process_stages
from optimizer.instance.expand import build_limit, undated_rows
from optimizer.labels import index_text
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
    "total_cap",
    "total_cap_dual",
]
CAP_FAMILY = "build_total_limit"  # the Pyomo name of the total build cap rows (model/registry.py)


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
    table = table.join(_total_caps(solution), on=["process", "region"])
    table = table.merge(process_stages(instance).rename(columns={"process_stage": "stage"}), on="process", how="left")
    table["bloc"] = table["region"].map(instance.table("regions").set_index("region")["bloc"]).fillna("")
    table = table.sort_values(["period", "payback_ratio"], ascending=[True, False], na_position="last")
    return table[COLUMNS].reset_index(drop=True).assign(payback_ratio=lambda f: f["payback_ratio"].astype(float))


def _total_caps(solution: Solution) -> pd.DataFrame:
    """Each (process, region)'s ``max_build_total`` and its row's dual, blank where there is none."""
    processes = solution.instance.table("processes")
    holders = processes.iloc[undated_rows(processes)]  # where the model reads it (a drop may leave dated rows)
    caps = holders.loc[holders["max_build_total"].notna()]
    caps = caps.set_index(["process", "region"])["max_build_total"].rename("total_cap")
    constraints = solution.tables.get("constraints", pd.DataFrame(columns=["family", "index", "dual"]))
    rows = constraints[constraints["family"] == CAP_FAMILY].set_index("index")["dual"]
    keys = [index_text(key) for key in caps.index]
    dual = pd.Series(rows.reindex(keys).to_numpy(dtype=float), index=caps.index, name="total_cap_dual")
    return pd.concat([caps, dual], axis=1)
