"""The accounting mode on the China 2015-2022 instance: the study's headline figures from a real run."""

from __future__ import annotations

import json

import numpy as np
import pytest

import optimizer as reeopt
from optimizer.analysis.study_figures import BASIS, STUDY, comparison_rows
from tests.accounting import mfca_allocated_and_expected
from tests.builders import chain_instance


@pytest.fixture(scope="module")
def history():
    return reeopt.account("china_2015_2022")


@pytest.fixture(scope="module")
def optimum():
    return reeopt.solve("china_2015_2022")


def test_the_account_reproduces_every_headline_figure_within_its_tolerance(history):
    figures = history.summary["headline"]
    assert set(STUDY) <= set(figures)
    for row in comparison_rows(figures):
        assert row["within"], row


def test_calibration_targets_never_read_as_validation(history):
    """Every figure the China data were tuned to (SOURCES.md §11) says "calibrated", not "yes"; only the
    figures computed from untuned data (China's net trade by mass, −22.2 kt in 2015 and +4.1 kt in 2022
    on the observed flows) can say yes or no."""
    rows = {row["key"]: row for row in comparison_rows(history.summary["headline"])}
    for key, (basis, tuned_by) in BASIS.items():
        assert rows[key]["basis"] == basis
        if basis == "calibration":
            assert tuned_by and rows[key]["check"] == "calibrated", key
        else:
            assert rows[key]["check"] == "yes", key
    assert rows["net_imports_first_kt"]["model"] < 0 < rows["net_imports_last_kt"]["model"]


def test_headline_figures_are_numbers(history):
    for key in STUDY:
        assert isinstance(history.summary["headline"][key], float), key


def test_account_flows_are_the_observed_flows(history):
    observed = reeopt.load("china_2015_2022").table("observed")
    activity = observed[observed["kind"] == "activity"].set_index(["process", "region", "period"])["value"]
    solved = history["activity"].set_index(["process", "region", "period"])["activity"]
    np.testing.assert_allclose(solved.reindex(activity.index).to_numpy(), activity.to_numpy(), rtol=1e-9, atol=1e-6)


def test_mfa_closes_per_stage_and_year(history):
    mfa = history["mfa"]
    inflow = mfa["production"] + mfa["imports"]
    outflow = mfa["exports"] + mfa["consumed"] + mfa["delivered"] + mfa["disposed"] + mfa["stock_change"]
    assert (np.abs(inflow - outflow) <= 1e-6 * np.maximum(1.0, inflow)).all()


def test_mfca_categories_sum_to_the_total_cost_plus_input_values(history):
    """Every cost of the observed flows and every rare-earth input at its marginal value is allocated
    to a stage's products or losses, once: the MFCA totals equal their sum (not merely exceed it)."""
    allocated, expected = mfca_allocated_and_expected(history)
    assert allocated == pytest.approx(expected, rel=1e-7)
    assert set(history["mfca"]["category"]) == {"material", "system", "energy", "waste"}


def test_the_counterfactual_never_costs_more_than_history(history, optimum):
    assert optimum.status == "optimal"
    assert optimum.objective <= history.objective * (1 + 1e-9)


def test_account_command_writes_the_headline_and_prints_the_comparison(tmp_path, reeopt):
    run = reeopt("account", "china_2015_2022", "--out", tmp_path / "acc", "--counterfactual")
    assert run.code == 0
    summary = json.loads((tmp_path / "acc" / "summary.json").read_text())
    assert summary["mode"] == "account" and "headline" in summary
    assert "Study vs model" in run.out and "Counterfactual" in run.out
    assert "calibrated to: beneficiation yield 0.88" in run.out and "emergent" in run.out
    assert (tmp_path / "counterfactual" / "summary.json").exists()


def test_observations_that_do_not_balance_are_diagnosed(tmp_path):
    folder = chain_instance(
        tmp_path / "c",
        observed=[
            {"kind": "activity", "process": "mine", "region": "A", "period": 2025, "value": 10},
            {"kind": "activity", "process": "refine", "region": "A", "period": 2025, "value": 30},
        ],
    )
    history = reeopt.account(folder)
    assert history.status == "infeasible"
    assert "ore in A, 2025: the observed flows use 20 t more than is produced and arrives" in history.diagnosis.text()


def test_an_observation_without_a_column_is_bad_input(tmp_path, reeopt):
    folder = chain_instance(
        tmp_path / "c",
        observed=[
            {"kind": "trade", "commodity": "metal", "origin": "B", "destination": "A", "period": 2025, "value": 1}
        ],
    )
    run = reeopt("account", folder)
    assert run.code == 2 and "observed.csv, line 2" in run.err and "a link opened in trade.csv" in run.err


def test_the_counterfactual_saving_is_history_minus_the_least_cost(tmp_path):
    """The chain (no discounting) as the least cost: 50 t of ore for B's 45 t of metal, mined at 10
    (500) and refined at 20 (1,000) per t of ore, the metal shipped at 5 (225): 1,725. A history that
    refined at 29 cost 9·50 = 450 more, 2,175: the saving of the least cost against history is
    2,175 − 1,725 = +450 (what the console calls "would have cost 450 less"), and history's own row 0."""
    from optimizer.analysis.counterfactual import counterfactual_tables

    folder = chain_instance(tmp_path / "chain", discount_rate=0, objective="cost")
    (folder / "scenarios").mkdir()
    (folder / "scenarios" / "dear.yaml").write_text(
        "name: dear\nchanges:\n  - table: processes\n    where: {process: refine}\n    set: {cost_system: 29}\n"
    )
    history, optimum = reeopt.solve(folder, "dear"), reeopt.solve(folder)
    costs = counterfactual_tables(history, optimum, region="B")["costs"].set_index("run")
    assert costs["total_cost"].tolist() == pytest.approx([2175, 1725], rel=1e-9)
    assert costs.loc["least cost (solve)", "saving_vs_history"] == pytest.approx(450, rel=1e-9)
    assert costs.loc["history (account)", "saving_vs_history"] == pytest.approx(0, abs=1e-9)
