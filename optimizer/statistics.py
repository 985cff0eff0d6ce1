"""Statistics of a run, in the spirit of PyPSA's ``n.statistics``: one definition of each number that
``compare``, the report and the README show, read only from a run's tables.

``solution.statistics`` (a solved :class:`~optimizer.solution.Solution`) and
``Statistics.of(folder)`` (a results folder on disk) give the same numbers; ``Comparison`` applies
them to several runs and puts the runs side by side as columns.

* ``prices(by=...)``: the **marginal value** (USD per t in the period's own money, the dual of the
  commodity balance) per commodity, region and period. When ``period`` is not in ``by``, periods
  are combined by their **length-weighted mean** (the *horizon mean*); other dimensions left out of
  ``by`` are combined by the plain mean of the nodes (``how="median"``, ``"max"``, ``"min"`` instead).
  Periods with unmet demand are flagged by :meth:`Statistics.shortfall_periods`: there the
  marginal values of the products short are the unmet-demand penalty, not a market price.
* ``builds(by="stage")``: new capacity commissioned, t/yr, summed over what is left out of ``by``
  (``stage`` is the stage a process makes: ``concentrate`` for mines, ``oxide`` for separation,
  ``functional_material`` for magnet plants ...).
* ``flows(stage=..., by="origin")``: where rare earths come from, tonnes over the horizon (per year
  when ``period`` is in ``by``), of a stage's rare-earth feed (``stage_sourcing``), or of the
  deliveries when ``stage`` is ``None`` (``sourcing``); ``share=True`` divides by the total of each
  group of the other dimensions of ``by``.
* ``costs(by="category")``: costs by category, discounted over the whole horizon (the summary's, adding
  up to the objective); with ``period`` in ``by`` the ledger's per-year amounts in the period's money.

>>> import optimizer
>>> stats = optimizer.solve("toy").statistics
>>> stats.prices(by=["commodity", "region"]).loc[("Dy2O3", "EAST")]
np.float64(3328.0)
>>> stats.costs()["system"]
np.float64(138000.0)
>>> stats.flows(by=["region", "origin_kind"], share=True).loc[("EAST", "import_mining")]
np.float64(1.0)
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from optimizer.errors import InputError

PRICE_DIMENSIONS = ("commodity", "region", "period")
BUILD_DIMENSIONS = ("stage", "process", "region", "period")
FLOW_DIMENSIONS = ("region", "commodity", "stage", "period", "origin", "origin_kind")
COST_DIMENSIONS = ("category", "source", "process", "region", "commodity", "period")
HOW = ("mean", "median", "max", "min")


def _dimensions(by: str | Sequence[str] | None, allowed: Sequence[str], what: str) -> list[str]:
    chosen = [by] if isinstance(by, str) else list(by or [])
    unknown = [name for name in chosen if name not in allowed]
    if unknown:
        raise InputError(f"{what}: cannot group by '{unknown[0]}'; expected some of {', '.join(allowed)}")
    return chosen


def _pick(frame: pd.DataFrame, **wanted) -> pd.DataFrame:
    """Rows whose columns hold the wanted value (or one of a list of values); ``None`` keeps all."""
    for column, value in wanted.items():
        if value is None:
            continue
        values = value if isinstance(value, list | tuple | set | range) else [value]
        frame = frame[frame[column].isin(list(values))]
    return frame


@dataclass(frozen=True)
class Statistics:
    """The statistics of one run: its tables (as a results folder holds them), summary and period lengths."""

    tables: Mapping[str, pd.DataFrame] = field(repr=False)
    summary: Mapping = field(repr=False)
    lengths: Mapping[int, float]
    process_stage: pd.Series | None = field(default=None, repr=False)
    label: str = ""

    @classmethod
    def of(cls, run) -> Statistics:
        """Statistics of a Solution, a report ``ResultsFolder``, or a results folder's path."""
        if isinstance(run, Statistics):
            return run
        if isinstance(run, str | Path):
            from optimizer.report.folder import read_results

            run = read_results(run)
        if hasattr(run, "instance"):  # a Solution
            from optimizer.instance.chain import process_stages

            instance = run.instance
            lengths = dict(zip(instance.periods, instance.period_lengths, strict=True))
            stages = process_stages(instance).set_index("process")["process_stage"]
            label = str(run.summary.get("label") or instance.scenario)
            return cls(run.tables, run.summary, lengths, stages, label)
        # a results folder as the report reads it
        stages = run.chain.process_stage if run.chain is not None else None
        return cls(run.tables, run.summary, folder_lengths(run.path, run.periods), stages, run_label(run.summary))

    def table(self, name: str) -> pd.DataFrame:
        table = self.tables.get(name)
        if table is None:
            from optimizer.output.columns import RESULT_COLUMNS

            return pd.DataFrame(columns=RESULT_COLUMNS.get(name, []))
        return table

    @property
    def periods(self) -> list[int]:
        return sorted(int(p) for p in self.lengths)

    def prices(
        self,
        by: str | Sequence[str] = PRICE_DIMENSIONS,
        *,
        commodity=None,
        region=None,
        period=None,
        how: str = "mean",
    ) -> pd.Series:
        """Marginal values (per t, period's own money) grouped by ``by``; module docstring for the rule."""
        by = _dimensions(by, PRICE_DIMENSIONS, "prices")
        if how not in HOW:
            raise InputError(f"prices: how must be one of {', '.join(HOW)}, not '{how}'")
        balance = _pick(self.table("balance"), commodity=commodity, region=region, period=period)
        balance = balance.dropna(subset=["marginal_value"])
        if "period" not in by:  # one value per node first: the length-weighted mean over its periods
            weight = balance["period"].map(self.lengths).astype(float)
            balance = balance.assign(_weighted=balance["marginal_value"] * weight, _weight=weight)
            nodes = balance.groupby(["commodity", "region"])[["_weighted", "_weight"]].sum()
            balance = (nodes["_weighted"] / nodes["_weight"]).rename("marginal_value").reset_index()
        if not by:
            return pd.Series({"marginal_value": balance["marginal_value"].agg(how)})
        return balance.groupby(by)["marginal_value"].agg(how).rename("marginal_value")

    def shortfall_periods(self) -> list[int]:
        """Periods with unmet demand: there marginal values of what is short are the penalty."""
        delivered = self.table("delivered")
        return sorted(int(p) for p in delivered.loc[delivered["unmet"] > 1e-6, "period"].unique())

    def builds(self, by: str | Sequence[str] = "stage", *, stage=None, region=None, period=None) -> pd.Series:
        """New capacity commissioned (t/yr), summed over what ``by`` leaves out."""
        by = _dimensions(by, BUILD_DIMENSIONS, "builds")
        builds = self.table("builds")
        stages = self.process_stage if self.process_stage is not None else pd.Series(dtype=object)
        builds = builds.assign(stage=builds["process"].map(stages).fillna("unknown"))
        builds = _pick(builds, stage=stage, region=region, period=period)
        if not by:
            return pd.Series({"built": float(builds["built"].sum())})
        return builds.groupby(by)["built"].sum().rename("built")

    def flows(
        self,
        stage: str | None = None,
        by: str | Sequence[str] = "origin",
        *,
        region=None,
        commodity=None,
        period=None,
        share: bool = False,
    ) -> pd.Series:
        """Rare-earth tonnes by origin: of a stage's feed (``stage``) or of the deliveries (``None``)."""
        by = _dimensions(by, FLOW_DIMENSIONS, "flows")
        if stage is None:
            table = self.table("sourcing")
        else:
            table = self.table("stage_sourcing")
            table = table[table["stage"] == stage]
        table = table.rename(columns={"origin_region": "origin"})
        missing = [name for name in by if name not in table.columns]
        if missing:
            raise InputError(f"flows: '{missing[0]}' is not a dimension of {'stage' if stage else 'delivery'} flows")
        table = _pick(table, region=region, commodity=commodity, period=period)
        if "period" in by:
            tonnes = table["tonnes"]
        else:  # tonnes over the horizon
            tonnes = table["tonnes"] * table["period"].map(self.lengths).astype(float)
        table = table.assign(tonnes=tonnes)
        if not by:
            return pd.Series({"tonnes": float(table["tonnes"].sum())})
        grouped = table.groupby(by)["tonnes"].sum().rename("tonnes")
        if share:
            rest = [name for name in by if name not in ("origin", "origin_kind")]
            total = grouped.groupby(level=rest).transform("sum") if rest else grouped.sum()
            grouped = (grouped / total).rename("share")
        return grouped

    def costs(self, by: str | Sequence[str] = "category", *, period=None) -> pd.Series:
        """Costs by category, discounted over the horizon; with ``period`` in ``by`` (or ``period=``
        given) the ledger's amounts per year in the period's own money."""
        by = _dimensions(by, COST_DIMENSIONS, "costs")
        if by == ["category"] and period is None:
            costs = {k: v for k, v in (self.summary.get("costs") or {}).items() if v is not None}
            return pd.Series(costs, dtype=float, name="cost").rename_axis("category")
        ledger = self.table("costs")
        if ledger.empty and "costs" not in self.tables:
            raise InputError("costs by period need the cost ledger (a Solution's 'costs' table)")
        ledger = _pick(ledger, period=period)
        return ledger.groupby(by)["amount"].sum().rename("cost")


