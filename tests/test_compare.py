"""compare: per-period views, the horizon mean named for what it is, shortfall periods flagged, builds by
stage and region, run labels, and the report and compare agreeing on every marginal value."""

from __future__ import annotations

import json

import pandas as pd
import pytest

import optimizer
from optimizer.analysis.compare import builds_table, comparison_table, parse_periods
from optimizer.errors import InputError
from optimizer.output.results import folder_name
from optimizer.report import write_report
from optimizer.report.comparison import comparison_table as report_table
from optimizer.report.folder import read_results
from tests.builders import buildable_chain, chain_instance

DEARER_REFINING = """\
name: dearer_refining
changes:
  - table: processes
    where: {process: refine}
    set: {cost_system: 29}
"""


@pytest.fixture(scope="module")
def instance(tmp_path_factory):
    """chain_instance over 2025 (5 years), 2030 and 2031; the mine costs 19/t in 2030 instead of 10.

    Metal in B: (10+20)/0.9 + 5 = 38.333 in 2025 and 2031, (19+20)/0.9 + 5 = 48.333 in 2030; its horizon
    mean is (38.333·6 + 48.333)/7 = 39.762. With refining at 29/t: +9/0.9 = +10 in every period.
    """
    folder = chain_instance(
        tmp_path_factory.mktemp("compare") / "chain",
        periods=[2025, 2030, 2031],
        processes=[
            {"process": "mine", "region": "A", "capacity": 100, "cost_system": 10},
            {"process": "mine", "region": "A", "period": 2030, "capacity": 100, "cost_system": 19},
            {"process": "refine", "region": "A", "capacity": "", "cost_system": 20},
        ],
        unmet_penalty=1000,
    )
    (folder / "scenarios").mkdir()
    (folder / "scenarios" / "dearer_refining.yaml").write_text(DEARER_REFINING)
    return folder


METAL_B = {2025: 30 / 0.9 + 5, 2030: 39 / 0.9 + 5, 2031: 30 / 0.9 + 5}


def test_default_columns_are_horizon_means_weighted_by_period_length(instance):
    solutions, table = optimizer.api.compare(instance, ["base", "dearer_refining"])
    row = table.set_index("scenario")
    mean = (METAL_B[2025] * 5 + METAL_B[2030] + METAL_B[2031]) / 7
    assert row.loc["base", "mv_metal_B"] == pytest.approx(mean)
    assert row.loc["dearer_refining", "mv_metal_B"] == pytest.approx(mean + 10)
    assert not any("@" in column for column in table.columns)


def test_period_and_periods_give_the_values_of_single_periods(instance):
    _, table = optimizer.api.compare(instance, ["base"], periods=parse_periods("2030-2031"))
    row = table.iloc[0]
    assert row["mv_metal_B@2030"] == pytest.approx(METAL_B[2030])
    assert row["mv_metal_B@2031"] == pytest.approx(METAL_B[2031])
    assert "mv_metal_B@2025" not in table.columns and "mv_metal_B" not in table.columns
    assert parse_periods(None, [2030]) == [2030]
    assert parse_periods("2025-2027,2030") == [2025, 2026, 2027, 2030]
    with pytest.raises(InputError, match="year range"):
        parse_periods("2025..2030")
    with pytest.raises(InputError, match="none of"):
        optimizer.api.compare(instance, ["base"], periods=[1999])


def test_command_line_compare_with_periods_and_labels(instance, reeopt, tmp_path):
    run = reeopt(
        "compare", instance, "-s", "base", "-s", "dearer_refining", "--period", "2030",
        "--label", "reference", "--label", "refining+9", "--out", tmp_path,
    )  # fmt: skip
    assert run.code == 0, run.err
    table = pd.read_csv(tmp_path / "comparison.csv")
    assert table["scenario"].tolist() == ["reference", "refining+9"]
    assert table["mv_metal_B@2030"].tolist() == pytest.approx([METAL_B[2030], METAL_B[2030] + 10])
    assert "mv_<commodity>_<region>@<year>: marginal value in that period" in run.out
    summary = json.loads((tmp_path / folder_name("refining+9") / "summary.json").read_text())
    assert summary["label"] == "refining+9" and summary["scenario"] == "dearer_refining"
    assert "elapsed" in run.err and "remaining" in run.err and "2/2" in run.err  # the progress bar


