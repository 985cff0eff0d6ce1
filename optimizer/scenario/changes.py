"""Applying a scenario's changes to an instance's tables, each checked as the readers check files."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from optimizer.errors import InputError, Problem
from optimizer.instance.instance import Instance
from optimizer.instance.schema import TABLES, Column, Table
from optimizer.instance.validate import check_references
from optimizer.scenario.files import BASE, CHANGE_KEYS, OPERATIONS, Scenario, extension_chain, scenario_path
from optimizer.yamlio import line_of


def apply_scenario(instance: Instance, name_or_file: str | Path | None) -> Instance:
    """The instance with a scenario's changes applied (and those of the scenarios it extends).

    ``None`` or ``"base"`` without a ``base`` file give the instance unchanged.

    >>> from optimizer.instance import load_instance
    >>> toy = load_instance("toy")
    >>> banned = apply_scenario(toy, "north_export_ban")
    >>> banned.scenario, banned.table("trade").loc[0, "capacity"]
    ('north_export_ban', np.float64(0.0))
    """
    if name_or_file is None or (str(name_or_file) == BASE and scenario_path(instance, BASE) is None):
        return instance
    if "+" in str(name_or_file) and scenario_path(instance, name_or_file) is None:
        return apply_changes(instance, combined_chain(instance, str(name_or_file)))
    return apply_changes(instance, extension_chain(instance, name_or_file))


def combined_chain(instance: Instance, names: str) -> list[Scenario]:
    """``a+b``: the chain of ``a``, then that of ``b`` (a scenario both extend applied once), closed by
    an empty scenario that names the result ``a+b``.

    >>> from optimizer.instance import load_instance
    >>> [s.name for s in combined_chain(load_instance("toy"), "north_export_ban+north_export_ban_soft")]
    ['north_export_ban', 'north_export_ban_soft', 'north_export_ban+north_export_ban_soft']
    """
    parts = [part.strip() for part in names.split("+")]
    if not all(parts):
        raise InputError(Problem(names, "an empty scenario name in a combination", expected="a+b, names joined by +"))
    chain: list[Scenario] = []
    for part in parts:
        if part == BASE and scenario_path(instance, BASE) is None:
            continue
        chain += [s for s in extension_chain(instance, part) if s.file not in {c.file for c in chain}]
    described = "; then ".join(f"{s.name}: {s.description}" if s.description else s.name for s in chain)
    return [*chain, Scenario(name=names, description=described, changes=(), file=names, lines={}, path=None)]


def apply_changes(instance: Instance, chain: list[Scenario]) -> Instance:
    """The instance with the changes of each scenario of ``chain`` applied in turn (the last names it).

    Scenarios need not come from files: sweeps build them in memory, with ``lines`` pointing into
    the file that asked for them, so errors still name the right place.
    """
    tables = dict(instance.tables)
    objective = instance.objective
    names_may_change = False
    for scenario in chain:
        for position, change in enumerate(scenario.changes):
            _apply_change(instance, tables, scenario, position, change)
            names_may_change |= _touches_names(change)
        objective = scenario.objective or objective
    last = chain[-1]
    changed = instance.replace(
        tables=tables,
        scenario=last.name,
        scenario_description=last.description,
        objective=objective,
        scenario_files=instance.scenario_files + tuple(s.path for s in chain if s.path is not None),
    )
    # What a scenario left alone need not be expanded again (sweeps apply thousands of small changes).
    unchanged = {name for name, frame in tables.items() if frame is instance.tables[name]}

    def still_valid(key: str) -> bool:  # "trade" (depends on regions too) or "process_io+commodities:stages"
        needs = set(key.split(":")[0].split("+")) | ({"regions"} if key == "trade" else set())
        return needs <= unchanged

    changed._expanded.update({key: value for key, value in instance._expanded.items() if still_valid(key)})
    if names_may_change:
        changed = changed.replace(warnings=tuple(check_references(changed)), _expanded=changed._expanded)
    return changed


def _touches_names(change: dict) -> bool:
    """Whether a change can introduce or remove a name another table refers to (so references need checking)."""
    if "add" in change or "drop" in change:
        return True
    values = change.get("set") or {}
    table = TABLES.get(change.get("table"))
    return table is not None and any(
        name in table.column_names and table.column(name).kind != "number" for name in values
    )


class _Fail:
    """Builds errors that point at one change of one scenario file."""

    def __init__(self, scenario: Scenario, position: int):
        self.scenario = scenario
        self.position = position

    def __call__(self, message: str, key: str | None = None, expected: str | None = None) -> InputError:
        path = ("changes", self.position) + ((key,) if key else ())
        return InputError(
            Problem(
                self.scenario.file,
                f"change {self.position + 1}: {message}",
                line=line_of(self.scenario.lines, path),
                column=key,
                expected=expected,
            )
        )


def _apply_change(instance: Instance, tables: dict, scenario: Scenario, position: int, change: dict) -> None:
    fail = _Fail(scenario, position)
    for key in change:
        if key not in CHANGE_KEYS:
            raise fail(f"unknown key '{key}'", str(key), "one of " + ", ".join(CHANGE_KEYS))
    table_name = change.get("table")
    if not isinstance(table_name, str) or table_name not in TABLES:
        raise fail(f"'{table_name}' is not a table", "table", "one of " + ", ".join(TABLES))
    table = TABLES[table_name]
    operations = [op for op in OPERATIONS if op in change]
    if len(operations) != 1:
        raise fail("needs exactly one operation", None, "one of " + ", ".join(OPERATIONS))
    operation = operations[0]
    frame = tables[table_name]

    if operation == "add":
        if "where" in change:
            raise fail("'add' takes no where (it adds rows; periods: {from, to} repeats them)", "where")
        rows = change["add"]
        if "periods" in change:
            if not table.has_period:
                raise fail(f"{table.file} has no period column", "periods")
            rows = _rows_per_period(rows, _period_selection(change["periods"], instance.periods, fail), fail)
        tables[table_name] = _added(instance, frame, table, rows, fail)
        return

    match = _where(frame, table, change.get("where"), fail)
    if not match.any():
        raise fail("where matches no row of " + table.file, "where", "a where that selects at least one row")
    if "periods" in change:
        if not table.has_period:
            raise fail(f"{table.file} has no period column", "periods")
        selected = _period_selection(change["periods"], instance.periods, fail)
        frame, match = _materialise(
            frame, table, match, selected, instance.periods, keep_out_of_range=operation == "drop"
        )
    if operation == "drop":
        if change["drop"] is not True:
            raise fail("drop must be true", "drop", "drop: true")
        tables[table_name] = frame.loc[~match].reset_index(drop=True)
        return
    frame = frame.copy()
    values = change[operation]
    if not isinstance(values, dict) or not values:
        raise fail(f"'{operation}' needs a mapping of columns", operation, "{column: value}")
    for column_name, value in values.items():
        column = _column(table, column_name, fail, operation)
        if column.name in table.key and column.name != "period":
            raise fail(f"cannot {operation} the key column '{column.name}'", operation, "a non-key column")
        if operation == "set":
            cell = _cell(column, value, fail, operation)
            _check_names(instance, table, {column.name: cell}, fail, operation)
            frame.loc[match, column.name] = cell
        else:
            if column.kind != "number" or column.name == "period":
                raise fail(f"cannot scale '{column.name}'", operation, "a numeric column")
            factor = _cell(Column("factor", kind="number"), value, fail, operation)
            frame.loc[match, column.name] = frame.loc[match, column.name] * factor
    _check_unique(frame, table, fail, operation)
    tables[table_name] = frame


def _column(table: Table, name, fail: _Fail, key: str) -> Column:
    try:
        return table.column(str(name))
    except KeyError:
        raise fail(
            f"'{name}' is not a column of {table.file}", key, "one of " + ", ".join(table.column_names)
        ) from None


def _cell(column: Column, value, fail: _Fail, key: str):
    """A YAML value as the table cell it replaces, checked as the reader checks files."""
    if value is None:
        if column.value_required:
            raise fail(f"'{column.name}' cannot be blank", key, column.expected)
        if column.kind == "number":
            return math.nan if column.default is None else float(column.default)
        return () if column.kind == "list" else (column.default or "")
    if column.kind == "list":
        items = value if isinstance(value, list) else str(value).split(";")
        return tuple(str(item).strip() for item in items if str(item).strip())
    if column.kind == "text":
        text = str(value)
        if column.choices and text not in column.choices:
            raise fail(f"'{text}' is not allowed in '{column.name}'", key, column.expected)
        return text
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise fail(f"'{value}' is not a finite number for '{column.name}'", key, column.expected)
    number = float(value)
    if (
        column.positive
        and number <= 0
        or (not column.positive and column.minimum is not None and number < column.minimum)
    ):
        raise fail(f"{value} is out of range for '{column.name}'", key, column.expected)
    if column.maximum is not None and (number >= column.maximum if column.below_maximum else number > column.maximum):
        raise fail(f"{value} is out of range for '{column.name}'", key, column.expected)
    return number


def _where(frame: pd.DataFrame, table: Table, where, fail: _Fail) -> np.ndarray:
    match = np.ones(len(frame), dtype=bool)
    if where is None:
        return match
    if not isinstance(where, dict):
        raise fail("where must map columns to values", "where", "{column: value or [values]}")
    for name, wanted in where.items():
        column = _column(table, name, fail, "where")
        negate = isinstance(wanted, dict)
        if negate:
            if set(wanted) != {"not"}:
                raise fail(f"where {name}: only 'not' is allowed in a mapping", "where", "{not: value}")
            wanted = wanted["not"]
        values = wanted if isinstance(wanted, list) else [wanted]
        cells = frame[column.name]
        if column.kind == "number":
            numbers = [_cell(Column(column.name, kind="number", minimum=None), v, fail, "where") for v in values]
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


def _period_selection(spec, periods: tuple[int, ...], fail: _Fail) -> tuple[int, ...]:
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


def _materialise(
    frame: pd.DataFrame,
    table: Table,
    match: np.ndarray,
    selected: tuple[int, ...],
    horizon: tuple[int, ...],
    keep_out_of_range: bool,
) -> tuple[pd.DataFrame, np.ndarray]:
    """Copy matched blank-period rows to dated rows, and say which dated rows are in range."""
    key = [k for k in table.key if k != "period"]
    general = match & frame["period"].isna().to_numpy()
    dated_keys = frame.loc[frame["period"].notna(), key + ["period"]]
    wanted = list(horizon) if keep_out_of_range else list(selected)
    copies = frame.loc[general].drop(columns="period").merge(pd.DataFrame({"period": wanted}), how="cross")
    if not dated_keys.empty and not copies.empty:
        existing = copies[key + ["period"]].merge(
            dated_keys.astype({"period": float}).assign(_exists=True), how="left", on=key + ["period"]
        )["_exists"]
        copies = copies.loc[existing.isna().to_numpy()]
    if keep_out_of_range:
        # The general row disappears; its copies carry it for the periods out of range.
        kept = frame.loc[~general]
        match = match[~general]
    else:
        kept = frame
    result = pd.concat([kept, copies.astype({"period": float})], ignore_index=True)
    result.attrs = frame.attrs
    in_range = result["period"].isin(selected).to_numpy()
    copied = np.r_[np.zeros(len(kept), dtype=bool), np.ones(len(copies), dtype=bool)]
    return result, (np.r_[match, np.zeros(len(copies), dtype=bool)] | copied) & in_range


def _rows_per_period(rows, selected: tuple[int, ...], fail: _Fail) -> list:
    """``add`` with ``periods``: each row once per period selected (the rows give no period)."""
    rows = [rows] if isinstance(rows, dict) else rows
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        return rows  # _added says what is wrong
    if any("period" in row for row in rows):
        raise fail("give periods or a period in each row, not both", "periods", "rows without period")
    return [{**row, "period": period} for row in rows for period in selected]


def _added(instance: Instance, frame: pd.DataFrame, table: Table, rows, fail: _Fail) -> pd.DataFrame:
    if isinstance(rows, dict):
        rows = [rows]
    if not isinstance(rows, list) or not rows or not all(isinstance(r, dict) for r in rows):
        raise fail("'add' needs a list of rows", "add", "a list of {column: value}")
    line = fail.scenario.lines.get(("changes", fail.position, "add"), 0)
    new = []
    for row in rows:
        cells = {"line": line}
        for name in row:
            if not str(name).startswith("x_"):
                _column(table, name, fail, "add")
        for column in table.columns:
            if column.required and column.name not in row and column.value_required:
                raise fail(f"an added row needs '{column.name}'", "add", column.expected)
            cells[column.name] = _cell(column, row.get(column.name), fail, "add")
        _check_names(instance, table, cells, fail, "add")
        new.append(cells)
    result = pd.concat([frame, pd.DataFrame(new)], ignore_index=True)
    result.attrs = frame.attrs
    _check_unique(result, table, fail, "add")
    return result


REFERENCES = {
    "region": "regions",
    "origin": "regions",
    "destination": "regions",
    "commodity": "commodities",
    "process": "process_io",
}


def _check_names(instance: Instance, table: Table, cells: dict, fail: _Fail, key: str) -> None:
    """Names and periods a change writes must exist, and the error must point at the scenario."""
    for column, value in cells.items():
        if column == "period" and value == value and value not in instance.periods:
            raise fail(
                f"period {value:g} is outside the horizon", key, "one of " + ", ".join(map(str, instance.periods))
            )
        if column in REFERENCES and table.name not in ("regions", "commodities", "process_io") and value:
            source = REFERENCES[column]
            known = set(
                instance.table(source)[
                    {"regions": "region", "commodities": "commodity", "process_io": "process"}[source]
                ]
            )
            if value not in known and not (table.name == "trade" and value == "*"):
                raise fail(
                    f"'{value}' is not a known {column.replace('origin', 'region').replace('destination', 'region')}",
                    key,
                    f"a name defined in {source}.csv",
                )


def _check_unique(frame: pd.DataFrame, table: Table, fail: _Fail, key: str) -> None:
    duplicated = frame.duplicated(list(table.key), keep=False)
    if duplicated.any():
        first = frame.loc[duplicated, list(table.key)].iloc[0]
        described = ", ".join(
            f"{k}={v}"
            for k, v in first.items()
            if isinstance(v, str) and v or isinstance(v, float) and not math.isnan(v)
        )
        raise fail(
            f"makes two rows of {table.file} with the same key ({described})",
            key,
            "one row per " + ", ".join(table.key),
        )
