"""Flagged marginal values (optimizer/analysis/price_flags.py): each flag on an instance whose flag
and marginal value are derived by hand."""

from __future__ import annotations

import json

import pytest

from optimizer.api import solve
from optimizer.instance import load_instance
from optimizer.model import build_model
from optimizer.study import Study
from tests.builders import chain_instance, write_instance
from tests.finite_differences import moved_optimum
from tests.test_elastic_demand import market, price


def flags(solution) -> dict[tuple[str, str], tuple[float, str]]:
    balance = solution["balance"]
    return {(row.region, row.commodity): (row.marginal_value, row.price_flag) for row in balance.itertuples()}


def co_products(tmp_path):
    """R1 mines 1 t A + 1 t B per unit at 10; A is wanted in R1 (10 t), B in R2 (4 t, shipped at 3)
    and the other 6 t of B are disposed at 5/t."""
    return write_instance(
        tmp_path / "co_products",
        regions=["R1", "R2"],
        commodities=[
            {"commodity": "A", "stage": "oxide"},
            {"commodity": "B", "stage": "oxide", "disposal_cost": 5},
        ],
        process_io=[
            {"process": "mine", "commodity": "A", "direction": "out", "coefficient": 1},
            {"process": "mine", "commodity": "B", "direction": "out", "coefficient": 1},
        ],
        processes=[{"process": "mine", "region": "R1", "capacity": "", "cost_system": 10}],
        trade=[{"commodity": "B", "origin": "R1", "destination": "R2", "cost": 3}],
        demand=[
            {"region": "R1", "commodity": "A", "quantity": 10},
            {"region": "R2", "commodity": "B", "quantity": 4},
        ],
    )


def test_disposal_flags_the_dumped_co_product_and_where_it_is_shipped(tmp_path):
    """B at R1: one more tonne withdrawn is one less disposed, −5. B at R2: that tonne shipped, −5 + 3
    = −2, still a dumped tonne. A at R1: one more mine unit, 10, whose B is disposed, +5 = 15: a
    price (it is what A's last tonne costs), not flagged."""
    found = flags(solve(load_instance(co_products(tmp_path))))
    assert found[("R1", "B")] == (pytest.approx(-5.0), "disposal")
    assert found[("R2", "B")] == (pytest.approx(-2.0), "disposal")
    assert found[("R1", "A")] == (pytest.approx(15.0), "")


def test_penalty_flags_the_unmet_node_and_what_is_priced_off_it(tmp_path):
    """The chain (tests/builders.py) with 135 t demanded at B, penalty 1000: 100 t of ore make 90 t of
    metal, 45 t go unmet. Metal at B: 1000 (the penalty). Metal at A: 1000 − 5 (freight) = 995. Ore:
    0.9·995 − 20 (refining) = 875.5. All three are set by the penalty."""
    folder = chain_instance(
        tmp_path / "chain", demand=[{"region": "B", "commodity": "metal", "quantity": 135, "penalty": 1000}]
    )
    solution = solve(load_instance(folder))
    found = flags(solution)
    assert found[("B", "metal")] == (pytest.approx(1000.0), "penalty")
    assert found[("A", "metal")] == (pytest.approx(995.0), "penalty")
    assert found[("A", "ore")] == (pytest.approx(875.5), "penalty")
    summary = solution.summary["price_flags"]
    assert summary["counts"] == {"penalty": 3, "outside_band": 0, "disposal": 0, "not_unique": 0}
    assert {(f["region"], f["commodity"]) for f in summary["flagged"]} == {("B", "metal"), ("A", "metal"), ("A", "ore")}


def test_met_demand_is_a_price(tmp_path):
    """The same chain serving its 45 t: metal at B costs 10/0.9 + 20/0.9 + 5 = 38.33, nothing flagged."""
    solution = solve(load_instance(chain_instance(tmp_path / "chain")))
    assert flags(solution)[("B", "metal")] == (pytest.approx(10 / 0.9 + 20 / 0.9 + 5), "")
    assert solution.summary["price_flags"]["flagged"] == []


def test_curve_cleared_inside_a_step_is_a_price(tmp_path):
    """The hand market of test_elastic_demand clears at 95 t, inside step −1, at p_{−1}: a price."""
    assert flags(solve(load_instance(market(tmp_path))))[("A", "oxide")] == (pytest.approx(price(95.0)), "")


def test_curve_beyond_its_band_is_flagged(tmp_path):
    """Unlimited supply at 100, below the cheapest step (p_5 = 475.6): every step is served, 150 t
    = Q(1 + band) clear, and the marginal value is the supply's 100, below the whole band.
    Supply of 50 t at 500 and then 5000 (above p_{−5} = 3305.8): 50 t = Q(1 − band) clear and the
    marginal value is 5000, above the whole band."""
    folder = market(tmp_path, cheap="", dear=False, name="cheap")
    processes = folder / "processes.csv"
    processes.write_text(processes.read_text().replace(",500", ",100"))
    above = solve(load_instance(folder))
    assert above["delivered"]["delivered"].iloc[0] == pytest.approx(150.0)
    assert flags(above)[("A", "oxide")] == (pytest.approx(100.0), "outside_band")
    folder = market(tmp_path, cheap=50.0, name="short")
    processes = folder / "processes.csv"
    processes.write_text(processes.read_text().replace("2000", "5000"))
    below = solve(load_instance(folder))
    assert below["delivered"]["delivered"].iloc[0] == pytest.approx(50.0)
    assert flags(below)[("A", "oxide")] == (pytest.approx(5000.0), "outside_band")


