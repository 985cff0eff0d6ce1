"""The backcast of a results folder (``reeopt backcast`` writes backcast.csv beside the solve's tables):
model against observed, each row's deviation inside or outside its tolerance.

- ``backcast``: one dot per observed figure, its deviation (model / observed − 1) against its
  tolerance band, one row of panels per group (production, plants, imports, deliveries, prices);
  validation rows filled, calibration rows hollow (inputs chosen to meet them, so meeting them
  proves nothing);
- the rows as a table (:func:`backcast_tables`), validation first.

>>> import pandas as pd
>>> from pathlib import Path
>>> from optimizer.report.folder import ResultsFolder
>>> rows = pd.DataFrame({"group": ["prices", "plants"], "item": ["Dy2O3 CN", "mp CA"], "period": [2025, 2024],
...     "role": ["validation", "calibration"], "observed": [100.0, 10.0], "model": [142.0, 10.0],
...     "deviation": [0.42, 0.0], "tolerance": [0.3, 0.15], "within": [False, True], "source": ["a", "b"]})
>>> folder = ResultsFolder(Path("."), {}, {"backcast": rows})
>>> backcast_figure(folder).layout.meta["reading"]
'Validation: 0 of 1 figures within tolerance; the furthest off, Dy2O3 CN 2025, +42% (±30%). 1 calibration \
row (an input, not a test).'
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from optimizer.report.folder import ResultsFolder
from optimizer.report.style import GREY, LOSS_RED, PALETTE, empty, finish

# Deviations beyond this are drawn at the edge (an arrow of the hover gives the true value), so that one
# row at +900 % does not flatten every other.
SHOWN_DEVIATION = 1.5


def backcast_figure(folder: ResultsFolder) -> go.Figure:
    """Deviation of each observed figure from the model, against its tolerance, by group."""
    title = "Backcast: model / observed − 1, with each row's tolerance (grey band)"
    table = folder.table("backcast")
    if table.empty:
        return empty(title, "No backcast.csv in this folder: run reeopt backcast.")
    reading = backcast_reading(table)  # every row, those without a deviation (observed 0) too, as the table
    table = table.assign(label=table["item"] + " " + table["period"].astype(str)).dropna(subset=["deviation"])
    groups = list(dict.fromkeys(table["group"]))
    # rows by group, then year, validation before calibration, as backcast.csv lists them
    order = table.assign(
        group_rank=table["group"].map(groups.index), calibration=table["role"] == "calibration"
    ).sort_values(["group_rank", "period", "calibration"], kind="stable")
    figure = go.Figure()
    for number, group in enumerate(groups):
        rows = table[table["group"] == group]
        for role, filled in (("validation", True), ("calibration", False)):
            chosen = rows[rows["role"] == role]
            if chosen.empty:
                continue
            shown = chosen["deviation"].clip(-1.0, SHOWN_DEVIATION)
            colour = np.where(chosen["within"].astype(bool), PALETTE[number % len(PALETTE)], LOSS_RED)
            figure.add_scatter(
                x=shown,
                y=chosen["label"],
                mode="markers",
                name=f"{group}, {role}",
                # an open symbol takes its outline from ``color``
                marker={
                    "size": 10,
                    "color": colour,
                    "symbol": "circle" if filled else "circle-open",
                    "line": {"width": 2},
                },
                customdata=np.column_stack(
                    [chosen["deviation"], chosen["tolerance"], chosen["observed"], chosen["model"], chosen["source"]]
                ),
                hovertemplate="%{y}: %{customdata[0]:+.0%} (±%{customdata[1]:.0%})<br>observed %{customdata[2]:,.0f}, "
                "model %{customdata[3]:,.0f}<br>%{customdata[4]}<extra>" + f"{group}, {role}</extra>",
            )
        for row in rows.itertuples():
            figure.add_shape(
                type="line",
                x0=-row.tolerance,
                x1=row.tolerance,
                y0=row.label,
                y1=row.label,
                line={"color": GREY, "width": 6},
                opacity=0.35,
                layer="below",
            )
    figure.add_vline(x=0, line_color=GREY)
    figure.update_xaxes(tickformat="+.0%", range=[-1.05, SHOWN_DEVIATION + 0.05], title_text="model / observed − 1")
    figure.update_yaxes(autorange="reversed", categoryorder="array", categoryarray=order["label"].tolist())
    return finish(figure, title, reading, height=max(420, 80 + 18 * len(table)))


def backcast_reading(table: pd.DataFrame) -> str:
    """How many validation rows meet their tolerance, the furthest off, and how many rows are inputs."""
    validation = table[table["role"] == "validation"]
    calibration = int((table["role"] == "calibration").sum())
    within = int(validation["within"].astype(bool).sum())
    parts = [f"Validation: {within} of {len(validation)} figures within tolerance"]
    if validation["deviation"].notna().any():
        worst = validation.loc[validation["deviation"].abs().idxmax()]
        where = f"{worst['item']} {int(worst['period'])}"
        parts.append(f"the furthest off, {where}, {worst['deviation']:+.0%} (±{worst['tolerance']:.0%})")
    reading = "; ".join(parts) + "."
    if calibration:
        reading += f" {calibration} calibration row{'s' if calibration > 1 else ''} " + (
            "(inputs, not tests)." if calibration > 1 else "(an input, not a test)."
        )
    return reading


def backcast_tables(folder: ResultsFolder) -> dict[str, pd.DataFrame]:
    """The backcast rows for the page, validation first, worst deviation first within each role."""
    table = folder.table("backcast")
    if table.empty:
        return {}
    order = table.assign(
        validation_first=table["role"] != "validation", off=-table["deviation"].abs().fillna(np.inf)
    ).sort_values(["validation_first", "off"])
    shown = pd.DataFrame(
        {
            "group": order["group"],
            "item": order["item"],
            "year": order["period"].astype(int),
            "role": order["role"],
            "observed": order["observed"].map(lambda v: f"{float(v):,.0f}"),
            "model": order["model"].map(lambda v: "—" if pd.isna(v) else f"{float(v):,.0f}"),
            "deviation": order["deviation"].map(lambda v: "—" if pd.isna(v) else f"{float(v):+.0%}"),
            "tolerance": order["tolerance"].map(lambda v: f"±{float(v):.0%}"),
            "within": [
                ("input" if within else "missed (input)") if role == "calibration" else ("yes" if within else "NO")
                for role, within in zip(order["role"], order["within"].astype(bool), strict=True)
            ],
            "source": order["source"],
        }
    )
    return {"Model against observed (backcast.csv), validation rows first, furthest off first": shown}
