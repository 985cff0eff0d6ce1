"""Hard demand that cannot be met: exit 3 and a diagnosis in the instance's own names."""

from __future__ import annotations

import json

import pytest

import optimizer as reeopt
from tests.builders import chain_instance
from tests.conftest import run_process


def test_infeasible_instance_exits_3_with_a_diagnosis_naming_the_shortfall(tmp_path, reeopt):
    out = tmp_path / "out"
    run = reeopt("solve", "toy", "--scenario", "north_export_ban", "--out", out)
    assert run.code == 3
    diagnosis = (out / "diagnosis.txt").read_text()
    assert "ndfeb_magnet in EAST, 2025: 15.7895 t short of 100 t demanded" in diagnosis
    assert "trade of NdPr_oxide from NORTH to EAST, 2025: banned (capacity 0)" in diagnosis
    assert "capacity of mining_heavy in SOUTH, 2025 (200 t/yr)" in diagnosis
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "infeasible"
    assert summary["diagnosis"]["shortfalls"][0]["shortfall"] == pytest.approx(100 - 80 / 0.95)
    assert "15.7895 t short" in run.out


def test_penalised_shortfall_is_optimal_with_unmet_demand():
    solution = reeopt.solve("toy", "north_export_ban_soft")
    assert solution.status == "optimal"
    assert solution.summary["unmet_demand"] == pytest.approx(100 - 80 / 0.95)
    assert solution.summary["costs"]["penalty"] == pytest.approx(10_000 * (100 - 80 / 0.95))


def test_unreachable_demand_is_named_by_the_network_check(tmp_path):
    folder = chain_instance(tmp_path / "cut", trade=[])
    solution = reeopt.solve(folder)
    assert solution.status == "infeasible"
    assert "demand for metal in B cannot be reached from any mine" in solution.diagnosis.text()


def test_quota_behind_a_shortfall_is_named(tmp_path):
    folder = chain_instance(
        tmp_path / "quota", quotas=[{"quota": "metal_cap", "origin": "A", "commodities": "metal", "limit": 30}]
    )
    solution = reeopt.solve(folder)
    assert solution.status == "infeasible"
    text = solution.diagnosis.text()
    assert "metal in B, 2025: 15 t short of 45 t demanded" in text
    assert "quota metal_cap, 2025 (limit 30 t/yr)" in text


def test_exit_code_and_diagnosis_from_a_real_process(tmp_path):
    run = run_process("solve", "toy", "--scenario", "north_export_ban", "--out", tmp_path / "o", "--quiet")
    assert run.code == 3
    assert "Traceback" not in run.err
    assert (tmp_path / "o" / "diagnosis.txt").exists()
