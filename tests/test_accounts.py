"""Sourcing, MFA and MFCA: hand-derived values on the toy, invariants on random instances."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import optimizer as reeopt
from tests.accounting import mfca_allocated_and_expected, period_weights
from tests.builders import chain_instance, copy_instance
from tests.random_instances import random_instance
from tests.test_mip_and_export import lumpy_chain


@pytest.fixture(scope="module")
def toy():
    return reeopt.solve("toy")


def test_toy_origin_shares_are_the_hand_derived_ones(toy):
    sourcing = toy["sourcing"].set_index(["region", "commodity", "origin_region"])
    assert sourcing.loc[("EAST", "ndfeb_magnet", "NORTH"), "share"] == pytest.approx(0.75)
    assert sourcing.loc[("EAST", "ndfeb_magnet", "SOUTH"), "share"] == pytest.approx(0.25)
    assert set(toy["sourcing"].query("region == 'EAST'")["origin_kind"]) == {"import_mining"}
    north = toy["sourcing"].query("region == 'NORTH'")
    assert north["origin_kind"].tolist() == ["domestic_mining"] and north["share"].tolist() == [1.0]


def test_toy_stage_sourcing_of_the_magnet_feed(toy):
    feed = toy["stage_sourcing"].query("region == 'EAST' and stage == 'functional_material'")
    assert dict(zip(feed["origin_region"], feed["tonnes"], strict=True)) == pytest.approx({"NORTH": 75, "SOUTH": 25})


def test_toy_mfca_of_north_separation_is_the_hand_derived_one(toy):
    north = toy["mfca"].query("region == 'NORTH' and stage == 'oxide'").set_index("category")
    assert north["loss_share"].iloc[0] == pytest.approx(205 / 300)
    total = north["to_products"] + north["to_losses"]
    assert total.to_dict() == pytest.approx({"material": 39_000, "system": 36_000, "energy": 12_000, "waste": 4_900})
    assert north["to_losses"].sum() == pytest.approx(91_900 * 205 / 300)


def test_toy_headlines(toy):
    accounts = toy.summary["accounts"]
    assert accounts["sourcing"]["EAST"]["import_mining"] == pytest.approx(1.0)
    assert accounts["highest_loss_cost"][0] == {
        "stage": "oxide",
        "region": "NORTH",
        "loss_cost": pytest.approx(62_798.333333),
    }


def test_toy_value_added_at_marginal_values_is_output_minus_input_value(toy):
    """value_added.csv, basis marginal_value, by hand from instances/toy/README.md's marginal values.

    * EAST magnets: in 95 × 1,278 + 5 × 3,328 = 138,050; out 100 × 2,380.5 = 238,050; added 100,000
      (the magnet plant's 1,000/t: at marginal values a stage adds exactly its costs).
    * NORTH mining: out 300 × 100 = 30,000. NORTH separation: in 30,000; out 75 × 1,228 + 210 × (−10)
      = 90,000; added 60,000 (300 t × 200/t).
    * SOUTH mining: out 50 × 300 = 15,000. SOUTH separation: in 15,000; out 20 × 1,198 + 5 × 3,248 +
      20 × (−10) = 40,000; added 25,000 (50 t × 500/t).

    At reference prices (NdPr 1,500, CeO2 5, Dy2O3 4,000, magnet 3,000; concentrates unpriced) it
    differs: EAST in 95 × 1,500 + 5 × 4,000 = 162,500, out 300,000, added 137,500; NORTH oxide out
    75 × 1,500 + 210 × 5 = 113,550; SOUTH oxide out 20 × 1,500 + 5 × 4,000 + 20 × 5 = 50,100.
    """
    table = toy["value_added"].set_index(["basis", "region", "stage"])
    expected = {
        ("marginal_value", "EAST", "functional_material"): (138_050, 238_050),
        ("marginal_value", "NORTH", "concentrate"): (0, 30_000),
        ("marginal_value", "NORTH", "oxide"): (30_000, 90_000),
        ("marginal_value", "SOUTH", "concentrate"): (0, 15_000),
        ("marginal_value", "SOUTH", "oxide"): (15_000, 40_000),
        ("reference_price", "EAST", "functional_material"): (162_500, 300_000),
        ("reference_price", "NORTH", "oxide"): (0, 113_550),
        ("reference_price", "SOUTH", "oxide"): (0, 50_100),
    }
    assert sorted(table.index) == sorted(expected)
    for key, (value_in, value_out) in expected.items():
        row = table.loc[key]
        assert row["input_value"] == pytest.approx(value_in, rel=1e-6, abs=1e-6), key
        assert row["output_value"] == pytest.approx(value_out, rel=1e-6), key
        assert row["value_added"] == pytest.approx(value_out - value_in, rel=1e-6), key


def test_a_region_without_imports_is_all_domestic(tmp_path):
    solution = reeopt.solve(
        chain_instance(
            tmp_path / "c", regions=["A"], trade=[], demand=[{"region": "A", "commodity": "metal", "quantity": 45}]
        )
    )
    assert solution["sourcing"]["origin_kind"].tolist() == ["domestic_mining"]
    assert solution["sourcing"]["share"].tolist() == [1.0]


def test_recycling_and_stock_are_origins(tmp_path):
    folder = chain_instance(
        tmp_path / "c",
        commodities=[
            {"commodity": "ore", "stage": "concentrate"},
            {"commodity": "metal", "stage": "metal"},
            {"commodity": "scrap", "stage": "end_of_life"},
        ],
        process_io=[
            {"process": "mine", "commodity": "ore", "direction": "out", "coefficient": 1},
            {"process": "refine", "commodity": "ore", "direction": "in", "coefficient": 1},
            {"process": "refine", "commodity": "metal", "direction": "out", "coefficient": 0.9},
            {"process": "collect", "commodity": "scrap", "direction": "out", "coefficient": 1},
            {"process": "recycle", "commodity": "scrap", "direction": "in", "coefficient": 1},
            {"process": "recycle", "commodity": "ore", "direction": "out", "coefficient": 0.8},
        ],
        processes=[
            {"process": "mine", "region": "A", "capacity": 100, "cost_system": 10},
            {"process": "refine", "region": "A", "capacity": "", "cost_system": 20},
            {"process": "collect", "region": "A", "capacity": 10, "cost_system": 1},
            {"process": "recycle", "region": "A", "capacity": "", "cost_system": 1},
        ],
        stocks=[{"region": "B", "commodity": "metal", "initial": 9}],
    )
    shares = reeopt.solve(folder)["sourcing"].set_index("origin_kind")["tonnes"]
    # B needs 45 t: 9 t from its stock, 36 t arriving from A, whose metal is 8/(8+ore) recycled
    assert shares["stock"] == pytest.approx(9)
    mined = 36 / 0.9 - 8
    assert shares["recycling"] == pytest.approx(36 * 8 / (mined + 8))
    assert shares["import_mining"] == pytest.approx(36 * mined / (mined + 8))


@pytest.fixture(params=range(8))
def random_solution(request, tmp_path):
    return reeopt.solve(random_instance(tmp_path / "inst", request.param))


def test_shares_sum_to_one_per_row(random_solution):
    for name, key in (
        ("sourcing", ["region", "commodity", "period"]),
        ("stage_sourcing", ["region", "stage", "period"]),
    ):
        table = random_solution[name]
        np.testing.assert_allclose(table.groupby(key)["share"].sum(), 1.0, rtol=1e-9)
    delivered = random_solution["delivered"].query("delivered > 1e-9")
    tonnes = random_solution["sourcing"].groupby(["region", "commodity", "period"])["tonnes"].sum()
    np.testing.assert_allclose(
        tonnes.loc[list(zip(delivered["region"], delivered["commodity"], delivered["period"], strict=True))],
        delivered["delivered"],
        rtol=1e-7,
    )


def test_mfa_closes(random_solution):
    mfa = random_solution["mfa"]
    inflow = mfa["production"] + mfa["imports"]
    outflow = mfa["exports"] + mfa["consumed"] + mfa["delivered"] + mfa["disposed"] + mfa["stock_change"]
    assert (np.abs(inflow - outflow) <= 1e-6 * np.maximum(1.0, inflow)).all()
    np.testing.assert_allclose(mfa["net_imports"], mfa["imports"] - mfa["exports"])
    assert (mfa["process_losses"] >= -1e-9).all() and (mfa["transit_losses"] >= -1e-9).all()


def test_mfca_adds_up_to_the_total_cost_plus_input_values(random_solution):
    allocated, expected = mfca_allocated_and_expected(random_solution)
    assert allocated == pytest.approx(expected, rel=1e-7, abs=1e-6)
    assert (random_solution["mfca"]["loss_share"].between(0, 1)).all()


def ledger_totals(solution) -> pd.Series:
    """Σ disc·len·amount of the cost ledger, per category."""
    weight = period_weights(solution.instance)
    ledger = solution["costs"]
    return (ledger["amount"] * ledger["period"].map(weight)).groupby(ledger["category"]).sum()


def test_cost_ledger_adds_up_to_the_summary(random_solution):
    totals = ledger_totals(random_solution)
    for category, value in random_solution.summary["costs"].items():
        assert totals.get(category, 0.0) == pytest.approx(value, rel=1e-9, abs=1e-6)


def test_cost_ledger_of_a_discounted_build_adds_up_to_the_summary(tmp_path):
    """A build discounted over two years: the chain's mine (no capacity of its own) builds 50 t/yr in
    2025 at capex 8 per t/yr-year; discount rate 10 %, weights 1 and 1/1.1.

    The ledger charges 400 of capex in each year's own money; the summary, 400 × (1 + 1/1.1) =
    763.636; system 1,500 a year (50 t ore at 10 + 20), 2,863.636; trade 225 a year, 429.545.
    """
    folder = chain_instance(
        tmp_path / "c",
        periods=[2025, 2026],
        discount_rate=0.1,
        processes=[
            {"process": "mine", "region": "A", "capacity": 0, "cost_system": 10, "capex": 8, "max_build": 100},
            {"process": "refine", "region": "A", "capacity": "", "cost_system": 20},
        ],
    )
    solution = reeopt.solve(folder)
    weights = 1 + 1 / 1.1
    expected = {"capex": 400 * weights, "system": 1_500 * weights, "trade": 225 * weights}
    totals = ledger_totals(solution)
    for category, value in solution.summary["costs"].items():
        assert value == pytest.approx(expected.get(category, 0.0), rel=1e-6, abs=1e-9), category
        assert totals.get(category, 0.0) == pytest.approx(value, rel=1e-9, abs=1e-6), category


def test_tracing_is_invariant_to_row_order(tmp_path):
    folder = copy_instance("toy", tmp_path)
    base = reeopt.solve(folder)["sourcing"]
    for name in ("process_io.csv", "processes.csv", "trade.csv", "demand.csv", "regions.csv", "commodities.csv"):
        frame = pd.read_csv(folder / name, keep_default_na=False, dtype=str)
        frame.iloc[::-1].to_csv(folder / name, index=False)
    shuffled = reeopt.solve(folder)["sourcing"]
    key = ["region", "commodity", "period", "origin_region", "origin_kind"]
    pd.testing.assert_frame_equal(
        base.sort_values(key).reset_index(drop=True),
        shuffled.sort_values(key).reset_index(drop=True),
        check_exact=False,
    )


def test_accounts_trace_the_flows_once_and_equal_a_fresh_tracing(toy, monkeypatch):
    """Sourcing, MFA and MFCA share one computation of the process flows (they each made their own
    before), the solution keeps none of it afterwards, and the shared flows give the same tables as
    flows computed afresh for each account."""
    from optimizer.analysis import accounts, add_accounts, flows, sourcing

    calls = []
    compute = flows._process_flows
    monkeypatch.setattr(flows, "_process_flows", lambda solution: calls.append(1) or compute(solution))
    solution = reeopt.Solution(toy.instance, dict(toy.summary), dict(toy.tables))
    add_accounts(solution)
    assert len(calls) == 1
    assert not hasattr(solution, "_process_flows")
    for name, account in (
        ("sourcing", lambda: sourcing.sourcing_tables(solution)[0]),
        ("mfa", lambda: accounts.mfa_table(solution)),
        ("mfca", lambda: accounts.mfca_tables(solution)[0]),
    ):
        flows.forget_flows(solution)
        pd.testing.assert_frame_equal(solution.tables[name], account())
    assert len(calls) == 4


def test_cost_ledger_of_a_lumpy_build_charges_capex_per_tonne_of_capacity(tmp_path):
    """The lumpy chain builds one unit of 50 t/yr at capex 3 per t/yr: 150 a year in the ledger (not 3
    for one unit) and in the summary, and every category of the ledger adds up to the summary."""
    solution = reeopt.solve(lumpy_chain(tmp_path))
    ledger = solution["costs"].query("category == 'capex'")
    assert ledger["amount"].sum() == pytest.approx(150, rel=1e-9)
    assert solution.summary["costs"]["capex"] == pytest.approx(150, rel=1e-9)
    totals = ledger_totals(solution)
    for category, value in solution.summary["costs"].items():
        assert totals.get(category, 0.0) == pytest.approx(value, rel=1e-9, abs=1e-6), category


def test_mfa_books_transit_losses_on_the_exporters_row(tmp_path):
    """A ships metal to B and loses 10 % on the way: 50 t shipped, 45 t arrive. A's metal row exports
    50 t and has 5 t of transit losses; B's imports 45 t and has none. A's refining row (the metal
    stage) also shows its process loss: 55.556 t ore in, 50 t metal out, 5.556 t."""
    folder = chain_instance(
        tmp_path / "loss",
        trade=[{"commodity": "metal", "origin": "A", "destination": "B", "cost": 5, "loss": 0.1}],
    )
    mfa = reeopt.solve(folder)["mfa"].query("stage == 'metal'").set_index("region")
    assert mfa.loc["A", "exports"] == pytest.approx(50, rel=1e-6)
    assert mfa.loc["A", "transit_losses"] == pytest.approx(5, rel=1e-6)
    assert mfa.loc["B", "imports"] == pytest.approx(45, rel=1e-6)
    assert mfa.loc["B", "transit_losses"] == pytest.approx(0, abs=1e-9)
    assert mfa.loc["A", "process_losses"] == pytest.approx(50 / 0.9 - 50, rel=1e-6)


def lossy_import(folder):
    """B refines ore into metal (1 t ore → 0.9 t metal at 20/t) for its demand of 27 t of metal (30 t
    of ore). Its own mine makes ore at 15/t but only 10 t; A's mine makes it at 10/t, shipped A→B at
    5 per tonne shipped with 20 % lost on the way: (10 + 5) / 0.8 = 18.75 per tonne arrived, dearer
    than B's own ore, so B mines its 10 t and A ships 25 t for the 20 t that arrive.

    Cost: A's mine 25·10 = 250, B's mine 10·15 = 150, shipping 25·5 = 125, refining 30·20 = 600;
    1,125 in all. Marginal values: ore 10 at A, 18.75 at B; metal at B (18.75 + 20) / 0.9 = 43.056.
    """
    return chain_instance(
        folder,
        processes=[
            {"process": "mine", "region": "A", "capacity": 100, "cost_system": 10},
            {"process": "mine", "region": "B", "capacity": 10, "cost_system": 15},
            {"process": "refine", "region": "B", "capacity": "", "cost_system": 20},
        ],
        trade=[{"commodity": "ore", "origin": "A", "destination": "B", "cost": 5, "loss": 0.2}],
        demand=[{"region": "B", "commodity": "metal", "quantity": 27}],
        objective="cost",
        discount_rate=0,
    )


def test_sourcing_mixes_an_import_by_the_tonnes_that_arrive_not_those_shipped(tmp_path):
    """``lossy_import``: B's ore node receives 10 t from its own mine and 20 t arriving from A (25 t
    shipped). Its metal carries that mix by mass: 10/30 = 1/3 domestic (9 of the 27 t), 20/30 = 2/3
    from A's mine (18 t). Weighting the import by the tonnes shipped would say 25/35 = 71 % from A."""
    solution = reeopt.solve(lossy_import(tmp_path / "lossy"))
    assert solution.objective == pytest.approx(1125, rel=1e-9)
    sourcing = solution["sourcing"].set_index("origin_kind")
    assert sourcing.loc["domestic_mining", "share"] == pytest.approx(1 / 3, rel=1e-9)
    assert sourcing.loc["import_mining", "share"] == pytest.approx(2 / 3, rel=1e-9)
    assert sourcing.loc["import_mining", "tonnes"] == pytest.approx(18, rel=1e-9)
    assert sourcing.loc["import_mining", "origin_region"] == "A"


