"""HiGHS, fed the program's arrays directly through highspy, kept alive for re-solves.

One interface, chosen on purpose: the program is already a sparse matrix, so it goes to HiGHS in
one ``passModel`` call with no per-row Python, and a scenario that changes only numbers (costs,
bounds, coefficients) is applied in place and re-solved from the previous basis.

Duals follow HiGHS's convention for a minimisation: ``row_dual = d objective / d right-hand side``
and ``col_dual`` is the reduced cost. For a MIP, the integers are fixed at their optimum and the
LP re-solved so that duals exist; :attr:`SolverResult.duals_from` says so.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import highspy
import numpy as np

from optimizer.model.lp import LinearProgram

INF = highspy.kHighsInf
_STATUS = {
    highspy.HighsModelStatus.kOptimal: "optimal",
    highspy.HighsModelStatus.kInfeasible: "infeasible",
    highspy.HighsModelStatus.kUnbounded: "unbounded",
    highspy.HighsModelStatus.kUnboundedOrInfeasible: "unbounded_or_infeasible",
    highspy.HighsModelStatus.kTimeLimit: "time_limit",
    highspy.HighsModelStatus.kIterationLimit: "time_limit",
    highspy.HighsModelStatus.kSolutionLimit: "time_limit",
    highspy.HighsModelStatus.kInterrupt: "time_limit",
    highspy.HighsModelStatus.kModelEmpty: "optimal",
}
_FEASIBLE = 2  # HiGHS solution status kSolutionStatusFeasible


# reeopt's MIPs are LPs with lumpy builds, whose relaxations are tight (world: 0.035 %). On them
# HiGHS's sub-MIP heuristics cost 90-95 % of the solve: on world's export-control scenarios 49 s and
# 84 s, for incumbents that the root's bound and three nodes of branching prove without them, at a
# tighter gap, in 3.6 s and 4.9 s (the same optima; README "MIP settings"). --mip-gap overrides the gap.
MIP_SETTINGS = {
    "mip_rel_gap": 1e-5,
    "mip_heuristic_run_rins": False,
    "mip_heuristic_run_rens": False,
    "mip_heuristic_run_root_reduced_cost": False,
}


@dataclass(frozen=True)
class SolveOptions:
    time_limit: float | None = None
    mip_gap: float | None = None
    threads: int | None = None
    log: bool = False


@dataclass(frozen=True)
class DualEvidence:
    """What the optimal basis says about the row duals, for flagging prices (analysis/price_flags.py).

    ``row_up``/``row_dn``: HiGHS ranging, the right-hand side up to (down to) which the basis stays
    optimal (a side equal to the right-hand side means the dual changes at once in that direction:
    left and right derivatives differ); ``col_up``/``col_dn`` the same for each column's bound.
    ``explained[name]``: the part of each row dual that the cost vector ``name`` accounts for through
    the basic columns, ``B^-T c_B`` (row duals are ``B^-T c_B`` for the whole cost).
    """

    row_up: np.ndarray
    row_dn: np.ndarray
    col_up: np.ndarray
    col_dn: np.ndarray
    explained: dict[str, np.ndarray]
    seconds: float

    def stuck(self, rows: np.ndarray, rhs: np.ndarray, tolerance: float = 1e-7) -> np.ndarray:
        """Whether each row's right-hand side ``rhs`` cannot move one way without a basis change, so
        that its dual is one end of an interval (left and right derivatives may differ)."""
        return _at_a_range_end(self.row_up[rows], self.row_dn[rows], rhs, tolerance)

    def stuck_bound(self, columns: np.ndarray, bound: np.ndarray, tolerance: float = 1e-7) -> np.ndarray:
        """The same for a column's ``bound``: its reduced cost is one end of an interval."""
        return _at_a_range_end(self.col_up[columns], self.col_dn[columns], bound, tolerance)


def _at_a_range_end(up: np.ndarray, down: np.ndarray, at: np.ndarray, tolerance: float) -> np.ndarray:
    slack = tolerance * np.maximum(1.0, np.abs(at))
    return (up <= at + slack) | (down >= at - slack)


@dataclass(frozen=True)
class SolverResult:
    """What HiGHS returned, as arrays indexed like the program's columns and rows."""

    status: str
    objective: float
    x: np.ndarray
    row_activity: np.ndarray
    row_dual: np.ndarray
    col_dual: np.ndarray
    has_solution: bool
    has_duals: bool
    duals_from: str | None
    solver_seconds: float
    wall_seconds: float
    mip_gap: float | None = None
    info: dict = field(default_factory=dict)
    evidence: DualEvidence | None = None  # only when asked for (solve(evidence=...))


def highs_settings(options: SolveOptions) -> dict:
    """The MIP settings a :class:`HighsSolver` of ``options`` runs with (``--mip-gap`` replaces the
    gap), as summary.json ``solver.options.highs`` records them."""
    gap = {} if options.mip_gap is None else {"mip_rel_gap": float(options.mip_gap)}
    return {**MIP_SETTINGS, **gap}


