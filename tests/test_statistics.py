"""The statistics accessor: prices, builds, flows and costs of hand-solved instances, the same on a
Solution and on its results folder, and side by side for a comparison."""

from __future__ import annotations

import pytest

import optimizer
from optimizer.errors import InputError
from optimizer.statistics import Comparison, Statistics, folder_lengths
from tests.builders import buildable_chain, chain_instance

MINE_2030 = {"process": "mine", "region": "A", "period": 2030, "capacity": 100, "cost_system": 19}


@pytest.fixture(scope="module")
def three_periods(tmp_path_factory):
    """chain_instance over 2025 (5 years), 2030 and 2031 (1 year each); the mine costs 19/t in 2030.

    B's 45 t of metal come from A: ore 10/t (19 in 2030), refining 20/t of ore, 1/0.9 t of ore per t of
    metal, shipping 5/t. Marginal values: metal in B (10+20)/0.9+5 = 38.333 in 2025 and 2031,
    (19+20)/0.9+5 = 48.333 in 2030; metal in A 33.333 / 43.333; ore in A 10 / 19.
    """
    folder = chain_instance(
        tmp_path_factory.mktemp("stats") / "three",
        periods=[2025, 2030, 2031],
        processes=[
            {"process": "mine", "region": "A", "capacity": 100, "cost_system": 10},
            MINE_2030,
            {"process": "refine", "region": "A", "capacity": "", "cost_system": 20},
        ],
    )
    solution = optimizer.solve(folder)
    assert solution.status == "optimal"
    return solution


def test_prices_per_period_are_the_hand_derived_marginal_values(three_periods):
    prices = three_periods.statistics.prices()
    assert prices.loc[("metal", "B", 2025)] == pytest.approx(30 / 0.9 + 5)
    assert prices.loc[("metal", "B", 2030)] == pytest.approx(39 / 0.9 + 5)
    assert prices.loc[("ore", "A", 2031)] == pytest.approx(10)


def test_horizon_mean_weights_periods_by_their_length(three_periods):
    """2025 lasts 5 years, 2030 and 2031 one each: ore in A (10·5 + 19 + 10)/7 = 11.2857, not the
    unweighted (10 + 19 + 10)/3 = 13."""
    stats = three_periods.statistics
    assert stats.lengths == {2025: 5.0, 2030: 1.0, 2031: 1.0}
    assert stats.prices(by=["commodity", "region"]).loc[("ore", "A")] == pytest.approx(79 / 7)
    by_commodity = stats.prices(by="commodity")  # mean of the nodes' horizon means: metal in A and in B
    metal_b = (6 * (30 / 0.9 + 5) + 39 / 0.9 + 5) / 7
    assert by_commodity["metal"] == pytest.approx(metal_b - 2.5)  # metal in A is 5 cheaper (no shipping)
    assert stats.prices(by="period", how="max").loc[2030] == pytest.approx(39 / 0.9 + 5)


def test_prices_filter_and_refuse_unknown_dimensions(three_periods):
    stats = three_periods.statistics
    picked = stats.prices(by=["region", "period"], commodity="metal", period=[2030])
    assert picked.to_dict() == pytest.approx({("A", 2030): 39 / 0.9, ("B", 2030): 39 / 0.9 + 5})
    with pytest.raises(InputError, match="cannot group by 'country'"):
        stats.prices(by="country")


def test_flows_by_origin_over_the_horizon_and_per_year(three_periods):
    """45 t/yr delivered to B, mined in A, over 7 years = 315 t; refining in A is fed 50 t/yr of A's ore."""
    stats = three_periods.statistics
    assert stats.flows(by="origin").to_dict() == pytest.approx({"A": 315.0})
    assert stats.flows(by=["region", "origin_kind"], share=True).loc[("B", "import_mining")] == pytest.approx(1.0)
    feed = stats.flows(stage="metal", by=["origin", "period"])
    assert feed.loc[("A", 2030)] == pytest.approx(50.0)


def test_costs_by_category_add_up_to_the_objective_and_by_period_per_year(three_periods):
    """No discounting: system = (50·10 + 50·20)·5 + (50·19 + 50·20)·1 + (50·10+50·20)·1 = 10,950."""
    stats = three_periods.statistics
    costs = stats.costs()
    assert costs["system"] == pytest.approx(10_950)
    assert costs.sum() == pytest.approx(three_periods.objective)
    per_year = stats.costs(by=["category", "period"])
    assert per_year.loc[("system", 2030)] == pytest.approx(50 * 19 + 50 * 20)


def test_a_results_folder_gives_the_same_statistics_as_its_solution(three_periods, tmp_path):
    folder = optimizer.write(three_periods, tmp_path / "run")
    on_disk, live = Statistics.of(folder), three_periods.statistics
    assert on_disk.lengths == live.lengths
    assert on_disk.prices(by=["commodity", "region"]).to_dict() == pytest.approx(
        live.prices(by=["commodity", "region"]).to_dict()
    )
    assert on_disk.flows(by="origin").to_dict() == pytest.approx(live.flows(by="origin").to_dict())
    assert on_disk.label == "base"


def test_folder_lengths_follow_the_readme_rule_without_settings(tmp_path):
    assert folder_lengths(tmp_path, [2024, 2025, 2030]) == {2024: 1.0, 2025: 5.0, 2030: 5.0}
    assert folder_lengths(tmp_path, [2025]) == {2025: 1.0}


def test_builds_by_stage_and_region(tmp_path):
    """A's mine holds 20 t/yr; B may build a mine (capex 1 per t/yr and year) and refine at home.
    Metal ships A→B at 0.5/t, i.e. 0.45 per t of ore, less than B's capex: A's 20 t are used first.
    45 t of metal need 50 t of ore: 20 from A, so 30 t/yr built in B, all of it mining (concentrate)."""
    folder = buildable_chain(tmp_path / "build")
    stats = optimizer.solve(folder).statistics
    assert stats.builds().to_dict() == pytest.approx({"concentrate": 30.0})
    assert stats.builds(by=["stage", "region"]).to_dict() == pytest.approx({("concentrate", "B"): 30.0})
    assert stats.builds(by="region", stage="metal").empty


def test_comparison_puts_runs_side_by_side_with_distinct_labels(three_periods):
    """A run and the same run with the 2030 cost at 10: metal in B in 2030 drops from 48.33 to 38.33."""
    cheaper = optimizer.solve(three_periods.instance.folder)
    cheaper.summary["label"] = "base"  # the same label twice is numbered, not merged
    compared = Comparison([three_periods, cheaper])
    assert compared.labels == ["base", "base (2)"]
    table = compared.statistics.prices(by="period", commodity="metal", region="B")
    assert list(table.columns) == ["base", "base (2)"]
    assert table.loc[2030].tolist() == pytest.approx([39 / 0.9 + 5] * 2)
