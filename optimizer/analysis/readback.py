"""Reading back a results folder, which is untrusted input like any other file (SECURITY.md).

``reeopt report`` and ``reeopt diff`` read folders that anyone may have edited or built: a
``summary.json`` that is a list or a number, a CSV with text where numbers belong, an empty or
header-less CSV, a file that is a symbolic link (to ``/etc/shadow``, or to a fifo that never ends).
Each is refused as bad input naming the file (and line and column), never followed or crashed on.
"""

from __future__ import annotations

import io
import json
import stat
from collections.abc import Collection
from pathlib import Path

import pandas as pd

from optimizer.errors import InputError, Problem

MAX_BYTES = 2 * 2**30  # a results file larger than this is not one reeopt wrote


def read_bytes(file: Path) -> bytes | None:
    """The bytes of a regular file inside a results folder; ``None`` when it is absent. A link, a
    folder, a device or a fifo in its place is an error (a link could point anywhere)."""
    file = Path(file)
    try:
        info = file.lstat()
    except FileNotFoundError:
        return None
    except OSError as error:
        raise InputError(Problem(str(file), f"cannot be read: {error.strerror}")) from None
    if stat.S_ISLNK(info.st_mode):
        raise InputError(Problem(str(file), "is a symbolic link", expected="a file reeopt wrote, not a link"))
    if not stat.S_ISREG(info.st_mode):
        raise InputError(Problem(str(file), "is not a regular file", expected="a file reeopt wrote"))
    if info.st_size > MAX_BYTES:
        raise InputError(Problem(str(file), f"is {info.st_size:,} bytes", expected=f"at most {MAX_BYTES:,} bytes"))
    return file.read_bytes()


def read_text(file: Path) -> str | None:
    data = read_bytes(file)
    if data is None:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InputError(Problem(str(file), f"is not UTF-8 text (byte {error.start})")) from None


def read_summary(file: Path, required: bool = True) -> dict:
    """summary.json as a mapping (``{}`` when absent and not ``required``)."""
    text = read_text(file)
    if text is None:
        if required:
            raise InputError(
                Problem(str(file.parent), "is not a results folder", expected="a folder with summary.json")
            )
        return {}
    try:
        summary = json.loads(text)
    except json.JSONDecodeError as error:
        raise InputError(Problem(str(file), f"not valid JSON: {error.msg}", line=error.lineno)) from None
    except RecursionError:
        raise InputError(Problem(str(file), "is nested too deeply", expected="the JSON reeopt writes")) from None
    if not isinstance(summary, dict):
        kind = type(summary).__name__
        raise InputError(Problem(str(file), f"is a JSON {kind}, not an object", expected="the object reeopt writes"))
    return summary


def read_csv(
    file: Path, text_columns: Collection[str] | None = (), numeric_columns: Collection[str] = ()
) -> pd.DataFrame | None:
    """A results CSV (``None`` when absent; an empty table when empty or only blank). Columns named in
    ``text_columns`` stay text (``None``: every column); those in ``numeric_columns`` must be numbers
    (``period``: whole years); pandas infers the rest."""
    text = read_text(file)
    if text is None:
        return None
    if not text.strip():
        return pd.DataFrame()
    try:
        header = pd.read_csv(io.StringIO(text), nrows=0).columns
        as_text = set(header) if text_columns is None else set(text_columns) & set(header)
        table = pd.read_csv(
            io.StringIO(text), dtype={column: str for column in as_text}, keep_default_na=False, na_values=[""]
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as error:
        raise InputError(Problem(str(file), f"cannot be read as CSV: {str(error).strip().splitlines()[-1]}")) from None
    for column in numeric_columns:
        if column in table.columns and column not in as_text:
            table[column] = _numbers(table[column], file, str(column))
    if "period" in numeric_columns and "period" in table.columns and not table.empty:
        period = table["period"]
        if not (period.notna() & (period == period.round())).all():
            raise InputError(Problem(str(file), "a period is not a whole year", column="period"))
        table["period"] = period.astype("int64")
    return table


def _numbers(cells: pd.Series, file: Path, column: str) -> pd.Series:
    if pd.api.types.is_numeric_dtype(cells):
        return cells.astype(float) if column != "period" else cells
    values = pd.to_numeric(cells, errors="coerce")
    bad = values.isna() & cells.notna() & (cells.astype(str).str.strip() != "")
    if bad.any():
        position = int(bad.to_numpy().nonzero()[0][0])
        raise InputError(
            Problem(
                str(file),
                f"'{cells.iloc[position]}' is not a number",
                line=position + 2,
                column=str(column),
                expected="a number, as reeopt writes",
            )
        )
    return values.astype(float)