def test_dual_at_a_step_edge_is_not_unique(tmp_path):
    """The cheap mine's 90 t end exactly at the edge between steps −2 and −1. One tonne more
    withdrawn is cut from step −2 (1384.08, cheaper than the dear mine's 2000): right derivative
    1384.08; one tonne more available serves step −1: left derivative 1108.03. Any dual in
    [1108.03, 1384.08] is optimal, and the flag says so."""
    instance = load_instance(market(tmp_path, cheap=90.0))
    solution = solve(instance)
    value, flag = flags(solution)[("A", "oxide")]
    assert flag == "not_unique"
    assert price(95.0) - 1e-6 <= value <= price(85.0) + 1e-6
    model = build_model(instance)
    row = model.lp.rows["balance"].start
    base = moved_optimum(model.lp, {})
    assert moved_optimum(model.lp, {row: 1.0}) - base == pytest.approx(price(85.0), rel=1e-9)
    assert base - moved_optimum(model.lp, {row: -1.0}) == pytest.approx(price(95.0), rel=1e-9)


def test_sweeps_skip_the_ranging(tmp_path):
    """accounts=False (sweeps, chokepoints) solves without the basis ranging and adds no flags."""
    study = Study(load_instance(market(tmp_path, cheap=90.0)))
    assert "price_flag" not in study.solve(accounts=False)["balance"]
    assert "price_flags" not in study.solve(accounts=False).summary


def test_flags_in_summary_console_and_compare(tmp_path, reeopt):
    folder = chain_instance(
        tmp_path / "chain", demand=[{"region": "B", "commodity": "metal", "quantity": 135, "penalty": 1000}]
    )
    out = tmp_path / "out"
    run = reeopt("solve", str(folder), "--out", str(out))
    assert run.code == 0, run.err
    assert "Flagged marginal values: 3" in run.out and "*penalty" in run.out
    summary = json.loads((out / "summary.json").read_text())
    assert summary["price_flags"]["counts"]["penalty"] == 3
    assert "price_flag" in (out / "balance.csv").read_text().splitlines()[0]


def test_compare_marks_flagged_values(tmp_path, reeopt):
    """Toy under the soft NORTH export ban: EAST's magnet demand goes partly unmet at the scenario's
    penalty of 10,000, which is then EAST's magnet marginal value: marked with a * and a legend."""
    out = tmp_path / "compare"
    run = reeopt("compare", "toy", "-s", "north_export_ban_soft", "--out", str(out))
    assert run.code == 0, run.err
    line = next(line for line in run.out.splitlines() if "mv_ndfeb_magnet_EAST" in line)
    assert "10.00 k*" in line
    assert "* not a market price" in run.out and "penalty: set by the unmet-demand penalty" in run.out
    table = (out / "comparison.csv").read_text()
    assert "flag_mv_ndfeb_magnet_EAST" in table.splitlines()[0]


@pytest.mark.parametrize("seed", range(10))
def test_an_unflagged_marginal_value_is_both_finite_differences(tmp_path, seed):
    """A blank flag says the marginal value is a price: one more tonne and one tonne less at the node
    are worth the same. So at every unflagged node of a random LP (every feature of the model; under
    ``transit: forbidden`` for odd seeds) the optimum moved by a tonne more demanded and a tonne more
    offered there must change by the marginal value (× the period's weight), and where transit is
    forbidden a tonne more and less *made* (balance and allowance together) by ``marginal_value_made``
    wherever ``price_flag_made`` is blank. Nodes nobody derived by hand: the test for a flag that lets a
    one-sided dual through."""
    from tests.random_instances import random_instance

    folder = random_instance(tmp_path / "i", seed, lumpy=False)
    if seed % 2:
        with (folder / "instance.yaml").open("a") as handle:
            handle.write("transit: forbidden\n")
    instance = load_instance(folder)
    assert unflagged_values_are_both_differences(instance, solve(instance, engine="arrays")) > 0


