"""Results folders, written atomically.

Everything goes to a temporary folder beside the target, which is then renamed into place; the old
folder is moved aside first and deleted after. A crash therefore leaves either the previous
complete folder or none (a half-written folder never carries the target's name), and the next run
cleans up what a crash left behind. A lock file serialises concurrent runs into the same folder.
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import json
import math
import os
import re
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from optimizer.errors import InputError, Problem
from optimizer.solution import Solution

# The files of a results folder in the order INTERFACE.md lists them.
TABLE_FILES = (
    "activity",
    "trade",
    "delivered",
    "balance",
    "builds",
    "sourcing",
    "stage_sourcing",
    "mfa",
    "mfca",
    "value_added",
)


def default_out(instance_name: str, scenario: str = "") -> Path:
    """``results/<instance>/<scenario>/``, with names made safe: a ``name:`` in a file never escapes
    ``results/`` (``../``, ``/abs``) nor hides (a leading dot)."""
    return Path("results") / folder_name(instance_name) / (folder_name(scenario) if scenario else "")


def folder_name(name: str) -> str:
    """A name as one folder name: letters, digits, ``-``, ``_`` and inner dots; anything else becomes ``_``.

    >>> folder_name("../../etc"), folder_name("/tmp/victim"), folder_name("cn_export_controls")
    ('_.._etc', '_tmp_victim', 'cn_export_controls')
    """
    return re.sub(r"[^A-Za-z0-9._-]", "_", str(name)).lstrip(".") or "_"


def write_solution(solution: Solution, out: Path, extra_files: Mapping[str, str | bytes] | None = None) -> Path:
    """Write summary.json, the tables and ``extra_files`` (name → text) into ``out`` atomically."""
    files: dict[str, str | bytes] = {"summary.json": json.dumps(_jsonable(solution.summary), indent=2) + "\n"}
    for name in TABLE_FILES:
        if name in solution.tables:
            files[f"{name}.csv"] = table_csv(solution.tables[name])
    for name, table in solution.tables.items():
        if name not in TABLE_FILES:
            files[f"{name}.csv"] = table_csv(table)
    files.update(extra_files or {})
    return write_folder(out, files)


def table_csv(table: pd.DataFrame) -> str:
    """``table.to_csv(index=False, float_format="%.15g")``, the same text, several times faster.

    pandas formats every float through a few Python calls each, and iterates Arrow strings one
    by one; here float columns are formatted by one comprehension (NaN as the empty field, as
    pandas writes it) and string columns handed over as plain object arrays.
    """
    formatted = table.copy(deep=False)
    for position, dtype in enumerate(table.dtypes):
        column = table.iloc[:, position]
        if isinstance(dtype, np.dtype) and dtype.kind == "f":
            values = column.to_numpy()
            text = np.array([format(value, ".15g") for value in values.tolist()], dtype=object)
            text[np.isnan(values)] = ""
            formatted.isetitem(position, text)
        elif isinstance(dtype, pd.StringDtype):
            formatted.isetitem(position, column.to_numpy(dtype=object, na_value=None))
    return formatted.to_csv(index=False)


MARKER = ".reeopt"  # in every folder written here: what may be replaced without asking


def check_replaceable(out: Path) -> None:
    """Refuse, before anything is computed, to replace what reeopt did not write (``--out ~``)."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InputError(Problem(str(out), "is a file", expected="a folder for the results"))
    if out.is_dir() and any(out.iterdir()) and not ((out / MARKER).exists() or (out / "summary.json").exists()):
        raise InputError(
            Problem(
                str(out),
                "holds files reeopt did not write; refusing to replace it",
                expected="a new or empty folder, or a folder reeopt wrote",
            )
        )


def write_folder(out: Path, files: Mapping[str, str | bytes]) -> Path:
    out = Path(out)
    check_replaceable(out)
    files = {**files, MARKER: "written by reeopt; this folder is replaced whole by the next run into it\n"}
    out.parent.mkdir(parents=True, exist_ok=True)
    with _locked(out):
        _recover(out)
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-{os.getpid()}-", dir=out.parent))
        for name, content in files.items():
            target = staging / name
            target.parent.mkdir(parents=True, exist_ok=True)
            mode = "wb" if isinstance(content, bytes) else "w"
            with open(target, mode, **({} if mode == "wb" else {"encoding": "utf-8", "newline": ""})) as handle:
                handle.write(content)
                handle.flush()
                os.fsync(handle.fileno())
        aside = out.parent / f".{out.name}.old-{os.getpid()}"
        if out.exists():
            os.rename(out, aside)
        os.rename(staging, out)
        _fsync_dir(out.parent)
        shutil.rmtree(aside, ignore_errors=True)
    return out


@contextlib.contextmanager
def _locked(out: Path) -> Iterator[None]:
    lock_path = out.parent / f".{out.name}.lock"
    with open(lock_path, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _recover(out: Path) -> None:
    """Undo what a crashed writer left: put a moved-aside folder back if the target is gone, then
    delete staging and moved-aside folders (we hold the lock, so no other writer owns them)."""
    leftovers_aside = sorted(out.parent.glob(f".{out.name}.old-*"), key=lambda p: p.stat().st_mtime)
    if not out.exists() and leftovers_aside:
        os.rename(leftovers_aside.pop(), out)
    for leftover in leftovers_aside + list(out.parent.glob(f".{out.name}.tmp-*")):
        shutil.rmtree(leftover, ignore_errors=True)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _jsonable(value):
    """JSON has no NaN or infinity: write them as null."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "item"):  # numpy scalars
        return _jsonable(value.item())
    return value


def write_table(table: pd.DataFrame, path: Path) -> Path:
    """One CSV file, replaced atomically (written beside it, then renamed)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    staging.write_text(table_csv(table), encoding="utf-8")
    os.replace(staging, path)
    return path


def write_sweep(folder: Path, table: pd.DataFrame, summary: dict) -> Path:
    """samples.parquet, samples.csv and summary.json of a sweep, as one atomic folder."""
    buffer = io.BytesIO()
    table.to_parquet(buffer, index=False)
    return write_folder(
        folder,
        {
            "samples.parquet": buffer.getvalue(),
            "samples.csv": table_csv(table),
            "summary.json": json.dumps(_jsonable(summary), indent=2) + "\n",
        },
    )
