"""The errors a user can cause, and the exit codes they map to.

Every problem with the user's files is an :class:`InputError`: it names the file, the line (row),
the column and what was expected, so that the command line can print it without a traceback and
exit with code 2. Nothing else in the package raises for bad input.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_INPUT = 2
EXIT_INFEASIBLE = 3
EXIT_TIME_LIMIT = 4


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one place in one input file."""

    file: str
    message: str
    line: int | None = None
    column: str | None = None
    expected: str | None = None

    def __str__(self) -> str:
        where = self.file or "usage"
        if self.line is not None:
            where += f", line {self.line}"
        if self.column is not None:
            where += f", column '{self.column}'"
        text = f"{where}: {self.message}" if self.file else self.message
        if self.expected:
            text += f" (expected {self.expected})"
        return text


class InputError(Exception):
    """Bad input data or usage. Carries one or more :class:`Problem`."""

    def __init__(self, problems: list[Problem] | Problem | str):
        if isinstance(problems, str):
            problems = [Problem(file="", message=problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        super().__init__(str(self))

    def __str__(self) -> str:
        shown = [str(p) for p in self.problems[:20]]
        if len(self.problems) > 20:
            shown.append(f"... and {len(self.problems) - 20} more problems")
        return "\n".join(shown)


def display_name(path: Path | str) -> str:
    """A short name for a file in messages: relative to the working directory when possible."""
    path = Path(path)
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
