"""Time in the model by hand: lead times, the period weight of every cost, stocks and reserves in years.

Every instance is the two-region chain of ``tests.builders.chain_instance``: ore mined in A at
10/t, refined in A at 20/t per t ore into 0.9 t metal, metal shipped A→B at 5/t. Serving q t of
metal in B thus costs q / 0.9 × 30 + 5q a year (1,725 for 45 t), before builds and tariffs.
"""

from __future__ import annotations

import pytest

import optimizer as reeopt
from tests.builders import chain_instance

REFINE = {"process": "refine", "region": "A", "capacity": "", "cost_system": 20}


def test_a_lead_time_delays_the_capacity_of_a_build(tmp_path):
    """The mine (50 t/yr) may add capacity at 1/t-yr, ready ``lead_time`` = 2 years after the build.

    Periods 2025, 2026, 2027 (one year each, no discounting); B wants 90 t/yr, unmet at 1,000/t.
    A build of 2025 is ready in 2027, one of 2026 or 2027 only after the horizon. So 2025 and 2026
    run on 50 t ore: 45 t metal, 45 t unmet, 500 + 1,000 + 225 + 45,000 = 46,725 a year; 50 t built
    in 2025 serve all 90 t in 2027: 1,000 + 2,000 + 450 + capex 50 × 1 = 3,500. Objective 96,950.
    The mine's capacity is 50, 50, 100; one more t/yr of it is worth 0.9 × 1,000 − 34.5 = 865.5 in
    2025 and 2026 (it saves 0.9 t unmet) and, in 2027, the 1 of capex it saves.
    """
    folder = chain_instance(
        tmp_path / "lead",
        periods=[2025, 2026, 2027],
        processes=[
            {"process": "mine", "region": "A", "capacity": 50, "cost_system": 10}
            | {"capex": 1, "max_build": 100, "lead_time": 2},
            REFINE,
        ],
        demand=[{"region": "B", "commodity": "metal", "quantity": 90, "penalty": 1000}],
    )
    solution = reeopt.solve(folder)
    assert solution.status == "optimal"
    assert solution.objective == pytest.approx(96_950, rel=1e-6)
    builds = solution["builds"]
    assert builds[["period", "built"]].to_dict("records") == [{"period": 2025, "built": pytest.approx(50, rel=1e-6)}]
    mine = solution["activity"].query("process == 'mine'").set_index("period")
    assert mine["capacity"].to_dict() == pytest.approx({2025: 50, 2026: 50, 2027: 100}, rel=1e-6)
    assert mine["capacity_dual"].to_dict() == pytest.approx({2025: 865.5, 2026: 865.5, 2027: 1.0}, rel=1e-6)
    unmet = solution["delivered"].set_index("period")["unmet"]
    assert unmet.to_dict() == pytest.approx({2025: 45, 2026: 45, 2027: 0}, rel=1e-6, abs=1e-9)
    assert solution.summary["costs"]["capex"] == pytest.approx(50, rel=1e-6)


def test_capex_is_discounted_like_every_other_cost(tmp_path):
    """A mine with no capacity of its own builds 50 t/yr in 2025 at capex 8 per t/yr and year.

    Periods 2025 and 2026 (one year each), discount rate 10 %, base year 2025: weights 1 and 1/1.1.
    B's 45 t/yr need 50 t ore in both years, so the 2025 build serves both and nothing is built in
    2026. Capex is charged each year the capacity stands, discounted: 50 × 8 × (1 + 1/1.1) =
    763.636; in the ledger, 400 in each year's own money. Operation 1,725 a year, so the objective is
    (1,725 + 400) × (1 + 1/1.1) = 4,056.818.
    """
    folder = chain_instance(
        tmp_path / "capex",
        periods=[2025, 2026],
        discount_rate=0.1,
        base_year=2025,
        processes=[
            {"process": "mine", "region": "A", "capacity": 0, "cost_system": 10, "capex": 8, "max_build": 100},
            REFINE,
        ],
    )
    solution = reeopt.solve(folder)
    assert solution.status == "optimal"
    weights = 1 + 1 / 1.1
    assert solution.summary["costs"]["capex"] == pytest.approx(400 * weights, rel=1e-6)
    assert solution.objective == pytest.approx(2_125 * weights, rel=1e-6)
    assert solution["builds"][["period", "built"]].to_dict("records") == [
        {"period": 2025, "built": pytest.approx(50, rel=1e-6)}
    ]
    ledger = solution["costs"].query("category == 'capex'").set_index("period")["amount"]
    assert ledger.to_dict() == pytest.approx({2025: 400, 2026: 400}, rel=1e-6)


