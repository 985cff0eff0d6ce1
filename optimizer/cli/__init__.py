"""The ``reeopt`` command: parse arguments, call the API, print. Nothing else lives here.

Exit codes (INTERFACE.md): 0 solved (optimal, within the MIP gap, or a feasible point at the time
limit, marked as such); 2 bad input or usage; 3 infeasible or unbounded; 4 time limit without a
feasible solution; 1 anything else.
"""

from __future__ import annotations

import gc
import os
import sys

import pandas as pd

from optimizer.cli import backcast, hedge, questions, run, uncertainty  # noqa: F401 - importing registers the commands
from optimizer.cli.app import app, configure_help, err_console, exit_code
from optimizer.errors import EXIT_ERROR, EXIT_INPUT, InputError

__all__ = ["app", "exit_code", "main", "program"]


def main() -> None:
    configure_help()
    # A command owns its run: pandas' NumPy-backed strings make the same tables and files as its
    # Arrow-backed default, ~20 % faster on the many small frames of a solve (no conversion each time
    # an index is looked up; benchmarks/README.md, fifth round); callers in the same process (tests,
    # notebooks) get their setting back when the command returns.
    with pd.option_context("mode.string_storage", "python"):
        _run()


def _run() -> None:
    try:
        app()  # click handles usage errors itself (exit 2) and turns typer.Exit into the exit code
    except InputError as error:
        err_console.print(f"[red]error:[/red] {error}", highlight=False, soft_wrap=True)
        sys.exit(EXIT_INPUT)
    except KeyboardInterrupt:
        err_console.print("[red]interrupted[/red]")
        sys.exit(EXIT_ERROR)
    except Exception as error:  # noqa: BLE001 - the last line of defence of a command-line tool
        if os.environ.get("REEOPT_DEBUG"):
            raise
        err_console.print(
            f"[red]internal error:[/red] {type(error).__name__}: {error}\n"
            "Set REEOPT_DEBUG=1 to see the traceback, and please report it.",
            highlight=False,
        )
        sys.exit(EXIT_ERROR)


def program() -> None:
    """The ``reeopt`` program (``python -m optimizer`` too): :func:`main`, then the process ends without
    the interpreter's last garbage collection.

    A Pyomo model is millions of objects in reference cycles; collecting them at exit costs ~0.5 s on
    world and frees nothing the operating system would not take back anyway, so they are frozen
    (:func:`gc.freeze`) once the command is done. ``main`` itself leaves the collector alone: tests and
    notebooks call it in a process that goes on.
    """
    try:
        main()
    finally:
        gc.freeze()
