"""Figures of a sensitivity folder (``reeopt sensitivity``): which uncertain inputs matter, per output.

sensitivity.csv has one row per output and input, ranked within the output. Its columns say the method:

- Morris (``mu_star``, ``sigma``): ``mu_star`` is the mean absolute change of the output when the input
  moves across its range (in the output's unit), ``sigma`` the spread of those changes — large against
  ``mu_star`` when the input's effect depends on the other inputs or is not linear. One figure per
  output (``morris_<output>``): the inputs ranked by ``mu_star`` (tornado-like bars), and the
  ``mu_star``–``sigma`` plane with the line σ = μ*.
- Sobol (``S1``, ``ST``): the share of the output's variance due to the input alone (``S1``) and with
  all its interactions (``ST``). One figure per output (``sobol_<output>``): both as bars, ranked by ST.

>>> import tempfile, optimizer
>>> from optimizer.output.results import write_folder
>>> from optimizer.report.analyses import read_analysis
>>> scratch = tempfile.TemporaryDirectory()
>>> ranking, solved = optimizer.api.sensitivity("toy", "morris", samples=4)
>>> folder = read_analysis(write_folder(f"{scratch.name}/sens", {"sensitivity.csv": ranking.to_csv(index=False)}))
>>> figures = sensitivity_figures(folder)
>>> list(figures)
['morris_objective', 'morris_mv_ndfeb_magnet_EAST']
>>> figures["morris_objective"].layout.meta["reading"]
'magnet_cost matters most for the objective: μ* 90.0 k USD across its range, 13× the next input \
(light_mining_cost); σ is small against μ*: its effect hardly depends on the other inputs.'
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from optimizer.report.analyses import AnalysisFolder, describe_output, format_output
from optimizer.report.style import GREY, PALETTE, empty, finish, percent

MU_COLOUR, SIGMA_COLOUR = "#4e79a7", "#b07aa1"
S1_COLOUR, ST_COLOUR = "#4e79a7", "#f28e2b"
INTERACTING = 0.5  # σ/μ* above which an effect is read as depending on the other inputs
LABELLED = 0.15  # inputs named in the μ*–σ plane: μ* at least this share of the largest


def method(folder: AnalysisFolder) -> str:
    """``morris`` or ``sobol``, by the columns of sensitivity.csv (``None`` when it is empty)."""
    columns = set(folder.table("sensitivity").columns)
    return "morris" if "mu_star" in columns else "sobol" if "ST" in columns else "none"


def sensitivity_figures(folder: AnalysisFolder) -> dict[str, go.Figure]:
    """One figure per output, the objective first."""
    ranking = folder.table("sensitivity")
    chosen = method(folder)
    outputs = sorted(ranking["output"].unique(), key=lambda output: output != "objective")
    if chosen == "none" or not outputs:
        return {"sensitivity": empty("Sensitivity of the outputs (no unit)", "sensitivity.csv ranks no input.")}
    draw = morris_figure if chosen == "morris" else sobol_figure
    return {f"{chosen}_{output}": draw(folder, output) for output in outputs}


def sensitivity_facts(folder: AnalysisFolder) -> list[tuple[str, str]]:
    """Method, outputs, inputs and samples solved."""
    ranking, samples = folder.table("sensitivity"), folder.table("samples")
    chosen = method(folder)
    solved = int((samples["status"] == "optimal").sum())
    return [
        ("method", {"morris": "Morris elementary effects", "sobol": "Sobol variance indices"}.get(chosen, "—")),
        ("outputs", ", ".join(dict.fromkeys(ranking["output"])) or "—"),
        ("inputs", ", ".join(dict.fromkeys(ranking["input"])) or "—"),
        ("model runs", f"{len(samples):,} ({solved:,} optimal)" if len(samples) else "—"),
    ]


def _ranked(folder: AnalysisFolder, output: str) -> pd.DataFrame:
    ranking = folder.table("sensitivity")
    return ranking[ranking["output"] == output].sort_values("rank")


def morris_figure(folder: AnalysisFolder, output: str) -> go.Figure:
    """Left, the inputs ranked by μ* (bars, the most influential on top) with σ beside; right, each input
    in the μ*–σ plane."""
    currency = folder.currency
    words, unit = describe_output(output, currency)
    unit_text = "percentage points" if unit == "share" else unit or "output units"
    number = ".1%" if unit == "share" else ",.4g"
    title = f"Morris screening of the {words} (μ* and σ in {unit_text})"
    ranked = _ranked(folder, output)
    if ranked.empty:
        return empty(title, f"No Morris effects for {output}.")
    shown = ranked.iloc[::-1]
    figure = make_subplots(
        rows=1,
        cols=2,
        column_widths=[0.58, 0.42],
        horizontal_spacing=0.12,
        subplot_titles=["inputs ranked by μ* (mean absolute effect)", "μ* against σ (spread of the effects)"],
    )
    # σ first, so that in each input's pair of bars μ* is the upper one; the legend lists μ* first.
    for column, colour, name, rank in (("sigma", SIGMA_COLOUR, "σ", 2), ("mu_star", MU_COLOUR, "μ*", 1)):
        figure.add_bar(
            x=shown[column].to_numpy(),
            y=shown["input"],
            orientation="h",
            name=name,
            legendrank=rank,
            marker_color=colour,
            hovertemplate=f"%{{y}}: {name} = %{{x:{number}}}<extra></extra>",
            row=1,
            col=1,
        )
    top = float(np.nanmax(ranked[["mu_star", "sigma"]].to_numpy(dtype=float), initial=0.0)) or 1.0
    figure.add_scatter(
        x=[0, top * 1.1],
        y=[0, top * 1.1],
        mode="lines",
        name="σ = μ*",
        line={"dash": "dot", "color": GREY},
        hoverinfo="skip",
        row=1,
        col=2,
    )
    # Names only beside the inputs that stand out; the crowd near the origin is named on hover.
    labelled = ranked["mu_star"] >= LABELLED * ranked["mu_star"].max()
    figure.add_scatter(
        x=ranked["mu_star"].to_numpy(),
        y=ranked["sigma"].to_numpy(),
        mode="markers+text",
        text=ranked["input"].where(labelled, ""),
        customdata=ranked["input"],
        textposition="top center",
        marker={"size": 10, "color": [PALETTE[i % len(PALETTE)] for i in range(len(ranked))]},
        showlegend=False,
        hovertemplate=f"%{{customdata}}: μ* = %{{x:{number}}}, σ = %{{y:{number}}}<extra></extra>",
        row=1,
        col=2,
    )
    tickformat = ".0%" if unit == "share" else None
    figure.update_layout(barmode="group", legend={"orientation": "h", "y": -0.18})
    figure.update_xaxes(title_text=unit_text, rangemode="tozero", tickformat=tickformat, row=1, col=1)
    figure.update_xaxes(title_text=f"μ* ({unit_text})", range=[0, top * 1.15], tickformat=tickformat, row=1, col=2)
    figure.update_yaxes(title_text=f"σ ({unit_text})", range=[0, top * 1.15], tickformat=tickformat, row=1, col=2)
    return finish(figure, title, _morris_reading(ranked, output, currency), height=200 + max(240, 46 * len(ranked)))


def _morris_reading(ranked: pd.DataFrame, output: str, currency: str) -> str:
    words = describe_output(output, currency)[0]
    first = ranked.iloc[0]
    if not first["mu_star"] > 0:
        return f"No input changes the {words}."

    def say(value: float) -> str:
        if describe_output(output, currency)[1] == "share":
            return f"{value * 100:.1f} percentage points"
        return format_output(value, output, currency)

    reading = f"{first['input']} matters most for the {words}: μ* {say(first['mu_star'])} across its range"
    if len(ranked) > 1:
        second = ranked.iloc[1]
        ratio = first["mu_star"] / second["mu_star"] if second["mu_star"] > 0 else np.inf
        times = f"{ratio:.1f}" if ratio < 10 else f"{ratio:.0f}"
        reading += (
            f", {times}× the next input ({second['input']})"
            if ratio >= 1.25
            else f", about as much as {second['input']} ({say(second['mu_star'])})"
        )
    interacting = first["sigma"] / first["mu_star"]
    reading += (
        f"; σ is {interacting:.1f}× μ*: its effect depends on the other inputs or is not linear."
        if interacting > INTERACTING
        else "; σ is small against μ*: its effect hardly depends on the other inputs."
    )
    return reading


def sobol_figure(folder: AnalysisFolder, output: str) -> go.Figure:
    """First-order (S1) and total (ST) Sobol indices of each input, ranked by ST (the largest on top)."""
    words = describe_output(output, folder.currency)[0]
    title = f"Sobol indices of the {words} (share of its variance, 0–1)"
    ranked = _ranked(folder, output)
    if ranked.empty:
        return empty(title, f"No Sobol indices for {output}.")
    shown = ranked.iloc[::-1]
    figure = go.Figure()
    for column, colour, name in (
        ("S1", S1_COLOUR, "S1: the input alone"),
        ("ST", ST_COLOUR, "ST: with its interactions"),
    ):
        figure.add_bar(
            x=shown[column].to_numpy(),
            y=shown["input"],
            orientation="h",
            name=name,
            marker_color=colour,
            text=[f"{value:.2f}" for value in shown[column]],
            textposition="outside",
            hovertemplate=f"%{{y}}: {column} = %{{x:.3f}}<extra></extra>",
        )
    figure.update_layout(barmode="group", legend={"orientation": "h", "y": -0.2})
    figure.update_xaxes(
        title_text="share of the output's variance", range=[-0.12 if (ranked["S1"] < 0).any() else 0, 1.1]
    )
    return finish(figure, title, _sobol_reading(ranked, words), height=200 + 60 * len(ranked))


def _sobol_reading(ranked: pd.DataFrame, words: str) -> str:
    first = ranked.iloc[0]
    reading = (
        f"{first['input']} explains {percent(max(first['S1'], 0))} of the variance of the {words} on its own (S1) "
        f"and {percent(max(first['ST'], 0))} with its interactions (ST)"
    )
    first_order = ranked["S1"].clip(lower=0).sum()
    reading += f"; the inputs' S1 add up to {percent(min(first_order, 1))}"
    reading += (
        ", the rest is interactions." if first_order < 0.9 else ", so the output is nearly additive in its inputs."
    )
    if (ranked["S1"] < -0.01).any():
        reading = reading[:-1] + " (S1 below zero is estimation noise: more samples would narrow it)."
    return reading