def solver_version() -> str:
    return highspy.Highs.version(new_highs())


def new_highs() -> highspy.Highs:
    """A silent HiGHS. Its first construction in a process prints a banner from C, which would
    break ``--quiet`` and machine-read output, so standard output is closed around it."""
    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        highs = highspy.Highs()
        highs.silent()
        _libc_flush()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)
    return highs


def _libc_flush() -> None:
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).fflush(None)


class HighsSolver:
    """A HiGHS instance holding one program; ``update`` swaps in a program of the same shape."""

    def __init__(self, lp: LinearProgram, options: SolveOptions | None = None):
        self.options = options or SolveOptions()
        self.highs = new_highs()
        if self.options.log:
            self.highs.setOptionValue("output_flag", True)
        for name, value in highs_settings(self.options).items():
            self.highs.setOptionValue(name, value)
        if self.options.time_limit is not None:
            self.highs.setOptionValue("time_limit", float(self.options.time_limit))
        if self.options.threads is not None:
            self.highs.setOptionValue("threads", int(self.options.threads))
        self.lp = lp
        self._pass(lp)

    def _pass(self, lp: LinearProgram) -> None:
        matrix = lp.matrix
        integrality = lp.integer.astype(np.int32)
        status = self.highs.passModel(
            lp.n_cols,
            lp.n_rows,
            lp.nnz,
            int(highspy.MatrixFormat.kColwise),
            int(highspy.ObjSense.kMinimize),
            float(lp.offset),
            lp.col_cost,
            _finite(lp.col_lower),
            _finite(lp.col_upper),
            _finite(lp.row_lower),
            _finite(lp.row_upper),
            matrix.indptr.astype(np.int32),
            matrix.indices.astype(np.int32),
            matrix.data,
            integrality,
        )
        if status == highspy.HighsStatus.kError:
            raise RuntimeError("HiGHS rejected the model")

    def update(self, lp: LinearProgram) -> bool:
        """Load ``lp``: in place (keeping the basis) when only numbers changed. True if in place."""
        old, self.lp = self.lp, lp
        if not old.same_structure(lp):
            self._pass(lp)
            return False
        h = self.highs
        changed = np.flatnonzero(old.col_cost != lp.col_cost)
        if changed.size:
            h.changeColsCost(changed.size, changed.astype(np.int32), lp.col_cost[changed])
        changed = np.flatnonzero((old.col_lower != lp.col_lower) | (old.col_upper != lp.col_upper))
        if changed.size:
            h.changeColsBounds(
                changed.size, changed.astype(np.int32), _finite(lp.col_lower[changed]), _finite(lp.col_upper[changed])
            )
        changed = np.flatnonzero((old.row_lower != lp.row_lower) | (old.row_upper != lp.row_upper))
        if changed.size:
            h.changeRowsBounds(
                changed.size, changed.astype(np.int32), _finite(lp.row_lower[changed]), _finite(lp.row_upper[changed])
            )
        changed = np.flatnonzero(old.matrix.data != lp.matrix.data)
        if changed.size:
            cols = np.repeat(np.arange(lp.n_cols), np.diff(lp.matrix.indptr))
            for position in changed:
                h.changeCoeff(int(lp.matrix.indices[position]), int(cols[position]), float(lp.matrix.data[position]))
        if old.offset != lp.offset:
            h.changeObjectiveOffset(float(lp.offset))
        return True

    def export(self, path: Path) -> None:
        """Write the program as HiGHS holds it (``.lp`` or ``.mps``, chosen by the suffix)."""
        if self.highs.writeModel(str(path)) == highspy.HighsStatus.kError:
            raise OSError(f"HiGHS could not write {path}")

    def solve(self, evidence: dict[str, np.ndarray] | None = None) -> SolverResult:
        """Solve; with ``evidence`` (name → cost vector), also rank the basis (:class:`DualEvidence`),
        which costs about one more solve, so the hot paths (sweeps) leave it out."""
        h = self.highs
        started = time.perf_counter()
        clock = h.getRunTime()  # HiGHS's clock runs over the life of the object
        h.run()
        status = _STATUS.get(h.getModelStatus(), "error")
        if status == "unbounded_or_infeasible":
            status = self._infeasible_or_unbounded()
        info = h.getInfo()
        has_solution = info.primal_solution_status == _FEASIBLE
        mip_gap = float(info.mip_gap) if self.lp.is_mip else None
        duals_from = None
        if has_solution and self.lp.is_mip:
            mip_x = _array(h.getSolution().col_value)
            objective = float(info.objective_function_value)
            x, row_activity, row_dual, col_dual, has_duals, found = self._fixed_lp_duals(mip_x, evidence)
            duals_from = "fixed_integer_lp" if has_duals else None
        else:
            solution = h.getSolution()
            x = _array(solution.col_value)
            objective = float(info.objective_function_value)
            row_activity = _array(solution.row_value)
            row_dual = _array(solution.row_dual)
            col_dual = _array(solution.col_dual)
            has_duals = has_solution and info.dual_solution_status == _FEASIBLE
            duals_from = "lp" if has_duals else None
            found = self._evidence(evidence) if has_duals and evidence is not None else None
        return SolverResult(
            status=status,
            objective=objective,
            x=x if has_solution else np.zeros(self.lp.n_cols),
            row_activity=row_activity if has_solution else np.zeros(self.lp.n_rows),
            row_dual=row_dual if has_duals else np.zeros(self.lp.n_rows),
            col_dual=col_dual if has_duals else np.zeros(self.lp.n_cols),
            has_solution=has_solution,
            has_duals=has_duals,
            duals_from=duals_from,
            solver_seconds=float(h.getRunTime() - clock),
            wall_seconds=time.perf_counter() - started,
            mip_gap=mip_gap,
            info={
                "simplex_iterations": int(info.simplex_iteration_count),
                "ipm_iterations": int(info.ipm_iteration_count),
                "mip_nodes": int(info.mip_node_count) if self.lp.is_mip else 0,
                "max_primal_infeasibility": float(info.max_primal_infeasibility),
                "max_dual_infeasibility": float(info.max_dual_infeasibility),
            },
            evidence=found,
        )

    def _evidence(self, costs: dict[str, np.ndarray]) -> DualEvidence | None:
        """Ranging and cost-explained duals of the basis HiGHS holds now (an LP just solved)."""
        h = self.highs
        started = time.perf_counter()
        status, ranging = h.getRanging()
        if status == highspy.HighsStatus.kError or not ranging.valid:
            return None
        _, basic = h.getBasicVariables()
        basic = np.asarray(basic)
        column = np.maximum(basic, 0)
        explained = {}
        for name, cost in costs.items():
            status, part = h.getBasisTransposeSolve(np.where(basic >= 0, np.asarray(cost)[column], 0.0))
            if status == highspy.HighsStatus.kError:
                return None
            explained[name] = np.asarray(part)
        return DualEvidence(
            row_up=np.asarray(ranging.row_bound_up.value_),
            row_dn=np.asarray(ranging.row_bound_dn.value_),
            col_up=np.asarray(ranging.col_bound_up.value_),
            col_dn=np.asarray(ranging.col_bound_dn.value_),
            explained=explained,
            seconds=time.perf_counter() - started,
        )

    def _infeasible_or_unbounded(self) -> str:
        """Presolve may not tell which; a solve without it does."""
        h = self.highs
        h.setOptionValue("presolve", "off")
        try:
            h.run()
        finally:
            h.setOptionValue("presolve", "choose")
        status = _STATUS.get(h.getModelStatus(), "error")
        return "infeasible" if status == "unbounded_or_infeasible" else status

    def _fixed_lp_duals(self, x: np.ndarray, evidence: dict[str, np.ndarray] | None = None):
        """Fix the integers at their optimum, solve the LP left (and rank it), and restore the MIP."""
        h, lp = self.highs, self.lp
        integers = np.flatnonzero(lp.integer).astype(np.int32)
        fixed = np.round(x[integers])
        h.changeColsIntegrality(integers.size, integers, np.zeros(integers.size, dtype=np.uint8))
        h.changeColsBounds(integers.size, integers, fixed, fixed)
        try:
            h.run()
            info = h.getInfo()
            solution = h.getSolution()
            ok = h.getModelStatus() == highspy.HighsModelStatus.kOptimal and info.dual_solution_status == _FEASIBLE
            if not ok:
                return x, lp.matrix @ x, np.zeros(lp.n_rows), np.zeros(lp.n_cols), False, None
            return (
                _array(solution.col_value),
                _array(solution.row_value),
                _array(solution.row_dual),
                _array(solution.col_dual),
                True,
                self._evidence(evidence) if evidence is not None else None,
            )
        finally:
            h.changeColsIntegrality(integers.size, integers, np.ones(integers.size, dtype=np.uint8))
            h.changeColsBounds(
                integers.size, integers, _finite(lp.col_lower[integers]), _finite(lp.col_upper[integers])
            )


def _array(values: list[float]) -> np.ndarray:
    """A vector of HiGHS's solution as numpy. highspy 1.16 returns the solution's vectors as Python
    lists only (``getSolution()``; no array accessor, no C API in its module): ``fromiter`` with
    the length known reads one in about 60 % of ``np.asarray``'s time."""
    return np.fromiter(values, dtype=np.float64, count=len(values))


def _finite(values: np.ndarray) -> np.ndarray:
    """HiGHS spells infinity as its own large constant."""
    return np.clip(np.asarray(values, dtype=float), -INF, INF)
