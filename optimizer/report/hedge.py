"""The page of a hedge folder (``reeopt hedge``): the hedged plan against each scenario's own, the regret
table, the value of knowing (EVPI) and of hedging (VSS), and CVaR's effect when it was used.

The folder holds summary.json (rp, ws, evpi, eev, vss, probabilities, decide_until, cvar),
builds.csv, plans.csv (every plan's early builds: ``hedged``, ``own:<scenario>``, ``risk_neutral``)
and regret.csv (every plan committed to in every scenario).

- ``hedge_plans``: early builds of each plan by process and region (t/yr, summed over the years
  before the decision year), the hedged plan framed;
- ``hedge_regret``: each plan's cost in each scenario above that scenario's own optimum;
- ``hedge_value``: EVPI and each scenario's VSS;
- ``hedge_cvar`` (with CVaR): the risk-averse plan's costs minus the risk-neutral plan's, per scenario,
  in expectation, CVaR and worst case.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from optimizer.report.analyses import AnalysisFolder
from optimizer.report.style import builds_heatmap, empty, finish, money, percent, tonnes

HEDGED_COLOUR, OWN_COLOUR = "#3d3d3d", "#76b7b2"
LOSS, GAIN = "#c0392b", "#4e79a7"  # a cost that rises, a cost that falls


def hedge_figures(folder: AnalysisFolder) -> dict[str, go.Figure]:
    figures = {
        "hedge_plans": plans_figure(folder),
        "hedge_regret": regret_figure(folder),
        "hedge_value": value_figure(folder),
    }
    if folder.summary.get("cvar"):
        figures["hedge_cvar"] = cvar_figure(folder)
    return figures


def hedge_facts(folder: AnalysisFolder) -> list[tuple[str, str]]:
    summary, currency = folder.summary, folder.currency
    probabilities = summary.get("probabilities", {})
    facts = [
        ("scenarios", ", ".join(f"{name} ({percent(p)})" for name, p in probabilities.items())),
        ("decided now", f"builds commissioned before {summary.get('decide_until')}"),
        ("objective", str(summary.get("objective", "expected cost"))),
        ("RP (hedged plan)", money(summary.get("rp"), currency)),
        ("WS (perfect foresight)", money(summary.get("ws"), currency)),
        ("EVPI (value of knowing)", money(summary.get("evpi"), currency)),
    ]
    for name, value in summary.get("vss", {}).items():
        facts.append((f"VSS against {name}'s plan", _amount(value, currency)))
    cvar = summary.get("cvar")
    if cvar:
        facts.append(("CVaR", f"level {cvar['alpha']:g}, weight {cvar['weight']:g}"))
    facts.extend(("note", note) for note in summary.get("notes", []))
    return facts


def hedge_tables(folder: AnalysisFolder) -> dict[str, pd.DataFrame]:
    """The regret table as the reader wants it: a row per plan, a column per scenario (cost), then F."""
    regret = folder.table("regret")
    if regret.empty:
        return {}
    currency = folder.currency
    cost = regret.pivot(index="plan", columns="scenario", values="cost")
    cost = cost.reindex(index=list(dict.fromkeys(regret["plan"])), columns=list(dict.fromkeys(regret["scenario"])))
    shown = cost.map(lambda value: _amount(value, currency))
    pi = regret.drop_duplicates("scenario").set_index("scenario")["probability"].reindex(cost.columns)
    shown["expected cost"] = [_amount(float(np.sum(pi.to_numpy() * row)), currency) for row in cost.to_numpy()]
    shown.columns = [f"in {column}" if column != "expected cost" else column for column in shown.columns]
    return {"Cost of each plan in each scenario (regret table)": shown.reset_index()}


def plans_figure(folder: AnalysisFolder) -> go.Figure:
    summary = folder.summary
    year = summary.get("decide_until")
    title = f"Builds decided before {year}: the hedged plan against each scenario's own (t/yr, summed over years)"
    plans = folder.table("plans")
    if plans.empty:
        return empty(title, f"No plan builds anything before {year}.")
    plans = plans.assign(unit=plans["process"] + " " + plans["region"])
    pivot = plans.pivot_table(index="plan", columns="unit", values="built", aggfunc="sum", fill_value=0.0)
    order = list(dict.fromkeys(plans["plan"]))
    pivot = pivot.reindex(order).fillna(0.0)
    pivot = pivot.loc[:, pivot.max() > 1e-6]
    pivot = pivot[pivot.sum().sort_values(ascending=False).index]
    figure = builds_heatmap(pivot.to_numpy(), list(pivot.columns), list(pivot.index), "of %{x}")
    if "hedged" in pivot.index:
        row = list(pivot.index).index("hedged")
        figure.add_shape(
            type="rect",
            x0=-0.5,
            x1=pivot.shape[1] - 0.5,
            y0=row - 0.5,
            y1=row + 0.5,
            line={"color": HEDGED_COLOUR, "width": 2.5},
        )
    figure.update_yaxes(autorange="reversed")
    figure.update_xaxes(tickangle=-35)
    return finish(figure, title, _plans_reading(pivot), height=260 + 44 * len(pivot))


def _plans_reading(pivot: pd.DataFrame) -> str:
    if "hedged" not in pivot.index:
        return "No hedged plan in plans.csv."
    hedged = pivot.loc["hedged"]
    reading = f"The hedge builds {tonnes(hedged.sum(), 't/yr')} before the decision year"
    own = pivot.drop(index=[name for name in ("hedged", "risk_neutral") if name in pivot.index])
    if own.empty:
        return reading + "."
    # What the hedge builds beyond every scenario's own plan: insurance no single forecast buys.
    beyond = (hedged - own.min()).clip(lower=0).sort_values(ascending=False)
    closest = (own - hedged).abs().sum(axis=1).idxmin()
    reading += f"; it is closest to {closest.removeprefix('own:')}'s own plan"
    if beyond.iloc[0] > 1e-6:
        reading += f", and builds most beyond the leanest plan in {beyond.index[0]} ({tonnes(beyond.iloc[0], 't/yr')})"
    return reading + "."


def regret_figure(folder: AnalysisFolder) -> go.Figure:
    currency = folder.currency
    title = f"Regret: each plan's cost in each scenario above that scenario's own optimum ({currency}, discounted)"
    regret = folder.table("regret")
    if regret.empty:
        return empty(title, "regret.csv holds no evaluation.")
    values = pd.to_numeric(regret["regret"], errors="coerce")
    pivot = regret.assign(regret=values).pivot(index="plan", columns="scenario", values="regret")
    pivot = pivot.reindex(index=list(dict.fromkeys(regret["plan"])), columns=list(dict.fromkeys(regret["scenario"])))
    finite = pivot.replace([np.inf, -np.inf], np.nan)
    top = float(np.nanmax(finite.to_numpy())) if np.isfinite(finite.to_numpy()).any() else 1.0
    figure = go.Figure(
        go.Heatmap(
            z=finite.fillna(top).to_numpy(),
            x=[f"in {column}" for column in pivot.columns],
            y=list(pivot.index),
            text=[[_amount(v, currency) for v in row] for row in pivot.to_numpy()],
            texttemplate="%{text}",
            colorscale="Reds",
            zmin=0,
            showscale=False,
            xgap=2,
            ygap=2,
            hovertemplate="%{y} %{x}: %{text} above the scenario's own optimum<extra></extra>",
        )
    )
    figure.update_yaxes(autorange="reversed")
    worst = finite.max(axis=1)
    reading = (
        f"The hedged plan's worst regret is {_amount(worst.get('hedged', math.nan), currency)}; "
        f"of the single-scenario plans, {_least_bad(worst.drop(index='hedged', errors='ignore'), currency)}."
    )
    if np.isinf(pivot.to_numpy(dtype=float)).any():
        reading += " ∞: the plan leaves that scenario infeasible."
    return finish(figure, title, reading, height=240 + 44 * len(pivot))


def _least_bad(worst: pd.Series, currency: str) -> str:
    worst = worst.filter(like="own:")
    if worst.empty:
        return "none was evaluated"
    best = worst.idxmin()
    return f"{best.removeprefix('own:')}'s regrets least at worst ({_amount(worst[best], currency)})"


def value_figure(folder: AnalysisFolder) -> go.Figure:
    summary, currency = folder.summary, folder.currency
    title = f"The value of knowing (EVPI) and of hedging (VSS against each scenario's plan) ({currency}, discounted)"
    names = ["EVPI"] + [f"VSS vs {name}" for name in summary.get("vss", {})]
    values = [summary.get("evpi")] + list(summary.get("vss", {}).values())
    numbers = [math.inf if value == "inf" else float(value) for value in values]
    finite = [value for value in numbers if math.isfinite(value)]
    shown = [value if math.isfinite(value) else (max(finite) if finite else 0.0) * 1.1 for value in numbers]
    figure = go.Figure(
        go.Bar(
            x=shown,
            y=names,
            orientation="h",
            marker_color=[HEDGED_COLOUR] + [OWN_COLOUR] * (len(names) - 1),
            text=[_amount(value, currency) for value in numbers],
            textposition="auto",
            hovertemplate="%{y}: %{text}<extra></extra>",
        )
    )
    figure.update_yaxes(autorange="reversed")
    figure.update_xaxes(title_text=f"{currency} (discounted)")
    rp = summary.get("rp") or 0.0
    vss = {name: value for name, value in zip(names[1:], numbers[1:], strict=True)}
    largest = max(vss, key=vss.get) if vss else None
    reading = (
        f"Knowing the future in advance would be worth {money(summary.get('evpi'), currency)} "
        f"({percent(summary.get('evpi', 0) / rp) if rp else '—'} of the hedged cost)"
    )
    if largest is not None:
        reading += (
            f"; planning for {largest.removeprefix('VSS vs ')} alone and facing the mix would cost "
            f"{_amount(vss[largest], currency)} more than hedging."
        )
    return finish(figure, title, reading, height=160 + 44 * len(names))


def cvar_figure(folder: AnalysisFolder) -> go.Figure:
    """Risk-averse minus risk-neutral: each scenario's cost, the expected cost, CVaR and the worst cost
    (the costs themselves are near each other next to their size, so the differences are drawn)."""
    summary, currency = folder.summary, folder.currency
    cvar = summary["cvar"]
    title = (
        f"CVaR's effect: risk-averse minus risk-neutral plan (level {cvar['alpha']:g}, weight {cvar['weight']:g}; "
        f"{currency}, discounted)"
    )
    hedged, neutral = cvar["hedged"], cvar["risk_neutral"]
    names = [f"in {name}" for name in hedged["costs"]] + ["expected cost", "CVaR", "worst cost"]

    def values(record: dict) -> list[float]:
        return list(record["costs"].values()) + [record["expected_cost"], record["cvar"], record["worst_cost"]]

    averse, plain = values(hedged), values(neutral)
    change = [a - b for a, b in zip(averse, plain, strict=True)]
    figure = go.Figure(
        go.Bar(
            x=names,
            y=change,
            marker_color=[LOSS if value > 0 else GAIN for value in change],
            text=[("+" if value > 0 else "") + money(value, currency) for value in change],
            textposition="auto",
            customdata=np.column_stack([[money(v, currency) for v in averse], [money(v, currency) for v in plain]]),
            hovertemplate="%{x}: %{customdata[0]} risk-averse, %{customdata[1]} risk-neutral<extra></extra>",
        )
    )
    figure.add_hline(y=0, line={"color": HEDGED_COLOUR, "width": 1})
    figure.update_yaxes(title_text=f"change, {currency} (discounted)")
    reading = (
        f"The risk-averse plan lowers the worst scenario's cost by "
        f"{money(neutral['worst_cost'] - hedged['worst_cost'], currency)} and CVaR by "
        f"{money(neutral['cvar'] - hedged['cvar'], currency)}, for "
        f"{money(hedged['expected_cost'] - neutral['expected_cost'], currency)} more expected cost."
    )
    return finish(figure, title, reading)


def _amount(value, currency: str) -> str:
    if isinstance(value, str):
        return "∞" if value == "inf" else value
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return "∞" if math.isinf(value) else money(value, currency)
