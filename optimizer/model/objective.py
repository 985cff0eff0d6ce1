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

from optimizer.model.elastic_demand import FAMILY, OBJECTIVE_PART, core_quantity, core_value, step_objective
from optimizer.model.index import ModelData
from optimizer.model.lp import LPBuilder

COST_CATEGORIES = ("system", "energy", "material", "waste", "trade", "tariff", "capex", "holding", "penalty")


def objective_parts(
    data: ModelData, lp: LPBuilder, availability: pd.DataFrame
) -> tuple[dict[str, np.ndarray], np.ndarray, float]:
    """Per-category objective coefficients, their sum, and the constant offset."""
    weight = data.weight
    parts = {name: np.zeros(lp.n_cols) for name in COST_CATEGORIES + ("revenue",)}
    written: dict[str, set[str]] = {}  # family -> the categories with coefficients on its columns

    def put(category: str, family, values) -> None:
        parts[category][family.start : family.stop] = values
        written.setdefault(family.name, set()).add(category)

    activity = lp.column("activity")
    w = weight[activity.index["t"].to_numpy()]
    for category in ("system", "energy", "material", "waste"):
        put(category, activity, w * data.processes[f"cost_{category}"].to_numpy())

    build = lp.column("build")
    if build.size:
        buildable = data.processes[data.processes["max_build"] > 0].reset_index(drop=True)
        charged = np.zeros(build.size)
        np.add.at(charged, availability["build"].to_numpy(), weight[availability["t"].to_numpy()])
        put("capex", build, buildable["capex"].to_numpy() * build.index["unit"].to_numpy() * charged)

    trade = lp.column("trade")
    link, flows = trade.index, data.trade
    t = link["t"].to_numpy()
    w = weight[t]
    put("trade", trade, w * flows["cost"].to_numpy())
    reference = np.nan_to_num(data.reference_price[link["c"].to_numpy(), t])
    put("tariff", trade, w * (flows["tariff"].to_numpy() + flows["tariff_rate"].to_numpy() * reference))

    disposal = lp.column("disposal")
    d = disposal.index
    put("waste", disposal, weight[d["t"].to_numpy()] * data.disposal_cost[d["c"].to_numpy(), d["t"].to_numpy()])

    stock = lp.column("stock")
    if stock.size:  # each column's stock: declared stocks are unique per region and commodity
        declared = data.stocks["r"].to_numpy() * len(data.commodities) + data.stocks["c"].to_numpy()
        order = np.argsort(declared, kind="stable")
        own = stock.index["r"].to_numpy() * len(data.commodities) + stock.index["c"].to_numpy()
        holding = data.stocks["holding_cost"].to_numpy()[order[np.searchsorted(declared, own, sorter=order)]]
        put("holding", stock, weight[stock.index["t"].to_numpy()] * holding)

    delivery = lp.column("delivery")
    demand = data.demand
    w = weight[demand["t"].to_numpy()]
    offset = step_objective(data, lp, parts)
    written[FAMILY] = {"revenue", OBJECTIVE_PART}
    if data.objective == "value":
        put("revenue", delivery, -w * core_value(data))
    else:
        penalty = np.nan_to_num(demand["penalty"].to_numpy())
        put("penalty", delivery, -w * penalty)
        offset += float(np.sum(w * penalty * core_quantity(data)))
    return parts, _total(lp, parts, written), offset


def _total(lp: LPBuilder, parts: dict[str, np.ndarray], written: dict[str, set[str]]) -> np.ndarray:
    """``Σ parts``, added family by family over only the categories written on its columns, in the
    order of ``parts`` (every other category is +0.0 there: the same sums, bit for bit)."""
    total = np.zeros(lp.n_cols)
    for name, categories in written.items():
        family = lp.column(name)
        for category, part in parts.items():
            if category in categories:
                total[family.start : family.stop] += part[family.start : family.stop]
    return total
