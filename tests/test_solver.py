"""Solvers side by side: CBC and GLPK through Pyomo against HiGHS (they are installed by .ci/run)."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

import optimizer as reeopt
from optimizer.errors import InputError


def needs(solver: str):
    program = {"cbc": "cbc", "glpk": "glpsol"}[solver]
    return pytest.mark.skipif(shutil.which(program) is None, reason=f"{program} is not installed (.ci/run installs it)")


@pytest.mark.parametrize("solver", [pytest.param(s, marks=needs(s)) for s in ("cbc", "glpk")])
def test_toy_optimum_and_marginal_values_agree_with_highs(solver):
    """The toy's optimum (237 850, derived in tests/test_toy.py) and its marginal values, which are
    unique there, come out the same from every solver."""
    highs, other = reeopt.solve("toy"), reeopt.solve("toy", solver=solver)
    assert other.summary["solver"]["name"] == solver and other.summary["run"]["engine"] == "pyomo"
    assert other.objective == pytest.approx(highs.objective, rel=1e-9)
    assert np.allclose(other["balance"]["marginal_value"], highs["balance"]["marginal_value"], atol=1e-6)
    assert np.allclose(other["delivered"]["delivered"], highs["delivered"]["delivered"], atol=1e-6)


@pytest.mark.skipif(shutil.which("cbc") is None, reason="CBC is not installed (.ci/run installs it)")
def test_world_scenario_objective_agrees_across_solvers():
    """The export ban, a MIP, through Pyomo's CBC and through HiGHS with reeopt's MIP settings
    (README "MIP settings"): the same optimum. About 25 s for both (2026-12-02)."""
    highs = reeopt.solve("world", "cn_export_controls", solver="highs")
    cbc = reeopt.solve("world", "cn_export_controls", solver="cbc")
    assert cbc.objective == pytest.approx(highs.objective, rel=1e-5)


def test_arrays_engine_refuses_other_solvers():
    with pytest.raises(InputError, match="highs only"):
        reeopt.solve("toy", engine="arrays", solver="cbc")


def test_unknown_solver_is_an_input_error():
    with pytest.raises(InputError, match="no_such_solver"):
        reeopt.solve("toy", solver="no_such_solver")


@needs("glpk")
def test_compare_solves_every_scenario_with_every_solver_and_says_whether_they_agree():
    """toy base is 237 850 whoever solves it; north_export_ban_soft 410 042.1 (15.79 t unmet)."""
    from optimizer.api import compare

    solutions, table = compare("toy", ["base", "north_export_ban_soft"], solvers=["highs", "glpk"])
    assert table[["scenario", "solver"]].values.tolist() == [
        ["base", "highs"],
        ["base", "glpk"],
        ["north_export_ban_soft", "highs"],
        ["north_export_ban_soft", "glpk"],
    ]
    assert table["agrees"].tolist() == ["yes"] * 4
    assert [s.summary["solver"]["name"] for s in solutions] == ["highs", "glpk", "highs", "glpk"]
    assert table["objective"].iloc[1] == pytest.approx(237850.0)
