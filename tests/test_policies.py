"""Constraints of one's own declared in a scenario (FORMULATION.md E5a), each kind on toy by hand.

The toy optimum (instances/toy/README.md): EAST's 95 t of NdPr come 75 t from NORTH's light chain
(1,278 $/t delivered in EAST) and 20 t from SOUTH's heavy chain, which mines only what dysprosium
needs. One more tonne of NdPr from SOUTH instead of NORTH costs (300 + 500 + 0.4 × 10) / 0.4 + 80 =
2,090 $ in EAST against 1,278 $: **812 $/t**, as long as SOUTH's mine (200 t/yr, 80 t NdPr) has room
and the extra Dy2O3 is disposed of (free).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

import optimizer as reeopt
from optimizer.errors import InputError
from tests.builders import chain_instance, copy_instance, write_instance

BASE_COST = 237_850.0
SOUTH_NDPR = {"name": "south_ndpr", "kind": "min_production", "region": "SOUTH", "commodities": "NdPr_oxide"} | {
    "quantity": 40
}
EXTRA_NDPR_FROM_SOUTH = 812.0


def scenario(tmp_path: Path, *constraints: dict, changes: list | None = None) -> Path:
    path = tmp_path / "policy.yaml"
    body = {"name": "policy", "constraints": list(constraints)}
    if changes:
        body["changes"] = changes
    path.write_text(yaml.safe_dump(body, sort_keys=False))
    return path


def solve(tmp_path: Path, *constraints: dict, instance="toy"):
    solution = reeopt.solve(instance, scenario=str(scenario(tmp_path, *constraints)))
    return solution, solution["constraints"]


def test_min_share_of_arrivals_from_an_origin(tmp_path):
    """Half of EAST's NdPr arrivals from SOUTH: y >= 0.5 (x + y) with x + y = 95, so y = 47.5 t,
    27.5 t more than at the optimum, each 812 $ dearer: 237,850 + 22,330 = 260,180. The dual is
    812 per tonne of the row's left-hand side (0.5 y - 0.5 x grows by 1 when y grows by 1)."""
    solution, rows = solve(
        tmp_path,
        {
            "name": "east_ndpr_from_south",
            "kind": "min_share",
            "region": "EAST",
            "commodities": ["NdPr_oxide"],
            "of": "arrivals",
            "origins": ["SOUTH"],
            "share": 0.5,
        },
    )
    assert solution.objective == pytest.approx(BASE_COST + 27.5 * EXTRA_NDPR_FROM_SOUTH, rel=1e-9)
    trade = solution["trade"].set_index(["commodity", "origin", "destination"])["shipped"]
    assert trade["NdPr_oxide", "SOUTH", "EAST"] == pytest.approx(47.5)
    (row,) = rows.itertuples()
    assert (row.family, row.kind, row.index, row.period) == ("east_ndpr_from_south", "min_share", "EAST, 2025", 2025)
    assert row.body == pytest.approx(0.0, abs=1e-7)
    assert row.lower == 0.0
    assert row.dual == pytest.approx(EXTRA_NDPR_FROM_SOUTH, rel=1e-9)


def test_max_share_with_excluded_origins_is_the_same_rule_from_the_other_side(tmp_path):
    """At most half of EAST's NdPr from anywhere but SOUTH ({not: [SOUTH]}) is the same feasible set
    as the test above: the same optimum; the bound is an upper one, so raising it saves 812 $/t."""
    solution, rows = solve(
        tmp_path,
        {
            "name": "cap_on_others",
            "kind": "max_share",
            "region": "EAST",
            "commodities": "NdPr_oxide",
            "origins": {"not": ["SOUTH"]},
            "share": 0.5,
        },
    )
    assert solution.objective == pytest.approx(BASE_COST + 27.5 * EXTRA_NDPR_FROM_SOUTH, rel=1e-9)
    assert rows["upper"].iat[0] == 0.0
    assert rows["dual"].iat[0] == pytest.approx(-EXTRA_NDPR_FROM_SOUTH, rel=1e-9)


