"""Beyond one run: sweeps on Dask, sensitivity, near-optimal alternatives, chokepoints, run registry."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import optimizer as reeopt
from optimizer import api
from tests.builders import chain_instance, copy_instance


def test_a_dask_sweep_matches_the_sequential_run_sample_by_sample():
    parallel, _ = api.sweep("toy", 12, workers=2, seed=7)
    sequential, _ = api.sweep("toy", 12, workers=0, seed=7)
    assert parallel["sample"].tolist() == list(range(12))
    pd.testing.assert_frame_equal(
        parallel[["sample", "magnet_cost", "light_mining_cost", "trade_cost"]],
        sequential[["sample", "magnet_cost", "light_mining_cost", "trade_cost"]],
    )
    assert (parallel["status"] == sequential["status"]).all()
    np.testing.assert_allclose(parallel["objective"], sequential["objective"], rtol=1e-9)
    np.testing.assert_allclose(parallel["mv_ndfeb_magnet_EAST"], sequential["mv_ndfeb_magnet_EAST"], rtol=1e-9)


def test_a_failing_sample_is_recorded_and_the_sweep_goes_on(tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text("""
inputs:
  - name: magnet_cost
    table: processes
    where: {process: magnet_making}
    column: cost_system
    scale: {uniform: [0.9, 1.1]}
  - name: heavy_mine_lost
    table: processes
    where: {process: mining_heavy}
    column: capacity
    set: 0
    probability: 0.5
