"""Figures of an alternatives folder (``reeopt alternatives``): near-optimal sourcing portfolios side by side.

alternatives.csv has one row per portfolio, the optimum first (``direction`` ``optimum``), then each
alternative: the cost held within the slack of the optimum while the tonnes a region gets from China
(for China, its imports) are minimised or maximised. Columns are those of ``reeopt compare``
(objective, cost categories, ``built_<region>``, sourcing shares ``from_CN_<region>``,
``domestic_<region>``, ``import_<region>``, ``recycling_<region>``).

- ``alternatives_objective``: the objective of each portfolio (bars, the optimum dark), with its
  increase over the optimum;
- ``alternatives_sourcing``: heat maps of the sourcing shares, a row per portfolio (the optimum
  framed), a column per main region, a panel per kind of share;
- ``alternatives_builds``: new capacity by region in each portfolio (when any builds).

>>> import tempfile, optimizer
>>> from pathlib import Path
>>> from optimizer.output.results import write_table
>>> from optimizer.report.analyses import read_analysis
>>> scratch = tempfile.TemporaryDirectory()
>>> _, table = optimizer.api.alternatives("toy", slack=0.1)
>>> folder = read_analysis(write_table(table, Path(scratch.name) / "alt" / "alternatives.csv"))
>>> figures = alternatives_figures(folder)
>>> figures["alternatives_objective"].layout.meta["reading"]
'All 4 alternatives cost 10.0% more than the optimum (237.8 k USD): each uses the whole slack to shift where \
supply comes from.'
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from optimizer.report.analyses import SHARE_PREFIXES, AnalysisFolder
from optimizer.report.style import builds_heatmap, empty, finish, money, percent, tonnes

OPTIMUM_COLOUR, ALTERNATIVE_COLOUR = "#3d3d3d", "#76b7b2"
SHARE_TITLES = {
    "from_CN_": "mined in China",
    "domestic_": "domestic mining",
    "import_": "imported mining",
    "recycling_": "recycling",
}


def alternatives_figures(folder: AnalysisFolder) -> dict[str, go.Figure]:
    """The objective, the sourcing shares and (when any) the builds of every portfolio."""
    figures = {
        "alternatives_objective": objective_figure(folder),
        "alternatives_sourcing": sourcing_figure(folder),
    }
    table = folder.table("alternatives")
    built = table[[column for column in table.columns if column.startswith("built_")]]
    if not built.empty and built.fillna(0).to_numpy().max() > 1e-6:
        figures["alternatives_builds"] = builds_figure(folder)
    return figures


def alternatives_facts(folder: AnalysisFolder) -> list[tuple[str, str]]:
    table = folder.table("alternatives")
    optimum = table.iloc[0] if not table.empty else None
    return [
        ("starting scenario", str(optimum["scenario"]) if optimum is not None else "—"),
        ("portfolios", f"the optimum and {max(len(table) - 1, 0)} alternatives"),
        ("slack used", percent(_slack(table)) if len(table) > 1 else "—"),
    ]


def portfolio_labels(table: pd.DataFrame) -> list[str]:
    """``optimum``, then each alternative's direction (``min imports into CN``)."""
    labels = table["direction"].where(table["direction"].astype(str).str.len() > 0, table["scenario"]).astype(str)
    return list(labels)


def _slack(table: pd.DataFrame) -> float:
    """The largest cost increase over the optimum, as a fraction."""
    objective = pd.to_numeric(table["objective"], errors="coerce")
    return float((objective.max() - objective.iloc[0]) / abs(objective.iloc[0])) if objective.iloc[0] else np.nan


def objective_figure(folder: AnalysisFolder) -> go.Figure:
    """The objective of the optimum and each alternative, with the increase over the optimum printed."""
    currency = folder.currency
    title = f"Objective of each near-optimal portfolio ({currency}, discounted, whole horizon)"
    table = folder.table("alternatives")
    if table.empty:
        return empty(title, "alternatives.csv holds no portfolio.")
    objective = pd.to_numeric(table["objective"], errors="coerce")
    labels = portfolio_labels(table)
    increase = objective / objective.iloc[0] - 1
    texts = [
        money(value, currency) if i == 0 else f"{money(value, currency)} (+{change * 100:.1f}%)"
        for i, (value, change) in enumerate(zip(objective, increase, strict=True))
    ]
    figure = go.Figure(
        go.Bar(
            x=objective.to_numpy()[::-1],
            y=labels[::-1],
            orientation="h",
            marker_color=([ALTERNATIVE_COLOUR] * (len(table) - 1) + [OPTIMUM_COLOUR]),
            text=texts[::-1],
            textposition="inside",
            insidetextanchor="end",
            customdata=table["status"].to_numpy()[::-1],
            hovertemplate=f"%{{y}}: %{{x:,.0f}} {currency} (%{{customdata}})<extra></extra>",
        )
    )
    figure.add_vline(x=objective.iloc[0], line={"dash": "dot", "color": OPTIMUM_COLOUR, "width": 1})
    figure.update_xaxes(title_text=f"{currency} (discounted)")
    others = len(table) - 1
    reading = f"The optimum alone: {money(objective.iloc[0], currency)}."
    if others and increase.iloc[1:].min() >= 0.99 * increase.iloc[1:].max() > 0:
        reading = (
            f"All {others} alternatives cost {increase.iloc[1:].max() * 100:.1f}% more than the optimum "
            f"({money(objective.iloc[0], currency)}): each uses the whole slack to shift where supply comes from."
        )
    elif others:
        dearest = increase.iloc[1:].idxmax()
        reading = (
            f"{others} alternative{'s' if others != 1 else ''} within {_slack(table) * 100:.1f}% of the optimum "
            f"({money(objective.iloc[0], currency)}): the dearest costs {increase[dearest] * 100:.1f}% more "
            f"({labels[dearest]})."
        )
    return finish(figure, title, reading, height=140 + 40 * len(table))