def test_share_of_deliveries_counts_the_regions_own_production(tmp_path):
    """NORTH makes 210 t CeO2 (P, tied to its NdPr) and delivers 20 t. 5% of NORTH's CeO2 supply
    from SOUTH: y >= 0.05 (P + y), so y = 0.05 / 0.95 x 210 = 11.05 t shipped at 30 $/t (SOUTH no
    longer disposes of it, NORTH disposes of it instead: the 10 $/t cancel). Cutting P instead would
    move NdPr to SOUTH at 812 $/t to save 0.147 t of shipping per t: not worth it. Cost
    237,850 + 30 x 210 / 19; the dual 30 / 0.95 per tonne of the row. Measured on arrivals alone the
    same rule (y >= 0.05 y) holds at no cost."""
    rule = {
        "name": "north_ceria_from_south",
        "kind": "min_share",
        "region": "NORTH",
        "commodities": ["CeO2"],
        "origins": ["SOUTH"],
        "share": 0.05,
    }
    solution, rows = solve(tmp_path, rule)
    assert solution.objective == pytest.approx(BASE_COST + 30 * 210 / 19, rel=1e-9)
    assert rows["dual"].iat[0] == pytest.approx(30 / 0.95, rel=1e-9)
    on_arrivals, _ = solve(tmp_path, {**rule, "of": "arrivals"})
    assert on_arrivals.objective == pytest.approx(BASE_COST, rel=1e-9)


def test_a_cap_on_deliveries_from_all_but_an_origin_counts_the_regions_own_production(tmp_path):
    """The rule of the test above from the other side: at most 95 % of NORTH's CeO2 supply from
    anywhere but SOUTH (``{not: [SOUTH]}``). NORTH's own production P is such supply: P <= 0.95 (P + y)
    is y >= 0.05 (P + y), the same feasible set, so the same optimum 237,850 + 30 x 210 / 19 and
    SOUTH's 11.05 t shipped; the bound is an upper one, so its dual is -30 / 0.95. Counting NORTH's
    production as not from "anywhere but SOUTH" would leave 0 <= 0.95 (P + y), a rule that costs
    nothing."""
    solution, rows = solve(
        tmp_path,
        {
            "name": "north_ceria_cap",
            "kind": "max_share",
            "region": "NORTH",
            "commodities": ["CeO2"],
            "origins": {"not": ["SOUTH"]},
            "share": 0.95,
        },
    )
    assert solution.objective == pytest.approx(BASE_COST + 30 * 210 / 19, rel=1e-9)
    trade = solution["trade"].set_index(["commodity", "origin", "destination"])["shipped"]
    assert trade["CeO2", "SOUTH", "NORTH"] == pytest.approx(0.05 / 0.95 * 210, rel=1e-9)
    assert rows["dual"].iat[0] == pytest.approx(-30 / 0.95, rel=1e-9)


def test_a_floor_no_plant_can_meet_is_refused_before_solving(tmp_path):
    """EAST has no process that makes NdPr: 5 t/yr of it there can never be made (a typo, as a where
    that matches nothing is): an input error naming the constraint, not a model to solve."""
    rule = {"name": "east_ndpr", "kind": "min_production", "region": "EAST", "commodities": "NdPr_oxide"}
    with pytest.raises(InputError, match="constraint east_ndpr: no process in EAST can make NdPr_oxide in 2025"):
        reeopt.solve("toy", scenario=str(scenario(tmp_path, rule | {"quantity": 5})))


