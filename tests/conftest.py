from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import pytest
from hypothesis import settings

from optimizer import cli
from optimizer.cli.app import err_console, out_console

# The same examples on every run (CI included): a property test that fails, fails every time, and a
# fix can be checked against the very example that broke it. `pytest --slow` explores at random.
settings.register_profile("reproducible", derandomize=True, database=None)
settings.register_profile("explore")


def pytest_addoption(parser):
    parser.addoption("--slow", action="store_true", default=False, help="run the long property-based tests")


def pytest_configure(config):
    settings.load_profile("explore" if config.getoption("--slow") else "reproducible")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--slow"):
        return
    skip = pytest.mark.skip(reason="long run: use --slow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@dataclass
class Run:
    code: int
    out: str
    err: str


@pytest.fixture
def reeopt(capsys, monkeypatch, tmp_path):
    """Run the command line in this process: ``reeopt("solve", "toy", "--out", ...)`` → Run."""
    monkeypatch.setenv("COLUMNS", "200")
    # rich fixes a console's width at creation when COLUMNS is set then (as in pytest-xdist's workers)
    for console in (out_console, err_console):
        monkeypatch.setattr(console, "width", 200)

    def run(*args: str) -> Run:
        monkeypatch.setattr(sys, "argv", ["reeopt", *map(str, args)])
        with pytest.raises(SystemExit) as exit_info:
            cli.main()
        captured = capsys.readouterr()
        code = exit_info.value.code
        return Run(code=0 if code is None else int(code), out=captured.out, err=captured.err)

    return run


def run_process(*args: str, cwd=None, timeout: float = 120) -> Run:
    """The command line in a fresh process, as a user runs it."""
    done = subprocess.run(
        [sys.executable, "-m", "optimizer", *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=timeout
    )
    return Run(code=done.returncode, out=done.stdout, err=done.stderr)


def once_per_run(tmp_path_factory, name: str, write: Callable[[Path], None]) -> Path:
    """A folder that ``write(folder)`` fills once per test run, for fixtures whose tests only read it.

    pytest-xdist computes a module-scoped fixture in every worker that runs one of the module's tests,
    and ``--dist worksteal`` splits a module between the two workers when one of them runs dry: the
    fixture's solves then ran twice. Here the first worker to ask writes the folder (under a lock, in
    the run's own temporary directory that all its workers share) and any other reads it."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # the run's directory; each worker's basetemp is a folder in it
    folder, done = base / f"once-{name}", base / f"once-{name}.done"
    with open(base / f"once-{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not done.exists():  # a worker whose write failed left no mark: the next one retries
                shutil.rmtree(folder, ignore_errors=True)
                folder.mkdir()
                write(folder)
                done.touch()
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return folder


def run_process_once(tmp_path_factory, name: str, *args: str, timeout: float = 120) -> Run:
    """:func:`run_process` of ``args`` once per test run (see :func:`once_per_run`), its output kept."""

    def write(folder: Path) -> None:
        (folder / "run.json").write_text(json.dumps(asdict(run_process(*args, timeout=timeout))))

    return Run(**json.loads((once_per_run(tmp_path_factory, name, write) / "run.json").read_text()))
