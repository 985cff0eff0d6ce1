"""Lumpy builds make a MIP with fixed-LP duals; the exported model re-read by HiGHS has the same optimum."""

from __future__ import annotations

import highspy
import pytest

import optimizer as reeopt
from tests.builders import chain_instance


def lumpy_chain(tmp_path):
    """The mine (100 t/yr) cannot feed 60 t of metal demand (needs 66.7 t ore): build mine units of 50 t/yr."""
    return chain_instance(
        tmp_path / "lumpy",
        processes=[
            {
                "process": "mine",
                "region": "A",
                "capacity": 50,
                "cost_system": 10,
                "capex": 3,
                "unit_size": 50,
                "max_build": 200,
            },
            {"process": "refine", "region": "A", "capacity": "", "cost_system": 20},
        ],
        demand=[{"region": "B", "commodity": "metal", "quantity": 60}],
    )


def test_lumpy_build_solves_as_a_mip_and_reports_fixed_lp_duals(tmp_path):
    solution = reeopt.solve(lumpy_chain(tmp_path))
    assert solution.status == "optimal"
    assert solution.summary["n_integer_variables"] == 1
    assert solution.summary["duals"] == "fixed_integer_lp"
    assert solution["builds"]["built"].tolist() == [50.0]  # one unit, though 16.7 t/yr would do
    # ore 66.67 t × 10, refining 66.67 × 20, shipping 60 × 5, one unit of 50 t/yr × 3 capex
    assert solution.objective == pytest.approx(66.6667 * 30 + 60 * 5 + 150, rel=1e-5)
    # with the build fixed the mine has spare capacity: metal in B costs (10 + 20) / 0.9 + 5
    mv = solution["balance"].set_index(["region", "commodity"])["marginal_value"]
    assert mv[("B", "metal")] == pytest.approx(30 / 0.9 + 5)


def test_continuous_build_is_an_lp_and_builds_just_enough(tmp_path):
    folder = chain_instance(
        tmp_path / "continuous",
        processes=[
            {"process": "mine", "region": "A", "capacity": 50, "cost_system": 10, "capex": 3},
            {"process": "refine", "region": "A", "capacity": "", "cost_system": 20},
        ],
        demand=[{"region": "B", "commodity": "metal", "quantity": 60}],
    )
    solution = reeopt.solve(folder)
    assert solution.summary["duals"] == "lp"
    assert solution["builds"]["built"].iloc[0] == pytest.approx(60 / 0.9 - 50)
    activity = solution["activity"].set_index("process")
    assert activity.loc["mine", "capacity_dual"] == pytest.approx(3.0)  # one more t/yr saves its capex


@pytest.mark.parametrize("suffix", [".lp", ".mps"])
def test_exported_model_reread_by_highs_gives_the_same_objective(tmp_path, suffix, reeopt):
    for name, folder in (("toy", "toy"), ("lumpy", lumpy_chain(tmp_path))):
        model_file = tmp_path / f"{name}{suffix}"
        run = reeopt("solve", folder, "--export-model", model_file, "--out", tmp_path / f"out_{name}", "--quiet")
        assert run.code == 0
        solved = reeopt_objective(tmp_path / f"out_{name}")
        highs = highspy.Highs()
        highs.silent()
        assert highs.readModel(str(model_file)) == highspy.HighsStatus.kOk
        highs.run()
        assert highs.getModelStatus() == highspy.HighsModelStatus.kOptimal
        assert highs.getInfo().objective_function_value == pytest.approx(solved, rel=1e-9)


def reeopt_objective(folder):
    import json

    return json.loads((folder / "summary.json").read_text())["objective"]


def test_mip_settings_apply_to_every_solve_and_mip_gap_overrides_their_gap(tmp_path):
    """MIP_SETTINGS (README "MIP settings") are reeopt's defaults, a user's --mip-gap wins over
    their gap, and the lumpy chain's hand optimum holds under both."""
    from optimizer.solver import MIP_SETTINGS, HighsSolver, SolveOptions

    study = reeopt.Study(lumpy_chain(tmp_path), engine="arrays")
    study.solve()
    program = study.model.lp
    default, loose = HighsSolver(program), HighsSolver(program, SolveOptions(mip_gap=0.02))
    for name, value in MIP_SETTINGS.items():
        assert default.highs.getOptionValue(name)[1] == value
    assert loose.highs.getOptionValue("mip_rel_gap")[1] == 0.02
    assert loose.highs.getOptionValue("mip_heuristic_run_rins")[1] is False
    for solver in (default, loose):
        assert solver.solve().objective == pytest.approx(66.6667 * 30 + 60 * 5 + 150, rel=1e-5)


def test_the_summary_records_the_mip_settings_the_solve_ran_with(tmp_path):
    """Review: summary.json ``solver.options`` (and ``run.solver_options``, what ``reeopt diff``
    compares) said ``mip_gap: null`` whether HiGHS ran at its own 1e-4 with its heuristics (before
    MIP_SETTINGS) or at reeopt's 1e-5 without them: ``highs`` now records the settings in force,
    ``--mip-gap`` replacing the gap; ``mip_gap`` stays the user's option (null: not given)."""
    from optimizer.solver import MIP_SETTINGS

    folder = lumpy_chain(tmp_path)
    for gap, expected in ((None, 1e-5), (0.02, 0.02)):
        summary = reeopt.Study(folder, engine="arrays", mip_gap=gap).solve().summary
        options = summary["solver"]["options"]
        assert options["mip_gap"] == gap
        assert options["highs"] == {**MIP_SETTINGS, "mip_rel_gap": expected}
        assert summary["run"]["solver_options"] == options