def test_min_production_of_a_region(tmp_path):
    """SOUTH must make at least 40 t/yr of NdPr (it makes 20): 20 t more, each displacing NORTH's
    NdPr at 812 $/t: 237,850 + 16,240 = 254,090; the dual is 812 $ per t/yr."""
    solution, rows = solve(
        tmp_path,
        {
            "name": "south_ndpr",
            "kind": "min_production",
            "region": "SOUTH",
            "commodities": ["NdPr_oxide"],
            "quantity": 40,
        },
    )
    assert solution.objective == pytest.approx(BASE_COST + 20 * EXTRA_NDPR_FROM_SOUTH, rel=1e-9)
    assert rows["body"].iat[0] == pytest.approx(40.0)
    assert rows["dual"].iat[0] == pytest.approx(EXTRA_NDPR_FROM_SOUTH, rel=1e-9)


def test_a_policys_dual_is_per_unit_in_each_periods_own_money(tmp_path):
    """The chain over 2025 (5 years) and 2030, discounted at 5 %: it mines 50 t of ore a year, 1,725 a
    year in all. A floor of 60 t/yr of ore in A makes 10 t more a year at 10/t (disposed of for
    free): 1,825 a year, so the objective grows by the factor 1,825 / 1,725 whatever the periods'
    weights, and one more t/yr of floor costs 10 in each period's own money: the dual is 10 in 2025
    and in 2030, not 10 times the period's weight (discount factor times length)."""
    folder = chain_instance(tmp_path / "chain", periods=[2025, 2030], discount_rate=0.05, objective="cost")
    base = reeopt.solve(folder)
    floor = {"name": "ore_floor", "kind": "min_production", "region": "A", "commodities": "ore", "quantity": 60}
    solution, rows = solve(tmp_path, floor, instance=folder)
    assert solution.objective == pytest.approx(base.objective * 1825 / 1725, rel=1e-9)
    assert rows["period"].tolist() == [2025, 2030]
    assert rows["body"].tolist() == pytest.approx([60, 60], rel=1e-9)
    assert rows["dual"].tolist() == pytest.approx([10, 10], rel=1e-9)


def test_stockpile_declares_the_stock_and_holds_it(tmp_path):
    """10 t of Dy2O3 held in EAST at the end of 2025 (no stock was declared, so the scenario declares
    one, empty at the start): 10 t more Dy2O3 in EAST at its marginal value 3,328 $/t (the heavy
    chain's by-product NdPr displaces NORTH's, which still ships 75 - 40 = 35 t: the basis holds):
    237,850 + 33,280 = 271,130; the dual is 3,328."""
    solution, rows = solve(
        tmp_path, {"name": "dy_reserve", "kind": "stockpile", "region": "EAST", "commodity": "Dy2O3", "level": 10}
    )
    assert solution.objective == pytest.approx(BASE_COST + 10 * 3_328.0, rel=1e-9)
    assert rows["dual"].iat[0] == pytest.approx(3_328.0, rel=1e-9)
    balance = solution["balance"].set_index(["region", "commodity"])
    assert balance.loc[("EAST", "Dy2O3"), "stock_change"] == pytest.approx(10.0)


def recycling_toy(tmp_path: Path) -> Path:
    """toy plus scrap collection (1,000 $/t, at most 50 t/yr) and recycling (800 $/t, 0.9 t NdPr per
    t of scrap) in EAST: recycled NdPr costs 1,800 / 0.9 = 2,000 $/t there, more than NORTH's 1,278."""
    folder = copy_instance("toy", tmp_path)
    with open(folder / "commodities.csv", "a") as f:
        f.write("eol_magnet,end_of_life,t REO,,,,\n")
    with open(folder / "process_io.csv", "a") as f:
        f.write("scrap_collection,eol_magnet,out,1\nmagnet_recycling,eol_magnet,in,1\n")
        f.write("magnet_recycling,NdPr_oxide,out,0.9\n")
    with open(folder / "processes.csv", "a") as f:
        f.write("scrap_collection,EAST,50,1000,,,\nmagnet_recycling,EAST,,800,,,\n")
    return folder


