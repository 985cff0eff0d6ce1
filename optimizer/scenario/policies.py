"""Constraints of one's own, declared in a scenario (FORMULATION.md E5a): read and checked.

A scenario's ``constraints:`` list names policies the package does not know about, each a mapping
with ``name``, ``kind`` and the keys of its kind (``periods`` optional, as in changes):

=================  ==============================================================================
kind               keys
=================  ==============================================================================
min_share,         ``region`` (one or a list), ``commodities``, ``share`` (0..1), ``of``
max_share          (``deliveries`` default, ``arrivals`` or ``production``), and either
                   ``origins`` (a list, or ``{not: [...]}``) or ``clean: true`` (content classes)
min_production     ``region``, ``commodities``, ``quantity`` (t/yr, summed over the commodities)
recycled_content   ``process``, ``share``, ``region`` (optional: every region the process is in)
stockpile          ``region``, ``commodity``, ``level`` (t held at the end of each period)
=================  ==============================================================================

The rows these become are built by :mod:`optimizer.model.policies`; this module only reads them,
so that a typo is an error pointing at the scenario's line before anything is built.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import pandas as pd

from optimizer.errors import InputError, Problem
from optimizer.scenario.selection import period_selection
from optimizer.yamlio import Lines, line_of

KINDS = ("min_share", "max_share", "min_production", "recycled_content", "stockpile")
MEASURES = ("deliveries", "arrivals", "production")
KEYS = {
    "min_share": ("region", "commodities", "share", "of", "origins", "clean"),
    "max_share": ("region", "commodities", "share", "of", "origins", "clean"),
    "min_production": ("region", "commodities", "quantity"),
    "recycled_content": ("process", "region", "share"),
    "stockpile": ("region", "commodity", "level"),
}
REQUIRED = {
    "min_share": ("region", "commodities", "share"),
    "max_share": ("region", "commodities", "share"),
    "min_production": ("region", "commodities", "quantity"),
    "recycled_content": ("process", "share"),
    "stockpile": ("region", "commodity", "level"),
}
COMMON_KEYS = ("name", "kind", "periods", "description")
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
LARGEST_QUANTITY = 1e12  # as for file values: a larger number is a typo


@dataclass(frozen=True)
class Policy:
    """One declared constraint: a named family of rows, one per region and period it covers."""

    name: str
    kind: str
    regions: tuple[str, ...]  # empty: every region where the process is deployed (recycled_content)
    commodities: tuple[str, ...]
    value: float  # the share, quantity (t/yr) or level (t)
    periods: tuple[int, ...]
    measure: str = "deliveries"
    origins: tuple[str, ...] = ()
    exclude_origins: bool = False  # origins were given as {not: [...]}
    clean: bool = False
    process: str | None = None
    description: str = ""
    file: str = ""
    line: int | None = None

    @property
    def sense(self) -> str:
        return "<=" if self.kind == "max_share" else ">="

    def where(self) -> str:
        """Where the policy was declared, for messages."""
        return f"{self.file}, line {self.line}" if self.line else self.file


def read_policies(entries, file: str, lines: Lines, instance) -> tuple[Policy, ...]:
    """The ``constraints:`` list of a scenario file, checked against the instance's names."""
    if entries is None:
        return ()
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise InputError(
            Problem(
                file,
                "'constraints' is not a list of constraints",
                line=line_of(lines, ("constraints",)),
                expected="a list of mappings with name, kind and the kind's keys",
            )
        )
    policies = [_read_one(entry, position, file, lines, instance) for position, entry in enumerate(entries)]
    seen: set[str] = set()
    for policy in policies:
        if policy.name in seen:
            raise InputError(
                Problem(file, f"two constraints are named '{policy.name}'", line=policy.line, column="name")
            )
        seen.add(policy.name)
    return tuple(policies)


class _Fail:
    def __init__(self, file: str, lines: Lines, position: int, name: str = ""):
        self.file, self.lines, self.position, self.name = file, lines, position, name

    def __call__(self, message: str, key: str | None = None, expected: str | None = None) -> InputError:
        path = ("constraints", self.position) + ((key,) if key else ())
        label = f"constraint {self.position + 1}" + (f" ({self.name})" if self.name else "")
        return InputError(
            Problem(self.file, f"{label}: {message}", line=line_of(self.lines, path), column=key, expected=expected)
        )


