"""The HTML report: its figures show exactly the numbers of the results folder, it reads only results
folders, and the page it writes opens and draws every chart in a real (headless) browser."""

from __future__ import annotations

import ast
import html.parser
import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import typer

import optimizer as reeopt
from optimizer import cli
from optimizer.errors import InputError
from optimizer.report import figures_for, read_results, write_report
from optimizer.report.chain import STAGE_LABELS
from optimizer.report.comparison import comparison_table
from optimizer.report.figures import mfca_figure, sourcing_figure, value_added_figure
from optimizer.report.flows import lump_regions, material_flow_links
from optimizer.report.marginal import builds_figure, capacity_duals_figure, marginal_value_map_figure
from optimizer.report.page import render_page
from optimizer.report.sankey import material_flow_figure

REPORT_PACKAGE = Path(reeopt.__file__).parent / "report"
TOY = Path(reeopt.__file__).parents[1] / "instances" / "toy"
GROWTH = """
name: growth
description: Five times the magnet demand; SOUTH may build heavy-clay mining.
changes:
  - table: demand
    where: {commodity: ndfeb_magnet}
    scale: {quantity: 5}
  - table: processes
    where: {process: mining_heavy}
    set: {capex: 100, max_build: 1000}
"""


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> dict[str, Path]:
    """Real results folders of the toy: base, the soft export ban (unmet demand), the hard ban
    (infeasible: summary.json and diagnosis.txt only), and a two-period variant that builds."""
    root = tmp_path_factory.mktemp("results")
    folders = {
        "base": reeopt.write(reeopt.solve("toy"), root / "base"),
        "soft": reeopt.write(reeopt.solve("toy", scenario="north_export_ban_soft"), root / "soft"),
        "infeasible": reeopt.write(reeopt.solve("toy", scenario="north_export_ban"), root / "infeasible"),
    }
    growth = shutil.copytree(TOY, root / "toy_two_periods")
    yaml = growth / "instance.yaml"
    yaml.write_text(yaml.read_text().replace("periods: [2025]", "periods: [2025, 2030]"))
    (root / "growth.yaml").write_text(GROWTH)
    folders["growth"] = reeopt.write(reeopt.solve(growth, scenario=root / "growth.yaml"), root / "growth")
    return folders


