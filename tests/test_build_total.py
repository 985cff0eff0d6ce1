"""processes.csv ``max_build_total``: a project's total build cap, Σ_t unit·n[p,r,t] ≤ max_build_total[p,r].

The instance used throughout (``growing``), derived by hand
-----------------------------------------------------------
One region A, periods 2025 and 2026 of one year each, no discounting. A demands 10 t of metal in
2025 and 20 t in 2026 (hard). Metal is imported (no input, 100/t, 100 t/yr) or mined (10/t) by a
mine with no capacity that may build up to 20 t/yr a period, ready at once (lead time 0), at capex
20 per t/yr per year it is available (a 2025 build is charged in 2025 and 2026: 40; a 2026 one: 20).

A t/yr built in 2025 saves 90 in each year it runs for 40: worth it up to 2025's demand (10); more
of it runs only in 2026 (90 − 40 = 50), where a 2026 build nets 90 − 20 = 70. So:

* no cap: 10 t/yr in 2025 and 10 in 2026; capex 10·40 + 10·20 = 600, mining 100 + 200 = 300: 900;
* ``max_build_total`` 15: 10 in 2025, 5 in 2026 (the cap binds; 5 t imported in 2026); capex
  400 + 100 = 500, mining 100 + 150 = 250, import 500: 1,250. Each t/yr more or less of cap moves
  one 2026 tonne between mine and import: 100 − 10 − 20 = 70, so the cap's dual is −70
  (cap 16: 1,180; cap 14: 1,320).
"""

from __future__ import annotations

import pandas as pd
import pytest
import yaml

import optimizer as reeopt
from optimizer.errors import InputError
from optimizer.hedge import hedge
from optimizer.hedge.plans import commit
from optimizer.instance import load_instance
from optimizer.model import build_model
from optimizer.model.pyomo_model import build_pyomo
from optimizer.scenario import apply_scenario
from optimizer.solver import HighsSolver
from optimizer.study import Study
from tests.builders import write_instance
from tests.finite_differences import moved_optimum
from tests.test_buildout import metal_island
from tests.test_hedge import island_instance

IMPORT = {"process": "import", "region": "A", "capacity": 100, "cost_system": 100}
MINE = {"process": "mine", "region": "A", "capacity": 0, "cost_system": 10, "capex": 20, "max_build": 20}


def growing(folder, cap="", processes=(IMPORT,)):
    """The module's instance, the mine's ``max_build_total`` = ``cap`` (blank: none): 10 t demanded
    in 2025, 20 t in 2026."""
    metal_island(folder, [*processes, {**MINE, "max_build_total": cap}], demand=10, periods=[2025, 2026])
    demand = pd.read_csv(folder / "demand.csv")
    pd.concat([demand.assign(period=2025), demand.assign(period=2026, quantity=20)]).to_csv(
        folder / "demand.csv", index=False
    )
    return folder


def built(solution) -> dict:
    return {row.period: row.built for row in solution["builds"].itertuples()}


@pytest.mark.parametrize("engine", ["arrays", "pyomo"])
def test_the_total_cap_stops_the_builds_and_its_dual_is_the_finite_difference(tmp_path, engine):
    """Module docstring: 900 building in both periods without a cap; 1,250 with the cap at 15 (10 in
    2025, 5 in 2026, 5 t imported), its dual −70 both ways (cap 14 and 16 move the optimum by 70), in
    constraints.csv and on both of buildout.csv's candidate rows of the mine."""
    free = reeopt.solve(growing(tmp_path / "free"), engine=engine)
    assert free.objective == pytest.approx(900, rel=1e-9)
    assert built(free) == pytest.approx({2025: 10, 2026: 10})
    assert free["constraints"].empty, "no cap, no row"

    capped = reeopt.solve(growing(tmp_path / "capped", cap=15), engine=engine)
    assert capped.objective == pytest.approx(1250, rel=1e-9)
    assert built(capped) == pytest.approx({2025: 10, 2026: 5})
    imported = capped["activity"].query("process == 'import'").set_index("period")["activity"]
    assert imported.to_dict() == pytest.approx({2025: 0, 2026: 5}, abs=1e-9)
    row = capped["constraints"].set_index("family").loc["build_total_limit"]
    assert (row["index"], row["body"], row["upper"]) == ("mine, A", pytest.approx(15), 15)
    assert row["dual"] == pytest.approx(-70, rel=1e-9)
    buildout = capped["buildout"].set_index("period")
    assert buildout["total_cap"].tolist() == [15, 15]
    assert buildout["total_cap_dual"].to_numpy() == pytest.approx([-70, -70], rel=1e-9)
    assert free["buildout"]["total_cap"].isna().all() and free["buildout"]["total_cap_dual"].isna().all()

    lp = build_model(load_instance(tmp_path / "capped")).lp
    at = lp.rows["build_total"].start
    assert moved_optimum(lp, {at: 1.0}) - capped.objective == pytest.approx(row["dual"], rel=1e-9)
    assert moved_optimum(lp, {at: -1.0}) - capped.objective == pytest.approx(-row["dual"], rel=1e-9)
    assert reeopt.solve(growing(tmp_path / "cap16", cap=16), engine=engine).objective == pytest.approx(1180)


