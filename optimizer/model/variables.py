"""The variables of FORMULATION.md, one column family each, with their bounds.

=========  ===============  ============================================================
family     index            meaning and bounds
=========  ===============  ============================================================
activity   p, r, t          ``z`` activity per year; ``min <= z <= cap`` when no build can add
                            capacity (the bound is the capacity constraint), else ``z >= 0``
build      p, r, t          ``k / unit_size`` new capacity commissioned in t, in units
                            (integer when ``unit_size`` is given); ``<= max_build``
trade      c, o, d, t       ``f`` tonnes shipped per year; ``<= tcap`` (0 is a ban)
delivery   r, c, t          ``s`` delivered to final demand; ``s = dem`` when demand is hard,
                            ``0 <= s <= dem`` otherwise (unmet ``u = dem - s`` is implied);
                            on a demand curve ``dem`` is ``Q(1 - band)`` and the rest of the
                            delivery is in ``elastic_step`` (:mod:`optimizer.model.elastic_demand`)
disposal   r, c, t          ``w`` disposed or stockpiled as an unwanted co-product
stock      r, c, t          ``h`` stock level at the end of t; ``<= max_level``
=========  ===============  ============================================================

Substituting ``u = dem - s`` removes the demand rows altogether: the demand constraint becomes a
bound on ``s``, and the penalty of unmet demand a constant minus ``penalty * s`` in the objective.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.model.elastic_demand import core_quantity
from optimizer.model.index import INF, ModelData
from optimizer.model.lp import LPBuilder


def build_availability(data: ModelData) -> pd.DataFrame:
    """Which build (row of ``processes`` with builds allowed) adds capacity in which period.

    Capacity commissioned in period ``tau`` is available in every period ``t`` with
    ``year[t] >= year[tau] + lead_time`` and stays for the rest of the horizon.
    Columns: ``build`` (position among build columns), ``p``, ``r``, ``t`` (period available).
    """
    procs = data.processes
    buildable = procs[procs["max_build"] > 0].reset_index(drop=True)
    ready_year = data.periods[buildable["t"].to_numpy()] + buildable["lead_time"].to_numpy()
    pairs = pd.DataFrame(
        {"build": np.arange(len(buildable)), "p": buildable["p"], "r": buildable["r"], "ready": ready_year}
    ).merge(pd.DataFrame({"t": np.arange(data.n_periods), "year": data.periods}), how="cross")
    pairs = pairs[pairs["year"] >= pairs["ready"]]
    return pairs[["build", "p", "r", "t"]].reset_index(drop=True)


def activity_columns(data: ModelData, availability: pd.DataFrame):
    procs = data.processes

    def key(frame: pd.DataFrame) -> np.ndarray:  # one integer per (process, region, period)
        p, r, t = (frame[c].to_numpy(dtype=np.int64) for c in ("p", "r", "t"))
        return (p * len(data.regions) + r) * data.n_periods + t

    expandable = np.isin(key(procs), key(availability))  # some build adds capacity to it in t
    capacity = procs["capacity"].to_numpy()
    upper = np.where(expandable, INF, capacity)
    index = procs[["p", "r", "t"]].assign(capacity_row=expandable & np.isfinite(capacity))
    # min_activity (processes.csv) is a calibration floor, e.g. a base year held to observed output
    return index, procs["min_activity"].to_numpy(dtype=float), upper, False


def build_columns(data: ModelData):
    procs = data.processes
    buildable = procs[procs["max_build"] > 0].reset_index(drop=True)
    unit = buildable["unit_size"].to_numpy()
    lumpy = ~np.isnan(unit)
    unit = np.where(lumpy, unit, 1.0)
    upper = np.where(lumpy, np.floor(buildable["max_build"].to_numpy() / unit + 1e-9), buildable["max_build"])
    index = pd.DataFrame({"p": buildable["p"], "r": buildable["r"], "t": buildable["t"], "unit": unit})
    return index, 0.0, upper, lumpy


def trade_columns(data: ModelData):
    trade = data.trade
    return trade[["c", "o", "d", "t", "loss"]], 0.0, trade["capacity"].to_numpy(), False


def delivery_columns(data: ModelData):
    demand = data.demand
    quantity = core_quantity(data)  # on a demand curve, the tonnes below its band (elastic_demand.py)
    hard = demand["penalty"].isna().to_numpy() & (data.objective == "cost")
    return demand[["r", "c", "t"]], np.where(hard, quantity, 0.0), quantity, False


def disposal_columns(data: ModelData):
    """Disposal wherever something can arrive: process outputs, trade arrivals, declared stocks."""
    procs, recipe = data.processes, data.recipe
    outputs = procs[["p", "r", "t"]].merge(recipe[recipe["coefficient"] > 0], on="p")
    stocks = data.stocks.merge(pd.DataFrame({"t": np.arange(data.n_periods)}), how="cross")
    codes = np.unique(
        np.concatenate(
            [
                data.node_code(outputs["r"], outputs["c"], outputs["t"]),
                data.node_code(data.trade["d"], data.trade["c"], data.trade["t"]),
                data.node_code(stocks["r"], stocks["c"], stocks["t"]),
            ]
        )
    )
    r, c, t = data.node_parts(codes)
    return pd.DataFrame({"r": r, "c": c, "t": t}), 0.0, INF, False


def stock_columns(data: ModelData):
    stocks = data.stocks.merge(pd.DataFrame({"t": np.arange(data.n_periods)}), how="cross")
    return stocks[["r", "c", "t"]], 0.0, stocks["max_level"].to_numpy(), False


def column_specs(data: ModelData, availability: pd.DataFrame) -> dict:
    """Each family's (index, lower, upper, integer), in the order of the program's columns."""
    return {
        "activity": activity_columns(data, availability),
        "build": build_columns(data),
        "trade": trade_columns(data),
        "delivery": delivery_columns(data),
        "disposal": disposal_columns(data),
        "stock": stock_columns(data),
    }


def add_variables(data: ModelData, lp: LPBuilder, availability: pd.DataFrame) -> None:
    for name, (index, lower, upper, integer) in column_specs(data, availability).items():
        lp.add_columns(name, index, lower, upper, integer=integer)
