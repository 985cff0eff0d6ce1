"""The Pyomo engine against the arrays engine: the same program, the same optimum, flows and duals.

The matrix test compiles the Pyomo model with Pyomo's own ``LinearStandardFormCompiler`` in the
compiler's own column order and compares it with the arrays engine's program after matching rows
and columns through the model's component data (so "up to the order of rows and columns").
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyomo.environ as pyo
import pytest
from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler

import optimizer as reeopt
from optimizer.model import build_model
from optimizer.model.pyomo_model import build_pyomo
from optimizer.model.registry import FAMILIES, naming
from optimizer.network import network
from optimizer.study import Study
from tests.builders import chain_instance
from tests.random_instances import random_instance

INSTANCES = Path(__file__).resolve().parents[2] / "instances"
TOY = [("toy", None)] + [("toy", path.stem) for path in sorted((INSTANCES / "toy" / "scenarios").glob("*.yaml"))]
# every world scenario compiles to its program too (checked by hand, 8-15 s each on this machine); two stay
# in the suite to keep it fast
SHIPPED = TOY + [("world", "cn_export_controls")]


def assert_same_program(instance, scenario=None) -> None:
    """Compiled Pyomo model == arrays program, rows and columns matched by identity."""
    model = build_model(network(instance, scenario))
    lp = model.lp
    pm = build_pyomo(model)
    info = LinearStandardFormCompiler().write(pm, mixed_form=True, set_sense=pyo.minimize)
    link = pm._reeopt
    cols = np.array([link.column_of[id(v)] for v in info.columns])
    rows = np.array([link.row_of[id(entry[0])] for entry in info.rows])
    assert sorted(rows.tolist()) == list(range(lp.n_rows))  # every row once, none split
    left_out = np.setdiff1d(np.arange(lp.n_cols), cols)
    # the compiler drops only columns that appear nowhere (no coefficient, no cost)
    assert lp.matrix[:, left_out].nnz == 0 and not lp.col_cost[left_out].any()
    difference = info.A.tocsc() - lp.matrix[rows][:, cols]
    assert abs(difference).max() == 0 if difference.nnz else True
    assert np.array_equal(np.asarray(info.c.todense()).ravel(), lp.col_cost[cols])
    assert info.c_offset[0] == pytest.approx(lp.offset, rel=1e-12)
    assert np.array_equal(info.rhs, lp.row_upper[rows])  # balance: = rhs; capacity, reserve, quota: <= rhs
    lower = np.array([-np.inf if v.lb is None else v.lb for v in info.columns])
    upper = np.array([np.inf if v.ub is None else v.ub for v in info.columns])
    assert np.array_equal(lower, lp.col_lower[cols]) and np.array_equal(upper, lp.col_upper[cols])


@pytest.mark.parametrize(("instance", "scenario"), SHIPPED)
def test_compiled_pyomo_model_is_the_arrays_program(instance, scenario):
    assert_same_program(instance, scenario)


def test_components_are_named_in_the_instances_words():
    model = reeopt.build_pyomo(reeopt.network("toy"))
    lp = model._reeopt.model.lp
    names = {naming(name, family.index)[0] for name, family in [*lp.columns.items(), *lp.rows.items()]}
    assert {spec.component for spec in FAMILIES if spec.kind == "variable"} <= names  # every variable family
    assert names <= {c.local_name for c in model.component_objects()}
    assert model.balance["EAST", "Dy2O3", 2025].equality
    assert ("NdPr_oxide", "SOUTH", "EAST", 2025) in model.trade
    assert ("EAST", "ndfeb_magnet", 2025) in model.delivered
    assert set(model.REGIONS) == {"NORTH", "SOUTH", "EAST"}


def solve_both(instance, scenario=None):
    return [Study(instance, engine=engine).solve(scenario, accounts=False) for engine in ("arrays", "pyomo")]


def assert_same_solution(arrays, pyomo_) -> None:
    assert arrays.status == pyomo_.status
    if arrays.status != "optimal":
        return
    assert pyomo_.objective == pytest.approx(arrays.objective, rel=1e-9, abs=1e-6)
    for table, column in (("trade", "shipped"), ("activity", "activity"), ("delivered", "delivered")):
        assert np.allclose(arrays[table][column], pyomo_[table][column], rtol=1e-9, atol=1e-7)
    assert np.allclose(arrays["balance"]["marginal_value"], pyomo_["balance"]["marginal_value"], rtol=1e-9, atol=1e-6)
    assert np.allclose(arrays["activity"]["capacity_dual"], pyomo_["activity"]["capacity_dual"], rtol=1e-9, atol=1e-6)
    assert np.allclose(arrays["quotas"]["rent"], pyomo_["quotas"]["rent"], rtol=1e-9, atol=1e-6)
    assert pyomo_.summary["run"]["engine"] == "pyomo" and arrays.summary["run"]["engine"] == "arrays"


@pytest.mark.parametrize(("instance", "scenario"), [*TOY, ("world", None)])
def test_both_engines_give_the_same_optimum_flows_and_duals(instance, scenario):
    assert_same_solution(*solve_both(instance, scenario))


@pytest.mark.parametrize("seed", range(20))
def test_random_instances_agree_on_both_engines(tmp_path, seed):
    folder = random_instance(tmp_path / "inst", seed, lumpy=seed % 4 == 0)
    assert_same_solution(*solve_both(folder))


def test_user_constraint_dual_is_the_finite_difference():
    """Capping SOUTH's NdPr_oxide to EAST at 10 t forces the dearer route; one tonne more of the cap
    saves exactly what the dual says (an LP: the objective is linear in the cap near 10)."""

    def capped(limit):
        model = reeopt.build_pyomo("toy")
        model.cap = pyo.Constraint(expr=model.trade["NdPr_oxide", "SOUTH", "EAST", 2025] <= limit)
        return reeopt.solve_model(model)

    at, above = capped(10.0), capped(11.0)
    row = at["constraints"].set_index("family").loc["cap"]
    assert row["body"] == pytest.approx(10.0) and row["upper"] == 10.0
    assert row["dual"] == pytest.approx(above.objective - at.objective, rel=1e-9)
    assert row["dual"] < 0  # relaxing a binding cap lowers the cost


def test_fixed_variable_and_changed_bound_are_honoured():
    """Fixing a flow at its optimum (20 t) keeps the optimum. With it fixed, EAST's 100 t of magnets
    need 95 t of oxide, 75 t from NORTH = 0.25 x 300 t of light ore; capping the ore at 290 t leaves
    10 x 0.25 / 0.95 = 2.63 t of magnets short, and the diagnosis names the cap and the fixed flow."""
    base = reeopt.solve("toy")
    model = reeopt.build_pyomo("toy")
    model.trade["NdPr_oxide", "SOUTH", "EAST", 2025].fix(20.0)
    assert reeopt.solve_model(model).objective == pytest.approx(base.objective)
    assert pyo.value(model.activity["mining_light", "NORTH", 2025]) == pytest.approx(300.0)
    model.activity["mining_light", "NORTH", 2025].setub(290.0)
    solution = reeopt.solve_model(model)
    assert solution.status == "infeasible"
    assert solution.diagnosis.shortfalls[0]["shortfall"] == pytest.approx(10 * 0.25 / 0.95)
    limits = [item["limit"] for item in solution.diagnosis.binding]
    assert "capacity of mining_light in NORTH, 2025 (290 t/yr)" in limits
    assert any("NdPr_oxide from SOUTH to EAST" in limit for limit in limits)


def test_user_row_that_binds_an_infeasibility_is_named_in_the_diagnosis():
    """At most 90 t of oxide into EAST, where 100 t of magnets need 95 t: 5 / 0.95 = 5.26 t short, and
    each tonne more of the row's bound removes 1 / 0.95 t of shortfall."""
    model = reeopt.build_pyomo("toy")
    into_east = model.trade["NdPr_oxide", "SOUTH", "EAST", 2025] + model.trade["NdPr_oxide", "NORTH", "EAST", 2025]
    model.oxide = pyo.Constraint(expr=into_east <= 90)
    solution = reeopt.solve_model(model)
    assert solution.status == "infeasible"
    assert solution.diagnosis.shortfalls[0]["shortfall"] == pytest.approx(5 / 0.95)
    assert solution.diagnosis.binding[0]["limit"] == "constraint oxide (body <= 90)"
    assert solution.diagnosis.binding[0]["shortfall_per_unit"] == pytest.approx(1 / 0.95)
    assert "constraint oxide (body <= 90)" in solution.diagnosis.conflict