def test_an_initial_stock_is_spread_over_the_years_of_the_first_period(tmp_path):
    """B holds 90 t of metal at the start; periods 2025 and 2030 last five years each.

    The stock covers 90 / 5 = 18 t/yr of B's 45 t/yr in 2025 (holding costs 1/t-yr, so none is kept
    for 2030); A ships 27 t/yr in 2025 and 45 t/yr in 2030. Costs per year: 27 / 0.9 × 30 + 27 × 5 =
    1,035 and 1,725; over five years each, 5 × (1,035 + 1,725) = 13,800. balance.csv shows the
    stock change of B's metal in 2025 as −18 t/yr.
    """
    folder = chain_instance(
        tmp_path / "stock",
        periods=[2025, 2030],
        stocks=[{"region": "B", "commodity": "metal", "initial": 90, "holding_cost": 1}],
    )
    solution = reeopt.solve(folder)
    assert solution.status == "optimal"
    shipped = solution["trade"].set_index("period")["shipped"]
    assert shipped.to_dict() == pytest.approx({2025: 27, 2030: 45}, rel=1e-6)
    balance = solution["balance"].set_index(["region", "commodity", "period"])
    assert balance.loc[("B", "metal", 2025), "stock_change"] == pytest.approx(-18, rel=1e-6)
    assert solution.objective == pytest.approx(13_800, rel=1e-6)


def test_a_stock_carried_into_a_shorter_period_is_spread_over_its_own_years(tmp_path):
    """A's ore costs 10/t in 2025 and 50/t in 2030; 2025 lasts five years, 2030 one (period_lengths).

    B's 45 t/yr of metal need 50 t/yr of ore. A stock of ore in A (at most 100 t, holding 1/t-yr)
    carries h tonnes out of 2025: mined over 2025's five years (h / 5 t/yr more), it is held for
    2025's five years (5 × 1 = 5/t) and drawn in 2030's one year (h / 1 t/yr). A stocked tonne costs
    10 + 5 = 15 and saves a 2030 tonne at 50, so the stock covers all of 2030: h = 50, 2030 mines
    nothing. 2025 mines 60 t/yr: (600 + 1,000 + 225) × 5 = 9,125, holding 5 × 50 = 250; 2030:
    1,000 + 225 = 1,225. Objective 10,600. Stock change: +10 t/yr in 2025, −50 t/yr in 2030.
    Marginal value of A's ore: 10 in 2025 (the mine has room); 15 in 2030 (one more tonne there is
    one more tonne stocked).
    """
    folder = chain_instance(
        tmp_path / "carry",
        periods=[2025, 2030],
        period_lengths={2030: 1},
        processes=[
            {"process": "mine", "region": "A", "capacity": 100, "cost_system": 10},
            {"process": "mine", "region": "A", "capacity": 100, "cost_system": 50, "period": 2030},
            REFINE,
        ],
        stocks=[{"region": "A", "commodity": "ore", "initial": 0, "max_level": 100, "holding_cost": 1}],
    )
    solution = reeopt.solve(folder)
    assert solution.status == "optimal"
    assert solution.objective == pytest.approx(10_600, rel=1e-6)
    assert solution.summary["costs"]["holding"] == pytest.approx(250, rel=1e-6)
    mine = solution["activity"].query("process == 'mine'").set_index("period")["activity"]
    assert mine.to_dict() == pytest.approx({2025: 60, 2030: 0}, abs=1e-6)
    ore = solution["balance"].query("region == 'A' and commodity == 'ore'").set_index("period")
    assert ore["stock_change"].to_dict() == pytest.approx({2025: 10, 2030: -50}, rel=1e-6)
    assert ore["marginal_value"].to_dict() == pytest.approx({2025: 10, 2030: 15}, rel=1e-6)


def test_a_reserve_counts_every_year_of_a_period(tmp_path):
    """A's mine (10/t, capacity 100) has a reserve of 400 t; B's mine costs 30/t, its ore 1/t to A.

    Periods 2025 and 2030, five years each, discount rate 10 % (weights 5 and 5 / 1.1⁵). The 50 t/yr
    of ore B's metal needs cost 21/t less from A, worth more early, so A mines 50 t/yr in 2025 (250 t
    of its reserve) and the 150 t left over 2030's five years: 30 t/yr; B mines 20 t/yr in 2030. A
    year costs 500 + 1,000 + 225 = 1,725 in 2025 and 300 + 620 + 1,000 + 225 = 2,145 in 2030:
    objective 5 × 1,725 + 5 × 2,145 / 1.1⁵ = 15,284.38.
    """
    folder = chain_instance(
        tmp_path / "reserve",
        periods=[2025, 2030],
        discount_rate=0.1,
        base_year=2025,
        processes=[
            {"process": "mine", "region": "A", "capacity": 100, "cost_system": 10, "reserve": 400},
            {"process": "mine", "region": "B", "capacity": 100, "cost_system": 30},
            REFINE,
        ],
        trade=[
            {"commodity": "metal", "origin": "A", "destination": "B", "cost": 5},
            {"commodity": "ore", "origin": "B", "destination": "A", "cost": 1},
        ],
    )
    solution = reeopt.solve(folder)
    assert solution.status == "optimal"
    mines = solution["activity"].query("process == 'mine'").set_index(["region", "period"])["activity"]
    assert mines.to_dict() == pytest.approx(
        {("A", 2025): 50, ("A", 2030): 30, ("B", 2025): 0, ("B", 2030): 20}, abs=1e-6
    )
    assert solution.objective == pytest.approx(5 * 1_725 + 5 * 2_145 / 1.1**5, rel=1e-6)