""")
    table, summary = api.sweep("toy", 10, vary=spec, workers=0, seed=3)
    lost = table["heavy_mine_lost"] == 1.0
    assert lost.any() and (~lost).any()
    assert (table.loc[lost, "status"] == "infeasible").all()
    assert table.loc[lost, "reason"].str.contains("infeasible").all()
    assert (table.loc[~lost, "status"] == "optimal").all()
    assert summary["failed"] == int(lost.sum()) and summary["optimal"] == int((~lost).sum())


def test_sweep_writes_parquet_csv_and_summary(tmp_path, reeopt):
    run = reeopt("sweep", "toy", "--samples", "5", "--workers", "0", "--out", tmp_path / "sweep", "--quiet")
    assert run.code == 0, run.err
    parquet = pd.read_parquet(tmp_path / "sweep" / "samples.parquet")
    csv = pd.read_csv(tmp_path / "sweep" / "samples.csv")
    assert len(parquet) == len(csv) == 5
    summary = json.loads((tmp_path / "sweep" / "summary.json").read_text())
    assert summary["objective_movers"][0]["input"] == "magnet_cost"
    assert set(summary["quantiles"]["objective"]) == {"p5", "p25", "p50", "p75", "p95"}


def uncertain(name: str, distribution: str | None, parameters=(), probability: float = 1.0):
    from optimizer.uncertainty import UncertainInput

    return UncertainInput(
        name=name, table="demand", column="quantity", where=None, periods=None, distribution=distribution,
        parameters=tuple(parameters), set_value=None if distribution else 0, probability=probability, line=None,
    )  # fmt: skip


def test_an_event_fires_with_its_probability_and_a_seed_repeats_the_draws(tmp_path):
    """An event of probability 0.3 drawn 20,000 times fires in 30 % of the samples (binomial sd
    0.0032: within ±0.02 is six of them), not in the 70 % that would fire if it fired above the
    probability; the same seed draws the same table, another seed another one."""
    from optimizer.uncertainty import UncertaintySpec, draw

    inputs = (uncertain("ban", None, probability=0.3), uncertain("demand", "uniform", (0.8, 1.2)))
    spec = UncertaintySpec(inputs=inputs, outputs=(), file="spec.yaml", path=tmp_path / "spec.yaml")
    table = draw(spec, 20_000, seed=3)
    assert set(table["ban"]) == {0.0, 1.0}
    assert table["ban"].mean() == pytest.approx(0.3, abs=0.02)
    assert table["demand"].between(0.8, 1.2).all() and table["demand"].mean() == pytest.approx(1.0, abs=0.01)
    pd.testing.assert_frame_equal(draw(spec, 50, seed=3), draw(spec, 50, seed=3))
    assert not draw(spec, 50, seed=3).equals(draw(spec, 50, seed=4))


def test_sensitivity_explores_each_distribution_over_its_documented_range():
    """normal: mean ± 2 sd, cut at 0; lognormal: exp(mu ± 2 sigma); uniform and triangular: their
    support; an event: [0, 1] (it fires at 0.5 and above)."""
    assert uncertain("n", "normal", (1.0, 0.1)).bounds() == pytest.approx((0.8, 1.2))
    assert uncertain("n", "normal", (1.0, 0.6)).bounds() == pytest.approx((0.0, 2.2))
    assert uncertain("l", "lognormal", (0.0, 0.5)).bounds() == pytest.approx((np.exp(-1.0), np.exp(1.0)))
    assert uncertain("t", "triangular", (0.5, 1.0, 3.0)).bounds() == (0.5, 3.0)
    assert uncertain("u", "uniform", (0.8, 1.2)).bounds() == (0.8, 1.2)
    assert uncertain("e", None, probability=0.3).bounds() == (0.0, 1.0)


def test_a_samples_yearly_cost_leaves_the_unmet_demand_penalty_out(tmp_path):
    """The chain with 100 t of metal wanted in B (unmet at 1,000/t, no discounting): the mine's 100 t
    of ore make 90 t. The year costs 1,000 mining + 2,000 refining + 450 shipping = 3,450 (the fan
    chart's ``cost@2025``); the 10,000 of penalty is no cost of the chain. Metal in B is then worth the
    penalty, ``mv_metal_B@2025`` = 1,000."""
    from optimizer.sweep import per_period
    from optimizer.uncertainty import UncertaintySpec

    folder = chain_instance(
        tmp_path / "short",
        demand=[{"region": "B", "commodity": "metal", "quantity": 100}],
        unmet_penalty=1000,
        discount_rate=0,
        objective="cost",
    )
    solution = reeopt.solve(folder)
    assert solution.objective == pytest.approx(3450 + 10_000, rel=1e-9)
    spec = UncertaintySpec(inputs=(), outputs=("mv_metal_B",), file="spec.yaml", path=tmp_path / "spec.yaml")
    assert per_period(solution, spec) == pytest.approx({"cost@2025": 3450, "mv_metal_B@2025": 1000}, rel=1e-9)


def test_morris_ranks_the_dominant_input_first():
    ranking, _ = api.sensitivity("toy", "morris", samples=6, seed=1)
    objective = ranking[ranking["output"] == "objective"].sort_values("rank")
    assert objective["input"].iloc[0] == "magnet_cost"
    assert objective["mu_star"].iloc[0] > 5 * objective["mu_star"].iloc[1]


def test_every_alternative_is_feasible_and_within_the_slack():
    solutions, table = api.alternatives("world", slack=0.05, count=4)
    optimum = table["objective"].iloc[0]
    assert (table["status"] == "optimal").all()
    assert (table["objective"] <= 1.05 * optimum * (1 + 1e-7)).all()
    # they differ in where the rare earths come from
    assert table["from_CN_EU"].max() - table["from_CN_EU"].min() > 0.05


def test_removing_a_chokepoint_in_a_scenario_reproduces_its_cost_increase(tmp_path):
    found = api.chokepoints("toy")
    ranking = found["ranking"].set_index("element")
    increase = ranking.loc["NdPr_oxide SOUTH->EAST", "cost_increase"]
    folder = copy_instance("toy", tmp_path)
    (folder / "scenarios" / "cut.yaml").write_text(
        "changes:\n  - table: trade\n    where: {commodity: NdPr_oxide, origin: SOUTH}\n    set: {capacity: 0}\n"
    )
    cut = reeopt.solve(folder, "cut")
    assert cut.objective - found["optimum"].objective == pytest.approx(increase, rel=1e-9)
    assert ranking.loc["mining_heavy in SOUTH", "status"] == "infeasible"  # the only source of Dy


def test_chokepoints_release_the_calibration_floors_a_failure_makes_impossible(tmp_path):
    """The chain (builders.chain_instance) with A's refinery held to at least 40 t of ore (a calibration
    floor) and a dearer mine in B (30/t) with its own refinery. By hand: the optimum mines 50 t in A
    (500), refines them there (1,000) and ships 45 t of metal (225): 1,725, above the floor. Cut A's
    mine: A's refinery has no ore (ore does not trade), so with the floor kept the cut is infeasible
    and says nothing; released, B mines and refines 50 t: 1,500 + 1,000 = 2,500, an increase of 775."""
    folder = chain_instance(
        tmp_path / "floored",
        processes=[
            {"process": "mine", "region": "A", "capacity": 100, "cost_system": 10},
            {"process": "mine", "region": "B", "capacity": 100, "cost_system": 30},
            {"process": "refine", "region": "A", "capacity": "", "cost_system": 20, "min_activity": 40},
            {"process": "refine", "region": "B", "capacity": "", "cost_system": 20},
        ],
    )
    found = api.chokepoints(folder)
    assert found["floors_released"] and found["optimum"].objective == pytest.approx(1725)
    mine = found["ranking"].set_index("element").loc["mine in A"]
    assert mine["status"] == "optimal" and mine["cost_increase"] == pytest.approx(775)
    assert not api.chokepoints("toy")["floors_released"]


def test_runs_record_their_inputs_and_diff_tells_them_apart(tmp_path, reeopt):
    for name, scenario in (("a", None), ("b", "north_export_ban_soft"), ("c", None)):
        args = ["solve", "toy", "--out", tmp_path / name, "-q"] + (["-s", scenario] if scenario else [])
        reeopt(*args)
    run = {n: json.loads((tmp_path / n / "summary.json").read_text())["run"] for n in "abc"}
    assert run["a"]["input_hash"] == run["c"]["input_hash"] != run["b"]["input_hash"]
    assert run["a"]["versions"]["highspy"] and "solver_options" in run["a"]
    shown = reeopt("diff", tmp_path / "a", tmp_path / "b")
    assert shown.code == 0
    assert "penalty:  -> 10000" in shown.out and "capacity:  -> 0" in shown.out
    assert "Largest changes in activity.csv" in shown.out
    assert "Same inputs" in reeopt("diff", tmp_path / "a", tmp_path / "c").out
