"""The Pyomo model of a program solves to the same optimum through Pyomo's own HiGHS interface."""

from __future__ import annotations

import pyomo.environ as pyo
import pytest

import optimizer as reeopt
from optimizer.model import build_model
from tests.random_instances import random_instance


@pytest.mark.parametrize("seed", range(4))
def test_pyomo_model_has_the_same_optimum(tmp_path, seed):
    instance = reeopt.load(random_instance(tmp_path / "inst", seed))
    direct = reeopt.solve(instance)
    model = build_model(instance).lp.to_pyomo()
    result = pyo.SolverFactory("appsi_highs").solve(model)
    assert str(result.solver.termination_condition) == "optimal"
    assert pyo.value(model.objective) == pytest.approx(direct.objective, rel=1e-7, abs=1e-6)
