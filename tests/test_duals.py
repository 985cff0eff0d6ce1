"""Marginal values are derivatives of the optimum; the duals close the duality gap."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import optimizer as reeopt
from optimizer.model import build_model
from optimizer.solver import HighsSolver
from tests.builders import chain_instance
from tests.random_instances import random_instance

DELTA = 1e-3


def with_demand(instance, region, commodity, period, extra):
    """The instance with ``extra`` t/yr more demand at one node (a new hard row if it had none)."""
    demand = instance.table("demand").copy()
    hit = (demand["region"] == region) & (demand["commodity"] == commodity) & (demand["period"] == period)
    if hit.any():
        demand.loc[hit, "quantity"] += extra
    else:
        general = (demand["region"] == region) & (demand["commodity"] == commodity) & demand["period"].isna()
        if general.any():
            row = demand[general].iloc[[0]].assign(period=float(period))
            row["quantity"] += extra
        else:
            row = pd.DataFrame(
                [
                    {
                        "line": 0,
                        "region": region,
                        "commodity": commodity,
                        "quantity": extra,
                        "price": np.nan,
                        "penalty": np.nan,
                        "period": float(period),
                    }
                ]
            )
        demand = pd.concat([demand, row], ignore_index=True)
    return instance.replace(tables={**instance.tables, "demand": demand})


def weight(instance, period):
    t = instance.periods.index(period)
    return instance.discount_factors[t] * instance.period_lengths[t]


def check_finite_differences(instance, solution, nodes):
    base = solution.objective
    balance = solution["balance"].set_index(["region", "commodity", "period"])
    for region, commodity, period in nodes:
        mv = balance.loc[(region, commodity, period), "marginal_value"]
        up = reeopt.solve(with_demand(instance, region, commodity, period, DELTA))
        if up.status != "optimal":
            continue  # one more tonne cannot be had there: the derivative is +inf, any MV is below it
        right = (up.objective - base) / (DELTA * weight(instance, period))
        assert mv <= right + 1e-4 * max(1.0, abs(right)), (region, commodity, period, mv, right)
        delivered = solution["delivered"].set_index(["region", "commodity", "period"])
        if (region, commodity, period) in delivered.index and delivered.loc[
            (region, commodity, period), "demand"
        ] > DELTA:
            down = reeopt.solve(with_demand(instance, region, commodity, period, -DELTA))
            left = (base - down.objective) / (DELTA * weight(instance, period))
            assert left - 1e-4 * max(1.0, abs(left)) <= mv, (region, commodity, period, left, mv)


def test_toy_marginal_values_are_finite_differences():
    instance = reeopt.load("toy")
    solution = reeopt.solve(instance)
    check_finite_differences(
        instance,
        solution,
        [
            ("EAST", "ndfeb_magnet", 2025),
            ("EAST", "Dy2O3", 2025),
            ("SOUTH", "NdPr_oxide", 2025),
            ("NORTH", "CeO2", 2025),
        ],
    )


@pytest.mark.parametrize("seed", range(8))
def test_random_marginal_values_bracketed_by_left_and_right_differences(tmp_path, seed):
    instance = reeopt.load(random_instance(tmp_path / "inst", seed, lumpy=False))
    solution = reeopt.solve(instance)
    assert solution.status == "optimal" and solution.summary["duals"] == "lp"
    balance = solution["balance"]
    rng = np.random.default_rng(seed)
    picks = balance.iloc[rng.choice(len(balance), size=min(4, len(balance)), replace=False)]
    check_finite_differences(
        instance, solution, list(zip(picks["region"], picks["commodity"], picks["period"], strict=True))
    )


def dual_objective(lp, result) -> float:
    """Σ row duals × the bound they price + Σ reduced costs × the bound they price + offset."""
    y = np.where(np.abs(result.row_dual) > 1e-9, result.row_dual, 0.0)
    d = np.where(np.abs(result.col_dual) > 1e-9, result.col_dual, 0.0)
    rows = np.where(y > 0, lp.row_lower, np.where(y < 0, lp.row_upper, 0.0))
    cols = np.where(d > 0, lp.col_lower, np.where(d < 0, lp.col_upper, 0.0))
    assert np.isfinite(rows).all() and np.isfinite(cols).all(), "a dual prices an infinite bound"
    return float(y @ rows + d @ cols + lp.offset)


@pytest.mark.parametrize("seed", range(12))
def test_strong_duality(tmp_path, seed):
    instance = reeopt.load(random_instance(tmp_path / "inst", seed, lumpy=False))
    model = build_model(instance)
    result = HighsSolver(model.lp).solve()
    assert result.status == "optimal" and result.has_duals
    assert dual_objective(model.lp, result) == pytest.approx(result.objective, rel=1e-7, abs=1e-6)
    # and the duals price the columns: c = Aᵀy + reduced costs
    np.testing.assert_allclose(
        model.lp.matrix.T @ result.row_dual + result.col_dual, model.lp.col_cost, rtol=1e-7, atol=1e-6
    )


@pytest.mark.parametrize("seed", range(8))
def test_cost_and_value_objectives_agree_when_prices_exceed_costs(tmp_path, seed):
    """Hard demand priced far above any marginal value: both objectives deliver all of it, at the same cost.

    A backstop source at 20,000/t beside every demand keeps each draw feasible, and caps every
    marginal value of a demanded commodity below the price of 50,000.
    """
    folder = random_instance(tmp_path / "inst", seed, hard_demand=True, lumpy=False, price=50_000, backstop=20_000)
    cost = reeopt.solve(folder)
    assert cost.status == "optimal"
    assert cost["balance"]["marginal_value"].max() < 50_000
    value = reeopt.solve(folder, objective="value")
    assert value.status == "optimal"
    delivered = cost["delivered"]
    assert delivered["delivered"].to_numpy() == pytest.approx(delivered["demand"].to_numpy())
    assert value["delivered"]["delivered"].to_numpy() == pytest.approx(delivered["delivered"].to_numpy())
    assert sum(value.summary["costs"].values()) == pytest.approx(cost.objective, rel=1e-7)


@pytest.mark.parametrize("seed", range(6))
def test_value_objective_equals_cost_objective_when_price_equals_penalty(tmp_path, seed):
    """value = Σ price·s − costs = price·demand − (costs + penalty·unmet): the same program up to a constant."""
    folder = random_instance(tmp_path / "inst", seed, lumpy=False, price=900, penalty=900)
    cost, value = reeopt.solve(folder), reeopt.solve(folder, objective="value")
    demand = reeopt.solve(folder)["delivered"]
    weights = [weight(reeopt.load(folder), p) for p in demand["period"]]
    constant = float(np.sum(900 * demand["demand"].to_numpy() * weights))
    assert value.objective == pytest.approx(constant - cost.objective, rel=1e-7)


def test_value_objective_marginal_values_have_the_cost_objectives_sign_and_size():
    """On the toy both objectives deliver the same flows, so every node's marginal value is the same.

    Under the value objective it is the value of one more tonne available at the node: one more
    magnet in EAST saves making one, 1,000 + 0.95 × 1,278 + 0.05 × 3,328 = 2,380.5 (instances/toy/
    README.md), the cost objective's cost of one more tonne demanded; one more tonne of CeO2 in
    NORTH would be disposed of at 10/t, so it is worth −10 under both.
    """
    cost, value = reeopt.solve("toy"), reeopt.solve("toy", objective="value")
    assert value.status == "optimal"
    key = ["region", "commodity", "period"]
    by_value = value["balance"].set_index(key)["marginal_value"]
    assert by_value[("EAST", "ndfeb_magnet", 2025)] == pytest.approx(2_380.5, rel=1e-6)
    assert by_value[("NORTH", "CeO2", 2025)] == pytest.approx(-10, rel=1e-6)
    by_cost = cost["balance"].set_index(key)["marginal_value"]
    assert by_value.to_dict() == pytest.approx(by_cost.to_dict(), rel=1e-6, abs=1e-9)


def capacity_dual_chain(folder, capex, capacity=50):
    """The chain's mine (50 t/yr, buildable up to 100 more at ``capex``); B wants 90 t, unmet at 100/t."""
    return chain_instance(
        folder,
        processes=[
            {"process": "mine", "region": "A", "capacity": capacity, "cost_system": 10}
            | {"capex": capex, "max_build": 100},
            {"process": "refine", "region": "A", "capacity": "", "cost_system": 20},
        ],
        demand=[{"region": "B", "commodity": "metal", "quantity": 90, "penalty": 100}],
    )


