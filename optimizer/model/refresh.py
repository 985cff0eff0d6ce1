"""A re-solve that changes only numbers: a scenario's numbers on the live program's index and matrix.

``build_model(reuse=...)`` already keeps the matrix of a scenario of the same shape, but it builds
the scenario's network and index from scratch first (merges, name coding, the graph) to find out.
:func:`refresh` starts from the model last built instead and looks only at what the scenario
changed: the tables it replaced (a scenario leaves the others as the very same objects). When every
changed table is one of :data:`NUMBERS`' and differs from the last one only in those columns (the
same rows, keys and periods, so its expansion has the same rows in the same order), the model's
index frames get the new numbers, column by column, and :func:`~optimizer.model.renumber.renumber`
computes the bound, right-hand-side and cost vectors on the same matrix. Anything else (a table
outside the list, a changed key, a row added, a setting, constraints of one's own, content classes)
is a structural change, and :func:`refresh` says which, so the caller builds in full.
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np
import pandas as pd

from optimizer.instance import Instance
from optimizer.instance.expand import UNDATED_PROCESS_NUMBERS, expand_table, undated_rows
from optimizer.instance.validate import WILDCARD
from optimizer.model import Model
from optimizer.model.index import (
    PROCESS_NUMBERS,
    SHAPING_PROCESS_NUMBERS,
    ModelData,
    commodity_prices,
    demand_numbers,
    process_numbers,
    quota_frames,
    stock_frame,
    trade_numbers,
)
from optimizer.model.renumber import demand_curves, process_structure, renumber, same

# Per table, the columns a scenario may change without changing the program's shape (subject to
# ``same_shape``: a capacity that becomes blank, or a build limit that becomes 0, still changes it).
NUMBERS = {
    "processes": tuple(name for name in PROCESS_NUMBERS if name not in SHAPING_PROCESS_NUMBERS),
    "trade": ("cost", "tariff", "tariff_rate", "capacity"),
    "demand": ("quantity", "price", "penalty"),
    "commodities": ("reference_price", "disposal_cost"),
    "stocks": ("initial", "max_level", "holding_cost"),
    "quotas": ("limit",),
    "observed": None,  # read by the backcast, not by the model: any change
}
# What distinguishes scenarios of one instance without touching the model.
NAMING = {"tables", "scenario", "scenario_description", "warnings", "scenario_files", "_expanded"}


@dataclasses.dataclass(frozen=True)
class Refreshed:
    """The model of the new numbers, or None with the reason a full build is needed."""

    model: Model | None
    reason: str
    changed: tuple[str, ...] = ()


def refresh(model: Model, instance: Instance) -> Refreshed:
    """``model`` (built from an earlier scenario of the same instance) with ``instance``'s numbers."""
    started = time.perf_counter()
    old_data = model.data
    old = old_data.instance
    reason = _settings_change(old, instance)
    if reason:
        return Refreshed(None, reason)
    changed = tuple(name for name in instance.tables if instance.tables[name] is not old.tables[name])
    for name in changed:
        reason = _table_change(name, old.tables[name], instance.tables[name])
        if reason:
            return Refreshed(None, reason, changed)
    moved = {name: _moved_columns(name, old.tables[name], instance.tables[name]) for name in changed}
    data = _new_data(old_data, instance, {name: columns for name, columns in moved.items() if columns})
    if isinstance(data, str):
        return Refreshed(None, data, changed)
    if not _same_shape(old_data, data, moved):
        return Refreshed(None, "the program's shape changes (a limit appears or vanishes, a build opens or closes)")
    fields = {item.name for item in dataclasses.fields(ModelData)} - {"instance"}
    replaced = {name for name in fields if getattr(data, name) is not getattr(old_data, name)}
    program = renumber(model.lp, data, model.availability, changed=replaced)
    built = Model(data=data, lp=program, build_seconds=time.perf_counter() - started, availability=model.availability)
    return Refreshed(built, "", changed)