def _read_one(entry: dict, position: int, file: str, lines: Lines, instance) -> Policy:
    fail = _Fail(file, lines, position)
    name = entry.get("name")
    if not isinstance(name, str) or not NAME.match(name):
        raise fail("needs a name that is a word", "name", "letters, digits and _, starting with a letter")
    fail.name = name
    kind = entry.get("kind")
    if kind not in KINDS:
        raise fail(f"'{kind}' is not a kind of constraint", "kind", "one of " + ", ".join(KINDS))
    allowed = COMMON_KEYS + KEYS[kind]
    for key in entry:
        if key not in allowed:
            raise fail(f"unknown key '{key}' for {kind}", str(key), "one of " + ", ".join(allowed))
    for key in REQUIRED[kind]:
        if entry.get(key) is None:
            raise fail(f"{kind} needs '{key}'", key)

    def names(key: str, known: list[str], what: str) -> tuple[str, ...]:
        raw = entry.get(key)
        values = raw if isinstance(raw, list) else [raw]
        if not values or not all(isinstance(v, str) for v in values):
            raise fail(f"'{key}' must be a {what} or a list of them", key)
        unknown = [v for v in values if v not in known]
        if unknown:
            raise fail(f"'{unknown[0]}' is not a {what} of {instance.name}", key, f"one of {', '.join(known[:12])}")
        return tuple(dict.fromkeys(values))

    def number(key: str, low: float, high: float, what: str) -> float:
        value = entry.get(key)
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise fail(f"'{key}' must be a number", key, what)
        if not low <= value <= high:
            raise fail(f"'{key}' is {value}", key, what)
        return float(value)

    regions, commodities = instance.regions, instance.commodities
    periods = _periods(entry.get("periods"), instance.periods, fail)
    common = dict(
        name=name,
        kind=kind,
        periods=periods,
        description=str(entry.get("description") or ""),
        file=file,
        line=line_of(lines, ("constraints", position)),
    )
    if kind in ("min_share", "max_share"):
        measure = entry.get("of", "deliveries")
        if measure not in MEASURES:
            raise fail(f"'of: {measure}' is not a measure", "of", "one of " + ", ".join(MEASURES))
        clean = entry.get("clean", False)
        if not isinstance(clean, bool):
            raise fail("'clean' must be true or false", "clean")
        origins, exclude = _origins(entry.get("origins"), regions, fail)
        if clean == bool(origins):
            raise fail("a share names either origins or clean: true", "origins", "exactly one of the two")
        if measure == "production" and not clean:
            raise fail("production has no origin but its content class", "of", "clean: true with of: production")
        return Policy(
            **common,
            regions=names("region", regions, "region"),
            commodities=names("commodities", commodities, "commodity"),
            value=number("share", 0.0, 1.0, "a share between 0 and 1"),
            measure=measure,
            origins=origins,
            exclude_origins=exclude,
            clean=clean,
        )
    if kind == "min_production":
        return Policy(
            **common,
            regions=names("region", regions, "region"),
            commodities=names("commodities", commodities, "commodity"),
            value=number("quantity", 0.0, LARGEST_QUANTITY, "tonnes per year, 0 to 1e12"),
        )
    if kind == "recycled_content":
        if isinstance(entry["process"], list):
            raise fail("'process' names one process", "process")
        (process,) = names("process", instance.table("process_io")["process"].drop_duplicates().tolist(), "process")
        return Policy(
            **common,
            regions=names("region", regions, "region") if entry.get("region") is not None else (),
            commodities=(),
            value=number("share", 0.0, 1.0, "a share between 0 and 1"),
            process=process,
        )
    if isinstance(entry["commodity"], list):
        raise fail("'commodity' names one commodity", "commodity")
    return Policy(
        **common,
        regions=names("region", regions, "region"),
        commodities=names("commodity", commodities, "commodity"),
        value=number("level", 0.0, LARGEST_QUANTITY, "tonnes, 0 to 1e12"),
    )


def _origins(spec, regions: list[str], fail: _Fail) -> tuple[tuple[str, ...], bool]:
    if spec is None:
        return (), False
    exclude = isinstance(spec, dict)
    if exclude:
        if set(spec) != {"not"}:
            raise fail("origins takes a list or {not: [...]}", "origins")
        spec = spec["not"]
    values = spec if isinstance(spec, list) else [spec]
    if not values or not all(isinstance(v, str) for v in values):
        raise fail("'origins' must list regions", "origins")
    unknown = [v for v in values if v not in regions]
    if unknown:
        raise fail(f"'{unknown[0]}' is not a region", "origins", "one of " + ", ".join(regions[:12]))
    return tuple(dict.fromkeys(values)), exclude


def _periods(spec, periods: tuple[int, ...], fail: _Fail) -> tuple[int, ...]:
    """The years a policy holds in: every period unless ``periods`` says otherwise (as in changes)."""
    return tuple(periods) if spec is None else period_selection(spec, periods, fail)


def with_policies(instance, chain) -> object:
    """``instance`` with the policies its scenario ``chain`` declares (names unique across the chain).

    A stockpile of a stock that stocks.csv does not declare declares it (no initial stock, no
    maximum, no holding cost), so that the model has a stock level to hold up.
    """
    policies = list(instance.policies)
    for scenario in chain:
        for policy in read_policies(scenario.constraints, scenario.file, scenario.lines, instance):
            clash = next((p for p in policies if p.name == policy.name), None)
            if clash is not None:
                raise InputError(
                    Problem(
                        policy.file,
                        f"constraint '{policy.name}' is declared twice (also in {clash.where()})",
                        line=policy.line,
                        column="name",
                    )
                )
            policies.append(policy)
    if len(policies) == len(instance.policies):
        return instance
    stocks = instance.table("stocks")
    declared = set(zip(stocks["region"], stocks["commodity"], strict=True))
    missing = sorted({(r, p.commodities[0]) for p in policies if p.kind == "stockpile" for r in p.regions} - declared)
    if not missing:
        return instance.replace(policies=tuple(policies), _expanded=instance._expanded)
    tables = dict(instance.tables)
    if missing:
        regions, commodities = zip(*missing, strict=True)
        added = pd.DataFrame({"region": regions, "commodity": commodities, "initial": 0.0, "holding_cost": 0.0})
        tables["stocks"] = pd.concat([stocks, added], ignore_index=True).astype({"line": "Int64"})
    return instance.replace(tables=tables, policies=tuple(policies))
