"""Figures of a Monte Carlo sweep folder (``reeopt sweep``): what the uncertain inputs do to the outcome.

All are computed from the samples table (samples.parquet, else samples.csv), over the samples with an
optimal solution — the same samples and the same quantiles (pandas' linear interpolation) as the
sweep's summary.json:

- ``fan_cost`` and ``fan_<output>``: fan charts over the years of the ``cost@YEAR`` columns (total
  cost per year, undiscounted) and of each marginal value output (``mv_Dy2O3_JP@YEAR``): the band of
  90% of the samples (p5–p95), of half of them (p25–p75), and the median;
- ``objective_distribution``: a histogram of the objective with its empirical distribution function;
- ``build_probability``: the share of samples in which each region builds new capacity;
- ``objective_movers``: the Spearman rank correlation of each input with the objective;
- ``sourcing_spread``: the spread over the samples of each main region's share of deliveries mined in
  China (domestic mining where the instance has no China).

>>> import tempfile, optimizer
>>> from optimizer.output.results import write_sweep
>>> from optimizer.report.analyses import read_analysis
>>> scratch = tempfile.TemporaryDirectory()
>>> folder = read_analysis(write_sweep(f"{scratch.name}/sweep", *optimizer.api.sweep("toy", 8, workers=0)))
>>> list(sweep_figures(folder))
['fan_cost', 'fan_mv_ndfeb_magnet_EAST', 'objective_distribution', 'build_probability', 'objective_movers', \
'sourcing_spread']
>>> sweep_figures(folder)["objective_movers"].layout.meta["reading"][:57]
'magnet_cost moves the objective most (Spearman ρ = +1.00)'
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from optimizer.report.analyses import (
    AnalysisFolder,
    describe_output,
    format_output,
    sample_inputs,
    solved_samples,
)
from optimizer.report.style import CHINA_RED, PALETTE, colour_map, empty, finish, money, percent, transparent

QUANTILES = {"p5": 0.05, "p25": 0.25, "p50": 0.5, "p75": 0.75, "p95": 0.95}
FAN_COLOUR = "#4e79a7"
BUILT = 1e-6  # t/yr above which a region counts as building (as the sweep's summary counts it)
UP_COLOUR, DOWN_COLOUR = "#b03a2e", "#1f618d"  # raises, lowers the objective (the comparison's colours)
LONE_YEAR_WIDTH = 0.35  # half-width in years of the band drawn when there is a single year


def sweep_figures(folder: AnalysisFolder) -> dict[str, go.Figure]:
    """The figures of a sweep folder, by name: a fan per yearly output, then the distributions."""
    samples = folder.table("samples")
    figures = {f"fan_{output}": fan_figure(folder, output) for output in yearly_outputs(samples)}
    figures["objective_distribution"] = objective_distribution_figure(folder)
    figures["build_probability"] = build_probability_figure(folder)
    figures["objective_movers"] = objective_movers_figure(folder)
    figures["sourcing_spread"] = sourcing_spread_figure(folder)
    return figures


def sweep_facts(folder: AnalysisFolder) -> list[tuple[str, str]]:
    """The sweep's facts table: samples, how many were solved, the spec, seed and run time."""
    summary, samples = folder.summary, folder.table("samples")
    solved = solved_samples(samples)
    statuses = samples.loc[samples["status"] != "optimal", "status"].value_counts()
    failed = ", ".join(f"{count} {status}" for status, count in statuses.items()) or "none"
    return [
        ("instance / scenario", f"{summary.get('instance', '—')} / {summary.get('scenario', '—')}"),
        ("samples", f"{len(samples):,} ({len(solved):,} optimal; failed: {failed})"),
        ("uncertain inputs", ", ".join(sample_inputs(samples)) or "—"),
        ("uncertainty spec", str(summary.get("spec", "—"))),
        ("seed", str(summary.get("seed", "—"))),
        ("lumpy builds", "relaxed to continuous" if summary.get("relaxed") else "kept integer"),
        ("run time", f"{summary['seconds']:,.1f} s" if summary.get("seconds") is not None else "—"),
    ]


def sweep_tables(folder: AnalysisFolder) -> dict[str, pd.DataFrame]:
    """The samples that failed, with their reasons (first 20)."""
    samples = folder.table("samples")
    failed = samples.loc[samples["status"] != "optimal", ["sample", "status", "reason"]].head(20)
    return {"Samples without an optimal solution (first 20)": failed} if not failed.empty else {}


def yearly_outputs(samples: pd.DataFrame) -> list[str]:
    """The outputs with ``@YEAR`` columns, total cost first: ``['cost', 'mv_Dy2O3_JP', ...]``."""
    outputs = dict.fromkeys(column.rpartition("@")[0] for column in samples.columns if _is_yearly(column))
    return sorted(outputs, key=lambda output: output != "cost")