def test_recycled_content_of_a_process(tmp_path):
    """Without the rule nothing is recycled (2,000 > 1,278 $/t). 20% of magnet making's 100 t of
    rare-earth input (95 NdPr + 5 Dy2O3) recycled: 20 t NdPr from 22.2 t scrap, each tonne 722 $
    dearer than NORTH's: 237,850 + 14,440 = 252,290; the dual is 722."""
    folder = recycling_toy(tmp_path)
    assert reeopt.solve(folder).objective == pytest.approx(BASE_COST, rel=1e-9)
    solution, rows = solve(
        tmp_path,
        {"name": "recycled_magnets", "kind": "recycled_content", "process": "magnet_making", "share": 0.2},
        instance=folder,
    )
    assert solution.objective == pytest.approx(BASE_COST + 20 * (2_000.0 - 1_278.0), rel=1e-9)
    assert list(rows["region"]) == ["EAST"]  # every region where magnet_making is deployed
    assert rows["dual"].iat[0] == pytest.approx(722.0, rel=1e-9)
    activity = solution["activity"].set_index(["process", "region"])["activity"]
    assert activity["magnet_recycling", "EAST"] == pytest.approx(20 / 0.9)


def test_recycled_content_counts_only_the_recovered_inputs_of_the_process(tmp_path):
    """The recycling toy with recycling also leaving 1 t of slag (no rare earth, free to dispose of)
    per t of scrap: the slag is no input of magnet making, so the rule still needs 20 t of recycled
    NdPr (22.2 t of scrap), and the cost and dual are those of the test above. Counting the slag as
    recycled content would need only 20 / 1.9 = 10.5 t of scrap."""
    folder = recycling_toy(tmp_path)
    with open(folder / "commodities.csv", "a") as f:
        f.write("slag,intermediate,t,,,,\n")
    with open(folder / "process_io.csv", "a") as f:
        f.write("magnet_recycling,slag,out,1\n")
    solution, rows = solve(
        tmp_path,
        {"name": "recycled_magnets", "kind": "recycled_content", "process": "magnet_making", "share": 0.2},
        instance=folder,
    )
    assert solution.objective == pytest.approx(BASE_COST + 20 * (2_000.0 - 1_278.0), rel=1e-9)
    assert rows["dual"].iat[0] == pytest.approx(722.0, rel=1e-9)
    activity = solution["activity"].set_index(["process", "region"])["activity"]
    assert activity["magnet_recycling", "EAST"] == pytest.approx(20 / 0.9)


def test_a_stockpile_counts_only_its_own_commodity(tmp_path):
    """The Dy2O3 reserve of the stockpile test beside 30 t of CeO2 in EAST's stocks from the start
    (kept: disposing of it costs 10 $/t, shipping it 30 $/t, holding it nothing). The 30 t of CeO2 do
    not count towards the 10 t of Dy2O3: the same 237,850 + 33,280 and dual 3,328."""
    changes = [{"table": "stocks", "add": {"region": "EAST", "commodity": "CeO2", "initial": 30}}]
    rule = {"name": "dy_reserve", "kind": "stockpile", "region": "EAST", "commodity": "Dy2O3", "level": 10}
    solution = reeopt.solve("toy", scenario=str(scenario(tmp_path, rule, changes=changes)))
    assert solution.objective == pytest.approx(BASE_COST + 10 * 3_328.0, rel=1e-9)
    assert solution["constraints"]["dual"].iat[0] == pytest.approx(3_328.0, rel=1e-9)
    balance = solution["balance"].set_index(["region", "commodity"])
    assert balance.loc[("EAST", "Dy2O3"), "stock_change"] == pytest.approx(10.0)
    assert ("EAST", "CeO2") not in balance.index  # the CeO2 stays in stock: nothing moves there


