"""A run registry: what went into a results folder, so that two runs can be told apart and compared.

Every results folder records, in ``summary.json`` under ``run``, the SHA-256 of each input file
(instance.yaml, the CSV tables, the scenario files applied), one hash of them all
(``input_hash``), the versions of reeopt and of the libraries that decide the numbers, the solver
options, and when it ran. ``inputs/`` holds the tables as the model saw them (scenario applied),
which is what ``reeopt diff`` compares row by row.
"""

from __future__ import annotations

import functools
import hashlib
import json
import platform
import time
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from optimizer.instance import Instance
from optimizer.instance.instance import SETTINGS
from optimizer.instance.schema import TABLES

LIBRARIES = ("reeopt", "highspy", "numpy", "pandas", "scipy", "networkx", "pyomo")


def input_files(instance: Instance) -> list[Path]:
    folder = instance.folder
    files = [folder / "instance.yaml"] + [folder / table.file for table in TABLES.values()]
    return [path for path in files if path.exists()] + list(instance.scenario_files)


def run_record(instance: Instance, solver_options: dict) -> dict:
    """The ``run`` block of summary.json."""
    files = {}
    for path in input_files(instance):
        name = path.name if path.parent == instance.folder else f"scenarios/{path.name}"
        stat = path.stat()
        files[name] = _file_hash(path, stat.st_mtime_ns, stat.st_size)
    combined = hashlib.sha256(json.dumps(files, sort_keys=True).encode()).hexdigest()
    return {
        "input_hash": combined,
        "files": files,
        "versions": dict(_versions()),
        "solver_options": solver_options,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def effective_inputs(instance: Instance) -> dict[str, str]:
    """The tables (scenario applied) and settings the model was built from, as files of ``inputs/``."""
    from optimizer.output.results import table_csv  # output imports the solution; the registry is below it

    files = {}
    for name, frame in instance.tables.items():
        table = frame.drop(columns="line")
        for column in TABLES[name].columns:
            if column.kind == "list":
                table[column.name] = table[column.name].map(";".join)
        files[f"inputs/{name}.csv"] = table_csv(table)
    settings = {key: getattr(instance, key) for key in (*SETTINGS, "scenario", "scenario_description")}
    settings["periods"], settings["period_lengths"] = list(instance.periods), list(instance.period_lengths)
    files["inputs/settings.json"] = json.dumps(settings, indent=1) + "\n"
    return files


@functools.lru_cache(maxsize=256)
def _file_hash(path: Path, mtime_ns: int, size: int) -> str:
    """SHA-256 of a file, read once per version of it (a study re-solving hashes the same files)."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


@functools.cache
def _versions() -> tuple[tuple[str, str], ...]:
    """Python's and the libraries' versions (package metadata is read from disk: once per process)."""
    versions = {"python": platform.python_version()}
    for library in LIBRARIES:
        try:
            versions[library] = version(library)
        except PackageNotFoundError:
            continue
    return tuple(versions.items())
