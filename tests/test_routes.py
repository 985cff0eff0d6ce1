"""Routes that mean it: joint costs allocated by value, the price beside the cost, --clean-of.

Toy (README of instances/toy), value allocation by hand. Marginal values: NdPr 1,228 at NORTH,
1,198 at SOUTH, 1,278 at EAST; Dy 3,248 at SOUTH; CeO2 -10 (disposed: carries no joint cost).

* NORTH route of NdPr into EAST: mining 100/t; separation 200/t of concentrate making 0.25 t NdPr
  and 0.70 t CeO2, all of the joint cost on NdPr: (200 + 100) / 0.25 = 1,200; shipping 50: 1,250.
* SOUTH route: mining 300, separation 500 per t of concentrate making 0.4 NdPr, 0.1 Dy, 0.4 CeO2;
  values 0.4·1198 = 479.2 and 0.1·3248 = 324.8; a tonne of NdPr carries 800·479.2/804/0.4 =
  1,192.04, shipping 80: 1,272.04; a tonne of Dy carries 800·324.8/804/0.1 = 3,231.84 (+80).
  By mass both would carry 800/0.9 = 888.9: a tonne of Dy would cost what a tonne of NdPr does.
* the price of both routes is NdPr's marginal value at EAST, 1,278.

--clean-of on the instance of tests/test_content.py (no content declared there): the optimum feeds US
magnets from CN (46/t); clean of CN the only route is AU ore, US refining, US magnets:
40 + 1 + 20 + 30 = 91/t, priced at the clean marginal value 91, and the whole chain costs
1830 - 1535 = 295 more.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

import optimizer as reeopt
from optimizer.errors import InputError
from tests.builders import write_instance
from tests.test_accounts import lossy_import
from tests.test_content import content_instance


def route(table, first_region, commodity_step):
    rows = table[table["regions"].str.startswith(first_region) & table["route"].str.contains(commodity_step)]
    return rows.iloc[0]


def test_joint_costs_are_allocated_by_value():
    routes = reeopt.api.routes("toy", "NdPr_oxide", "EAST")["optimum"]
    north = route(routes, "NORTH", "NdPr_oxide@NORTH")
    south = route(routes, "SOUTH", "NdPr_oxide@SOUTH")
    assert north["cost_per_tonne"] == pytest.approx(1250)
    assert south["cost_per_tonne"] == pytest.approx(800 * 479.2 / 804 / 0.4 + 80)
    assert north["price_per_tonne"] == pytest.approx(1278) and south["price_per_tonne"] == pytest.approx(1278)
    magnets = reeopt.api.routes("toy", "ndfeb_magnet", "EAST")["optimum"]
    dy = route(magnets, "SOUTH", "Dy2O3@SOUTH")
    # magnet making: 1,000/t of magnet, 1 t of rare-earth input per t, its one output carries it all
    assert dy["cost_per_tonne"] == pytest.approx(1000 + 800 * 324.8 / 804 / 0.1 + 80)


def test_clean_of_keeps_the_region_and_routes_the_clean_supply(tmp_path):
    folder = content_instance(tmp_path / "i", tracked=None)
    found = reeopt.api.routes(folder, "magnet", "US", clean_of=("CN",))
    assert found["optimum"]["regions"].str.contains("CN").any()
    clean = found["clean"]
    assert clean["regions"].tolist() == ["AU;US"]
    assert clean["cost_per_tonne"].item() == pytest.approx(91)
    assert clean["price_per_tonne"].item() == pytest.approx(91)
    assert clean["tonnes"].item() == pytest.approx(10)
    assert found["clean_solution"].objective - found["optimum_solution"].objective == pytest.approx(295)
    # China stays in the world: Japan's magnets still come from there
    jp = found["clean_solution"]["delivered"].set_index("region").loc["JP"]
    assert jp["delivered_tracked"] == pytest.approx(20)


def test_routes_cli_writes_price_and_clean_runs(tmp_path, reeopt):
    folder = content_instance(tmp_path / "i", tracked=None)
    run = reeopt(
        "routes", folder, "--commodity", "magnet", "--region", "US", "--clean-of", "CN", "--out", tmp_path / "r"
    )
    assert run.code == 0, run.err
    assert "clean of CN raises the total discounted cost" in run.out.replace("\n", " ")
    table = pd.read_csv(tmp_path / "r" / "routes.csv")
    assert list(table.columns[:6]) == ["rank", "route", "regions", "tonnes", "cost_per_tonne", "price_per_tonne"]
    assert set(table["run"]) == {"optimum", "clean_of_CN"}


def test_routes_avoiding_a_region_contain_none_of_its_nodes(tmp_path, reeopt):
    """``reeopt routes --avoid CN`` on the instance of tests/test_content.py with an unmet penalty of
    1,000/t and 5 t of oxide in stock in CN, the cheapest source. The optimum feeds every magnet from
    CN: its mine's 25 t and the stock (1,535 of tests/test_content.py less the 5 t of AU ore refined in
    CN it replaces, 5 x (40 + 1 + 5) = 230: 1,305), US magnets at 46/t. By hand, with CN cut out the
    only route left is AU ore, US refining, US magnets, 40 + 1 + 20 + 30 = 91/t for the 10 t, and JP
    (magnets from CN's oxide only) goes short of its 20 t: 910 + 20,000 = 20,910, 19,605 more. A cut
    that leaves CN's processes or its links (either end) open routes through CN again, from its mine
    or its stock, and fails here. (World's own avoid-CN routes, Dy metal into JP, are the tour
    notebook's third answer: tests/test_docs.py checks that they name no CN.)"""
    stock = [{"region": "CN", "commodity": "oxide", "initial": 5, "max_level": 5}]
    folder = content_instance(tmp_path / "i", tracked=None, unmet_penalty=1000, stocks=stock)
    out = tmp_path / "r"
    run = reeopt("routes", folder, "--commodity", "magnet", "--region", "US", "--avoid", "CN", "--out", out)
    assert run.code == 0, run.err
    printed = " ".join(run.out.split())
    assert "Avoiding CN raises the total discounted cost of the whole chain over all periods by 19.61 k" in printed
    assert "unmet demand 20 t (was 0 t)" in printed
    routes = pd.read_csv(out / "routes.csv")
    assert set(routes["run"]) == {"optimum", "avoiding_CN"}
    assert routes.loc[routes["run"] == "optimum", "regions"].str.contains("CN").all()  # CN is worth avoiding
    avoiding = routes[routes["run"] == "avoiding_CN"]
    assert avoiding["regions"].tolist() == ["AU;US"]
    assert not avoiding["route"].str.contains("@CN").any()
    assert avoiding["cost_per_tonne"].item() == pytest.approx(91) and avoiding["tonnes"].item() == pytest.approx(10)
    assert list(routes.columns[:5]) == ["rank", "route", "regions", "tonnes", "cost_per_tonne"]


def test_avoid_still_cuts_the_region_out():
    found = reeopt.api.routes("toy", "ndfeb_magnet", "EAST", avoid=("SOUTH",))
    assert found["avoiding"].empty and "clean" not in found


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"clean_of": ("EAST",)}, "would taint every delivery"),
        ({"clean_of": ("XX",)}, "unknown region 'XX'"),
        ({"clean_of": ("SOUTH",), "avoid": ("NORTH",)}, "give one of them"),
    ],
)
def test_bad_clean_of_is_an_input_error(args, message):
    with pytest.raises(InputError, match=message):
        reeopt.api.routes("toy", "ndfeb_magnet", "EAST", **args)


