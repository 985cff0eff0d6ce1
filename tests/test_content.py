"""E3, content classes: hand-derived optima on a small instance, and sourcing that agrees with them.

Regions CN (tracked), AU, US, JP. Ore (t REO) is mined in CN at 10/t (capacity 25) and in AU at
40/t (capacity 100); refining (1 t ore → 1 t oxide) costs 5/t in CN, 20/t in US; magnets (1 t oxide
→ 1 t magnet) cost 30/t in US and in JP. Links (1/t each): ore AU→US, AU→CN, CN→US; oxide CN→US,
CN→JP. US needs 10 t magnets, JP 20 t.

Routes per tonne of magnet: CN ore, CN refining, ship oxide, magnet: 10 + 5 + 1 + 30 = 46 (tracked:
mined and separated in CN); CN ore to a US refinery: 10 + 1 + 20 + 30 = 61 (tracked: mined in CN);
AU ore through CN refining: 40 + 1 + 5 + 1 + 30 = 77 (tracked: separated in CN); AU ore to a US
refinery: 40 + 1 + 20 + 30 = 91 (clean).

* no content rule: CN's 25 t go the 46 route, the other 5 t the 77 route: 25·46 + 5·77 = 1535.
  Declaring content classes without a share rule changes nothing (the same 1535).
* US ``max_tracked_share = 0``: US takes 10 t by the clean 91 route (910); JP takes 20 of CN's 25 t
  at 46 (920): 1830, so compliance costs 295. Marginal values of US magnets: clean 91 (the clean
  route); tracked is degenerate: one more tracked tonne required at US costs 46 (CN has 5 t to
  spare), one more available there is worth 0 (US may not use it, nothing ships it on), so its
  dual lies in [0, 46]; JP's magnet (free) 46.
* US ``max_tracked_share = 0.5``: 5 t tracked at 46 and 5 t clean at 91 for US, JP 20 t at 46:
  CN's 25 t are used up: 25·46 + 5·91 = 1605.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

import optimizer as reeopt
from optimizer.content import class_flows
from optimizer.errors import InputError
from optimizer.model import build_model
from tests.builders import write_instance


def content_instance(folder, *, tracked=("CN",), us_share=None, **settings):
    if tracked is not None:
        settings["content"] = {"tracked": list(tracked)}
    io = [
        {"process": "mine", "commodity": "ore", "direction": "out", "coefficient": 1},
        {"process": "refine", "commodity": "ore", "direction": "in", "coefficient": 1},
        {"process": "refine", "commodity": "oxide", "direction": "out", "coefficient": 1},
        {"process": "magnet_making", "commodity": "oxide", "direction": "in", "coefficient": 1},
        {"process": "magnet_making", "commodity": "magnet", "direction": "out", "coefficient": 1},
    ]
    processes = [
        {"process": "mine", "region": "CN", "capacity": 25, "cost_system": 10},
        {"process": "mine", "region": "AU", "capacity": 100, "cost_system": 40},
        {"process": "refine", "region": "CN", "capacity": "", "cost_system": 5},
        {"process": "refine", "region": "US", "capacity": "", "cost_system": 20},
        {"process": "magnet_making", "region": "US", "capacity": "", "cost_system": 30},
        {"process": "magnet_making", "region": "JP", "capacity": "", "cost_system": 30},
    ]
    links = [
        ("ore", "AU", "US"),
        ("ore", "AU", "CN"),
        ("ore", "CN", "US"),
        ("oxide", "CN", "US"),
        ("oxide", "CN", "JP"),
    ]
    share = "" if us_share is None else us_share
    write_instance(
        folder,
        regions=["CN", "AU", "US", "JP"],
        commodities=[
            {"commodity": "ore", "stage": "concentrate", "unit": "t REO"},
            {"commodity": "oxide", "stage": "oxide", "unit": "t REO"},
            {"commodity": "magnet", "stage": "functional_material", "unit": "t REO"},
        ],
        process_io=io,
        processes=processes,
        trade=[{"commodity": c, "origin": o, "destination": d, "cost": 1} for c, o, d in links],
        demand=[
            {"region": "US", "commodity": "magnet", "quantity": 10, "max_tracked_share": share},
            {"region": "JP", "commodity": "magnet", "quantity": 20, "max_tracked_share": ""},
        ],
        **settings,
    )
    return folder


def row(table, **keys):
    mask = np.ones(len(table), dtype=bool)
    for column, value in keys.items():
        mask &= table[column] == value
    return table[mask].iloc[0]


def test_classes_without_a_rule_change_nothing(tmp_path):
    plain = reeopt.solve(content_instance(tmp_path / "plain", tracked=None))
    classes = reeopt.solve(content_instance(tmp_path / "classes"))
    assert plain.objective == pytest.approx(1535)
    assert classes.objective == pytest.approx(1535)
    lp = build_model(reeopt.load(tmp_path / "plain")).lp
    assert not any(name.startswith("content") for name in list(lp.columns) + list(lp.rows))


def test_clean_us_magnets_cost_of_compliance_and_marginal_values(tmp_path):
    solution = reeopt.solve(content_instance(tmp_path / "i", us_share=0))
    assert solution.objective == pytest.approx(1830)
    delivered = solution["delivered"]
    us = row(delivered, region="US")
    assert us["delivered_clean"] == pytest.approx(10) and us["delivered_tracked"] == pytest.approx(0)
    jp = row(delivered, region="JP")
    assert jp["delivered_tracked"] == pytest.approx(20)
    balance = solution["balance"]
    magnet_us = row(balance, region="US", commodity="magnet")
    assert magnet_us["marginal_value_clean"] == pytest.approx(91)
    assert -1e-6 <= magnet_us["marginal_value_tracked"] <= 46 + 1e-6
    assert magnet_us["marginal_value"] == pytest.approx(magnet_us["marginal_value_tracked"])  # either class
    assert row(balance, region="JP", commodity="magnet")["marginal_value"] == pytest.approx(46)
    trade = solution["trade"]
    assert row(trade, commodity="ore", origin="AU", destination="US")["shipped_tracked"] == pytest.approx(0)
    assert row(trade, commodity="oxide", origin="CN", destination="JP")["shipped_tracked"] == pytest.approx(20)


def test_clean_marginal_value_is_a_finite_difference(tmp_path):
    """+1 t of the clean US demand raises the optimum by the clean marginal value, 91."""
    base = reeopt.solve(content_instance(tmp_path / "a", us_share=0)).objective
    folder = content_instance(tmp_path / "b", us_share=0)
    demand = pd.read_csv(folder / "demand.csv")
    demand.loc[demand["region"] == "US", "quantity"] += 1
    demand.to_csv(folder / "demand.csv", index=False)
    assert reeopt.solve(folder).objective - base == pytest.approx(91)


def test_half_tracked_share(tmp_path):
    solution = reeopt.solve(content_instance(tmp_path / "i", us_share=0.5))
    assert solution.objective == pytest.approx(25 * 46 + 5 * 91)
    us = row(solution["delivered"], region="US")
    assert us["delivered_tracked"] == pytest.approx(5)


def test_clean_deliveries_trace_to_no_tracked_origin(tmp_path):
    solution = reeopt.solve(content_instance(tmp_path / "i", us_share=0))
    by_class = solution["content_sourcing"]
    clean = by_class[by_class["content_class"] == "clean"]
    assert not clean.empty and not clean["origin_region"].isin(["CN"]).any()
    us = solution["sourcing"][solution["sourcing"]["region"] == "US"]
    assert us["origin_region"].tolist() == ["AU"] and us["share"].tolist() == pytest.approx([1.0])
    # the class shares add up to the delivery of each class
    delivered = solution["delivered"].set_index("region")
    totals = by_class.groupby(["region", "content_class"])["tonnes"].sum()
    assert totals[("US", "clean")] == pytest.approx(delivered.loc["US", "delivered_clean"])
    assert totals[("JP", "tracked")] == pytest.approx(delivered.loc["JP", "delivered_tracked"])


def test_tracked_processing_of_clean_ore_is_tracked(tmp_path):
    """With CN's mine capped at 0, JP's magnets come from AU ore refined in CN (77/t): tracked, yet
    their sourcing names AU, the mine; and US's clean magnets still trace to AU alone."""
    folder = content_instance(tmp_path / "i", us_share=0)
    processes = pd.read_csv(folder / "processes.csv")
    processes.loc[(processes["process"] == "mine") & (processes["region"] == "CN"), "capacity"] = 0
    processes.to_csv(folder / "processes.csv", index=False)
    solution = reeopt.solve(folder)
    assert solution.objective == pytest.approx(10 * 91 + 20 * 77)
    assert row(solution["delivered"], region="JP")["delivered_tracked"] == pytest.approx(20)
    by_class = solution["content_sourcing"]
    jp = by_class[by_class["region"] == "JP"]
    assert jp["origin_region"].tolist() == ["AU"] and jp["content_class"].tolist() == ["tracked"]