KEY_PRODUCTS = ("NdPr_oxide", "Dy2O3", "Tb4O7", "ndfeb_magnet")
KEY_REGIONS = ("CN", "JP", "EU", "US")


def key_prices(stats: Statistics, periods: Sequence[int] | None = None, regions: Sequence[str] = ()) -> dict:
    """The marginal values compare, the report and the README quote: the key products (NdPr oxide,
    Dy2O3, Tb4O7, NdFeB magnets; else the commodities demanded) in CN, JP, EU and US (else in
    ``regions``), as ``mv_<commodity>_<region>``, the horizon mean (periods weighted by length), or
    with ``periods`` as ``mv_<commodity>_<region>@<year>``, the value of each period."""
    balance = stats.table("balance")
    present = set(balance["region"].unique())
    chosen = [r for r in KEY_REGIONS if r in present] or list(regions) or demand_regions(stats)
    commodities = set(balance["commodity"].unique())
    products = [c for c in KEY_PRODUCTS if c in commodities]
    products = products or sorted(set(stats.table("delivered")["commodity"]))
    if periods:
        prices = stats.prices(commodity=products, region=chosen, period=list(periods))
        return {f"mv_{c}_{r}@{t}": float(v) for (c, r, t), v in prices.items()}
    prices = stats.prices(by=["commodity", "region"], commodity=products, region=chosen)
    return {f"mv_{c}_{r}": float(v) for (c, r), v in prices.items()}


