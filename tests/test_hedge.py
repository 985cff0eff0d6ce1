"""The stochastic build-out (FORMULATION.md E4): hand-derived hedges, EVPI/VSS properties, CVaR, the command.

The small instance used throughout (``island``), derived by hand
------------------------------------------------------------------
One region A, periods 2025 and 2026 of one year, no discounting. A demands 10 t of metal each year;
unmet metal costs 1000/t (or demand is hard). Metal comes from ``import`` (no input, 100/t, 100 t/yr)
or from a local ``mine`` (10/t) that has no capacity but may be built: capex 200 per t/yr per year
it is available, lead time 1 year, at most 20 t/yr a year. So only capacity ordered in 2025 ever
works (it is available in 2026 and charged once, 200/t); capacity ordered in 2026 comes too late.
Scenario ``ban``: no imports from 2026. With ``k`` t/yr ordered in 2025 (0 ≤ k ≤ 10 is all that
matters), 2025 costs 10·100 = 1000 in both scenarios, and 2026 costs

* base: 200k + 10k + 100(10 − k) = 1000 + 110k        → own optimum k = 0, total 2000;
* ban:  200k + 10k + 1000(10 − k) = 10000 − 790k      → own optimum k = 10, total 3100.

Expected cost with P(ban) = p: (1 − p)(1000 + 110k) + p(10000 − 790k) + 1000, slope 110 − 900p, so
the hedge orders k = 10 when p > 110/900 ≈ 0.122 and nothing below.

* p = 0.25: hedged k = 10, costs 3100 in both; RP = 3100; WS = 0.75·2000 + 0.25·3100 = 2275;
  EVPI = 825; EEV_base (k = 0) = 0.75·2000 + 0.25·11000 = 4250, VSS_base = 1150; EEV_ban = 3100,
  VSS_ban = 0.
* p = 0.1: hedged k = 0; RP = 0.9·2000 + 0.1·11000 = 2900; WS = 0.9·2000 + 0.1·3100 = 2110;
  EVPI = 790; EEV_ban = 3100, VSS_ban = 200; VSS_base = 0.
* Hard demand (no penalty), p = 0.25: only k = 10 serves the ban, so RP = 3100, WS = 2275 as above,
  and base's own plan (k = 0) cannot serve the ban: EEV_base = VSS_base = inf.
* CVaR at α = 0.9 with p = 0.1: the worst 10% of the mass is exactly the worst scenario, so
  CVaR = max(base, ban) = 11000 − 790k for k ≤ 10. F = E + λ·CVaR = 2900 + 20k + λ(11000 − 790k):
  k = 10 when λ > 20/790 ≈ 0.0253, else k = 0. λ = 1: worst cost 3100, F = 3100 + 3100 = 6200.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import yaml

from optimizer.errors import InputError
from optimizer.hedge import CVaR, build_extensive_form, hedge
from optimizer.instance import load_instance
from optimizer.model import build_model
from optimizer.scenario import apply_scenario
from optimizer.study import Study
from tests.builders import write_instance


@pytest.fixture(scope="module")
def island(tmp_path_factory):
    return island_instance(tmp_path_factory.mktemp("hedge") / "island", penalty=1000)


def island_instance(folder, penalty=None, unit_size=None):
    mine = {
        "process": "mine",
        "region": "A",
        "capacity": 0,
        "cost_system": 10,
        "capex": 200,
        "max_build": 20,
        "lead_time": 1,
    }
    if unit_size is not None:
        mine["unit_size"] = unit_size
    demand = {"region": "A", "commodity": "metal", "quantity": 10}
    if penalty is not None:
        demand["penalty"] = penalty
    write_instance(
        folder,
        regions=["A"],
        commodities=[{"commodity": "metal", "stage": "metal"}],
        process_io=[
            {"process": "import", "commodity": "metal", "direction": "out", "coefficient": 1},
            {"process": "mine", "commodity": "metal", "direction": "out", "coefficient": 1},
        ],
        processes=[{"process": "import", "region": "A", "capacity": 100, "cost_system": 100}, mine],
        demand=[demand],
        periods=[2025, 2026],
        discount_rate=0,
        objective="cost",
    )
    (folder / "scenarios").mkdir()
    ban = {
        "name": "ban",
        "changes": [
            {
                "table": "processes",
                "where": {"process": "import", "region": "A"},
                "periods": {"from": 2026},
                "set": {"capacity": 0},
            }
        ],
    }
    (folder / "scenarios" / "ban.yaml").write_text(yaml.safe_dump(ban))
    dear = {
        "name": "dear",
        "changes": [{"table": "processes", "where": {"process": "import"}, "scale": {"cost_system": 3}}],
    }
    (folder / "scenarios" / "dear.yaml").write_text(yaml.safe_dump(dear))
    return folder


def early(result) -> dict:
    return {(row.process, row.period): row.built for row in result.builds.itertuples()}


def test_likely_ban_hedges_with_the_mine(island):
    result = hedge(island, [("base", 0.75), ("ban", 0.25)], decide_until=2026)
    s = result.summary
    assert early(result) == pytest.approx({("mine", 2025): 10.0})
    assert s["rp"] == pytest.approx(3100)
    assert s["ws"] == pytest.approx(2275)
    assert s["evpi"] == pytest.approx(825)
    assert s["eev"] == pytest.approx({"base": 4250, "ban": 3100})
    assert s["vss"]["base"] == pytest.approx(1150)
    assert s["vss"]["ban"] == pytest.approx(0, abs=1e-6)
    assert s["hedged_costs"] == pytest.approx({"base": 3100, "ban": 3100})
    assert s["extensive_form"]["objective"] == pytest.approx(3100)
    regret = result.regret.set_index(["plan", "scenario"])["cost"]
    assert regret[("own:base", "ban")] == pytest.approx(11000)
    assert regret[("own:ban", "base")] == pytest.approx(3100)


def test_unlikely_ban_is_not_hedged(island):
    result = hedge(island, [("base", 0.9), ("ban", 0.1)], decide_until=2026)
    s = result.summary
    assert result.builds.empty
    assert (s["rp"], s["ws"], s["evpi"]) == pytest.approx((2900, 2110, 790))
    assert s["vss"]["ban"] == pytest.approx(200)
    assert s["vss"]["base"] == pytest.approx(0, abs=1e-6)


def test_lumpy_builds_make_it_a_mip_with_the_same_hedge(tmp_path):
    folder = island_instance(tmp_path / "lumpy", penalty=1000, unit_size=10)
    result = hedge(folder, [("base", 0.75), ("ban", 0.25)], decide_until=2026)
    assert result.summary["extensive_form"]["n_integer_variables"] > 0
    assert early(result) == pytest.approx({("mine", 2025): 10.0})
    assert result.summary["rp"] == pytest.approx(3100)


def test_hard_demand_makes_the_base_plan_infinitely_bad(tmp_path):
    folder = island_instance(tmp_path / "hard")
    result = hedge(folder, [("base", 0.75), ("ban", 0.25)], decide_until=2026)
    s = result.summary
    assert (s["rp"], s["ws"]) == pytest.approx((3100, 2275))
    assert s["eev"]["base"] == "inf" and s["vss"]["base"] == "inf"
    assert any("inf" in note for note in s["notes"])


def test_probability_one_equals_the_deterministic_solve(island):
    study = Study(island, objective="cost")
    for name in ("base", "ban"):
        alone = study.solve(name)
        result = hedge(island, [(name, 1.0)], decide_until=2026)
        s = result.summary
        assert s["rp"] == pytest.approx(alone.objective, rel=1e-9)
        assert s["ws"] == pytest.approx(alone.objective, rel=1e-9)
        assert s["evpi"] == pytest.approx(0, abs=1e-6)
        assert result.solutions[name].objective == pytest.approx(alone.objective, rel=1e-9)
    toy = hedge("toy", [("base", 1.0)])
    assert toy.summary["rp"] == pytest.approx(237850)


@pytest.mark.parametrize("weights", [(0.5, 0.3, 0.2), (0.2, 0.2, 0.6)])
def test_evpi_and_vss_are_never_negative(island, weights):
    scenarios = list(zip(("base", "ban", "dear"), weights, strict=True))
    s = hedge(island, scenarios, decide_until=2026).summary
    assert s["rp"] >= s["ws"] - 1e-6
    assert s["evpi"] >= -1e-6
    assert all(value >= -1e-6 for value in s["vss"].values())


def test_cvar_weight_zero_equals_risk_neutral(island):
    neutral = hedge(island, [("base", 0.9), ("ban", 0.1)], decide_until=2026)
    zero = hedge(island, [("base", 0.9), ("ban", 0.1)], decide_until=2026, cvar=(0.9, 0.0))
    assert zero.summary["rp"] == pytest.approx(neutral.summary["rp"])
    assert zero.builds.equals(neutral.builds)
    assert zero.summary["cvar"]["hedged"]["worst_cost"] == pytest.approx(11000)


def test_cvar_weight_never_raises_the_worst_cost(island):
    worst = []
    for weight in (0.0, 0.01, 1.0, 10.0):
        result = hedge(island, [("base", 0.9), ("ban", 0.1)], decide_until=2026, cvar=(0.9, weight))
        worst.append(result.summary["cvar"]["hedged"]["worst_cost"])
        if weight == 1.0:
            assert early(result) == pytest.approx({("mine", 2025): 10.0})
            assert result.summary["rp"] == pytest.approx(6200)
            assert result.summary["cvar"]["risk_neutral"]["worst_cost"] == pytest.approx(11000)
    assert worst == pytest.approx([11000, 11000, 3100, 3100])
    assert all(later <= earlier + 1e-6 for earlier, later in zip(worst, worst[1:], strict=False))


def test_extensive_form_stacks_scenarios_by_family(island):
    base = load_instance(island)
    models = [build_model(apply_scenario(base, name), "cost") for name in ("base", "ban")]
    ef = build_extensive_form(models, ["base", "ban"], [0.5, 0.5], 2026)
    lp = ef.lp
    assert lp.n_cols == sum(m.lp.n_cols for m in models)
    for name, family in lp.columns.items():
        assert family.index.columns[0] == "s"
        assert family.size == sum(m.lp.columns[name].size for m in models)
    # one shared early build (mine in 2025): one row tying the ban's column to the base's
    assert lp.rows["nonanticipativity"].size == 1
    assert lp.n_rows == sum(m.lp.n_rows for m in models) + 1
    x = np.arange(lp.n_cols, dtype=float)
    assert ef.scenario_x(x, 1).size == models[1].lp.n_cols


@pytest.mark.parametrize(
    "scenarios, message",
    [
        ([("base", 0.5), ("ban", 0.4)], "sum to 0.9"),
        ([("base", 1.2), ("ban", -0.2)], "probability 1.2"),
        ([("base", 0.5), ("base", 0.5)], "once"),
        ([], "no scenarios"),
    ],
)
def test_bad_probabilities_are_input_errors(island, scenarios, message):
    with pytest.raises(InputError, match=message):
        hedge(island, scenarios)


def test_decision_year_must_follow_the_first_period(island):
    with pytest.raises(InputError, match="not after the first period"):
        hedge(island, [("base", 1.0)], decide_until=2025)


def test_command_writes_the_hedge_folder(island, reeopt, tmp_path):
    out = tmp_path / "hedge"
    run = reeopt("hedge", island, "-s", "base:0.75", "-s", "ban:0.25", "--decide-until", "2026", "--out", out)
    assert run.code == 0, run.err
    assert "EVPI" in run.out
    summary = json.loads((out / "summary.json").read_text())
    for key in ("rp", "ws", "evpi", "eev", "vss", "probabilities", "decide_until"):
        assert key in summary
    assert summary["probabilities"] == {"base": 0.75, "ban": 0.25} and summary["decide_until"] == 2026
    assert (out / "builds.csv").read_text().splitlines()[1].startswith("mine,A,2025,10")
    for name in ("base", "ban"):
        scenario = json.loads((out / name / "summary.json").read_text())
        assert scenario["objective"] == pytest.approx(3100)
        assert (out / name / "mfca.csv").is_file()


@pytest.mark.parametrize(
    "args, message",
    [
        (["-s", "base:0.5", "-s", "ban:0.4"], "sum to 0.9"),
        (["-s", "base"], "NAME:PROBABILITY"),
        (["-s", "base:1", "--cvar", "1.5:1"], "ALPHA"),
        (["-s", "base:1", "--cvar", "0.9"], "no weight"),
        (["-s", "nowhere:1"], "no such scenario"),
    ],
)
def test_command_rejects_bad_input_with_exit_2(island, reeopt, tmp_path, args, message):
    run = reeopt("hedge", island, *args, "--out", tmp_path / "h")
    assert run.code == 2
    assert message in run.err and "Traceback" not in run.err


def test_report_page_of_a_hedge_folder(island, tmp_path):
    """With CVaR (α 0.9, λ 1, p = 0.1): RP = 6200 (module docstring); WS = F(own optima) =
    E 2110 + CVaR 3100 = 5210, so EVPI = 990; base's plan scores 2900 + 11000 = 13900, VSS 7700."""
    from optimizer.output.hedge import write_hedge
    from optimizer.report import figures_for, folder_kind, write_report
    from optimizer.report.analyses import read_analysis
    from optimizer.report.contents import analysis_tables

    result = hedge(island, [("base", 0.9), ("ban", 0.1)], decide_until=2026, cvar=(0.9, 1.0))
    assert result.summary["evpi"] == pytest.approx(990)
    assert result.summary["vss"]["base"] == pytest.approx(7700)
    folder = write_hedge(result, tmp_path / "hedge")
    assert folder_kind(folder) == "hedge"
    figures = figures_for(folder)
    assert list(figures) == ["hedge_plans", "hedge_regret", "hedge_value", "hedge_cvar"]
    assert figures["hedge_value"].layout.meta["reading"].startswith("Knowing the future in advance would be worth 990")
    assert "lowers the worst scenario's cost by 7.9 k USD" in figures["hedge_cvar"].layout.meta["reading"]
    regret = next(iter(analysis_tables(read_analysis(folder)).values())).set_index("plan")
    assert regret.loc["own:base", "in ban"] == "11.0 k USD"
    page = write_report([folder], tmp_path / "report.html").read_text()
    assert "Stochastic build-out" in page and "regret table" in page


