"""Group quotas on trade (export quotas and controls).

.. math::  \\sum_{(c, d) \\in Q} f_{c,o_Q,d,t} \\le limit_{Q,t}

over the commodities and destinations the quota names (blank destinations: every other region).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.model.index import ModelData
from optimizer.model.lp import Family, LPBuilder


def add_quotas(data: ModelData, lp: LPBuilder) -> None:
    quotas = data.quotas
    family = lp.add_rows("quota", quotas[["name", "t"]], -np.inf, quotas["limit"].to_numpy())
    if quotas.empty:
        return
    covered = covered_trade(data, lp.column("trade"))
    lp.add_terms(family.start + covered["quota"].to_numpy(), covered["col"].to_numpy(), 1.0)


def covered_trade(data: ModelData, trade: Family) -> pd.DataFrame:
    """Each quota (its position in ``data.quotas``, one per quota and period) and the trade column
    ``col`` of each link it covers in its period, one row per pair."""
    links = trade.index[["c", "o", "d", "t"]].assign(col=trade.ids)
    return data.quota_links.merge(data.quotas[["quota", "t"]], on="quota").merge(links, on=["c", "o", "d", "t"])