@pytest.mark.parametrize("cap", [700, 599])
def test_with_unit_size_the_cap_is_on_capacity_not_units(tmp_path, cap):
    """One period (2025), 1,000 t demanded; the mine builds in units of 300 t/yr (capex 20 per t/yr,
    mining 10/t, import 100/t). Units n cost 6,000n in capex, and the mine serves min(300n, 1000):
    n = 3: 18,000 + 9,000 + 100·100 = 37,000; n = 4: 24,000 + 10,000 = 34,000 (the optimum uncapped).
    A cap of 700 t/yr allows 2 units (600 ≤ 700 < 900): 12,000 + 6,000 + 400·100 = 58,000; a cap
    read as 700 units would allow n = 4 (34,000). A cap of 599 allows 1 unit: 6,000 + 3,000 +
    70,000 = 79,000."""
    mine = {**MINE, "max_build": 2000, "unit_size": 300, "max_build_total": cap}
    folder = metal_island(tmp_path / "lumpy", [IMPORT | {"capacity": 2000}, mine], demand=1000)
    solution = reeopt.solve(folder)
    units = {700: 2, 599: 1}[cap]
    assert built(solution) == pytest.approx({2025: 300 * units})
    assert solution.objective == pytest.approx({700: 58_000, 599: 79_000}[cap], rel=1e-9)


def test_a_resolve_that_changes_the_cap_equals_a_fresh_solve(tmp_path):
    """Base cap 15 (1,250), scenario ``bigger`` cap 16 (1,180): the re-solve changes only the row's
    right-hand side (path ``numbers``) and gives the fresh solve's optimum and builds; a scenario
    that blanks the cap (``none``) changes the program's shape and still gives 900."""
    folder = growing(tmp_path / "capped", cap=15)
    (folder / "scenarios").mkdir()
    for name, cap in (("bigger", 16), ("none", None)):
        change = {"table": "processes", "where": {"process": "mine"}, "set": {"max_build_total": cap}}
        (folder / "scenarios" / f"{name}.yaml").write_text(yaml.safe_dump({"name": name, "changes": [change]}))
    for engine in ("arrays", "pyomo"):
        study = Study(folder, engine=engine)
        assert study.solve().objective == pytest.approx(1250)
        again = study.solve("bigger")
        assert again.summary["resolve"]["path"] == "numbers"
        fresh = Study(folder, engine=engine).solve("bigger")
        assert again.objective == pytest.approx(fresh.objective, rel=1e-12) and fresh.objective == pytest.approx(1180)
        assert built(again) == pytest.approx(built(fresh))
        assert study.solve("none").objective == pytest.approx(900)


def test_the_pyomo_model_names_the_cap(tmp_path):
    """A Pyomo user finds ``build_total_limit[process, region]`` with the cap as its upper bound and
    the mine's build in each period in its body (Σ_t built[mine, A, t] ≤ 15)."""
    model = build_pyomo(build_model(load_instance(growing(tmp_path / "capped", cap=15))))
    row = model.build_total_limit["mine", "A"]
    assert row.upper == 15 and row.lower is None
    assert {v.name for v in row.body.linear_vars} == {"built[mine,A,2025]", "built[mine,A,2026]"}