def csv(folder: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(folder / f"{name}.csv")


# --- the material-flow diagram -------------------------------------------------------------------


@pytest.mark.parametrize("name", ["base", "soft", "growth"])
def test_sankey_links_add_up_to_the_mfa_and_trade_tables(results, name):
    folder = read_results(results[name])
    mfa, trade = csv(results[name], "mfa"), csv(results[name], "trade")
    for period in folder.periods:
        links = material_flow_links(folder, period).groupby("kind")["tonnes"].sum()
        in_period = mfa[mfa["period"] == period]
        shipped = trade[trade["period"] == period]
        assert links.get("processing", 0) == pytest.approx(in_period["consumed"].sum())
        assert links.get("trade", 0) == pytest.approx(shipped["arrived"].sum())
        assert links.get("transit_loss", 0) == pytest.approx((shipped["shipped"] - shipped["arrived"]).sum(), abs=1e-6)
        assert links.get("delivery", 0) == pytest.approx(in_period["delivered"].sum())
        assert links.get("disposal", 0) == pytest.approx(in_period["disposed"].sum())
        assert links.get("process_loss", 0) == pytest.approx(in_period["process_losses"].clip(lower=0).sum())


def test_sankey_figure_draws_every_link_between_region_stage_nodes(results):
    folder = read_results(results["base"])
    links = material_flow_links(folder, 2025)
    sankey = material_flow_figure(folder).data[0]
    assert sum(sankey.link.value) == pytest.approx(links["tonnes"].sum())
    assert max(*sankey.link.source, *sankey.link.target) < len(sankey.node.label)
    # The toy's exports from NORTH and SOUTH to EAST, by stage: oxide, 100 t in all.
    labels = list(sankey.node.label)
    trade = [v for v, kind in zip(sankey.link.value, sankey.link.customdata, strict=True) if kind == "trade"]
    assert sum(trade) == pytest.approx(100.0)
    assert {"NORTH", "SOUTH", "EAST", "losses", "disposed"} <= set(labels)
    assert all(0 < x < 1 for x in sankey.node.x) and all(0 < y < 1 for y in sankey.node.y)


def test_merging_small_regions_keeps_every_tonne_but_their_internal_trade(results):
    links = material_flow_links(read_results(results["base"]), 2025)
    merged = lump_regions(links, keep=["EAST"])
    assert set(merged["source_region"]) <= {"EAST", "other regions", ""}
    internal = links[
        (links["kind"] == "trade") & links["source_region"].ne("EAST") & links["target_region"].ne("EAST")
    ]["tonnes"].sum()
    assert merged["tonnes"].sum() == pytest.approx(links["tonnes"].sum() - internal)


def test_without_the_instance_the_diagram_falls_back_to_commodities(results, tmp_path):
    folder = shutil.copytree(results["base"], tmp_path / "moved")
    summary = json.loads((folder / "summary.json").read_text())
    (folder / "summary.json").write_text(
        json.dumps({**summary, "instance": "no_such_instance", "instance_path": str(tmp_path / "gone")})
    )
    moved = read_results(folder)
    assert moved.chain is None
    links = material_flow_links(moved, 2025).groupby("kind")["tonnes"].sum()
    assert links["trade"] == pytest.approx(100.0)
    assert links["delivery"] == pytest.approx(120.0)
    assert "commodity" in material_flow_figure(moved).layout.meta["reading"]


# --- the other figures show the tables' numbers ---------------------------------------------------


@pytest.mark.parametrize("name", ["base", "soft", "growth"])
def test_sourcing_bars_equal_the_sourcing_table(results, name):
    folder = read_results(results[name])
    period = folder.periods[-1]
    sourcing = csv(results[name], "sourcing")
    expected = sourcing[sourcing["period"] == period].groupby(["region", "commodity"])["tonnes"].sum()
    drawn = (
        pd.concat([pd.Series(bar.y, index=pd.MultiIndex.from_arrays(bar.x)) for bar in sourcing_figure(folder).data])
        .groupby(level=[0, 1])
        .sum()
    )
    pd.testing.assert_series_equal(drawn.sort_index(), expected.sort_index().astype(float), check_names=False)


def test_sourcing_reading_names_the_import_dependence(results):
    reading = sourcing_figure(read_results(results["base"])).layout.meta["reading"]
    assert reading.startswith("EAST's deliveries come 100% from imported mining (75% mined in NORTH)")


def test_mfca_waterfall_ends_at_each_stages_costs_and_shows_losses_apart(results):
    folder = read_results(results["base"])
    mfca = csv(results["base"], "mfca")
    figure = mfca_figure(folder)
    bars = {bar.name: bar for bar in figure.data}
    totals = dict(zip(bars["total"].x[0], bars["total"].y, strict=True))
    assert totals["oxide"] == pytest.approx(mfca.query("stage == 'oxide'")[["to_products", "to_losses"]].sum().sum())
    losses = bars["material losses (all categories)"]
    assert sum(losses.y) == pytest.approx(mfca["to_losses"].sum())


def test_value_added_bars_are_the_hand_derived_value_added(results):
    """The toy's value added per stage (tests/test_accounts.py derives each region's by hand):

    at marginal values, mining 30,000 (NORTH) + 15,000 (SOUTH), separation 60,000 + 25,000, magnets
    100,000; at reference prices, separation 113,550 + 50,100 and magnets 137,500 (concentrates
    have no reference price, so no bar).
    """
    expected = {
        "marginal_value": {"concentrate": 45_000, "oxide": 85_000, "functional_material": 100_000},
        "reference_price": {"oxide": 163_650, "functional_material": 137_500},
    }
    labels = {stage: STAGE_LABELS[stage] for stage in ("concentrate", "oxide", "functional_material")}
    bars = value_added_figure(read_results(results["base"])).data
    assert len(bars) == 2
    for bar in bars:
        basis = "marginal_value" if "marginal" in bar.name else "reference_price"
        drawn = {x: y for x, y in zip(bar.x, bar.y, strict=True) if not np.isnan(y)}
        assert drawn == pytest.approx({labels[s]: v for s, v in expected[basis].items()}, rel=1e-6), basis


def test_marginal_value_map_prints_the_balance_marginal_values(results):
    folder = read_results(results["base"])
    heatmap = marginal_value_map_figure(folder).data[0]
    balance = csv(results["base"], "balance").set_index(["commodity", "region"])["marginal_value"]
    assert list(heatmap.y) == ["NdPr_oxide", "Dy2O3", "ndfeb_magnet"]
    for row, commodity in enumerate(heatmap.y):
        for column, region in enumerate(heatmap.x):
            value = heatmap.customdata[row][column]
            if (commodity, region) in balance.index:
                assert value == pytest.approx(balance[(commodity, region)])
            else:
                assert np.isnan(value)


def test_builds_and_binding_capacities_are_charted(results):
    folder = read_results(results["growth"])
    builds = csv(results["growth"], "builds")
    assert sum(sum(bar.y) for bar in builds_figure(folder).data) == pytest.approx(builds["built"].sum())
    duals = capacity_duals_figure(folder, 2025)
    activity = csv(results["growth"], "activity").query("period == 2025 and capacity_dual > 0")
    assert sorted(duals.data[0].x) == pytest.approx(sorted(activity["capacity_dual"]))
    # one more t/yr of mining_light in NORTH saves 265.5 in 2025, one less costs 328 (finite differences):
    # the bar's 328 is one end of that interval, flagged, and the reading does not call it a saving
    assert all(label.endswith(" *") for label in duals.data[0].y)
    assert "would save 328" not in duals.layout.meta["reading"]
    assert "one end of an interval" in duals.layout.meta["reading"]


def test_every_figure_has_a_title_with_units_and_a_reading(results):
    for name in ("base", "growth"):
        figures = figures_for(results[name])
        assert len(figures) == 9
        for key, figure in figures.items():
            title, reading = figure.layout.meta["title"], figure.layout.meta["reading"]
            assert re.search(r"\((t|USD|t REO)[^)]*\)", title), f"{key}: no units in '{title}'"
            assert reading.endswith(".") and len(reading) > 20, f"{key}: reading '{reading}'"
            assert figure.layout.title.subtitle.text


def test_a_period_can_be_chosen_and_a_wrong_one_is_an_input_error(results):
    assert "2025" in figures_for(results["growth"], period=2025)["material_flow"].layout.meta["title"]
    assert "2030" in figures_for(results["growth"])["material_flow"].layout.meta["title"]
    with pytest.raises(InputError, match="no period 1999"):
        figures_for(results["growth"], period=1999)


# --- missing data, several folders ---------------------------------------------------------------


def test_an_infeasible_run_shows_its_diagnosis_and_no_charts(results):
    folder = read_results(results["infeasible"])
    assert figures_for(results["infeasible"]) == {}
    page = render_page([folder])
    assert "15.7895 t short of 100 t demanded" in page
    assert "banned (capacity 0)" in page
    assert 'class="plotly-graph-div"' not in page


def test_missing_and_empty_tables_give_empty_charts_not_errors(results, tmp_path):
    folder = shutil.copytree(results["base"], tmp_path / "partial")
    for name in ("sourcing", "mfca", "value_added", "trade"):
        (folder / f"{name}.csv").unlink()
    (folder / "builds.csv").write_text("")
    figures = figures_for(folder)
    assert figures["sourcing"].layout.meta["reading"] == "Nothing is delivered in 2025."
    assert figures["mfca"].data == ()
    assert figures["material_flow"].data  # still drawn, from mfa and activity


def test_comparison_table_differences_against_the_first_folder(results):
    folders = [read_results(results[name]) for name in ("base", "soft", "infeasible")]
    table = comparison_table(folders)
    assert list(table.columns) == ["base", "north_export_ban_soft", "north_export_ban"]
    assert table.loc["status"].tolist() == ["optimal", "optimal", "infeasible"]
    assert table.loc["objective (USD)", "base"] == pytest.approx(237850.0)
    page = render_page(folders)
    assert page.count('class="changed"') >= 5
    assert '<span class="diff up">+72.4%</span>' in page  # objective 410.0 k against 237.8 k USD


def test_report_reads_only_results_folders(results):
    """The report's modules import no model, solver, Pyomo or highspy: only pandas, numpy, plotly, the
    standard library, the report's own modules and the errors it raises."""
    # the instance and its chain are data read from files; the model, solver and solution are not
    allowed_optimizer = {
        "optimizer.errors",
        "optimizer.output.columns",
        "optimizer.instance",
        "optimizer.instance.schema",
        "optimizer.instance.chain",
        "optimizer.analysis.readback",  # results files read as untrusted input (pandas and json only)
        "optimizer.statistics",  # reads only DataFrames: the one definition of prices, builds, flows, costs
    }
    for module in REPORT_PACKAGE.glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text())):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
            names += [node.module] if isinstance(node, ast.ImportFrom) and node.module else []
            for name in names:
                root = name.split(".")[0]
                assert root not in {"pyomo", "highspy", "scipy", "networkx"}, f"{module.name} imports {name}"
                if root == "optimizer":
                    assert name.startswith("optimizer.report") or name in allowed_optimizer, f"{module.name}: {name}"


