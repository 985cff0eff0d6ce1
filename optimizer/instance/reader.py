"""Read one CSV file of an instance into a typed DataFrame, or say exactly what is wrong with it.

Parsing is pandas'; this module only turns its outcome into the table's types and into
:class:`~optimizer.errors.Problem` messages that name the file, line and column. Every returned
frame has a ``line`` column (the line of the file the row came from) so that later checks can point
at the row too, and ``frame.attrs["file"]`` holds the file's display name.
"""

from __future__ import annotations

import csv
import io
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd

from optimizer.errors import InputError, Problem, display_name
from optimizer.instance.schema import LARGEST, Column, Table


def read_table(path: Path, table: Table) -> pd.DataFrame:
    """Read ``path`` as ``table``: check its header, types, signs, choices and key uniqueness."""
    name = display_name(path)
    text = _read_text(path, name)
    if not text.strip():
        raise InputError(
            Problem(
                name,
                "the file is empty",
                line=1,
                expected="a header row with the columns " + ", ".join(_header_hint(table)),
            )
        )
    rows, lines = _split_rows(text, name)
    if not rows or lines[0] != 1:
        raise InputError(
            Problem(
                name,
                "the first line is blank",
                line=1,
                expected="a header row with the columns " + ", ".join(_header_hint(table)),
            )
        )
    header = [h.strip() for h in rows[0]]
    _check_header(header, table, name)
    _check_row_lengths(rows, lines, len(header), name)
    raw = pd.DataFrame(rows[1:], columns=header, dtype=str)
    raw = raw.apply(lambda col: col.str.strip())
    raw["line"] = np.asarray(lines[1:], dtype=np.int64)
    raw = raw[(raw.drop(columns="line") != "").any(axis=1)]
    if table.nonempty and raw.empty:
        raise InputError(Problem(name, "has a header but no rows", expected="at least one row"))

    problems: list[Problem] = []
    line = raw["line"].to_numpy()
    columns: dict[str, object] = {"line": line}
    for column in table.columns:
        cells = raw[column.name] if column.name in raw else pd.Series([""] * len(raw))
        columns[column.name] = convert_cells(cells, column, line, name, problems)
    for extra in raw.columns:
        if extra.startswith("x_"):
            columns[extra] = raw[extra].to_numpy()
    frame = pd.DataFrame(columns)  # one frame of every column (not inserted one by one: pandas copies)
    if problems:
        raise InputError(problems)
    _check_unique(frame, table.key, name)
    frame.attrs["file"] = name
    return frame


def _read_text(path: Path, name: str) -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(Problem(name, "file not found")) from None
    except IsADirectoryError:
        raise InputError(Problem(name, "is a folder", expected="a CSV file")) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(
            Problem(name, f"is not UTF-8 text (byte {exc.start})", line=line, expected="a UTF-8 CSV file")
        ) from None
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise InputError(Problem(name, "contains a NUL byte", line=line, expected="a text CSV file"))
    hidden = _HIDDEN_BREAK.search(text)
    if hidden:
        line = text[: hidden.start()].count("\n") + 1
        raise InputError(
            Problem(
                name,
                f"contains the control character U+{ord(hidden.group()):04X}, which some programs read as a line break",
                line=line,
                expected="text with only tabs and line breaks (\\n, \\r\\n) as control characters",
            )
        )
    return text


# Control characters and the Unicode line breaks that csv does not split at but str.splitlines, editors
# and spreadsheets do: in a file they hide a line break (or a column name) from one reader or the other.
_HIDDEN_BREAK = re.compile("[\x01-\x08\x0b\x0c\x0e-\x1f\x7f\x85\u2028\u2029]")


def _split_rows(text: str, name: str) -> tuple[list[list[str]], list[int]]:
    """The records of the file and the line each starts on; blank records (only commas) are dropped.

    The csv module splits records only at ``\\n``, ``\\r`` and ``\\r\\n`` (outside quotes), never at the
    other Unicode line breaks that ``str.splitlines`` knows, so the header is the header pandas would
    see; a record's line is the physical line it starts on, quoted line breaks included.
    """
    reader = csv.reader(io.StringIO(text, newline=""), skipinitialspace=True, strict=True)
    rows, lines = [], []
    ended = 0
    try:
        for row in reader:
            if any(cell.strip() for cell in row):
                rows.append(row)
                lines.append(ended + 1)
            ended = reader.line_num
    except csv.Error as exc:
        raise InputError(
            Problem(
                name,
                f"cannot be read as CSV: {exc}",
                line=reader.line_num,
                expected="comma-separated values, quotes closed on the line they open or around a line break",
            )
        ) from None
    return rows, lines


def _check_row_lengths(rows: list[list[str]], lines: list[int], width: int, name: str) -> None:
    """A row with fewer or more cells than the header is refused: read with blanks it would turn a
    capacity into "unlimited", and shifted it would put a cost in a capacity (a trailing comma, or a
    thousands separator such as 1,000 written without quotes, gives one cell too many)."""
    problems = []
    for row, line in zip(rows[1:], lines[1:], strict=True):
        if len(row) != width:
            hint = (
                " (a trailing comma, or a number such as 1,000 with a thousands separator?)" if len(row) > width else ""
            )
            problems.append(
                Problem(
                    name,
                    f"has {len(row)} cells but the header has {width}{hint}",
                    line=line,
                    expected=f"{width} comma-separated cells, as in the header",
                )
            )
    if problems:
        raise InputError(problems)


def _header_hint(table: Table) -> list[str]:
    return [c.name for c in table.columns if c.required]


