"""Applying a scenario's changes to an instance's tables, each checked as the readers check files."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import pandas as pd

from optimizer.errors import InputError, Problem
from optimizer.instance.expand import UNDATED_PROCESS_NUMBERS
from optimizer.instance.instance import Instance
from optimizer.instance.origin import check_origin_settings
from optimizer.instance.reader import check_numbers
from optimizer.instance.schema import TABLES, Column, Table
from optimizer.instance.validate import check_references
from optimizer.scenario.files import BASE, CHANGE_KEYS, OPERATIONS, Scenario, extension_chain, scenario_path
from optimizer.scenario.policies import with_policies
from optimizer.scenario.selection import cell_value, column_of, period_selection, where_mask
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
    origin: dict = {}
    names_may_change = False
    for scenario in chain:
        for position, change in enumerate(scenario.changes):
            _apply_change(instance, tables, scenario, position, change)
            names_may_change |= _touches_names(change)
        objective = scenario.objective or objective
        origin.update(scenario.origin or {})
    last = chain[-1]
    changed = instance.replace(
        tables=tables,
        scenario=last.name,
        scenario_description=last.description,
        objective=objective,
        scenario_files=instance.scenario_files + tuple(s.path for s in chain if s.path is not None),
        **origin,
    )
    if origin or any(_may_break_origin(change) for scenario in chain for change in scenario.changes):
        check_origin_settings(changed, last.file)
    # What a scenario left alone need not be expanded again (sweeps apply thousands of small changes).
    unchanged = {name for name, frame in tables.items() if frame is instance.tables[name]}

    def still_valid(key: str) -> bool:  # "trade" (depends on regions too) or "process_io+commodities:stages"
        needs = set(key.split(":")[0].split("+")) | ({"regions"} if key == "trade" else set())
        return needs <= unchanged

    changed._expanded.update({key: value for key, value in instance._expanded.items() if still_valid(key)})
    if names_may_change:
        try:
            warnings = check_references(changed, as_read=False)
        except InputError as error:
            raise InputError([_blame_scenario(problem, chain) for problem in error.problems]) from None
        changed = changed.replace(warnings=tuple(warnings), _expanded=changed._expanded)
    return with_policies(changed, chain)


def _may_break_origin(change: dict) -> bool:
    """Whether a change can put a content rule (``max_tracked_share``) on a commodity without
    rare earths: rows added to demand.csv, or the rule's column written (scaling quantities cannot)."""
    if change.get("table") != "demand":
        return False
    written = change.get("set") or change.get("scale")
    return not isinstance(written, dict) or "add" in change or "max_tracked_share" in written


