"""Progress while a command runs, on stderr: a spinner naming the stage, or a bar of runs done."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from rich.console import Console

STAGE_WORDS = {
    "load": "Reading and checking the instance",
    "check": "Checking the network",
    "build": "Building the model",
    "solve": "Solving with HiGHS",
    "diagnose": "Diagnosing",
    "write": "Writing results",
    "account": "Tracing sources and accounts",
}


@contextlib.contextmanager
def progress(console: Console, quiet: bool) -> Iterator:
    """A spinner naming the current stage (on stderr); a no-op when quiet."""
    if quiet:
        yield lambda stage: None
        return
    with console.status("Starting") as status:
        yield lambda stage: status.update(STAGE_WORDS.get(stage, stage) + " ...")


class _Bar:
    """What a many-run command reports: the current stage (``stage``) and runs done (``runs``)."""

    def __init__(self, bar=None, task=None):
        self.bar, self.task = bar, task

    def stage(self, stage: str) -> None:
        if self.bar is not None:
            self.bar.update(self.task, status=STAGE_WORDS.get(stage, stage))

    def runs(self, done: int, total: int) -> None:
        if self.bar is not None:
            self.bar.update(self.task, completed=done, total=total)

    def __call__(self, stage: str) -> None:  # usable where a stage callback is expected
        self.stage(stage)


@contextlib.contextmanager
def run_progress(console: Console, quiet: bool, description: str, total: int | None = None) -> Iterator[_Bar]:
    """A progress bar (on stderr) with runs done, elapsed and remaining time, for commands of many
    solves (compare, sweep, sensitivity, alternatives, chokepoints); a no-op when quiet."""
    if quiet:
        yield _Bar()
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = (
        TextColumn("{task.description}"),
        BarColumn(bar_width=24),
        MofNCompleteColumn(),
        TextColumn("elapsed"),
        TimeElapsedColumn(),
        TextColumn("remaining"),
        TimeRemainingColumn(),
        TextColumn("{task.fields[status]}"),
    )
    with Progress(*columns, console=console, transient=False) as bar:
        task = bar.add_task(description, total=total, status="")
        handle = _Bar(bar, task)
        yield handle
        bar.update(task, completed=bar.tasks[0].total or 0, status="done")
