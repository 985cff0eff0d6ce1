"""Price-responsive demand (FORMULATION.md E1) on one market whose clearing is derived by hand.

The market: region A, one oxide, reference demand Q = 100 t at P = 1000 $/t, elasticity ε = −0.5,
5 steps per side in a band of 0.5, so each step is w = 10 t wide and step j carries the price at
its midpoint, p_j = 1000·(q_j/100)^(1/ε) = 1000·(q_j/100)^−2:

    j      −5     −4     −3     −2      −1      1      2      3      4      5
    q_j    55     65     75     85      95    105    115    125    135    145
    p_j  3305.8 2366.9 1777.8 1384.08 1108.03 907.03 756.14 640.0 548.70 475.62

Supply: ``cheap`` mine at 500 $/t (capacity varies by test) and ``dear`` mine at 2000 $/t, unlimited.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from optimizer.api import solve
from optimizer.errors import InputError
from optimizer.instance import load_instance
from optimizer.model import build_model
from tests.builders import write_instance
from tests.finite_differences import moved_optimum

P, Q = 1000.0, 100.0


def price(q: float, elasticity: float = -0.5) -> float:
    return P * (q / Q) ** (1.0 / elasticity)


def market(tmp_path, *, cheap=95.0, elasticity: float | str = -0.5, dear=True, name="market", **demand):
    processes = [{"process": "cheap", "region": "A", "capacity": cheap, "cost_system": 500}]
    if dear:
        processes.append({"process": "dear", "region": "A", "capacity": "", "cost_system": 2000})
    row = {"region": "A", "commodity": "oxide", "quantity": Q, "price": P, "elasticity": elasticity}
    row.update(demand)
    return write_instance(
        tmp_path / name,
        regions=["A"],
        commodities=[{"commodity": "oxide", "stage": "oxide"}],
        process_io=[
            {"process": "cheap", "commodity": "oxide", "direction": "out", "coefficient": 1},
            {"process": "dear", "commodity": "oxide", "direction": "out", "coefficient": 1},
        ],
        processes=processes,
        demand=[row],
    )


def cleared(solution):
    delivered = solution["delivered"].iloc[0]
    balance = solution["balance"].iloc[0]
    return delivered, float(balance["marginal_value"])


def test_single_market_clears_where_hand_derivation_says(tmp_path):
    """The cheap mine (500, 95 t) serves the core 50 t, steps −5..−2 (all priced above 500) and 5 t
    of step −1 (p = 1108.03 > 500); the dear mine (2000) is dearer than step −1's price, so the rest
    of step −1 stays unserved: 95 t clear at the price p_{−1} = 1000/0.95² = 1108.03 $/t.
    Objective (welfare form): 95·500 + 5·1108.03 (the 5 t reduction) = 53,040.17.
    Capacity dual of ``cheap``: 1108.03 − 500 = 608.03."""
    solution = solve(load_instance(market(tmp_path)))
    delivered, marginal_value = cleared(solution)
    p1 = price(95.0)
    assert p1 == pytest.approx(1108.0332, rel=1e-6)
    assert delivered["demand"] == pytest.approx(100.0)
    assert delivered["delivered"] == pytest.approx(95.0)
    assert delivered["elastic_change"] == pytest.approx(-5.0)
    assert delivered["unmet"] == pytest.approx(0.0)
    assert marginal_value == pytest.approx(p1, rel=1e-9)
    assert solution.objective == pytest.approx(95 * 500 + 5 * p1, rel=1e-9)
    assert solution.summary["costs"]["demand_response"] == pytest.approx(5 * p1, rel=1e-9)
    assert solution.summary["costs"]["system"] == pytest.approx(95 * 500, rel=1e-9)
    activity = solution["activity"].set_index("process")
    assert activity.loc["cheap", "capacity_dual"] == pytest.approx(p1 - 500, rel=1e-9)
    assert activity.loc["dear", "activity"] == pytest.approx(0.0, abs=1e-9)


def test_cheap_supply_raises_demand_along_the_curve(tmp_path):
    """Unlimited supply at 500: every step priced above 500 is served — all reductions and the
    increases j = 1..4 (548.70 > 500 > 475.62 = p_5): 140 t clear, and the marginal value is the
    supply's cost, 500. Objective: 140·500 − (907.03 + 756.14 + 640 + 548.70)·10 = 41,481.3."""
    solution = solve(load_instance(market(tmp_path, cheap="", dear=False)))
    delivered, marginal_value = cleared(solution)
    assert delivered["delivered"] == pytest.approx(140.0)
    assert delivered["elastic_change"] == pytest.approx(40.0)
    assert marginal_value == pytest.approx(500.0, rel=1e-9)
    gained = 10 * sum(price(q) for q in (105, 115, 125, 135))
    assert solution.objective == pytest.approx(140 * 500 - gained, rel=1e-9)


