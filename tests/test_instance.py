"""The table rules: period overrides, `*` expansion, blank capacity, period lengths, discounting."""

from __future__ import annotations

import pytest

import optimizer as reeopt
from tests.builders import chain_instance


def test_a_period_row_replaces_the_general_row_for_that_period(tmp_path):
    folder = chain_instance(
        tmp_path / "c",
        periods=[2025, 2026],
        processes=[
            {"process": "mine", "region": "A", "capacity": 100, "cost_system": 10},
            {"process": "mine", "region": "A", "capacity": 100, "cost_system": 40, "period": 2026},
            {"process": "refine", "region": "A", "capacity": "", "cost_system": 20},
        ],
    )
    mv = reeopt.solve(folder)["balance"].set_index(["region", "commodity", "period"])["marginal_value"]
    assert mv[("A", "ore", 2025)] == pytest.approx(10)
    assert mv[("A", "ore", 2026)] == pytest.approx(40)


def test_blank_capacity_is_unlimited_and_zero_is_a_ban(tmp_path):
    """Blank: B's 900 t of metal need 1,000 t/yr of mining and refining, ten times any number in the
    chain, and get them (cost 1,000 × 30 + 900 × 5 = 34,500; activity.csv leaves capacity blank and
    its dual 0). Zero: the refinery is banned, so the same chain cannot serve even 45 t."""
    unlimited = [
        {"process": "mine", "region": "A", "capacity": "", "cost_system": 10},
        {"process": "refine", "region": "A", "capacity": "", "cost_system": 20},
    ]
    solution = reeopt.solve(
        chain_instance(
            tmp_path / "blank", processes=unlimited, demand=[{"region": "B", "commodity": "metal", "quantity": 900}]
        )
    )
    assert solution.status == "optimal"
    assert solution.objective == pytest.approx(34_500, rel=1e-6)
    activity = solution["activity"].set_index("process")
    assert activity["activity"].to_dict() == pytest.approx({"mine": 1_000, "refine": 1_000}, rel=1e-6)
    assert activity["capacity"].isna().all() and (activity["capacity_dual"] == 0).all()

    banned = [unlimited[0], {**unlimited[1], "capacity": 0}]
    solution = reeopt.solve(chain_instance(tmp_path / "zero", processes=banned))
    assert solution.status == "infeasible"
    assert "capacity of refine in A, 2025 (0 t/yr)" in solution.diagnosis.text()


def test_wildcard_trade_rows_expand_and_explicit_rows_win(tmp_path):
    folder = chain_instance(
        tmp_path / "c",
        regions=["A", "B", "C"],
        trade=[
            {"commodity": "metal", "origin": "*", "destination": "*", "cost": 7},
            {"commodity": "metal", "origin": "A", "destination": "B", "cost": 2},
            {"commodity": "metal", "origin": "A", "destination": "*", "cost": 3},
        ],
        demand=[
            {"region": "B", "commodity": "metal", "quantity": 9},
            {"region": "C", "commodity": "metal", "quantity": 9},
        ],
    )
    trade = reeopt.solve(folder)["trade"].set_index(["origin", "destination"])
    per_tonne = trade["cost"] / trade["shipped"]
    assert per_tonne[("A", "B")] == pytest.approx(2)  # the explicit row
    assert per_tonne[("A", "C")] == pytest.approx(3)  # origin named beats *,*


def test_period_lengths_and_discounting_weight_the_objective(tmp_path):
    folder = chain_instance(tmp_path / "c", periods=[2025, 2030], discount_rate=0.1)
    solution = reeopt.solve(folder)
    instance = reeopt.load(folder)
    assert instance.period_lengths == (5.0, 5.0)
    annual = 50 * 10 + 50 * 20 + 45 * 5  # mining, refining, shipping of one year
    expected = annual * 5 * (1 + 1.1**-5)
    assert solution.objective == pytest.approx(expected)
    mv = solution["balance"].set_index(["region", "commodity", "period"])["marginal_value"]
    assert mv[("B", "metal", 2030)] == pytest.approx(30 / 0.9 + 5)  # in the period's own money


def test_reserves_limit_cumulative_activity(tmp_path):
    folder = chain_instance(
        tmp_path / "c",
        periods=[2025, 2026],
        processes=[
            {"process": "mine", "region": "A", "capacity": 100, "cost_system": 10, "reserve": 80},
            {"process": "mine", "region": "B", "capacity": 100, "cost_system": 30},
            {"process": "refine", "region": "A", "capacity": "", "cost_system": 20},
        ],
        trade=[
            {"commodity": "metal", "origin": "A", "destination": "B", "cost": 5},
            {"commodity": "ore", "origin": "B", "destination": "A", "cost": 1},
        ],
    )
    activity = reeopt.solve(folder)["activity"]
    assert activity[(activity["process"] == "mine") & (activity["region"] == "A")]["activity"].sum() == pytest.approx(
        80
    )


def test_stocks_carry_material_between_periods(tmp_path):
    folder = chain_instance(
        tmp_path / "c",
        periods=[2025, 2026],
        processes=[
            {"process": "mine", "region": "A", "capacity": 100, "cost_system": 10},
            {"process": "mine", "region": "A", "capacity": 100, "cost_system": 50, "period": 2026},
            {"process": "refine", "region": "A", "capacity": "", "cost_system": 20},
        ],
        stocks=[{"region": "A", "commodity": "ore", "initial": 0, "max_level": 30, "holding_cost": 1}],
    )
    balance = reeopt.solve(folder)["balance"].set_index(["region", "commodity", "period"])
    # cheap 2025 ore is stocked (up to 30 t) for 2026, when mining costs 50
    assert balance.loc[("A", "ore", 2025), "stock_change"] == pytest.approx(30)
    assert balance.loc[("A", "ore", 2026), "stock_change"] == pytest.approx(-30)


def test_ad_valorem_tariff_uses_the_reference_price(tmp_path):
    folder = chain_instance(
        tmp_path / "c",
        commodities=[
            {"commodity": "ore", "stage": "concentrate"},
            {"commodity": "metal", "stage": "metal", "reference_price": 200},
        ],
        trade=[{"commodity": "metal", "origin": "A", "destination": "B", "cost": 5, "tariff": 1, "tariff_rate": 0.1}],
    )
    costs = reeopt.solve(folder).summary["costs"]
    assert costs["tariff"] == pytest.approx(45 * (1 + 0.1 * 200))
    assert costs["trade"] == pytest.approx(45 * 5)


def test_transit_loss_means_more_is_shipped_than_arrives(tmp_path):
    folder = chain_instance(
        tmp_path / "c", trade=[{"commodity": "metal", "origin": "A", "destination": "B", "cost": 5, "loss": 0.1}]
    )
    trade = reeopt.solve(folder)["trade"].iloc[0]
    assert trade["arrived"] == pytest.approx(45) and trade["shipped"] == pytest.approx(50)
