"""The world instance and the questions it answers: controls, build-outs, routes, comparison."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import optimizer as reeopt
from tests.builders import INSTANCES
from tests.conftest import once_per_run, run_process, run_process_once

PROCESSING = ("oxide", "metal", "functional_material")
ALLIES = ("JP", "US", "EU", "KR")


def every_scenario():
    return [
        (folder.name, path.stem)
        for folder in sorted(INSTANCES.iterdir())
        if (folder / "scenarios").is_dir()
        for path in sorted((folder / "scenarios").glob("*.yaml"))
    ]


@pytest.fixture(scope="module")
def validated(tmp_path_factory):
    """``reeopt validate INSTANCE -s A -s B ...`` over every scenario of an instance, run once per
    instance: the hints judge each scenario's changes against one base optimum, which one command
    solves once for all its ``--scenario`` (one command per scenario solved world's base twelve times)."""
    runs = {}

    def run(instance: str):
        if instance not in runs:
            scenarios = [name for folder, name in every_scenario() if folder == instance]
            with pytest.MonkeyPatch.context() as patch:
                patch.setenv("COLUMNS", "200")  # one line per scenario's "valid:" in the output
                arguments = [option for name in scenarios for option in ("--scenario", name)]
                runs[instance] = run_process_once(
                    tmp_path_factory, f"validate-{instance}", "validate", instance, *arguments, timeout=600
                )
        return runs[instance]

    return run


@pytest.mark.parametrize(("instance", "scenario"), every_scenario())
def test_every_scenario_file_validates(validated, instance, scenario):
    run = validated(instance)
    assert run.code == 0, run.err
    assert "Traceback" not in run.err
    assert f"valid: {instance} / {scenario}: " in run.out, run.out
    assert reeopt_description(instance, scenario), "each scenario is documented in one line"


def reeopt_description(instance: str, scenario: str) -> str:
    return reeopt.load(instance, scenario).scenario_description


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    """``reeopt compare world`` of three scenarios, its results folder written once per test run."""

    def write(folder: Path) -> None:
        scenarios = ("base", "cn_export_controls", "cn_export_controls_oct2025")
        arguments = [option for name in scenarios for option in ("-s", name)]
        run = run_process("compare", "world", *arguments, "--out", folder / "compare", "--quiet", timeout=600)
        assert run.code == 0, run.err

    return once_per_run(tmp_path_factory, "compare-world", write) / "compare"


def test_export_controls_never_lower_the_cost(compared):
    table = pd.read_csv(compared / "comparison.csv").set_index("scenario")
    assert table.loc["cn_export_controls", "objective"] >= table.loc["base", "objective"]
    assert table.loc["cn_export_controls_oct2025", "objective"] >= table.loc["cn_export_controls", "objective"]


def test_comparison_agrees_with_each_scenario_summary(compared):
    table = pd.read_csv(compared / "comparison.csv")
    for row in table.to_dict("records"):
        summary = json.loads((compared / row["scenario"] / "summary.json").read_text())
        assert row["objective"] == pytest.approx(summary["objective"], rel=1e-9)
        assert row["unmet_demand"] == pytest.approx(summary["unmet_demand"], rel=1e-9, abs=1e-9)
        for category, value in summary["costs"].items():
            assert row[category] == pytest.approx(value, rel=1e-9, abs=1e-6)


def processing_builds(folder: Path) -> float:
    builds = pd.read_csv(folder / "buildout.csv")
    chosen = builds[builds["stage"].isin(PROCESSING) & builds["region"].isin(ALLIES)]
    return float(chosen["built"].sum())


def test_processing_is_built_in_allied_regions_when_controls_bind_and_not_otherwise(compared):
    assert processing_builds(compared / "base") == 0
    assert processing_builds(compared / "cn_export_controls") > 1000


@pytest.fixture(scope="module")
def world_base():
    return reeopt.solve("world")


def test_routes_are_ranked_cheapest_first_and_tonnes_do_not_exceed_supply(world_base):
    """``api.routes`` without ``avoid`` is this, the routes of the base optimum (read on the fixture's
    solve rather than a second one of the same program)."""
    from optimizer.analysis.routes import supply_routes

    routes = supply_routes(world_base, "ndfeb_magnet", "EU", k=50)
    assert routes["cost_per_tonne"].is_monotonic_increasing
    delivered = world_base["balance"].query("region == 'EU' and commodity == 'ndfeb_magnet'")
    supply = delivered.iloc[-1]["produced"] + delivered.iloc[-1]["imports"]
    assert routes["tonnes"].sum() <= supply * (1 + 1e-9)


def test_base_prices_of_magnet_and_heavy_oxides_in_china_are_near_the_2024_market(world_base):
    """Issue 14's "done when": 2024 marginal values of NdPr, Dy, Tb and Y oxides in China within ±30 %
    of the USGS MCS 2026 annual prices (observed.csv, the calibration year: FOB China, read as the
    price in China, SOURCES.md §14 change 8), and no producing region
    prices Dy, Tb or NdPr oxide below a tenth of its 2024 market price in any year.

    A producing region's price is what a tonne made there is worth, ``marginal_value_made``: with
    transit forbidden (E2) an exporter of all it makes (Lynas Malaysia's Dy and Tb) has a balance
    dual that is one end of an interval (0, or −200 = −disposal cost, flagged), while its export
    netback is unique. None of these prices may carry a flag (a flagged value is not a price)."""
    observed = reeopt.load("world").table("observed")
    prices = observed[observed["kind"] == "price"].set_index(["commodity", "period"])["value"]
    values = world_base["balance"].set_index(["region", "commodity", "period"])["marginal_value"]
    for commodity in ("NdPr_oxide", "Dy2O3", "Tb4O7", "Y2O3"):
        market = prices[(commodity, 2024)]
        assert values[("CN", commodity, 2024)] == pytest.approx(market, rel=0.30), commodity
    balance = world_base["balance"]
    produced = balance[balance["commodity"].isin(["NdPr_oxide", "Dy2O3", "Tb4O7"]) & (balance["produced"] > 0)]
    floor = produced["commodity"].map(lambda c: 0.1 * prices[(c, 2024)])
    made = produced["marginal_value_made"]
    assert (made > floor).all(), produced[made <= floor]
    assert (produced["price_flag_made"] == "").all(), produced[produced["price_flag_made"] != ""]


def test_named_plants_outside_china_run_at_their_calibrated_2024_output(world_base):
    """The 2024 floors (processes.csv min_activity = 95 % of observed.csv) hold: MP separates at least
    0.95 × 8,562 t of feed (1,294 t NdPr oxide), Lynas Malaysia 0.95 × 27,602 t, Energy Fuels 0.95 × 121 t."""
    activity = world_base["activity"].set_index(["process", "region", "period"])["activity"]
    for key, observed in {
        ("separation_mountain_pass", "US", 2024): 8562,
        ("separation_mount_weld", "MY", 2024): 27602,
        ("separation_monazite", "US", 2024): 121,
    }.items():
        assert activity[key] >= 0.95 * observed - 1e-6, key


def test_lynas_heavy_circuit_runs_in_2025_at_least_its_published_quarter(world_base):
    """Lynas Malaysia separated Dy from May 2025 and reported 9 t of Dy+Tb oxide for July-September
    (SOURCES.md §11). Its SEG+ recipe yields 0.0449 t Dy2O3 + 0.016164 t Tb4O7 = 0.061064 t per t of
    feed, so that quarter took 9 / 0.061064 = 147.4 t of feed: the 2025 floor is 147 t (by hand), and
    the circuit, idle in 2024 (capacity 0), may not idle in 2025 even though China's separators tie
    with it on cost."""
    activity = world_base["activity"].set_index(["process", "region", "period"])["activity"]
    assert activity[("separation_seg_mount_weld", "MY", 2025)] >= 147 - 1e-6
    assert activity[("separation_seg_mount_weld", "MY", 2024)] == pytest.approx(0, abs=1e-6)


BACKSTOP_PREMIUM = 30_000  # processes.csv magnet_ndfeb_heavy_free CN: bulk making cost + this, USD/t


def test_the_heavy_free_backstop_is_idle_in_base_and_caps_dy_and_tb_when_myanmar_stops(world_base):
    """The Dy/Tb-free magnet (processes.csv ``magnet_ndfeb_heavy_free``, SOURCES.md §12) makes 1 t of
    magnet from 1.030928 t NdPr metal at the bulk making cost + 30,000 $/t; the Tb recipe from 1.015077
    NdPr + 0.015851 Tb, the Dy recipe from 0.980206 NdPr + 0.050722 Dy, both at the bulk cost. By
    hand, from the reduced costs of China's magnet processes in one period (M the magnet's value, N, T,
    D the metals'): while the Tb recipe runs, M = 1.015077 N + 0.015851 T + c and the backstop's
    reduced cost is non-negative, M <= 1.030928 N + c + 30,000, so T <= N + 30,000 / 0.015851 =
    N + 1,892,625; likewise D <= N + 30,000 / 0.050722 = N + 591,459 while the Dy recipe runs, each
    with equality in a period where the backstop runs too. In base the backstop never runs (its cap
    lies above every base price); without Myanmar's clays it runs, and the caps bind."""
    assert world_base["activity"].query("process == 'magnet_ndfeb_heavy_free'")["activity"].max() < 1e-6
    outage = reeopt.solve("world", "myanmar_outage")
    activity = outage["activity"].query("region == 'CN'").set_index(["process", "period"])["activity"]
    price = outage["balance"].query("region == 'CN'").set_index(["commodity", "period"])["marginal_value"]
    caps = {"magnet_ndfeb_tb": ("Tb_metal", 0.015851), "magnet_ndfeb_dy": ("Dy_metal", 0.050722)}
    binding = 0
    for period in sorted(outage["balance"]["period"].unique()):
        backstop_runs = activity[("magnet_ndfeb_heavy_free", period)] > 1e-6
        for recipe, (metal, content) in caps.items():
            if activity[(recipe, period)] <= 1e-6:
                continue
            cap = price[("NdPr_metal", period)] + BACKSTOP_PREMIUM / content
            assert price[(metal, period)] <= cap * (1 + 1e-6), (metal, period)
            if backstop_runs:
                assert price[(metal, period)] == pytest.approx(cap, rel=1e-6), (metal, period)
                binding += 1
    assert binding >= 4, "the backstop runs in the outage years and sets both heavy prices"


def test_under_the_ban_la_ce_uses_do_not_wait_on_minor_oxides_and_heavy_free_lines_are_built(compared):
    """SOURCES.md §15: with Sm, Gd, Er, TmYbLu and Ho in the other-uses recipe, the ban left 16,917 t
    of La/Ce uses unmet for want of ~37 t of TmYbLu; as direct demands, only those oxides can go short.
    Heavy-free magnet lines outside China (no capacity today, the magnet plants' build options) are
    built under the ban and never in base, where Dy and Tb cost less than the 30,000 $/t premium."""
    delivered = pd.read_csv(compared / "cn_export_controls" / "delivered.csv")
    assert delivered.query("commodity == 'other_uses'")["unmet"].max() < 1e-6
    assert delivered.query("commodity in ['Gd2O3', 'TmYbLu_oxides']")["unmet"].sum() > 1
    for scenario, built in (("base", False), ("cn_export_controls", True)):
        builds = pd.read_csv(compared / scenario / "builds.csv")
        lines = builds[(builds["process"] == "magnet_ndfeb_heavy_free") & (builds["region"] != "CN")]
        assert bool(lines["built"].sum() > 1000) == built, scenario


def test_clay_recipes_carry_their_sourced_heavy_shares():
    """Serra Verde's clay (BR) is the blend of the Xunwu and Xinfeng rows of USGS Table 2 whose heavy
    share (Gd-Lu + Y, commodities.csv element_group 'heavy') is the 24 % of TREO of its NI 43-101
    (SOURCES.md §11): by hand 0.24 x 0.95 separation recovery = 0.228 t of heavy oxides per t of mixed
    feed. Myanmar and Laos keep the Xinfeng recipe, 40.0 % heavy: 0.400 x 0.95 = 0.380. Every
    recipe's outputs sum to the 0.95 recovery."""
    instance = reeopt.load("world")
    recipes = instance.table("process_io")
    groups = instance.table("commodities").set_index("commodity")["element_group"]
    for process, heavy in {"separation_serra_verde": 0.228, "separation_ionic_medium": 0.380}.items():
        out = recipes[(recipes["process"] == process) & (recipes["direction"] == "out")]
        assert out["coefficient"].sum() == pytest.approx(0.95, abs=1e-6), process
        in_heavy = out["commodity"].map(groups) == "heavy"
        assert out.loc[in_heavy, "coefficient"].sum() == pytest.approx(heavy, abs=5e-4), process


# The 2025 validation rows of the world backcast that miss their tolerance, each diagnosed in
# instances/world/SOURCES.md §14: Dy (the two one-element substitution recipes fix Tb against Dy and
# NdPr) and Y (flat at its 2024 step; the market's rise has no driver in the data). Every other 2025
# validation row is claimed within tolerance.
KNOWN_2025_MISSES = {"Dy2O3 CN", "Y2O3 CN"}


def test_world_backcast_meets_every_calibration_row_and_the_claimed_2025_validation_rows(world_base):
    """``reeopt backcast world`` on the base solve (the fixture's, no second solve). A calibration row
    is an input meant to pin its figure (a floor, a binding capacity, a link's capacity, a demand
    curve's reference price), so each must be met within its tolerance in both years, the US mine in
    2025 included (95 % floor on MP's 51,000 t: 49,450 t with the 1,000 t of US monazite, -3 %).
    2025's validation rows are within tolerance except the diagnosed miss, which stays a miss
    (if one is fixed, README and SOURCES must say so)."""
    from optimizer.analysis.backcast import backcast_table

    table = backcast_table(world_base, reeopt.load("world").table("observed"))
    calibration = table[table["role"] == "calibration"]
    assert len(calibration) >= 29 and calibration["within"].all(), calibration[~calibration["within"]]
    validation = table[(table["role"] == "validation") & (table["period"] == 2025)]
    missed = set(validation.loc[~validation["within"], "item"])
    assert missed == KNOWN_2025_MISSES, validation[["item", "observed", "model", "deviation"]]
    us = table.set_index(["item", "period"]).loc[("mine output US", 2025)]
    assert us["role"] == "calibration" and us["model"] == pytest.approx(0.95 * 51000 + 1000, rel=1e-6)


def test_every_uncertain_event_of_world_leaves_the_calibration_floors_reachable():
    """A sweep sample fires events on top of the base; an event that sets a capacity below a calibration
    floor (2024's observed output held, processes.csv ``min_activity``) makes every such sample
    infeasible. With all events fired at once, no process row may have a floor above its capacity (the
    Myanmar outage set MM's clay mining to 0 in 2024 too, and 44 of 200 sweep samples failed)."""
    from optimizer.scenario import apply_changes
    from optimizer.uncertainty import default_spec_path, load_spec, sample_scenario

    base = reeopt.load("world")
    spec = load_spec(default_spec_path(base))
    fired = apply_changes(base, [sample_scenario(spec, {item.name: 1.0 for item in spec.inputs}, "every_event")])
    processes = fired.table("processes")
    floored = processes[processes["min_activity"].notna() & processes["capacity"].notna()]
    unreachable = floored[floored["min_activity"] > floored["capacity"]]
    assert unreachable.empty, unreachable[["process", "region", "period", "capacity", "min_activity"]]


def test_world_project_caps_bind_and_their_duals_are_the_finite_differences(tmp_path):
    """SOURCES §16: Serra Verde, Madagascar and South Africa are built to their announced project
    sizes in the base (the caps bind), and the dual constraints.csv reports for Serra Verde's cap is
    what 100 t/yr more or less of project is worth to the discounted total cost, both ways (it was
    -25,376 USD per t/yr on 2026-12-02; the differences agree to 0.1 %)."""
    study = reeopt.Study("world", engine="arrays")
    base = study.solve()
    caps = base["constraints"].query("family == 'build_total_limit'").set_index("index")
    for project in ("mining_serra_verde, BR", "mining_monazite, MG", "mining_monazite, ZA"):
        assert caps.at[project, "body"] == pytest.approx(caps.at[project, "upper"], rel=1e-9)
        assert caps.at[project, "dual"] < 0
    moved = {}
    for name, cap in (("serra_verde_larger", 8100), ("serra_verde_smaller", 7900)):
        path = tmp_path / f"{name}.yaml"
        path.write_text(
            f"name: {name}\nchanges:\n  - table: processes\n"
            "    where: {process: mining_serra_verde, region: BR}\n"
            f"    set: {{max_build_total: {cap}}}\n"
        )
        moved[name] = study.solve(str(path)).objective
    dual = caps.at["mining_serra_verde, BR", "dual"]
    assert (moved["serra_verde_larger"] - base.objective) / 100 == pytest.approx(dual, rel=5e-3)
    assert (base.objective - moved["serra_verde_smaller"]) / 100 == pytest.approx(dual, rel=5e-3)