def test_labels_must_match_the_scenarios(instance, reeopt, tmp_path):
    run = reeopt("compare", instance, "-s", "base", "-s", "dearer_refining", "--label", "one", "--out", tmp_path)
    assert run.code == 2 and "one per --scenario" in run.err


def test_a_constrained_run_gets_its_own_name_not_a_second_base(instance, tmp_path):
    """Two runs of the base (one of them constrained by the user) used to show as "chain / base" twice."""
    base = optimizer.solve(instance)
    constrained = optimizer.solve(instance)
    constrained.summary["label"] = "no 2030 mining"
    folders = [optimizer.write(base, tmp_path / "a"), optimizer.write(constrained)]
    assert folders[1].name == folder_name("no 2030 mining")  # default folder named by the label, made safe
    assert read_results(folders[1]).label == "chain / no 2030 mining"
    assert list(report_table([read_results(f) for f in folders]).columns) == ["base", "no 2030 mining"]
    assert comparison_table([base, base])["scenario"].tolist() == ["base", "base (2)"]


def test_shortfall_periods_are_flagged(instance, reeopt, tmp_path):
    """Demand of 200 t of metal in 2030 exceeds the mine (100 t of ore make 90 t): 110 t unmet in 2030,
    and metal in B is worth the penalty there (1000/t), not a price."""
    (instance / "scenarios" / "surge.yaml").write_text(
        "name: surge\nchanges:\n  - table: demand\n"
        "    add: {region: B, commodity: metal, period: 2030, quantity: 200}\n"
    )
    _, table = optimizer.api.compare(instance, ["base", "surge"])
    assert table["shortfall_periods"].tolist() == ["", "2030"]
    _, in_2030 = optimizer.api.compare(instance, ["surge"], periods=[2030])
    assert in_2030["mv_metal_B@2030"].iloc[0] == pytest.approx(1000)
    run = reeopt("compare", instance, "-s", "base", "-s", "surge", "--out", tmp_path)
    assert "surge: unmet demand in 2030" in run.out and "penalty, not a price" in run.out


def test_builds_are_compared_by_stage_and_region(tmp_path):
    """A's mine holds 20 t/yr; B builds the rest (30 t/yr, capex 1) in the base; with A's mine at 50
    t/yr nothing is built (metal shipping 0.5/t is cheaper than B's capex per t of ore, 1 > 0.45)."""
    folder = buildable_chain(tmp_path / "build")
    (folder / "scenarios").mkdir()
    (folder / "scenarios" / "big_mine.yaml").write_text(
        "changes:\n  - table: processes\n    where: {process: mine, region: A}\n    set: {capacity: 50}\n"
    )
    _, table = optimizer.api.compare(folder, ["base", "big_mine"])
    assert "built_concentrate_B" in table.columns and not any(c == "built_B" for c in table.columns)
    builds = builds_table(table)
    assert builds.loc[("concentrate", "B")].tolist() == pytest.approx([30.0, 0.0])


def test_the_report_shows_the_marginal_values_compare_computes(instance, tmp_path):
    """One number, one definition: the report's per-period and horizon-mean rows are compare's columns."""
    solutions, horizon = optimizer.api.compare(instance, ["base", "dearer_refining"])
    _, in_2030 = optimizer.api.compare(instance, ["base", "dearer_refining"], periods=[2030])
    folders = [read_results(optimizer.write(s, tmp_path / s.instance.scenario)) for s in solutions]
    table = report_table(folders, period=2030)
    assert table.loc["metal in B, marginal value (USD/t, 2030)"].tolist() == pytest.approx(
        in_2030["mv_metal_B@2030"].tolist()
    )
    assert table.loc["metal in B, marginal value (USD/t, horizon mean)"].tolist() == pytest.approx(
        horizon["mv_metal_B"].tolist()
    )
    assert table.loc["periods with unmet demand"].tolist() == ["none", "none"]


