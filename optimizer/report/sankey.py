"""The material-flow diagram: a Sankey of one period's rare-earth flows, stage by stage, region by region.

Columns are the stages of the chain (ore → concentrate → mixed RE → oxide → metal → magnets and other
functional materials → final demand), each node a region's material at that stage, labelled with the
region; each stage's losses, disposal and stock are sinks at the foot of the diagram, just right of
the stage's column (red for losses, grey otherwise). Regions beyond the ``max_regions``
with the largest throughput are merged into "other regions". Within a stage column the regions that
import more of the stage than they export stand a little to the right, so that trade links run left
to right. The links are those of :func:`~optimizer.report.flows.material_flow_links`.

>>> import tempfile, optimizer
>>> from optimizer.report.folder import read_results
>>> scratch = tempfile.TemporaryDirectory()
>>> folder = read_results(optimizer.write(optimizer.solve("toy"), f"{scratch.name}/toy"))
>>> figure = material_flow_figure(folder)
>>> sum(figure.data[0].link.value)  # t REO per year, all links
900.0
>>> figure.layout.meta["reading"]
'In 2025, NORTH produces 86% of all oxide (285 t REO/yr); 100 t REO/yr cross borders.'
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from optimizer.report.chain import STAGE_LABELS
from optimizer.report.flows import (
    DEMAND,
    OTHER_REGIONS,
    SINKS,
    lump_regions,
    material_flow_links,
    region_throughput,
)
from optimizer.report.folder import ResultsFolder
from optimizer.report.style import GREY, LOSS_RED, colour_map, empty, finish, percent, tonnes, transparent

TITLE = "Material flow along the chain"
# Column order of the diagram: scrap enters beside the mixed intermediates, as it feeds separation.
COLUMNS = ("ore", "concentrate", "intermediate", "end_of_life", "oxide", "metal", "alloy", "functional_material")
COLUMN_LABELS = {
    **STAGE_LABELS,
    "intermediate": "mixed RE",
    "functional_material": "magnets etc.",
    "end_of_life": "scrap",
}
SINK_COLOURS = {"losses": LOSS_RED, "disposed": GREY, "stock": "#7f7f7f"}
IMPORTER_SHIFT = 0.3  # of the gap between two columns
SINK_SHIFT = 0.65
NODE_PAD = 10  # pixels between nodes of a column
MAX_GAP = 0.15  # of the height, between the nodes of a sparse column


def material_flow_figure(folder: ResultsFolder, period: int | None = None, max_regions: int = 7) -> go.Figure:
    """The Sankey diagram of ``period`` (default: the last), in t REO per year."""
    period = folder.pick_period(period)
    title = f"{TITLE}, {period} (t REO per year)"
    links = material_flow_links(folder, period) if period is not None else pd.DataFrame()
    if links.empty:
        return empty(title, "No material flows in this results folder.")
    throughput = region_throughput(links)
    kept = list(throughput.index[:max_regions]) if len(throughput) > max_regions + 1 else list(throughput.index)
    by_stage = folder.chain is not None
    shown = _sinks_per_stage(lump_regions(links, kept)) if by_stage else lump_regions(links, kept)
    nodes = _nodes(shown, kept)
    index = {key: i for i, key in enumerate(zip(nodes["region"], nodes["stage"], strict=True))}
    colours = {**colour_map(kept), OTHER_REGIONS: GREY}
    sankey = go.Sankey(
        arrangement="snap" if by_stage else "perpendicular",
        valueformat=",.0f",
        valuesuffix=" t REO/yr",
        node={
            "label": nodes["label"].tolist(),
            "customdata": nodes["hover"].tolist(),
            "hovertemplate": "%{customdata}: %{value}<extra></extra>",
            "color": [
                _colour(region, stage, colours) for region, stage in zip(nodes["region"], nodes["stage"], strict=True)
            ],
            "pad": NODE_PAD,
            "thickness": 14,
            "line": {"width": 0},
            **({"x": nodes["x"].tolist(), "y": [0.5] * len(nodes)} if by_stage else {}),
        },
        link={
            "source": [index[key] for key in zip(shown["source_region"], shown["source_stage"], strict=True)],
            "target": [index[key] for key in zip(shown["target_region"], shown["target_stage"], strict=True)],
            "value": shown["tonnes"].tolist(),
            "color": [
                transparent(_colour(region, stage, colours), 0.6 if kind == "trade" else 0.35)
                for region, stage, kind in zip(
                    shown["source_region"], shown["target_stage"], shown["kind"], strict=True
                )
            ],
            "customdata": shown["kind"].str.replace("_", " ").tolist(),
            "hovertemplate": "%{source.customdata} → %{target.customdata}<br>%{value} (%{customdata})<extra></extra>",
        },
    )
    figure = go.Figure(sankey)
    height = int(np.clip(nodes.groupby("band").size().max() * 55 + 220, 420, 1000))
    figure = finish(figure, title, _reading(folder, links, period, kept), height)
    figure.update_layout(margin={"l": 20, "r": 20, "b": 20})
    if by_stage:
        margin = figure.layout.margin
        figure.update_traces(node_y=_stacked(nodes, shown, NODE_PAD / (height - margin.t - margin.b)).tolist())
        for label, x in _column_headers(nodes).items():
            figure.add_annotation(
                text=f"<b>{label}</b>", x=x, y=1.0, xref="paper", yref="paper", yanchor="bottom", showarrow=False
            )
    return figure


def _sinks_per_stage(links: pd.DataFrame) -> pd.DataFrame:
    """Losses, disposal and stock of each stage as their own nodes (``losses:oxide``), drawn below the
    next column, so that the many small loss links do not cross the whole diagram."""
    links = links.copy()
    into_sink = links["target_region"].eq("") & links["target_stage"].isin(SINKS)
    links.loc[into_sink, "target_stage"] = links["target_stage"] + ":" + links["source_stage"]
    from_sink = links["source_region"].eq("") & links["source_stage"].isin(SINKS)
    links.loc[from_sink, "source_stage"] = links["source_stage"] + ":" + links["target_stage"]
    return links


def _colour(region: str, stage: str, colours: dict[str, str]) -> str:
    sink = stage.split(":")[0]
    return SINK_COLOURS[sink] if region == "" and sink in SINK_COLOURS else colours.get(region, GREY)


def _nodes(links: pd.DataFrame, regions: list[str]) -> pd.DataFrame:
    """One row per node: region, stage, size (t), sink, label, hover text, x in [0, 1], and band (the stage
    column it belongs to, with its importers and sinks). The vertical position waits for the plot's
    height (``_stacked``)."""
    inflow = links.groupby(["target_region", "target_stage"])["tonnes"].sum().rename_axis(["region", "stage"])
    outflow = links.groupby(["source_region", "source_stage"])["tonnes"].sum().rename_axis(["region", "stage"])
    size = pd.concat([inflow, outflow], axis=1).fillna(0.0).max(axis=1)
    nodes = size.rename("size").reset_index()
    sink, _, sink_stage = nodes["stage"].str.partition(":").T.to_numpy()
    nodes["sink"] = np.where(nodes["region"] == "", sink, "")
    # A stage's sinks (losses, disposal, stock) stand at the bottom, between its column and the next.
    present = [stage for stage in COLUMNS if stage in set(nodes["stage"]) | set(sink_stage)]
    columns = {stage: i for i, stage in enumerate(present)}
    last = len(present)  # final demand
    column = nodes["stage"].map(columns)
    column = column.fillna(pd.Series(sink_stage, index=nodes.index).map(columns) + SINK_SHIFT).fillna(last)
    gap = 1.0 / max(last, 1)
    trade = links[links["kind"] == "trade"]
    imports = trade.groupby(["target_region", "target_stage"])["tonnes"].sum()
    exports = trade.groupby(["source_region", "source_stage"])["tonnes"].sum()
    key = pd.MultiIndex.from_frame(nodes[["region", "stage"]])
    importer = imports.reindex(key, fill_value=0.0).to_numpy() > exports.reindex(key, fill_value=0.0).to_numpy()
    nodes["x"] = np.clip((column.clip(upper=last) + np.where(importer, IMPORTER_SHIFT, 0.0)) * gap, 0.001, 0.999)
    region_rank = {region: i for i, region in enumerate([*regions, OTHER_REGIONS])}
    nodes["rank"] = nodes["region"].map(region_rank).fillna(len(region_rank)) + (nodes["sink"] != "") * 100
    nodes["band"] = np.floor(column.clip(upper=last)).astype(int)
    return (
        nodes.sort_values(["x", "rank", "stage"])
        .reset_index(drop=True)
        .assign(
            label=lambda f: [_label(region, stage) for region, stage in zip(f["region"], f["stage"], strict=True)],
            hover=lambda f: [_hover(region, stage) for region, stage in zip(f["region"], f["stage"], strict=True)],
        )
    )


def _stacked(nodes: pd.DataFrame, links: pd.DataFrame, pad: float) -> pd.Series:
    """Vertical centres (0 = top) of the nodes: regions spread down their column in rank order, a column
    of sinks stacks at the bottom.

    Plotly draws a node ``scale × size`` high whatever position it is given, with the scale of d3-sankey:
    the fullest of its columns (nodes grouped by longest path from a source, sinks in the last one) fills
    the height. The stacking uses the same scale, so that nodes land where they are put.
    """
    depth = _depth(nodes, links)
    count = depth.map(depth.value_counts())
    scale = ((1.0 - pad * (count - 1)) / nodes["size"].groupby(depth).transform("sum")).min()
    column = nodes["x"]
    count = column.map(column.value_counts())
    height = nodes["size"] * scale
    position = nodes.groupby(column).cumcount()
    before = height.groupby(column).cumsum() - height
    after = height.groupby(column).transform("sum") - before - height
    # Regions spread over the column's height (largest on top); a column of sinks sits at the bottom.
    gap = ((1.0 - height.groupby(column).transform("sum")) / count).clip(pad, MAX_GAP)
    spread = gap / 2 + before + gap * position + height / 2
    bottom_up = 1.0 - (after + pad * (count - 1 - position) + height / 2)
    sinks_only = (nodes["sink"] != "").groupby(column).transform("all")
    return pd.Series(np.clip(np.where(sinks_only, bottom_up, spread), 0.001, 0.999), index=nodes.index)


def _depth(nodes: pd.DataFrame, links: pd.DataFrame) -> pd.Series:
    """d3-sankey's column of each node: its longest path from a source; nodes without outflow last."""
    index = {key: i for i, key in enumerate(zip(nodes["region"], nodes["stage"], strict=True))}
    source = np.array([index[key] for key in zip(links["source_region"], links["source_stage"], strict=True)])
    target = np.array([index[key] for key in zip(links["target_region"], links["target_stage"], strict=True)])
    depth = np.zeros(len(nodes), dtype=int)
    for _ in range(len(nodes)):  # relaxation; a cycle stops at the bound
        longer = np.zeros(len(nodes), dtype=int)
        np.maximum.at(longer, target, depth[source] + 1)
        if (longer <= depth).all():
            break
        depth = np.maximum(depth, longer)
    sinks = ~np.isin(np.arange(len(nodes)), source)
    depth[sinks] = depth.max()
    return pd.Series(depth, index=nodes.index)