def _settings_change(old: Instance, new: Instance) -> str:
    """What makes ``new`` a structurally different instance before any table is read ("" if nothing)."""
    if old.tracked_regions or new.tracked_regions:
        return "content classes (E3) are rebuilt in full"
    if old.policies or new.policies:
        return "constraints of one's own (E5a) are rebuilt in full"
    if old.tables.keys() != new.tables.keys():
        return "the set of tables changes"
    for item in dataclasses.fields(Instance):
        if item.name not in NAMING and getattr(old, item.name) != getattr(new, item.name):
            return f"the setting {item.name} changes"
    return ""


def _table_change(name: str, old: pd.DataFrame, new: pd.DataFrame) -> str:
    """Why the change of table ``name`` is structural ("" when only its listed numbers changed)."""
    if name not in NUMBERS:
        return f"{name} changes (only {', '.join(sorted(NUMBERS))} may change numbers in place)"
    if NUMBERS[name] is None:
        return ""
    if len(old) != len(new) or list(old.columns) != list(new.columns):
        return f"{name} gains or loses rows"
    numbers = set(NUMBERS[name]) | {"line"}
    for column in old.columns:
        if column not in numbers and not old[column].equals(new[column]):
            return f"{name}.{column} changes"
    return ""


def _moved_columns(name: str, old: pd.DataFrame, new: pd.DataFrame) -> set[str]:
    """The number columns of table ``name`` whose values differ (after :func:`_table_change` found
    the rest equal); a table the model does not read has none."""
    return {column for column in NUMBERS[name] or () if column in old and not old[column].equals(new[column])}


def _new_data(old: ModelData, instance: Instance, changed: dict[str, set[str]]) -> ModelData | str:
    """``old`` with the numbers of ``instance``'s changed tables (``changed``: table -> the number
    columns that moved), or why their rows do not line up. Each frame gets only the columns that moved."""
    replace: dict = {"instance": instance}
    if "processes" in changed:
        rows, holder_rows = _process_rows(old.instance)
        if len(rows) != len(old.processes):  # a process row that is not deployed (networks.md)
            return "the processes' rows do not line up with the model's"
        _process_rows(instance, known=(rows, holder_rows))
        table = instance.tables["processes"]
        dated = [c for c in PROCESS_NUMBERS if c in table and c not in UNDATED_PROCESS_NUMBERS]
        frame = table[dated].iloc[rows].reset_index(drop=True)
        for column in UNDATED_PROCESS_NUMBERS:  # from the row that holds them (expand.undated_rows)
            given = table[column].to_numpy()[np.maximum(holder_rows, 0)]
            frame[column] = np.where(holder_rows >= 0, given, np.nan)
        numbers = process_numbers(frame)
        replace["processes"] = old.processes.assign(**{c: numbers[c] for c in NUMBERS["processes"]})
    if "trade" in changed:
        rows = _trade_rows(old.instance)
        if len(rows) != len(old.trade):
            return "the trade links do not line up with the model's"
        _trade_rows(instance, known=rows)  # the same keys: the next scenario need not expand them again
        # the model's trade rows are the expanded table's, in its order (an inner merge with every link)
        numbers = instance.tables["trade"][sorted(changed["trade"])]
        replace["trade"] = old.trade.assign(**trade_numbers(numbers.iloc[rows]))
    if "demand" in changed:
        rows = _demand_rows(old.instance)
        quantity = instance.tables["demand"]["quantity"].to_numpy()[rows]
        if not np.array_equal(old.instance.tables["demand"]["quantity"].to_numpy()[rows] > 0, quantity > 0):
            return "the positive demands change (a demand appears or drops to 0)"
        _demand_rows(instance, known=rows)
        numbers = instance.tables["demand"][sorted(changed["demand"])].iloc[rows[quantity > 0]]
        replace["demand"] = old.demand.assign(**demand_numbers(numbers, instance.unmet_penalty))
    if "stocks" in changed:
        replace["stocks"] = stock_frame(instance, old.regions, old.commodities)
    if "quotas" in changed:
        replace["quotas"], replace["quota_links"] = quota_frames(
            instance.tables["quotas"], instance, old.regions, old.commodities, old.periods
        )
    if "commodities" in changed:
        replace["reference_price"], replace["disposal_cost"] = commodity_prices(instance, old.commodities, old.periods)
    return dataclasses.replace(old, **replace)


