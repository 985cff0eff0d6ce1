"""The physical flows of a solution, one row per process, commodity and period, in the instance's names.

The accounts (sourcing, MFA, MFCA) all start from here: activity times recipe, with each
commodity's stage and whether it bears rare earths, and each process attributed to a *stage* (the
stage of its largest rare-earth output), which is the quantity centre of the MFA and MFCA.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.instance import Instance
from optimizer.instance.chain import commodity_table, process_stages
from optimizer.solution import Solution

ZERO = 1e-9


def reference_prices(instance: Instance) -> pd.Series:
    """Reference price per (commodity, period); missing where commodities.csv gives none."""
    prices = instance.expanded("commodities")
    return prices.set_index(["commodity", "period"])["reference_price"].dropna()


def process_flows(solution: Solution) -> pd.DataFrame:
    """Columns: process, region, period, commodity, direction, tonnes, stage, rare_earth, process_stage.

    Computed once per solution's activity table (sourcing, MFA and MFCA each start from here) and
    handed out as a copy, so that a caller may add columns.
    """
    activity = solution.tables.get("activity")
    cached = getattr(solution, "_process_flows", None)
    if cached is None or cached[0] is not activity:
        cached = (activity, _process_flows(solution))
        solution._process_flows = cached
    return cached[1].copy()


def forget_flows(solution: Solution) -> None:
    """Drop the process flows kept on ``solution`` by :func:`process_flows`."""
    solution.__dict__.pop("_process_flows", None)


def _process_flows(solution: Solution) -> pd.DataFrame:
    instance = solution.instance
    activity = solution["activity"]
    activity = activity[activity["activity"] > ZERO]
    recipe = instance.table("process_io")[["process", "commodity", "direction", "coefficient"]]
    flows = activity[["process", "region", "period", "activity"]].merge(recipe, on="process")
    flows["tonnes"] = flows["activity"] * flows["coefficient"]
    flows = flows.drop(columns="coefficient").join(commodity_table(instance)[["stage", "rare_earth"]], on="commodity")
    return flows.merge(process_stages(instance), on="process", how="left")


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
        keys = zip([kind] * len(region), _listed(region), _listed(name), _listed(period), strict=True)
        return np.fromiter((self.ids.get(key, -1) for key in keys), dtype=np.int64, count=len(region))


def _listed(values) -> list:
    """A column as a Python list: ``tolist`` converts Arrow strings in C, ``list`` one at a time."""
    return values.tolist() if hasattr(values, "tolist") else list(values)
