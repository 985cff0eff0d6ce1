"""The scenario language's additions: ``add`` over a range of periods, ``where: {period: null}``,
``-s a+b``, and ``validate`` naming changes that alter nothing in the base optimum."""

from __future__ import annotations

import pandas as pd
import pytest

import optimizer
from optimizer.errors import InputError
from optimizer.output.results import folder_name
from tests.builders import REPO, chain_instance

THREE_PERIODS = [2025, 2030, 2031]


@pytest.fixture
def chain(tmp_path):
    """chain_instance over 2025, 2030, 2031 with an unmet penalty of 1000/t and a 2030 row of the mine.

    Metal in B costs (10 + 20)/0.9 + 5 = 38.333 per t (refining at 20 per t of ore, 0.9 t metal per t).
    """
    folder = chain_instance(
        tmp_path / "chain",
        periods=THREE_PERIODS,
        processes=[
            {"process": "mine", "region": "A", "capacity": 100, "cost_system": 10},
            {"process": "mine", "region": "A", "period": 2030, "capacity": 100, "cost_system": 10},
            {"process": "refine", "region": "A", "capacity": "", "cost_system": 20},
        ],
        unmet_penalty=1000,
    )
    (folder / "scenarios").mkdir()
    return folder


def scenario(folder, name: str, text: str):
    (folder / "scenarios" / f"{name}.yaml").write_text(text)
    return name


def test_add_with_a_period_range_adds_one_row_per_period(chain):
    """A 30 t demand of metal in A from 2030 to 2031 (periods in range only, 2025 untouched)."""
    scenario(
        chain,
        "a_demand",
        "changes:\n  - table: demand\n    periods: {from: 2030, to: 2031}\n"
        "    add: {region: A, commodity: metal, quantity: 30}\n",
    )
    demand = optimizer.load(chain, "a_demand").table("demand")
    added = demand[demand["region"] == "A"]
    assert added["period"].tolist() == [2030.0, 2031.0] and added["quantity"].tolist() == [30.0, 30.0]
    delivered = optimizer.solve(chain, "a_demand")["delivered"]
    assert set(delivered.loc[delivered["region"] == "A", "period"]) == {2030, 2031}


def test_the_october_2025_scenario_uses_the_range_and_means_what_its_ten_rows_meant(tmp_path):
    """Before: ten identical rows, one per year 2026-2035; after: one row with periods {from, to}."""
    text = (REPO / "instances/world/scenarios/cn_export_controls_oct2025.yaml").read_text()
    assert "periods: {from: 2026, to: 2035}" in text and text.count("cn_oct2025_HoErTmEuYb") == 1
    quotas = optimizer.load("world", "cn_export_controls_oct2025").table("quotas")
    rows = quotas[quotas["quota"] == "cn_oct2025_HoErTmEuYb"]
    assert rows["period"].tolist() == [float(year) for year in range(2026, 2036)]
    assert (rows["limit"] == 0).all()


def test_add_refuses_periods_and_a_period_in_the_rows(chain):
    scenario(
        chain,
        "both",
        "changes:\n  - table: demand\n    periods: {from: 2030}\n"
        "    add: {region: A, commodity: metal, quantity: 30, period: 2030}\n",
    )
    with pytest.raises(InputError, match=r"both.yaml.*line 3.*periods or a period in each row, not both"):
        optimizer.load(chain, "both")


def test_where_period_null_picks_the_rows_that_hold_for_every_period(chain):
    """The mine has a general row and a 2030 row: doubling the general row's cost leaves 2030 at 10/t,
    so ore costs 20 in 2025 and 2031 and 10 in 2030 (marginal value of ore in A)."""
    scenario(
        chain,
        "blank",
        "changes:\n  - table: processes\n    where: {process: mine, period: null}\n    scale: {cost_system: 2}\n",
    )
    scenario(
        chain,
        "dated",
        "changes:\n  - table: processes\n    where: {process: mine, period: {not: null}}\n"
        "    scale: {cost_system: 2}\n",
    )
    ore = optimizer.solve(chain, "blank").statistics.prices(by="period", commodity="ore", region="A")
    assert ore.to_dict() == pytest.approx({2025: 20.0, 2030: 10.0, 2031: 20.0})
    ore = optimizer.solve(chain, "dated").statistics.prices(by="period", commodity="ore", region="A")
    assert ore.to_dict() == pytest.approx({2025: 10.0, 2030: 20.0, 2031: 10.0})