def test_unit_costs_charge_an_arrived_tonne_what_was_shipped_for_it(tmp_path):
    """``lossy_import``: the full cost per tonne of B's ore is what its 30 t cost: B's 10 t at 15 (150),
    the 25 t shipped from A at A's 10 (250, the 5 t lost included) and their shipping (125): 525 / 30
    = 17.5. B's refining makes 27 t of metal from those 30 t at 20/t of ore: (600 + 30·17.5) / 27 =
    1,125 / 27 = 41.667 per t, the whole chain's cost over its output. Charging the arrived 20 t
    instead of the 25 t shipped would give (600 + 475) / 27 = 39.81."""
    from optimizer.analysis.unit_costs import process_unit_costs

    costs = process_unit_costs(reeopt.solve(lossy_import(tmp_path / "lossy")))
    costs = costs.set_index(["process", "region"])
    assert costs.loc[("mine", "A"), "cost_per_t"] == pytest.approx(10, rel=1e-9)
    assert costs.loc[("mine", "B"), "cost_per_t"] == pytest.approx(15, rel=1e-9)
    assert costs.loc[("refine", "B"), "output"] == pytest.approx(27, rel=1e-9)
    assert costs.loc[("refine", "B"), "cost_per_t"] == pytest.approx(1125 / 27, rel=1e-9)
