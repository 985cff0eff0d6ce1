"""Terms of trade by hand: ad valorem tariffs priced in the shipment's period, quotas on listed destinations."""

from __future__ import annotations

import pytest

import optimizer as reeopt
from tests.builders import chain_instance

ORE = {"commodity": "ore", "stage": "concentrate"}


def test_ad_valorem_tariff_uses_the_reference_price_of_the_shipment_period(tmp_path):
    """Metal's reference price is 100 in 2025 and 300 in 2026; A→B metal pays 10% ad valorem.

    The chain of ``chain_instance`` (ore 10/t, refining 20/t per t ore at 0.9 t metal per t ore,
    shipping 5/t) serves B's 45 t/yr in both years: 50 t ore mined and refined, 45 t shipped, so
    1,725 a year before tariffs. The tariff is 0.1 × 100 = 10/t in 2025 and 0.1 × 300 = 30/t in
    2026: 45 × 10 + 45 × 30 = 1,800. No discounting: objective 2 × 1,725 + 1,800 = 5,250.
    Metal in B costs 30 / 0.9 + 5 + tariff: 48.333 in 2025 and 68.333 in 2026.
    """
    folder = chain_instance(
        tmp_path / "tariff",
        periods=[2025, 2026],
        commodities=[
            ORE,
            {"commodity": "metal", "stage": "metal", "reference_price": 100},
            {"commodity": "metal", "stage": "metal", "reference_price": 300, "period": 2026},
        ],
        trade=[{"commodity": "metal", "origin": "A", "destination": "B", "cost": 5, "tariff_rate": 0.1}],
    )
    solution = reeopt.solve(folder)
    assert solution.status == "optimal"
    assert solution.summary["costs"]["tariff"] == pytest.approx(1_800, rel=1e-6)
    assert solution.objective == pytest.approx(5_250, rel=1e-6)
    value = solution["balance"].set_index(["region", "commodity", "period"])["marginal_value"]
    assert value[("B", "metal", 2025)] == pytest.approx(30 / 0.9 + 5 + 10, rel=1e-6)
    assert value[("B", "metal", 2026)] == pytest.approx(30 / 0.9 + 5 + 30, rel=1e-6)


def test_a_quota_on_listed_destinations_leaves_the_other_destinations_free(tmp_path):
    """A quota of 4 t on A's metal exports *to B* must not bind A→C.

    Regions A, B, C; metal ships A→B and A→C at 5/t. B wants 10 t (unmet costs 1,000/t), C wants
    20 t (hard). The quota lets 4 t reach B, so 6 t of B's demand go unmet; C gets its 20 t.
    24 t shipped need 24 / 0.9 = 26.667 t ore at 10 + 20: 800; shipping 24 × 5 = 120; penalty
    6 × 1,000 = 6,000. Objective 6,920. Had the quota covered A→C too, C's hard demand would fail.
    """
    folder = chain_instance(
        tmp_path / "quota",
        regions=["A", "B", "C"],
        trade=[{"commodity": "metal", "origin": "A", "destination": d, "cost": 5} for d in ("B", "C")],
        demand=[
            {"region": "B", "commodity": "metal", "quantity": 10, "penalty": 1000},
            {"region": "C", "commodity": "metal", "quantity": 20},
        ],
        quotas=[{"quota": "to_b", "origin": "A", "commodities": "metal", "destinations": "B", "limit": 4}],
    )
    solution = reeopt.solve(folder)
    assert solution.status == "optimal"
    shipped = solution["trade"].set_index("destination")["shipped"]
    assert shipped["B"] == pytest.approx(4, rel=1e-6)
    assert shipped["C"] == pytest.approx(20, rel=1e-6)
    unmet = solution["delivered"].set_index("region")["unmet"]
    assert unmet["B"] == pytest.approx(6, rel=1e-6)
    assert unmet["C"] == pytest.approx(0, abs=1e-9)
    assert solution.objective == pytest.approx(6_920, rel=1e-6)


def test_a_quota_binds_each_period_on_its_own_and_its_rent_is_in_the_periods_money(tmp_path):
    """A may export 30 t/yr of metal to B in every period; B wants 45 t/yr, unmet at 1,000/t.

    Periods 2025 and 2030 (five years each), discount rate 10 %: weights 5 and 5 / 1.1⁵. Each
    period's quota row holds that period's shipments alone: 30 t/yr shipped in both, 15 t/yr unmet.
    A year costs 30 / 0.9 × 30 + 30 × 5 + 15 × 1,000 = 16,150; objective 16,150 × 5 × (1 + 1.1⁻⁵).
    One more tonne of licence saves 1,000 − (30 / 0.9 + 5) = 961.667 per tonne in either period's
    own money (its rent), and B's metal is worth the penalty, 1,000.
    """
    folder = chain_instance(
        tmp_path / "quota",
        periods=[2025, 2030],
        discount_rate=0.1,
        base_year=2025,
        demand=[{"region": "B", "commodity": "metal", "quantity": 45, "penalty": 1000}],
        quotas=[{"quota": "cap", "origin": "A", "commodities": "metal", "limit": 30}],
    )
    solution = reeopt.solve(folder)
    assert solution.status == "optimal"
    assert solution["trade"].set_index("period")["shipped"].to_dict() == pytest.approx({2025: 30, 2030: 30}, rel=1e-6)
    assert solution.objective == pytest.approx(16_150 * 5 * (1 + 1.1**-5), rel=1e-6)
    quotas = solution["quotas"].set_index("period")
    assert quotas["shipped"].to_dict() == pytest.approx({2025: 30, 2030: 30}, rel=1e-6)
    assert quotas["rent"].to_dict() == pytest.approx({2025: 1000 - 30 / 0.9 - 5, 2030: 1000 - 30 / 0.9 - 5}, rel=1e-6)
    value = solution["balance"].query("region == 'B'").set_index("period")["marginal_value"]
    assert value.to_dict() == pytest.approx({2025: 1000, 2030: 1000}, rel=1e-6)


def test_the_trade_table_charges_every_tonne_shipped_not_only_those_that_arrive(tmp_path):
    """A→B loses 10 % of the metal in transit and costs 5/t plus a tariff of 3/t, per tonne shipped.

    B's 45 t/yr need 50 t shipped, 50 / 0.9 = 55.556 t ore mined and refined (1,666.67); the link
    costs 50 × 8 = 400, which is the trade table's ``cost`` (not 45 × 8) and the summary's trade and
    tariff (250 + 150). Objective 2,066.67.
    """
    folder = chain_instance(
        tmp_path / "loss",
        trade=[{"commodity": "metal", "origin": "A", "destination": "B", "cost": 5, "tariff": 3, "loss": 0.1}],
    )
    solution = reeopt.solve(folder)
    assert solution.status == "optimal"
    link = solution["trade"].iloc[0]
    assert (link["shipped"], link["arrived"]) == (pytest.approx(50, rel=1e-6), pytest.approx(45, rel=1e-6))
    assert link["cost"] == pytest.approx(400, rel=1e-6)
    costs = solution.summary["costs"]
    assert (costs["trade"], costs["tariff"]) == (pytest.approx(250, rel=1e-6), pytest.approx(150, rel=1e-6))
    assert solution.objective == pytest.approx(50 / 0.9 * 30 + 400, rel=1e-6)