def test_the_hedge_holds_to_the_cap_and_a_committed_plan_may_exceed_a_later_one(tmp_path):
    """tests/test_hedge.py's island with ``max_build_total`` 5: P(ban) = 0.25 hedges with all it may,
    k = 5 in 2025 (slope 110 − 900·0.25 < 0), not 10: base 1000 + 1000 + 110·5 = 2,550, ban 1000 +
    10000 − 790·5 = 7,050, RP = 0.75·2550 + 0.25·7050 = 3,675. Committing that plan (k = 5) in a
    scenario whose cap is 2 keeps the 5 t/yr ordered: 2026 costs 200·5 + 10·5 + 100·5 = 1,550 (+1000)."""
    folder = island_instance(tmp_path / "island", penalty=1000)
    processes = pd.read_csv(folder / "processes.csv")
    processes.loc[processes["process"] == "mine", "max_build_total"] = 5
    processes.to_csv(folder / "processes.csv", index=False)
    result = hedge(folder, [("base", 0.75), ("ban", 0.25)], decide_until=2026)
    assert {(r.process, r.period): r.built for r in result.builds.itertuples()} == pytest.approx({("mine", 2025): 5})
    assert result.summary["rp"] == pytest.approx(3675)

    smaller = {"table": "processes", "where": {"process": "mine"}, "set": {"max_build_total": 2}}
    tight = {"name": "tight", "changes": [smaller]}
    (folder / "scenarios" / "tight.yaml").write_text(yaml.safe_dump(tight))
    model = build_model(apply_scenario(load_instance(folder), "tight"))
    plan = pd.DataFrame({"process": ["mine"], "region": ["A"], "period": [2025], "built": [5.0]})
    result = HighsSolver(commit(plan, 2026)(model).lp).solve()
    assert result.status == "optimal" and result.objective == pytest.approx(2550)


def _processes(folder, rows: list[dict]) -> None:
    write_instance(
        folder,
        regions=["A"],
        commodities=[{"commodity": "metal", "stage": "metal"}],
        process_io=[{"process": "mine", "commodity": "metal", "direction": "out", "coefficient": 1}],
        processes=rows,
        demand=[{"region": "A", "commodity": "metal", "quantity": 1}],
        periods=[2025, 2026],
    )


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        (
            [MINE, {**MINE, "period": 2026, "max_build_total": 5}],
            [
                "processes.csv",
                "line 3",
                "column 'max_build_total'",
                "caps the builds over the horizon",
                "without a period",
            ],
        ),
        ([{**MINE, "max_build_total": -1}], ["processes.csv", "line 2", "column 'max_build_total'", ">= 0"]),
        (
            [{**MINE, "max_build": 0, "max_build_total": 5}],
            ["processes.csv", "line 2", "column 'max_build_total'", "may build nothing"],
        ),
    ],
    ids=["dated", "negative", "nothing to build"],
)
def test_a_misplaced_or_negative_cap_is_an_input_error(tmp_path, rows, expected):
    """A cap on a dated row, below 0, or where nothing may be built: an InputError naming file, line
    and column (the command line prints it and exits 2, tests/test_bad_input.py)."""
    _processes(tmp_path / "bad", rows)
    with pytest.raises(InputError) as error:
        load_instance(tmp_path / "bad")
    for text in expected:
        assert text in str(error.value), (text, str(error.value))


def test_the_command_line_exits_2_on_a_dated_cap(tmp_path, reeopt):
    _processes(tmp_path / "bad", [MINE, {**MINE, "period": 2026, "max_build_total": 5}])
    run = reeopt("solve", tmp_path / "bad", "--out", tmp_path / "out")
    assert run.code == 2 and "column 'max_build_total'" in run.err and "Traceback" not in run.err
    assert not (tmp_path / "out").exists()


def test_an_infeasibility_behind_the_cap_names_it(tmp_path):
    """Without the import, the mine alone must serve 20 t in 2026 but may build only 15 t/yr in all:
    5 t short, and one more t/yr of cap would remove one tonne of it (the binding limit named)."""
    solution = reeopt.solve(growing(tmp_path / "alone", cap=15, processes=()))
    assert solution.status == "infeasible"
    text = solution.diagnosis.text()
    assert "metal in A, 2026: 5 t short of 20 t demanded" in text
    binding = {row["limit"]: row["shortfall_per_unit"] for row in solution.diagnosis.binding}
    assert binding["max_build_total of mine in A (15 t/yr)"] == pytest.approx(1.0)


def _scenario(folder, name: str, changes: list[dict]) -> None:
    (folder / "scenarios").mkdir(exist_ok=True)
    (folder / "scenarios" / f"{name}.yaml").write_text(yaml.safe_dump({"name": name, "changes": changes}))