def test_report_is_one_self_contained_file(results, tmp_path):
    out = write_report([results["base"], results["soft"]], tmp_path / "sub" / "report.html")
    page = out.read_text(encoding="utf-8")
    assert page.count("* plotly.js v") == 1  # the library, once
    assert not re.search(r"""<script[^>]+src=|<link[^>]+href=["']?https?:""", page)  # nothing fetched
    assert page.count('class="plotly-graph-div"') == 4 + 2 * 9  # comparison: costs, unmet, values, builds


# --- in a real browser ---------------------------------------------------------------------------

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed: apt-get install chromium")


def chromium(page: Path, profile: Path, *arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={profile}",
            "--virtual-time-budget=10000",
            *arguments,
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )


class ChartContainers(html.parser.HTMLParser):
    """Each plotly chart container of a rendered page (by id) and whether an svg was drawn inside it."""

    def __init__(self):
        super().__init__()
        self.drawn: dict[str, bool] = {}
        self.open: list[tuple[str, str | None]] = []  # (tag, chart id it opens)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        chart = attributes.get("id") if "plotly-graph-div" in (attributes.get("class") or "") else None
        if chart:
            self.drawn[chart] = False
        if tag == "svg" and "main-svg" in (attributes.get("class") or ""):
            for _, inside in self.open:
                if inside:
                    self.drawn[inside] = True
        if tag not in {"img", "br", "hr", "input", "meta", "link", "path", "rect", "circle", "line", "stop"}:
            self.open.append((tag, chart))

    def handle_endtag(self, tag):
        for i in range(len(self.open) - 1, -1, -1):
            if self.open[i][0] == tag:
                del self.open[i:]
                break


