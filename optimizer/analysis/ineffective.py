"""Changes of a scenario that alter nothing, found against the base optimum (``reeopt validate -s``).

A change is applied alone to the base instance and the tables compared; it is reported when

* it leaves every table as it was (the values were already so);
* it only raises the costs (``cost``, ``tariff``; a process's ``cost_*``) of trade links or processes
  that carry nothing in the base optimum: the base optimum stays feasible and no cheaper, so it
  stays optimal;
* it only changes capacities of links or processes where they do not bind: lowered to no less than
  what the base optimum uses there (it stays feasible, so optimal), or raised where the old capacity
  was not reached (an inactive constraint relaxed: for an LP the optimum stays).

These are sufficient conditions (LP optimality), not necessary ones: a change not reported may still
alter nothing. Changes of other tables (demand, quotas ...) are not judged.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from optimizer.errors import InputError
from optimizer.instance import Instance
from optimizer.scenario.changes import apply_changes
from optimizer.scenario.files import Scenario
from optimizer.solution import Solution

TOLERANCE = 1e-6
JUDGED = {
    # table: (key columns of its expanded rows, cost columns, the solution's table and its flow column)
    "trade": (["commodity", "origin", "destination", "period"], ["cost", "tariff", "tariff_rate"], "trade", "shipped"),
    "processes": (
        ["process", "region", "period"],
        ["cost_system", "cost_energy", "cost_material", "cost_waste"],
        "activity",
        "activity",
    ),
}


def ineffective_changes(base: Instance, chain: list[Scenario], optimum: Solution) -> list[str]:
    """Hints, one per change of ``chain`` that alters nothing in the base optimum ``optimum``."""
    hints = []
    for scenario in chain:
        for position, change in enumerate(scenario.changes):
            single = dataclasses.replace(scenario, changes=(change,), extends=None, constraints=None)
            try:
                changed = apply_changes(base, [single])
            except InputError:  # it needs the changes before it (rows they add): not judged alone
                continue
            reason = _no_effect(base, changed, change.get("table"), optimum)
            if reason:
                hints.append(f"{scenario.file}, change {position + 1} ({change.get('table')}): {reason}")
    return hints


def _no_effect(base: Instance, changed: Instance, table: str, optimum: Solution) -> str | None:
    if all(_same(base.tables[name], changed.tables[name]) for name in base.tables):
        return "changes no value (the tables already say so)"
    if table not in JUDGED or not optimum.tables:
        return None
    key, costs, result, flow_column = JUDGED[table]
    before, after = base.expanded(table), changed.expanded(table)
    columns = [c for c in after.columns if c not in key and c != "line"]
    merged = before.drop(columns="line").merge(
        after.drop(columns="line"), on=key, how="outer", suffixes=("_before", "_after"), indicator=True
    )
    if (merged["_merge"] != "both").any():
        return None  # rows appear or disappear: not judged
    moved = {c: ~_equal(merged[f"{c}_before"], merged[f"{c}_after"]) for c in columns}
    touched = [c for c, mask in moved.items() if mask.any()]
    rows = np.logical_or.reduce([moved[c] for c in touched]) if touched else np.zeros(len(merged), dtype=bool)
    if not touched:
        return "changes no value the model sees"
    used = optimum[result].groupby(key)[flow_column].sum()
    flow = merged.loc[rows, key].apply(tuple, axis=1).map(used).fillna(0.0).to_numpy()
    changed_rows = merged.loc[rows]
    what = "links" if table == "trade" else "processes"
    if set(touched) <= set(costs):
        raised = all(
            (changed_rows[f"{c}_after"].fillna(0) >= changed_rows[f"{c}_before"].fillna(0)).all()
            for c in costs
            if c in touched
        )
        if raised and (flow <= TOLERANCE).all():
            return (
                f"raises {', '.join(touched)} of {int(rows.sum())} {what} that carry nothing in the base optimum "
                f"({_examples(changed_rows, key)}): the base optimum stays optimal"
            )
    if touched == ["capacity"]:
        old = changed_rows["capacity_before"].fillna(np.inf).to_numpy()
        new = changed_rows["capacity_after"].fillna(np.inf).to_numpy()
        # lowered to no less than the flow, or raised where the old cap did not bind: the optimum stays
        slack = np.where(new <= old, new + TOLERANCE >= flow, old > flow + TOLERANCE)
        if slack.all():
            return (
                f"changes the capacity of {int(rows.sum())} {what} where it does not bind in the base optimum "
                f"({_examples(changed_rows, key)}): the optimum stays"
            )
    return None


def _examples(rows: pd.DataFrame, key: list[str], count: int = 3) -> str:
    shown = [" ".join(str(v) for v in row) for row in rows[key].drop_duplicates().head(count).itertuples(index=False)]
    return ", ".join(shown) + (" ..." if len(rows) > count else "")


def _equal(a: pd.Series, b: pd.Series) -> np.ndarray:
    both_blank = a.isna().to_numpy() & b.isna().to_numpy()
    return both_blank | (a.to_numpy() == b.to_numpy())


def _same(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    return a is b or (
        a.shape == b.shape and a.drop(columns="line", errors="ignore").equals(b.drop(columns="line", errors="ignore"))
    )
