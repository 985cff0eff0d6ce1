"""The report's pages of the analyses beyond one run — sweep, sensitivity, alternatives, chokepoints: each
folder is told by its files, every figure shows exactly the numbers of the folder's files, and a page
mixing them with results folders draws every chart in a real (headless) browser."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import optimizer as reeopt
from optimizer import api
from optimizer.errors import InputError
from optimizer.output.results import write_folder, write_sweep, write_table
from optimizer.report import figures_for, folder_kind, read_analysis, write_report
from optimizer.report.alternatives import alternatives_figures
from optimizer.report.chokepoints import chokepoints_figure, min_cut_table
from optimizer.report.sensitivity import morris_figure, sobol_figure
from optimizer.report.sweep import (
    build_probability_figure,
    fan_figure,
    objective_distribution_figure,
    objective_movers_figure,
    sweep_tables,
    yearly_outputs,
)
from tests.test_report import ChartContainers, chromium, needs_chromium

TOY = Path(reeopt.__file__).parents[1] / "instances" / "toy"
GROWTH = """
name: growth
description: 3.5 times the magnet demand; SOUTH may build heavy-clay mining.
changes:
  - table: demand
    where: {commodity: ndfeb_magnet}
    scale: {quantity: 3.5}
  - table: processes
    where: {process: mining_heavy}
    set: {capex: 100, max_build: 1000}
"""
# Added to the toy's uncertain inputs: magnet demand decides whether SOUTH builds; losing the magnet
# plant leaves no solution, so some samples fail.
MORE_INPUTS = """  - name: magnet_demand
    table: demand
    where: {commodity: ndfeb_magnet}
    column: quantity
    scale: {uniform: [0.6, 1.2]}
  - name: magnet_plant_lost
    table: processes
    where: {process: magnet_making}
    column: capacity
    set: 0
    probability: 0.25
outputs:"""


@pytest.fixture(scope="module")
def folders(tmp_path_factory) -> dict[str, Path]:
    """Real folders of the toy, written as the command line writes them: two results folders, a sweep of
    the toy, a sweep of a two-period toy that builds in some samples and fails in others, Morris and
    Sobol sensitivity, near-optimal alternatives and chokepoints."""
    root = tmp_path_factory.mktemp("beyond")
    found = {
        "base": reeopt.write(reeopt.solve("toy"), root / "base"),
        "soft": reeopt.write(reeopt.solve("toy", scenario="north_export_ban_soft"), root / "soft"),
        "sweep": write_sweep(root / "toy" / "sweep", *api.sweep("toy", 8, workers=0)),
    }
    growth = shutil.copytree(TOY, root / "toy_two_periods")
    (growth / "instance.yaml").write_text(
        (growth / "instance.yaml").read_text().replace("periods: [2025]", "periods: [2025, 2030]")
    )
    (growth / "scenarios" / "growth.yaml").write_text(GROWTH)
    spec = growth / "uncertainty.yaml"
    spec.write_text(spec.read_text().replace("outputs:", MORE_INPUTS))
    found["sweep_years"] = write_sweep(
        root / "sweep_years", *api.sweep(growth, 12, scenario="growth", workers=0, seed=2)
    )
    for method, samples in (("morris", 4), ("sobol", 8)):
        ranking, solved = api.sensitivity("toy", method, samples=samples)
        found[method] = write_folder(
            root / method,
            {"sensitivity.csv": ranking.to_csv(index=False), "samples.csv": solved.to_csv(index=False)},
        )
    _, table = api.alternatives("toy", slack=0.1)
    found["alternatives"] = write_table(table, root / "toy" / "alternatives" / "alternatives.csv").parent
    cuts = api.chokepoints("toy")
    write_table(cuts["ranking"], root / "toy" / "chokepoints" / "chokepoints.csv")
    found["chokepoints"] = write_table(cuts["min_cuts"], root / "toy" / "chokepoints" / "min_cuts.csv").parent
    return found


def samples_csv(folder: Path) -> pd.DataFrame:
    samples = pd.read_csv(folder / "samples.csv")
    return samples[samples["status"] == "optimal"]


def by_year(trace) -> pd.Series:
    """A fan trace's values by year (a lone year is drawn as a segment around it: two equal points)."""
    return pd.Series(trace.y, index=list(trace.customdata)).groupby(level=0).first()