def test_clean_of_needs_a_delivery():
    with pytest.raises(InputError, match="needs a final demand of NdPr_oxide in EAST"):
        reeopt.api.routes("toy", "NdPr_oxide", "EAST", clean_of=("SOUTH",))


def test_clean_of_cli_exit_code_2_without_traceback(reeopt):
    run = reeopt("routes", "toy", "--commodity", "ndfeb_magnet", "--region", "EAST", "--clean-of", "EAST")
    assert run.code == 2 and "Traceback" not in run.err


def floored_refinery(folder):
    """A mines ore at 10/t, C at 40/t; B and C refine a t of ore into a t of metal at 20/t; ore ships
    A→B and A→C at 1/t, metal B→C at 1/t; C needs 10 t of metal; B's refinery has a floor of 5 t (a
    base-year plant that ran on A's ore)."""
    return write_instance(
        folder,
        regions=["A", "B", "C"],
        commodities=[{"commodity": "ore", "stage": "concentrate"}, {"commodity": "metal", "stage": "metal"}],
        process_io=[
            {"process": "mine", "commodity": "ore", "direction": "out", "coefficient": 1},
            {"process": "refine", "commodity": "ore", "direction": "in", "coefficient": 1},
            {"process": "refine", "commodity": "metal", "direction": "out", "coefficient": 1},
        ],
        processes=[
            {"process": "mine", "region": "A", "capacity": 100, "cost_system": 10},
            {"process": "mine", "region": "C", "capacity": 100, "cost_system": 40},
            {"process": "refine", "region": "B", "capacity": "", "cost_system": 20, "min_activity": 5},
            {"process": "refine", "region": "C", "capacity": "", "cost_system": 20},
        ],
        trade=[
            {"commodity": "ore", "origin": "A", "destination": "B", "cost": 1},
            {"commodity": "ore", "origin": "A", "destination": "C", "cost": 1},
            {"commodity": "metal", "origin": "B", "destination": "C", "cost": 1},
        ],
        demand=[{"region": "C", "commodity": "metal", "quantity": 10}],
    )


