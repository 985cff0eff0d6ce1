"""Scenario files: where they are, what they say, and which scenarios they extend."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from optimizer.errors import InputError, Problem, display_name
from optimizer.instance.instance import OBJECTIVES, Instance
from optimizer.instance.origin import ORIGIN_SETTINGS, read_origin_settings
from optimizer.yamlio import Lines, line_of, load_yaml

OPERATIONS = ("set", "scale", "add", "drop")
SCENARIO_KEYS = ("name", "description", "objective", "extends", "changes", "constraints", *ORIGIN_SETTINGS)
CHANGE_KEYS = ("table", "where", "periods") + OPERATIONS
BASE = "base"


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    changes: tuple[dict, ...]
    file: str
    lines: Lines
    path: Path | None
    objective: str | None = None
    extends: str | None = None
    origin: dict | None = None  # transit / tracked_regions overrides (E2, E3)
    constraints: object = None  # the raw ``constraints:`` list, read against the changed instance


def scenario_path(instance: Instance, name_or_file: str | Path) -> Path | None:
    """The file of a scenario given by path or by name in the instance's ``scenarios/`` folder."""
    path = Path(name_or_file)
    if path.suffix in (".yaml", ".yml") and path.is_file():
        return path
    for suffix in (".yaml", ".yml"):
        candidate = instance.folder / "scenarios" / f"{name_or_file}{suffix}"
        if candidate.is_file():
            return candidate
    return None


def list_scenarios(instance: Instance) -> list[str]:
    folder = instance.folder / "scenarios"
    return sorted(p.stem for p in folder.glob("*.y*ml")) if folder.is_dir() else []


def load_scenario(instance: Instance, name_or_file: str | Path) -> Scenario:
    path = scenario_path(instance, name_or_file)
    if path is None:
        known = ", ".join(list_scenarios(instance)) or "none"
        raise InputError(
            Problem(
                str(name_or_file), "no such scenario", expected=f"a YAML file or a scenario of {instance.name}: {known}"
            )
        )
    data, lines = load_yaml(path)
    name = display_name(path)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InputError(Problem(name, "is not a mapping", line=1, expected="keys name, description, changes"))
    for key in data:
        if key not in SCENARIO_KEYS:
            raise InputError(
                Problem(
                    name,
                    f"unknown key '{key}'",
                    line=line_of(lines, (key,)),
                    expected="one of " + ", ".join(SCENARIO_KEYS),
                )
            )
    changes = data.get("changes") or []
    if not isinstance(changes, list) or not all(isinstance(c, dict) for c in changes):
        raise InputError(
            Problem(
                name,
                "'changes' is not a list of changes",
                line=line_of(lines, ("changes",)),
                expected="a list of mappings with table and one of " + ", ".join(OPERATIONS),
            )
        )
    extends = data.get("extends")
    if extends is not None and not isinstance(extends, str):
        raise InputError(
            Problem(
                name,
                f"extends '{extends}' is not a scenario name",
                line=line_of(lines, ("extends",)),
                column="extends",
                expected="the name of another scenario of the instance",
            )
        )
    objective = data.get("objective")
    if objective not in (None, *OBJECTIVES):
        raise InputError(
            Problem(
                name,
                f"'{objective}' is not an objective",
                line=line_of(lines, ("objective",)),
                expected="cost or value",
            )
        )
    for key in ("name", "description"):
        if isinstance(data.get(key), list | dict):
            raise InputError(
                Problem(
                    name,
                    f"'{key}' is not text",
                    line=line_of(lines, (key,)),
                    column=key,
                    expected="a word or a sentence",
                )
            )

    def fail(key: str, message: str, expected: str | None = None) -> InputError:
        return InputError(Problem(name, message, line=line_of(lines, (key,)), column=key, expected=expected))

    origin = read_origin_settings(data, fail) or None
    return Scenario(
        name=str(data.get("name") or path.stem),
        description=str(data.get("description") or ""),
        changes=tuple(changes),
        file=name,
        lines=lines,
        path=path,
        objective=objective,
        extends=extends,
        origin=origin,
        constraints=data.get("constraints"),
    )


def extension_chain(instance: Instance, name_or_file) -> list[Scenario]:
    chain: list[Scenario] = []
    seen: set[str] = set()
    current, child = name_or_file, None
    while current is not None:
        if child is not None and scenario_path(instance, current) is None:
            raise InputError(
                Problem(
                    child.file,
                    f"extends '{current}', which is no scenario of {instance.name}",
                    line=line_of(child.lines, ("extends",)),
                    column="extends",
                    expected="one of " + (", ".join(list_scenarios(instance)) or "none"),
                )
            )
        scenario = load_scenario(instance, current)
        if scenario.file in seen:
            raise InputError(
                Problem(
                    scenario.file,
                    "scenarios extend each other in a circle",
                    line=line_of(scenario.lines, ("extends",)),
                    column="extends",
                )
            )
        seen.add(scenario.file)
        chain.insert(0, scenario)
        current, child = scenario.extends, scenario
    return chain