def test_mixed_inputs_run_tracked(tmp_path):
    """Toy with SOUTH tracked: every magnet needs Dy, only SOUTH has Dy, so all 100 t of magnets are
    tracked although 75 t of their NdPr is clean NORTH oxide; the optimum is the toy's 237,850."""
    instance = reeopt.load("toy").replace(tracked_regions=("SOUTH",))
    solution = reeopt.solve(instance)
    assert solution.objective == pytest.approx(237850)
    magnets = row(solution["delivered"], commodity="ndfeb_magnet")
    assert magnets["delivered_tracked"] == pytest.approx(100)
    activity = row(solution["activity"], process="magnet_making")
    assert activity["activity_tracked"] == pytest.approx(100)


def test_class_parts_close_and_stay_within_aggregates(tmp_path):
    solution = reeopt.solve(content_instance(tmp_path / "i", us_share=0.5))
    trade = solution["trade"]
    assert ((trade["shipped_tracked"] >= -1e-9) & (trade["shipped_tracked"] <= trade["shipped"] + 1e-9)).all()
    delivered = solution["delivered"]
    np.testing.assert_allclose(delivered["delivered_clean"] + delivered["delivered_tracked"], delivered["delivered"])


def test_class_flows_helper(tmp_path):
    solution = reeopt.solve(content_instance(tmp_path / "i", us_share=0.5))
    flows = class_flows(solution, "US", ["magnet"], 2025).set_index("content_class")["tonnes"]
    assert flows["clean"] == pytest.approx(5) and flows["tracked"] == pytest.approx(5)
    arrivals = class_flows(solution, "US", "ore", 2025, what="arrivals").set_index("content_class")["tonnes"]
    assert arrivals["clean"] == pytest.approx(5) and arrivals["tracked"] == pytest.approx(0)


