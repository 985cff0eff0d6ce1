"""Re-solves that change only numbers (optimizer/model/refresh.py) get exactly what a cold solve gets.

A Study re-solves a scenario that changes only numbers on the last program (no network, no index,
the same matrix, HiGHS from the previous basis). Each test compares it with a fresh Study solving
the scenario from cold: objective, flows and duals to 1e-7, and the program's arrays exactly.
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from benchmarks.generate import SHOCK_YAML, Spec, write_instance
from optimizer.api import solve_model
from optimizer.instance import load_instance
from optimizer.model import build_model
from optimizer.model.index import demand_numbers, process_numbers
from optimizer.model.refresh import NUMBERS, _demand_rows, _process_rows, _trade_rows, expanded_trade_rows, refresh
from optimizer.scenario import apply_scenario
from optimizer.study import Study
from tests.builders import buildable_chain, chain_instance

# name: (changes, objective derived by hand on the chain instance, path the re-solve must take)
CHAIN = {
    "dearer_shipping": ("- table: trade\n  set: {cost: 7}", 1815.0, "numbers"),
    "tariff": ("- table: trade\n  set: {tariff: 3}", 1860.0, "numbers"),
    "more_demand": ("- table: demand\n  scale: {quantity: 2}", 3450.0, "numbers"),
    "small_mine": (
        "- table: processes\n  where: {process: mine}\n  set: {capacity: 40}\n- table: demand\n  set: {penalty: 1000}",
        10380.0,
        "numbers",
    ),
    "lossy_link": ("- table: trade\n  set: {loss: 0.1}", 50 / 0.9 * 30 + 50 * 5, "rebuilt"),
    "leaner_recipe": (
        "- table: process_io\n  where: {process: refine, direction: out}\n  set: {coefficient: 0.8}",
        1912.5,
        "rebuilt",
    ),
}


def _scenarios(folder, scenarios: dict[str, str]) -> None:
    (folder / "scenarios").mkdir(exist_ok=True)
    for name, changes in scenarios.items():
        indented = "\n".join("  " + line for line in changes.splitlines())
        (folder / "scenarios" / f"{name}.yaml").write_text(f"name: {name}\nchanges:\n{indented}\n")


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    folder = chain_instance(tmp_path_factory.mktemp("resolve") / "chain")
    _scenarios(folder, {name: changes for name, (changes, _, _) in CHAIN.items()})
    return folder


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """A small instance of the scaling benchmark (10 regions, 6 commodities, 2 periods, full trade)."""
    folder = write_instance(Spec(regions=10, commodities=6, periods=2, seed=3), tmp_path_factory.mktemp("gen") / "g")
    _scenarios(
        folder,
        {
            "dearer_c1": "- table: trade\n  where: {commodity: c1}\n  scale: {cost: 1.5}",
            "tariff_on_r00": "- table: trade\n  where: {origin: R00}\n  set: {tariff: 4}",
            "less_p1": "- table: processes\n  where: {process: p1}\n  scale: {capacity: 0.7}",
            "more_demand": "- table: demand\n  scale: {quantity: 1.25}",
            "new_route_cost": "- table: process_io\n  where: {process: p2, direction: in}\n  set: {coefficient: 1.1}",
        },
    )
    assert "shock" in SHOCK_YAML and (folder / "scenarios" / "shock.yaml").is_file()
    return folder


def _same_as_cold(fast, cold) -> None:
    """Objective, flows and duals of two solutions of one scenario agree to 1e-7."""
    assert fast.status == cold.status == "optimal"
    assert fast.objective == pytest.approx(cold.objective, rel=1e-7, abs=1e-7)
    for table, keys, values in (
        ("activity", ["process", "region", "period"], ["activity", "capacity_dual"]),
        ("trade", ["commodity", "origin", "destination", "period"], ["shipped"]),
        ("delivered", ["region", "commodity", "period"], ["delivered", "unmet"]),
        ("balance", ["region", "commodity", "period"], ["marginal_value", "produced", "imports"]),
    ):
        a = fast[table].sort_values(keys).reset_index(drop=True)
        b = cold[table].sort_values(keys).reset_index(drop=True)
        assert a[keys].equals(b[keys]), table
        for column in values:
            np.testing.assert_allclose(a[column], b[column], rtol=1e-7, atol=1e-7, err_msg=f"{table}.{column}")


@pytest.mark.parametrize("engine", ["arrays", "pyomo"])
def test_chain_re_solves_give_the_hand_optima_and_the_cold_solves(chain, engine):
    """The chain (tests/builders.py): B demands 45 t metal, made in A from 45 / 0.9 = 50 t ore at
    10/t mined and 20/t refined (per tonne of ore), shipped A→B at 5/t: 500 + 1000 + 225 = 1725.

    * trade cost 7: 1725 + 45 × 2 = 1815;
    * a tariff of 3/t on the link: 1725 + 45 × 3 = 1860;
    * demand × 2 (90 t, 100 t of ore: the mine's capacity exactly): 2 × 1725 = 3450;
    * mine capacity 40, unmet demand at 1000/t: 40 t ore → 36 t metal, 400 + 800 + 180 = 1380, plus
      9 t unmet × 1000 = 10380;
    * 10 % lost in transit (a loss is a coefficient of the balance: built in full): 50 t shipped
      from 50 / 0.9 = 55.556 t ore, 1666.67 + 250 = 1916.67;
    * refine yields 0.8 (a recipe: structural, built in full): 45 / 0.8 = 56.25 t ore,
      562.5 + 1125 + 225 = 1912.5.

    One Study goes through them in turn (each re-solve starts from the previous scenario's program),
    then back to the base; each agrees with a fresh Study's cold solve.
    """
    study = Study(chain, engine=engine)
    assert study.solve().objective == pytest.approx(1725.0)
    for name, (_, objective, path) in CHAIN.items():
        fast = study.solve(name)
        assert fast.summary["resolve"]["path"] == path, fast.summary["resolve"]
        assert fast.objective == pytest.approx(objective, rel=1e-9)
        _same_as_cold(fast, Study(chain, engine=engine).solve(name))
    back = study.solve()
    assert back.summary["resolve"]["path"] == "rebuilt"  # the recipe changes back
    assert back.objective == pytest.approx(1725.0)
    assert study.solve("more_demand").summary["resolve"]["path"] == "numbers"


@pytest.mark.parametrize("engine", ["arrays", "pyomo"])
def test_generated_re_solves_equal_cold_solves(generated, engine):
    """On a generated instance with full trade (shock: trade costs, capacities and demand at once),
    every re-solve agrees with a cold solve; the recipe change (and the way back) takes the full build."""
    study = Study(generated, engine=engine)
    study.solve()
    order = ("shock", "dearer_c1", "tariff_on_r00", "less_p1", "more_demand", "shock", "new_route_cost", "shock")
    for previous, name in zip((None, *order), order, strict=False):
        fast = study.solve(name)
        expected = "rebuilt" if "new_route_cost" in (name, previous) else "numbers"  # the recipe, and back
        assert fast.summary["resolve"]["path"] == expected, (name, fast.summary["resolve"])
        _same_as_cold(fast, Study(generated, engine=engine).solve(name))


def test_toy_re_solves_equal_cold_solves():
    """toy's soft export ban (a trade capacity of 0 on wildcard-expanded links, demand penalties)."""
    study = Study("toy", engine="arrays")
    study.solve()
    fast = study.solve("north_export_ban_soft")
    assert fast.summary["resolve"]["path"] == "numbers"
    assert fast.summary["unmet_demand"] == pytest.approx(100 - 80 / 0.95)
    _same_as_cold(fast, Study("toy", engine="arrays").solve("north_export_ban_soft"))


# A value per number column that every row can take (a change on every row of the table).
VALUES = {
    "capacity": 55.0,
    "cost_system": 3.5,
    "cost_energy": 1.25,
    "cost_material": 2.0,
    "cost_waste": 0.5,
    "capex": 90.0,
    "max_build": 10.0,
    "reserve": 900.0,
    "min_activity": 1.0,
    "cost": 2.5,
    "tariff": 1.5,
    "tariff_rate": 0.1,
    "quantity": 7.0,
    "price": 50.0,
    "penalty": 900.0,
    "reference_price": 40.0,
    "disposal_cost": 2.0,
}


# Changes that add or drop columns or rows (a build, a reserve row, a capacity row for toy's blank
# separation capacities), so the program is built in full.
STRUCTURAL = {("processes", "capex"), ("processes", "max_build"), ("processes", "reserve"), ("processes", "capacity")}
# Numbers that reach the program only under some settings: demand prices with the value objective,
# reference prices through an ad valorem tariff (set first, by a scenario the change extends).
SETTING = {("demand", "price"): ("value", None), ("commodities", "reference_price"): ("cost", "tariff_rate: 0.1")}


@pytest.mark.parametrize(
    ("table", "column"),
    [
        (t, c)
        for t, columns in NUMBERS.items()
        if columns and t not in ("stocks", "quotas")
        for c in columns
        if c != "max_build_total"
    ],  # toy has neither stocks nor quotas, nor a build to cap (tests/test_build_total.py re-solves a cap)
)
def test_every_number_a_scenario_changes_reaches_the_program(tmp_path, table, column):
    """Each number column listed as changeable in place, set on every row of toy's table: the program
    :func:`refresh` makes equals the full build of the scenario exactly, and differs from the base's
    (the change was not ignored); a change of shape is refused (the caller then builds in full)."""
    folder = tmp_path / "toy"
    shutil.copytree("instances/toy", folder)
    objective, prelude = SETTING.get((table, column), ("cost", None))
    change = f"- table: {table}\n  set: {{{column}: {VALUES[column]}}}"
    _scenarios(folder, {"prelude": f"- table: trade\n  set: {{{prelude}}}" if prelude else ""})
    _scenarios(folder, {"change": change})
    if prelude:
        text = (folder / "scenarios" / "change.yaml").read_text()
        (folder / "scenarios" / "change.yaml").write_text(text.replace("changes:", "extends: prelude\nchanges:"))
    root = load_instance(folder)  # scenarios of one loaded instance share the tables they leave alone
    base = apply_scenario(root, "prelude") if prelude else root
    model = build_model(base, objective)
    instance = apply_scenario(root, "change")
    cold = build_model(instance, objective).lp
    refreshed = refresh(model, instance)
    if (table, column) in STRUCTURAL:
        assert refreshed.model is None and "shape" in refreshed.reason
        return
    assert refreshed.model is not None, refreshed.reason
    lp = refreshed.model.lp
    assert lp.matrix is model.lp.matrix
    for name in ("col_cost", "col_lower", "col_upper", "row_lower", "row_upper"):
        np.testing.assert_array_equal(getattr(lp, name), getattr(cold, name), err_msg=name)
    assert lp.offset == cold.offset
    assert (lp.matrix != cold.matrix).nnz == 0
    before = model.lp
    moved = [
        name
        for name in ("col_cost", "col_lower", "col_upper", "row_lower", "row_upper")
        if not np.array_equal(getattr(lp, name), getattr(before, name))
    ] + (["offset"] if lp.offset != before.offset else [])
    assert moved, f"{table}.{column} = {VALUES[column]} changed nothing in the program"


def test_a_changed_demand_is_not_ignored(chain):
    """Hard demand fixes the delivery column at the quantity: the demand × 2 re-solve must move the
    bounds of B's delivery in the live HiGHS model from 45 to 90 and double the objective (an update
    that kept the old bounds would give 1725 and deliver 45 t)."""
    study = Study(chain, engine="arrays")
    study.solve()
    delivery = study.model.lp.columns["delivery"].start
    assert study.solver.highs.getLp().col_lower_[delivery] == 45.0
    doubled = study.solve("more_demand")
    live = study.solver.highs.getLp()
    assert live.col_lower_[delivery] == live.col_upper_[delivery] == 90.0
    assert doubled.objective == pytest.approx(3450.0)
    assert doubled["delivered"]["delivered"].sum() == pytest.approx(90.0)


def test_the_fast_trade_row_map_is_the_expansions(generated, tmp_path):
    """The model's trade rows come from trade.csv's rows: the shortcut for a table without ``*`` or
    dated rows gives the same map as the expansion itself."""
    instance = load_instance(generated)
    np.testing.assert_array_equal(_trade_rows(instance), expanded_trade_rows(instance))
    assert len(_trade_rows(instance)) == len(build_model(instance).data.trade)


def test_the_processes_and_demand_row_maps_give_the_model_frames():
    """world's processes.csv has dated rows overriding undated ones and reserves on the undated rows
    only; its demand.csv rows of several periods. Taking each expanded row's numbers from the row the
    maps name (and the reserve from its undated row) gives exactly the frames of the model's build."""
    world = load_instance("world")
    data = build_model(world).data
    table = world.tables["processes"]
    rows, reserve_rows = _process_rows(world)
    assert (table["period"].notna().to_numpy()[rows]).any() and (reserve_rows >= 0).any()
    frame = table.iloc[rows].reset_index(drop=True)
    for undated in ("reserve", "max_build_total"):
        given = table[undated].to_numpy()[np.maximum(reserve_rows, 0)]
        frame[undated] = np.where(reserve_rows >= 0, given, np.nan)
    for column, values in process_numbers(frame).items():
        np.testing.assert_array_equal(np.broadcast_to(values, len(data.processes)), data.processes[column], column)
    demand = world.tables["demand"]
    rows = _demand_rows(world)
    positive = rows[demand["quantity"].to_numpy()[rows] > 0]
    for column, values in demand_numbers(demand.iloc[positive], world.unmet_penalty).items():
        np.testing.assert_array_equal(values, data.demand[column].to_numpy(), column)


def test_the_pyomo_model_catches_up_when_read(chain):
    """A numbers-only re-solve leaves the Pyomo model behind; reading ``study.pyomo_model`` gives it
    the scenario's numbers and the solution's values (45 t metal × 2 shipped)."""
    study = Study(chain)
    study.solve()
    study.solve("more_demand")
    live = study.pyomo_model
    assert sum(v.value for v in live.trade.values()) == pytest.approx(90.0)
    assert study.solve("dearer_shipping").summary["resolve"]["path"] == "numbers"


@pytest.mark.parametrize("engine", ["arrays", "pyomo"])
def test_a_changed_quota_limit_is_a_numbers_re_solve(tmp_path, engine):
    """The chain with A's metal exports capped at 30 t and unmet demand at 1000/t: 30 t shipped from
    30 / 0.9 t ore, 10 × 33.33 + 20 × 33.33 + 5 × 30 = 1150, plus 15 t unmet × 1000 = 16150. The cap
    at 40 t: 40 / 0.9 t ore, 444.44 + 888.89 + 200 + 5 × 1000 = 6533.33."""
    folder = chain_instance(
        tmp_path / "quota",
        quotas=[{"quota": "cap", "origin": "A", "commodities": "metal", "limit": 30}],
        demand=[{"region": "B", "commodity": "metal", "quantity": 45, "penalty": 1000}],
    )
    _scenarios(folder, {"looser": "- table: quotas\n  set: {limit: 40}"})
    study = Study(folder, engine=engine)
    assert study.solve().objective == pytest.approx(16150.0)
    looser = study.solve("looser")
    assert looser.summary["resolve"]["path"] == "numbers", looser.summary["resolve"]
    assert looser.objective == pytest.approx(1533.0 + 1 / 3 + 5000.0)
    _same_as_cold(looser, Study(folder, engine=engine).solve("looser"))


@pytest.mark.parametrize("engine", ["arrays", "pyomo"])
def test_a_changed_build_limit_is_a_numbers_re_solve(tmp_path, engine):
    """A's mine holds 20 t/yr; B may build a mine at capex 1 per t/yr (up to 100), both refine at home,
    metal ships A→B at 0.5/t; B wants 45 t/yr, unmet at 1,000/t.

    Base: A's 20 t ore make 18 t metal (600 + 9 shipped); B builds 30 t/yr for the other 27 t
    (900 + 30): 1,539. With B's build limit at 10 t/yr (a number: the build stays open): 9 t of
    metal from B (300 + 10), 18 t unmet (18,000): 18,919.
    """
    folder = buildable_chain(
        tmp_path / "builds", demand=[{"region": "B", "commodity": "metal", "quantity": 45, "penalty": 1000}]
    )
    _scenarios(
        folder, {"fewer_builds": "- table: processes\n  where: {region: B, process: mine}\n  set: {max_build: 10}"}
    )
    study = Study(folder, engine=engine)
    assert study.solve().objective == pytest.approx(1_539, rel=1e-9)
    fewer = study.solve("fewer_builds")
    assert fewer.summary["resolve"]["path"] == "numbers", fewer.summary["resolve"]
    assert fewer.objective == pytest.approx(18_919, rel=1e-9)
    assert fewer["builds"]["built"].tolist() == pytest.approx([10], rel=1e-9)
    _same_as_cold(fewer, Study(folder, engine=engine).solve("fewer_builds"))


def test_the_pyomo_model_caught_up_has_the_scenarios_bounds(tmp_path):
    """After the numbers-only re-solve that doubles B's hard demand, the Pyomo model read from the
    study fixes B's delivery at 90 t from both sides (45 before), and solving it again gives the
    re-solve's optimum, 3,450."""
    folder = chain_instance(tmp_path / "chain")
    _scenarios(folder, {"more_demand": CHAIN["more_demand"][0]})
    study = Study(folder, engine="pyomo")
    study.solve()
    assert study.solve("more_demand").summary["resolve"]["path"] == "numbers"
    live = study.pyomo_model
    delivery = live.delivered["B", "metal", 2025]
    assert (delivery.lb, delivery.ub) == (90.0, 90.0)
    assert solve_model(live).objective == pytest.approx(3_450, rel=1e-9)
