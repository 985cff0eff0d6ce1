"""Instances as every entry point takes them: a folder path, a name under ``instances/`` or one already
loaded, with a scenario applied. ``optimizer.load`` and ``optimizer.api.load`` are this function."""

from __future__ import annotations

from pathlib import Path

from optimizer.instance import Instance, load_instance
from optimizer.scenario import apply_scenario


def load(instance: str | Path | Instance, scenario: str | Path | None = None) -> Instance:
    """An instance (folder path, name under ``instances/``, or an already loaded one) with a scenario."""
    if not isinstance(instance, Instance):
        instance = load_instance(instance)
    return apply_scenario(instance, scenario) if scenario is not None else instance