def share_columns(table: pd.DataFrame) -> dict[str, list[str]]:
    """The share columns by kind (``from_CN_``, ``domestic_``, ...), kinds in that order, only those present."""
    found = {prefix: [c for c in table.columns if c.startswith(prefix)] for prefix in SHARE_PREFIXES}
    return {prefix: columns for prefix, columns in found.items() if columns}


def sourcing_figure(folder: AnalysisFolder) -> go.Figure:
    """A heat map per kind of share (mined in China, domestic, imported, recycled): portfolios × regions."""
    table = folder.table("alternatives")
    title = "Where each portfolio's deliveries come from (share of each main region's deliveries, %)"
    kinds = share_columns(table)
    if table.empty or not kinds:
        return empty(title, "alternatives.csv records no sourcing shares.")
    labels = portfolio_labels(table)
    figure = make_subplots(
        rows=1,
        cols=len(kinds),
        shared_yaxes=True,
        horizontal_spacing=0.025,
        subplot_titles=[SHARE_TITLES[prefix] for prefix in kinds],
    )
    for position, (prefix, columns) in enumerate(kinds.items(), start=1):
        shares = table[columns].apply(pd.to_numeric, errors="coerce")
        figure.add_heatmap(
            z=shares.to_numpy(),
            x=[column.removeprefix(prefix) for column in columns],
            y=labels,
            text=[[percent(v) if not pd.isna(v) else "" for v in row] for row in shares.to_numpy()],
            texttemplate="%{text}",
            colorscale="Blues" if prefix != "from_CN_" else "Reds",
            zmin=0,
            zmax=1,
            showscale=False,
            xgap=2,
            ygap=2,
            hovertemplate=f"%{{y}}: %{{z:.1%}} of %{{x}}'s deliveries {SHARE_TITLES[prefix]}<extra></extra>",
            row=1,
            col=position,
        )
        # The optimum's row framed, so the alternatives read against it.
        figure.add_shape(
            type="rect",
            x0=-0.5,
            x1=len(columns) - 0.5,
            y0=-0.5,
            y1=0.5,
            line={"color": OPTIMUM_COLOUR, "width": 2.5},
            row=1,
            col=position,
        )
    figure.update_yaxes(autorange="reversed")
    figure.update_xaxes(side="bottom", tickangle=0)
    return finish(figure, title, _sourcing_reading(table, kinds, labels), height=200 + 44 * len(table))


def _sourcing_reading(table: pd.DataFrame, kinds: dict[str, list[str]], labels: list[str]) -> str:
    """The region whose main share moves most between the portfolios, with its range."""
    prefix, columns = next(iter(kinds.items()))
    shares = table[columns].apply(pd.to_numeric, errors="coerce")
    spread = (shares.max() - shares.min()).sort_values(ascending=False)
    column = spread.index[0]
    region, what = column.removeprefix(prefix), SHARE_TITLES[prefix]
    if spread.iloc[0] < 0.005:
        return f"Every portfolio sources alike: no main region's share {what} moves by a percentage point."
    low, high = shares[column].idxmin(), shares[column].idxmax()
    return (
        f"{region}'s share from {what} moves most between equally affordable portfolios: from "
        f"{percent(shares[column][low])} ({labels[low]}) to {percent(shares[column][high])} ({labels[high]}); "
        f"the optimum has {percent(shares[column].iloc[0])}."
    ).replace("from mined in China", "mined in China")


def builds_figure(folder: AnalysisFolder) -> go.Figure:
    """New capacity by region in each portfolio (t/yr summed over processes and periods)."""
    table = folder.table("alternatives")
    title = "New capacity built in each portfolio, by region (t/yr, summed over processes and periods)"
    columns = [column for column in table.columns if column.startswith("built_")]
    built = table[columns].apply(pd.to_numeric, errors="coerce").fillna(0.0)
    built = built.loc[:, built.max() > 1e-6]
    labels = portfolio_labels(table)
    figure = builds_heatmap(
        built.to_numpy(), [column.removeprefix("built_") for column in built.columns], labels, "built in %{x}"
    )
    figure.add_shape(
        type="rect", x0=-0.5, x1=built.shape[1] - 0.5, y0=-0.5, y1=0.5, line={"color": OPTIMUM_COLOUR, "width": 2.5}
    )
    figure.update_yaxes(autorange="reversed")
    change = (built - built.iloc[0]).abs().sum(axis=1)
    most = change.idxmax()
    reading = f"The optimum builds {tonnes(built.iloc[0].sum(), 't/yr')}"
    if change.max() > 1e-6:
        moved = (built.loc[most] - built.iloc[0]).sort_values()
        reading += (
            f"; {labels[most]} moves the most capacity ({tonnes(change.max(), 't/yr')}), above all "
            f"{'into' if moved.iloc[-1] > -moved.iloc[0] else 'out of'} "
            f"{(moved.idxmax() if moved.iloc[-1] > -moved.iloc[0] else moved.idxmin()).removeprefix('built_')}."
        )
    else:
        reading += ", and every alternative builds the same."
    return finish(figure, title, reading, height=200 + 44 * len(table))