def test_extend_adds_rows_to_constraints_csv(tmp_path):
    def extend(model):
        model.cap = pyo.Constraint(expr=model.trade["NdPr_oxide", "SOUTH", "EAST", 2025] <= 10)

    solution = reeopt.solve("toy", extend=extend)
    folder = reeopt.write(solution, tmp_path / "out")
    table = (folder / "constraints.csv").read_text().splitlines()
    assert table[0] == "family,index,body,lower,upper,dual"
    assert table[1].startswith("cap,,10,")


def test_a_fixed_activity_keeps_its_capacity_dual(tmp_path):
    """The chain with A's mine at 40 t/yr and B's demand unmet at 1,000/t (tests/test_time.py): one
    more t/yr of mine saves 0.9 × 1,000 − 0.9 × 5 − 30 = 865.5. Fixing the mine's activity at 40 in
    the Pyomo model (the compiler moves it to the right-hand side) changes neither the optimum nor
    that value: the fixed column is priced on the program's rows, c − Aᵀy."""
    folder = chain_instance(
        tmp_path / "fixed",
        processes=[
            {"process": "mine", "region": "A", "capacity": 40, "cost_system": 10},
            {"process": "refine", "region": "A", "capacity": "", "cost_system": 20},
        ],
        demand=[{"region": "B", "commodity": "metal", "quantity": 45, "penalty": 1000}],
    )
    base = reeopt.solve(folder)
    mine = base["activity"].set_index("process").loc["mine"]
    assert mine["capacity_dual"] == pytest.approx(865.5, rel=1e-9)
    model = build_pyomo(build_model(reeopt.load(folder)))
    model.activity["mine", "A", 2025].fix(40.0)
    fixed = reeopt.solve_model(model)
    assert fixed.objective == pytest.approx(base.objective, rel=1e-9)
    assert fixed["activity"].set_index("process").loc["mine", "capacity_dual"] == pytest.approx(865.5, rel=1e-9)
