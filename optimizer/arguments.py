"""The checks the Python API and the command line make on their arguments (one set, so they agree).

Each raises :class:`~optimizer.errors.InputError` with the option's command-line name, so that a
notebook user and a terminal user read the same message.
"""

from __future__ import annotations

from pathlib import Path

from optimizer.errors import InputError
from optimizer.instance import Instance
from optimizer.instance.instance import OBJECTIVES


def check_solve_arguments(
    objective: str | None = None,
    time_limit: float | None = None,
    mip_gap: float | None = None,
    export_model: str | Path | None = None,
) -> None:
    """The checks the command line makes on these options, raised as :class:`InputError` (both use this).

    >>> check_solve_arguments(objective="profit")
    Traceback (most recent call last):
    ...
    optimizer.errors.InputError: --objective must be cost or value, not 'profit'
    """
    if objective is not None and objective not in OBJECTIVES:
        raise InputError(f"--objective must be {' or '.join(OBJECTIVES)}, not '{objective}'")
    for option, value in (("time_limit", time_limit), ("mip_gap", mip_gap)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0):
            raise InputError(f"--{option.replace('_', '-')} must be a number >= 0, not {value!r}")
    if export_model is not None and Path(export_model).suffix not in (".lp", ".mps"):
        raise InputError(f"--export-model needs a .lp or .mps file, not '{export_model}'")


def check_count(option: str, value, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise InputError(f"--{option} must be a whole number >= {minimum}, not {value!r}")


def check_scenario(scenario) -> None:
    if scenario is not None and not isinstance(scenario, str | Path):
        raise InputError(f"a scenario is a name or a YAML file, not {scenario!r}")


def check_names(names, known: list[str], option: str, what: str) -> tuple[str, ...]:
    """``names`` as a tuple of known names: a lone string is one name, never its letters."""
    if isinstance(names, str):
        names = (names,)
    if not isinstance(names, list | tuple | set | frozenset) or not all(isinstance(n, str) for n in names):
        raise InputError(f"--{option} takes {what} names, not {names!r}")
    unknown = [name for name in names if name not in known]
    if unknown:
        raise InputError(f"--{option}: unknown {what} '{unknown[0]}' (expected one of {', '.join(known)})")
    return tuple(names)


def check_period(period, instance: Instance) -> None:
    if period is not None and (isinstance(period, bool) or period not in instance.periods):
        raise InputError(f"--period {period!r} is not a period of {instance.name}: {list(instance.periods)}")