def demand_regions(stats: Statistics, count: int = 5) -> list[str]:
    """The regions with the largest demand over the periods (the main demand regions)."""
    delivered = stats.table("delivered")
    if delivered.empty:
        return []
    return delivered.groupby("region")["demand"].sum().nlargest(count).index.tolist()


def folder_lengths(path: Path, periods: Sequence[int]) -> dict[int, float]:
    """Period lengths of a results folder: inputs/settings.json, else the README's rule (until the next
    period starts; the last as long as the one before; one year for a single period)."""
    settings = Path(path) / "inputs" / "settings.json"
    if settings.is_file():
        recorded = json.loads(settings.read_text(encoding="utf-8"))
        if recorded.get("periods") and recorded.get("period_lengths"):
            return {int(p): float(n) for p, n in zip(recorded["periods"], recorded["period_lengths"], strict=True)}
    periods = sorted(int(p) for p in periods)
    if len(periods) < 2:
        return {p: 1.0 for p in periods}
    steps = list(np.diff(periods))
    return {p: float(n) for p, n in zip(periods, [*steps, steps[-1]], strict=True)}


def run_label(summary: Mapping) -> str:
    """What a run is called everywhere: the user's ``--label``, else the scenario name."""
    return str(summary.get("label") or summary.get("scenario") or "base")


class Comparison:
    """Several runs (Solutions or results folders) side by side: ``comparison.statistics.prices(...)``
    gives one column per run, named by its label (made distinct by numbering repeats).

    >>> import optimizer
    >>> runs = [optimizer.solve("toy"), optimizer.solve("toy", scenario="north_export_ban_soft")]
    >>> Comparison(runs).statistics.costs().loc["penalty"].round(2).tolist()
    [0.0, 157894.74]
    """

    def __init__(self, runs: Sequence, labels: Sequence[str] | None = None):
        self.runs = list(runs)
        self.members = [Statistics.of(run) for run in self.runs]
        names = list(labels) if labels is not None else [member.label for member in self.members]
        self.labels = distinct_labels(names)

    @property
    def statistics(self) -> _Collection:
        return _Collection(self.members, self.labels)


def distinct_labels(names: Sequence[str]) -> list[str]:
    """Labels made distinct: a repeated label gets `` (2)``, `` (3)`` ..."""
    seen: dict[str, int] = {}
    result = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        result.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return result


@dataclass(frozen=True)
class _Collection:
    members: list[Statistics]
    labels: list[str]

    def _side_by_side(self, method: str, *args, **kwargs) -> pd.DataFrame:
        columns = [getattr(member, method)(*args, **kwargs) for member in self.members]
        return pd.concat(columns, axis=1, keys=self.labels)

    def prices(self, *args, **kwargs) -> pd.DataFrame:
        return self._side_by_side("prices", *args, **kwargs)

    def builds(self, *args, **kwargs) -> pd.DataFrame:
        return self._side_by_side("builds", *args, **kwargs).fillna(0.0)

    def flows(self, *args, **kwargs) -> pd.DataFrame:
        return self._side_by_side("flows", *args, **kwargs)

    def costs(self, *args, **kwargs) -> pd.DataFrame:
        return self._side_by_side("costs", *args, **kwargs)
