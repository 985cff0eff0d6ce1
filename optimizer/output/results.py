"""Results folders, written atomically.

Everything goes to a temporary folder beside the target, which is then renamed into place; the old
folder is moved aside first and deleted after. A crash therefore leaves either the previous
complete folder or none (a half-written folder never carries the target's name), and the next run
cleans up what a crash left behind. A lock file serialises concurrent runs into the same folder.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import io
import json
import math
import os
import re
import shutil
import tempfile
import uuid
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
    """A name as one folder name: letters (of any script), digits, ``-``, ``_`` and inner dots kept.

    Any other character becomes ``_``, and then, so that two names never share a folder (``a/b`` and
    ``a_b``, or two names in a script whose letters are not kept), a short hash of the original name
    is appended. A name that needs no change keeps its folder name exactly; a long one is shortened
    (with the hash) so that the folder name stays within the file system's limit.

    >>> folder_name("cn_export_controls"), folder_name("中国出口管制"), folder_name("../../etc")
    ('cn_export_controls', '中国出口管制', '_.._etc-74ccf3c5')
    """
    name = str(name)
    safe = re.sub(r"[^\w.-]", "_", name).lstrip(".")
    if safe == name and 0 < len(name.encode()) <= MAX_FOLDER_NAME_BYTES:
        return name
    digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    while len(safe.encode()) > MAX_FOLDER_NAME_BYTES:
        safe = safe[: len(safe) * 3 // 4]
    return f"{safe or '_'}-{digest}"


MAX_FOLDER_NAME_BYTES = 120  # file systems allow 255; the staging folder adds its prefix and suffix


def write_solution(solution: Solution, out: Path, extra_files: Mapping[str, str | bytes] | None = None) -> Path:
    """Write summary.json, the tables and ``extra_files`` (name → text) into ``out`` atomically."""
    return write_folder(out, solution_files(solution, extra_files))


def solution_files(solution: Solution, extra_files: Mapping[str, str | bytes] | None = None) -> dict[str, str | bytes]:
    """The files of a results folder (name → content), for writers that nest one in a bigger folder."""
    files: dict[str, str | bytes] = {"summary.json": json.dumps(_jsonable(solution.summary), indent=2) + "\n"}
    for name in TABLE_FILES:
        if name in solution.tables:
            files[f"{name}.csv"] = table_csv(solution.tables[name])
    for name, table in solution.tables.items():
        if name not in TABLE_FILES:
            files[f"{name}.csv"] = table_csv(table)
    files.update(extra_files or {})
    return files


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
MARKER_TEXT = "written by reeopt, run {run}; this folder is replaced whole by the next run into it\n"
_MARKER_LINE = re.compile(r"written by reeopt[,;]")  # earlier versions wrote no run id


def is_reeopt_folder(folder: Path) -> bool:
    """Whether ``folder`` carries reeopt's marker: a small regular file (not a link) of reeopt's words.
    A ``summary.json`` alone is not enough: other programs write files of that name too."""
    marker = Path(folder) / MARKER
    try:
        if marker.is_symlink() or not marker.is_file() or marker.stat().st_size > 4096:
            return False
        return bool(_MARKER_LINE.match(marker.read_text(encoding="utf-8", errors="replace")))
    except OSError:
        return False


def check_replaceable(out: Path) -> None:
    """Refuse, before anything is computed, to replace what reeopt did not write (``--out ~``), or to
    write where nothing can be written (under a file, in a read-only folder or file system)."""
    out = Path(out)
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise InputError(Problem(str(out), "is a file or a link", expected="a folder for the results"))
    if out.is_dir() and any(out.iterdir()) and not is_reeopt_folder(out):
        raise InputError(
            Problem(
                str(out),
                "holds files reeopt did not write (no .reeopt marker); refusing to replace it",
                expected="a new or empty folder, or a folder reeopt wrote",
            )
        )
    _check_writable(out)


def _check_writable(out: Path) -> None:
    """The folder that will hold ``out`` (or the nearest one that exists) must be a writable folder."""
    existing = out.absolute().parent
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise InputError(Problem(str(out), f"is under {existing}, which is a file", expected="a path under a folder"))
    read_only = bool(os.statvfs(existing).f_flag & os.ST_RDONLY)
    if read_only or not os.access(existing, os.W_OK | os.X_OK):
        raise InputError(
            Problem(
                str(out),
                f"cannot be written: {existing} is {'on a read-only file system' if read_only else 'not writable'}",
                expected="a folder you may write to",
            )
        )


def write_folder(out: Path, files: Mapping[str, str | bytes]) -> Path:
    out = Path(out)
    check_replaceable(out)
    files = {**files, MARKER: MARKER_TEXT.format(run=uuid.uuid4().hex)}
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
    delete staging and moved-aside folders (we hold the lock, so no other writer owns them).

    The leftovers are found by listing the parent and matching whole names, never by a glob built
    from the path: ``--out 'dir/*'`` or ``run[1]`` must not match (or miss) other folders' files."""
    name = re.escape(out.name)
    aside_name = re.compile(rf"\.{name}\.old-\d+")
    staging_name = re.compile(rf"\.{name}\.tmp-\d+-[A-Za-z0-9_]+")
    siblings = [entry for entry in out.parent.iterdir() if entry.is_dir() and not entry.is_symlink()]
    leftovers_aside = sorted(
        (entry for entry in siblings if aside_name.fullmatch(entry.name)), key=lambda p: p.stat().st_mtime
    )
    if not out.exists() and leftovers_aside:
        os.rename(leftovers_aside.pop(), out)
    for leftover in leftovers_aside + [entry for entry in siblings if staging_name.fullmatch(entry.name)]:
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
