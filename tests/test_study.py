"""A Study re-solves in place on both engines and gets what a fresh build gets."""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo
import pytest

from optimizer.study import Study
from tests.builders import chain_instance


@pytest.mark.parametrize("engine", ["pyomo", "arrays"])
def test_in_place_re_solve_equals_a_fresh_build(engine):
    """north_export_ban_soft closes NORTH's oxide exports and prices unmet magnets at 10 000/t: SOUTH's
    80 t of oxide make 80 / 0.95 t of magnets, 100 - 80 / 0.95 = 15.79 t are unmet (tests/test_infeasible.py).
    The re-solve on the live model and a fresh Study agree
    exactly, and going back to the base gives the base again."""
    study = Study("toy", engine=engine)
    base = study.solve(accounts=False)
    soft = study.solve("north_export_ban_soft", accounts=False)
    fresh = Study("toy", engine=engine).solve("north_export_ban_soft", accounts=False)
    again = study.solve(accounts=False)
    assert soft.summary["model_reused"] and again.summary["model_reused"]
    assert soft.objective == pytest.approx(fresh.objective, rel=1e-12)
    assert soft.summary["unmet_demand"] == pytest.approx(100 - 80 / 0.95)
    assert np.allclose(soft["balance"]["marginal_value"], fresh["balance"]["marginal_value"])
    assert again.objective == pytest.approx(base.objective, rel=1e-12)
    assert "check" in base.summary["timings"] and "check" not in soft.summary["timings"]
    assert soft.summary["run"]["engine"] == engine


def test_the_live_pyomo_model_carries_the_scenarios_numbers():
    study = Study("toy")
    study.solve(accounts=False)
    live = study.pyomo_model
    link = live.trade["NdPr_oxide", "NORTH", "EAST", 2025]
    assert link.ub is None
    study.solve("north_export_ban", accounts=False)
    assert study.pyomo_model is live and link.ub == 0.0  # updated in place, not rebuilt


def test_components_of_ones_own_survive_re_solves():
    def extend(model):
        model.cap = pyo.Constraint(expr=model.trade["NdPr_oxide", "SOUTH", "EAST", 2025] <= 10)

    study = Study("toy", extend=extend)
    first = study.solve(accounts=False)
    second = study.solve("north_export_ban_soft", accounts=False)
    assert first["constraints"]["family"].tolist() == ["cap"] == second["constraints"]["family"].tolist()
    assert second["constraints"]["body"].iloc[0] == pytest.approx(10.0)


def test_avoiding_a_region_cuts_the_trade_into_it(tmp_path):
    """Avoiding B (the chain's demand region, unmet at 1,000/t) cuts A→B too: nothing reaches B, its
    45 t/yr go unmet, 45,000; without the cut, 1,725."""
    folder = chain_instance(
        tmp_path / "avoid", demand=[{"region": "B", "commodity": "metal", "quantity": 45, "penalty": 1000}]
    )
    study = Study(folder)
    assert study.solve().objective == pytest.approx(1_725, rel=1e-9)
    avoiding = study.solve(avoid=("B",))
    assert avoiding.objective == pytest.approx(45_000, rel=1e-9)
    assert avoiding["trade"].empty
    assert avoiding["delivered"]["unmet"].tolist() == pytest.approx([45], rel=1e-9)
