"""The world instance and the questions it answers: controls, build-outs, routes, comparison."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import optimizer as reeopt
from tests.builders import INSTANCES
from tests.conftest import run_process

PROCESSING = ("oxide", "metal", "functional_material")
ALLIES = ("JP", "US", "EU", "KR")


def every_scenario():
    return [
        (folder.name, path.stem)
        for folder in sorted(INSTANCES.iterdir())
        if (folder / "scenarios").is_dir()
        for path in sorted((folder / "scenarios").glob("*.yaml"))
    ]


@pytest.mark.parametrize(("instance", "scenario"), every_scenario())
def test_every_scenario_file_validates(reeopt, instance, scenario):
    run = reeopt("validate", instance, "--scenario", scenario)
    assert run.code == 0, run.err
    assert reeopt_description(instance, scenario), "each scenario is documented in one line"


def reeopt_description(instance: str, scenario: str) -> str:
    return reeopt.load(instance, scenario).scenario_description


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    out = tmp_path_factory.mktemp("compare")
    run = run_process(
        "compare",
        "world",
        "-s",
        "base",
        "-s",
        "cn_export_controls",
        "-s",
        "cn_export_controls_oct2025",
        "--out",
        out,
        "--quiet",
        timeout=600,
    )
    assert run.code == 0, run.err
    return out


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


def test_routes_avoiding_china_contain_no_chinese_node(tmp_path, reeopt):
    run = reeopt(
        "routes", "world", "--commodity", "Dy_metal", "--region", "JP", "--avoid", "CN", "--out", tmp_path, "--quiet"
    )
    assert run.code == 0, run.err
    routes = pd.read_csv(tmp_path / "routes.csv")
    avoiding = routes[routes["run"] == "avoiding_CN"]
    assert not avoiding.empty
    assert not avoiding["route"].str.contains("@CN").any()
    assert not avoiding["regions"].str.split(";").apply(lambda regions: "CN" in regions).any()
    assert list(routes.columns[:5]) == ["rank", "route", "regions", "tonnes", "cost_per_tonne"]


def test_routes_are_ranked_cheapest_first_and_tonnes_do_not_exceed_supply():
    found = reeopt.api.routes("world", "ndfeb_magnet", "EU", k=50)
    routes = found["optimum"]
    assert routes["cost_per_tonne"].is_monotonic_increasing
    delivered = found["optimum_solution"]["balance"].query("region == 'EU' and commodity == 'ndfeb_magnet'")
    supply = delivered.iloc[-1]["produced"] + delivered.iloc[-1]["imports"]
    assert routes["tonnes"].sum() <= supply * (1 + 1e-9)