@pytest.mark.parametrize("cvar", [None, CVaR(0.9, 1.0)])
def test_extensive_form_reaches_the_same_optimum_through_pyomo(island, cvar):
    """The extensive form is a LinearProgram like any other: Pyomo's HiGHS interface reaches the
    optimum of the module docstring (p = 0.1: 2900 risk-neutral, 6200 with CVaR 0.9 weight 1)."""
    import pyomo.environ as pyo

    base = load_instance(island)
    models = [build_model(apply_scenario(base, name), "cost") for name in ("base", "ban")]
    ef = build_extensive_form(models, ["base", "ban"], [0.9, 0.1], 2026, cvar)
    model = ef.lp.to_pyomo()
    pyo.SolverFactory("appsi_highs").solve(model)
    assert pyo.value(model.objective) == pytest.approx(2900 if cvar is None else 6200)
    assert {"nonanticipativity"} <= {c.name for c in model.component_objects(pyo.Constraint)}


def test_by_default_only_the_first_periods_builds_are_shared(tmp_path):
    """The island over 2025, 2026 and 2027 (the ban holds from 2026), hedged without --decide-until:
    the decision year is the second period, 2026, so only 2025's build is one decision (one
    non-anticipativity row, ban's linked to base's), and 2026's builds are recourse.

    With k t/yr ordered in 2025 (ready 2026 and 2027, 200 a year each): base pays 1000 + 2·(1000 +
    110k); ban pays 1000 + (10000 − 790k) in 2026 and, ordering the rest (10 − k) in 2026 for 2027,
    200·10 + 10·10 = 2100 in 2027. At 0.75/0.25 the expected cost 5525 − 32.5k falls with k: k = 10,
    each scenario 5200, RP = 5200."""
    folder = island_instance(tmp_path / "island", penalty=1000)
    settings = yaml.safe_load((folder / "instance.yaml").read_text())
    (folder / "instance.yaml").write_text(yaml.safe_dump({**settings, "periods": [2025, 2026, 2027]}))
    result = hedge(folder, [("base", 0.75), ("ban", 0.25)])
    s = result.summary
    assert s["decide_until"] == 2026
    assert s["extensive_form"]["n_nonanticipativity_rows"] == 1
    assert early(result) == pytest.approx({("mine", 2025): 10})
    assert s["rp"] == pytest.approx(5200, rel=1e-9)
    assert s["hedged_costs"] == pytest.approx({"base": 5200, "ban": 5200}, rel=1e-9)


