"""Figures of a routes folder (``reeopt routes``): the supply routes that feed a commodity into a region,
cheapest first, and with ``--avoid`` the routes once those regions are cut out.

routes.csv has one row per route and run (``optimum``, ``avoiding_<regions>``): its rank, the chain of
processes and nodes it passes, the regions, the tonnes it carries (t per year, in the period asked)
its cost per tonne (joint costs allocated by value at marginal values: a production cost) and
its price per tonne (the marginal value at the delivery). routes.json
records what was asked (commodity, region, period, regions avoided) and what avoiding cost.

- ``routes``: one horizontal bar per route, its cost per tonne, one panel per run; the hover gives the
  tonnes and the whole route;
- the routes as a table (:func:`routes_tables`).

>>> import tempfile, optimizer
>>> from pathlib import Path
>>> from optimizer.output.results import write_table
>>> from optimizer.report.analyses import read_analysis
>>> scratch = Path(tempfile.mkdtemp())
>>> found = optimizer.api.routes("toy", "ndfeb_magnet", "EAST")
>>> _ = write_table(found["optimum"].assign(run="optimum"), scratch / "routes.csv")
>>> routes_figure(read_analysis(scratch)).layout.meta["reading"]
'The cheapest route, NORTH;EAST, carries 75 t/yr at 2,250 USD/t; the dearest, SOUTH;EAST, 4,312 USD/t.'
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from optimizer.report.analyses import AnalysisFolder
from optimizer.report.style import PALETTE, empty, finish, money, tonnes

TOP_ROUTES = 15


def _short_route(route: str) -> str:
    steps = str(route).split(" > ")
    return " > ".join(steps) if len(steps) <= 4 else f"{steps[0]} > … > {steps[-2]} > {steps[-1]}"


def routes_facts(folder: AnalysisFolder) -> list[tuple[str, str]]:
    summary = folder.summary
    routes = folder.table("routes")
    facts = [
        ("commodity into region", f"{summary.get('commodity', '?')} into {summary.get('region', '?')}"),
        ("period", str(summary.get("period", "the last"))),
        ("routes listed", f"{len(routes):,} over {routes['run'].nunique()} run(s)"),
        ("cost per tonne", "joint costs allocated by value along the route: a production cost, not a price"),
    ]
    if summary.get("avoid"):
        facts.append(("regions avoided", ", ".join(summary["avoid"])))
        increase = summary.get("cost_increase")
        if increase is not None:
            facts.append(("avoiding raises the total cost by", money(increase, folder.currency)))
        if summary.get("unmet_demand_avoiding") is not None:
            facts.append(("unmet demand when avoiding", tonnes(summary["unmet_demand_avoiding"], "t")))
        if summary.get("floors_released"):
            facts.append(("both runs", "without the calibration floors and the avoided regions' own demand"))
    return facts


def routes_figure(folder: AnalysisFolder, top: int = TOP_ROUTES) -> go.Figure:
    """Cost per tonne of each route, cheapest at the top, one panel per run."""
    currency = folder.currency
    title = f"Supply routes, cost per tonne ({currency}/t; joint costs allocated by value)"
    routes = folder.table("routes")
    routes = routes.assign(cost_per_tonne=pd.to_numeric(routes["cost_per_tonne"], errors="coerce"))
    routes = routes.dropna(subset=["cost_per_tonne"])
    if routes.empty:
        return empty(title, "No route delivers the commodity into the region in that period.")
    runs = list(dict.fromkeys(routes["run"]))
    figure = make_subplots(rows=1, cols=len(runs), subplot_titles=runs, shared_yaxes=False)
    for column, run in enumerate(runs, start=1):
        rows = routes[routes["run"] == run].sort_values("rank").head(top)
        labels = [f"{int(rank)}. {regions}" for rank, regions in zip(rows["rank"], rows["regions"], strict=True)]
        figure.add_bar(
            x=rows["cost_per_tonne"],
            y=labels,
            orientation="h",
            marker_color=PALETTE[(column - 1) % len(PALETTE)],
            customdata=list(zip(rows["tonnes"], rows["route"].map(_short_route), strict=True)),
            hovertemplate="%{y}: %{x:,.0f} " + currency + "/t, %{customdata[0]:,.1f} t/yr<br>%{customdata[1]}"
            "<extra></extra>",
            showlegend=False,
            row=1,
            col=column,
        )
        figure.update_yaxes(autorange="reversed", row=1, col=column)
        figure.update_xaxes(title_text=f"{currency}/t", row=1, col=column)
    first = routes[routes["run"] == runs[0]].sort_values("cost_per_tonne")
    cheapest, dearest = first.iloc[0], first.iloc[-1]
    reading = (
        f"The cheapest route, {cheapest['regions']}, carries {cheapest['tonnes']:,.0f} t/yr at "
        f"{cheapest['cost_per_tonne']:,.0f} {currency}/t"
    )
    if len(first) > 1:
        reading += f"; the dearest, {dearest['regions']}, {dearest['cost_per_tonne']:,.0f} {currency}/t"
    if len(runs) > 1:
        other = routes[routes["run"] == runs[1]]
        average = (other["cost_per_tonne"] * other["tonnes"]).sum() / max(other["tonnes"].sum(), 1e-12)
        reading += f"; {runs[1]}: {average:,.0f} {currency}/t on average"
    return finish(figure, title, reading + ".", height=max(380, 60 + 34 * min(top, len(first))))


def routes_tables(folder: AnalysisFolder) -> dict[str, pd.DataFrame]:
    routes = folder.table("routes")
    if routes.empty:
        return {}
    shown = routes[["run", "rank", "regions", "tonnes", "cost_per_tonne", "route"]].copy()
    shown["tonnes"] = shown["tonnes"].map(lambda v: f"{float(v):,.2f}")
    shown["cost_per_tonne"] = shown["cost_per_tonne"].map(lambda v: f"{float(v):,.0f}")
    return {"Routes, cheapest first (t per year, cost per t)": shown}
