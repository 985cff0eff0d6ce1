"""Numerical health, deeper diagnoses and limits: ranges named, residuals reported, IIS and rays
translated, time limits and memory estimates honoured."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

import optimizer as reeopt
from optimizer.diagnosis import diagnose
from optimizer.model import build_model
from optimizer.solver import HighsSolver
from tests.builders import chain_instance
from tests.random_instances import random_instance


def test_mixed_units_are_named_before_solving(tmp_path):
    """A reagent entered in kt per tonne (1e-10) beside recipes in tonnes per tonne."""
    folder = chain_instance(
        tmp_path / "c",
        commodities=[
            {"commodity": "ore", "stage": "concentrate"},
            {"commodity": "metal", "stage": "metal"},
            {"commodity": "flux", "stage": "intermediate", "unit": "kt"},
        ],
        process_io=[
            {"process": "mine", "commodity": "ore", "direction": "out", "coefficient": 1},
            {"process": "refine", "commodity": "ore", "direction": "in", "coefficient": 1},
            {"process": "refine", "commodity": "metal", "direction": "out", "coefficient": 0.9},
            {"process": "refine", "commodity": "flux", "direction": "in", "coefficient": 1e-10},
            {"process": "make_flux", "commodity": "flux", "direction": "out", "coefficient": 1},
        ],
        processes=[
            {"process": "mine", "region": "A", "capacity": 100, "cost_system": 10},
            {"process": "refine", "region": "A", "capacity": "", "cost_system": 20},
            {"process": "make_flux", "region": "A", "capacity": "", "cost_system": 1},
        ],
    )
    solution = reeopt.solve(folder)
    assert solution.status == "optimal"
    warning = solution.summary["numerics"]["warnings"][0]
    assert "matrix coefficients span 1e-10 to 1" in warning
    assert "activity of refine in A, 2025 in the balance of flux in A, 2025" in warning
    assert warning in solution.summary["warnings"]


@pytest.mark.parametrize("seed", range(4))
def test_residuals_of_the_written_solution_are_reported_and_small(tmp_path, seed, reeopt):
    out = tmp_path / "out"
    assert reeopt("solve", random_instance(tmp_path / "inst", seed, lumpy=False), "--out", out, "-q").code == 0
    numerics = json.loads((out / "summary.json").read_text())["numerics"]
    assert numerics["primal_residual"] < 1e-6 and numerics["dual_residual"] < 1e-6
    assert {"matrix", "costs", "bounds"} <= set(numerics)


def test_the_irreducible_infeasible_subset_is_in_the_instance_names():
    solution = reeopt.solve("toy", "north_export_ban")
    assert solution.diagnosis.conflict == [
        "capacity of mining_heavy in SOUTH, 2025 (200 t/yr)",
        "trade of NdPr_oxide from NORTH to EAST, 2025: banned (capacity 0)",
        "hard demand: ndfeb_magnet in EAST, 2025 (100 t/yr)",
    ]


def test_an_unbounded_model_names_what_grows(tmp_path):
    """Validation forbids negative costs, so the unbounded model is made by hand: a mine paid to dig."""
    folder = chain_instance(
        tmp_path / "c",
        processes=[
            {"process": "mine", "region": "A", "capacity": "", "cost_system": 10},
            {"process": "refine", "region": "A", "capacity": "", "cost_system": 20},
        ],
    )
    model = build_model(reeopt.load(folder))
    cost = model.lp.col_cost.copy()
    mine = model.lp.columns["activity"].ids[0]
    cost[mine] = -1.0
    model = dataclasses.replace(model, lp=dataclasses.replace(model.lp, col_cost=cost))
    assert HighsSolver(model.lp).solve().status == "unbounded"
    diagnosis = diagnose(model, "unbounded")
    assert diagnosis.conflict[0] == "activity of mine in A, 2025 grows without limit"
    assert "grow without limit" in diagnosis.text()


def test_time_limit_without_a_feasible_point_exits_4(tmp_path, reeopt):
    run = reeopt("solve", "world", "--time-limit", "0", "--out", tmp_path / "out")
    assert run.code == 4
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["status"] == "time_limit" and summary["objective"] is None


def test_a_mip_gap_is_honoured_and_reported(tmp_path):
    solution = reeopt.solve("world", mip_gap=0.05)
    assert solution.status == "optimal"
    assert solution.summary["mip_gap"] <= 0.05 + 1e-9


def test_an_instance_too_large_for_memory_is_refused_early(monkeypatch, tmp_path, reeopt):
    monkeypatch.setenv("REEOPT_MEMORY_LIMIT_MB", "50")
    run = reeopt("solve", "world", "--out", tmp_path / "out")
    assert run.code == 2
    assert "the model would need about" in run.err and "MB are available" in run.err
    assert not (tmp_path / "out").exists()


def test_memory_estimate_is_an_overestimate_of_the_nonzeros(tmp_path):
    solution = reeopt.solve(random_instance(tmp_path / "inst", 3))
    assert solution.summary["numerics"]["estimated_nonzeros"] >= 0.5 * solution.summary["n_nonzeros"]
    assert np.isfinite(solution.summary["numerics"]["estimated_bytes"])
