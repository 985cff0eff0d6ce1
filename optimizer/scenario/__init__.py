"""Scenarios: YAML files of changes (``set``, ``scale``, ``add``, ``drop``) applied to an instance.

The language is INTERFACE.md's. A change picks rows of one table with ``where`` (a value, a list
of values, or ``{not: ...}`` per column) and optionally ``periods`` (``{from, to}``, a year or a
list of years); a ``where`` that matches nothing is an error, because it is almost always a typo.
Nothing in a scenario is evaluated as code: the file is read with ``yaml.safe_load``.

``periods`` on a row that holds for every period (blank ``period``) first copies that row to each
period it does not already have a dated row for, then changes only the copies in range, which is
exactly what the period-override rule of the tables means. With ``add``, ``periods`` adds each row
once per period in range (the rows then give no ``period``). ``where: {period: null}`` picks the rows
that hold for every period (blank ``period``); ``{period: {not: null}}`` the dated ones.

Scenarios combine on the command line: ``-s a+b`` applies ``a``, then ``b`` (each with what it
extends), and is named ``a+b``; a file named ``a+b.yaml`` takes precedence.
"""

from optimizer.scenario.changes import apply_changes, apply_scenario
from optimizer.scenario.files import BASE, Scenario, list_scenarios, load_scenario, scenario_path

__all__ = ["BASE", "Scenario", "apply_changes", "apply_scenario", "list_scenarios", "load_scenario", "scenario_path"]