def test_a_plus_b_applies_a_then_b_and_is_named_a_plus_b(chain, reeopt, tmp_path):
    """a sets refining to 29 per t of ore, b doubles it: a+b gives 58, b+a gives 29.
    Metal in B: (10 + 58)/0.9 + 5 = 80.556 against (10 + 29)/0.9 + 5 = 48.333."""
    scenario(chain, "a", "changes:\n  - table: processes\n    where: {process: refine}\n    set: {cost_system: 29}\n")
    scenario(chain, "b", "changes:\n  - table: processes\n    where: {process: refine}\n    scale: {cost_system: 2}\n")
    ab, ba = optimizer.solve(chain, "a+b"), optimizer.solve(chain, "b+a")
    assert ab.instance.scenario == "a+b"
    metal = {
        name: s.statistics.prices(by="period", commodity="metal", region="B")[2025]
        for name, s in (("ab", ab), ("ba", ba))
    }
    assert metal == pytest.approx({"ab": 68 / 0.9 + 5, "ba": 39 / 0.9 + 5})
    run = reeopt("compare", chain, "-s", "a", "-s", "a+b", "--out", tmp_path / "runs", "--quiet")
    assert run.code == 0, run.err
    table = pd.read_csv(tmp_path / "runs" / "comparison.csv")
    assert table["scenario"].tolist() == ["a", "a+b"]
    assert (tmp_path / "runs" / folder_name("a+b") / "summary.json").is_file()
    with pytest.raises(InputError, match="empty scenario name"):
        optimizer.load(chain, "a+")


def test_combining_applies_a_shared_parent_once():
    """north_export_ban_soft extends north_export_ban: combined, the ban is applied once (a second
    application would be harmless here, but an ``add`` twice would duplicate rows)."""
    combined = optimizer.load("toy", "north_export_ban+north_export_ban_soft")
    assert combined.scenario == "north_export_ban+north_export_ban_soft"
    alone = optimizer.load("toy", "north_export_ban_soft")
    pd.testing.assert_frame_equal(combined.table("demand"), alone.table("demand"))


def test_validate_names_changes_that_alter_nothing(chain, reeopt):
    """The base mines 50 t of ore (45 t of metal / 0.9) out of 100. A cap of 60 does not bind, one of
    40 does; setting the shipping cost to the value it has (5) changes nothing."""
    scenario(
        chain,
        "noop",
        """\
changes:
  - table: processes
    where: {process: mine, region: A}
    set: {capacity: 60}
  - table: processes
    where: {process: mine, region: A}
    set: {capacity: 40}
  - table: trade
    where: {commodity: metal}
    set: {cost: 5}
""",
    )
    run = reeopt("validate", chain, "-s", "noop")
    assert run.code == 0, run.err
    hints = [line for line in " ".join(run.out.split("\n")).split("hint: ")[1:]]
    assert len(hints) == 2, run.out
    assert "change 1 (processes)" in hints[0] and "does not bind" in hints[0]
    assert "change 3 (trade)" in hints[1] and "changes no value" in hints[1]


def test_validate_of_several_scenarios_solves_the_base_once(chain, reeopt, monkeypatch):
    """By hand the chain's base mines 50 t of ore: a cap of 60 on the mine does not bind (a hint), one
    of 40 does (none). One command with both scenarios solves the base once (it was once per
    scenario), and prints for each what it prints alone."""
    scenario(chain, "noop", "changes:\n  - table: processes\n    where: {process: mine}\n    set: {capacity: 60}\n")
    scenario(chain, "cap", "changes:\n  - table: processes\n    where: {process: mine}\n    set: {capacity: 40}\n")
    alone = {name: reeopt("validate", chain, "-s", name).out for name in ("noop", "cap")}
    solves = []
    real = optimizer.api.solve_base_for_hints
    monkeypatch.setattr(optimizer.api, "solve_base_for_hints", lambda instance: solves.append(1) or real(instance))
    run = reeopt("validate", chain, "-s", "noop", "-s", "cap")
    assert run.code == 0, run.err
    assert len(solves) == 1
    assert run.out == alone["noop"] + alone["cap"]
    assert "does not bind" in alone["noop"] and "hint" not in alone["cap"]