def test_scenario_declares_content(tmp_path):
    folder = content_instance(tmp_path / "i", tracked=None)
    (folder / "scenarios").mkdir()
    (folder / "scenarios" / "clean_us.yaml").write_text(
        "name: clean_us\ncontent: {tracked: [CN]}\nchanges:\n"
        "  - table: demand\n    where: {region: US}\n    set: {max_tracked_share: 0}\n"
    )
    assert reeopt.solve(folder, scenario="clean_us").objective == pytest.approx(1830)


def test_max_tracked_share_above_one_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match=r"demand.csv, line 2, column 'max_tracked_share'"):
        reeopt.load(content_instance(tmp_path / "i", us_share=1.5))


def test_max_tracked_share_on_a_non_rare_earth_commodity_is_an_input_error(tmp_path):
    folder = content_instance(tmp_path / "i")
    commodities = pd.read_csv(folder / "commodities.csv")
    commodities.loc[commodities["commodity"] == "magnet", "unit"] = "t"
    commodities.to_csv(folder / "commodities.csv", index=False)
    demand = pd.read_csv(folder / "demand.csv")
    demand.loc[demand["region"] == "US", "max_tracked_share"] = 0
    demand.to_csv(folder / "demand.csv", index=False)
    with pytest.raises(InputError, match=r"demand.csv, line 2, column 'max_tracked_share'.*bears no rare earths"):
        reeopt.load(folder)


def test_pyomo_translation_carries_the_class_families(tmp_path):
    import pyomo.environ as pyo

    model = build_model(reeopt.load(content_instance(tmp_path / "i", us_share=0)))
    pyomo_model = model.lp.to_pyomo()
    assert hasattr(pyomo_model, "content_balance") and hasattr(pyomo_model, "tracked_share")
    pyo.SolverFactory("appsi_highs").solve(pyomo_model)
    assert pyo.value(pyomo_model.objective) == pytest.approx(1830)


def test_world_dfars_defence_magnets_trace_free_of_tracked_regions():
    """The issue's done-when on world: defence deliveries from 2027 are clean and their sourcing names
    no tracked origin; no region (world has no hubs) exports more than it made or drew from stock."""
    solution = reeopt.solve("world", scenario="dfars_2027")
    delivered = solution["delivered"]
    defence = delivered[(delivered["commodity"] == "ndfeb_magnet_defence") & (delivered["period"] >= 2027)]
    np.testing.assert_allclose(defence["delivered_clean"], defence["demand"])
    by_class = solution["content_sourcing"]
    traced = by_class[(by_class["commodity"] == "ndfeb_magnet_defence") & (by_class["period"] >= 2027)]
    assert set(traced["content_class"]) == {"clean"} and not traced["origin_region"].isin(["CN", "RU"]).any()
    clean = by_class[by_class["content_class"] == "clean"]
    assert not clean["origin_region"].isin(["CN", "RU"]).any()
    balance = solution["balance"]
    assert (balance["exports"] <= balance["produced"] - balance["stock_change"].clip(upper=0) + 1e-6).all()