# --- telling folders apart ------------------------------------------------------------------------


def test_each_folder_is_told_by_its_files(folders, tmp_path):
    kinds = {name: folder_kind(path) for name, path in folders.items()}
    assert kinds == {
        "base": "results",
        "soft": "results",
        "sweep": "sweep",
        "sweep_years": "sweep",
        "morris": "sensitivity",
        "sobol": "sensitivity",
        "alternatives": "alternatives",
        "chokepoints": "chokepoints",
    }
    assert folder_kind(folders["chokepoints"] / "min_cuts.csv") == "chokepoints"  # a file stands for its folder
    assert read_analysis(folders["alternatives"]).label == "Near-optimal alternatives: toy"  # results/<instance>/…
    assert read_analysis(folders["sweep"]).label == "Monte Carlo sweep: toy / base"
    (tmp_path / "stray").mkdir()
    with pytest.raises(InputError, match="not a folder reeopt wrote"):
        write_report([folders["base"], tmp_path / "stray"], tmp_path / "report.html")
    assert not (tmp_path / "report.html").exists()


# --- sweep ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["sweep", "sweep_years"])
def test_fan_bands_are_the_quantiles_of_the_yearly_columns(folders, name):
    folder = read_analysis(folders[name])
    samples = samples_csv(folders[name])
    outputs = yearly_outputs(folder.table("samples"))
    assert outputs == ["cost", "mv_ndfeb_magnet_EAST"]
    for output in outputs:
        drawn = {trace.meta: by_year(trace) for trace in fan_figure(folder, output).data}
        assert set(drawn) == {"p5", "p25", "p50", "p75", "p95"}
        for key, values in drawn.items():
            for year, value in values.items():
                expected = samples[f"{output}@{year}"].quantile(int(key[1:]) / 100)
                assert value == pytest.approx(expected, rel=1e-9), (output, key, year)
    years = {int(column.rpartition("@")[2]) for column in samples.columns if "@" in column}
    assert set(drawn["p50"].index) == years


def test_fan_of_one_year_agrees_with_the_sweep_summary(folders):
    summary = json.loads((folders["sweep"] / "summary.json").read_text())
    fan = fan_figure(read_analysis(folders["sweep"]), "mv_ndfeb_magnet_EAST")
    for trace in fan.data:
        assert by_year(trace)[2025] == pytest.approx(summary["quantiles"]["mv_ndfeb_magnet_EAST@2025"][trace.meta])
    assert fan.layout.meta["reading"].startswith("In 2025, the median marginal value of ndfeb_magnet in EAST is")


def test_objective_distribution_holds_every_solved_sample_and_no_failed_one(folders):
    folder = read_analysis(folders["sweep_years"])
    summary = json.loads((folders["sweep_years"] / "summary.json").read_text())
    samples = samples_csv(folders["sweep_years"])
    assert 0 < summary["failed"] < summary["samples"]  # the fixture's sweep has failures to leave out
    histogram, ecdf = objective_distribution_figure(folder).data
    np.testing.assert_allclose(np.sort(histogram.x), np.sort(samples["objective"]), rtol=1e-9)
    assert len(histogram.x) == summary["optimal"]
    assert ecdf.y[-1] == pytest.approx(1.0) and list(ecdf.x) == sorted(ecdf.x)
    lines = [shape.x0 for shape in objective_distribution_figure(folder).layout.shapes]
    assert lines == pytest.approx([summary["quantiles"]["objective"][key] for key in ("p5", "p50", "p95")])
    failed = next(iter(sweep_tables(folder).values()))
    assert failed["status"].tolist() == ["infeasible"] * summary["failed"]


def test_build_probability_and_objective_movers_match_the_sweep_summary(folders):
    folder = read_analysis(folders["sweep_years"])
    summary = json.loads((folders["sweep_years"] / "summary.json").read_text())
    bars = build_probability_figure(folder).data[0]
    assert dict(zip(bars.x, bars.y, strict=True)) == pytest.approx(summary["build_probability"])
    assert 0 < summary["build_probability"]["SOUTH"] < 1
    movers = objective_movers_figure(folder).data[0]
    expected = {mover["input"]: mover["spearman_rho"] for mover in summary["objective_movers"]}
    assert dict(zip(movers.y, movers.x, strict=True)) == pytest.approx(expected)
    assert movers.y[-1] == summary["objective_movers"][0]["input"]  # the strongest on top
    toy = build_probability_figure(read_analysis(folders["sweep"]))
    assert toy.layout.meta["reading"] == "No region builds new capacity in any sample."