def test_capacity_dual_is_the_saving_of_one_more_unit_when_building_does_not_pay(tmp_path):
    """A capacity with a build option is a capacity row; its dual is reported as a saving, >= 0.

    One more t/yr of mining gives 0.9 t metal in B, which saves 0.9 × 100 of penalty and costs
    10 + 20 + 0.9 × 5 = 34.5: it is worth 55.5, below the capex of 80, so nothing is built and the
    row binds at 50 with dual 55.5. Objective 500 + 1,000 + 225 + 45 × 100 = 6,225; with 51 t/yr of
    capacity it is 55.5 lower (the finite difference of the reported dual).
    """
    solution = reeopt.solve(capacity_dual_chain(tmp_path / "c", capex=80))
    assert solution.status == "optimal" and solution["builds"].empty
    mine = solution["activity"].set_index("process").loc["mine"]
    assert mine["capacity"] == pytest.approx(50, rel=1e-6)
    assert mine["capacity_dual"] == pytest.approx(55.5, rel=1e-6)
    assert solution.objective == pytest.approx(6_225, rel=1e-6)
    more = reeopt.solve(capacity_dual_chain(tmp_path / "more", capex=80, capacity=51))
    assert solution.objective - more.objective == pytest.approx(55.5, rel=1e-6)


def test_capacity_dual_is_the_capex_it_saves_when_building_pays(tmp_path):
    """At a capex of 40 (< 55.5) the mine builds the 50 t/yr that serve all 90 t of metal.

    One more t/yr of existing capacity then saves one t/yr of build: the dual is the capex, 40.
    Objective 100 × 10 + 100 × 20 + 90 × 5 + 50 × 40 = 5,450.
    """
    solution = reeopt.solve(capacity_dual_chain(tmp_path / "c", capex=40))
    assert solution.status == "optimal"
    assert solution["builds"]["built"].tolist() == pytest.approx([50], rel=1e-6)
    mine = solution["activity"].set_index("process").loc["mine"]
    assert mine["capacity"] == pytest.approx(100, rel=1e-6)
    assert mine["capacity_dual"] == pytest.approx(40, rel=1e-6)
    assert solution.objective == pytest.approx(5_450, rel=1e-6)
