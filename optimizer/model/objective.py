"""The objective: discounted costs by category (cost objective) or value minus costs (value objective).

Every term of period t is weighted by ``disc[t] * len[t]``. Costs are kept per category
(``cost_parts``) so that summaries and MFCA add up exactly what the solver minimised:

* activity: ``system``, ``energy``, ``material``, ``waste`` per unit of activity;
* trade: ``trade`` (cost per tonne shipped) and ``tariff`` (per tonne plus ad valorem rate times
  the commodity's reference price);
* build: ``capex``, charged every period the new capacity is available;
* disposal: ``waste`` (the commodity's disposal cost); stock: ``holding``;
* delivery: ``penalty`` of unmet demand (cost objective, as ``-penalty * s`` plus a constant) or
  ``revenue`` (value objective, as ``-price * s``: the program is always minimised);
* elastic steps (E1, :mod:`optimizer.model.elastic_demand`): ``demand_response`` (cost objective,
  the welfare form, its constant in the offset) or ``revenue`` (value objective).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.model.elastic_demand import core_quantity, core_value, step_objective
from optimizer.model.index import ModelData
from optimizer.model.lp import LPBuilder

COST_CATEGORIES = ("system", "energy", "material", "waste", "trade", "tariff", "capex", "holding", "penalty")


def objective_parts(
    data: ModelData, lp: LPBuilder, availability: pd.DataFrame
) -> tuple[dict[str, np.ndarray], np.ndarray, float]:
    """Per-category objective coefficients, their sum, and the constant offset."""
    weight = data.weight
    parts = {name: np.zeros(lp.n_cols) for name in COST_CATEGORIES + ("revenue",)}

    activity = lp.column("activity")
    w = weight[activity.index["t"].to_numpy()]
    for category in ("system", "energy", "material", "waste"):
        parts[category][activity.start : activity.stop] = w * data.processes[f"cost_{category}"].to_numpy()

    build = lp.column("build")
    if build.size:
        buildable = data.processes[data.processes["max_build"] > 0].reset_index(drop=True)
        charged = np.zeros(build.size)
        np.add.at(charged, availability["build"].to_numpy(), weight[availability["t"].to_numpy()])
        parts["capex"][build.start : build.stop] = (
            buildable["capex"].to_numpy() * build.index["unit"].to_numpy() * charged
        )

    trade = lp.column("trade")
    link, flows = trade.index, data.trade
    t = link["t"].to_numpy()
    parts["trade"][trade.start : trade.stop] = weight[t] * flows["cost"].to_numpy()
    reference = np.nan_to_num(data.reference_price[link["c"].to_numpy(), t])
    parts["tariff"][trade.start : trade.stop] = weight[t] * (
        flows["tariff"].to_numpy() + flows["tariff_rate"].to_numpy() * reference
    )

    disposal = lp.column("disposal")
    d = disposal.index
    parts["waste"][disposal.start : disposal.stop] = (
        weight[d["t"].to_numpy()] * data.disposal_cost[d["c"].to_numpy(), d["t"].to_numpy()]
    )

    stock = lp.column("stock")
    h = stock.index.merge(data.stocks[["r", "c", "holding_cost"]], on=["r", "c"], how="left")
    parts["holding"][stock.start : stock.stop] = weight[h["t"].to_numpy()] * h["holding_cost"].to_numpy()

    delivery = lp.column("delivery")
    demand = data.demand
    w = weight[demand["t"].to_numpy()]
    offset = step_objective(data, lp, parts)
    if data.objective == "value":
        parts["revenue"][delivery.start : delivery.stop] = -w * core_value(data)
    else:
        penalty = np.nan_to_num(demand["penalty"].to_numpy())
        parts["penalty"][delivery.start : delivery.stop] = -w * penalty
        offset += float(np.sum(w * penalty * core_quantity(data)))
    total = np.zeros(lp.n_cols)
    for part in parts.values():
        total += part
    return parts, total, offset