def test_converges_to_fixed_demand_as_elasticity_vanishes(tmp_path):
    """Fixed demand: 95 t at 500 and 5 t at 2000, cost 57,500, marginal value 2000. With ε → 0 the
    reduction steps' prices (P·0.95^(1/ε)) grow past 2000 and the increases' fall below 500, so the
    elastic market delivers exactly Q and costs exactly the same: ε = −0.5 and −0.1 still cut step −1
    (1108, 1670 < 2000), ε = −0.05 (2789) and below do not."""
    fixed = solve(load_instance(market(tmp_path, elasticity="", name="fixed")))
    assert fixed.objective == pytest.approx(57500.0)
    gaps = []
    for elasticity, expected in ((-0.5, 95.0), (-0.1, 95.0), (-0.05, 100.0), (-0.01, 100.0), (-0.001, 100.0)):
        solution = solve(load_instance(market(tmp_path, elasticity=elasticity, name=f"e{-elasticity:g}")))
        delivered, marginal_value = cleared(solution)
        assert delivered["delivered"] == pytest.approx(expected), elasticity
        gaps.append(fixed.objective - solution.objective)
        if expected == 100.0:
            assert marginal_value == pytest.approx(2000.0)
    assert all(gap >= -1e-6 for gap in gaps)  # the curve only adds options: never dearer than fixed
    assert all(later <= earlier + 1e-6 for earlier, later in zip(gaps, gaps[1:], strict=False))
    assert gaps[-1] == pytest.approx(0.0, abs=1e-6)


def _rhs_shift(model, delta: float) -> float:
    """Cost optimum with ``delta`` t/yr more withdrawn at the market's balance row."""
    optimum = moved_optimum(model.lp, {model.lp.rows["balance"].start: delta})
    assert optimum is not None
    return optimum


@pytest.mark.parametrize("cheap", [95.0, 83.0, 61.0])
def test_marginal_value_inside_band_matches_finite_differences(tmp_path, cheap):
    """Cleared inside step j, one more tonne withdrawn cuts step j once more: left and right
    differences both equal p_j (95 t → step −1, 83 t → step −2, 61 t → step −4), and equal the
    reported marginal value (no dear mine here: it would serve step −4, priced above 2000)."""
    instance = load_instance(market(tmp_path, cheap=cheap, dear=False))
    solution = solve(instance)
    _, marginal_value = cleared(solution)
    midpoint = {95.0: 95.0, 83.0: 85.0, 61.0: 65.0}[cheap]
    assert marginal_value == pytest.approx(price(midpoint), rel=1e-9)
    model = build_model(instance)
    base = _rhs_shift(model, 0.0)
    for delta in (0.5, -0.5):
        assert (_rhs_shift(model, delta) - base) / delta == pytest.approx(marginal_value, rel=1e-7)


