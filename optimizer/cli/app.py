"""The ``reeopt`` application: its options shared by several commands, its consoles, its exit codes."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from optimizer.errors import EXIT_ERROR, EXIT_INFEASIBLE, EXIT_OK, EXIT_TIME_LIMIT

app = typer.Typer(
    help="reeopt: least-cost sourcing, marginal values and build-outs of the rare earth supply chain.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# Rich's help tables cut long words and option names with an ellipsis when they must squeeze into a
# narrow terminal; below this width the help is click's plain text, which wraps and never cuts.
RICH_HELP_MIN_WIDTH = 100


def configure_help() -> None:
    """Choose the help's look for the terminal's width (``COLUMNS`` first, as rich and click read it)."""
    width = shutil.get_terminal_size((80, 24)).columns
    app.rich_markup_mode = "rich" if width >= RICH_HELP_MIN_WIDTH else None


out_console = Console()
err_console = Console(stderr=True)

InstanceArg = Annotated[str, typer.Argument(help="Instance folder, or the name of a folder under instances/.")]
ScenarioOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--scenario",
        "-s",
        help="Scenario: a name in the instance's scenarios/ folder, or a YAML file; repeatable; a+b applies a, then b.",
    ),
]
LabelOpt = Annotated[
    list[str] | None,
    typer.Option(help="Name of the run in tables and reports (default: the scenario's); one per --scenario."),
]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors (for scripts).")]
VaryOpt = Annotated[Path | None, typer.Option(help="Uncertainty spec (default: the instance's uncertainty.yaml).")]
WorkersOpt = Annotated[int, typer.Option(help="Local Dask worker processes (0: in this process).", min=0)]
SchedulerOpt = Annotated[str | None, typer.Option(help="Address of an existing Dask scheduler.")]
SeedOpt = Annotated[int, typer.Option(help="Seed of the random samples.")]
ExactOpt = Annotated[bool, typer.Option(help="Keep lumpy builds integer (slower); default: the LP relaxation.")]


def exit_code(status: str, has_solution: bool) -> int:
    if status == "optimal":
        return EXIT_OK
    if status in ("infeasible", "unbounded"):
        return EXIT_INFEASIBLE
    if status == "time_limit":
        return EXIT_OK if has_solution else EXIT_TIME_LIMIT
    return EXIT_ERROR
