"""The program as a Pyomo model named in the instance's words, built generically from the families.

Every family of the program (those of :data:`~optimizer.model.registry.FAMILIES`, and those their
groups add, named by :func:`~optimizer.model.registry.naming`) becomes one component: a ``Var`` per
column family (``activity[process, region, period]``, ``trade[commodity, origin, destination,
period]``, ...), a ``Constraint`` per row family (``balance[region, commodity, period]``, ...), each
indexed by tuples decoded from the family's integer-coded index frame, with one
``LinearExpression`` per row made from the program's compressed rows (no search of tables). A
family someone adds to the registry therefore appears here, named, with no code of its own.

The Sets ``REGIONS``, ``COMMODITIES``, ``PROCESSES`` and ``PERIODS`` name the instance's elements;
``unmet[region, commodity, period]`` is an Expression (demand minus delivered: the program
substitutes it, see :mod:`optimizer.model.variables`). ``model._reeopt`` (a :class:`PyomoLink`)
maps every component's data back to the program's columns and rows, so that a solution of the
Pyomo model, extended by a user or not, comes back into reeopt's :class:`~optimizer.solution.Solution`.

>>> from optimizer.model import build_model
>>> model = build_pyomo(build_model(load_instance("toy")))
>>> model.balance["EAST", "Dy2O3", 2025].equality, len(model.trade)
(True, 9)
"""

from __future__ import annotations

import contextlib
import gc
from dataclasses import dataclass

import numpy as np
import pyomo.environ as pyo
from pyomo.core.expr.numeric_expr import LinearExpression, MonomialTermExpression

from optimizer.instance import load_instance  # noqa: F401  (the doctest)
from optimizer.model import Model
from optimizer.model.elastic_demand import core_quantity
from optimizer.model.index import ModelData
from optimizer.model.registry import index_tuples, naming


@dataclass
class PyomoLink:
    """From the Pyomo model's component data back to the program's columns and rows."""

    model: Model
    columns: list  # VarData per program column
    rows: list  # ConstraintData per program row
    column_of: dict  # id(VarData) -> program column
    row_of: dict  # id(ConstraintData) -> program row


def _index_set(name: str, columns: tuple[str, ...], keys: list) -> pyo.Set:
    index = pyo.Set(initialize=keys, ordered=pyo.Set.InsertionOrder)
    index.construct()
    if len(index) != len(keys):
        raise ValueError(f"family {name}: its index {columns} has repeated entries")
    return index


def _linear(coefficients: list, variables: list, constant: float = 0.0) -> LinearExpression:
    """``constant + sum(c * v)``; a coefficient of one is the variable itself (no monomial to build)."""
    args = [v if c == 1.0 else MonomialTermExpression((c, v)) for c, v in zip(coefficients, variables, strict=True)]
    return LinearExpression([constant, *args] if constant else args)


