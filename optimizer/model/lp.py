"""A linear program as arrays: labelled families of columns and rows and one sparse matrix.

Every constraint family adds its rows and its coefficients as whole arrays through
:class:`LPBuilder`; the result is a :class:`LinearProgram` that the solver adapter hands to HiGHS
and that :meth:`LinearProgram.to_pyomo` turns into a Pyomo model for other solvers and for users
who want to add their own constraints.

Internally the program is always a minimisation: the value objective is minimised as its negative,
so duals mean "change of the minimised objective per unit of right-hand side" in every case.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp


@dataclass(frozen=True)
class Family:
    """A block of consecutive columns (or rows) with one label row each in ``index``."""

    name: str
    start: int
    index: pd.DataFrame

    @property
    def size(self) -> int:
        return len(self.index)

    @property
    def stop(self) -> int:
        return self.start + self.size

    @property
    def ids(self) -> np.ndarray:
        return np.arange(self.start, self.stop)


@dataclass(frozen=True)
class LinearProgram:
    """``min cost·x + offset`` s.t. ``row_lower <= A x <= row_upper``, ``col_lower <= x <= col_upper``."""

    columns: dict[str, Family]
    rows: dict[str, Family]
    matrix: sp.csc_array
    col_cost: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    integer: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray
    offset: float = 0.0
    cost_parts: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def n_cols(self) -> int:
        return len(self.col_cost)

    @property
    def n_rows(self) -> int:
        return len(self.row_lower)

    @property
    def nnz(self) -> int:
        return int(self.matrix.nnz)

    def column(self, name: str) -> Family:
        return self.columns[name]

    @property
    def is_mip(self) -> bool:
        return bool(self.integer.any())

    def same_structure(self, other: LinearProgram) -> bool:
        """True when ``other`` differs only in numbers (costs, bounds, coefficients), not in shape."""
        return (
            self.matrix.shape == other.matrix.shape
            and np.array_equal(self.matrix.indptr, other.matrix.indptr)
            and np.array_equal(self.matrix.indices, other.matrix.indices)
            and np.array_equal(self.integer, other.integer)
        )

    def to_pyomo(self):
        """This program as a Pyomo ``ConcreteModel`` (one indexed variable per column family).

        Built row by row, so it is for inspection, other solvers and user extensions, not for
        speed: ``optimizer.solve`` passes the arrays to HiGHS directly.
        """
        from optimizer.model.pyomo_bridge import to_pyomo

        return to_pyomo(self)


class LPBuilder:
    """Collects column families, row families and coefficient triplets, then compresses them."""

    def __init__(self) -> None:
        self._columns: dict[str, Family] = {}
        self._rows: dict[str, Family] = {}
        self._col_bounds: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self._row_bounds: list[tuple[np.ndarray, np.ndarray]] = []
        self._triplets: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self.n_cols = 0
        self.n_rows = 0

    def add_columns(self, name: str, index: pd.DataFrame, lower, upper, integer=False) -> Family:
        size = len(index)
        family = Family(name, self.n_cols, index.reset_index(drop=True))
        self._columns[name] = family
        self._col_bounds.append(
            (
                np.broadcast_to(np.asarray(lower, dtype=float), size).copy(),
                np.broadcast_to(np.asarray(upper, dtype=float), size).copy(),
                np.broadcast_to(np.asarray(integer, dtype=bool), size).copy(),
            )
        )
        self.n_cols += size
        return family

    def add_rows(self, name: str, index: pd.DataFrame, lower, upper) -> Family:
        size = len(index)
        family = Family(name, self.n_rows, index.reset_index(drop=True))
        self._rows[name] = family
        self._row_bounds.append(
            (
                np.broadcast_to(np.asarray(lower, dtype=float), size).copy(),
                np.broadcast_to(np.asarray(upper, dtype=float), size).copy(),
            )
        )
        self.n_rows += size
        return family

    def add_terms(self, rows: np.ndarray, cols: np.ndarray, values: np.ndarray) -> None:
        rows = np.asarray(rows, dtype=np.int64)
        values = np.broadcast_to(np.asarray(values, dtype=float), rows.shape)
        self._triplets.append((rows, np.asarray(cols, dtype=np.int64), values))

    def column(self, name: str) -> Family:
        return self._columns[name]

    def build(self, cost_parts: dict[str, np.ndarray], col_cost: np.ndarray, offset: float) -> LinearProgram:
        def stack(parts, position, dtype):
            return np.concatenate([p[position] for p in parts]) if parts else np.zeros(0, dtype=dtype)

        if self._triplets:
            rows, cols, values = (np.concatenate(parts) for parts in zip(*self._triplets, strict=True))
        else:
            rows = cols = np.zeros(0, dtype=np.int64)
            values = np.zeros(0)
        keep = values != 0.0
        matrix = sp.csc_array((values[keep], (rows[keep], cols[keep])), shape=(self.n_rows, self.n_cols))
        matrix.sum_duplicates()
        matrix.sort_indices()
        return LinearProgram(
            columns=dict(self._columns),
            rows=dict(self._rows),
            matrix=matrix,
            col_cost=col_cost,
            col_lower=stack(self._col_bounds, 0, float),
            col_upper=stack(self._col_bounds, 1, float),
            integer=stack(self._col_bounds, 2, bool),
            row_lower=stack(self._row_bounds, 0, float),
            row_upper=stack(self._row_bounds, 1, float),
            offset=offset,
            cost_parts=cost_parts,
        )
