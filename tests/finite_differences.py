"""The optimum of a program with some rows' right-hand sides moved: the finite differences that
marginal values, made values and quota rents are checked against."""

from __future__ import annotations

import dataclasses

from optimizer.solver import HighsSolver


def moved_optimum(lp, shifts: dict[int, float]) -> float | None:
    """The optimum of ``lp`` with both bounds of each row id in ``shifts`` moved by its shift (a balance
    row +1: one tonne more withdrawn at the node); None when the moved program has no optimum."""
    lower, upper = lp.row_lower.copy(), lp.row_upper.copy()
    for row, shift in shifts.items():
        lower[row] += shift
        upper[row] += shift
    result = HighsSolver(dataclasses.replace(lp, row_lower=lower, row_upper=upper)).solve()
    return result.objective if result.status == "optimal" else None