def clean_rule(tmp_path, measure: str, commodity: str, share: float) -> float:
    """Objective of the instance above with a constraint of one's own on clean content (E5a + E3)."""
    folder = content_instance(tmp_path / f"{measure}_{share}")
    rule = {"name": "clean_us", "kind": "min_share", "region": "US", "commodities": [commodity]}
    rule |= {"of": measure, "clean": True, "share": share}
    path = tmp_path / f"{measure}_{share}.yaml"
    path.write_text(yaml.safe_dump({"name": "clean_us", "constraints": [rule]}))
    return reeopt.solve(folder, scenario=str(path)).objective


def test_clean_share_rules_of_ones_own_equal_the_content_rule(tmp_path):
    """A clean share of US magnet deliveries of 1 is max_tracked_share 0 (1830); of 0.5, 0.5 (1605); a
    clean share of 1 of US magnet production is the same as of deliveries (US makes all it gets).
    A clean share of 0.5 of US oxide arrivals: the only oxide link, CN→US, is tracked, so no oxide may
    arrive, so US refines ore. With a of CN's 25 t of ore refined in the US (61 a tonne), US's other
    10 − a from AU ore (91), JP's 25 − a from CN's oxide (46) and a − 5 from AU ore refined in CN
    (77): cost 61a + 46(25 − a) + 91(10 − a) + 77(a − 5) = 1675 + a, least at a = 5: 1680."""
    assert clean_rule(tmp_path, "deliveries", "magnet", 1.0) == pytest.approx(1830)
    assert clean_rule(tmp_path, "deliveries", "magnet", 0.5) == pytest.approx(1605)
    assert clean_rule(tmp_path, "production", "magnet", 1.0) == pytest.approx(1830)
    assert clean_rule(tmp_path, "arrivals", "oxide", 0.5) == pytest.approx(1680)


def test_a_clean_share_without_content_classes_is_an_input_error(tmp_path):
    folder = content_instance(tmp_path / "none", tracked=None)
    rule = {"name": "c", "kind": "min_share", "region": "US", "commodities": ["magnet"], "clean": True, "share": 1}
    path = tmp_path / "rule.yaml"
    path.write_text(yaml.safe_dump({"name": "c", "constraints": [rule]}))
    with pytest.raises(InputError, match="clean shares need content classes"):
        reeopt.solve(folder, scenario=str(path))


def test_initial_stocks_carry_the_class_of_where_they_are_held_and_losses_shrink_both_classes(tmp_path):
    """CN is tracked. JP holds 4 t of oxide (clean: held outside CN), CN 20 t (tracked: held in CN);
    oxide ships CN→JP at 1/t and loses 20 % on the way. JP makes magnets at 30/t and needs 10 t, at
    most half tracked, unmet at 1,000/t.

    The 4 clean tonnes allow 4 tracked ones (4 ≤ 0.5 × 8): CN ships 4 / 0.8 = 5 t (5), of which 4 t arrive, all
    tracked. JP delivers 8 t (4 clean, 4 tracked), 2 t go unmet: 5 + 8 × 30 + 2 × 1,000 = 2,245.
    """
    folder = write_instance(
        tmp_path / "stocks",
        regions=["CN", "JP"],
        commodities=[
            {"commodity": "oxide", "stage": "oxide", "unit": "t REO"},
            {"commodity": "magnet", "stage": "functional_material", "unit": "t REO"},
        ],
        process_io=[
            {"process": "magnet_making", "commodity": "oxide", "direction": "in", "coefficient": 1},
            {"process": "magnet_making", "commodity": "magnet", "direction": "out", "coefficient": 1},
        ],
        processes=[{"process": "magnet_making", "region": "JP", "capacity": "", "cost_system": 30}],
        trade=[{"commodity": "oxide", "origin": "CN", "destination": "JP", "cost": 1, "loss": 0.2}],
        demand=[{"region": "JP", "commodity": "magnet", "quantity": 10, "penalty": 1000, "max_tracked_share": 0.5}],
        stocks=[
            {"region": "JP", "commodity": "oxide", "initial": 4},
            {"region": "CN", "commodity": "oxide", "initial": 20},
        ],
        content={"tracked": ["CN"]},
    )
    solution = reeopt.solve(folder)
    assert solution.status == "optimal"
    assert solution.objective == pytest.approx(2_245, rel=1e-6)
    jp = row(solution["delivered"], region="JP")
    assert (jp["delivered_clean"], jp["delivered_tracked"]) == (pytest.approx(4, rel=1e-6), pytest.approx(4, rel=1e-6))
    link = row(solution["trade"], origin="CN")
    assert (link["shipped"], link["shipped_tracked"]) == (pytest.approx(5, rel=1e-6), pytest.approx(5, rel=1e-6))
