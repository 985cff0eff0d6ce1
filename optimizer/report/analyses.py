"""Folders of the analyses beyond one run — sweep, sensitivity, alternatives, chokepoints — told apart
from results folders by their files, and read.

What a folder is depends only on which files it holds, checked in this order (the first that matches):

========================  ==============  =========================================================
file                      kind            written by
========================  ==============  =========================================================
``sensitivity.csv``       sensitivity     ``reeopt sensitivity`` (beside its samples.csv)
``samples.parquet``/.csv  sweep           ``reeopt sweep`` (with summary.json)
``chokepoints.csv``       chokepoints     ``reeopt chokepoints`` (with min_cuts.csv)
``alternatives.csv``      alternatives    ``reeopt alternatives``
``regret.csv``            hedge           ``reeopt hedge`` (with summary.json, builds.csv, plans.csv)
``routes.csv``            routes          ``reeopt routes`` (with routes.json: what was asked)
``summary.json``          results         ``reeopt solve`` (read by :mod:`optimizer.report.folder`)
========================  ==============  =========================================================

A path to one of these files stands for the folder that holds it. A sweep's samples are read from
samples.parquet when it is there (exact numbers), else from samples.csv; the uncertain inputs drawn
are the columns between ``sample`` and ``status``.

>>> import tempfile
>>> scratch = Path(tempfile.mkdtemp())
>>> _ = (scratch / "chokepoints.csv").write_text("rank,kind,element,status,cost_increase,unmet_increase\\n")
>>> folder_kind(scratch), folder_kind(scratch / "chokepoints.csv")
('chokepoints', 'chokepoints')
>>> read_analysis(scratch).table("min_cuts").columns.tolist()
['demand', 'period', 'cut', 'cut_size']
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from optimizer.analysis.readback import read_csv, read_summary
from optimizer.errors import InputError, Problem
from optimizer.report.folder import ResultsFolder, read_results
from optimizer.report.style import money, percent, tonnes

# (file that marks the kind, kind), in the order they are checked.
MARKERS = (
    ("sensitivity.csv", "sensitivity"),
    ("samples.parquet", "sweep"),
    ("samples.csv", "sweep"),
    ("chokepoints.csv", "chokepoints"),
    ("alternatives.csv", "alternatives"),
    ("regret.csv", "hedge"),
    ("routes.csv", "routes"),
    ("summary.json", "results"),
)
# Extension point: a new analysis page (hedge, backcast ...) adds its marker above, its title and
# tables here, a figures module, and an entry in ``contents.ANALYSIS_PAGES``.
KIND_TITLES = {
    "sweep": "Monte Carlo sweep",
    "sensitivity": "Sensitivity",
    "alternatives": "Near-optimal alternatives",
    "chokepoints": "Chokepoints",
    "hedge": "Stochastic build-out",
    "routes": "Supply routes",
}
# The tables (files ``<name>.csv``) each kind reads besides the special cases of ``read_analysis``, and
# the JSON file that is its summary.
KIND_TABLES: dict[str, tuple[str, ...]] = {
    "alternatives": ("alternatives",),
    "chokepoints": ("chokepoints", "min_cuts"),
    "routes": ("routes",),
    "hedge": ("regret", "plans", "builds"),
}
KIND_SUMMARY = {"sweep": "summary.json", "routes": "routes.json", "hedge": "summary.json"}
# The columns of every table of an analysis folder, so that a missing or empty file reads as an
# empty table with the right columns.
TABLE_COLUMNS: dict[str, list[str]] = {
    "samples": ["sample", "status", "reason", "objective"],
    "sensitivity": ["output", "input", "rank"],
    "alternatives": ["scenario", "direction", "status", "objective"],
    "chokepoints": ["rank", "kind", "element", "status", "cost_increase", "unmet_increase"],
    "min_cuts": ["demand", "period", "cut", "cut_size"],
    "regret": ["plan", "scenario", "probability", "status", "cost", "own_optimum", "regret"],
    "plans": ["plan", "process", "region", "period", "built"],
    "builds": ["process", "region", "period", "built"],
    "routes": ["rank", "route", "regions", "tonnes", "cost_per_tonne", "run"],
}
TEXT_COLUMNS = {
    "status",
    "reason",
    "output",
    "input",
    "scenario",
    "direction",
    "kind",
    "element",
    "demand",
    "cut",
    "route",
    "regions",
    "run",
    "plan",
    "process",
    "region",
}


@dataclass(frozen=True)
class AnalysisFolder:
    """The files of one analysis folder, read: ``kind`` (sweep, sensitivity, alternatives or
    chokepoints), its tables by name (``samples``, ``sensitivity``, ``alternatives``, ``chokepoints``,
    ``min_cuts``) and its summary.json (a sweep's; empty for the others)."""

    path: Path
    kind: str
    tables: Mapping[str, pd.DataFrame] = field(repr=False)
    summary: Mapping = field(default_factory=dict, repr=False)

    @property
    def label(self) -> str:
        """``Monte Carlo sweep: toy / base``; the instance is the summary's, else the parent folder of a
        folder with the command line's default name (``results/<instance>/sweep``), else the folder."""
        if self.kind == "hedge" and self.summary.get("instance"):
            name = f"{self.summary['instance']} / " + ", ".join(self.summary.get("probabilities", {}))
        elif self.summary.get("instance"):
            name = f"{self.summary['instance']} / {self.summary.get('scenario', 'base')}"
        elif self.path.name == self.kind and self.path.parent.name:
            name = self.path.parent.name
        else:
            name = self.path.name
        if self.kind == "routes" and self.summary.get("commodity"):
            name += f", {self.summary['commodity']} into {self.summary.get('region', '?')}"
        return f"{KIND_TITLES[self.kind]}: {name}"

    @property
    def currency(self) -> str:
        return str(self.summary.get("currency") or "USD")

    def table(self, name: str) -> pd.DataFrame:
        """The table ``name`` (empty, with its columns, when the file is missing or empty)."""
        table = self.tables.get(name)
        return table if table is not None else pd.DataFrame(columns=TABLE_COLUMNS.get(name, []))


def folder_kind(path: str | Path) -> str:
    """``sweep``, ``sensitivity``, ``alternatives``, ``chokepoints`` or ``results``, by the files in
    ``path`` (module docstring); raises :class:`~optimizer.errors.InputError` when none is there."""
    folder = _folder(path)
    for marker, kind in MARKERS:
        if (folder / marker).is_file():
            return kind
    raise InputError(
        Problem(
            str(path),
            "not a folder reeopt wrote: no summary.json, samples, sensitivity.csv, alternatives.csv, "
            "chokepoints.csv or routes.csv",
            expected="a results, sweep, sensitivity, alternatives, chokepoints or routes folder",
        )
    )


def read_folder(path: str | Path) -> ResultsFolder | AnalysisFolder:
    """A results folder or an analysis folder, whichever ``path`` is."""
    return read_results(_folder(path)) if folder_kind(path) == "results" else read_analysis(path)


def read_analysis(path: str | Path) -> AnalysisFolder:
    """Read a sweep, sensitivity, alternatives or chokepoints folder."""
    folder = _folder(path)
    kind = folder_kind(folder)
    if kind == "results":
        raise InputError(Problem(str(folder), "a results folder, not an analysis folder", expected="read_results"))
    tables: dict[str, pd.DataFrame] = {}
    summary: dict = {}
    if kind == "sweep":
        parquet = folder / "samples.parquet"
        tables["samples"] = pd.read_parquet(parquet) if parquet.is_file() else _read_table(folder / "samples.csv")
        tables["samples"] = _with_columns(tables["samples"], "samples")
    if kind == "sensitivity":
        tables["sensitivity"] = _with_columns(_read_table(folder / "sensitivity.csv"), "sensitivity")
        tables["samples"] = _with_columns(_read_table(folder / "samples.csv"), "samples")
    for name in KIND_TABLES.get(kind, ()):
        tables[name] = _with_columns(_read_table(folder / f"{name}.csv"), name)
    if kind in KIND_SUMMARY:
        summary = _read_summary(folder / KIND_SUMMARY[kind])
    return AnalysisFolder(path=folder, kind=kind, tables=tables, summary=summary)


def sample_inputs(samples: pd.DataFrame) -> list[str]:
    """The uncertain inputs drawn: the columns between ``sample`` and ``status``."""
    columns = list(samples.columns)
    if "status" not in columns:
        return []
    start = columns.index("sample") + 1 if "sample" in columns else 0
    return columns[start : columns.index("status")]


def solved_samples(samples: pd.DataFrame) -> pd.DataFrame:
    """The samples with an optimal solution (those the quantiles of summary.json are taken over)."""
    return samples[samples["status"] == "optimal"]


def _folder(path: str | Path) -> Path:
    path = Path(path)
    return path.parent if path.is_file() else path


def _read_summary(file: Path) -> dict:
    return read_summary(file, required=False)


def _read_table(file: Path) -> pd.DataFrame:
    table = read_csv(file, TEXT_COLUMNS)
    return pd.DataFrame() if table is None else table


def _with_columns(table: pd.DataFrame, name: str) -> pd.DataFrame:
    for column in TABLE_COLUMNS[name]:
        if column not in table.columns:
            table[column] = pd.Series(dtype="object" if column in TEXT_COLUMNS else "float64")
    for column in TEXT_COLUMNS & set(table.columns):
        table[column] = table[column].fillna("").astype(str)
    return table


def describe_output(name: str, currency: str = "USD") -> tuple[str, str]:
    """(words, unit) of an output column of a sweep or sensitivity analysis (the names of
    ``optimizer.analysis.compare``): ``mv_Dy2O3_JP`` is the marginal value of Dy2O3 in JP, in USD/t.

    >>> describe_output("mv_NdPr_oxide_EU"), describe_output("from_CN_JP")
    (('marginal value of NdPr_oxide in EU', 'USD/t'), ("share of JP's deliveries mined in CN", 'share'))
    """
    if name == "objective":
        return "objective", f"{currency}, discounted, whole horizon"
    if name == "cost":
        return "total cost", f"{currency} per year"
    if name == "unmet_demand":
        return "unmet demand over the horizon", "t REO"
    if name.startswith("mv_"):
        commodity, _, region = name.removeprefix("mv_").rpartition("_")
        return f"marginal value of {commodity} in {region}", f"{currency}/t"
    if name.startswith("built_"):
        return f"new capacity in {name.removeprefix('built_')}", "t/yr"
    for prefix, origin in SHARE_PREFIXES.items():
        if name.startswith(prefix):
            return f"share of {name.removeprefix(prefix)}'s deliveries {origin}", "share"
    return name.replace("_", " "), currency if name in COST_CATEGORIES else ""


SHARE_PREFIXES = {
    "from_CN_": "mined in CN",
    "domestic_": "from domestic mining",
    "import_": "from imported mining",
    "recycling_": "from recycling",
}
COST_CATEGORIES = ("system", "energy", "material", "waste", "trade", "tariff", "capex", "holding", "penalty")


def format_output(value: float, name: str, currency: str = "USD") -> str:
    """A value of output ``name`` in words: 65.7 bn USD, 3,328 USD/t, 55%, 1,234 t."""
    if value is None or pd.isna(value):
        return "—"
    unit = describe_output(name, currency)[1]
    if unit == "share":
        return percent(value)
    if unit.startswith("t"):
        return tonnes(value, unit)
    if unit == f"{currency}/t":
        return money(value, currency) + "/t" if abs(value) >= 1e5 else f"{value:,.0f} {currency}/t".replace("-", "−")
    return money(value, currency)
