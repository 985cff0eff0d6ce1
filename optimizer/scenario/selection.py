"""What a scenario change points at: a table's column, a value as the cell it replaces, the rows a
``where`` picks and the periods a ``periods`` picks, each checked as the readers check files.

``fail`` is the caller's error builder (``fail(message, key, expected)``, and ``fail.cells`` for
the reader's problems), so that every error names the scenario file and the change or constraint.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from optimizer.errors import Problem
from optimizer.instance.reader import convert_cells
from optimizer.instance.schema import Column, Table


def column_of(table: Table, name, fail, key: str) -> Column:
    try:
        return table.column(str(name))
    except KeyError:
        raise fail(
            f"'{name}' is not a column of {table.file}", key, "one of " + ", ".join(table.column_names)
        ) from None


def cell_value(column: Column, value, fail, key: str, table: Table):
    """A YAML value as the table cell it replaces: written as the text of a CSV cell and read by the
    reader's own conversion, so a scenario value passes exactly the checks a file value passes."""
    if isinstance(value, dict) or (isinstance(value, list) and column.kind != "list"):
        raise fail(f"'{column.name}' needs one value, not a {type(value).__name__}", key, column.expected)
    if value is None:
        text = ""
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, list):
        text = ";".join(str(item).strip() for item in value)
    elif isinstance(value, float):
        text = repr(value)
    else:
        text = str(value).strip()
    problems: list[Problem] = []
    converted = convert_cells(pd.Series([text], dtype=object), column, pd.Series([0]), fail.scenario.file, problems)
    if problems:
        raise fail.cells(problems, table, key)
    return converted.iloc[0]


def where_mask(frame: pd.DataFrame, table: Table, where, fail, given: bool = False) -> np.ndarray:
    match = np.ones(len(frame), dtype=bool)
    if given and (where is None or where == {}):
        raise fail("where is empty", "where", "leave where out to change every row, or name columns and values")
    if where is None:
        return match
    if not isinstance(where, dict):
        raise fail("where must map columns to values", "where", "{column: value or [values]}")
    for name, wanted in where.items():
        column = column_of(table, name, fail, "where")
        negate = isinstance(wanted, dict)
        if negate:
            if set(wanted) != {"not"}:
                raise fail(f"where {name}: only 'not' is allowed in a mapping", "where", "{not: value}")
            wanted = wanted["not"]
        values = wanted if isinstance(wanted, list) else [wanted]
        cells = frame[column.name]
        if column.kind == "number":
            numbers = [
                cell_value(Column(column.name, kind="number", minimum=None), v, fail, "where", table) for v in values
            ]
            hit = cells.isin(numbers).to_numpy()
            if any(math.isnan(n) for n in numbers):
                hit = hit | cells.isna().to_numpy()
        elif column.kind == "list":
            names = {str(v) for v in values}
            hit = cells.map(lambda items, names=names: bool(names & set(items))).to_numpy(dtype=bool)
        else:
            hit = cells.isin(["" if v is None else str(v) for v in values]).to_numpy()
        match &= ~hit if negate else hit
    return match


def period_selection(spec, periods: tuple[int, ...], fail) -> tuple[int, ...]:
    expected = "{from: year, to: year}, a year, or a list of years"
    if isinstance(spec, dict):
        if not spec or set(spec) - {"from", "to"}:
            raise fail("periods takes from and/or to", "periods", expected)
        bounds = [spec.get("from", periods[0]), spec.get("to", periods[-1])]
        if not all(isinstance(b, int) and not isinstance(b, bool) for b in bounds):
            raise fail("periods from/to must be years", "periods", expected)
        selected = tuple(t for t in periods if bounds[0] <= t <= bounds[1])
    else:
        years = spec if isinstance(spec, list) else [spec]
        if not all(isinstance(y, int) and not isinstance(y, bool) for y in years):
            raise fail("periods must be years", "periods", expected)
        outside = [y for y in years if y not in periods]
        if outside:
            raise fail(
                f"period {outside[0]} is outside the horizon", "periods", "one of " + ", ".join(map(str, periods))
            )
        selected = tuple(t for t in periods if t in years)
    if not selected:
        raise fail("periods select no period of the horizon", "periods", expected)
    return selected
