"""Figures of one results folder about tonnes and money: sourcing, costs, MFCA, value added.

One function per figure; each takes a :class:`~optimizer.report.folder.ResultsFolder` (and a period:
``None`` is the last) and returns a plotly Figure whose title states the units and whose subtitle is a
one-line reading computed from the data (also in ``figure.layout.meta["reading"]``). The material-flow
diagram is in ``sankey.py``; marginal values, capacity and builds in ``marginal.py``.

>>> import tempfile, optimizer
>>> from optimizer.report.folder import read_results
>>> scratch = tempfile.TemporaryDirectory()
>>> folder = read_results(optimizer.write(optimizer.solve("toy"), f"{scratch.name}/toy"))
>>> sourcing_figure(folder).layout.meta["reading"]
"EAST's deliveries come 100% from imported mining (75% mined in NORTH); NORTH's 100% from domestic mining."
>>> for part in mfca_figure(folder).layout.meta["reading"].split("; "):
...     print(part)
Material losses cost 82.9 k USD a year in 2025, 15% of the stages’ costs
most at the oxide stage in NORTH (62.8 k USD).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from optimizer.instance.schema import STAGES
from optimizer.report.chain import STAGE_LABELS
from optimizer.report.folder import ResultsFolder
from optimizer.report.style import GREY, LOSS_RED, colour_map, empty, finish, money, percent

ORIGIN_KINDS = {
    "domestic_mining": "domestic mining",
    "import_mining": "imported mining",
    "recycling": "recycling",
    "stock": "stock",
}
DOMESTIC_COLOUR = "#3d3d3d"
RECYCLING_COLOUR = "#8cd17d"
MAIN_ORIGINS = 10  # import origins shown by name; the rest are "mined elsewhere"
MAIN_ORIGIN_SHARE = 0.01
MFCA_CATEGORIES = ("material", "system", "energy", "waste")
MFCA_COLOURS = {"material": "#4e79a7", "system": "#76b7b2", "energy": "#edc948", "waste": "#9c755f"}
BASIS_LABELS = {"marginal_value": "at marginal values", "reference_price": "at reference prices"}


def sourcing_figure(folder: ResultsFolder, period: int | None = None) -> go.Figure:
    """Where each demand region's deliveries were mined (or recycled): stacked bars per region and
    commodity, one segment per origin, in t REO per year (sourcing.csv)."""
    period = folder.pick_period(period)
    title = f"Sourcing of deliveries by demand region, {period} (t REO per year)"
    sourcing = folder.in_period("sourcing", period)
    sourcing = sourcing[sourcing["tonnes"] > 0]
    if sourcing.empty:
        return empty(title, f"Nothing is delivered in {period}.")
    sourcing = sourcing.assign(origin=_origin_labels(sourcing))
    regions = sourcing.groupby("region")["tonnes"].sum().sort_values(ascending=False).index
    commodities = sourcing.groupby("commodity")["tonnes"].sum().sort_values(ascending=False).index
    bars = sourcing.pivot_table(index=["region", "commodity"], columns="origin", values="tonnes", aggfunc="sum")
    bars = bars.reindex(pd.MultiIndex.from_product([regions, commodities])).dropna(how="all").fillna(0.0)
    origins = sourcing.groupby("origin")["tonnes"].sum().sort_values(ascending=False).index
    region_colours = colour_map(sorted(sourcing["origin_region"].unique()))
    figure = go.Figure()
    for origin in origins:
        figure.add_bar(
            name=origin,
            x=[bars.index.get_level_values(0), bars.index.get_level_values(1)],
            y=bars[origin],
            marker_color=_origin_colour(origin, region_colours),
            hovertemplate=f"{origin}<br>%{{x}}: %{{y:,.1f}} t REO/yr<extra></extra>",
        )
    figure.update_layout(barmode="stack", legend_title_text="origin of the rare earths")
    figure.update_yaxes(title_text="t REO per year")
    figure.update_xaxes(tickangle=-30)
    return finish(figure, title, _sourcing_reading(sourcing), height=520)


def _origin_labels(sourcing: pd.DataFrame) -> pd.Series:
    """ "domestic mining", "mined in X" for the main origins, "mined elsewhere", "recycling", "stock"."""
    kind = sourcing["origin_kind"]
    region = sourcing["origin_region"].fillna("")
    imported = sourcing[kind == "import_mining"].groupby("origin_region")["tonnes"].sum().sort_values(ascending=False)
    main = imported[imported >= MAIN_ORIGIN_SHARE * sourcing["tonnes"].sum()].index[:MAIN_ORIGINS]
    label = kind.map(ORIGIN_KINDS).fillna(kind)
    return label.where(kind != "import_mining", np.where(region.isin(main), "mined in " + region, "mined elsewhere"))


def _origin_colour(origin: str, region_colours: dict[str, str]) -> str:
    if origin == "domestic mining":
        return DOMESTIC_COLOUR
    if origin == "recycling":
        return RECYCLING_COLOUR
    return region_colours.get(origin.removeprefix("mined in "), GREY)


def _sourcing_reading(sourcing: pd.DataFrame) -> str:
    """The largest demand region's main source, and the most import-dependent region's."""
    by_kind = sourcing.pivot_table(index="region", columns="origin_kind", values="tonnes", aggfunc="sum").fillna(0.0)
    shares = by_kind.div(by_kind.sum(axis=1), axis=0)
    imported = shares.get("import_mining", pd.Series(0.0, index=shares.index))
    dependent = imported.sort_values(ascending=False, kind="stable").index[0]
    by_size = by_kind.sum(axis=1).sort_values(ascending=False, kind="stable").index
    largest = [region for region in by_size if region != dependent][:1]
    parts = []
    for region in [dependent, *largest]:
        kind = shares.loc[region].idxmax()
        text = f"{percent(shares.loc[region, kind])} from {ORIGIN_KINDS.get(kind, kind)}"
        if kind == "import_mining":
            mined = sourcing[(sourcing["region"] == region) & (sourcing["origin_kind"] == kind)]
            origin = mined.groupby("origin_region")["tonnes"].sum()
            text += f" ({percent(origin.max() / by_kind.loc[region].sum())} mined in {origin.idxmax()})"
        parts.append(f"{region}'s deliveries come {text}" if not parts else f"{region}'s {text}")
    return "; ".join(parts) + "."


def costs_figure(folder: ResultsFolder) -> go.Figure:
    """The objective's cost categories, discounted over the whole horizon (summary.json)."""
    currency = folder.currency
    title = f"Costs by category, discounted, whole horizon ({currency})"
    costs = pd.Series(folder.summary.get("costs") or {}, dtype=float).dropna()
    total = costs.abs().sum()
    costs = costs[costs.abs() > 1e-9 * max(total, 1.0)].sort_values()
    if costs.empty:
        return empty(title, "No costs in this results folder.")
    figure = go.Figure(
        go.Bar(
            x=costs.to_numpy(),
            y=costs.index,
            orientation="h",
            marker_color=["#4e79a7" if value >= 0 else LOSS_RED for value in costs],
            text=[money(value, currency) for value in costs],
            textposition="auto",
            hovertemplate="%{y}: %{x:,.0f} " + currency + "<extra></extra>",
        )
    )
    figure.update_xaxes(title_text=f"{currency} (discounted)")
    largest = costs.abs().idxmax()
    objective = folder.summary.get("objective")
    reading = f"{largest.capitalize()} is the largest cost, {percent(costs[largest] / costs.sum())} of the total"
    if objective is not None:
        reading += f" ({money(costs.sum(), currency)}; objective {money(objective, currency)})"
    return finish(figure, title, reading + ".", height=120 + 32 * len(costs))


