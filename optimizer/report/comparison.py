"""Several results folders side by side: objective, cost categories, unmet demand, key marginal values,
each against the first folder (the reference).

>>> import tempfile, optimizer
>>> from optimizer.report.folder import read_results
>>> scratch = tempfile.TemporaryDirectory()
>>> base = read_results(optimizer.write(optimizer.solve("toy"), f"{scratch.name}/base"))
>>> solution = optimizer.solve("toy", scenario="north_export_ban_soft")
>>> soft = read_results(optimizer.write(solution, f"{scratch.name}/soft"))
>>> table = comparison_table([base, soft])
>>> [round(unmet, 4) for unmet in table.loc["unmet demand (t)"]]
[0.0, 15.7895]
>>> scenario_costs_figure([base, soft]).layout.meta["reading"]
'north_export_ban_soft: objective +72% (+172.2 k USD) against base.'
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from optimizer.report.chain import STAGE_LABELS
from optimizer.report.folder import ResultsFolder
from optimizer.report.marginal import key_products
from optimizer.report.style import PALETTE, empty, finish, money, percent, tonnes
from optimizer.statistics import Comparison, Statistics, key_prices

COST_CATEGORIES = ("system", "energy", "material", "waste", "trade", "tariff", "capex", "holding", "penalty")


def scenario_names(folders: list[ResultsFolder]) -> list[str]:
    """A distinct short name per folder: the label (``--label``, else the scenario), else instance /
    label, else the folder path."""
    for names in (
        [str(folder.summary.get("label") or folder.summary.get("scenario", folder.path.name)) for folder in folders],
        [folder.label for folder in folders],
        [str(folder.path) for folder in folders],
    ):
        if len(set(names)) == len(names):
            return names
    return [f"{i + 1}: {folder.path}" for i, folder in enumerate(folders)]


def common_period(folders: list[ResultsFolder], period: int | None = None) -> int | None:
    """``period``, or the last period all solved folders share (``None`` when they share none)."""
    if period is not None:
        return int(period)
    solved = [set(folder.periods) for folder in folders if folder.solved]
    shared = set.intersection(*solved) if solved else set()
    return max(shared) if shared else None


def comparison_table(folders: list[ResultsFolder], period: int | None = None) -> pd.DataFrame:
    """One column per folder, one row per measure: status, objective, cost categories, revenue, unmet
    demand (t over the horizon), the periods with unmet demand, and the key products' marginal values
    in CN, JP, EU and US as ``compare`` defines them (:func:`optimizer.statistics.key_prices`): in
    ``period`` (default: the last shared) and their horizon mean (periods weighted by length)."""
    period = common_period(folders, period)
    currency = folders[0].currency
    rows: dict[str, list] = {"status": [folder.status for folder in folders]}
    rows[f"objective ({currency})"] = [folder.summary.get("objective") for folder in folders]
    for category in COST_CATEGORIES:
        values = [(folder.summary.get("costs") or {}).get(category) for folder in folders]
        if any(value for value in values):
            rows[f"{category} ({currency})"] = values
    rows[f"revenue ({currency})"] = [folder.summary.get("revenue") for folder in folders]
    rows["unmet demand (t)"] = [folder.summary.get("unmet_demand") for folder in folders]
    stats = [Statistics.of(folder) if folder.solved else None for folder in folders]
    rows["periods with unmet demand"] = [
        " ".join(map(str, s.shortfall_periods())) or "none" if s is not None else "—" for s in stats
    ]
    if period is not None and stats[0] is not None:
        for when, chosen in ((str(period), [period]), ("horizon mean", None)):
            values = [key_prices(s, chosen) if s is not None else {} for s in stats]
            for name in values[0]:
                commodity, _, region = name.removeprefix("mv_").split("@")[0].rpartition("_")
                label = f"{commodity} in {region}, marginal value ({currency}/t, {when})"
                rows[label] = [value.get(name) for value in values]
    return pd.DataFrame(rows, index=scenario_names(folders)).T


def scenario_builds_figure(folders: list[ResultsFolder]) -> go.Figure:
    """New capacity by stage and region (t/yr, over the horizon), one bar per scenario: what each
    scenario builds where, mining, separation and magnets apart (``statistics.builds``)."""
    title = "New capacity by stage and region, per scenario (t/yr commissioned over the horizon)"
    names = scenario_names(folders)
    solved = [(name, folder) for name, folder in zip(names, folders, strict=True) if folder.solved]
    if not solved:
        return empty(title, "No scenario was solved.")
    builds = Comparison([f for _, f in solved], [n for n, _ in solved]).statistics.builds(by=["stage", "region"])
    builds = builds[(builds.abs() > 1e-6).any(axis=1)]
    if builds.empty:
        return empty(title, "No scenario builds new capacity.")
    categories = [f"{STAGE_LABELS.get(stage, stage)} in {region}" for stage, region in builds.index]
    figure = go.Figure()
    for i, name in enumerate(builds.columns):
        figure.add_bar(
            name=name,
            x=categories,
            y=builds[name].to_numpy(),
            marker_color=PALETTE[i % len(PALETTE)],
            hovertemplate=f"{name}, %{{x}}: %{{y:,.0f}} t/yr<extra></extra>",
        )
    figure.update_layout(barmode="group", legend_title_text="scenario")
    figure.update_yaxes(title_text="t per year of new capacity")
    change = builds.sub(builds.iloc[:, 0], axis=0).iloc[:, 1:]
    if change.empty or change.abs().to_numpy().max() < 1e-6:
        reading = f"Every scenario builds what {builds.columns[0]} builds."
    else:
        stacked = change.stack()
        (stage, region, name), delta = stacked.abs().idxmax(), stacked.loc[stacked.abs().idxmax()]
        reading = (
            f"The largest difference: {name} builds {delta:+,.0f} t/yr of {STAGE_LABELS.get(stage, stage)} "
            f"capacity in {region} against {builds.columns[0]}."
        )
    return finish(figure, title, reading, height=480)


def relative_differences(table: pd.DataFrame) -> pd.DataFrame:
    """Each numeric cell's change against the first column, as a fraction; NaN where undefined (text, or
    a reference that is zero or negligible against the row, such as a penalty of −0.0002)."""
    numbers = table.apply(pd.to_numeric, errors="coerce").astype(float)
    reference = numbers.iloc[:, 0]
    scale = numbers.abs().max(axis=1)
    meaningful = reference.abs() > 1e-6 * scale
    return numbers.sub(reference, axis=0).div(reference.abs().where(meaningful & (reference != 0)), axis=0)


def scenario_costs_figure(folders: list[ResultsFolder]) -> go.Figure:
    """Cost categories (discounted, whole horizon) side by side, one bar per scenario."""
    currency = folders[0].currency
    title = f"Costs by category and scenario, discounted, whole horizon ({currency})"
    names = scenario_names(folders)
    costs = pd.DataFrame(
        {
            name: pd.Series(folder.summary.get("costs") or {}, dtype=float)
            for name, folder in zip(names, folders, strict=True)
        }
    )
    costs = costs.reindex([c for c in COST_CATEGORIES if c in costs.index])
    costs = costs[costs.abs().max(axis=1) > 1e-9 * max(np.nansum(costs.abs().to_numpy()), 1.0)]
    if costs.empty:
        return empty(title, "No scenario has costs (none was solved).")
    figure = go.Figure()
    for i, name in enumerate(names):
        figure.add_bar(
            name=name,
            x=list(costs.index),
            y=costs[name],
            marker_color=PALETTE[i % len(PALETTE)],
            hovertemplate=f"{name}, %{{x}}: %{{y:,.0f}} {currency}<extra></extra>",
        )
    figure.update_layout(barmode="group", legend_title_text="scenario")
    figure.update_yaxes(title_text=f"{currency} (discounted)")
    return finish(figure, title, _objective_reading(folders, names, currency), height=460)


def _objective_reading(folders: list[ResultsFolder], names: list[str], currency: str) -> str:
    reference = folders[0].summary.get("objective")
    parts = []
    for name, folder in list(zip(names, folders, strict=True))[1:4]:
        objective = folder.summary.get("objective")
        if objective is None or reference is None:
            parts.append(f"{name}: {folder.status}, no objective to compare")
            continue
        change = objective - reference
        relative = f"{'+' if change >= 0 else '−'}{percent(abs(change) / abs(reference))}" if reference else "n/a"
        sign = "+" if change >= 0 else ""
        parts.append(f"{name}: objective {relative} ({sign}{money(change, currency)})")
    if not parts:
        return f"{names[0]} alone."
    return "; ".join(parts) + f" against {names[0]}."


def scenario_unmet_figure(folders: list[ResultsFolder]) -> go.Figure:
    """Unmet demand in each period (t REO per year), one bar per scenario; the hover names the shortfalls."""
    title = "Unmet demand by scenario and period (t REO per year)"
    names = scenario_names(folders)
    unmet = {name: folder.table("delivered") for name, folder in zip(names, folders, strict=True)}
    unmet = {name: table[table["unmet"] > 1e-9] for name, table in unmet.items()}
    not_solved = [f"{name}: {folder.status}" for name, folder in zip(names, folders, strict=True) if not folder.solved]
    if all(table.empty for table in unmet.values()):
        reading = "Every solved scenario meets all demand" + (f" ({', '.join(not_solved)})." if not_solved else ".")
        return empty(title, reading)
    figure = go.Figure()
    for i, name in enumerate(names):
        table = unmet[name]
        by_period = table.groupby("period")["unmet"].sum()
        detail = (
            table.sort_values("unmet", ascending=False).groupby("period").apply(_shortfall_text, include_groups=False)
        )
        figure.add_bar(
            name=name,
            x=by_period.index,
            y=by_period.to_numpy(),
            customdata=detail.reindex(by_period.index).to_numpy(),
            marker_color=PALETTE[i % len(PALETTE)],
            hovertemplate=f"{name}, %{{x}}: %{{y:,.1f}} t REO/yr unmet<br>%{{customdata}}<extra></extra>",
        )
    figure.update_layout(barmode="group", legend_title_text="scenario")
    figure.update_yaxes(title_text="t REO per year unmet")
    figure.update_xaxes(title_text="period", dtick=1 if len(folders[0].periods) < 15 else None)
    totals = {
        name: float(folder.summary.get("unmet_demand") or 0.0) for name, folder in zip(names, folders, strict=True)
    }
    worst = max(totals, key=totals.get)
    shortfalls = unmet[worst].groupby(["commodity", "region"])["unmet"].sum()
    reading = f"{worst} leaves {tonnes(totals[worst], 't REO')} of demand unmet over the horizon"
    if not shortfalls.empty:
        commodity, region = shortfalls.idxmax()
        reading += f", most of it {commodity} in {region} ({percent(shortfalls.max() / shortfalls.sum())})"
    return finish(figure, title, reading + ".", height=440)


def _shortfall_text(rows: pd.DataFrame) -> str:
    return "<br>".join(f"{r.commodity} in {r.region}: {r.unmet:,.1f}" for r in rows.head(5).itertuples())


def scenario_marginal_values_figure(folders: list[ResultsFolder], period: int | None = None) -> go.Figure:
    """The key products' marginal values against the first folder, by region: one heat map per other
    scenario, red where dearer, blue where cheaper (colour capped at ±100%), cells print the change in
    USD/t."""
    period = common_period(folders, period)
    currency = folders[0].currency
    names = scenario_names(folders)
    title = f"Marginal values of key products against {names[0]}, {period} (change in {currency}/t)"
    values = {name: _values(folder, period) for name, folder in zip(names, folders, strict=True)}
    reference = values[names[0]]
    others = [name for name in names[1:] if not values[name].empty]
    if reference.empty or not others:
        return empty(title, "No other solved scenario to compare marginal values with.")
    panel, gap = 40 * len(reference) + 20, 70  # pixels: a panel's rows, and room for its x labels and title
    height = 160 + len(others) * panel + (len(others) - 1) * gap
    figure = make_subplots(
        rows=len(others), cols=1, subplot_titles=others, vertical_spacing=gap / (height - 160) if len(others) > 1 else 0
    )
    largest = None
    for row, name in enumerate(others, start=1):
        other = values[name].reindex(index=reference.index, columns=reference.columns)
        change = other - reference
        relative = change / reference.abs().where(reference.abs() > 0)
        figure.add_heatmap(
            z=relative.clip(-1.0, 1.0).fillna(np.sign(change)).to_numpy(),
            x=list(change.columns),
            y=list(change.index),
            text=[[_signed_short(v) for v in line] for line in change.to_numpy()],
            texttemplate="%{text}",
            customdata=np.dstack([reference.to_numpy(), other.to_numpy()]),
            hovertemplate="%{y} in %{x}: %{customdata[0]:,.0f} → %{customdata[1]:,.0f} "
            + currency
            + "/t<extra></extra>",
            colorscale="RdBu_r",
            zmin=-1.0,
            zmax=1.0,
            showscale=row == 1,
            colorbar={"title": {"text": "relative<br>change"}, "tickformat": "+.0%"},
            xgap=2,
            ygap=2,
            row=row,
            col=1,
        )
        # The most striking change, scale-free: |Δ| against the larger of the two values.
        weight = (change.abs() / np.maximum(reference.abs(), other.abs()).where(lambda m: m > 0)).stack().dropna()
        if not weight.empty and (largest is None or weight.max() > largest[0]):
            product, region = weight.idxmax()
            largest = (weight.max(), name, product, region)
    figure.update_yaxes(autorange="reversed")
    if largest is None or largest[0] < 0.005:
        reading = f"Key products keep their marginal values in every scenario in {period}."
    else:
        _, name, product, region = largest
        before, after = reference.loc[product, region], values[name].loc[product, region]
        reading = (
            f"The largest change: {product} in {region} goes from {before:,.0f} to {after:,.0f} {currency}/t "
            f"under {name}."
        )
    return finish(figure, title, reading, height=height)


def _values(folder: ResultsFolder, period: int | None) -> pd.DataFrame:
    if period is None or not folder.solved:
        return pd.DataFrame()
    balance = folder.in_period("balance", period)
    balance = balance[balance["commodity"].isin(key_products(folder))]
    table = balance.pivot_table(index="commodity", columns="region", values="marginal_value", aggfunc="mean")
    return table.reindex([name for name in key_products(folder) if name in table.index])


def _signed_short(change: float) -> str:
    """A change of marginal value fit for a cell: 0 · +1,234 · −56k · +1.57M."""
    if pd.isna(change):
        return ""
    if abs(change) < 0.5:
        return "0"
    sign = "+" if change > 0 else "−"
    size = abs(change)
    if size >= 1e6:
        return f"{sign}{size / 1e6:.2f}M"
    if size >= 1e4:
        return f"{sign}{size / 1e3:.0f}k"
    return f"{sign}{size:,.0f}"