def test_a_policy_behind_a_shortfall_is_named_in_the_diagnosis(tmp_path):
    """At most 10% of EAST's NdPr from NORTH with hard demand: SOUTH makes at most 80 t NdPr, so
    x <= 0.1 (x + 80) gives x = 8.89 t and 88.9 t NdPr, 93.57 t of magnet: 6.43 t short."""
    solution = reeopt.solve(
        "toy",
        scenario=str(
            scenario(
                tmp_path,
                {
                    "name": "little_from_north",
                    "kind": "max_share",
                    "region": "EAST",
                    "commodities": ["NdPr_oxide"],
                    "origins": ["NORTH"],
                    "share": 0.1,
                },
            )
        ),
    )
    assert solution.status == "infeasible"
    (shortfall,) = solution.diagnosis.shortfalls
    assert shortfall["shortfall"] == pytest.approx(100 - (80 / 0.9) / 0.95, rel=1e-9)
    assert any(item["limit"].startswith("constraint little_from_north") for item in solution.diagnosis.binding)


def test_constraints_csv_is_written_and_survives_a_resolve(tmp_path):
    """Study re-uses the program of the same shape: a scenario with the policy and one without must
    each get their own rows (the re-solve must not keep or drop the wrong ones)."""
    path = scenario(
        tmp_path,
        SOUTH_NDPR,
    )
    study = reeopt.Study("toy")
    plain, constrained, again = study.solve(), study.solve(str(path)), study.solve()
    assert plain.objective == pytest.approx(BASE_COST) and again.objective == pytest.approx(BASE_COST)
    assert constrained.objective == pytest.approx(BASE_COST + 20 * EXTRA_NDPR_FROM_SOUTH, rel=1e-9)
    out = reeopt.write(constrained, tmp_path / "out")
    assert (out / "constraints.csv").read_text().startswith("family,index,body,lower,upper,dual,kind,region,period")
    assert plain["constraints"].empty


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"name": "x", "kind": "min_stuff"}, "'min_stuff' is not a kind"),
        ({"name": "x y", "kind": "stockpile"}, "needs a name that is a word"),
        ({"name": "x", "kind": "min_production", "region": "MARS", "commodities": "CeO2", "quantity": 1}, "MARS"),
        (
            {
                "name": "x",
                "kind": "min_share",
                "region": "EAST",
                "commodities": "CeO2",
                "share": 1.5,
                "origins": "NORTH",
            },
            "'share' is 1.5",
        ),
        ({"name": "x", "kind": "min_share", "region": "EAST", "commodities": "CeO2", "share": 0.5}, "either origins"),
        (
            {"name": "x", "kind": "stockpile", "region": "EAST", "commodity": "CeO2", "level": 1, "amount": 2},
            "unknown key 'amount'",
        ),
        (
            {"name": "balance", "kind": "stockpile", "region": "EAST", "commodity": "CeO2", "level": 1},
            "already a family",
        ),
        (
            {"name": "x", "kind": "stockpile", "region": "EAST", "commodity": "CeO2", "level": 1, "periods": [2031]},
            "outside the horizon",
        ),
    ],
)
def test_bad_constraints_are_input_errors_naming_the_scenario_line(tmp_path, entry, message):
    path = scenario(
        tmp_path, {"name": "fine", "kind": "stockpile", "region": "EAST", "commodity": "CeO2", "level": 0}, entry
    )
    with pytest.raises(InputError) as error:
        reeopt.solve("toy", scenario=str(path))
    text = str(error.value)
    assert message in text
    lines = path.read_text().splitlines()
    second = [n for n, line in enumerate(lines, start=1) if line.startswith("- ")][1]  # constraint 2 starts here
    line = int(text.split(", line ")[1].split(",")[0].split(":")[0])
    assert text.startswith(str(path)) and ("constraint 2" in text or "'balance'" in text)
    assert second <= line <= len(lines)


