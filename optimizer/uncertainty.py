"""Uncertain inputs: a YAML spec of distributions over the instance's tables, and samples drawn from it.

```yaml
inputs:
  - name: magnet_demand                 # a column of the samples table
    table: demand
    where: {commodity: ndfeb_magnet}     # the scenario language's where (and optional periods)
    column: quantity
    scale: {triangular: [0.8, 1.0, 1.5]} # a multiplier drawn per sample
  - name: cn_dy_tb_ban
    table: quotas
    where: {quota: cn_apr2025_DyTb}
    column: limit
    set: 0                               # an event: with this probability the column is set to 0
    probability: 0.3
```

Distributions of multipliers: ``uniform: [low, high]``, ``triangular: [low, mode, high]``,
``normal: [mean, sd]`` (cut at 0) and ``lognormal: [mu, sigma]`` (of the log). A sample is one
number per input (a multiplier, or 1/0 for an event that fires or not) and becomes an in-memory
scenario, so that every rule of the scenario language (and its errors, pointing at this file)
applies. Samples are drawn up front from one seed, so a sweep gives the same inputs however its
work is spread.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from optimizer.errors import InputError, Problem, display_name
from optimizer.instance import Instance
from optimizer.scenario import Scenario, apply_changes
from optimizer.yamlio import line_of, load_yaml

DISTRIBUTIONS = {"uniform": 2, "triangular": 3, "normal": 2, "lognormal": 2}
INPUT_KEYS = ("name", "table", "where", "periods", "column", "scale", "set", "probability", "description")


@dataclass(frozen=True)
class UncertainInput:
    name: str
    table: str
    column: str
    where: dict | None
    periods: object
    distribution: str | None  # None for an event
    parameters: tuple[float, ...]
    set_value: float | None
    probability: float
    line: int | None

    @property
    def is_event(self) -> bool:
        return self.distribution is None

    def bounds(self) -> tuple[float, float]:
        """The range a sensitivity analysis explores: the support, or mean ± 2 sd; [0, 1] for events."""
        if self.is_event:
            return 0.0, 1.0
        p = self.parameters
        if self.distribution in ("uniform", "triangular"):
            return p[0], p[-1]
        if self.distribution == "normal":
            return max(0.0, p[0] - 2 * p[1]), p[0] + 2 * p[1]
        return math.exp(p[0] - 2 * p[1]), math.exp(p[0] + 2 * p[1])


@dataclass(frozen=True)
class UncertaintySpec:
    inputs: tuple[UncertainInput, ...]
    outputs: tuple[str, ...]
    file: str
    path: Path

    @property
    def names(self) -> list[str]:
        return [item.name for item in self.inputs]


def default_spec_path(instance: Instance) -> Path | None:
    path = instance.folder / "uncertainty.yaml"
    return path if path.is_file() else None


def load_spec(path: Path) -> UncertaintySpec:
    data, lines = load_yaml(Path(path))
    name = display_name(path)

    def fail(message: str, where: tuple, expected: str | None = None) -> InputError:
        return InputError(Problem(name, message, line=line_of(lines, where), expected=expected))

    if not isinstance(data, dict) or not isinstance(data.get("inputs"), list) or not data["inputs"]:
        raise fail("needs a list of inputs", ("inputs",), "inputs: [{name, table, where, column, scale or set}]")
    inputs = []
    for position, item in enumerate(data["inputs"]):
        here = ("inputs", position)
        if not isinstance(item, dict):
            raise fail(f"input {position + 1} is not a mapping", here)
        unknown = set(item) - set(INPUT_KEYS)
        if unknown:
            raise fail(f"input {position + 1}: unknown key '{sorted(unknown)[0]}'", here, ", ".join(INPUT_KEYS))
        for key in ("name", "table", "column"):
            if not isinstance(item.get(key), str):
                raise fail(f"input {position + 1} needs '{key}'", here)
        if ("scale" in item) == ("set" in item):
            raise fail(f"input {position + 1} needs either scale (a distribution) or set (an event)", here)
        distribution, parameters, set_value, probability = None, (), None, 1.0
        if "scale" in item:
            spec = item["scale"]
            if not isinstance(spec, dict) or len(spec) != 1 or next(iter(spec)) not in DISTRIBUTIONS:
                raise fail(
                    f"input {position + 1}: scale needs one distribution",
                    here + ("scale",),
                    "one of " + ", ".join(DISTRIBUTIONS),
                )
            distribution, values = next(iter(spec.items()))
            if (
                not isinstance(values, list)
                or len(values) != DISTRIBUTIONS[distribution]
                or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
            ):
                raise fail(
                    f"input {position + 1}: {distribution} takes {DISTRIBUTIONS[distribution]} numbers",
                    here + ("scale",),
                )
            parameters = tuple(float(v) for v in values)
            if distribution in ("uniform", "triangular") and not all(
                a <= b for a, b in zip(parameters, parameters[1:], strict=False)
            ):
                raise fail(f"input {position + 1}: {distribution} bounds must increase", here + ("scale",))
        else:
            set_value = item["set"]
            probability = item.get("probability", 1.0)
            if not isinstance(probability, int | float) or not 0 <= probability <= 1:
                raise fail(f"input {position + 1}: probability must lie in [0, 1]", here + ("probability",))
        inputs.append(
            UncertainInput(
                name=item["name"],
                table=item["table"],
                column=item["column"],
                where=item.get("where"),
                periods=item.get("periods"),
                distribution=distribution,
                parameters=parameters,
                set_value=set_value,
                probability=float(probability),
                line=line_of(lines, here),
            )
        )
    names = [i.name for i in inputs]
    if len(set(names)) != len(names):
        raise fail("input names must be unique", ("inputs",))
    outputs = data.get("outputs") or []
    return UncertaintySpec(inputs=tuple(inputs), outputs=tuple(str(o) for o in outputs), file=name, path=Path(path))


def draw(spec: UncertaintySpec, samples: int, seed: int) -> pd.DataFrame:
    """``samples`` rows, one column per input: multipliers, or 1/0 for events."""
    rng = np.random.default_rng(seed)
    columns = {}
    for item in spec.inputs:
        p = item.parameters
        if item.is_event:
            columns[item.name] = (rng.random(samples) < item.probability).astype(float)
        elif item.distribution == "uniform":
            columns[item.name] = rng.uniform(p[0], p[1], samples)
        elif item.distribution == "triangular":
            columns[item.name] = rng.triangular(p[0], p[1], p[2], samples) if p[0] < p[2] else np.full(samples, p[0])
        elif item.distribution == "normal":
            columns[item.name] = np.maximum(0.0, rng.normal(p[0], p[1], samples))
        else:
            columns[item.name] = rng.lognormal(p[0], p[1], samples)
    frame = pd.DataFrame(columns)
    frame.insert(0, "sample", np.arange(samples))
    return frame


def sample_scenario(spec: UncertaintySpec, values: dict, label: str) -> Scenario:
    """The in-memory scenario of one sample; an event input fires when its value is >= 0.5."""
    changes, lines = [], {}
    for item in spec.inputs:
        change = {"table": item.table}
        if item.where is not None:
            change["where"] = item.where
        if item.periods is not None:
            change["periods"] = item.periods
        if item.is_event:
            if values[item.name] < 0.5:
                continue
            change["set"] = {item.column: item.set_value}
        else:
            change["scale"] = {item.column: float(values[item.name])}
        position = len(changes)
        for key in ("", "where", "periods", "set", "scale"):
            lines[("changes", position) + ((key,) if key else ())] = item.line
        changes.append(change)
    return Scenario(
        name=label, description=f"sample {label}", changes=tuple(changes), file=spec.file, lines=lines, path=None
    )


def check_spec(instance: Instance, spec: UncertaintySpec) -> None:
    """Apply every input once (events fired) so that a ``where`` matching nothing fails before a sweep."""
    values = {item.name: 1.0 for item in spec.inputs}
    apply_changes(instance, [sample_scenario(spec, values, "check")])