@pytest.fixture(scope="module")
def browser_report(results, tmp_path_factory) -> Path:
    folders = [results[name] for name in ("base", "soft", "infeasible", "growth")]
    return write_report(folders, tmp_path_factory.mktemp("report") / "report.html")


@needs_chromium
def test_every_chart_renders_in_a_browser_without_javascript_errors(browser_report, tmp_path):
    run = chromium(browser_report, tmp_path / "profile", "--enable-logging=stderr", "--v=0", "--dump-dom")
    assert run.returncode == 0, run.stderr[-2000:]
    containers = ChartContainers()
    containers.feed(run.stdout)
    assert len(containers.drawn) == 4 + 3 * 9  # comparison (costs, unmet, values, builds), then three folders
    assert all(containers.drawn.values()), [chart for chart, drawn in containers.drawn.items() if not drawn]
    console = [line for line in run.stderr.splitlines() if ":CONSOLE" in line]
    errors = [line for line in console if re.search(r"Uncaught|Error|error", line)]
    assert not errors, errors


@needs_chromium
def test_report_screenshot(browser_report, tmp_path):
    """A full-page picture of the report, kept in the test's folder for a person to look at."""
    screenshot = tmp_path / "report.png"
    run = chromium(browser_report, tmp_path / "profile", f"--screenshot={screenshot}", "--window-size=1400,3000")
    assert run.returncode == 0, run.stderr[-2000:]
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert screenshot.stat().st_size > 50_000  # charts, not a blank page


# --- the command line (``reeopt report``, ``reeopt solve --report``) -------------------------------


def command_line_has(command: str, option: str | None = None) -> bool:
    group = typer.main.get_command(cli.app)
    found = group.commands.get(command)
    return found is not None and (option is None or any(option in parameter.opts for parameter in found.params))


@pytest.mark.skipif(not command_line_has("report"), reason="`reeopt report` is not wired into optimizer/cli.py yet")
def test_command_line_report_of_several_folders(results, reeopt, tmp_path):
    out = tmp_path / "report.html"
    run = reeopt("report", results["base"], results["soft"], "--out", out, "--period", "2025")
    assert run.code == 0, run.err
    assert out.read_text(encoding="utf-8").count('class="plotly-graph-div"') == 4 + 2 * 9
    wrong = reeopt("report", results["base"], "--period", "1999", "--out", tmp_path / "wrong.html")
    assert wrong.code == 2 and "no period 1999" in wrong.err
    assert not (tmp_path / "wrong.html").exists()


@pytest.mark.skipif(
    not command_line_has("solve", "--report"), reason="`reeopt solve --report` is not wired into optimizer/cli.py yet"
)
def test_command_line_solve_writes_a_report_too(reeopt, tmp_path):
    run = reeopt("solve", "toy", "--out", tmp_path / "base", "--report", "--quiet")
    assert run.code == 0, run.err
    reports = list(tmp_path.rglob("*.html"))
    assert len(reports) == 1 and 'class="plotly-graph-div"' in reports[0].read_text(encoding="utf-8")


def test_a_flagged_capacity_dual_is_marked_and_not_read_as_a_saving(tmp_path):
    """tests/test_buildout.py's island: the mine's 2026 capacity dual is 200, one end of [90, 200]
    (capacity_dual_flag not_unique). The chart marks its bar and its reading does not say that one
    more t/yr would save 200."""
    from tests.test_hedge import island_instance

    island_instance(tmp_path / "island", penalty=1000)
    folder = read_results(reeopt.write(reeopt.solve(tmp_path / "island"), tmp_path / "out"))
    duals = capacity_duals_figure(folder, 2026)
    assert list(duals.data[0].y) == ["mine in A *"] and list(duals.data[0].x) == pytest.approx([200])
    reading = duals.layout.meta["reading"]
    assert "would save" not in reading and "one end of an interval" in reading