def _label(region: str, stage: str) -> str:
    if stage == DEMAND:
        return region  # under the "final demand" header
    return stage.split(":")[0] if region == "" else region


def _hover(region: str, stage: str) -> str:
    sink, _, of_stage = stage.partition(":")
    if region == "" and of_stage:
        return f"{COLUMN_LABELS.get(of_stage, of_stage)} {sink}"
    return f"{region} {'final demand' if stage == DEMAND else COLUMN_LABELS.get(stage, stage)}".strip()


def _column_headers(nodes: pd.DataFrame) -> dict[str, float]:
    headers = nodes[nodes["stage"].isin(COLUMNS)].groupby("stage")["x"].min()
    labels = {COLUMN_LABELS[stage]: float(x) for stage, x in headers.items()}
    demand = nodes.loc[nodes["stage"] == DEMAND, "x"]
    if not demand.empty:
        labels["final demand"] = float(demand.min())
    return labels


def _reading(folder: ResultsFolder, links: pd.DataFrame, period: int, kept: list[str]) -> str:
    """Who dominates the most concentrated processing stage that several regions share, and how much
    crosses borders."""
    processed = set(links.loc[links["kind"] == "processing", "target_stage"])
    mfa = folder.in_period("mfa", period)
    made = mfa[mfa["stage"].isin(processed)].groupby(["stage", "region"])["production"].sum()
    made = made[made > 0]
    shared = made.groupby(level=0).transform("size") > 1
    made = made[shared] if shared.any() else made
    traded = links.loc[links["kind"] == "trade", "tonnes"].sum()
    parts = []
    if not made.empty:
        shares = made / made.groupby(level=0).transform("sum")
        stage, region = shares.idxmax()
        parts.append(
            f"In {period}, {region} produces {percent(shares.max())} of all "
            f"{STAGE_LABELS.get(stage, stage)} ({tonnes(made.loc[(stage, region)], 't REO/yr')})"
        )
    else:
        parts.append(f"In {period}, no stages could be told apart (instance folder not found): flows by commodity")
    parts.append(f"{tonnes(traded, 't REO/yr')} cross borders" if traded > 0 else "nothing is traded")
    merged = len(set(links["source_region"]) - set(kept) - {""})
    note = f" ({merged} smaller regions merged)" if merged else ""
    return "; ".join(parts) + note + "."
