"""The hedge's inputs checked: scenarios with probabilities, the decision year, the CVaR level and weight.

Every problem is an :class:`~optimizer.errors.InputError` that says what was given and what was
expected (the command line prints it and exits with code 2).

>>> parse_weighted(["base:0.7", "cn_export_controls:0.3"])
[('base', 0.7), ('cn_export_controls', 0.3)]
>>> check_scenarios([("base", 0.7), ("cn_export_controls", 0.3)])[1].tolist()
[0.7, 0.3]
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from optimizer.errors import InputError, Problem

TOLERANCE = 1e-6  # probabilities summing to 1 within this are accepted (0.333 + 0.333 + 0.334 is not)


def parse_weighted(texts: Sequence[str]) -> list[tuple[str, float]]:
    """``NAME:PROBABILITY`` pairs (the last colon splits, so a path may hold colons)."""
    pairs = []
    for text in texts:
        name, colon, value = str(text).rpartition(":")
        if not colon or not name:
            raise InputError(Problem("", f"-s {text}: no probability", expected="NAME:PROBABILITY, e.g. base:0.7"))
        try:
            probability = float(value)
        except ValueError:
            raise InputError(
                Problem("", f"-s {text}: '{value}' is not a number", expected="NAME:PROBABILITY, e.g. base:0.7")
            ) from None
        pairs.append((name, probability))
    return pairs


def check_scenarios(scenarios: Sequence[tuple[str, float]]) -> tuple[list[str], np.ndarray]:
    """Names and probabilities: at least one scenario, each probability in (0, 1], summing to 1."""
    if not scenarios:
        raise InputError(Problem("", "no scenarios", expected="one or more -s NAME:PROBABILITY"))
    names = [str(name) for name, _ in scenarios]
    pi = np.array([float(p) for _, p in scenarios])
    for name, p in zip(names, pi, strict=True):
        if not math.isfinite(p) or p <= 0 or p > 1:
            raise InputError(Problem("", f"scenario {name} has probability {p:g}", expected="a probability in (0, 1]"))
    if len(set(names)) < len(names):
        raise InputError(Problem("", f"scenarios {', '.join(names)} name one twice", expected="each scenario once"))
    if abs(pi.sum() - 1.0) > TOLERANCE:
        raise InputError(
            Problem(
                "",
                f"the probabilities {', '.join(f'{p:g}' for p in pi)} sum to {pi.sum():g}",
                expected="probabilities summing to 1",
            )
        )
    return names, pi / pi.sum()


def check_decide_until(year: int | None, periods: Sequence[int]) -> int:
    """The decision year: builds commissioned before it are shared. Default: the second period."""
    if year is None:
        return int(periods[1]) if len(periods) > 1 else int(periods[0]) + 1
    if year <= periods[0]:
        raise InputError(
            Problem(
                "",
                f"--decide-until {year} is not after the first period {periods[0]}: no build would be decided now",
                expected=f"a year after {periods[0]}",
            )
        )
    return int(year)


def parse_cvar(text: str) -> tuple[float, float]:
    """``ALPHA:WEIGHT``, e.g. ``0.9:1``."""
    alpha, colon, weight = str(text).partition(":")
    if not colon:
        raise InputError(Problem("", f"--cvar {text}: no weight", expected="ALPHA:WEIGHT, e.g. 0.9:1"))
    try:
        return check_cvar((float(alpha), float(weight)))
    except ValueError:
        raise InputError(Problem("", f"--cvar {text}", expected="ALPHA:WEIGHT, e.g. 0.9:1")) from None


def check_cvar(cvar: tuple[float, float]) -> tuple[float, float]:
    """α in [0, 1) and a weight λ ≥ 0."""
    alpha, weight = (float(v) for v in cvar)
    if not (0 <= alpha < 1):
        raise InputError(Problem("", f"CVaR level alpha {alpha:g}", expected="ALPHA:WEIGHT with 0 <= ALPHA < 1"))
    if not (math.isfinite(weight) and weight >= 0):
        raise InputError(Problem("", f"CVaR weight {weight:g}", expected="ALPHA:WEIGHT with WEIGHT >= 0"))
    return alpha, weight