# --- sensitivity ----------------------------------------------------------------------------------


def test_morris_bars_and_plane_show_sensitivity_csv(folders):
    folder = read_analysis(folders["morris"])
    table = pd.read_csv(folders["morris"] / "sensitivity.csv")
    assert set(figures_for(folders["morris"])) == {f"morris_{output}" for output in table["output"].unique()}
    for output, rows in table.groupby("output"):
        figure = morris_figure(folder, output)
        sigma, mu, _, plane = figure.data
        assert (mu.name, sigma.name) == ("μ*", "σ")
        ranked = rows.sort_values("rank")
        assert list(mu.y) == list(ranked["input"])[::-1]  # rank 1 at the top
        assert list(mu.x) == pytest.approx(list(ranked["mu_star"])[::-1])
        assert list(sigma.x) == pytest.approx(list(ranked["sigma"])[::-1])
        assert list(plane.customdata) == list(ranked["input"])
        assert list(plane.x) == pytest.approx(list(ranked["mu_star"]))
        assert list(plane.y) == pytest.approx(list(ranked["sigma"]), abs=1e-9)
    first = table[(table["output"] == "objective") & (table["rank"] == 1)]["input"].item()
    assert (
        morris_figure(folder, "objective").layout.meta["reading"].startswith(f"{first} matters most for the objective")
    )


def test_sobol_bars_show_sensitivity_csv(folders):
    folder = read_analysis(folders["sobol"])
    table = pd.read_csv(folders["sobol"] / "sensitivity.csv")
    for output, rows in table.groupby("output"):
        first, total = sobol_figure(folder, output).data
        ranked = rows.sort_values("rank").iloc[::-1]
        assert list(first.y) == list(ranked["input"])
        assert list(first.x) == pytest.approx(list(ranked["S1"]))
        assert list(total.x) == pytest.approx(list(ranked["ST"]))


# --- alternatives ---------------------------------------------------------------------------------


def test_alternatives_objective_and_shares_equal_alternatives_csv(folders):
    table = pd.read_csv(folders["alternatives"] / "alternatives.csv")
    figures = alternatives_figures(read_analysis(folders["alternatives"]))
    bars = figures["alternatives_objective"].data[0]
    assert list(bars.x)[::-1] == pytest.approx(list(table["objective"]))
    assert list(bars.y)[-1] == "optimum" and table["direction"].iloc[0] == "optimum"
    assert len(set(bars.marker.color[:-1])) == 1 and bars.marker.color[-1] != bars.marker.color[0]  # optimum stands out
    sourcing = figures["alternatives_sourcing"]
    panels = {title.text: heatmap for title, heatmap in zip(sourcing.layout.annotations, sourcing.data, strict=True)}
    assert set(panels) == {"domestic mining", "imported mining", "recycling"}  # the toy has no China
    domestic = panels["domestic mining"]
    assert list(domestic.y) == ["optimum", *table["direction"].iloc[1:]]
    np.testing.assert_allclose(
        np.asarray(domestic.z, dtype=float), table[[f"domestic_{region}" for region in domestic.x]].to_numpy()
    )
    objective = table["objective"]
    assert (
        f"{(objective.iloc[1:].max() / objective.iloc[0] - 1) * 100:.1f}%"
        in figures["alternatives_objective"].layout.meta["reading"]
    )


# --- chokepoints ----------------------------------------------------------------------------------