def mfca_figure(folder: ResultsFolder, period: int | None = None) -> go.Figure:
    """Material flow cost accounting per stage: a waterfall of what each stage's material, system,
    energy and waste costs put into its products, then the cost of its material losses (mfca.csv)."""
    period = folder.pick_period(period)
    currency = folder.currency
    title = f"Material flow cost accounting by stage, {period} ({currency} per year)"
    mfca = folder.in_period("mfca", period)
    if mfca.empty:
        return empty(title, f"No material flow cost accounts for {period}.")
    by_stage = mfca.groupby(["stage", "category"])[["to_products", "to_losses"]].sum()
    stages = [stage for stage in STAGES if stage in by_stage.index.get_level_values(0)]
    steps = pd.DataFrame(
        {
            category: [by_stage["to_products"].get((stage, category), 0.0) for stage in stages]
            for category in MFCA_CATEGORIES
        },
        index=stages,
    )
    steps["losses"] = by_stage["to_losses"].groupby(level=0).sum().reindex(stages).fillna(0.0)
    bases = steps.cumsum(axis=1) - steps
    figure = go.Figure()
    colours = {**MFCA_COLOURS, "losses": LOSS_RED}
    for step in steps.columns:
        figure.add_bar(
            name="material losses (all categories)" if step == "losses" else f"{step} → products",
            x=[[STAGE_LABELS[stage] for stage in stages], [step] * len(stages)],
            y=steps[step],
            base=bases[step],
            marker_color=colours[step],
            hovertemplate=f"%{{x}}: %{{y:,.0f}} {currency}/yr<extra></extra>",
        )
    figure.add_bar(
        name="total",
        x=[[STAGE_LABELS[stage] for stage in stages], ["total"] * len(stages)],
        y=steps.sum(axis=1),
        marker_color="#555",
        hovertemplate=f"%{{x}}: %{{y:,.0f}} {currency}/yr<extra></extra>",
    )
    figure.update_layout(barmode="overlay", bargap=0.15)
    figure.update_yaxes(title_text=f"{currency} per year")
    losses = mfca.groupby(["stage", "region"])["to_losses"].sum()
    share = losses.sum() / (mfca["to_products"].sum() + losses.sum())
    if losses.max() > 0:
        stage, region = losses.idxmax()
        reading = (
            f"Material losses cost {money(losses.sum(), currency)} a year in {period}, {percent(share)} of the stages’ "
            f"costs; most at the {STAGE_LABELS[stage]} stage in {region} ({money(losses.max(), currency)})."
        )
    else:
        reading = f"No material is lost in {period}: every cost goes into products."
    return finish(figure, title, reading, height=520)


