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


def warm(instance: Instance) -> None:
    """Compute once what every solve and account of ``instance`` (and of its scenarios) needs, so that
    scenarios applied to it inherit it (:func:`optimizer.scenario.apply_changes`)."""
    for name in ("processes", "trade", "demand", "commodities", "quotas"):
        instance.expanded(name)
    commodity_table(instance)
    process_stages(instance)
    source_processes(instance)


def commodity_table(instance: Instance) -> pd.DataFrame:
    """commodity → stage, rare_earth (unit blank or in t REO), element_group."""
    return instance.derived(("commodities",), "commodity_table", _commodity_table)


def _commodity_table(instance: Instance) -> pd.DataFrame:
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
    return instance.derived(("process_io", "commodities"), "process_stages", _process_stages)


def _process_stages(instance: Instance) -> pd.DataFrame:
    recipe = instance.table("process_io")
    outputs = recipe[recipe["direction"] == "out"].join(commodity_table(instance), on="commodity")
    outputs = outputs.assign(rank=outputs["rare_earth"].astype(int) * 1e12 + outputs["coefficient"])
    best = outputs.sort_values("rank", kind="stable").groupby("process").tail(1)
    return best[["process", "stage"]].rename(columns={"stage": "process_stage"})


def source_processes(instance: Instance) -> pd.DataFrame:
    """Processes without rare-earth inputs (mines, scrap collection) and the origin kind they stand for:
    ``recycling`` when all their outputs are end-of-life commodities, ``mining`` otherwise."""
    return instance.derived(("process_io", "commodities"), "source_processes", _source_processes)


def _source_processes(instance: Instance) -> pd.DataFrame:
    recipe = instance.table("process_io").join(commodity_table(instance), on="commodity")
    fed = set(recipe.loc[(recipe["direction"] == "in") & recipe["rare_earth"], "process"])
    outputs = recipe[(recipe["direction"] == "out") & ~recipe["process"].isin(fed)]
    end_of_life = outputs.groupby("process")["stage"].agg(lambda s: bool((s == "end_of_life").all()))
    return pd.DataFrame(
        {"process": end_of_life.index, "source_kind": np.where(end_of_life.to_numpy(), "recycling", "mining")}
    )


class NodeIndex:
    """Integer ids of the nodes of a flow network, ``(kind, region, name, period)``, looked up column-wise.

    The tracing systems (sourcing, unit costs) number commodity nodes (kind ``"c"``) and process
    nodes (kind ``"p"``) of all periods at once; a dict is faster here than a pandas MultiIndex.
    """

    def __init__(self, *parts: tuple[str, pd.DataFrame]):
        self.ids: dict[tuple, int] = {}
        for kind, frame in parts:
            for key in zip([kind] * len(frame), *(frame[c].tolist() for c in frame.columns), strict=True):
                self.ids.setdefault(key, len(self.ids))

    def __len__(self) -> int:
        return len(self.ids)

    def locate(self, kind: str, region, name, period) -> np.ndarray:
        """Ids of the nodes named by three equally long columns (-1 where there is none)."""
        keys = zip([kind] * len(region), list(region), list(name), list(period), strict=True)
        return np.fromiter((self.ids.get(key, -1) for key in keys), dtype=np.int64, count=len(region))
