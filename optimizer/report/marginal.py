"""Figures of one results folder about what things are worth: marginal values, capacity duals, builds,
export quotas' rents (quotas.csv: what a licence for one more tonne is worth).

Marginal values (balance.csv) are per tonne in the period's own money: what one more tonne demanded at
that node would cost (cost objective). Capacity duals (activity.csv) are what one more t/yr of
capacity would save per year. Builds (builds.csv) are new capacity commissioned, in t/yr.

>>> import tempfile, optimizer
>>> from optimizer.report.folder import read_results
>>> scratch = tempfile.TemporaryDirectory()
>>> folder = read_results(optimizer.write(optimizer.solve("toy"), f"{scratch.name}/toy"))
>>> key_products(folder)
['NdPr_oxide', 'Dy2O3', 'ndfeb_magnet']
>>> marginal_value_map_figure(folder).layout.meta["reading"]
'The widest regional spread in 2025 is NdPr_oxide: 1,278 USD/t in EAST against 1,198 in SOUTH (+7%).'
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from optimizer.report.folder import ResultsFolder
from optimizer.report.style import colour_map, empty, finish, money, percent

# The products whose prices the rare-earth debate is about, along the chain (INTERFACE.md names).
KEY_PRODUCTS = ("NdPr_oxide", "Dy2O3", "Tb4O7", "NdPr_metal", "Dy_metal", "Tb_metal", "ndfeb_magnet")
TOP_PRODUCTS = 6  # shown when none of the key products is in the results
TOP_CAPACITIES = 12


def key_products(folder: ResultsFolder) -> list[str]:
    """The key products present in balance.csv, else the highest-valued commodities."""
    balance = folder.table("balance").dropna(subset=["marginal_value"])
    present = [name for name in KEY_PRODUCTS if name in set(balance["commodity"])]
    if present:
        return present
    highest = balance.groupby("commodity")["marginal_value"].max().sort_values(ascending=False)
    return list(highest.index[:TOP_PRODUCTS])


def marginal_value_map_figure(folder: ResultsFolder, period: int | None = None) -> go.Figure:
    """A heat map of the key products' marginal values by region; colour is the share of the dearest
    region's value (so that cheap and dear products read alike), the cells print USD/t."""
    period = folder.pick_period(period)
    currency = folder.currency
    title = f"Marginal values of key products by region, {period} ({currency}/t)"
    values = _marginal_values(folder, period)
    if values.empty:
        return empty(title, f"No marginal values for {period}.")
    row_max = values.max(axis=1).where(lambda m: m > 0)
    relative = values.div(row_max, axis=0)
    figure = go.Figure(
        go.Heatmap(
            z=relative.to_numpy(),
            x=list(values.columns),
            y=list(values.index),
            text=[[_short(value) for value in row] for row in values.to_numpy()],
            texttemplate="%{text}",
            customdata=values.to_numpy(),
            hovertemplate=f"%{{y}} in %{{x}}: %{{customdata:,.0f}} {currency}/t<extra></extra>",
            colorscale="Blues",
            zmin=min(0.5, float(np.nanmin(relative.to_numpy(), initial=0.5))),
            zmax=1.0,
            colorbar={"title": {"text": "share of the<br>dearest region"}, "tickformat": ".0%"},
            xgap=2,
            ygap=2,
        )
    )
    figure.update_yaxes(autorange="reversed")
    figure.update_xaxes(side="bottom")
    return finish(figure, title, _spread_reading(values, period, currency), height=180 + 42 * len(values))


def _marginal_values(folder: ResultsFolder, period: int) -> pd.DataFrame:
    """Key products (rows, chain order) × regions (columns) in ``period``."""
    balance = folder.in_period("balance", period)
    products = key_products(folder)
    balance = balance[balance["commodity"].isin(products)]
    values = balance.pivot_table(index="commodity", columns="region", values="marginal_value", aggfunc="mean")
    return values.reindex([name for name in products if name in values.index])


def _spread_reading(values: pd.DataFrame, period: int, currency: str) -> str:
    """The product whose value differs most between regions, among those valued above zero everywhere."""
    low, high = values.min(axis=1), values.max(axis=1)
    priced = (low > 0) & (values.count(axis=1) >= 2)
    spread = ((high - low) / low).where(priced).dropna()
    if spread.empty or spread.max() < 0.005:
        return f"Each key product has about the same marginal value in every region in {period}."
    product = spread.idxmax()
    row = values.loc[product]
    return (
        f"The widest regional spread in {period} is {product}: {_number(row.max())} {currency}/t in {row.idxmax()} "
        f"against {_number(row.min())} in {row.idxmin()} (+{percent(spread.max())})."
    )


