"""Figures of a chokepoints folder (``reeopt chokepoints``): what failing one mine, plant, link or
region's processing would cost.

chokepoints.csv ranks every element that carries flow in the optimum by what cutting it does:
first the cuts after which no solution exists (``status`` infeasible, no cost), then by the increase
of the objective (discounted, whole horizon) and of unmet demand (t over the horizon). min_cuts.csv
names, for the largest deliveries, the fewest plants and links outside the demand's region that all of
its supply passes through.

- ``chokepoints``: the highest-ranked elements as horizontal bars, cost increase on the left and unmet
  demand on the right, coloured by kind; a cut without a solution is a hatched red bar across the
  panel marked "no solution" (it has no cost to draw);
- the min cuts as a table (:func:`min_cut_table`).

>>> import tempfile, optimizer
>>> from pathlib import Path
>>> from optimizer.output.results import write_table
>>> from optimizer.report.analyses import read_analysis
>>> scratch = Path(tempfile.mkdtemp())
>>> found = optimizer.api.chokepoints("toy")
>>> _ = write_table(found["ranking"], scratch / "chokepoints.csv")
>>> _ = write_table(found["min_cuts"], scratch / "min_cuts.csv")
>>> chokepoints_figure(read_analysis(scratch)).layout.meta["reading"]
'Cutting any of 10 of the 11 elements leaves no feasible supply (mining_light in NORTH, mining_heavy in SOUTH, \
separation_light in NORTH, …); the worst cut with a solution is NdPr_oxide SOUTH->EAST: +24.0 k USD.'
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from optimizer.report.analyses import AnalysisFolder
from optimizer.report.style import LOSS_RED, PALETTE, empty, finish, money, tonnes, transparent

TOP_CHOKEPOINTS = 25
KIND_COLOURS = {"mine": "#9c755f", "plant": "#4e79a7", "link": "#f28e2b", "region processing": "#b07aa1"}
UNMET_COLOUR = "#7f7f7f"
NO_SOLUTION = "no solution"


def chokepoints_facts(folder: AnalysisFolder) -> list[tuple[str, str]]:
    ranking = folder.table("chokepoints")
    kinds = ranking["kind"].value_counts()
    infeasible = int(_no_solution(ranking).sum())
    return [
        ("elements cut", f"{len(ranking):,} ({', '.join(f'{count} {kind}' for kind, count in kinds.items())})"),
        ("cuts without a solution", f"{infeasible:,}"),
        ("costs", "increase of the objective, discounted, whole horizon; unmet demand in t over the horizon"),
    ]


def _no_solution(ranking: pd.DataFrame) -> pd.Series:
    """Cuts after which the model has no solution: no cost increase recorded."""
    return pd.to_numeric(ranking["cost_increase"], errors="coerce").isna()


def chokepoints_figure(folder: AnalysisFolder, top: int = TOP_CHOKEPOINTS) -> go.Figure:
    """The ``top`` elements of chokepoints.csv, rank 1 on top: cost increase (left), unmet demand (right)."""
    currency = folder.currency
    title = f"Chokepoints: the cost of losing each element (increase of the objective, {currency}; unmet t)"
    ranking = folder.table("chokepoints").sort_values("rank")
    if ranking.empty:
        return empty(title, "chokepoints.csv lists no element: nothing carries flow in the optimum.")
    shown = ranking.head(top)
    cost = pd.to_numeric(shown["cost_increase"], errors="coerce")
    unmet = pd.to_numeric(shown["unmet_increase"], errors="coerce")
    infeasible = _no_solution(shown)
    order = list(shown["element"])[::-1]  # rank 1 at the top
    figure = make_subplots(
        rows=1,
        cols=2,
        shared_yaxes=True,
        column_widths=[0.62, 0.38],
        horizontal_spacing=0.02,
        subplot_titles=[f"cost increase ({currency}, discounted)", "unmet demand added (t over the horizon)"],
    )
    for position, (kind, rows) in enumerate(shown[~infeasible].groupby("kind", sort=False)):
        colour = KIND_COLOURS.get(kind, PALETTE[position % len(PALETTE)])
        figure.add_bar(
            x=cost[rows.index].to_numpy(),
            y=rows["element"],
            orientation="h",
            name=kind,
            legendgroup=kind,
            marker_color=colour,
            customdata=np.stack([rows["rank"], unmet[rows.index].fillna(0.0)], axis=1),
            hovertemplate=f"#%{{customdata[0]}} %{{y}} ({kind}): +%{{x:,.0f}} {currency}, "
            "+%{customdata[1]:,.1f} t unmet<extra></extra>",
            row=1,
            col=1,
        )
    finite = cost[~infeasible]
    reach = float(finite.max()) * 1.08 if not finite.empty and finite.max() > 0 else 1.0
    if infeasible.any():
        lost = shown[infeasible]
        figure.add_bar(
            x=[reach] * len(lost),
            y=lost["element"],
            orientation="h",
            name=f"{NO_SOLUTION} (infeasible)",
            marker={"color": transparent(LOSS_RED, 0.25), "line": {"color": LOSS_RED, "width": 1}},
            marker_pattern={"shape": "/", "fgcolor": LOSS_RED, "size": 8},
            text=[NO_SOLUTION] * len(lost),
            textposition="inside",
            insidetextanchor="start",
            textfont={"color": LOSS_RED},
            customdata=np.stack([lost["rank"], lost["kind"]], axis=1),
            hovertemplate="#%{customdata[0]} %{y} (%{customdata[1]}): no solution without it<extra></extra>",
            row=1,
            col=1,
        )
    figure.add_bar(
        x=unmet[~infeasible].to_numpy(),
        y=shown.loc[~infeasible, "element"],
        orientation="h",
        name="unmet demand added",
        marker_color=UNMET_COLOUR,
        hovertemplate="%{y}: +%{x:,.1f} t unmet over the horizon<extra></extra>",
        row=1,
        col=2,
    )
    figure.update_yaxes(categoryorder="array", categoryarray=order, tickfont={"size": 11})
    figure.update_xaxes(rangemode="tozero")
    figure.update_xaxes(range=[0, reach * 1.02], row=1, col=1)
    figure.update_layout(barmode="overlay", legend={"orientation": "h", "y": -0.06, "yanchor": "top"})
    reading = _reading(ranking, currency)
    if len(ranking) > top:
        reading = reading[:-1] + f"; the {top} worst of {len(ranking)} shown."
    return finish(figure, title, reading, height=200 + 24 * len(shown))


def _reading(ranking: pd.DataFrame, currency: str) -> str:
    infeasible = _no_solution(ranking)
    solved = ranking[~infeasible]
    parts = []
    if infeasible.any():
        names = list(ranking.loc[infeasible, "element"])
        listed = ", ".join(names[:3]) + (", …" if len(names) > 3 else "")
        parts.append(f"Cutting any of {len(names)} of the {len(ranking)} elements leaves no feasible supply ({listed})")
    if not solved.empty:
        worst = solved.iloc[0]
        text = f"+{money(worst['cost_increase'], currency)}"
        if worst["unmet_increase"] > 1e-6:
            text += f" and {tonnes(worst['unmet_increase'], 't')} of demand unmet"
        lead = "the worst cut with a solution is" if parts else "The worst cut is"
        parts.append(f"{lead} {worst['element']}: {text}")
    return "; ".join(parts) + "."


def min_cut_table(folder: AnalysisFolder) -> pd.DataFrame:
    """min_cuts.csv for reading: the demand, its year, how many elements all its supply passes through
    (outside its region), and which."""
    cuts = folder.table("min_cuts")
    return pd.DataFrame(
        {
            "demand (commodity@region)": cuts["demand"],
            "period": cuts["period"].map(lambda p: f"{int(p)}" if not pd.isna(p) else "—"),
            "elements in the cut": cuts["cut_size"].map(lambda n: f"{int(n)}" if not pd.isna(n) else "—"),
            "all supply passes through": cuts["cut"],
        }
    )


def chokepoints_tables(folder: AnalysisFolder) -> dict[str, pd.DataFrame]:
    cuts = min_cut_table(folder)
    return {"Single points of failure upstream of the largest deliveries (min_cuts.csv)": cuts} if len(cuts) else {}