def _blame_scenario(problem: Problem, chain: list[Scenario]) -> Problem:
    """A problem of a row a scenario added, pointed at the scenario's ``add`` rather than the table's file.

    Added rows carry minus the line of their ``add`` (a file's rows carry their own, positive, line);
    of the scenarios in ``chain`` with an ``add`` on that line, the last one (the most specific) is named.
    """
    if problem.line is None or problem.line >= 0:
        return problem
    for scenario in reversed(chain):
        for position in range(len(scenario.changes)):
            if scenario.lines.get(("changes", position, "add")) == -problem.line:
                table = problem.file.rsplit("/", 1)[-1]
                return dataclasses.replace(
                    problem,
                    file=scenario.file,
                    message=f"change {position + 1} (rows added to {table}): {problem.message}",
                    line=-problem.line,
                )
    return dataclasses.replace(problem, line=None)


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

    def cells(self, problems: list[Problem], table: Table, key: str) -> InputError:
        """The reader's problems with the values a change writes, as errors of the change:
        ``scenarios/x.yaml, line 7: change 2 (table processes, set cost_system): 1e+300 is out of range``."""
        line = line_of(self.scenario.lines, ("changes", self.position, key))
        return InputError(
            [
                Problem(
                    self.scenario.file,
                    f"change {self.position + 1} (table {table.name}, {key} {problem.column}): {problem.message}",
                    line=line,
                    expected=problem.expected,
                )
                for problem in problems
            ]
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
    # names are checked against the tables as changed so far: a scenario may add a process to
    # process_io.csv and then deploy it in processes.csv
    instance = instance.replace(tables=dict(tables))

    if operation == "add":
        if "where" in change:
            raise fail("'add' takes no where (it adds rows; periods: {from, to} repeats them)", "where")
        rows = change["add"]
        if "periods" in change:
            if not table.has_period:
                raise fail(f"{table.file} has no period column", "periods")
            rows = _rows_per_period(rows, period_selection(change["periods"], instance.periods, fail), fail)
        tables[table_name] = _added(instance, frame, table, rows, fail)
        return

    match = where_mask(frame, table, change.get("where"), fail, given="where" in change)
    if not match.any():
        raise fail("where matches no row of " + table.file, "where", "a where that selects at least one row")
    if "periods" in change:
        if not table.has_period:
            raise fail(f"{table.file} has no period column", "periods")
        selected = period_selection(change["periods"], instance.periods, fail)
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
        column = column_of(table, column_name, fail, operation)
        if column.name in table.key and column.name != "period":
            raise fail(f"cannot {operation} the key column '{column.name}'", operation, "a non-key column")
        if "periods" in change and table.name == "processes" and column.name in UNDATED_PROCESS_NUMBERS:
            raise fail(
                f"'{column.name}' holds over the whole horizon (on the row without a period)",
                "periods",
                f"the change of '{column.name}' without periods",
            )
        rows = match
        if table.name == "processes" and column.name in UNDATED_PROCESS_NUMBERS:
            rows = match & frame["period"].isna().to_numpy()  # the dated rows matched do not carry it
            if not rows.any():
                raise fail(
                    f"'{column.name}' holds over the whole horizon: the where selects only dated rows",
                    "where",
                    "a where that selects the row without a period",
                )
        if operation == "set":
            cell = cell_value(column, value, fail, operation, table)
            _check_names(instance, table, {column.name: cell}, fail, operation)
            if isinstance(cell, tuple):  # a list cell: the same tuple on each row, not one item per row
                frame[column.name] = frame[column.name].astype(object)
                same = pd.Series([cell] * int(rows.sum()), index=frame.index[rows], dtype=object)
                frame.loc[rows, column.name] = same
            else:
                frame.loc[rows, column.name] = cell
        else:
            if column.kind != "number" or column.name == "period":
                raise fail(f"cannot scale '{column.name}'", operation, "a numeric column")
            factor = cell_value(Column(column.name, kind="number"), value, fail, operation, table)
            with np.errstate(over="ignore", invalid="ignore"):  # an overflow is refused just below
                frame.loc[rows, column.name] = frame.loc[rows, column.name] * factor
        _check_written(frame, rows, table, column, fail, operation)
    if "periods" in change or "period" in values:  # otherwise no key changed: the rows stay unique
        _check_unique(frame, table, fail, operation)
    tables[table_name] = frame


def _check_written(frame: pd.DataFrame, match: np.ndarray, table: Table, column: Column, fail: _Fail, key: str):
    """The values a change leaves in ``column`` obey the column's rules: ``scale`` can push a quantity past
    1e12, a loss to 1 or more, a coefficient or unit size to 0."""
    if column.kind != "number" or not match.any():
        return
    problems: list[Problem] = []
    written = frame.loc[match, column.name]
    check_numbers(written, column, pd.Series(np.zeros(len(written))), fail.scenario.file, problems)
    if problems:
        raise fail.cells(problems[:1], table, key)


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
    if table.name == "processes" and not keep_out_of_range:  # the undated row stays and keeps them
        copies[[c for c in UNDATED_PROCESS_NUMBERS if c in copies]] = np.nan
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
    # minus the line of the add: the cross-table checks of apply_changes then blame the scenario, not the CSV
    line = -fail.scenario.lines.get(("changes", fail.position, "add"), 0)
    new = []
    for row in rows:
        cells = {"line": line}
        for name in row:
            if not str(name).startswith("x_"):
                column_of(table, name, fail, "add")
        for column in table.columns:
            if column.required and column.name not in row and column.value_required:
                raise fail(f"an added row needs '{column.name}'", "add", column.expected)
            cells[column.name] = cell_value(column, row.get(column.name), fail, "add", table)
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
