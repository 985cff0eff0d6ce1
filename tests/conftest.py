from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass

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
