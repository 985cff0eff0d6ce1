"""E2, no transit without transformation: hand-derived optima on a three-country instance.

CN makes magnets at 10/t, AU at 30/t (both from nothing: sources). Links: CN→US costs 1 + a
tariff of 100; CN→AU costs 1; AU→US costs 1. US needs 10 t.

* transit allowed: the cheapest supply dodges the tariff through Australia, 10 + 1 + 1 = 12/t,
  so the optimum is 10 × 12 = 120 and AU exports 10 t it never made.
* transit forbidden: AU exports only what it made: AU-made at 30 + 1 = 31/t beats CN direct at
  10 + 1 + 100 = 111/t, so 310. The transit row of (AU, magnet) binds: one more tonne of allowed
  re-export would save 31 − 12 = 19 (right difference); one tonne less forces AU to make a tonne
  it cannot use and must dispose of, +30 (left difference). The optimum is degenerate there, so
  the dual is any value in [−30, −19].
* AU a hub: exempt again, 120.
* AU holds an initial stock of 4 t: it may export the 4 t (free) and 6 t of its own make:
  4 × 1 + 6 × 31 = 190.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

import optimizer as reeopt
from optimizer.errors import InputError
from optimizer.model import build_model
from optimizer.solver import HighsSolver
from tests.builders import write_instance
from tests.finite_differences import moved_optimum


def transit_instance(folder, *, transit=None, hubs=(), stocks=None):
    settings = {"transit": transit} if transit else {}
    write_instance(
        folder,
        regions=["CN", "AU", "US"],
        commodities=[{"commodity": "magnet", "stage": "functional_material"}],
        process_io=[{"process": "make", "commodity": "magnet", "direction": "out", "coefficient": 1}],
        processes=[
            {"process": "make", "region": "CN", "capacity": "", "cost_system": 10},
            {"process": "make", "region": "AU", "capacity": "", "cost_system": 30},
        ],
        trade=[
            {"commodity": "magnet", "origin": "CN", "destination": "US", "cost": 1, "tariff": 100},
            {"commodity": "magnet", "origin": "CN", "destination": "AU", "cost": 1, "tariff": 0},
            {"commodity": "magnet", "origin": "AU", "destination": "US", "cost": 1, "tariff": 0},
        ],
        demand=[{"region": "US", "commodity": "magnet", "quantity": 10}],
        stocks=stocks,
        **settings,
    )
    pd.DataFrame(
        {"region": ["CN", "AU", "US"], "hub": ["true" if r in hubs else "" for r in ("CN", "AU", "US")]}
    ).to_csv(folder / "regions.csv", index=False)
    return folder


def shipped(solution, origin, destination):
    trade = solution["trade"]
    row = trade[(trade["origin"] == origin) & (trade["destination"] == destination)]
    return float(row["shipped"].sum())


def test_allowed_transit_dodges_the_tariff(tmp_path):
    solution = reeopt.solve(transit_instance(tmp_path / "i"))
    assert solution.objective == pytest.approx(120)
    assert shipped(solution, "AU", "US") == pytest.approx(10)
    assert "transit" not in build_model(reeopt.load(tmp_path / "i")).lp.rows


def test_forbidden_transit_makes_the_tariff_bind(tmp_path):
    instance = reeopt.load(transit_instance(tmp_path / "i", transit="forbidden"))
    solution = reeopt.solve(instance)
    assert solution.objective == pytest.approx(310)
    assert shipped(solution, "CN", "AU") == pytest.approx(0)
    activity = solution["activity"].set_index("region")["activity"]
    assert activity["AU"] == pytest.approx(10)
    # the rule's dual lies between the left and right differences
    model = build_model(instance)
    result = HighsSolver(model.lp).solve()
    rows = model.lp.rows["transit"]
    index = rows.index.assign(dual=result.row_dual[rows.ids])
    au = index[(index["r"] == model.data.regions.get_loc("AU"))]
    assert -30 - 1e-6 <= au["dual"].item() <= -19 + 1e-6
    cn = index[(index["r"] == model.data.regions.get_loc("CN"))]
    assert cn["dual"].item() == pytest.approx(0)


@pytest.mark.parametrize(("step", "change"), [(1.0, -19.0), (-1.0, 30.0)])
def test_finite_difference_of_the_transit_row(tmp_path, step, change):
    """Loosening the AU row by 1 t (one tonne of allowed re-export) saves 19; tightening it costs 30."""
    instance = reeopt.load(transit_instance(tmp_path / "i", transit="forbidden"))
    model = build_model(instance)
    rows = model.lp.rows["transit"]
    au = rows.start + int(np.flatnonzero(rows.index["r"] == model.data.regions.get_loc("AU"))[0])
    assert moved_optimum(model.lp, {au: step}) == pytest.approx(310 + change)  # its lower bound is −inf


def test_hub_may_re_export(tmp_path):
    solution = reeopt.solve(transit_instance(tmp_path / "i", transit="forbidden", hubs=("AU",)))
    assert solution.objective == pytest.approx(120)


def test_stock_may_be_exported(tmp_path):
    stocks = [{"region": "AU", "commodity": "magnet", "initial": 4}]
    solution = reeopt.solve(transit_instance(tmp_path / "i", transit="forbidden", stocks=stocks))
    assert solution.objective == pytest.approx(4 * 1 + 6 * 31)


def test_no_region_exports_more_than_it_made_or_drew(tmp_path):
    solution = reeopt.solve(transit_instance(tmp_path / "i", transit="forbidden"))
    balance = solution["balance"]
    assert (balance["exports"] <= balance["produced"] - balance["stock_change"].clip(upper=0) + 1e-6).all()


def test_scenario_may_forbid_transit(tmp_path):
    folder = transit_instance(tmp_path / "i")
    (folder / "scenarios").mkdir()
    (folder / "scenarios" / "rules.yaml").write_text("name: rules\ntransit: forbidden\n")
    assert reeopt.solve(folder, scenario="rules").objective == pytest.approx(310)


@pytest.mark.parametrize(
    ("setting", "message"),
    [("transit: sometimes\n", "not a transit rule"), ("content: {tracked: [XX]}\n", "does not have: XX")],
)
def test_bad_settings_are_input_errors(tmp_path, setting, message):
    folder = transit_instance(tmp_path / "i")
    with (folder / "instance.yaml").open("a") as handle:
        handle.write(setting)
    with pytest.raises(InputError, match=message):
        reeopt.load(folder)


def test_bad_hub_value_names_the_cell(tmp_path):
    folder = transit_instance(tmp_path / "i")
    pd.DataFrame({"region": ["CN", "AU", "US"], "hub": ["yes", "", ""]}).to_csv(folder / "regions.csv", index=False)
    with pytest.raises(InputError, match=r"regions.csv, line 2, column 'hub'.*true, false"):
        reeopt.load(folder)


def test_re_solve_in_place_keeps_the_transit_rows_right(tmp_path):
    """A scenario changing only numbers (AU's initial stock 4 → 7) re-solves the live model in place;
    the transit row's right-hand side follows: 7 × 1 + 3 × 31 = 100, as a fresh solve finds."""
    from optimizer.study import Study

    stocks = [{"region": "AU", "commodity": "magnet", "initial": 4}]
    folder = transit_instance(tmp_path / "i", transit="forbidden", stocks=stocks)
    (folder / "scenarios").mkdir()
    (folder / "scenarios" / "more.yaml").write_text(
        "name: more\nchanges:\n  - table: stocks\n    where: {region: AU}\n    set: {initial: 7}\n"
    )
    study = Study(reeopt.load(folder))
    assert study.solve().objective == pytest.approx(190)
    more = study.solve("more")
    assert more.summary["model_reused"] is True
    assert more.objective == pytest.approx(7 * 1 + 3 * 31)


def exporter_instance(folder):
    """MY makes oxide at 10/t, at most 6 t; JP makes it at 50/t; MY→JP costs 1; JP needs 10 t;
    disposing of a tonne costs 2; transit forbidden. MY has no demand and no imports."""
    write_instance(
        folder,
        regions=["MY", "JP"],
        commodities=[{"commodity": "oxide", "stage": "oxide", "disposal_cost": 2}],
        process_io=[{"process": "make", "commodity": "oxide", "direction": "out", "coefficient": 1}],
        processes=[
            {"process": "make", "region": "MY", "capacity": 6, "cost_system": 10},
            {"process": "make", "region": "JP", "capacity": "", "cost_system": 50},
        ],
        trade=[{"commodity": "oxide", "origin": "MY", "destination": "JP", "cost": 1, "tariff": 0}],
        demand=[{"region": "JP", "commodity": "oxide", "quantity": 10}],
        transit="forbidden",
    )
    return folder


def test_an_exporter_of_all_it_makes_is_priced_at_its_netback(tmp_path):
    """MY's 6 t all go to JP, JP makes 4: 6 × (10 + 1) + 4 × 50 = 266. At MY the transit row
    ``exports − made ≤ 0`` binds and nothing is imported, so the balance dual λ and the transit dual
    μ (≤ 0) are not unique separately: (λ + θ, μ + θ) keeps the reduced costs of MY's making and
    exporting. By hand, at MY:

    * one more tonne demanded (right derivative of the optimum): it comes out of exports, JP makes
      it instead: +50 − 1 = +49;
    * one more tonne offered, not made (left derivative): it may not be re-exported, so it is
      disposed of: +2, i.e. d(optimum)/d(demand) = −2 from the left;
    * so λ ∈ [−2, 49], μ = λ − 49 ∈ [−51, 0], and HiGHS returns some point of it;
    * one more tonne made at MY (balance +1 and transit allowance +1): it displaces a JP tonne,
      saves 49 = λ − μ whichever λ HiGHS picked, and one tonne less made costs 49: unique. That is
      ``marginal_value_made``, MY's export netback (JP's 50 less the 1 of the link).
    """
    instance = reeopt.load(exporter_instance(tmp_path / "i"))
    solution = reeopt.solve(instance)
    assert solution.objective == pytest.approx(266)
    my = solution["balance"].set_index("region").loc["MY"]
    assert my["exports"] == pytest.approx(6) and my["imports"] == 0
    assert -2 - 1e-6 <= my["marginal_value"] <= 49 + 1e-6
    assert my["marginal_value_made"] == pytest.approx(49)
    assert my["price_flag_made"] == ""  # as unique as JP's price, which is unflagged
    model = build_model(instance)
    balance = model.lp.rows["balance"].start + int(np.flatnonzero(model.lp.rows["balance"].index["r"] == 0)[0])
    transit = model.lp.rows["transit"].start
    assert moved_optimum(model.lp, {balance: 1.0}) == pytest.approx(266 + 49)  # one more tonne demanded
    assert moved_optimum(model.lp, {balance: -1.0}) == pytest.approx(266 + 2)  # one more tonne offered
    assert moved_optimum(model.lp, {balance: -1.0, transit: 1.0}) == pytest.approx(266 - 49)  # one more made
    assert moved_optimum(model.lp, {balance: 1.0, transit: -1.0}) == pytest.approx(266 + 49)  # one less made


def test_a_tonne_made_where_nothing_is_made_is_one_end_of_an_interval(tmp_path):
    """B makes oxide at 1/t, A at 5, C at 10; A and C need 10 t each; B→A costs 1, B→C 3, A→C 0.5;
    transit forbidden. B makes all 20 t and ships them direct: 10 × 2 + 10 × 4 = 60 (through A would
    be 1 + 1 + 0.5 = 2.5/t to C, but A may not re-export; A's own make, 5 + 0.5, is dearer than 4).
    A makes and exports nothing, so its transit row ``exports − made ≤ 0`` binds at 0 = 0. By hand:

    * one more tonne made at A (balance and allowance +1): it goes to C in place of a B tonne,
      saving 4 − 0.5 = 3.5;
    * one tonne less made at A (allowance −1): A must make a tonne it has no export for, at 5;
    * so λ − μ at A lies in [3.5, 5]: HiGHS reports one end, and ``price_flag_made`` says
      ``not_unique``. B (it exports what it makes at 1, in the basis) and C (no transit row) are
      priced; A's ``marginal_value`` (2, what one more tonne landed there is worth) is unique.
    """
    folder = tmp_path / "i"
    write_instance(
        folder,
        regions=["B", "A", "C"],
        commodities=[{"commodity": "oxide", "stage": "oxide"}],
        process_io=[{"process": "make", "commodity": "oxide", "direction": "out", "coefficient": 1}],
        processes=[
            {"process": "make", "region": "B", "capacity": "", "cost_system": 1},
            {"process": "make", "region": "A", "capacity": "", "cost_system": 5},
            {"process": "make", "region": "C", "capacity": "", "cost_system": 10},
        ],
        trade=[
            {"commodity": "oxide", "origin": "B", "destination": "A", "cost": 1, "tariff": 0},
            {"commodity": "oxide", "origin": "B", "destination": "C", "cost": 3, "tariff": 0},
            {"commodity": "oxide", "origin": "A", "destination": "C", "cost": 0.5, "tariff": 0},
        ],
        demand=[
            {"region": "A", "commodity": "oxide", "quantity": 10},
            {"region": "C", "commodity": "oxide", "quantity": 10},
        ],
        transit="forbidden",
    )
    instance = reeopt.load(folder)
    for engine in ("arrays", "pyomo"):
        balance = reeopt.solve(instance, engine=engine)["balance"].set_index("region")
        assert balance.loc["A", "marginal_value"] == pytest.approx(2)
        assert balance.loc["A", "price_flag"] == ""
        assert 3.5 - 1e-6 <= balance.loc["A", "marginal_value_made"] <= 5 + 1e-6
        assert balance.loc["A", "price_flag_made"] == "not_unique"
        assert balance.loc["B", "marginal_value_made"] == pytest.approx(1)
        assert balance.loc["B", "price_flag_made"] == ""
        assert balance.loc["C", "price_flag_made"] == ""
    model = build_model(instance)
    rows = model.lp.rows["balance"]
    a = rows.start + int(np.flatnonzero(rows.index["r"] == instance.regions.index("A"))[0])
    transit = model.lp.rows["transit"]
    a_transit = transit.start + int(np.flatnonzero(transit.index["r"] == instance.regions.index("A"))[0])
    assert moved_optimum(model.lp, {}) == pytest.approx(60)
    assert moved_optimum(model.lp, {a: -1.0, a_transit: 1.0}) == pytest.approx(60 - 3.5)  # one more made
    assert moved_optimum(model.lp, {a: 1.0, a_transit: -1.0}) == pytest.approx(60 + 5)  # one less made


def test_an_exporter_on_a_full_link_is_not_priced_at_its_netback(tmp_path):
    """A makes oxide at 10/t, at most 5 t; B makes it at 50/t and needs 10 t; A→B costs 1 and carries
    at most 5 t; transit forbidden (a reviewer's case). A makes 5 t and ships them all: 5 × 11 +
    5 × 50 = 305. A's transit row binds, but its only export link is full, so nothing ties A's made
    value to B's price:

    * one more tonne made at A (balance and allowance +1) replaces a tonne A makes itself: −10;
    * one tonne less made at A (allowance −1): A cannot make more, so it ships 4 and B makes 6: +49;
    * so λ − μ at A lies in [10, 49], one end of it is reported, and ``price_flag_made`` says
      ``not_unique`` (B's blank flag, which an export on a link with room would pass on, does not
      apply).
    """
    folder = tmp_path / "i"
    write_instance(
        folder,
        regions=["A", "B"],
        commodities=[{"commodity": "oxide", "stage": "oxide"}],
        process_io=[{"process": "make", "commodity": "oxide", "direction": "out", "coefficient": 1}],
        processes=[
            {"process": "make", "region": "A", "capacity": 5, "cost_system": 10},
            {"process": "make", "region": "B", "capacity": "", "cost_system": 50},
        ],
        trade=[{"commodity": "oxide", "origin": "A", "destination": "B", "cost": 1, "capacity": 5}],
        demand=[{"region": "B", "commodity": "oxide", "quantity": 10}],
        transit="forbidden",
    )
    instance = reeopt.load(folder)
    for engine in ("arrays", "pyomo"):
        solution = reeopt.solve(instance, engine=engine)
        assert solution.objective == pytest.approx(305)
        a = solution["balance"].set_index("region").loc["A"]
        assert a["exports"] == pytest.approx(5)
        assert 10 - 1e-6 <= a["marginal_value_made"] <= 49 + 1e-6
        assert a["price_flag_made"] == "not_unique"
    model = build_model(instance)
    balance = model.lp.rows["balance"].start + int(np.flatnonzero(model.lp.rows["balance"].index["r"] == 0)[0])
    transit = model.lp.rows["transit"].start
    assert moved_optimum(model.lp, {balance: -1.0, transit: 1.0}) == pytest.approx(305 - 10)  # one more made
    assert moved_optimum(model.lp, {balance: 1.0, transit: -1.0}) == pytest.approx(305 + 49)  # one less made


def test_a_tonne_made_by_a_tracked_exporter_is_worth_its_cost_when_the_clean_share_binds(tmp_path):
    """E2 with E3: MY's content is tracked and JP takes at most half its 10 t tracked. MY sends 5 t
    (11/t landed), JP makes 5 (50/t): 5 × 11 + 5 × 50 = 305. MY makes 5 < 6 t, so its making is in
    the basis: one tonne more made (for free) saves MY's own 10, one tonne less costs 10. So
    ``marginal_value_made`` at MY is 10, of the tracked class that ``marginal_value`` reports."""
    folder = exporter_instance(tmp_path / "i")
    demand = pd.read_csv(folder / "demand.csv").assign(max_tracked_share=0.5)
    demand.to_csv(folder / "demand.csv", index=False)
    with (folder / "instance.yaml").open("a") as handle:
        handle.write("content: {tracked: [MY]}\n")
    solution = reeopt.solve(folder)
    assert solution.objective == pytest.approx(305)
    my = solution["balance"].set_index("region").loc["MY"]
    assert my["exports"] == pytest.approx(5)
    assert my["marginal_value_made"] == pytest.approx(10)


def test_an_initial_stock_allows_exports_spread_over_the_first_periods_years(tmp_path):
    """Transit forbidden; AU holds 20 t of magnets at the start (holding 1/t-yr); periods 2025 and
    2030 last five years each.

    The stock is 20 / 5 = 4 t/yr of 2025's supply, and of AU's allowance to export what it did not
    make: AU ships its 4 t/yr (1/t) and 6 t/yr of its own make (31/t) in 2025, 190 a year; in 2030
    it makes all 10 t/yr, 310 a year. Objective 5 × 190 + 5 × 310 = 2,500, and no Chinese magnet
    passes through AU. Had the allowance been the whole 20 t a year, AU could re-export 6 t/yr of
    Chinese magnets at 12/t.
    """
    folder = transit_instance(
        tmp_path / "i",
        transit="forbidden",
        stocks=[{"region": "AU", "commodity": "magnet", "initial": 20, "holding_cost": 1}],
    )
    settings = yaml.safe_load((folder / "instance.yaml").read_text())
    (folder / "instance.yaml").write_text(yaml.safe_dump({**settings, "periods": [2025, 2030]}))
    solution = reeopt.solve(folder)
    assert solution.status == "optimal"
    assert solution.objective == pytest.approx(2_500, rel=1e-6)
    assert shipped(solution, "CN", "AU") == pytest.approx(0, abs=1e-9)
    made = solution["activity"].query("region == 'AU'").set_index("period")["activity"]
    assert made.to_dict() == pytest.approx({2025: 6, 2030: 10}, rel=1e-6)


def test_an_importer_that_exports_what_it_makes_prices_a_made_tonne_above_a_bought_one(tmp_path):
    """Transit forbidden; AU also needs 5 t itself. AU's 10 t for the US must be AU-made (31/t, CN
    direct costs 111/t); AU's own 5 t are imported from CN at 10 + 1 = 11/t: 310 + 55 = 365.

    At AU one more tonne demanded is one more imported: λ = 11, unique (the link has room). One more
    tonne made there (balance +1, export allowance +1) replaces an AU-made export: it saves 30, so
    ``marginal_value_made`` = λ − μ = 30 and the transit dual μ = −19, both unique."""
    folder = transit_instance(tmp_path / "i", transit="forbidden")
    demand = pd.read_csv(folder / "demand.csv")
    pd.concat([demand, pd.DataFrame([{"region": "AU", "commodity": "magnet", "quantity": 5}])]).to_csv(
        folder / "demand.csv", index=False
    )
    instance = reeopt.load(folder)
    solution = reeopt.solve(instance)
    assert solution.objective == pytest.approx(365, rel=1e-9)
    assert shipped(solution, "CN", "AU") == pytest.approx(5, rel=1e-9)
    au = solution["balance"].set_index("region").loc["AU"]
    assert au["marginal_value"] == pytest.approx(11, rel=1e-9)
    assert au["marginal_value_made"] == pytest.approx(30, rel=1e-9)
    model = build_model(instance)
    balance, transit = model.lp.rows["balance"], model.lp.rows["transit"]
    at_au = balance.start + int(np.flatnonzero(balance.index["r"] == 1)[0])
    allowance = transit.start + int(np.flatnonzero(transit.index["r"] == 1)[0])
    assert moved_optimum(model.lp, {at_au: -1.0, allowance: 1.0}) == pytest.approx(365 - 30, rel=1e-9)