def value_added_figure(folder: ResultsFolder, period: int | None = None) -> go.Figure:
    """Value added per stage (output value − input value of its processes), at marginal values and, where
    commodities have them, at reference prices (value_added.csv)."""
    period = folder.pick_period(period)
    currency = folder.currency
    title = f"Value added by stage, {period} ({currency} per year)"
    value_added = folder.in_period("value_added", period)
    if value_added.empty:
        return empty(title, f"No value added accounts for {period}.")
    by_stage = value_added.groupby(["basis", "stage"])["value_added"].sum()
    stages = [stage for stage in STAGES if stage in by_stage.index.get_level_values(1)]
    figure = go.Figure()
    for basis, label in BASIS_LABELS.items():
        if basis not in by_stage.index.get_level_values(0):
            continue
        values = by_stage[basis].reindex(stages)
        figure.add_bar(
            name=label,
            x=[STAGE_LABELS[stage] for stage in stages],
            y=values,
            marker_color="#4e79a7" if basis == "marginal_value" else "#f28e2b",
            hovertemplate=f"%{{x}} {label}: %{{y:,.0f}} {currency}/yr<extra></extra>",
        )
    figure.update_layout(barmode="group")
    figure.update_yaxes(title_text=f"{currency} per year")
    basis = "marginal_value" if "marginal_value" in by_stage.index.get_level_values(0) else by_stage.index[0][0]
    stage = by_stage[basis].idxmax()
    rows = value_added[(value_added["basis"] == basis) & (value_added["stage"] == stage)]
    by_region = rows.groupby("region")["value_added"].sum()
    reading = (
        f"The {STAGE_LABELS[stage]} stage adds the most value {BASIS_LABELS[basis]}: "
        f"{money(by_stage[(basis, stage)], currency)} a year in {period}"
        f" ({percent(by_region.max() / by_region.sum())} of it in {by_region.idxmax()})."
    )
    return finish(figure, title, reading, height=440)