def test_ad_valorem_tariffs_and_disposal_are_weighted_like_every_other_cost(tmp_path):
    """Refining also yields 0.1 t of slag per t ore (disposal 3/t); A→B metal pays 2/t plus 10 %
    of metal's reference price, 100: 12/t.

    Periods 2025 and 2030, five years each, discount rate 10 %: weights 5 and 5 / 1.1⁵ = 3.1046. Each
    year 50 t ore are mined and refined (1,500), 5 t slag disposed (15), 45 t metal shipped (225) and
    taxed (540): 2,280 a year, objective 2,280 × (5 + 3.1046). The summary's tariff is 540 × 8.1046
    and its waste 15 × 8.1046. In each period's own money metal in B is worth (30 + 0.1 × 3) / 0.9
    + 5 + 12 = 50.667 (a tonne of metal takes 1 / 0.9 t ore and leaves 0.1 / 0.9 t slag to dispose
    of) and slag in A −3 (a tonne more demanded saves its disposal).
    """
    weights = 5 * (1 + 1.1**-5)
    folder = chain_instance(
        tmp_path / "weighted",
        periods=[2025, 2030],
        discount_rate=0.1,
        base_year=2025,
        commodities=[
            {"commodity": "ore", "stage": "concentrate"},
            {"commodity": "metal", "stage": "metal", "reference_price": 100},
            {"commodity": "slag", "stage": "metal", "disposal_cost": 3},
        ],
        process_io=[
            {"process": "mine", "commodity": "ore", "direction": "out", "coefficient": 1},
            {"process": "refine", "commodity": "ore", "direction": "in", "coefficient": 1},
            {"process": "refine", "commodity": "metal", "direction": "out", "coefficient": 0.9},
            {"process": "refine", "commodity": "slag", "direction": "out", "coefficient": 0.1},
        ],
        trade=[{"commodity": "metal", "origin": "A", "destination": "B", "cost": 5, "tariff": 2, "tariff_rate": 0.1}],
    )
    solution = reeopt.solve(folder)
    assert solution.status == "optimal"
    assert solution.objective == pytest.approx(2_280 * weights, rel=1e-6)
    assert solution.summary["costs"]["tariff"] == pytest.approx(540 * weights, rel=1e-6)
    assert solution.summary["costs"]["waste"] == pytest.approx(15 * weights, rel=1e-6)
    value = solution["balance"].set_index(["region", "commodity", "period"])["marginal_value"]
    for year in (2025, 2030):
        assert value[("B", "metal", year)] == pytest.approx((30 + 0.3) / 0.9 + 5 + 12, rel=1e-6)
        assert value[("A", "slag", year)] == pytest.approx(-3, rel=1e-6)


def test_summary_totals_count_every_year_of_a_period(tmp_path):
    """A's mine holds 30 t/yr of ore (27 t metal); B wants 45 t/yr at a price of 200, unmet at 1,000/t.

    Periods 2025 and 2030 (five years each), discount rate 10 %: weights 5 and 5 / 1.1⁵, 8.1046 in
    all. Each year 27 t are served (900 + 135 to make and ship) and 18 t go unmet (18,000):
    objective 19,035 × 8.1046, of which penalty 18,000 × 8.1046. ``unmet_demand`` is in tonnes over
    the horizon, 18 × 10 = 180; ``revenue`` is discounted like the costs, 200 × 27 × 8.1046.
    """
    weights = 5 * (1 + 1.1**-5)
    folder = chain_instance(
        tmp_path / "totals",
        periods=[2025, 2030],
        discount_rate=0.1,
        base_year=2025,
        processes=[{"process": "mine", "region": "A", "capacity": 30, "cost_system": 10}, REFINE],
        demand=[{"region": "B", "commodity": "metal", "quantity": 45, "price": 200, "penalty": 1000}],
    )
    solution = reeopt.solve(folder)
    assert solution.status == "optimal"
    assert solution.objective == pytest.approx(19_035 * weights, rel=1e-6)
    assert solution.summary["costs"]["penalty"] == pytest.approx(18_000 * weights, rel=1e-6)
    assert solution.summary["unmet_demand"] == pytest.approx(180, rel=1e-6)
    assert solution.summary["revenue"] == pytest.approx(200 * 27 * weights, rel=1e-6)