def test_avoiding_a_region_releases_the_floors_it_would_make_impossible(tmp_path):
    """:func:`floored_refinery`: with the floor the optimum is 5 × (10 + 1 + 20 + 1) + 5 × (10 + 1 + 20)
    = 315, without it 10 × 31 = 310. Cut A out and B has no ore: the floor is impossible, so both runs
    release it (as chokepoints do) and C mines and refines its own, 10 × 60 = 600: avoiding A costs
    600 − 310 = 290, a figure about supply, not about a floor."""
    folder = floored_refinery(tmp_path / "i")
    assert reeopt.solve(folder).objective == pytest.approx(315)
    found = reeopt.api.routes(folder, "metal", "C", avoid=("A",))
    assert found["floors_released"] is True
    assert found["optimum_solution"].objective == pytest.approx(310)
    assert found["avoiding_solution"].status == "optimal"
    assert found["avoiding_solution"].objective == pytest.approx(600)
    assert found["avoiding"]["regions"].tolist() == ["C"]


def test_routes_cli_and_report_say_the_floors_were_released(tmp_path, reeopt):
    """The same question from the command line: 290 more, the floors' line printed, routes.json and
    the report's facts saying both runs went without them."""
    from optimizer.report.analyses import read_folder
    from optimizer.report.routes import routes_facts

    run = reeopt(
        "routes", floored_refinery(tmp_path / "i"), "--commodity", "metal", "--region", "C", "--avoid", "A",
        "--out", tmp_path / "r",
    )  # fmt: skip
    assert run.code == 0, run.err
    assert "Calibration floors (processes.csv min_activity) were released in both runs" in run.out.replace("\n", " ")
    record = json.loads((tmp_path / "r" / "routes.json").read_text())
    assert record["floors_released"] is True and record["cost_increase"] == pytest.approx(290)
    facts = dict(routes_facts(read_folder(tmp_path / "r")))
    assert facts["both runs"] == "without the calibration floors and the avoided regions' own demand"
    assert facts["cost per tonne"].startswith("joint costs allocated by value")


def test_a_route_through_a_lossy_link_pays_for_the_tonnes_lost(tmp_path):
    """``lossy_import`` (tests/test_accounts.py): metal into B by two routes. B's own ore (15/t)
    refined at 20/t of ore, 1 t ore → 0.9 t metal, carries (20 + 15) / 0.9 = 38.889 per t; A's ore
    (10/t) shipped at 5/t with 20 % lost arrives at (10 + 5) / 0.8 = 18.75 and makes metal at
    (20 + 18.75) / 0.9 = 43.056, the marginal value of metal in B (A's ore is the next tonne). The
    routes carry 9 t and 18 t (B's ore node is 1/3 B's own ore, 2/3 A's). Multiplying by the share
    that arrives instead of dividing by it would give (10 + 5)·0.8 = 12 and 35.556."""
    routes = reeopt.api.routes(lossy_import(tmp_path / "lossy"), "metal", "B")["optimum"].set_index("regions")
    assert routes.loc["B", "cost_per_tonne"] == pytest.approx(35 / 0.9, rel=1e-9)
    assert routes.loc["A;B", "cost_per_tonne"] == pytest.approx(38.75 / 0.9, rel=1e-9)
    assert routes.loc["A;B", "route"] == "mine@A > ore@A > ore@B > refine@B > metal@B"
    assert routes["tonnes"].to_dict() == pytest.approx({"B": 9, "A;B": 18}, rel=1e-9)
    assert routes["price_per_tonne"].tolist() == pytest.approx([38.75 / 0.9] * 2, rel=1e-9)
