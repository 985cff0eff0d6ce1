"""Properties any correct solver of the model has: monotonicity and unit scaling (FORMULATION.md)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import optimizer as reeopt
from tests.random_instances import random_instance

QUANTITIES = {
    "processes": ["capacity", "max_build", "unit_size", "reserve"],
    "trade": ["capacity"],
    "demand": ["quantity"],
    "quotas": ["limit"],
    "stocks": ["initial", "max_level"],
}


def changed(instance, table, frame):
    return instance.replace(tables={**instance.tables, table: frame})


def scaled(instance, factor):
    tables = dict(instance.tables)
    for table, columns in QUANTITIES.items():
        frame = tables[table].copy()
        for column in columns:
            frame[column] = frame[column] * factor
        tables[table] = frame
    return instance.replace(tables=tables)


@pytest.fixture(params=range(10))
def case(request, tmp_path):
    instance = reeopt.load(random_instance(tmp_path / "inst", request.param))
    solution = reeopt.solve(instance)
    assert solution.status == "optimal"
    return instance, solution


def test_more_capacity_never_raises_the_cost(case):
    instance, base = case
    processes = instance.table("processes").copy()
    processes["capacity"] *= 1.5
    assert reeopt.solve(changed(instance, "processes", processes)).objective <= base.objective * (1 + 1e-9) + 1e-6


def test_a_new_trade_link_never_raises_the_cost(case):
    instance, base = case
    trade = instance.table("trade")
    regions = instance.regions
    existing = set(zip(trade["commodity"], trade["origin"], trade["destination"], strict=True))
    new = [
        (c, o, d)
        for c in instance.commodities
        for o in regions
        for d in regions
        if o != d and (c, o, d) not in existing
    ]
    c, o, d = new[len(new) // 2]
    row = pd.DataFrame(
        [
            {
                "line": 0,
                "commodity": c,
                "origin": o,
                "destination": d,
                "cost": 1.0,
                "tariff": 0.0,
                "tariff_rate": 0.0,
                "loss": 0.0,
                "capacity": np.nan,
                "period": np.nan,
            }
        ]
    )
    wider = changed(instance, "trade", pd.concat([trade, row], ignore_index=True))
    assert reeopt.solve(wider).objective <= base.objective * (1 + 1e-9) + 1e-6


def test_a_ban_never_lowers_the_cost(case):
    instance, base = case
    used = base["trade"]
    if used.empty:
        pytest.skip("nothing is traded in this draw")
    busiest = used.sort_values("shipped").iloc[-1]
    trade = instance.table("trade").copy()
    hit = (
        (trade["commodity"] == busiest["commodity"])
        & (trade["origin"] == busiest["origin"])
        & (trade["destination"] == busiest["destination"])
    )
    trade.loc[hit, "capacity"] = 0.0
    trade.loc[hit, "period"] = np.nan
    banned = reeopt.solve(changed(instance, "trade", trade.drop_duplicates(["commodity", "origin", "destination"])))
    assert banned.objective >= base.objective * (1 - 1e-9) - 1e-6


def test_scaling_every_quantity_by_1000_scales_the_objective_and_no_share(case):
    instance, base = case
    big = reeopt.solve(scaled(instance, 1000.0))
    assert big.objective == pytest.approx(1000.0 * base.objective, rel=1e-6)
    np.testing.assert_allclose(
        big["delivered"]["delivered"] / 1000.0, base["delivered"]["delivered"], rtol=1e-6, atol=1e-6
    )
    mv = base["balance"].set_index(["region", "commodity", "period"])["marginal_value"]
    big_mv = big["balance"].set_index(["region", "commodity", "period"])["marginal_value"]
    if base.summary["duals"] == "lp":  # prices per tonne do not depend on the unit of quantity
        common = mv.index.intersection(big_mv.index)
        np.testing.assert_allclose(big_mv[common], mv[common], rtol=1e-5, atol=1e-5)