def test_chokepoint_bars_equal_chokepoints_csv(folders):
    ranking = pd.read_csv(folders["chokepoints"] / "chokepoints.csv")
    figure = chokepoints_figure(read_analysis(folders["chokepoints"]))
    traces = {trace.name: trace for trace in figure.data}
    blocked = ranking[ranking["cost_increase"].isna()]
    assert not blocked.empty and (blocked["status"] == "infeasible").all()
    no_solution = traces["no solution (infeasible)"]
    assert list(no_solution.y) == list(blocked["element"]) and set(no_solution.text) == {"no solution"}
    solved = ranking[ranking["cost_increase"].notna()]
    by_kind = [trace for trace in figure.data if trace.name in set(ranking["kind"])]
    cost = {y: x for trace in by_kind for x, y in zip(trace.x, trace.y, strict=True)}
    assert cost == pytest.approx(dict(zip(solved["element"], solved["cost_increase"], strict=True)))
    unmet = traces["unmet demand added"]
    assert dict(zip(unmet.y, unmet.x, strict=True)) == pytest.approx(
        dict(zip(solved["element"], solved["unmet_increase"], strict=True))
    )
    assert list(figure.layout.yaxis.categoryarray)[::-1] == list(ranking["element"])  # rank 1 at the top
    assert no_solution.x[0] > max(cost.values())  # drawn past every cost: off the scale, not a number


def test_min_cuts_are_tabled_as_written(folders):
    written = pd.read_csv(folders["chokepoints"] / "min_cuts.csv")
    table = min_cut_table(read_analysis(folders["chokepoints"]))
    assert list(table["all supply passes through"]) == list(written["cut"])
    assert list(table["demand (commodity@region)"]) == list(written["demand"])


# --- every figure, and the page ---------------------------------------------------------------------


def test_every_analysis_figure_has_a_title_with_units_and_a_reading(folders):
    for name in ("sweep", "sweep_years", "morris", "sobol", "alternatives", "chokepoints"):
        for key, figure in figures_for(folders[name]).items():
            title, reading = figure.layout.meta["title"], figure.layout.meta["reading"]
            assert re.search(r"\([^)]+\)$", title), f"{name}/{key}: no units in '{title}'"
            assert reading.endswith(".") and len(reading) > 20, f"{name}/{key}: reading '{reading}'"
            assert figure.layout.title.subtitle.text


def chart_counts(folders: dict[str, Path], names: list[str]) -> int:
    return sum(len(figures_for(folders[name])) for name in names)


def test_a_report_mixes_results_and_analysis_folders_in_the_order_given(folders, tmp_path):
    names = ["base", "sweep_years", "morris", "soft", "alternatives", "chokepoints"]
    page = write_report([folders[name] for name in names], tmp_path / "report.html").read_text(encoding="utf-8")
    assert page.count('class="plotly-graph-div"') == 4 + chart_counts(folders, names)  # comparison of the two runs
    headings = re.findall(r"<h2>([^<]+)</h2>", page)
    assert headings == [
        "Comparison of scenarios",
        "toy / base",
        "Monte Carlo sweep: toy / growth",
        "Sensitivity: morris",
        "toy / north_export_ban_soft",
        "Near-optimal alternatives: toy",
        "Chokepoints: toy",
    ]
    assert "NdPr_oxide@NORTH; separation_heavy@SOUTH" in page  # the min cut, as a table
    assert "Samples without an optimal solution" in page
    assert page.count("* plotly.js v") == 1


# --- in a real browser ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser_report(folders, tmp_path_factory) -> Path:
    names = ["base", "sweep", "sweep_years", "morris", "sobol", "alternatives", "chokepoints"]
    return write_report([folders[name] for name in names], tmp_path_factory.mktemp("page") / "report.html")


@needs_chromium
def test_every_analysis_chart_renders_in_a_browser_without_javascript_errors(folders, browser_report, tmp_path):
    run = chromium(browser_report, tmp_path / "profile", "--enable-logging=stderr", "--v=0", "--dump-dom")
    assert run.returncode == 0, run.stderr[-2000:]
    containers = ChartContainers()
    containers.feed(run.stdout)
    names = ["base", "sweep", "sweep_years", "morris", "sobol", "alternatives", "chokepoints"]
    assert len(containers.drawn) == chart_counts(folders, names)
    assert all(containers.drawn.values()), [chart for chart, drawn in containers.drawn.items() if not drawn]
    console = [line for line in run.stderr.splitlines() if ":CONSOLE" in line]
    errors = [line for line in console if re.search(r"Uncaught|Error|error", line)]
    assert not errors, errors