def test_validate_names_a_tariff_on_a_flow_that_is_zero(tmp_path):
    """toy: no CeO2 is shipped (each region disposes of its own surplus), so a tariff on CeO2 alters
    nothing; a tariff on NORTH's NdPr oxide exports, which carry 75 t, does."""
    tariffs = tmp_path / "tariffs.yaml"
    tariffs.write_text(
        "changes:\n  - table: trade\n    where: {commodity: CeO2}\n    set: {tariff: 100}\n"
        "  - table: trade\n    where: {commodity: NdPr_oxide, origin: NORTH}\n    set: {tariff: 100}\n"
    )
    hints = optimizer.api.ineffective_changes("toy", tariffs)
    assert len(hints) == 1 and "change 1 (trade)" in hints[0] and "carry nothing" in hints[0]


def test_validate_does_not_call_a_lowered_cost_on_an_idle_link_ineffective(tmp_path):
    """toy: no CeO2 is shipped at 30 $/t. Lowering that cost to 0 may make shipping it pay, so the
    rule for links that carry nothing (a cost only *raised* there leaves the optimum) does not apply:
    no hint, where raising it to 40 gets one."""
    lowered, raised = tmp_path / "lowered.yaml", tmp_path / "raised.yaml"
    lowered.write_text("changes:\n  - table: trade\n    where: {commodity: CeO2}\n    set: {cost: 0}\n")
    raised.write_text("changes:\n  - table: trade\n    where: {commodity: CeO2}\n    set: {cost: 40}\n")
    assert optimizer.api.ineffective_changes("toy", lowered) == []
    (hint,) = optimizer.api.ineffective_changes("toy", raised)
    assert "raises cost" in hint and "carry nothing" in hint


def test_validate_help_says_hints_need_a_base_solve(reeopt):
    run = reeopt("validate", "--help")
    assert "validate solves the base once" in " ".join(run.out.replace("│", " ").split())


def test_a_parent_shared_by_both_halves_of_a_plus_b_scales_once(chain):
    """p doubles refining (20 → 40 per t of ore); a and b both extend p and change nothing else that
    matters. a+b applies p once: metal in B costs (10 + 40)/0.9 + 5 = 60.556, as a alone does; p
    applied twice would make refining 80 and metal (10 + 80)/0.9 + 5 = 105."""
    scenario(chain, "p", "changes:\n  - table: processes\n    where: {process: refine}\n    scale: {cost_system: 2}\n")
    for name in ("a", "b"):
        scenario(chain, name, "extends: p\nchanges:\n  - table: trade\n    set: {capacity: 1000}\n")
    combined = optimizer.load(chain, "a+b")
    assert combined.table("processes").query("process == 'refine'")["cost_system"].tolist() == [40]
    metal = optimizer.solve(chain, "a+b").statistics.prices(by="period", commodity="metal", region="B")[2025]
    assert metal == pytest.approx(50 / 0.9 + 5, rel=1e-9)


def test_set_writes_a_list_cell_on_every_row_it_selects(tmp_path):
    """Before: ``set`` of a list column (a quota's ``commodities``) on more than one row crashed with
    pandas' "Must have equal len keys and value" (an internal error, exit 1): the tuple was read as
    one value per row. World's Sm/Gd/Y/Lu licence has a row per year 2025-2035; setting its
    commodities to three oxides writes the same three on each of the eleven rows."""
    path = tmp_path / "set_list.yaml"
    path.write_text(
        "name: set_list\nchanges:\n  - table: quotas\n    where: {quota: cn_apr2025_SmGdYLu}\n"
        '    set: {commodities: "Sm2O3;Gd2O3;TmYbLu_oxides"}\n'
    )
    quotas = optimizer.load("world", str(path)).table("quotas")
    rows = quotas[quotas["quota"] == "cn_apr2025_SmGdYLu"]
    assert len(rows) == 11
    assert set(rows["commodities"]) == {("Sm2O3", "Gd2O3", "TmYbLu_oxides")}