def marginal_value_lines_figure(folder: ResultsFolder) -> go.Figure:
    """The key products' marginal values over the periods, one panel per product, one line per region."""
    currency = folder.currency
    title = f"Marginal values of key products over time ({currency}/t, each period's money)"
    balance = folder.table("balance")
    products = key_products(folder)
    balance = balance[balance["commodity"].isin(products)].dropna(subset=["marginal_value"])
    if balance.empty:
        return empty(title, "No marginal values in this results folder.")
    products = [name for name in products if name in set(balance["commodity"])]
    columns = min(len(products), 4)
    rows = -(-len(products) // columns)
    figure = make_subplots(rows=rows, cols=columns, subplot_titles=products, horizontal_spacing=0.06)
    regions = sorted(balance["region"].unique())
    colours = colour_map(regions)
    for i, product in enumerate(products):
        series = balance[balance["commodity"] == product]
        for region, line in series.groupby("region"):
            figure.add_scatter(
                x=line["period"],
                y=line["marginal_value"],
                name=region,
                legendgroup=region,
                showlegend=region not in {trace.name for trace in figure.data},
                mode="lines+markers",
                line_color=colours[region],
                hovertemplate=f"{product} in {region}, %{{x}}: %{{y:,.0f}} {currency}/t<extra></extra>",
                row=i // columns + 1,
                col=i % columns + 1,
            )
    figure.update_yaxes(rangemode="tozero")
    figure.update_yaxes(title_text=f"{currency}/t", col=1)
    figure.update_xaxes(
        tickformat="d", dtick=_period_step(balance["period"]) if balance["period"].nunique() <= 8 else None
    )
    return finish(figure, title, _trend_reading(balance, currency), height=120 + 260 * rows)


def _period_step(periods: pd.Series) -> int:
    steps = np.diff(np.sort(periods.unique()))
    return int(steps.min()) if len(steps) else 1


def _trend_reading(balance: pd.DataFrame, currency: str) -> str:
    """The key product whose median regional value changes most between the first and last periods."""
    median = balance.groupby(["commodity", "period"])["marginal_value"].median().unstack("period")
    first, last = median.columns.min(), median.columns.max()
    if first == last:
        return f"One period ({first}): no change over time to show."
    start, end = median[first], median[last]
    # Scale-free, and defined when a value starts at zero or changes sign.
    change = ((end - start).abs() / np.maximum(start.abs(), end.abs()).where(lambda m: m > 0)).dropna()
    if change.empty or change.max() < 0.005:
        return f"Key products keep their marginal values from {first} to {last}."
    product = change.idxmax()
    before, after = start[product], end[product]
    reading = (
        f"{product} changes most: its median over regions goes from {_number(before)} to {_number(after)} "
        f"{currency}/t between {first} and {last}"
    )
    if before > 0 and after > 0:
        reading += f" ({'+' if after > before else '−'}{percent(abs(after - before) / before)})"
    return reading + "."


def _number(value: float) -> str:
    return f"{value:,.0f}".replace("-", "−")


def capacity_duals_figure(folder: ResultsFolder, period: int | None = None) -> go.Figure:
    """The binding capacities with the highest duals: what one more t/yr of each would save a year."""
    period = folder.pick_period(period)
    currency = folder.currency
    title = f"Capacity worth adding, {period} ({currency} saved per year per extra t/yr)"
    activity = folder.in_period("activity", period).dropna(subset=["capacity_dual"])
    binding = activity[activity["capacity_dual"].abs() > 1e-9]
    if binding.empty:
        return empty(title, f"No capacity limit binds in {period}: more capacity would save nothing.")
    top = binding.reindex(binding["capacity_dual"].abs().sort_values(ascending=False).index)[:TOP_CAPACITIES]
    top = top.iloc[::-1]
    flagged = _flagged_capacity(top)
    labels = top["process"] + " in " + top["region"] + np.where(flagged, " *", "")
    figure = go.Figure(
        go.Bar(
            x=top["capacity_dual"],
            y=labels,
            orientation="h",
            marker_color="#59a14f",
            customdata=np.stack([top["activity"], top["capacity"]], axis=1),
            text=[f"{value:,.0f}" for value in top["capacity_dual"]],
            textposition="auto",
            hovertemplate=(
                "%{y}: %{x:,.0f} " + currency + "/yr per t/yr<br>running at %{customdata[0]:,.0f} "
                "of %{customdata[1]:,.0f} t/yr<extra></extra>"
            ),
        )
    )
    figure.update_xaxes(title_text=f"{currency} per year per t/yr of capacity")
    parts = [f"{len(binding)} capacity limit{' binds' if len(binding) == 1 else 's bind'} in {period}."]
    unique = top[~flagged]
    if len(unique):
        best = unique.iloc[-1]
        parts.append(
            f"One more t/yr of {best['process']} in {best['region']} "
            f"would save {best['capacity_dual']:,.0f} {currency} a year."
        )
    if flagged.any():
        parts.append(
            "* one end of an interval (capacity_dual_flag not_unique): one more t/yr saves less than one "
            "less costs, so the bar is an upper end."
        )
    reading = " ".join(parts)
    return finish(figure, title, reading, height=140 + 28 * len(top))


def _flagged_capacity(activity: pd.DataFrame) -> np.ndarray:
    if "capacity_dual_flag" not in activity:  # a results folder written before the flag existed
        return np.zeros(len(activity), dtype=bool)
    return (activity["capacity_dual_flag"].fillna("") == "not_unique").to_numpy()


def quota_rents_figure(folder: ResultsFolder) -> go.Figure:
    """What a licence for one more tonne of each export quota is worth, period by period (quotas.csv):
    the gap the quota holds open between the price abroad, net of shipping, and at home."""
    currency = folder.currency
    title = f"Export quota rents ({currency} per t of licence, each period's money)"
    quotas = folder.table("quotas")
    binding = quotas[quotas["rent"] > 0] if not quotas.empty else quotas
    if binding.empty:
        return empty(title, "No export quota binds: a licence for one more tonne would be worth nothing.")
    declared = quotas["quota"].nunique()
    quotas = quotas[quotas["quota"].isin(set(binding["quota"]))]  # a quota that never binds adds a flat zero
    colours = colour_map(sorted(quotas["quota"].unique()))
    figure = go.Figure()
    for (name, origin), line in quotas.groupby(["quota", "origin"]):
        figure.add_scatter(
            x=line["period"],
            y=line["rent"],
            name=f"{name} ({origin})",
            mode="lines+markers",
            line_color=colours[name],
            customdata=np.stack([line["shipped"], line["limit"]], axis=1),
            hovertemplate=(
                f"{name}, %{{x}}: %{{y:,.0f}} {currency}/t<br>%{{customdata[0]:,.0f}} of %{{customdata[1]:,.0f}} t"
                "<extra></extra>"
            ),
        )
    figure.update_yaxes(title_text=f"{currency}/t", rangemode="tozero")
    figure.update_xaxes(tickformat="d")
    top = binding.loc[binding["rent"].idxmax()]
    reading = (
        f"{binding['quota'].nunique()} of {declared} export quotas bind in some period; the dearest licence is "
        f"{top['quota']} ({top['origin']}) in {top['period']}, {top['rent']:,.0f} {currency} per t."
    )
    return finish(figure, title, reading, height=420)


def builds_figure(folder: ResultsFolder) -> go.Figure:
    """New capacity commissioned in each period, by process and region (builds.csv), in t/yr."""
    title = "New capacity built (t per year of capacity)"
    builds = folder.table("builds")
    builds = builds[builds["built"] > 1e-9]
    if builds.empty:
        return empty(title, "No new capacity is built in this run.")
    builds = builds.assign(plant=builds["process"] + " in " + builds["region"])
    totals = builds.groupby("plant")["built"].sum().sort_values(ascending=False)
    colours = colour_map(list(totals.index))
    figure = go.Figure()
    for plant in totals.index:
        rows = builds[builds["plant"] == plant]
        figure.add_bar(
            name=plant,
            x=rows["period"],
            y=rows["built"],
            marker_color=colours[plant],
            hovertemplate=f"{plant}, %{{x}}: %{{y:,.0f}} t/yr<extra></extra>",
        )
    figure.update_layout(barmode="stack", legend_title_text="process in region")
    figure.update_yaxes(title_text="t per year of new capacity")
    figure.update_xaxes(title_text="period commissioned", dtick=max(1, _period_step(builds["period"])))
    by_process = builds.groupby("process")["built"].sum()
    process = by_process.idxmax()
    where = builds[builds["process"] == process].groupby("region")["built"].sum().sort_values(ascending=False)
    reading = (
        f"{builds['built'].sum():,.0f} t/yr of new capacity over the horizon, most of it {process} "
        f"({by_process.max():,.0f} t/yr in {', '.join(where.index[:4])})."
    )
    capex = (folder.summary.get("costs") or {}).get("capex")
    if capex:
        reading = reading[:-1] + f"; its capital costs {money(capex, folder.currency)} (discounted)."
    return finish(figure, title, reading, height=460)


def _short(value: float) -> str:
    """A marginal value fit for a heat-map cell: 3,328 · 340k · 1.26M."""
    if pd.isna(value):
        return ""
    if abs(value) >= 1e6:
        return f"{value / 1e6:.2f}M"
    if abs(value) >= 1e4:
        return f"{value / 1e3:.0f}k"
    return f"{value:,.0f}"