def test_a_routes_folder_goes_into_the_report(reeopt, tmp_path):
    """Before: `reeopt report results/toy/routes` exited 2 (not a folder reeopt wrote)."""
    run = reeopt("routes", "toy", "--commodity", "ndfeb_magnet", "--region", "EAST",
                 "--out", tmp_path / "routes", "--quiet")  # fmt: skip
    assert run.code == 0, run.err
    record = json.loads((tmp_path / "routes" / "routes.json").read_text())
    assert record["commodity"] == "ndfeb_magnet" and record["period"] == 2025 and record["avoid"] == []
    run = reeopt("report", tmp_path / "routes", "--out", tmp_path / "report.html")
    assert run.code == 0, run.err
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "Supply routes: toy / base, ndfeb_magnet into EAST" in page
    assert "The cheapest route, NORTH;EAST, carries 75 t/yr at 2,250 USD/t" in page
    assert write_report([tmp_path / "routes" / "routes.csv"], tmp_path / "again.html").is_file()


def test_the_console_shows_each_later_run_minus_the_first(instance, reeopt, tmp_path):
    """Refining at 29 instead of 20 per t of ore adds 9/0.9 = 10 to metal in B in every period: the
    console's mv_metal_B row reads the base's 39.76 then 49.76 (+10.00), the change of the second
    run against the first, not the other way round (-10.00)."""
    run = reeopt("compare", instance, "-s", "base", "-s", "dearer_refining", "--out", tmp_path)
    assert run.code == 0, run.err
    (row,) = [line for line in run.out.splitlines() if "mv_metal_B" in line and "flag" not in line]
    mean = (METAL_B[2025] * 5 + METAL_B[2030] + METAL_B[2031]) / 7
    assert [cell.strip() for cell in row.split("│")[1:-1]] == ["mv_metal_B", f"{mean:.2f}", f"{mean + 10:.2f} (+10.00)"]


def test_diff_reports_the_second_folder_minus_the_first(instance, tmp_path):
    """``reeopt diff A B`` on the base and the dearer refining: marginal values change by B − A, +10
    for metal in B in each of the three periods (+9/0.9 = 10 for metal in A as well), and the
    objective pair is (A's, B's)."""
    from optimizer.analysis.diff import diff_runs

    base, dearer = optimizer.solve(instance), optimizer.solve(instance, "dearer_refining")
    first, second = optimizer.write(base, tmp_path / "a"), optimizer.write(dearer, tmp_path / "b")
    found = diff_runs(first, second)
    assert found["summary"]["objective"] == pytest.approx((base.objective, dearer.objective))
    assert dearer.objective > base.objective
    balance = found["results"]["balance"].set_index(["region", "commodity", "period"])
    assert balance.loc[("B", "metal", 2030), "marginal_value_a"] == pytest.approx(METAL_B[2030])
    assert balance.loc[("B", "metal", 2030), "marginal_value_b"] == pytest.approx(METAL_B[2030] + 10)
    assert balance["change"].tolist() == pytest.approx([10.0] * 6)


def test_sourcing_shares_land_in_their_own_columns(tmp_path):
    """``lossy_import`` (tests/test_accounts.py): B's 27 t of metal are 1/3 from its own mine and 2/3
    from A's (by the ore that arrives): domestic_B 1/3, import_B 2/3, recycling_B 0."""
    from tests.test_accounts import lossy_import

    _, table = optimizer.api.compare(lossy_import(tmp_path / "lossy"), ["base"])
    row = table.iloc[0]
    assert row["domestic_B"] == pytest.approx(1 / 3, rel=1e-9)
    assert row["import_B"] == pytest.approx(2 / 3, rel=1e-9)
    assert row["recycling_B"] == 0


def test_diff_says_which_input_rows_the_second_folder_added_or_removed(instance, tmp_path):
    """A scenario that adds a demand row of 2030: diff from the base to it says the row was added,
    from it back to the base that it was removed."""
    (instance / "scenarios" / "more_2030.yaml").write_text(
        "name: more_2030\nchanges:\n  - table: demand\n"
        "    add: {region: B, commodity: metal, period: 2030, quantity: 50}\n"
    )
    from optimizer.analysis.diff import diff_runs

    base = optimizer.write(optimizer.solve(instance), tmp_path / "base")
    more = optimizer.write(optimizer.solve(instance, "more_2030"), tmp_path / "more")
    added = diff_runs(base, more)["inputs"]["demand"]
    assert added[["row", "change"]].values.tolist() == [["region=B, commodity=metal, period=2030", "added"]]
    assert diff_runs(more, base)["inputs"]["demand"]["change"].tolist() == ["removed"]