LATE_CAPEX = {"table": "processes", "where": {"process": "mine"}, "periods": {"from": 2026}, "set": {"capex": 30}}
CLOSED_FROM_2026 = {"table": "processes", "where": {"process": "mine"}, "periods": {"from": 2026}, "drop": True}


def alone_and_with_an_add(folder, name: str, changes: list[dict]):
    """The scenario ``changes`` solved alone and with an ``add`` that changes nothing (the import's
    own numbers again, for 2026: the same program): the check that follows an ``add`` is where the
    review's defects showed. Yields (scenario name, solution) for both."""
    again = {"table": "processes", "add": [{**IMPORT, "period": 2026}]}
    _scenario(folder, name, changes)
    _scenario(folder, f"{name}_added", [*changes, again])
    for scenario in (name, f"{name}_added"):
        yield scenario, Study(folder).solve(scenario)


def test_a_dated_change_of_a_capped_project_keeps_its_cap(tmp_path):
    """Review: a scenario that raises the capped mine's capex from 2026 (``periods``) and adds a row
    (here the import's own numbers again, for 2026: the same program) loads and keeps the cap.

    By hand (module docstring, cap 15, 2026 capex 30): a 2025 t/yr costs 40 and saves 90 in each of
    2025, 2026 (10 of them); a 2026 one costs 30 and saves 90 (the other 5 of the cap, the rest
    imported): capex 400 + 150, mining 100 + 150, import 500: 1,300; one more t/yr of cap moves a
    2026 tonne from import to mine: 100 − 10 − 30 = 60, the cap's dual −60.

    The scenario's dated copies of the mine's row used to carry the cap, which the check after an
    ``add`` then refused as a cap on a dated row, naming processes.csv line 3 (the undated row)."""
    folder = growing(tmp_path / "capped", cap=15)
    for name, solution in alone_and_with_an_add(folder, "late", [LATE_CAPEX]):
        assert solution.objective == pytest.approx(1300, rel=1e-9), name
        assert built(solution) == pytest.approx({2025: 10, 2026: 5}), name
        row = solution["constraints"].set_index("family").loc["build_total_limit"]
        assert (row["upper"], row["dual"]) == (15, pytest.approx(-60, rel=1e-9)), name


def test_a_scenario_may_not_write_the_cap_for_some_periods(tmp_path):
    """Review: ``max_build_total`` holds over the horizon, so a change that writes it for some
    periods only (``periods: {from: 2026}``) cannot mean anything; it used to be a silent no-op
    (the cap stayed 15: 1,250). It is an input error naming the scenario file and the column."""
    folder = growing(tmp_path / "capped", cap=15)
    change = {"table": "processes", "where": {"process": "mine"}, "periods": {"from": 2026}}
    _scenario(folder, "partial", [{**change, "set": {"max_build_total": 20}}])
    with pytest.raises(InputError) as error:
        apply_scenario(load_instance(folder), "partial")
    for text in ("partial.yaml", "max_build_total", "without periods"):
        assert text in str(error.value), (text, str(error.value))


def test_a_scenario_that_closes_a_capped_projects_builds_loads_whatever_else_it_changes(tmp_path):
    """Review: a scenario that stops the capped mine's builds (``max_build: 0``, "no new mine") is a
    study a user makes; it loaded alone but was refused ("may build nothing", processes.csv line 3)
    when it also added a row (the check after an ``add`` saw the cap). With no mine, all 30 t are
    imported at 100: 3,000 either way, and no cap row is left."""
    folder = growing(tmp_path / "capped", cap=15)
    closed = {"table": "processes", "where": {"process": "mine"}, "set": {"max_build": 0}}
    for name, solution in alone_and_with_an_add(folder, "closed", [closed]):
        assert solution.objective == pytest.approx(3000, rel=1e-9), name
        assert solution["constraints"].empty, name


def test_a_drop_for_some_periods_keeps_the_projects_cap(tmp_path):
    """Review: dropping the capped mine from 2026 on (``drop`` with ``periods``) replaces its
    undated row with a dated 2025 row, so the cap (5 here) no longer sat on a row without a period:
    it was refused as "max_build_total caps the builds over the horizon", naming processes.csv line 3.
    Now the dated copies hold it (``expand.undated_rows``). A user expects the 2025 mine kept at its
    cap: a 2025 t/yr saves 90 in 2025 against at most 40 of capex, so it builds up to the cap, 5
    (10 without one), and the 2026 demand is imported."""
    folder = growing(tmp_path / "capped", cap=5)
    _scenario(folder, "closing", [CLOSED_FROM_2026])
    solution = Study(folder).solve("closing")
    assert built(solution) == pytest.approx({2025: 5})
    assert solution["constraints"].set_index("family").loc["build_total_limit", "upper"] == 5
    assert solution["buildout"]["total_cap"].tolist() == [5], "buildout.csv reads the cap where the model does"