def _bound(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def build_pyomo(model: Model) -> pyo.ConcreteModel:
    """The Pyomo model of a built program (same columns, rows, coefficients and objective)."""
    with paused_gc():
        return _build(model)


@contextlib.contextmanager
def paused_gc():
    """Pause the cyclic garbage collector: a model creates ~10 Python objects per nonzero, which
    would otherwise set it off over and over (half the build time on world)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _bounds(values: np.ndarray) -> list:
    """Bounds as Pyomo takes them: floats, None for an infinite one."""
    finite = np.isfinite(values)
    out = values.astype(object)
    out[~finite] = None
    return out.tolist()


def _build(model: Model) -> pyo.ConcreteModel:
    data, lp = model.data, model.lp
    instance = model.instance
    m = pyo.ConcreteModel(name=f"reeopt {instance.name} / {instance.scenario or 'base'}")
    m.REGIONS = pyo.Set(initialize=list(data.regions), ordered=True)
    m.COMMODITIES = pyo.Set(initialize=list(data.commodities), ordered=True)
    m.PROCESSES = pyo.Set(initialize=list(data.process_names), ordered=True)
    m.PERIODS = pyo.Set(initialize=[int(year) for year in data.periods], ordered=True)

    columns = np.empty(lp.n_cols, dtype=object)
    lower, upper = _bounds(lp.col_lower), _bounds(lp.col_upper)
    for name, family in lp.columns.items():
        component, index, doc = naming(name, family.index)
        keys = index_tuples(data, family.index, index)
        m.add_component(f"{component}_index", _index_set(name, index, keys))
        var = pyo.Var(m.component(f"{component}_index"), dense=True, doc=doc.split("\n")[0])
        m.add_component(component, var)
        datas = list(var.values())
        for position, (v, column) in enumerate(zip(datas, family.ids.tolist(), strict=True)):
            v.setlb(lower[column])
            v.setub(upper[column])
            columns[family.start + position] = v
        for position in np.flatnonzero(lp.integer[family.ids]):
            datas[position].domain = pyo.Integers

    rows_csr = lp.matrix.tocsr()
    indptr, indices, values = rows_csr.indptr, rows_csr.indices, rows_csr.data
    rows = [None] * lp.n_rows
    for name, family in lp.rows.items():
        component, index, doc = naming(name, family.index)
        keys = index_tuples(data, family.index, index)
        m.add_component(f"{component}_index", _index_set(name, index, keys))
        bodies = {}
        for key, row in zip(keys, family.ids.tolist(), strict=True):
            lo, hi = indptr[row], indptr[row + 1]
            body = _linear(values[lo:hi].tolist(), columns[indices[lo:hi]].tolist())
            low, high = lp.row_lower[row], lp.row_upper[row]
            bodies[key] = body == float(low) if low == high else (_bound(low), body, _bound(high))
        constraint = pyo.Constraint(m.component(f"{component}_index"), rule=bodies, doc=doc.split("\n")[0])
        m.add_component(component, constraint)
        for position, con in enumerate(constraint.values()):
            rows[family.start + position] = con

    used = np.flatnonzero(lp.col_cost)
    m.objective = pyo.Objective(
        expr=_linear(lp.col_cost[used].tolist(), columns[used].tolist(), float(lp.offset)),
        sense=pyo.minimize,
        doc="discounted cost (the value objective is minimised as its negative)",
    )
    _add_unmet(m, data, lp)
    columns_list = columns.tolist()
    m._reeopt = PyomoLink(
        model=model,
        columns=columns_list,
        rows=rows,
        column_of={id(v): j for j, v in enumerate(columns_list)},
        row_of={id(c): i for i, c in enumerate(rows)},
    )
    return m


def _add_unmet(m: pyo.ConcreteModel, data: ModelData, lp) -> None:
    """``unmet[r, c, t] = demand - delivered``: readable, and not a column of the program. On a demand
    curve (E1) ``delivered`` is the core below the band, so its demand is the core's quantity."""
    keys = index_tuples(data, lp.columns["delivery"].index, ("r", "c", "t"))
    demand = dict(zip(keys, core_quantity(data).tolist(), strict=True))
    m.unmet = pyo.Expression(list(keys), rule=lambda m, *key: demand[key] - m.delivered[key])


def update_numbers(m: pyo.ConcreteModel, model: Model) -> None:
    """Give the Pyomo model the numbers of ``model``, a program of the same structure as the one it
    was built from: changed bounds, right-hand sides, coefficients and costs, in place."""
    link: PyomoLink = m._reeopt
    old, new = link.model.lp, model.lp
    if not old.same_structure(new):
        raise ValueError("update_numbers needs a program of the same structure; build the model anew")
    for j in np.flatnonzero((old.col_lower != new.col_lower) | (old.col_upper != new.col_upper)).tolist():
        link.columns[j].setlb(_bound(new.col_lower[j]))
        link.columns[j].setub(_bound(new.col_upper[j]))
    changed_rows = (old.row_lower != new.row_lower) | (old.row_upper != new.row_upper)
    if not np.array_equal(old.matrix.data, new.matrix.data):
        moved = np.flatnonzero(old.matrix.data != new.matrix.data)
        changed_rows[np.unique(new.matrix.indices[moved])] = True
    if changed_rows.any():
        rows = new.matrix.tocsr()
        columns = np.array(link.columns, dtype=object)
        for i in np.flatnonzero(changed_rows).tolist():
            lo, hi = rows.indptr[i], rows.indptr[i + 1]
            body = _linear(rows.data[lo:hi].tolist(), columns[rows.indices[lo:hi]].tolist())
            low, high = new.row_lower[i], new.row_upper[i]
            link.rows[i].set_value(body == float(low) if low == high else (_bound(low), body, _bound(high)))
    if not np.array_equal(old.col_cost, new.col_cost) or old.offset != new.offset:
        used = np.flatnonzero(new.col_cost)
        columns = np.array(link.columns, dtype=object)
        m.objective.set_value(_linear(new.col_cost[used].tolist(), columns[used].tolist(), float(new.offset)))
    link.model = model