def _check_header(header: list[str], table: Table, name: str) -> None:
    problems = []
    seen = set()
    for position, column in enumerate(header, start=1):
        if not column:
            problems.append(Problem(name, f"header cell {position} is empty", line=1, expected="a column name"))
        elif column in seen:
            problems.append(Problem(name, "column appears twice in the header", line=1, column=column))
        elif column not in table.column_names and not column.startswith("x_"):
            problems.append(
                Problem(
                    name,
                    "unknown column",
                    line=1,
                    column=column,
                    expected="one of " + ", ".join(table.column_names) + ", or a note column starting with x_",
                )
            )
        seen.add(column)
    for column in table.columns:
        if column.required and column.name not in seen:
            problems.append(
                Problem(name, "required column is missing", line=1, column=column.name, expected="it in the header")
            )
    if problems:
        raise InputError(problems)


def convert_cells(cells: pd.Series, column: Column, lines: pd.Series, name: str, problems: list[Problem]) -> pd.Series:
    """Text cells as the column's values (blank: its default), each problem appended to ``problems``.

    This is the one place a cell's type, sign and range are checked: the scenario engine passes the
    values a change writes through it (and :func:`check_numbers`) as well. The checks are numpy masks
    over the whole column; messages are made only for the cells a mask flags (a file of a few rows
    and tens of columns is read in well under a millisecond per column).
    """
    cells = cells.reset_index(drop=True)
    text = cells.to_numpy(dtype=object)
    lines = np.asarray(lines)
    blank = text == ""
    if column.value_required and blank.any():
        for line in lines[blank].tolist():
            problems.append(
                Problem(name, "cell is blank", line=int(line), column=column.name, expected=column.expected)
            )
    if column.kind == "text":
        if column.choices:
            bad = ~blank & ~cells.isin(column.choices).to_numpy()
            for line, value in zip(lines[bad].tolist(), text[bad].tolist(), strict=True):
                problems.append(
                    Problem(
                        name, f"'{value}' is not allowed", line=int(line), column=column.name, expected=column.expected
                    )
                )
        if column.default is None or not blank.any():
            return cells
        return cells.where(~blank, column.default)
    if column.kind == "list":
        return cells.map(lambda text: tuple(part.strip() for part in text.split(";") if part.strip()))
    values = pd.to_numeric(cells.where(~blank), errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    not_number = ~blank & np.isnan(values)
    for line, value in zip(lines[not_number].tolist(), text[not_number].tolist(), strict=True):
        problems.append(
            Problem(
                name, f"'{value}' is not a finite number", line=int(line), column=column.name, expected=column.expected
            )
        )
    bad = check_numbers(np.where(not_number, np.nan, values), column, lines, name, problems, shown=text)
    default = math.nan if column.default is None else float(column.default)
    return pd.Series(np.where(~blank & ~not_number & ~bad, values, default))


def check_numbers(
    values: pd.Series, column: Column, lines: pd.Series, name: str, problems: list[Problem], shown=None
) -> np.ndarray:
    """Which of ``values`` (NaN: blank) break the column's rules: finite, sign, range, whole years.

    ``shown`` is how each value appears in the file (the text of its cell), for the messages.
    """
    values = np.asarray(values, dtype=float)
    lines = np.asarray(lines)

    def report(flagged: np.ndarray, message: str, column_name: str, expected: str) -> None:
        if not flagged.any():
            return
        texts = [f"{v:g}" for v in values[flagged]] if shown is None else np.asarray(shown)[flagged].tolist()
        for line, value in zip(lines[flagged].tolist(), texts, strict=True):
            problems.append(
                Problem(name, message.format(value=value), line=int(line), column=column_name, expected=expected)
            )

    present = ~np.isnan(values)
    finite = np.isfinite(values)
    not_finite = present & ~finite
    report(not_finite, "'{value}' is not a finite number", column.name, column.expected)
    with np.errstate(invalid="ignore"):
        bad_range = np.zeros(values.shape, dtype=bool)
        if column.positive:
            bad_range |= values <= 0
        elif column.minimum is not None:
            bad_range |= values < column.minimum
        if column.maximum is not None:
            bad_range |= (values >= column.maximum) if column.below_maximum else (values > column.maximum)
        bad_range |= np.abs(values) > LARGEST
        bad_range &= finite
        report(bad_range, "{value} is out of range", column.name, column.expected)
        fractional = np.zeros(values.shape, dtype=bool)
        if column.name == "period":
            fractional = finite & (values != np.floor(values))
            report(fractional, "'{value}' is not a year", "period", "a whole year")
    return not_finite | bad_range | fractional


def _check_unique(frame: pd.DataFrame, key: tuple[str, ...], name: str) -> None:
    present = [k for k in key if k in frame]
    duplicated = frame.duplicated(present, keep=False)
    if not duplicated.any():
        return
    problems = []
    for _, group in frame[duplicated].groupby(present, dropna=False, sort=False):
        lines = ", ".join(str(int(x)) for x in group["line"])
        described = ", ".join(
            f"{k}={_show(v)}" for k, v in zip(present, group.iloc[0][present], strict=True) if _show(v) != ""
        )
        problems.append(
            Problem(
                name,
                f"duplicate rows for {described} on lines {lines}",
                line=int(group["line"].iloc[1]),
                expected="one row per " + ", ".join(present),
            )
        )
    raise InputError(problems)


def _show(value: object) -> str:
    if isinstance(value, float):
        return "" if math.isnan(value) else f"{value:g}"
    return str(value)