def test_cost_and_value_objectives_agree(tmp_path):
    """Same deliveries and marginal values in both objectives. The welfare form (cost) and the
    value form add up to a constant: cost_obj + value_obj = Σ_{j<0} p_j·w + p_{−5}·Q(1 − band)
    (the value objective prices the core 50 t at the outermost step, p_{−5} = 3305.8)."""
    folder = market(tmp_path, cheap=83.0)
    cost = solve(load_instance(folder))
    value = solve(load_instance(folder), objective="value")
    for table in ("delivered", "balance", "activity"):
        numeric = cost[table].select_dtypes("number").columns
        np.testing.assert_allclose(cost[table][numeric], value[table][numeric], rtol=1e-9, atol=1e-7)
    constant = sum(10 * price(q) for q in (55, 65, 75, 85, 95)) + price(55) * 50
    assert cost.objective + value.objective == pytest.approx(constant, rel=1e-9)


def test_penalty_applies_only_below_the_band(tmp_path):
    """Supply 40 t (cheap), no dear mine, penalty 5000: the core 50 t is short by 10 t at 5000/t
    (above every step price), and every step goes unserved. Unmet is the 10 t below the band, not
    the 60 t below Q; the marginal value is the penalty."""
    solution = solve(load_instance(market(tmp_path, cheap=40.0, dear=False, penalty=5000)))
    delivered, marginal_value = cleared(solution)
    assert delivered["delivered"] == pytest.approx(40.0)
    assert delivered["unmet"] == pytest.approx(10.0)
    assert delivered["elastic_change"] == pytest.approx(-50.0)
    assert marginal_value == pytest.approx(5000.0)
    assert solution.summary["unmet_demand"] == pytest.approx(10.0)
    welfare = sum(10 * price(q) for q in (55, 65, 75, 85, 95))
    assert solution.objective == pytest.approx(40 * 500 + 10 * 5000 + welfare, rel=1e-9)
    assert solution.summary["costs"]["penalty"] == pytest.approx(50000.0, rel=1e-9)


def test_hard_demand_below_the_band_is_infeasible(tmp_path):
    """Without a penalty the band's lower edge (50 t) must be served; 40 t of supply cannot."""
    assert solve(load_instance(market(tmp_path, cheap=40.0, dear=False))).status == "infeasible"


def test_scenario_reuse_gets_new_curve_prices(tmp_path):
    """A re-used program (same shape) must carry the scenario's prices: P = 2000 doubles every step
    price, so the cleared step −1 is priced 2216.07 > 2000 and the dear mine serves up to Q."""
    folder = market(tmp_path)
    (folder / "scenarios").mkdir()
    (folder / "scenarios" / "dear.yaml").write_text(
        "name: dear\nchanges:\n  - table: demand\n    where: {region: A}\n    set: {price: 2000}\n"
    )
    from optimizer.study import Study

    study = Study(folder)
    base, dear = study.solve(None), study.solve("dear")
    assert cleared(base)[0]["delivered"] == pytest.approx(95.0)
    assert cleared(dear)[0]["delivered"] == pytest.approx(100.0)
    assert cleared(dear)[1] == pytest.approx(2000.0)


@pytest.mark.parametrize(
    ("cells", "column", "message"),
    [
        ({"elasticity": 0.2}, "elasticity", "< 0"),
        ({"elasticity": 0}, "elasticity", "< 0"),
        ({"price": ""}, "price", "reference price"),
        ({"band": 1.5}, "band", "<= 1"),
        ({"band": 0}, "band", "> 0"),
        ({"steps": 0}, "steps", ">= 1"),
        ({"steps": 2.5}, "steps", "whole number"),
    ],
)
def test_bad_curves_are_named(tmp_path, cells, column, message):
    folder = market(tmp_path, **cells)
    with pytest.raises(InputError) as error:
        load_instance(folder)
    text = str(error.value)
    assert "demand.csv" in text and "line 2" in text and f"column '{column}'" in text and message in text


def test_cli_writes_cleared_quantities(tmp_path, reeopt):
    out = tmp_path / "out"
    run = reeopt("solve", str(market(tmp_path)), "--out", str(out), "--quiet")
    assert run.code == 0, run.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["costs"]["demand_response"] == pytest.approx(5 * price(95.0))
    assert "elastic_change" in (out / "delivered.csv").read_text().splitlines()[0]


