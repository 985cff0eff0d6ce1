"""The tables of an instance folder: their columns, types, defaults and keys (INTERFACE.md).

One :class:`Table` per CSV file. The reader checks every file against its table before anything
else looks at it, so the rest of the package can trust column names, types and signs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

STAGES = (
    "ore",
    "concentrate",
    "intermediate",
    "oxide",
    "metal",
    "alloy",
    "functional_material",
    "end_of_life",
)
ELEMENT_GROUPS = ("light", "heavy")
DIRECTIONS = ("in", "out")
OBSERVED_KINDS = ("activity", "trade", "delivered", "price", "export_price")
INF = math.inf
# Above this a number is a unit mistake, not data (HiGHS treats 1e20 as infinity and rejects matrix
# entries from 1e15 on); blank means unlimited where a column allows it.
LARGEST = 1e12


@dataclass(frozen=True)
class Column:
    """One column of a table.

    ``kind`` is ``text``, ``number`` or ``list`` (``;``-separated names). A ``required`` column must
    be present in the header; ``value_required`` cells must not be blank. A blank cell takes
    ``default`` (``None`` means "absent", which the model reads per column: unlimited capacity,
    no builds, ...).
    """

    name: str
    kind: str = "text"
    required: bool = False
    value_required: bool = False
    default: object = None
    minimum: float | None = 0.0
    maximum: float | None = None
    below_maximum: bool = False  # strict upper bound, e.g. a transit loss < 1
    positive: bool = False  # strictly > 0
    choices: tuple[str, ...] | None = None

    @property
    def expected(self) -> str:
        if self.choices:
            return "one of " + ", ".join(self.choices)
        if self.kind == "number":
            parts = ["a finite number"]
            if self.positive:
                parts.append("> 0")
            elif self.minimum is not None:
                parts.append(f">= {self.minimum:g}")
            if self.maximum is not None:
                parts.append(("< " if self.below_maximum else "<= ") + f"{self.maximum:g}")
            else:
                parts.append(f"<= {LARGEST:g}")
            return " ".join(parts)
        if self.kind == "list":
            return "names separated by ';'"
        return "a name"


@dataclass(frozen=True)
class Table:
    """A CSV file of an instance folder."""

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    required_file: bool = True
    nonempty: bool = False
    has_period: bool = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "has_period", any(c.name == "period" for c in self.columns))

    @property
    def file(self) -> str:
        return f"{self.name}.csv"

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(name)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


def _num(name: str, **kw) -> Column:
    return Column(name, kind="number", **kw)


PERIOD = Column("period", kind="number", minimum=None)

REGIONS = Table(
    "regions",
    (
        Column("region", required=True, value_required=True),
        Column("name"),
        Column("bloc"),
        Column("hub", default="false", choices=("true", "false")),  # E2: may re-export untransformed imports
    ),
    key=("region",),
    nonempty=True,
)

COMMODITIES = Table(
    "commodities",
    (
        Column("commodity", required=True, value_required=True),
        Column("stage", required=True, value_required=True, choices=STAGES),
        Column("unit"),
        Column("element"),
        Column("element_group", choices=ELEMENT_GROUPS),
        _num("reference_price"),
        _num("disposal_cost", default=0.0),
        PERIOD,
    ),
    key=("commodity", "period"),
    nonempty=True,
)

PROCESS_IO = Table(
    "process_io",
    (
        Column("process", required=True, value_required=True),
        Column("commodity", required=True, value_required=True),
        Column("direction", required=True, value_required=True, choices=DIRECTIONS),
        _num("coefficient", required=True, value_required=True, positive=True),
    ),
    key=("process", "commodity", "direction"),
    nonempty=True,
)

PROCESSES = Table(
    "processes",
    (
        Column("process", required=True, value_required=True),
        Column("region", required=True, value_required=True),
        _num("capacity", required=True),
        _num("cost_system", default=0.0),
        _num("cost_energy", default=0.0),
        _num("cost_material", default=0.0),
        _num("cost_waste", default=0.0),
        _num("capex"),
        _num("max_build"),
        _num("lead_time", default=0.0),
        _num("unit_size", positive=True),
        _num("reserve"),
        # the most capacity builds may add over the horizon (t/yr), on the row without a period
        _num("max_build_total"),
        # a floor on activity: how a base year is calibrated to observed output (blank = 0)
        _num("min_activity"),
        PERIOD,
    ),
    key=("process", "region", "period"),
    nonempty=True,
)

TRADE = Table(
    "trade",
    (
        Column("commodity", required=True, value_required=True),
        Column("origin", required=True, value_required=True),
        Column("destination", required=True, value_required=True),
        _num("cost", default=0.0),
        _num("tariff", default=0.0),
        _num("tariff_rate", default=0.0),
        _num("loss", default=0.0, maximum=1.0, below_maximum=True),
        _num("capacity"),
        PERIOD,
    ),
    key=("commodity", "origin", "destination", "period"),
    required_file=False,
)

DEMAND = Table(
    "demand",
    (
        Column("region", required=True, value_required=True),
        Column("commodity", required=True, value_required=True),
        _num("quantity", required=True, value_required=True),
        _num("price"),
        _num("penalty"),
        # price-responsive demand (FORMULATION.md E1); validate.py checks that elasticity has a price
        _num("elasticity", minimum=None, maximum=0.0, below_maximum=True),
        _num("steps", default=5.0, minimum=1.0, maximum=1000.0),
        _num("band", default=0.5, positive=True, maximum=1.0),
        _num("max_tracked_share", maximum=1.0),  # E3: bound on the tracked share of the delivery
        PERIOD,
    ),
    key=("region", "commodity", "period"),
)

QUOTAS = Table(
    "quotas",
    (
        Column("quota", required=True, value_required=True),
        Column("origin", required=True, value_required=True),
        Column("commodities", kind="list", required=True, value_required=True),
        Column("destinations", kind="list"),
        _num("limit", required=True, value_required=True),
        PERIOD,
    ),
    key=("quota", "period"),
    required_file=False,
)

STOCKS = Table(
    "stocks",
    (
        Column("region", required=True, value_required=True),
        Column("commodity", required=True, value_required=True),
        _num("initial", default=0.0),
        _num("max_level"),
        _num("holding_cost", default=0.0),
    ),
    key=("region", "commodity"),
    required_file=False,
)

OBSERVED = Table(
    "observed",
    (
        Column("kind", required=True, value_required=True, choices=OBSERVED_KINDS),
        Column("process"),
        Column("region"),
        Column("commodity"),
        Column("origin"),
        Column("destination"),
        Column("period", kind="number", minimum=None, required=True, value_required=True),
        _num("value", required=True, value_required=True),
    ),
    key=("kind", "process", "region", "commodity", "origin", "destination", "period"),
    required_file=False,
)

# The key columns each kind of observation needs (the others must be blank).
OBSERVED_KEYS = {
    "activity": ("process", "region"),
    "trade": ("commodity", "origin", "destination"),
    "delivered": ("region", "commodity"),
    # a market price (per t, the instance's currency) set beside the marginal value; accounting ignores it
    "price": ("region", "commodity"),
    # a price quoted on export from the region (FOB): beside the marginal value there plus the rent of
    # the export quotas on the links it ships on (a licensed tonne abroad fetches the licence's value)
    "export_price": ("region", "commodity"),
}

TABLES: dict[str, Table] = {
    t.name: t for t in (REGIONS, COMMODITIES, PROCESS_IO, PROCESSES, TRADE, DEMAND, QUOTAS, STOCKS, OBSERVED)
}
