"""An instance: the settings of ``instance.yaml`` and the validated tables of its folder."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from optimizer.errors import InputError, Problem, display_name
from optimizer.instance.expand import expand_table
from optimizer.instance.origin import ORIGIN_SETTINGS, check_origin_settings, read_origin_settings
from optimizer.instance.reader import read_table
from optimizer.instance.schema import LARGEST, TABLES
from optimizer.instance.size import check_size
from optimizer.instance.validate import check_references
from optimizer.yamlio import line_of, load_yaml

OBJECTIVES = ("cost", "value")
MAX_PERIODS = 1000  # a horizon of more periods is a typo (and would not fit in memory)
YEARS = (1, 9999)
MAX_DISCOUNT_RATE = 1.0  # 100% a year
# The largest ratio between the discount factors of two periods (or of a period and the base year) that
# the solver resolves: HiGHS's tolerances are absolute (1e-7), so a cost weighted by 1e-6 is resolved
# only to 0.1 per unit, and beyond that later periods' activities and marginal values drift.
MAX_DISCOUNT_SPAN = 1e6
SETTINGS = (
    "name",
    "description",
    "currency",
    "base_year",
    "periods",
    "period_lengths",
    "discount_rate",
    "objective",
    "unmet_penalty",
    *ORIGIN_SETTINGS,
)


@dataclass(frozen=True)
class Instance:
    """A validated instance, ready to become a network and a model.

    ``tables`` maps table name (``processes``, ``trade``, ...) to a DataFrame with the columns of
    :mod:`optimizer.instance.schema` (blank numbers as NaN, blank text as ``""``, a ``line`` column
    pointing back into the file). Absent optional tables are empty frames with those columns.
    """

    name: str
    folder: Path
    periods: tuple[int, ...]
    period_lengths: tuple[float, ...]
    tables: dict[str, pd.DataFrame]
    description: str = ""
    currency: str = "USD"
    base_year: int = 0
    discount_rate: float = 0.0
    objective: str = "cost"
    unmet_penalty: float | None = None
    transit: str = "allowed"  # E2: "forbidden" bars re-export of untransformed imports (hubs exempt)
    tracked_regions: tuple[str, ...] = ()  # E3: content classes when not empty
    scenario: str = "base"
    scenario_description: str = ""
    warnings: tuple[str, ...] = field(default_factory=tuple)
    scenario_files: tuple[Path, ...] = ()
    policies: tuple = ()  # constraints of one's own (optimizer.scenario.policies.Policy), from scenarios
    _expanded: dict = field(default_factory=dict, compare=False, repr=False)

    def table(self, name: str) -> pd.DataFrame:
        return self.tables[name]

    def expanded(self, name: str) -> pd.DataFrame:
        """The table with one row per key and period (period overrides and ``*`` applied), computed once.

        >>> load_instance("toy").expanded("trade").shape[0]  # 3 links + CeO2 between every two regions
        9
        """
        if name not in self._expanded:
            if "_size" not in self._expanded:  # before the first expansion: it may not fit
                self._expanded["_size"] = check_size(self)
            self._expanded[name] = expand_table(self.tables, name, self.regions, self.periods)
        return self._expanded[name]

    def derived(self, tables: tuple[str, ...], name: str, compute):
        """A value computed from ``tables`` once per instance (and kept by scenarios that leave them alone)."""
        key = "+".join(tables) + ":" + name
        if key not in self._expanded:
            self._expanded[key] = compute(self)
        return self._expanded[key]

    @property
    def content(self) -> dict | None:
        """The ``content`` setting as written in instance.yaml (None when no classes are declared)."""
        return {"tracked": list(self.tracked_regions)} if self.tracked_regions else None

    @property
    def regions(self) -> list[str]:
        return self.tables["regions"]["region"].tolist()

    @property
    def commodities(self) -> list[str]:
        return self.tables["commodities"]["commodity"].drop_duplicates().tolist()

    @property
    def discount_factors(self) -> tuple[float, ...]:
        """``disc[t] = (1 + rate) ** -(t - base_year)``, computed as an exponential (no overflow)."""
        growth = math.log1p(self.discount_rate)
        return tuple(math.exp(-(t - self.base_year) * growth) for t in self.periods)

    def replace(self, **changes) -> Instance:
        """A copy with ``changes``; expanded tables are recomputed unless ``_expanded`` is passed."""
        changes.setdefault("_expanded", {})
        return dataclasses.replace(self, **changes)


def resolve_folder(name_or_path: str | Path) -> Path:
    """A folder path, or the name of a folder under ``instances/`` (here or in the repository)."""
    path = Path(name_or_path)
    if path.is_dir():
        return path
    for root in (Path.cwd() / "instances", Path(__file__).resolve().parents[2] / "instances"):
        if (root / str(name_or_path)).is_dir():
            return root / str(name_or_path)
    raise InputError(
        Problem(
            str(name_or_path), "no such instance folder", expected="a folder path or a folder name under instances/"
        )
    )


def load_instance(name_or_path: str | Path) -> Instance:
    """Read and validate an instance folder.

    Raises :class:`~optimizer.errors.InputError` naming file, line and column of every problem.

    >>> instance = load_instance("toy")
    >>> instance.regions
    ['NORTH', 'SOUTH', 'EAST']
    """
    folder = resolve_folder(name_or_path)
    settings = _read_settings(folder / "instance.yaml")
    tables, problems = {}, []
    for table in TABLES.values():
        path = folder / table.file
        if not path.exists() and not table.required_file:
            tables[table.name] = empty_table(table.name)
            continue
        try:
            tables[table.name] = read_table(path, table)
        except InputError as error:  # keep reading: a user fixes all files in one pass
            problems += error.problems
    if problems:
        raise InputError(problems)
    instance = Instance(folder=folder, tables=tables, **settings)
    check_origin_settings(instance, display_name(folder / "instance.yaml"))
    return instance.replace(warnings=tuple(check_references(instance)))


def empty_table(name: str) -> pd.DataFrame:
    table = TABLES[name]
    frame = pd.DataFrame({"line": pd.Series(dtype=int)})
    for column in table.columns:
        dtype = float if column.kind == "number" else object
        frame[column.name] = pd.Series(dtype=dtype)
    frame.attrs["file"] = table.file
    return frame


def _read_settings(path: Path) -> dict:
    data, lines = load_yaml(path)
    name = display_name(path)

    def fail(key: str, message: str, expected: str | None = None) -> InputError:
        return InputError(Problem(name, message, line=line_of(lines, (key,)), column=key, expected=expected))

    if not isinstance(data, dict):
        raise InputError(Problem(name, "is not a mapping of settings", line=1, expected="keys such as name, periods"))
    for key in data:
        if key not in SETTINGS:
            raise fail(str(key), "unknown setting", "one of " + ", ".join(SETTINGS))
    if "periods" not in data:
        raise InputError(
            Problem(name, "setting 'periods' is missing", expected="a list of years or {start, end, step}")
        )
    periods = _periods(data["periods"], fail)
    lengths = _period_lengths(periods, data.get("period_lengths"), fail)
    settings = {
        "name": _text(data, "name", path.parent.name, fail),
        "description": _text(data, "description", "", fail),
        "currency": _text(data, "currency", "USD", fail),
        "periods": periods,
        "period_lengths": lengths,
        "base_year": _number(data, "base_year", periods[0], fail, integer=True),
        "discount_rate": _number(data, "discount_rate", 0.0, fail, maximum=MAX_DISCOUNT_RATE),
        "objective": str(data.get("objective") or "cost"),
    }
    _check_discounting(periods, settings["base_year"], settings["discount_rate"], fail)
    if settings["objective"] not in OBJECTIVES:
        raise fail("objective", f"'{settings['objective']}' is not an objective", "cost or value")
    if data.get("unmet_penalty") is not None:
        settings["unmet_penalty"] = _number(data, "unmet_penalty", None, fail, maximum=LARGEST)
    settings.update(read_origin_settings(data, fail))
    return settings


def _check_discounting(periods: tuple[int, ...], base_year: int, rate: float, fail) -> None:
    """Refuse a rate, horizon and base year whose discount factors span more than the solver resolves."""
    exponents = [-(t - base_year) * math.log1p(rate) for t in periods] + [0.0]  # the base year weighs 1
    span = max(exponents) - min(exponents)
    if span > math.log(MAX_DISCOUNT_SPAN):
        raise fail(
            "discount_rate",
            f"discounting at {rate:.4g} a year from base year {base_year} over {periods[0]}-{periods[-1]} gives "
            f"weights spanning 1 to 1e{span / math.log(10):.0f}, more than the solver resolves "
            f"(1 to {MAX_DISCOUNT_SPAN:.0e}): later periods' activities and marginal values would drift",
            "a lower rate, a shorter horizon, or a base year inside the horizon",
        )


def _text(data: dict, key: str, default: str, fail) -> str:
    """A setting that is a word or sentence (a list or mapping there is a mistake, and may be huge)."""
    value = data.get(key)
    if value is None or value == "":
        return default
    if isinstance(value, list | dict):
        raise fail(key, f"'{key}' is not text", "a word or a sentence")
    return str(value)


def _number(data: dict, key: str, default, fail, integer: bool = False, maximum: float | None = None):
    value = data.get(key, default)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value or abs(value) == float("inf"):
        raise fail(key, f"'{value}' is not a finite number", "a finite number")
    if integer:
        if int(value) != value or not YEARS[0] <= value <= YEARS[1]:
            raise fail(key, f"'{value}' is not a year", f"a whole year between {YEARS[0]} and {YEARS[1]}")
        return int(value)
    if value < 0:
        raise fail(key, f"{value} is negative", "a number >= 0")
    if maximum is not None and value > maximum:
        raise fail(key, f"{value} is too large", f"a number <= {maximum:g}")
    return float(value)


def _periods(spec, fail) -> tuple[int, ...]:
    expected = "a list of increasing years, or {start, end, step}"
    if isinstance(spec, dict):
        unknown = set(spec) - {"start", "end", "step"}
        if unknown or "start" not in spec or "end" not in spec:
            raise fail("periods", "needs start and end (and optionally step)", expected)
        values = [spec["start"], spec["end"], spec.get("step", 1)]
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in values) or values[2] < 1:
            raise fail("periods", "start, end and step must be whole years, step >= 1", expected)
        if (values[1] - values[0]) // values[2] + 1 > MAX_PERIODS:
            raise fail("periods", f"more than {MAX_PERIODS} periods", expected)
        periods = tuple(range(values[0], values[1] + 1, values[2]))
    elif isinstance(spec, list):
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in spec):
            raise fail("periods", "periods must be whole years", expected)
        periods = tuple(spec)
    else:
        raise fail("periods", f"'{spec}' is not a list of years", expected)
    if not periods:
        raise fail("periods", "no periods", expected)
    if len(periods) > MAX_PERIODS or not all(YEARS[0] <= year <= YEARS[1] for year in periods):
        raise fail("periods", f"at most {MAX_PERIODS} years between {YEARS[0]} and {YEARS[1]}", expected)
    if any(b <= a for a, b in zip(periods, periods[1:], strict=False)):
        raise fail("periods", "years must increase", expected)
    return periods


def _period_lengths(periods: tuple[int, ...], overrides, fail) -> tuple[float, ...]:
    """Each period lasts until the next one starts; the last lasts as long as the one before it."""
    gaps = [float(b - a) for a, b in zip(periods, periods[1:], strict=False)]
    lengths = dict(zip(periods, gaps + [gaps[-1] if gaps else 1.0], strict=True))
    if overrides is not None:
        if not isinstance(overrides, dict):
            raise fail("period_lengths", "must map years to lengths", "{year: years}")
        for year, length in overrides.items():
            if year not in lengths:
                raise fail("period_lengths", f"{year} is not a period", "years listed in periods")
            if isinstance(length, bool) or not isinstance(length, int | float) or not 0 < length <= YEARS[1]:
                raise fail("period_lengths", f"length '{length}' of {year} is not a number of years", "> 0 and <= 9999")
            lengths[year] = float(length)
    return tuple(lengths[t] for t in periods)
