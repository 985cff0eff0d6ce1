"""The linear program as a Pyomo model, for other solvers and for constraints of one's own.

One indexed ``Var`` per column family and one indexed ``Constraint`` per row family, named after the
families (``model.activity[i]``, ``model.balance[j]``); the family's ``index`` table says which
process, region, commodity and period position ``i`` is. Built row by row, so it costs what
idiomatic Pyomo costs: use it to inspect, extend or export, not on the fast path.

>>> from optimizer.instance import load_instance
>>> from optimizer.model import build_model
>>> model = build_model(load_instance("toy")).lp.to_pyomo()
>>> import pyomo.environ as pyo
>>> result = pyo.SolverFactory("appsi_highs").solve(model)
>>> round(pyo.value(model.objective))
237850
"""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo
from pyomo.core.expr.numeric_expr import LinearExpression

from optimizer.model.lp import LinearProgram


def to_pyomo(lp: LinearProgram) -> pyo.ConcreteModel:
    model = pyo.ConcreteModel(name="reeopt")
    columns: list = [None] * lp.n_cols
    for name, family in lp.columns.items():
        lower, upper = lp.col_lower[family.ids], lp.col_upper[family.ids]
        integer = lp.integer[family.ids]

        def bounds(m, i, lower=lower, upper=upper):
            return (
                float(lower[i]) if np.isfinite(lower[i]) else None,
                float(upper[i]) if np.isfinite(upper[i]) else None,
            )

        def domain(m, i, integer=integer):
            return pyo.NonNegativeIntegers if integer[i] else pyo.Reals

        var = pyo.Var(range(family.size), bounds=bounds, domain=domain)
        model.add_component(name, var)
        for i in range(family.size):
            columns[family.start + i] = var[i]

    rows = lp.matrix.tocsr()
    for name, family in lp.rows.items():

        def rule(m, i, start=family.start):
            row = start + i
            lo, hi = rows.indptr[row], rows.indptr[row + 1]
            body = LinearExpression(
                linear_coefs=rows.data[lo:hi].tolist(), linear_vars=[columns[j] for j in rows.indices[lo:hi]]
            )
            lower, upper = lp.row_lower[row], lp.row_upper[row]
            if lower == upper:
                return body == float(lower)
            return (float(lower) if np.isfinite(lower) else None, body, float(upper) if np.isfinite(upper) else None)

        model.add_component(name, pyo.Constraint(range(family.size), rule=rule))

    used = np.flatnonzero(lp.col_cost)
    model.objective = pyo.Objective(
        expr=LinearExpression(
            constant=float(lp.offset), linear_coefs=lp.col_cost[used].tolist(), linear_vars=[columns[j] for j in used]
        ),
        sense=pyo.minimize,
    )
    return model
