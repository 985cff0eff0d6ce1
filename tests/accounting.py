"""What MFCA must add up to: every cost of the solution plus its rare-earth inputs at marginal values."""

from __future__ import annotations

import numpy as np
import pandas as pd


def period_weights(instance) -> dict[int, float]:
    """``disc[t] * len[t]`` per period."""
    weights = np.array(instance.discount_factors) * np.array(instance.period_lengths)
    return dict(zip(instance.periods, weights, strict=True))


def mfca_allocated_and_expected(solution) -> tuple[float, float]:
    """Σ (to_products + to_losses) of mfca.csv, and what it must equal: the costs (without penalty)
    plus process inputs valued at their node's marginal value plus shipments valued at their origin's,
    all weighted by ``disc·len``."""
    weight = period_weights(solution.instance)
    mfca = solution["mfca"]
    allocated = ((mfca["to_products"] + mfca["to_losses"]) * mfca["period"].map(weight)).sum()
    costs = sum(v for k, v in solution.summary["costs"].items() if k != "penalty")
    mv = solution["balance"].set_index(["region", "commodity", "period"])["marginal_value"]
    recipe = solution.instance.table("process_io")
    activity = solution["activity"].merge(recipe[recipe["direction"] == "in"], on="process")
    at_node = pd.MultiIndex.from_frame(activity[["region", "commodity", "period"]])
    inputs = (
        activity["activity"]
        * activity["coefficient"]
        * mv.reindex(at_node).fillna(0).to_numpy()
        * activity["period"].map(weight)
    ).sum()
    trade = solution["trade"]
    at_origin = pd.MultiIndex.from_frame(trade[["origin", "commodity", "period"]])
    imports = (trade["shipped"] * mv.reindex(at_origin).to_numpy() * trade["period"].map(weight)).sum()
    return float(allocated), float(costs + inputs + imports)
