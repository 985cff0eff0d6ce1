"""Solving the Pyomo model: Pyomo's ``LinearStandardFormCompiler`` hands its matrix to HiGHS.

Chosen over ``pyomo.contrib.solver``'s HiGHS interface by measurement (benchmarks/README.md): both
walk every expression of the model, but the compiler returns the matrix as one sparse array that
goes to highspy in one ``passModel`` call, while the contrib interface adds columns and rows to
HiGHS one Python call at a time. Because whatever the model holds is compiled, everything a user
did to it is honoured: changed bounds and domains, fixed variables (moved to the right-hand side
by the compiler), deactivated rows, Constraints of one's own and a changed objective.

The compiled program is solved by :class:`~optimizer.solver.HighsSolver` (so duals, MIP fixed-LP
duals and time limits are those of the arrays engine) and its answer is mapped back to the
program's columns and rows through ``model._reeopt``; rows the user added come back separately,
as :class:`ExtraRow` entries with their duals. Any other solver Pyomo knows is run through
``pyo.SolverFactory`` with the ``dual`` and ``rc`` suffixes (:func:`solve_with_factory`).
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, replace

import numpy as np
import pyomo.environ as pyo
import scipy.sparse as sp
from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler

from optimizer.labels import index_text
from optimizer.model import Model
from optimizer.model.lp import Family, LinearProgram
from optimizer.model.pyomo_model import PyomoLink, paused_gc, update_numbers
from optimizer.model.registry import USER_FAMILY
from optimizer.solver import HighsSolver, SolveOptions, SolverResult


@dataclass(frozen=True)
class ExtraRow:
    """A row of a Constraint that is not one of the registered families (a user's own)."""

    family: str
    index: str
    body: float
    lower: float | None
    upper: float | None
    dual: float


@dataclass(frozen=True)
class Compiled:
    """The standard form of the model, and where its columns and rows sit in the program."""

    program: LinearProgram
    info: object
    variables: list  # VarData of every column: the program's, then the user's own
    n_program: int  # how many of them are the program's
    row_position: np.ndarray  # program row of every compiled row (-1: a user's row)
    seconds: float
    fixed: np.ndarray  # program columns of fixed variables (compiled onto the right-hand side)


def compile_model(model: pyo.ConcreteModel) -> Compiled:
    """The model as a minimisation ``row_lower <= A x <= row_upper``, in the program's column order.

    The program's columns come first, at their own positions (a column the compiler left out,
    because it is fixed or appears nowhere, is put back as an empty column with its bounds, a fixed
    one at its value); variables of one's own follow. An unchanged model thus compiles to exactly
    the arrays engine's program, and HiGHS takes the same path to the same vertex.
    """
    # The collector paused throughout, not only in the compiler: the lists made below (a tuple of
    # bounds per column, ...) would otherwise set off full collections over the model's millions of
    # objects (half the compile on world).
    with paused_gc():
        return _compile(model)


def _compile(model: pyo.ConcreteModel) -> Compiled:
    started = time.perf_counter()
    link: PyomoLink = model._reeopt
    # Not ``column_order=``: with a fixed variable, Pyomo 6.10 then labels the compiled columns wrongly.
    # The columns are placed by identity below, so the compiler's own order does not matter.
    info = LinearStandardFormCompiler().write(model, mixed_form=True, set_sense=pyo.minimize)
    n_program = len(link.columns)
    compiled_columns, rows = info.columns, info.rows
    position = np.fromiter((link.column_of.get(id(v), -1) for v in compiled_columns), dtype=np.int64)
    extra = np.flatnonzero(position < 0)
    position[extra] = n_program + np.arange(extra.size)
    n_cols = n_program + extra.size
    variables = link.columns + [compiled_columns[k] for k in extra.tolist()]

    matrix = info.A.tocoo()
    matrix = sp.csc_array((matrix.data, (matrix.row, position[matrix.col])), shape=(len(rows), n_cols))
    matrix.sort_indices()
    cost = np.zeros(n_cols)
    if info.c.shape[0]:
        objective = info.c.tocoo()
        np.add.at(cost, position[objective.col], objective.data)
    rhs = np.asarray(info.rhs, dtype=float).reshape(-1)
    multiplier = np.fromiter((entry[1] for entry in rows), dtype=np.int64, count=len(rows))
    bounds = np.array([v.bounds for v in variables], dtype=float).reshape(-1, 2)  # None -> nan
    fixed = np.array([j for j, v in enumerate(link.columns) if v.fixed], dtype=np.int64)
    fixed_value = [link.columns[j].value for j in fixed.tolist()]
    lower = np.where(np.isnan(bounds[:, 0]), -np.inf, bounds[:, 0])
    upper = np.where(np.isnan(bounds[:, 1]), np.inf, bounds[:, 1])
    lower[fixed] = upper[fixed] = fixed_value
    extra_fixed = [n_program + i for i, k in enumerate(extra.tolist()) if compiled_columns[k].fixed]
    lower[extra_fixed] = upper[extra_fixed] = [variables[j].value for j in extra_fixed]
    program = LinearProgram(
        columns={},
        rows={},
        matrix=matrix,
        col_cost=cost,
        col_lower=lower,
        col_upper=upper,
        integer=np.array([v.is_integer() and not v.fixed for v in variables], dtype=bool),
        row_lower=np.where(multiplier == 1, -np.inf, rhs),
        row_upper=np.where(multiplier == -1, np.inf, rhs),
        offset=float(info.c_offset[0]) if len(info.c_offset) else 0.0,
    )
    row_position = np.fromiter((link.row_of.get(id(entry[0]), -1) for entry in rows), dtype=np.int64)
    return Compiled(program, info, variables, n_program, row_position, time.perf_counter() - started, fixed)


def to_program_result(model: pyo.ConcreteModel, compiled: Compiled, result: SolverResult) -> SolverResult:
    """The compiled solution in the program's column and row order; the model's Vars get their values."""
    link: PyomoLink = model._reeopt
    lp = link.model.lp
    n = compiled.n_program
    x = result.x[:n]
    ours = compiled.row_position >= 0
    row_dual = np.zeros(lp.n_rows)
    np.add.at(row_dual, compiled.row_position[ours], result.row_dual[ours])
    col_dual = result.col_dual[:n].copy()
    fixed = compiled.fixed
    if fixed.size and result.has_duals:  # their columns were compiled away: price them on the program's matrix
        col_dual[fixed] = lp.col_cost[fixed] - lp.matrix[:, fixed].T @ row_dual
    if result.has_solution:
        for v, value in zip(compiled.variables, result.x.tolist(), strict=True):
            if not v.fixed:
                v.set_value(value, skip_validation=True)
    evidence = result.evidence
    if evidence is not None:  # per compiled row: back to the program's rows, like the duals

        def rows(values: np.ndarray) -> np.ndarray:
            out = np.zeros(lp.n_rows)
            out[compiled.row_position[ours]] = values[ours]
            return out

        col_up, col_dn = (np.array(values[:n], dtype=float) for values in (evidence.col_up, evidence.col_dn))
        col_up[fixed] = col_dn[fixed] = lp.col_upper[fixed]  # compiled away: at an end of its range (flagged)
        evidence = replace(
            evidence,
            row_up=rows(evidence.row_up),
            row_dn=rows(evidence.row_dn),
            col_up=col_up,
            col_dn=col_dn,
            explained={name: rows(values) for name, values in evidence.explained.items()},
        )
    return replace(result, x=x, row_activity=lp.matrix @ x, row_dual=row_dual, col_dual=col_dual, evidence=evidence)


def extra_rows(model: pyo.ConcreteModel, compiled: Compiled, result: SolverResult) -> list[ExtraRow]:
    """The rows of Constraints outside the registry, with body, bounds and dual (summed over a range's two sides)."""
    duals: dict[int, float] = {}
    cons = {}
    for k in np.flatnonzero(compiled.row_position < 0).tolist():
        con = compiled.info.rows[k][0]
        cons[id(con)] = con
        duals[id(con)] = duals.get(id(con), 0.0) + (float(result.row_dual[k]) if result.has_duals else 0.0)
    found = []
    for key, con in cons.items():
        index = con.index()
        found.append(
            ExtraRow(
                family=con.parent_component().name,
                index=index_text(index),
                body=float(pyo.value(con.body)) if result.has_solution else float("nan"),
                lower=None if con.lb is None else float(con.lb),
                upper=None if con.ub is None else float(con.ub),
                dual=duals[key],
            )
        )
    return found


class PyomoHighs:
    """A model compiled and held in HiGHS; :meth:`resolve` recompiles and updates the live HiGHS."""

    def __init__(self, model: pyo.ConcreteModel, options: SolveOptions | None = None):
        self.options = options or SolveOptions()
        self.model = model
        self.compiled = compile_model(model)
        self.highs = HighsSolver(self.compiled.program, self.options)
        self.behind: Model | None = None  # the program HiGHS holds when the Pyomo model lags (update_program)
        self.last: SolverResult | None = None

    def update(self, model: pyo.ConcreteModel) -> bool:
        """Load another model: in place (keeping the basis) when its standard form has the same shape."""
        self.model = model
        self.behind = None
        self.compiled = compile_model(model)
        return self.highs.update(self.compiled.program)

    def update_numbers(self, program: Model) -> bool:
        """Re-solve our own model (no components of one's own) with ``program``'s numbers.

        The Pyomo model gets the new numbers in place (:func:`update_numbers`), and the live HiGHS
        gets the same differences from the program's arrays: an unextended model compiles to
        exactly that program (tests/model/test_pyomo_model.py), so compiling it again would only
        spend time. True when HiGHS kept its basis.
        """
        update_numbers(self.model, program)
        self.behind = None
        return self._load_program(program)

    def update_program(self, program: Model) -> bool:
        """:meth:`update_numbers` without touching the Pyomo model: HiGHS gets ``program``'s numbers
        and solves it, and the Pyomo model (its bounds, costs and variable values, all Python
        objects) catches up only when read (:meth:`catch_up`). Sweeps and re-solves never read it."""
        self.behind = program
        return self._load_program(program)

    def catch_up(self) -> None:
        """Give the Pyomo model the numbers of the program solved last, and that solution's values."""
        if self.behind is None:
            return
        update_numbers(self.model, self.behind)
        self.behind = None
        if self.last is not None and self.last.has_solution:
            for v, value in zip(self.compiled.variables, self.last.x.tolist(), strict=True):
                if not v.fixed:
                    v.set_value(value, skip_validation=True)

    def _load_program(self, program: Model) -> bool:
        lp = program.lp
        self.compiled = Compiled(
            program=dataclasses.replace(lp, columns={}, rows={}, cost_parts={}),
            info=None,
            variables=self.model._reeopt.columns,
            n_program=lp.n_cols,
            row_position=np.arange(lp.n_rows),
            seconds=0.0,
            fixed=np.zeros(0, dtype=np.int64),
        )
        return self.highs.update(self.compiled.program)

    def solve(self, evidence: dict[str, np.ndarray] | None = None) -> tuple[SolverResult, list[ExtraRow]]:
        """Solve; ``evidence`` (name → cost vector over the program's columns) asks HiGHS to range the
        basis for the price flags, as :meth:`optimizer.solver.HighsSolver.solve` does."""
        if self.behind is not None:  # HiGHS holds the program itself: its result is the program's
            self.last = self.highs.solve(evidence=evidence)
            return self.last, []
        if evidence is not None:  # the compiled columns start with the program's, in its order
            n = self.compiled.program.n_cols
            evidence = {name: np.concatenate([vector, np.zeros(n - len(vector))]) for name, vector in evidence.items()}
        result = self.highs.solve(evidence=evidence)
        program_result = to_program_result(self.model, self.compiled, result)
        return program_result, extra_rows(self.model, self.compiled, result)

    def export(self, path) -> None:
        self.highs.export(path)


_TERMINATION = {
    "optimal": "optimal",
    "locallyOptimal": "optimal",
    "globallyOptimal": "optimal",
    "infeasible": "infeasible",
    "unbounded": "unbounded",
    "infeasibleOrUnbounded": "infeasible",
    "maxTimeLimit": "time_limit",
    "maxIterations": "time_limit",
}
_TIME_LIMIT_OPTION = {"cbc": "sec", "glpk": "tmlim", "gurobi": "TimeLimit", "cplex": "timelimit"}


class FactorySolver:
    """Any solver Pyomo's ``SolverFactory`` knows (``cbc``, ``glpk``, ...), with duals and reduced costs
    read through Pyomo's ``dual`` and ``rc`` suffixes (LPs only: a MIP's duals are not asked for)."""

    def __init__(self, model: pyo.ConcreteModel, name: str, options: SolveOptions | None = None):
        from optimizer.errors import InputError

        self.model, self.name = model, name
        self.options = options or SolveOptions()
        self.solver = pyo.SolverFactory(name)
        if self.solver is None or not self.solver.available(exception_flag=False):
            raise InputError(f"--solver {name}: Pyomo knows no such solver or cannot find it on this machine")

    def export(self, path) -> None:
        self.model.write(str(path), io_options={"symbolic_solver_labels": True})

    def solve(self) -> tuple[SolverResult, list[ExtraRow]]:
        m, link = self.model, self.model._reeopt
        lp = link.model.lp
        mip = bool(lp.integer.any())
        if not mip:
            for suffix in ("dual", "rc"):
                if m.component(suffix) is None:
                    m.add_component(suffix, pyo.Suffix(direction=pyo.Suffix.IMPORT))
        if self.options.time_limit is not None and self.name in _TIME_LIMIT_OPTION:
            self.solver.options[_TIME_LIMIT_OPTION[self.name]] = self.options.time_limit
        started = time.perf_counter()
        results = self.solver.solve(m, load_solutions=False, tee=self.options.log)
        wall = time.perf_counter() - started
        status = _TERMINATION.get(str(results.solver.termination_condition), "error")
        has_solution = status == "optimal" or (status == "time_limit" and len(results.solution) > 0)
        if has_solution:
            m.solutions.load_from(results)
        has_duals = has_solution and not mip and status == "optimal"
        x = np.array([v.value or 0.0 for v in link.columns], dtype=float) if has_solution else np.zeros(lp.n_cols)
        dual = m.component("dual") if has_duals else None
        rc = m.component("rc") if has_duals else None
        row_dual = (
            np.array([dual.get(c, 0.0) for c in link.rows], dtype=float) if dual is not None else np.zeros(lp.n_rows)
        )
        col_dual = (
            np.array([rc.get(v, 0.0) for v in link.columns], dtype=float) if rc is not None else np.zeros(lp.n_cols)
        )
        result = SolverResult(
            status=status,
            objective=float(pyo.value(m.objective)) if has_solution else float("nan"),
            x=x,
            row_activity=lp.matrix @ x,
            row_dual=row_dual,
            col_dual=col_dual,
            has_solution=has_solution,
            has_duals=has_duals,
            duals_from="lp" if has_duals else None,
            solver_seconds=wall,
            wall_seconds=wall,
            mip_gap=None,
            info={"solver": self.name},
        )
        extra = []
        for con in m.component_data_objects(pyo.Constraint, active=True):
            if id(con) in link.row_of:
                continue
            extra.append(
                ExtraRow(
                    family=con.parent_component().name,
                    index=index_text(con.index()),
                    body=float(pyo.value(con.body)) if has_solution else float("nan"),
                    lower=None if con.lb is None else float(con.lb),
                    upper=None if con.ub is None else float(con.ub),
                    dual=float(dual.get(con, 0.0)) if dual is not None else 0.0,
                )
            )
        return result, extra


def as_program(model: pyo.ConcreteModel, compiled: Compiled):
    """The program as the Pyomo model stands: its bounds, and the rows of the user's own Constraints as
    families ``"constraint NAME"`` (index column ``text``), for the diagnosis to name them.

    Rows that use variables of one's own are left out (the program has no column for them).
    """
    import pandas as pd

    link: PyomoLink = model._reeopt
    base, program, n = link.model, compiled.program, compiled.n_program
    lp = base.lp
    user = np.flatnonzero(compiled.row_position < 0)
    block = program.matrix.tocsr()[user]
    own_columns = block[:, n:].getnnz(axis=1) > 0 if program.matrix.shape[1] > n else np.zeros(user.size, bool)
    user, block = user[~own_columns], block[~own_columns][:, :n]
    rows = dict(lp.rows)
    start = lp.n_rows
    names = [compiled.info.rows[k][0].parent_component().name for k in user.tolist()]
    for name in dict.fromkeys(names):
        mine = [k for k, other in zip(user.tolist(), names, strict=True) if other == name]
        index = pd.DataFrame({"text": [index_text(compiled.info.rows[k][0].index()) for k in mine]})
        rows[USER_FAMILY + name] = Family(USER_FAMILY + name, start, index)
        start += len(mine)
    order = np.argsort([list(dict.fromkeys(names)).index(name) for name in names], kind="stable")
    user, block = user[order], block[order]
    ours = compiled.row_position >= 0
    # the compiler moved fixed variables to the right-hand side; the program keeps their columns
    fixed = compiled.fixed
    moved = (lp.matrix[:, fixed] @ program.col_lower[fixed])[compiled.row_position[ours]]
    row_lower, row_upper = lp.row_lower.copy(), lp.row_upper.copy()
    row_lower[compiled.row_position[ours]] = program.row_lower[ours] + moved
    row_upper[compiled.row_position[ours]] = program.row_upper[ours] + moved
    program_lp = dataclasses.replace(
        lp,
        rows=rows,
        matrix=sp.vstack([lp.matrix, block]).tocsc(),
        col_lower=program.col_lower[:n],
        col_upper=program.col_upper[:n],
        integer=program.integer[:n],
        row_lower=np.concatenate([row_lower, program.row_lower[user]]),
        row_upper=np.concatenate([row_upper, program.row_upper[user]]),
    )
    return dataclasses.replace(base, lp=program_lp)