def test_a_drop_for_some_periods_keeps_the_reserve_too(tmp_path):
    """The same for ``reserve`` (it had the same defect): the uncapped mine with a reserve of 6 t,
    dropped from 2026. In 2025 each t/yr built saves 90 against at most 40 of capex, but the deposit
    gives only 6 t: 6 built, 4 t imported (10 built without the reserve)."""
    folder = growing(tmp_path / "deposit")
    processes = pd.read_csv(folder / "processes.csv")
    processes.loc[processes["process"] == "mine", "reserve"] = 6
    processes.to_csv(folder / "processes.csv", index=False)
    _scenario(folder, "closing", [CLOSED_FROM_2026])
    solution = Study(folder).solve("closing")
    assert built(solution) == pytest.approx({2025: 6})


def test_a_scenario_may_not_add_a_dated_cap_beside_the_undated_one(tmp_path):
    """A dated row with ``max_build_total`` added by a scenario where the project has its row without
    a period would be a second, per-period cap the model does not have: refused, as in the files."""
    folder = growing(tmp_path / "capped", cap=15)
    _scenario(
        folder,
        "dated_cap",
        [{"table": "processes", "add": [{**MINE, "period": 2026, "max_build_total": 3}]}],
    )
    with pytest.raises(InputError, match="max_build_total caps the builds over the horizon"):
        Study(folder).solve("dated_cap")


def test_the_pyomo_model_follows_a_cap_changed_in_place(tmp_path):
    """Review: after a re-solve that changes only the cap (path ``numbers``: 15 → 16, 1,180 as in
    the module docstring), ``study.pyomo_model``'s ``build_total_limit`` has the new upper bound, and
    solving that Pyomo model as it stands gives the re-solve's optimum."""
    folder = growing(tmp_path / "capped", cap=15)
    _scenario(folder, "bigger", [{"table": "processes", "where": {"process": "mine"}, "set": {"max_build_total": 16}}])
    study = Study(folder, engine="pyomo")
    study.solve()
    again = study.solve("bigger")
    assert again.summary["resolve"]["path"] == "numbers" and again.objective == pytest.approx(1180)
    model = study.pyomo_model
    assert model.build_total_limit["mine", "A"].upper == 16
    assert reeopt.solve_model(model).objective == pytest.approx(1180, rel=1e-9)


def test_a_cap_set_on_a_project_with_dated_rows_lands_on_its_undated_row(tmp_path):
    """Review: the mine of the module's instance with a dated 2026 row in processes.csv (capex 30
    then); a scenario sets the cap to 16 with ``where: {process: mine}``, which matches both rows.

    By hand: 10 t/yr built in 2025 (capex 40 each, 90 saved in each year), 6 in 2026 (capex 30,
    90 saved; the cap's 16 − 10): capex 400 + 180, mining 100 + 160, 4 t imported in 2026: 1,240.
    The set used to write the cap on the dated row too, so a scenario that also added a row was
    refused ("caps the builds over the horizon", processes.csv line 3); alone it gave 1,240. A
    ``where`` that selects the dated row alone (``period: 2026``) cannot set a cap: an input error."""
    folder = growing(tmp_path / "capped", cap=15, processes=(IMPORT, {**MINE, "period": 2026, "capex": 30}))
    bigger = {"table": "processes", "where": {"process": "mine"}, "set": {"max_build_total": 16}}
    for name, solution in alone_and_with_an_add(folder, "bigger", [bigger]):
        assert solution.objective == pytest.approx(1240, rel=1e-9), name
        assert built(solution) == pytest.approx({2025: 10, 2026: 6}), name
    dated = {"table": "processes", "where": {"process": "mine", "period": 2026}, "set": {"max_build_total": 16}}
    _scenario(folder, "dated", [dated])
    with pytest.raises(InputError) as error:
        apply_scenario(load_instance(folder), "dated")
    for text in ("dated.yaml", "max_build_total", "without a period"):
        assert text in str(error.value), (text, str(error.value))