def _is_yearly(column: str) -> bool:
    name, at, year = column.rpartition("@")
    return bool(at and name and year.isdigit())


def fan_bands(samples: pd.DataFrame, output: str) -> pd.DataFrame:
    """Quantiles (columns p5, p25, p50, p75, p95) of ``output@YEAR`` over the optimal samples, by year."""
    solved = solved_samples(samples)
    columns = {int(column.rpartition("@")[2]): column for column in samples.columns if column.startswith(f"{output}@")}
    rows = {
        year: {key: pd.to_numeric(solved[column], errors="coerce").dropna().quantile(q) for key, q in QUANTILES.items()}
        for year, column in sorted(columns.items())
    }
    return pd.DataFrame.from_dict(rows, orient="index", columns=list(QUANTILES)).dropna(how="all")


def fan_figure(folder: AnalysisFolder, output: str) -> go.Figure:
    """A fan chart of ``output`` over the years: p5–p95 and p25–p75 bands around the median line."""
    currency = folder.currency
    words, unit = describe_output(output, currency)
    if output == "cost":
        unit = f"{currency} per year, undiscounted"
    title = f"{words[0].upper()}{words[1:]} across the samples, by year ({unit})"
    bands = fan_bands(folder.table("samples"), output)
    if bands.empty:
        return empty(title, f"No optimal sample has a value of {words}.")
    years = bands.index.to_numpy()
    # A single year has no width to draw a band over: it is drawn as a box around that year instead.
    x = np.array([years[0] - LONE_YEAR_WIDTH, years[0] + LONE_YEAR_WIDTH]) if len(years) == 1 else years
    repeat = 2 if len(years) == 1 else 1
    number = ".1%" if unit == "share" else ",.0f"
    shown = {"p5": "5th percentile", "p95": "90% of samples (p5–p95)", "p25": "25th percentile"}
    shown |= {"p75": "half of the samples (p25–p75)", "p50": "median"}
    figure = go.Figure()
    for key, fill, alpha in (("p5", None, 0), ("p95", "tonexty", 0.18), ("p25", None, 0), ("p75", "tonexty", 0.38)):
        figure.add_scatter(
            x=x,
            y=np.repeat(bands[key].to_numpy(), repeat),
            meta=key,
            name=shown[key],
            mode="lines",
            line={"width": 0, "color": FAN_COLOUR},
            fill=fill,
            fillcolor=transparent(FAN_COLOUR, alpha) if fill else None,
            showlegend=fill is not None,
            customdata=np.repeat(years, repeat),
            hovertemplate=f"{key}, %{{customdata}}: %{{y:{number}}}<extra></extra>",
        )
    figure.add_scatter(
        x=x,
        y=np.repeat(bands["p50"].to_numpy(), repeat),
        meta="p50",
        name="median",
        mode="lines+markers" if len(years) > 1 else "lines",
        line={"width": 2.5, "color": FAN_COLOUR},
        customdata=np.repeat(years, repeat),
        hovertemplate=f"median, %{{customdata}}: %{{y:{number}}}<extra></extra>",
    )
    figure.update_xaxes(title_text="year", tickformat="d", tickvals=years if len(years) <= 15 else None)
    figure.update_yaxes(title_text=unit, tickformat=".0%" if unit == "share" else None)
    return finish(figure, title, _fan_reading(bands, output, currency), height=420)


def _fan_reading(bands: pd.DataFrame, output: str, currency: str) -> str:
    def say(value: float) -> str:
        return money(value, currency) if output == "cost" else format_output(value, output, currency)

    words = describe_output(output, currency)[0]
    per_year = " a year" if output == "cost" else ""
    widest = (bands["p95"] - bands["p5"]).idxmax()
    spread = f"90% of the samples lie between {say(bands.loc[widest, 'p5'])} and {say(bands.loc[widest, 'p95'])}"
    if len(bands) == 1:
        return f"In {widest}, the median {words} is {say(bands.loc[widest, 'p50'])}{per_year}; {spread}."
    first, last = bands.index[0], bands.index[-1]
    return (
        f"The median {words} goes from {say(bands.loc[first, 'p50'])}{per_year} in {first} to "
        f"{say(bands.loc[last, 'p50'])} in {last}; the band is widest in {widest}, where {spread}."
    )


