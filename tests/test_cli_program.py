"""The ``reeopt`` program (``python -m optimizer``, :func:`optimizer.cli.program`): the exit codes and
messages of :func:`optimizer.cli.main`, and no final garbage collection over what the command built.

Run in child processes: ``program`` freezes the collector's objects for good, which a test process
must not do to itself.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# atexit handlers run after program() has returned (or raised SystemExit) and before the interpreter's
# own last collection: the place to see whether the objects were frozen.
CHILD = """
import atexit, gc, sys
atexit.register(lambda: print("frozen", gc.get_freeze_count() > 0))
from optimizer.cli import program
sys.argv = ["reeopt", *sys.argv[1:]]
program()
"""


def child(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", CHILD, *args], capture_output=True, text=True, cwd=REPO, timeout=120)


def test_program_keeps_the_exit_code_of_success_and_freezes():
    done = child("--help")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("frozen True")


def test_program_keeps_the_input_error_exit_code_and_message():
    done = child("validate", "no_such_instance_anywhere")
    assert done.returncode == 2
    assert "no_such_instance_anywhere" in done.stderr and "Traceback" not in done.stderr
    assert done.stdout.strip().endswith("frozen True")


def test_python_dash_m_runs_the_program():
    done = subprocess.run(
        [sys.executable, "-m", "optimizer", "validate", "no_such_instance_anywhere"],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr
