"""Numerical health: coefficient ranges before solving, residuals after, memory before building.

HiGHS is robust to badly scaled models only up to a point; a recipe written in kg next to one in kt,
or a price in $ next to a tonnage in t, shows up as a matrix or cost range of many orders of
magnitude. The report names the rows and columns at both ends of each range, so the user knows
which table to look at. After solving, the residuals of the primal (Ax within its bounds, x within
its bounds) and dual (c = Aᵀy + reduced costs) say how far the numbers written are from exact.
"""

from __future__ import annotations

import weakref

import numpy as np

from optimizer.instance.size import check_size
from optimizer.model import Model
from optimizer.solver import SolverResult

# Ranges (max / min of the nonzero magnitudes) beyond which HiGHS's tolerances start to bite.
RANGE_LIMITS = {"matrix": 1e9, "costs": 1e10, "bounds": 1e10, "rhs": 1e10}


def coefficient_report(model: Model) -> dict:
    """Smallest and largest magnitude of matrix, costs, bounds and right-hand sides, with warnings."""
    lp = model.lp
    matrix = lp.matrix  # CSC: entry k sits in row indices[k] (no COO copy of a large matrix)
    extremes = {
        "matrix": _matrix_extremes(matrix),
        "costs": _extremes(np.abs(lp.col_cost)),
        "bounds": _extremes(np.abs(np.r_[lp.col_lower, lp.col_upper])),
        "rhs": _extremes(np.abs(np.r_[lp.row_lower, lp.row_upper])),
    }
    report, warnings = {}, []
    for name, found in extremes.items():
        if found is None:
            continue
        (low, small), (high, large) = found
        report[name] = {"min": small, "max": large}
        with np.errstate(over="ignore"):  # a range past 1e308 is still too wide
            too_wide = large / small > RANGE_LIMITS[name]
        if too_wide:
            warnings.append(
                f"{name} coefficients span {small:.3g} to {large:.3g} (more than "
                f"{RANGE_LIMITS[name]:.0e}): smallest at {_where(model, matrix, name, low)}, largest at "
                f"{_where(model, matrix, name, high)}; mixed units (kg and kt, $ and t)?"
            )
    report["warnings"] = warnings
    return report


def _extremes(values: np.ndarray) -> tuple[tuple[int, float], tuple[int, float]] | None:
    """Position and value of the smallest and the largest finite positive entry (None: there is none)."""
    keep = np.isfinite(values) & (values > 0)
    if not keep.any():
        return None
    positions = np.flatnonzero(keep)
    low, high = positions[np.argmin(values[keep])], positions[np.argmax(values[keep])]
    return (int(low), float(values[low])), (int(high), float(values[high]))


_MATRIX_EXTREMES: list = [None, None]  # (weak reference to a matrix, its extremes): re-solves share a matrix


def _matrix_extremes(matrix):
    """:func:`_extremes` of the matrix's entries, kept while the matrix is the same (a re-solve's)."""
    reference, found = _MATRIX_EXTREMES
    if reference is None or reference() is not matrix:
        found = _extremes(np.abs(matrix.data))
        _MATRIX_EXTREMES[:] = [weakref.ref(matrix), found]
    return found


def _where(model: Model, matrix, name: str, position: int) -> str:
    """The entry at ``position`` of the array ``name`` of :func:`coefficient_report`, in the instance's words."""
    from optimizer.diagnosis import describe, family_of

    lp = model.lp
    if name == "matrix":
        row = int(matrix.indices[position])
        col = int(np.searchsorted(matrix.indptr, position, side="right") - 1)
        row_family, col_family = family_of(lp.rows, row), family_of(lp.columns, col)
        return (
            f"{describe(model, col_family, col - col_family.start)} in the "
            f"{describe(model, row_family, row - row_family.start)}"
        )
    if name == "rhs":
        family = family_of(lp.rows, position % lp.n_rows)
        return describe(model, family, position % lp.n_rows - family.start)
    family = family_of(lp.columns, position % lp.n_cols)
    return describe(model, family, position % lp.n_cols - family.start, bound=name == "bounds")


def residuals(model: Model, result: SolverResult) -> dict:
    """Largest violations of the solution written: primal (rows and bounds) and dual (c − Aᵀy − d)."""
    if not result.has_solution:
        return {}
    lp, x = model.lp, result.x
    activity = lp.matrix @ x
    primal = max(
        float(np.max(np.maximum(lp.row_lower - activity, activity - lp.row_upper), initial=0.0)),
        float(np.max(np.maximum(lp.col_lower - x, x - lp.col_upper), initial=0.0)),
    )
    report = {"primal_residual": primal}
    if result.has_duals:
        dual = lp.col_cost - lp.matrix.T @ result.row_dual - result.col_dual
        report["dual_residual"] = float(np.max(np.abs(dual), initial=0.0))
    return report


def check_memory(instance, estimate_nonzeros: int) -> dict:
    """Refuse early, with the estimate, a model that would not fit in memory (not let the kernel kill it)."""
    return check_size(instance, estimate_nonzeros)


def estimate_nonzeros(instance) -> int:
    """Nonzeros of the model from the expanded tables, before building it."""
    processes = instance.expanded("processes")
    recipe_size = instance.table("process_io").groupby("process").size()
    activity = int(processes["process"].map(recipe_size).fillna(0).to_numpy(dtype=float).sum())
    trade = 2 * len(instance.expanded("trade"))
    return activity + trade + len(instance.expanded("demand")) + len(processes)
