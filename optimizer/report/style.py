"""How the report's figures look and how they state numbers: colours, layout, and number wording.

Every figure carries its title (with units) and a one-line *reading*, a sentence computed from the
data, as its subtitle; the reading is also kept in ``figure.layout.meta["reading"]`` for the page and
for tests.

>>> tonnes(1234.5), money(65_732_655_192.4), money(-10), percent(0.987)
('1,234 t', '65.7 bn USD', '−10 USD', '99%')
"""

from __future__ import annotations

import math
import textwrap

import plotly.graph_objects as go

# Qualitative palette (Tableau 10, then Plotly's) for regions and origins, without reds: red is China's.
PALETTE = (
    "#4e79a7",
    "#f28e2b",
    "#76b7b2",
    "#59a14f",
    "#edc948",
    "#b07aa1",
    "#9c755f",
    "#17becf",
    "#636efa",
    "#bcbd22",
    "#ab63fa",
    "#00cc96",
    "#ffa15a",
    "#1f77b4",
    "#8c564b",
    "#b6e880",
    "#19d3f3",
    "#fecb52",
    "#2ca02c",
    "#9467bd",
)
GREY = "#9e9e9e"
LOSS_RED = "#c0392b"
CHINA_RED = "#d62728"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif"
SUBTITLE_WIDTH = 150  # characters per line of a reading before it wraps


def colour_map(names: list[str]) -> dict[str, str]:
    """A colour per name, stable for a given list (China, when present, is always red)."""
    others = [name for name in names if name != "CN"]
    colours = {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(others)}
    colours.update({"CN": CHINA_RED} if "CN" in names else {})
    return colours


def transparent(colour: str, alpha: float) -> str:
    """``#rrggbb`` as ``rgba(...)`` with the given opacity."""
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red},{green},{blue},{alpha})"


def finish(figure: go.Figure, title: str, reading: str, height: int = 480) -> go.Figure:
    """Give ``figure`` the report's look, its title and its reading (as subtitle and in ``meta``)."""
    lines = textwrap.wrap(reading, SUBTITLE_WIDTH) or [""]
    figure.update_layout(
        title={
            "text": f"<b>{title}</b>",
            "subtitle": {"text": "<br>".join(lines), "font": {"size": 13, "color": "#444"}},
            "x": 0.01,
            "xanchor": "left",
            "y": 0.98,
            "yanchor": "top",
        },
        meta={"reading": reading, "title": title},
        template="plotly_white",
        font={"family": FONT, "size": 12},
        height=height,
        margin={"t": 80 + 16 * len(lines), "l": 70, "r": 30, "b": 60},
        legend={"font": {"size": 11}},
    )
    return figure


def empty(title: str, reading: str, height: int = 220) -> go.Figure:
    """A figure that says there is nothing to show (and why, in ``reading``)."""
    figure = go.Figure()
    figure.add_annotation(text=reading, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper", font={"size": 14})
    figure.update_xaxes(visible=False)
    figure.update_yaxes(visible=False)
    return finish(figure, title, reading, height)


def tonnes(value: float, unit: str = "t") -> str:
    """Tonnes with thousands separators (no decimals above 10 t)."""
    value = 0.0 if abs(value) < 0.05 else value
    return f"{_number(value, 0 if abs(value) >= 10 else 1)} {unit}"


def money(value: float, currency: str = "USD") -> str:
    """An amount of money in words a reader takes in at a glance: k, M, bn."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if abs(value) < 0.5:
        value = 0.0  # a solver's −0.0002 is nothing, not "−0"
    for size, suffix in ((1e9, " bn"), (1e6, " M"), (1e3, " k")):
        if abs(value) >= size:
            return f"{_number(value / size, 1)}{suffix} {currency}"
    return f"{_number(value, 0)} {currency}"


def percent(share: float) -> str:
    """A share (0–1) as a whole percentage; "<1%" and ">99%" near the ends, so that 0 and 100 mean it."""
    if 0 < abs(share) < 0.005:
        return "<1%"
    if 0.995 <= share < 1:
        return ">99%"
    return f"{share * 100:.0f}%"


def _number(value: float, decimals: int) -> str:
    text = f"{value:,.{decimals}f}"
    return text.replace("-", "−")


def builds_heatmap(values, x: list, y: list, hover: str) -> go.Figure:
    """New capacity (t/yr) as a green heatmap, one cell labelled per build (blank under half a tonne);
    ``hover`` ends the sentence "<row>: <t/yr> t/yr ..." (e.g. "built in %{x}")."""
    return go.Figure(
        go.Heatmap(
            z=values,
            x=x,
            y=y,
            text=[[_short_build(v) for v in row] for row in values],
            texttemplate="%{text}",
            colorscale="Greens",
            zmin=0,
            colorbar={"title": {"text": "t/yr"}},
            xgap=2,
            ygap=2,
            hovertemplate="%{y}: %{z:,.0f} t/yr " + hover + "<extra></extra>",
        )
    )


def _short_build(value: float) -> str:
    if value < 0.5:
        return ""
    return f"{value / 1e3:.1f}k" if value >= 1e4 else f"{value:,.0f}"