def _same_shape(old: ModelData, new: ModelData, changed: dict[str, set[str]]) -> bool:
    """:func:`~optimizer.model.renumber.same_shape` for what can still differ here: keys, losses,
    recipes, curves' parameters and settings were compared already, so only the processes' numbers
    that open or close a build, a capacity row or a reserve, and the demand curves' steps, are left."""
    if changed.get("processes") and not same(process_structure(old), process_structure(new)):
        return False
    # a curve's flexible steps depend on its price and the penalty (its choke price), not its quantity
    return not changed.get("demand", set()) & {"price", "penalty"} or same(demand_curves(old), demand_curves(new))


def _demand_rows(instance: Instance, known: np.ndarray | None = None) -> np.ndarray:
    """For each row of the expanded demand table, the row of demand.csv it was taken from (the model's
    demand rows are those of positive quantity, in this order); ``known`` as in :func:`_trade_rows`."""

    def compute(inst: Instance) -> np.ndarray:
        if known is not None:
            return known
        return _expanded_with_rows(inst, "demand")["_row"].to_numpy()

    return instance.derived(("demand",), "rows", compute)


def _process_rows(instance: Instance, known: tuple | None = None) -> tuple[np.ndarray, np.ndarray]:
    """For each row of the expanded processes table (the model's processes frame, when every row is
    deployed), the row of processes.csv it was taken from and the row of its process and region that
    holds its ``reserve`` and ``max_build_total`` (:func:`~optimizer.instance.expand.undated_rows`;
    -1: none). Like :func:`_trade_rows`: a table of the same keys and periods expands to the same
    rows, ``known`` when the caller proved it."""

    def compute(inst: Instance) -> tuple[np.ndarray, np.ndarray]:
        if known is not None:
            return known
        table = inst.tables["processes"]
        frame = _expanded_with_rows(inst, "processes")
        holders = undated_rows(table)
        reserve = table.iloc[holders][["process", "region"]].assign(_reserve=holders)
        reserve_rows = frame[["process", "region"]].merge(reserve, on=["process", "region"], how="left")["_reserve"]
        return frame["_row"].to_numpy(), reserve_rows.fillna(-1).to_numpy(dtype=np.int64)

    return instance.derived(("processes",), "rows", compute)


def _trade_rows(instance: Instance, known: np.ndarray | None = None) -> np.ndarray:
    """For each row of the expanded trade table (the model's trade rows, in order), the row of
    trade.csv it was taken from. Expansion picks whole rows by key, period and ``*`` alone, so a
    table with the same keys (only numbers changed) expands to the same rows of its own, ``known``
    when its caller proved the keys equal to another table's."""

    def compute(inst: Instance) -> np.ndarray:
        if known is not None:
            return known
        trade = inst.tables["trade"]
        if not (trade[["origin", "destination"]] == WILDCARD).any(axis=None) and trade["period"].isna().all():
            # every row its own link in every period (the keys are unique): key by key, period by period
            return np.repeat(np.flatnonzero((trade["origin"] != trade["destination"]).to_numpy()), len(inst.periods))
        return expanded_trade_rows(inst)

    return instance.derived(("trade", "regions"), "rows", compute)


def expanded_trade_rows(instance: Instance) -> np.ndarray:
    """:func:`_trade_rows` in general: the expansion of trade.csv with each row's position carried along."""
    return _expanded_with_rows(instance, "trade")["_row"].to_numpy()


def _expanded_with_rows(instance: Instance, name: str) -> pd.DataFrame:
    """The expansion of table ``name`` with a column ``_row``: the row of the file each row came from."""
    tables = dict(instance.tables)
    tables[name] = tables[name].assign(_row=np.arange(len(tables[name])))
    return expand_table(tables, name, instance.regions, instance.periods)