def test_regret_is_a_plans_cost_above_the_scenarios_own_optimum(island):
    """p(ban) = 0.25 (module docstring): the hedged plan (k = 10) costs 3100 in both scenarios, base's
    own optimum being 2000: regret 1100 in base, 0 in ban. Base's own plan (k = 0) costs 11000 in the
    ban, 7900 above the ban's own 3100; the ban's own plan is the hedged one."""
    result = hedge(island, [("base", 0.75), ("ban", 0.25)], decide_until=2026)
    regret = result.regret.set_index(["plan", "scenario"])["regret"]
    assert regret[("hedged", "base")] == pytest.approx(1100, rel=1e-9)
    assert regret[("hedged", "ban")] == pytest.approx(0, abs=1e-6)
    assert regret[("own:base", "ban")] == pytest.approx(7900, rel=1e-9)
    assert regret[("own:base", "base")] == pytest.approx(0, abs=1e-6)
    assert regret[("own:ban", "base")] == pytest.approx(1100, rel=1e-9)


def test_a_scenarios_own_plan_holds_only_the_builds_before_the_decision_year(tmp_path):
    """The island over 2025-2027 with a ban from 2027 only (``late``). Its own optimum orders 10 t/yr
    in 2026, ready for 2027 (200 instead of 990 of unmet metal): a build of the decision year 2026,
    so recourse, not part of ``late``'s early plan, which is empty like base's. The hedge orders
    nothing in 2025 (400 of capex against 180 saved in base, and late can still order in 2026):
    RP = WS = 0.5·3000 + 0.5·(2000 + 2100) = 3550, EVPI = 0 and every VSS 0."""
    folder = island_instance(tmp_path / "island", penalty=1000)
    settings = yaml.safe_load((folder / "instance.yaml").read_text())
    (folder / "instance.yaml").write_text(yaml.safe_dump({**settings, "periods": [2025, 2026, 2027]}))
    late = yaml.safe_load((folder / "scenarios" / "ban.yaml").read_text())
    late["name"] = "late"
    late["changes"][0]["periods"] = {"from": 2027}
    (folder / "scenarios" / "late.yaml").write_text(yaml.safe_dump(late))
    result = hedge(folder, [("base", 0.5), ("late", 0.5)])
    s = result.summary
    assert (s["rp"], s["ws"], s["evpi"]) == pytest.approx((3550, 3550, 0), abs=1e-6)
    assert s["vss"] == pytest.approx({"base": 0, "late": 0}, abs=1e-6)
    assert result.solutions["late"]["builds"].set_index("period")["built"].to_dict() == pytest.approx({2026: 10})
    assert result.plans.empty


def test_the_hedge_command_refuses_a_negative_mip_gap(tmp_path, reeopt):
    """Review: ``reeopt solve --mip-gap -1`` exits 2, ``reeopt hedge --mip-gap -1`` ran (HiGHS
    refused the option and kept its own 1e-4, not reeopt's 1e-5, while summary.json recorded -1).
    It exits 2 naming the option, and writes nothing."""
    folder = island_instance(tmp_path / "island", penalty=1000)
    run = reeopt("hedge", folder, "-s", "base:0.5", "-s", "ban:0.5", "--mip-gap", "-1", "--out", tmp_path / "out")
    assert run.code == 2 and "--mip-gap" in run.err and "Traceback" not in run.err
    assert not (tmp_path / "out").exists()
