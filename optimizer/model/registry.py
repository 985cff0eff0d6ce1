"""The one list of the model's families: what each is called, indexed by, built and refreshed with.

``build_model`` adds the families in this order, ``renumber`` refreshes their bounds on a re-solve,
the Pyomo model names its components after them, the diagnosis reads which of them are limits a
user can change, and docs/formulation.md is rendered from their modules' docstrings. A new family
is one module (its builder adds columns or rows to :class:`~optimizer.model.lp.LPBuilder` with an
integer-coded index frame) and one :class:`FamilySpec` appended to :data:`FAMILIES`.

Index columns of a family's frame are decoded into the instance's names by :data:`INDEX_NAMES`
(``p`` → process, ``t`` → period year, ...); any other column named in ``index`` (a class ``k``, a
step ``j``, a quota ``name``) is passed through as it is.

Some builders add families whose number and names depend on the data: content classes (E3) add one
family per class-resolved flow, and constraints of one's own (E5a) one per policy, named as the
user named it. Their entry has ``kind="group"``; the families they add are named by :func:`naming`
(their program key, indexed by the key columns of their frame, :data:`KEY_COLUMNS`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from optimizer.model import balance, capacity, content, elastic_demand, policies, quotas, transit, variables
from optimizer.model.index import ModelData
from optimizer.model.lp import LinearProgram, LPBuilder

USER_FAMILY = "constraint "  # prefix of a program family holding the rows of a Constraint of one's own

INDEX_NAMES = {"p": "process", "r": "region", "c": "commodity", "o": "origin", "d": "destination", "t": "period"}
# The columns of an index frame that identify its rows (others, like a trade link's loss, are data).
KEY_COLUMNS = ("p", "r", "c", "o", "d", "t", "j", "k", "name")

Builder = Callable[[ModelData, LPBuilder, pd.DataFrame], None]
ColumnBounds = Callable[[ModelData, pd.DataFrame], tuple]
RowBounds = Callable[[ModelData, LinearProgram], tuple]


@dataclass(frozen=True)
class FamilySpec:
    """One family of columns (``kind="variable"``) or rows (``kind="constraint"``), or a builder of
    families named by the data (``kind="group"``, see the module's docstring).

    ``name`` is the family's key in the program (``lp.columns`` / ``lp.rows``), ``component`` its
    Pyomo name, ``index`` the columns of its index frame that index it. ``build`` adds it;
    ``bounds`` (variables) or ``limits`` (constraints) recompute its numbers for a re-solve of the
    same shape (None: they never change) from the :class:`ModelData` fields named in ``reads``, so a
    re-solve that changed other fields keeps them (``renumber(changed=...)``). ``limit`` marks what
    a user can relax, so the diagnosis names it when it binds an infeasibility (a constraint's rows,
    a variable's finite upper bounds).
    ``report`` puts its rows into ``constraints.csv``.
    """

    name: str
    kind: str
    component: str
    index: tuple[str, ...]
    module: object
    build: Builder
    bounds: ColumnBounds | None = None
    limits: RowBounds | None = None
    limit: bool = False
    report: bool = False
    reads: frozenset[str] = frozenset()

    @property
    def index_names(self) -> tuple[str, ...]:
        return tuple(INDEX_NAMES.get(column, column) for column in self.index)

    @property
    def doc(self) -> str:
        return self.module.__doc__ or ""


def _columns(name: str, spec: Callable) -> tuple[Builder, ColumnBounds]:
    """Builder and bounds of a variable family whose ``spec`` gives (index, lower, upper, integer)."""

    def build(data: ModelData, lp: LPBuilder, availability: pd.DataFrame) -> None:
        index, lower, upper, integer = spec(data, availability)
        lp.add_columns(name, index, lower, upper, integer=integer)

    def bounds(data: ModelData, availability: pd.DataFrame) -> tuple:
        _, lower, upper, _ = spec(data, availability)
        return lower, upper

    return build, bounds


def _variable(name, component, index, spec, reads=(), *, limit=False) -> FamilySpec:
    """A family of :mod:`variables`; without ``reads`` its bounds never change on a re-solve."""
    build, bounds = _columns(name, spec)
    return FamilySpec(
        name,
        "variable",
        component,
        index,
        variables,
        build,
        bounds if reads else None,
        limit=limit,
        reads=frozenset(reads),
    )


def _balance_limits(data: ModelData, lp: LinearProgram) -> tuple:
    index = lp.rows["balance"].index
    rhs = balance.balance_rhs(data, data.node_code(index["r"], index["c"], index["t"]))
    return rhs, rhs


def _upper_only(function: Callable) -> RowBounds:
    def limits(data: ModelData, lp: LinearProgram) -> tuple:
        return -np.inf, function(data, lp)

    return limits


def _transit_limits(data: ModelData, lp: LinearProgram) -> tuple:
    index = lp.rows["transit"].index
    return -np.inf, transit.transit_upper(data, data.node_code(index["r"], index["c"], index["t"]))


def _group(name: str, module, build: Builder) -> FamilySpec:
    return FamilySpec(name, "group", name, (), module, build)


PROCESSES = frozenset({"processes"})  # what the families of processes.csv read
# What the objective's coefficients read (objective.py): every family's costs, recomputed together.
OBJECTIVE_READS = frozenset({"processes", "trade", "demand", "stocks", "reference_price", "disposal_cost"})

FAMILIES: list[FamilySpec] = [
    _variable(
        "activity", "activity", ("p", "r", "t"), lambda d, a: variables.activity_columns(d, a), PROCESSES, limit=True
    ),
    _variable("build", "built", ("p", "r", "t"), lambda d, a: variables.build_columns(d), PROCESSES, limit=True),
    _variable("trade", "trade", ("c", "o", "d", "t"), lambda d, a: variables.trade_columns(d), ("trade",), limit=True),
    _variable("delivery", "delivered", ("r", "c", "t"), lambda d, a: variables.delivery_columns(d), ("demand",)),
    _variable("disposal", "disposed", ("r", "c", "t"), lambda d, a: variables.disposal_columns(d)),
    _variable("stock", "stock", ("r", "c", "t"), lambda d, a: variables.stock_columns(d), ("stocks",), limit=True),
    FamilySpec(  # E1: before the balance, which gives the steps their -1
        elastic_demand.FAMILY,
        "variable",
        "demand_step",
        ("r", "c", "t", "j"),
        elastic_demand,
        lambda data, lp, availability: elastic_demand.add_elastic_steps(data, lp),
        bounds=lambda data, availability: elastic_demand.step_columns(data)[1:3],
        reads=frozenset({"demand"}),
    ),
    FamilySpec(
        "balance",
        "constraint",
        "balance",
        ("r", "c", "t"),
        balance,
        lambda data, lp, availability: balance.add_balance(data, lp),
        limits=_balance_limits,
        reads=frozenset({"stocks"}),
    ),
    FamilySpec(
        "capacity",
        "constraint",
        "capacity",
        ("p", "r", "t"),
        capacity,
        capacity.add_capacity,
        limits=_upper_only(lambda data, lp: capacity.capacity_limits(data, lp.columns["activity"].index)),
        limit=True,
        reads=PROCESSES,
    ),
    FamilySpec(
        "reserve",
        "constraint",
        "reserve",
        ("p", "r"),
        capacity,
        lambda data, lp, availability: capacity.add_reserves(data, lp),
        limits=_upper_only(lambda data, lp: capacity.reserve_limits(data)),
        limit=True,
        reads=PROCESSES,
    ),
    FamilySpec(  # a project's size: the builds of a process and region over the horizon
        "build_total",
        "constraint",
        "build_total_limit",
        ("p", "r"),
        capacity,
        lambda data, lp, availability: capacity.add_build_totals(data, lp),
        limits=_upper_only(lambda data, lp: capacity.build_total_limits(data)),
        limit=True,
        report=True,
        reads=PROCESSES,
    ),
    FamilySpec(
        "quota",
        "constraint",
        "quota",
        ("name", "t"),
        quotas,
        lambda data, lp, availability: quotas.add_quotas(data, lp),
        limits=_upper_only(lambda data, lp: data.quotas["limit"].to_numpy()),
        limit=True,
        reads=frozenset({"quotas"}),
    ),
    FamilySpec(
        "transit",
        "constraint",
        "transit",
        ("r", "c", "t"),
        transit,
        lambda data, lp, availability: transit.add_transit(data, lp),
        limits=_transit_limits,
        limit=True,
        reads=frozenset({"stocks"}),
    ),
    _group("content", content, lambda data, lp, availability: content.add_content(data, lp)),
    _group(
        "policies",
        policies,
        lambda data, lp, availability: policies.add_policies(data, lp, taken=set(lp._rows) | set(lp._columns)),
    ),
]


def index_tuples(data: ModelData, frame: pd.DataFrame, columns: tuple[str, ...]) -> list:
    """The index of every row of ``frame`` in the instance's names (a scalar for one column)."""
    lookup = {
        "p": data.process_names.to_numpy(dtype=object),
        "r": data.regions.to_numpy(dtype=object),
        "c": data.commodities.to_numpy(dtype=object),
        "o": data.regions.to_numpy(dtype=object),
        "d": data.regions.to_numpy(dtype=object),
        "t": np.array([int(year) for year in data.periods], dtype=object),
    }
    parts = []
    for column in columns:
        values = frame[column].to_numpy()
        parts.append(lookup[column][values.astype(np.int64)].tolist() if column in lookup else values.tolist())
    return parts[0] if len(parts) == 1 else list(zip(*parts, strict=True))


def naming(name: str, index: pd.DataFrame) -> tuple[str, tuple[str, ...], str]:
    """Component name, index columns and docstring of the program family ``name``: its registry entry,
    or for a family a group added, its own key and the key columns of its frame."""
    for spec in FAMILIES:
        if spec.name == name and spec.kind != "group":
            return spec.component, spec.index, spec.doc
    return name, tuple(c for c in index.columns if c in KEY_COLUMNS), ""


def family(name: str) -> FamilySpec:
    """The registered family called ``name`` (its program key)."""
    for spec in FAMILIES:
        if spec.name == name:
            return spec
    raise KeyError(name)


def limit_families(kind: str) -> set[str]:
    """Names of the families of ``kind`` that the diagnosis reports as limits."""
    return {spec.name for spec in FAMILIES if spec.kind == kind and spec.limit}