def test_account_ignores_demand_curves(tmp_path):
    """The accounting mode fixes history's flows: 95 t mined and delivered stay 95 t; no step of the
    curve may add deliveries, and no welfare term enters history's costs."""
    from optimizer.history import account

    folder = market(tmp_path)
    (folder / "observed.csv").write_text(
        "kind,process,region,commodity,period,value\nactivity,cheap,A,,2025,95\ndelivered,,A,oxide,2025,95\n"
    )
    solution = account(load_instance(folder))
    assert solution.status == "optimal"
    assert solution["delivered"]["delivered"].iloc[0] == pytest.approx(95.0)
    assert "demand_response" not in solution.summary["costs"]
    assert solution.summary["costs"]["system"] == pytest.approx(95 * 500)


def test_pyomo_model_has_the_steps_and_the_same_optimum(tmp_path):
    """The Pyomo form of the program (LinearProgram.to_pyomo) carries ``elastic_step`` (10 steps)
    and reaches the hand-derived optimum 95·500 + 5·p_{−1}."""
    import pyomo.environ as pyo

    model = build_model(load_instance(market(tmp_path))).lp.to_pyomo()
    assert len(model.elastic_step) == 10
    pyo.SolverFactory("appsi_highs").solve(model)
    assert pyo.value(model.objective) == pytest.approx(95 * 500 + 5 * price(95.0), rel=1e-9)


def test_steps_priced_above_the_penalty_are_rigid(tmp_path):
    """Penalty 1,900: no one pays more per tonne than leaving it unmet costs, so the reduction steps
    priced above it (j = −5 at 3,305.8 and −4 at 2,366.9) are rigid and join the core, 50 + 20 = 70 t.

    Cheap supply 10 t at 500, dear at 2,000 (above the penalty). The core takes the 10 cheap tonnes
    and leaves 60 t unmet at 1,900 rather than buy dear tonnes; the flexible reduction steps (−3, −2,
    −1, all priced below 2,000) go unserved. Delivered 10 t, marginal value the penalty, 1,900;
    objective 10 × 500 + 60 × 1,900 + 10 × (p₋₃ + p₋₂ + p₋₁) = 161,698.9. Were those two steps
    flexible, the core would be 50 t and the 20 t of steps beyond it worth more than the dear
    mine's 2,000: 10 t more would be bought at 2,000 (the marginal value then).
    """
    solution = solve(load_instance(market(tmp_path, cheap=10.0, penalty=1900)))
    delivered, marginal_value = cleared(solution)
    assert delivered["delivered"] == pytest.approx(10.0, rel=1e-9)
    assert delivered["unmet"] == pytest.approx(60.0, rel=1e-9)
    assert marginal_value == pytest.approx(1900.0, rel=1e-9)
    welfare = sum(10 * price(q) for q in (75, 85, 95))
    assert solution.objective == pytest.approx(10 * 500 + 60 * 1900 + welfare, rel=1e-9)


@pytest.mark.parametrize(("cheap", "dear", "unmet"), [(95.0, True, 0.0), (40.0, False, 10.0)])
def test_the_pyomo_models_unmet_is_the_shortfall_below_the_band(tmp_path, cheap, dear, unmet):
    """``unmet`` of the Pyomo model agrees with delivered.csv on a curve: 95 t of cheap supply clear
    at 95 t, all of the core's 50 t served (unmet 0, not 100 − 50); 40 t of supply and a penalty of
    5,000 leave the core 10 t short (``test_penalty_applies_only_below_the_band``)."""
    import pyomo.environ as pyo

    from optimizer.api import build_pyomo, solve_model

    model = build_pyomo(load_instance(market(tmp_path, cheap=cheap, dear=dear, penalty=5000)))
    solution = solve_model(model)
    key = ("A", "oxide", 2025)
    assert solution["delivered"].iloc[0]["unmet"] == pytest.approx(unmet, abs=1e-9)
    assert pyo.value(model.unmet[key]) == pytest.approx(unmet, abs=1e-9)