def test_two_constraints_of_the_same_name_are_refused(tmp_path):
    entry = {"name": "dup", "kind": "stockpile", "region": "EAST", "commodity": "CeO2", "level": 0}
    with pytest.raises(InputError, match="two constraints are named 'dup'"):
        reeopt.solve("toy", scenario=str(scenario(tmp_path, entry, entry)))


def test_the_command_line_writes_constraints_csv(tmp_path, request):
    run_cli = request.getfixturevalue("reeopt")  # the conftest fixture shares this module's import name
    path = scenario(
        tmp_path,
        SOUTH_NDPR,
    )
    result = run_cli("solve", "toy", "--scenario", str(path), "--out", str(tmp_path / "cli"), "--quiet")
    assert result.code == 0, result.err
    assert "south_ndpr" in (tmp_path / "cli" / "constraints.csv").read_text()


def test_world_allied_policies_hold_and_never_lower_the_cost(tmp_path):
    """The shipped world scenario: every row holds its bound, and constraints can only raise the least
    cost (a smaller feasible set) of the same program. The stockpile declares a US Dy2O3 stock, which
    is itself an option (buy before the controls bite): the comparison declares it too."""
    with_stock = tmp_path / "controls_with_stock.yaml"
    with_stock.write_text(
        "name: controls_with_stock\nextends: cn_export_controls\nchanges:\n"
        "  - table: stocks\n    add: [{region: US, commodity: Dy2O3}]\n"
    )
    study = reeopt.Study("world")
    controls, allied = study.solve(str(with_stock)), study.solve("allied_policies")
    assert controls.status == allied.status == "optimal"
    rows = allied["constraints"]
    policies = {"jp_ndpr_not_chinese", "us_magnet_target", "eu_recycled_magnets", "us_dy_reserve"}
    assert set(rows["family"]) == policies | {"build_total_limit"}  # the instance's project caps report too
    slack = 1e-6 * (1 + rows["body"].abs())
    assert (rows["body"] >= rows["lower"].fillna(-np.inf) - slack).all()
    assert (rows["body"] <= rows["upper"].fillna(np.inf) + slack).all()
    assert allied.objective >= controls.objective * (1 - 1e-9)


def test_a_share_of_arrivals_counts_what_arrives_after_transit_losses(tmp_path):
    """B needs 40 t/yr of metal; A makes it at 10/t and ships at 1/t but loses half on the way (22 per
    tonne arrived), C makes it at 50/t and ships at 1/t without loss (51). At least half of B's
    arrivals must come from C: 20 t from C (1,020) and 20 t arriving from A, 40 t shipped (440):
    1,460. Counting shipped tonnes instead would need as many shipped from C as from A (26.67 t each)."""
    folder = write_instance(
        tmp_path / "lossy",
        regions=["A", "B", "C"],
        commodities=[{"commodity": "metal", "stage": "metal"}],
        process_io=[{"process": "make", "commodity": "metal", "direction": "out", "coefficient": 1}],
        processes=[
            {"process": "make", "region": "A", "capacity": "", "cost_system": 10},
            {"process": "make", "region": "C", "capacity": "", "cost_system": 50},
        ],
        trade=[
            {"commodity": "metal", "origin": "A", "destination": "B", "cost": 1, "loss": 0.5},
            {"commodity": "metal", "origin": "C", "destination": "B", "cost": 1},
        ],
        demand=[{"region": "B", "commodity": "metal", "quantity": 40}],
    )
    rule = {"name": "from_c", "kind": "min_share", "region": "B", "commodities": "metal", "of": "arrivals"}
    solution, _ = solve(tmp_path, rule | {"origins": ["C"], "share": 0.5}, instance=folder)
    assert solution.objective == pytest.approx(1_460, rel=1e-9)
    trade = solution["trade"].set_index("origin")
    assert trade["shipped"].to_dict() == pytest.approx({"A": 40, "C": 20}, rel=1e-9)
    assert trade["arrived"].to_dict() == pytest.approx({"A": 20, "C": 20}, rel=1e-9)
