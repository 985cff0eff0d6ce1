"""Checks across tables: every name refers to something defined, every period lies in the horizon.

Per-file checks (types, signs, duplicate keys) happen in the reader; these need several tables.
Problems are collected and raised together so a user fixes a spreadsheet in one pass; things that
are legal but suspicious come back as warnings.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from optimizer.errors import InputError, Problem
from optimizer.instance.schema import OBSERVED_KEYS

if TYPE_CHECKING:
    from optimizer.instance.instance import Instance

WILDCARD = "*"


def check_references(instance: Instance, as_read: bool = True) -> list[str]:
    """Raise :class:`InputError` for broken references; return warnings for suspicious data.

    ``as_read`` False (after a scenario's changes) leaves out what is checked of the files alone: a
    total build cap on a project that may build nothing (a scenario that closes its builds, say
    ``max_build: 0``, is a study, and it is not checked after a change of numbers only either)."""
    t = instance.tables
    regions = set(t["regions"]["region"])
    commodities = set(t["commodities"]["commodity"])
    processes = set(t["process_io"]["process"])
    problems: list[Problem] = []
    _check_defined_names(t["regions"], "region", problems)
    _check_defined_names(t["commodities"].drop_duplicates("commodity"), "commodity", problems)
    _check_defined_names(t["process_io"].drop_duplicates("process"), "process", problems)

    def refer(table: str, column: str, allowed: set, what: str, extra: tuple = ()) -> None:
        frame = t[table]
        if frame.empty:
            return
        values = frame[column]
        bad = ~values.isin(allowed | set(extra)) & (values != "")
        for line, value in zip(frame["line"][bad], values[bad], strict=True):
            problems.append(
                Problem(
                    frame.attrs.get("file", table),
                    f"'{value}' is not a known {what}",
                    int(line),
                    column,
                    f"a {what} defined in {_defined_in(what)}",
                )
            )

    refer("process_io", "commodity", commodities, "commodity")
    refer("processes", "process", processes, "process")
    refer("processes", "region", regions, "region")
    refer("trade", "commodity", commodities, "commodity")
    refer("trade", "origin", regions, "region", (WILDCARD,))
    refer("trade", "destination", regions, "region", (WILDCARD,))
    refer("demand", "region", regions, "region")
    refer("demand", "commodity", commodities, "commodity")
    refer("quotas", "origin", regions, "region")
    refer("stocks", "region", regions, "region")
    refer("stocks", "commodity", commodities, "commodity")
    _check_lists(t["quotas"], "commodities", commodities, "commodity", problems)
    _check_lists(t["quotas"], "destinations", regions, "region", problems)
    _check_self_trade(t["trade"], problems)
    _check_periods(instance, problems)
    _check_commodity_rows(t["commodities"], problems)
    _check_reserves(t["processes"], problems, as_read)
    _check_min_activity(t["processes"], problems)
    _check_elastic_demand(t["demand"], problems)
    _check_observed(t["observed"], regions, commodities, processes, problems)
    if problems:
        raise InputError(problems)
    return _warnings(instance)


def _check_defined_names(frame: pd.DataFrame, column: str, problems: list[Problem]) -> None:
    """A name that defines a region, commodity or process must be usable wherever names are written:
    not ``*`` (every region in trade.csv), without ``;`` (the separator of quota lists), and not equal,
    but for case, to another (``cn`` and ``CN`` would be one folder, one label, one typo apart)."""
    file = frame.attrs.get("file", f"{_defined_in(column)}")
    seen: dict[str, str] = {}
    for line, name in zip(frame["line"], frame[column], strict=True):
        reason = None
        if name == WILDCARD:
            reason = f"'{WILDCARD}' means every region in trade.csv"
        elif ";" in name:
            reason = "';' separates names in lists"
        elif name.casefold() in seen and seen[name.casefold()] != name:
            reason = f"it differs from '{seen[name.casefold()]}' only by case"
        if reason:
            problems.append(
                Problem(file, f"'{name}' cannot be a {column} name: {reason}", int(line), column, "a distinct name")
            )
        seen.setdefault(name.casefold(), name)


def _defined_in(what: str) -> str:
    return {"region": "regions.csv", "commodity": "commodities.csv", "process": "process_io.csv"}[what]


def _check_lists(frame: pd.DataFrame, column: str, allowed: set, what: str, problems: list[Problem]) -> None:
    for line, names in zip(frame["line"], frame[column], strict=True):
        for name in names:
            if name not in allowed:
                problems.append(
                    Problem(
                        frame.attrs.get("file", "quotas.csv"),
                        f"'{name}' is not a known {what}",
                        int(line),
                        column,
                        f"a {what} defined in {_defined_in(what)}",
                    )
                )


def _check_self_trade(trade: pd.DataFrame, problems: list[Problem]) -> None:
    same = (trade["origin"] == trade["destination"]) & (trade["origin"] != WILDCARD)
    for line, region in zip(trade["line"][same], trade["origin"][same], strict=True):
        problems.append(
            Problem(
                trade.attrs.get("file", "trade.csv"),
                f"trade from {region} to itself",
                int(line),
                "destination",
                "a destination other than the origin",
            )
        )


def _check_periods(instance: Instance, problems: list[Problem]) -> None:
    horizon = set(instance.periods)
    for name, frame in instance.tables.items():
        if "period" not in frame or frame.empty:
            continue
        period = frame["period"]
        bad = period.notna() & ~period.isin(horizon)
        for line, value in zip(frame["line"][bad], period[bad], strict=True):
            problems.append(
                Problem(
                    frame.attrs.get("file", name),
                    f"period {value:g} is outside the horizon",
                    int(line),
                    "period",
                    "one of " + ", ".join(map(str, instance.periods)),
                )
            )


def _check_commodity_rows(commodities: pd.DataFrame, problems: list[Problem]) -> None:
    """A commodity is defined once (no period); period rows may only change its prices."""
    file = commodities.attrs.get("file", "commodities.csv")
    general = commodities[commodities["period"].isna()].set_index("commodity")
    for row in commodities[commodities["period"].notna()].itertuples():
        if row.commodity not in general.index:
            problems.append(
                Problem(
                    file,
                    f"'{row.commodity}' has period rows but no row without a period",
                    row.line,
                    "period",
                    "a defining row with the period blank",
                )
            )
            continue
        base = general.loc[row.commodity]
        for column in ("stage", "unit", "element", "element_group"):
            if getattr(row, column) != base[column]:
                problems.append(
                    Problem(
                        file,
                        f"{column} of '{row.commodity}' differs from its defining row",
                        row.line,
                        column,
                        f"'{base[column]}' (only prices change by period)",
                    )
                )


def _check_elastic_demand(demand: pd.DataFrame, problems: list[Problem]) -> None:
    """A demand curve (FORMULATION.md E1) needs its reference price, and a whole number of steps."""
    if demand.empty or "elasticity" not in demand:
        return
    file = demand.attrs.get("file", "demand.csv")
    elastic = demand["elasticity"].notna()
    no_price = elastic & ~(demand["price"] > 0)
    for line in demand["line"][no_price]:
        problems.append(
            Problem(file, "an elasticity needs the reference price of its curve", int(line), "price", "a price > 0")
        )
    steps = demand["steps"]
    fractional = steps.notna() & (steps != np.round(steps))
    for line, value in zip(demand["line"][fractional], steps[fractional], strict=True):
        problems.append(
            Problem(file, f"{value:g} is not a whole number of steps", int(line), "steps", "an integer >= 1")
        )


def _check_reserves(processes: pd.DataFrame, problems: list[Problem], as_read: bool = True) -> None:
    """``reserve`` and ``max_build_total`` hold over the whole horizon: only on the row without a
    period; in the files (``as_read``), a total build cap needs a build it can cap (some row of its
    process and region that may build: a ``max_build`` > 0, or a ``capex`` with ``max_build``
    blank, and a finite capacity)."""
    from optimizer.instance.expand import build_limit  # expand.py imports this module

    file = processes.attrs.get("file", "processes.csv")
    horizon = {
        "reserve": "reserve is cumulative over the horizon",
        "max_build_total": "max_build_total caps the builds over the horizon",
    }
    dated = processes["period"].notna()
    projects = [processes["process"], processes["region"]]
    for column, reason in horizon.items():
        given = dated & processes[column].notna()
        if not as_read:
            # a scenario's drop with periods leaves a project only dated copies, each with the same
            # numbers (scenario/changes.py): refused only beside a row without a period, or unequal
            has_undated = (~dated).groupby(projects).transform("any")
            unequal = processes[column].groupby(projects).transform("nunique") > 1
            given &= has_undated | unequal
        for line in processes["line"][given]:
            problems.append(Problem(file, reason, int(line), column, "it on the row without a period"))
    if not as_read:
        return
    capped = processes[processes["period"].isna() & processes["max_build_total"].notna()]
    buildable = processes.loc[build_limit(processes) > 0, ["process", "region"]].drop_duplicates()
    unbuildable = capped.merge(buildable, on=["process", "region"], how="left", indicator=True)["_merge"] == "left_only"
    for _, row in capped[unbuildable.to_numpy()].iterrows():
        problems.append(
            Problem(
                file,
                f"max_build_total {row['max_build_total']:g} caps builds of {row['process']} in {row['region']}, "
                "which may build nothing (max_build 0, or blank with no capex, or no finite capacity)",
                int(row["line"]),
                "max_build_total",
                "a blank, or a build allowed on some row of that process and region",
            )
        )


def _check_observed(
    observed: pd.DataFrame, regions: set, commodities: set, processes: set, problems: list[Problem]
) -> None:
    file = observed.attrs.get("file", "observed.csv")
    allowed = {
        "process": processes,
        "region": regions,
        "commodity": commodities,
        "origin": regions,
        "destination": regions,
    }
    for kind, keys in OBSERVED_KEYS.items():
        rows = observed[observed["kind"] == kind]
        for column, names in allowed.items():
            cells = rows[column]
            if column in keys:
                for line in rows["line"][cells == ""]:
                    problems.append(
                        Problem(file, f"a '{kind}' observation needs {column}", int(line), column, ", ".join(keys))
                    )
                bad = (cells != "") & ~cells.isin(names)
                for line, value in zip(rows["line"][bad], cells[bad], strict=True):
                    problems.append(Problem(file, f"'{value}' is not a known {column}", int(line), column))
            else:
                for line in rows["line"][cells != ""]:
                    problems.append(
                        Problem(file, f"a '{kind}' observation has no {column}", int(line), column, "the cell blank")
                    )


def _warnings(instance: Instance) -> list[str]:
    t = instance.tables
    warnings = []
    deployed = set(t["processes"]["process"])
    idle = sorted(set(t["process_io"]["process"]) - deployed)
    if idle:
        warnings.append("process_io.csv: processes not deployed in any region: " + ", ".join(idle))
    io = t["process_io"]
    no_output = sorted(set(io["process"]) - set(io.loc[io["direction"] == "out", "process"]))
    if no_output:
        warnings.append("process_io.csv: processes with no output (pure sinks): " + ", ".join(no_output))
    demand = t["demand"]
    if not demand.empty and float(np.nansum(demand["quantity"])) == 0.0:
        warnings.append("demand.csv: every demand is zero")
    return warnings


def _check_min_activity(processes: pd.DataFrame, problems: list[Problem]) -> None:
    """A floor on activity above the row's own capacity can never be met."""
    if "min_activity" not in processes:
        return
    rows = processes[processes["min_activity"].notna() & processes["capacity"].notna()]
    for _, row in rows[rows["min_activity"] > rows["capacity"]].iterrows():
        problems.append(
            Problem(
                processes.attrs.get("file", "processes.csv"),
                f"min_activity {row['min_activity']:g} is above the capacity {row['capacity']:g}",
                int(row["line"]),
                "min_activity",
                "a floor at most the row's capacity",
            )
        )