def objective_distribution_figure(folder: AnalysisFolder) -> go.Figure:
    """A histogram of the objective over the optimal samples, its empirical distribution function on a
    second axis, and the 5th, 50th and 95th percentiles marked."""
    currency = folder.currency
    samples = folder.table("samples")
    title = f"Objective across the samples ({currency}, discounted, whole horizon)"
    solved = solved_samples(samples)
    objective = pd.to_numeric(solved["objective"], errors="coerce").dropna()
    if objective.empty:
        return empty(title, f"None of the {len(samples):,} samples has an optimal solution.")
    ordered = np.sort(objective.to_numpy())
    figure = go.Figure()
    figure.add_histogram(
        x=objective.to_numpy(),
        nbinsx=int(np.clip(len(objective) // 2, 5, 40)),
        name="samples",
        marker_color=transparent(FAN_COLOUR, 0.75),
        hovertemplate=f"%{{x}} {currency}: %{{y}} samples<extra></extra>",
    )
    figure.add_scatter(
        x=ordered,
        y=np.arange(1, len(ordered) + 1) / len(ordered),
        name="share of samples at or below",
        mode="lines",
        line={"shape": "hv", "color": "#333", "width": 1.5},
        yaxis="y2",
        hovertemplate=f"%{{y:.0%}} of samples at or below %{{x:,.0f}} {currency}<extra></extra>",
    )
    quantiles = {key: objective.quantile(QUANTILES[key]) for key in ("p5", "p50", "p95")}
    for key, value in quantiles.items():
        figure.add_vline(
            x=value,
            line={"dash": "dot" if key != "p50" else "dash", "color": "#555", "width": 1},
            annotation_text=key,
            annotation_position="top",
        )
    figure.update_layout(
        yaxis2={
            "overlaying": "y",
            "side": "right",
            "range": [0, 1.02],
            "tickvals": [0, 0.25, 0.5, 0.75, 1],
            "tickformat": ".0%",
            "showgrid": False,
        },
        bargap=0.05,
        legend={"orientation": "h", "y": -0.2},
    )
    figure.update_xaxes(title_text=f"objective ({currency}, discounted)")
    figure.update_yaxes(title_text="samples")
    figure.update_layout(yaxis2_title_text="share of samples at or below")
    median = quantiles["p50"]
    reading = (
        f"Median {money(median, currency)}; 90% of the samples between {money(quantiles['p5'], currency)} and "
        f"{money(quantiles['p95'], currency)}"
    )
    if median > 0:
        reading += (
            f" ({_signed_percent(quantiles['p5'] / median - 1)} and {_signed_percent(quantiles['p95'] / median - 1)})"
        )
    short = (pd.to_numeric(solved["unmet_demand"], errors="coerce") > 1e-6).sum() if "unmet_demand" in solved else 0
    if short:
        reading += f"; {short:,} of {len(solved):,} leave demand unmet"
    failed = len(samples) - len(solved)
    reading += f"; {failed:,} of {len(samples):,} samples failed." if failed else f"; all {len(samples):,} solved."
    return finish(figure, title, reading, height=440)


def _signed_percent(change: float) -> str:
    return ("+" if change >= 0 else "−") + percent(abs(change))


def build_probability_figure(folder: AnalysisFolder) -> go.Figure:
    """The share of optimal samples in which each region builds new capacity (``built_<region>``)."""
    title = "Probability that a region builds new capacity (share of samples)"
    solved = solved_samples(folder.table("samples"))
    probability = build_probability(solved)
    if probability.empty or probability.max() == 0:
        return empty(title, "No region builds new capacity in any sample.")
    built = {
        region: pd.to_numeric(solved[f"built_{region}"], errors="coerce").where(lambda b: b > BUILT).median()
        for region in probability.index
    }
    figure = go.Figure(
        go.Bar(
            x=probability.index,
            y=probability.to_numpy(),
            marker_color=[CHINA_RED if region == "CN" else PALETTE[0] for region in probability.index],
            text=[percent(p) for p in probability],
            textposition="outside",
            customdata=[built[region] for region in probability.index],
            hovertemplate="%{x} builds in %{y:.0%} of samples<br>median when it builds: "
            "%{customdata:,.0f} t/yr<extra></extra>",
        )
    )
    figure.update_yaxes(title_text="share of samples", tickformat=".0%", range=[0, 1.1])
    figure.update_xaxes(title_text="region")
    certain = [region for region, p in probability.items() if p >= 0.995]
    least = probability.idxmin()
    if certain and len(certain) < len(probability):
        reading = (
            f"{_names(certain)} build{'s' if len(certain) == 1 else ''} in every sample; "
            f"{least} in only {percent(probability[least])} of them."
        )
    elif certain:
        reading = f"Every region that builds ({_names(certain)}) builds in every sample."
    else:
        top = probability.idxmax()
        reading = (
            f"{top} builds most often, in {percent(probability[top])} of the samples; "
            f"{least} in {percent(probability[least])}."
        )
    return finish(figure, title, reading, height=400)


def build_probability(solved: pd.DataFrame) -> pd.Series:
    """Share of the samples in which each region builds more than 1e-6 t/yr (summary.json's
    ``build_probability``), most likely first."""
    columns = [column for column in solved.columns if column.startswith("built_") and "@" not in column]
    shares = {
        column.removeprefix("built_"): float((pd.to_numeric(solved[column], errors="coerce").fillna(0) > BUILT).mean())
        for column in columns
    }
    return pd.Series(shares, dtype=float).sort_values(ascending=False, kind="stable")


def _names(regions: list[str]) -> str:
    return ", ".join(regions[:-1]) + f" and {regions[-1]}" if len(regions) > 1 else regions[0]


def objective_movers(samples: pd.DataFrame) -> pd.Series:
    """Spearman rank correlation of each input with the objective over the optimal samples (inputs that
    vary), strongest first — summary.json's ``objective_movers``."""
    solved = solved_samples(samples)
    objective = pd.to_numeric(solved["objective"], errors="coerce").rank()
    movers = {
        name: solved[name].rank().corr(objective)
        for name in sample_inputs(samples)
        if solved[name].nunique() > 1 and len(solved) > 2
    }
    movers = pd.Series(movers, dtype=float).dropna()
    return movers.reindex(movers.abs().sort_values(ascending=False, kind="stable").index)


def objective_movers_figure(folder: AnalysisFolder) -> go.Figure:
    """Bars of the Spearman rank correlation of each uncertain input with the objective."""
    title = "Inputs that move the objective (Spearman rank correlation, −1 to +1)"
    movers = objective_movers(folder.table("samples"))
    if movers.empty:
        return empty(title, "Too few solved samples, or no input varies, to correlate with the objective.")
    shown = movers.iloc[::-1]  # the strongest at the top
    figure = go.Figure(
        go.Bar(
            x=shown.to_numpy(),
            y=shown.index,
            orientation="h",
            marker_color=[UP_COLOUR if rho > 0 else DOWN_COLOUR for rho in shown],
            text=[f"{rho:+.2f}" for rho in shown],
            textposition="outside",
            hovertemplate="%{y}: ρ = %{x:+.2f}<extra></extra>",
        )
    )
    figure.update_xaxes(
        title_text="Spearman ρ with the objective (red: raises it, blue: lowers it)", range=[-1.15, 1.15]
    )
    top = movers.index[0]
    reading = (
        f"{top} moves the objective most (Spearman ρ = {movers[top]:+.2f}): the higher it is, the "
        f"{'higher' if movers[top] > 0 else 'lower'} the cost"
    )
    if len(movers) > 1:
        reading += f"; next {movers.index[1]} ({movers.iloc[1]:+.2f})"
    return finish(figure, title, reading + ".", height=140 + 34 * len(movers))


def sourcing_spread_figure(folder: AnalysisFolder) -> go.Figure:
    """Box plots over the optimal samples of each main region's share of deliveries mined in China (or,
    for an instance without China, from domestic mining)."""
    solved = solved_samples(folder.table("samples"))
    prefix = "from_CN_" if any(column.startswith("from_CN_") for column in solved.columns) else "domestic_"
    origin = "mined in China" if prefix == "from_CN_" else "from domestic mining"
    title = f"Share of each main region's deliveries {origin}, across the samples (%)"
    columns = [column for column in solved.columns if column.startswith(prefix) and "@" not in column]
    shares = solved[columns].apply(pd.to_numeric, errors="coerce").rename(columns=lambda c: c.removeprefix(prefix))
    shares = shares.dropna(axis=1, how="all")
    if shares.empty:
        return empty(title, "The samples record no sourcing shares.")
    colours = colour_map(list(shares.columns))
    figure = go.Figure()
    for region in shares.columns:
        figure.add_box(
            y=shares[region].dropna().to_numpy(),
            name=region,
            marker_color=colours[region],
            boxpoints="all",
            jitter=0.4,
            pointpos=0,
            hovertemplate=f"{region}: %{{y:.1%}}<extra></extra>",
        )
    figure.update_yaxes(title_text=f"share of deliveries {origin}", tickformat=".0%", rangemode="tozero")
    figure.update_layout(showlegend=False)
    spread = (shares.quantile(0.95) - shares.quantile(0.05)).sort_values(ascending=False)
    region = spread.index[0]
    values = shares[region].dropna()
    if spread.iloc[0] < 0.005:
        reading = f"The shares {origin} hardly move across the samples (by less than one percentage point)."
    else:
        reading = (
            f"{region}'s share {origin} moves most: 90% of the samples between {percent(values.quantile(0.05))} "
            f"and {percent(values.quantile(0.95))} (median {percent(values.median())})."
        )
    return finish(figure, title, reading, height=420)