def unflagged_values_are_both_differences(instance, solution, *, made_only: bool = False) -> int:
    """Assert that every unflagged ``marginal_value`` (unless ``made_only``) and ``marginal_value_made``
    (at nodes with a transit row) of ``solution`` is both the right and the left finite difference of
    the optimum; the number of values checked."""
    from optimizer.labels import labels
    from optimizer.model.transit import transit_row_ids

    balance = solution["balance"].set_index(["region", "commodity", "period"])
    model = build_model(instance)
    lp, rows = model.lp, model.lp.rows["balance"]
    names = labels(model.data, rows.index)
    keys = list(zip(names["region"], names["commodity"], model.data.periods[rows.index["t"]], strict=True))
    weight = model.data.weight[rows.index["t"].to_numpy()]
    transit = transit_row_ids(model.data, lp)
    base = moved_optimum(lp, {})
    assert base == pytest.approx(solution.objective)
    delta, checked = 1e-3, 0
    for position, key in enumerate(keys):
        if key not in balance.index:
            continue
        node, row = balance.loc[key], rows.start + position
        perturbations = [] if made_only else [("marginal_value", "price_flag", {row: delta}, {row: -delta})]
        if transit[position] >= 0:
            made, less = {row: -delta, transit[position]: delta}, {row: delta, transit[position]: -delta}
            perturbations.append(("marginal_value_made", "price_flag_made", less, made))
        for value, flag, more_needed, more_had in perturbations:
            if node[flag] != "":
                continue
            up, down = moved_optimum(lp, more_needed), moved_optimum(lp, more_had)
            assert up is not None and down is not None, (key, value)
            scale = delta * weight[position]
            right, left = (up - base) / scale, (base - down) / scale
            tolerance = 1e-4 * max(1.0, abs(node[value]))
            assert right == pytest.approx(node[value], abs=tolerance), (key, value, left, right)
            assert left == pytest.approx(node[value], abs=tolerance), (key, value, left, right)
            checked += 1
    return checked


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4, 5, 7, 13, 14, 16])  # the draws with a quota
def test_an_unflagged_quota_rent_is_both_finite_differences(tmp_path, seed):
    """Likewise for ``quotas.csv``: where ``rent_flag`` is blank, a tonne more and a tonne less of
    licence (the quota's limit ± δ) change the optimum by the rent × the period's weight, on random
    LPs with an export quota."""
    from tests.random_instances import random_instance

    instance = load_instance(random_instance(tmp_path / "i", seed, lumpy=False))
    solution = solve(instance, engine="arrays")
    model = build_model(instance)
    lp, rows = model.lp, model.lp.rows["quota"]
    quotas = solution["quotas"]
    assert len(quotas) == rows.size > 0
    weight = model.data.weight[model.data.quotas["t"].to_numpy()]
    base, delta = moved_optimum(lp, {}), 1e-3
    for position, quota in enumerate(quotas.itertuples()):
        if quota.rent_flag != "":
            continue
        row = int(rows.ids[position])
        more, less = moved_optimum(lp, {row: delta}), moved_optimum(lp, {row: -delta})
        assert more is not None and less is not None
        scale = delta * weight[position]
        tolerance = 1e-4 * max(1.0, abs(quota.rent))
        assert (base - more) / scale == pytest.approx(quota.rent, abs=tolerance), quota
        assert (less - base) / scale == pytest.approx(quota.rent, abs=tolerance), quota


def _shifted_node(model, region: str, commodity: str, delta: float) -> float:
    """The optimum with ``delta`` t/yr more withdrawn at the node (its balance row's right-hand side)."""
    rows, data = model.lp.rows["balance"], model.data
    index = rows.index
    at = (index["r"] == data.regions.get_loc(region)) & (index["c"] == data.commodities.get_loc(commodity))
    return moved_optimum(model.lp, {rows.start + int(index.index[at][0]): delta})


def test_a_mine_exactly_at_its_capacity_makes_the_price_not_unique(tmp_path):
    """A's mine (10/t) holds 50 t/yr, exactly the ore B's 45 t of metal need; B may mine at 100/t and
    refine at home. One tonne more metal demanded in B comes from B's mine, (100 + 20) / 0.9 =
    133.33 (right difference); one tonne less saves A's route, (10 + 20) / 0.9 + 5 = 38.33 (left
    difference). Any dual in between is optimal, so B's metal is flagged ``not_unique``."""
    folder = chain_instance(
        tmp_path / "exact",
        processes=[
            {"process": "mine", "region": "A", "capacity": 50, "cost_system": 10},
            {"process": "mine", "region": "B", "capacity": "", "cost_system": 100},
            {"process": "refine", "region": "A", "capacity": "", "cost_system": 20},
            {"process": "refine", "region": "B", "capacity": "", "cost_system": 20},
        ],
    )
    instance = load_instance(folder)
    value, flag = flags(solve(instance))[("B", "metal")]
    assert flag == "not_unique"
    assert 30 / 0.9 + 5 - 1e-6 <= value <= 120 / 0.9 + 1e-6
    model = build_model(instance)
    base = _shifted_node(model, "B", "metal", 0.0)
    assert _shifted_node(model, "B", "metal", 1.0) - base == pytest.approx(120 / 0.9, rel=1e-9)
    assert base - _shifted_node(model, "B", "metal", -1.0) == pytest.approx(30 / 0.9 + 5, rel=1e-9)
