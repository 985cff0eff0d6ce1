"""The report as one self-contained HTML page: plotly.js embedded once, no network needed to open it.

Layout: a header with a table of contents; with several results folders, the comparison first (a table
of the headline numbers with the differences to the first folder highlighted, then the comparison
figures); then one section per folder, in the order given: for a results folder its summary, its
diagnosis when it was not solved, its figures, and its backcast table when ``reeopt backcast`` wrote it;
for an analysis folder (sweep, sensitivity, alternatives, chokepoints, hedge, routes) what the analysis
does, its facts, its figures and its tables.

>>> import tempfile, optimizer
>>> from optimizer.report.folder import read_results
>>> scratch = tempfile.TemporaryDirectory()
>>> folder = read_results(optimizer.write(optimizer.solve("toy"), f"{scratch.name}/toy"))
>>> page = render_page([folder])
>>> page.count('class="plotly-graph-div"'), page.count("<script src"), page.count("* plotly.js v")
(9, 0, 1)
"""

from __future__ import annotations

import html
import math
from datetime import UTC, datetime

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
import plotly.offline

from optimizer.report.analyses import AnalysisFolder
from optimizer.report.comparison import comparison_table, relative_differences, scenario_names
from optimizer.report.contents import (
    ABOUT,
    analysis_facts,
    analysis_figures,
    analysis_tables,
    comparison_figures,
    folder_figures,
    folder_tables,
)
from optimizer.report.folder import ResultsFolder
from optimizer.report.style import FONT, money, tonnes

PLOTLY_CONFIG = {"displaylogo": False, "responsive": True, "modeBarButtonsToRemove": ["lasso2d", "select2d"]}
STYLE = f"""
body {{ font-family: {FONT}; margin: 0; color: #222; background: #f4f5f7; }}
header, main > section {{ max-width: 1400px; margin: 0 auto; padding: 0 24px; }}
header {{ padding-top: 20px; }}
h1 {{ font-size: 26px; margin: 0 0 4px; }}
h2 {{ font-size: 21px; margin: 32px 0 10px; border-bottom: 2px solid #ccd; padding-bottom: 4px; }}
nav a {{ margin-right: 14px; }}
.muted {{ color: #666; font-size: 13px; }}
figure.chart {{ background: #fff; margin: 14px 0; padding: 6px; border-radius: 6px;
  box-shadow: 0 1px 3px rgba(0,0,0,.12); }}
table.facts, table.comparison {{ border-collapse: collapse; background: #fff; font-size: 14px; margin: 8px 0; }}
table.facts th, table.facts td, table.comparison th, table.comparison td {{
  padding: 5px 12px; border-bottom: 1px solid #e3e3e8; text-align: right; }}
table.facts th, table.comparison th {{ text-align: left; font-weight: 600; }}
table.comparison td.changed {{ background: #fff6d6; }}
.diff {{ font-size: 12px; margin-left: 6px; }} .up {{ color: #b03a2e; }} .down {{ color: #1f618d; }}
.status {{ display: inline-block; padding: 1px 8px; border-radius: 10px; color: #fff; background: #2e7d32; }}
.status.bad {{ background: #b03a2e; }} .status.warn {{ background: #b9770e; }}
pre.diagnosis {{ background: #fff; border-left: 4px solid #b03a2e; padding: 12px 16px; white-space: pre-wrap;
  font-size: 14px; }}
ul.warnings {{ color: #8a5a00; font-size: 14px; }}
p.about {{ max-width: 900px; }}
table.facts.text td {{ text-align: left; }}
h3 {{ font-size: 16px; margin: 22px 0 6px; }}
table.listing {{ border-collapse: collapse; background: #fff; font-size: 13px; margin: 8px 0 20px; }}
table.listing th, table.listing td {{ padding: 4px 12px; border-bottom: 1px solid #e3e3e8; text-align: left;
  vertical-align: top; }}
table.listing th {{ font-weight: 600; background: #eef0f4; }}
"""


def render_page(folders: list[ResultsFolder | AnalysisFolder], period: int | None = None) -> str:
    """The whole HTML page for ``folders`` (the first results folder is the reference of any comparison)."""
    results = [folder for folder in folders if isinstance(folder, ResultsFolder)]
    names = iter(scenario_names(results)) if results else iter(())
    ids = [f"folder-{i + 1}" for i in range(len(folders))]
    sections, toc = [], []
    if len(results) > 1:
        sections.append(_comparison_section(results, period))
        toc.append(("comparison", "Comparison"))
    for folder, section_id in zip(folders, ids, strict=True):
        if isinstance(folder, ResultsFolder):
            name = next(names)
            sections.append(_folder_section(folder, name, section_id, period))
        else:
            name = folder.label
            sections.append(_analysis_section(folder, section_id))
        toc.append((section_id, name))
    title = "reeopt report: " + ", ".join(folder.label for folder in folders[:4]) + ("…" if len(folders) > 4 else "")
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{html.escape(title)}</title>",
            f"<style>{STYLE}</style>",
            f'<script type="text/javascript">{plotly.offline.get_plotlyjs()}</script>',
            "</head><body>",
            "<header>",
            f"<h1>{html.escape(title)}</h1>",
            f'<p class="muted">Generated {generated} from {len(folders)} folder(s). Units: t REO for '
            "rare-earth material, money in the instance's currency (period's own money for marginal values and "
            "yearly accounts, discounted over the horizon for the objective and its cost categories).</p>",
            "<nav>" + "".join(f'<a href="#{key}">{html.escape(label)}</a>' for key, label in toc) + "</nav>",
            "</header><main>",
            *sections,
            "</main></body></html>",
        ]
    )


def _folder_section(folder: ResultsFolder, name: str, section_id: str, period: int | None) -> str:
    parts = [f'<section id="{section_id}">', f"<h2>{html.escape(folder.label)}</h2>", _facts(folder)]
    warnings = folder.summary.get("warnings") or []
    if warnings:
        parts.append('<ul class="warnings">' + "".join(f"<li>{html.escape(str(w))}</li>" for w in warnings) + "</ul>")
    if not folder.solved:
        diagnosis = folder.diagnosis or _diagnosis_from_summary(folder)
        parts.append(f"<p>This run has no solution ({html.escape(folder.status)}): the diagnosis follows.</p>")
        parts.append(f'<pre class="diagnosis">{html.escape(diagnosis)}</pre>')
    for key, figure in folder_figures(folder, period).items():
        parts.append(_chart(figure, f"{section_id}-{key}"))
    for caption, table in folder_tables(folder).items():
        parts.append(f"<h3>{html.escape(caption)}</h3>{_listing(table)}")
    parts.append("</section>")
    return "\n".join(parts)


def _analysis_section(folder: AnalysisFolder, section_id: str) -> str:
    parts = [
        f'<section id="{section_id}">',
        f"<h2>{html.escape(folder.label)}</h2>",
        f'<p class="about">{html.escape(ABOUT[folder.kind])}</p>',
        '<table class="facts text">'
        + "".join(
            f"<tr><th>{html.escape(label)}</th><td>{html.escape(text)}</td></tr>"
            for label, text in analysis_facts(folder)
        )
        + "</table>",
    ]
    for key, figure in analysis_figures(folder).items():
        parts.append(_chart(figure, f"{section_id}-{key}"))
    for caption, table in analysis_tables(folder).items():
        parts.append(f"<h3>{html.escape(caption)}</h3>{_listing(table)}")
    parts.append("</section>")
    return "\n".join(parts)


def _listing(table: pd.DataFrame) -> str:
    """A table of text as HTML, every cell escaped."""
    header = "".join(f"<th>{html.escape(str(column))}</th>" for column in table.columns)
    rows = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(value))}</td>" for value in row) + "</tr>"
        for row in table.itertuples(index=False)
    )
    return f'<table class="listing"><tr>{header}</tr>{rows}</table>'


def _facts(folder: ResultsFolder) -> str:
    summary = folder.summary
    currency = folder.currency
    status = folder.status
    badge = "" if status == "optimal" else (" bad" if status in ("infeasible", "unbounded", "error") else " warn")
    periods = folder.periods
    rows = [
        ("status", f'<span class="status{badge}">{html.escape(status)}</span>'),
        ("results folder", html.escape(str(folder.path))),
        ("periods", f"{periods[0]}–{periods[-1]} ({len(periods)})" if periods else "—"),
        (
            f"objective ({summary.get('objective_kind', 'cost')})",
            html.escape(money(summary.get("objective"), currency)),
        ),
        (
            "unmet demand over the horizon",
            tonnes(summary["unmet_demand"], "t REO") if summary.get("unmet_demand") is not None else "—",
        ),
        (
            "problem size",
            f"{summary.get('n_variables', '—'):,} variables, {summary.get('n_constraints', '—'):,} constraints"
            if isinstance(summary.get("n_variables"), int)
            else "—",
        ),
        (
            "solver",
            html.escape(
                f"{(summary.get('solver') or {}).get('name', '?')} {(summary.get('solver') or {}).get('version', '')}"
                f", duals: {summary.get('duals') or '—'}"
            ),
        ),
    ]
    cells = "".join(f"<tr><th>{label}</th><td>{value}</td></tr>" for label, value in rows)
    return f'<table class="facts">{cells}</table>'


def _diagnosis_from_summary(folder: ResultsFolder) -> str:
    diagnosis = folder.summary.get("diagnosis")
    if not diagnosis:
        return f"No diagnosis.txt in {folder.path}, and summary.json records none."
    lines = [f"status: {diagnosis.get('status', folder.status)}"]
    lines += [
        f"  {s['commodity']} in {s['region']}, {s['period']}: {s['shortfall']:.4g} t short"
        for s in diagnosis.get("shortfalls", [])
    ]
    lines += [f"  {b['limit']}" for b in diagnosis.get("binding", [])]
    return "\n".join(lines)


def _comparison_section(folders: list[ResultsFolder], period: int | None) -> str:
    table = comparison_table(folders, period)
    parts = [
        '<section id="comparison">',
        "<h2>Comparison of scenarios</h2>",
        f'<p class="muted">Differences are against the first folder, {html.escape(table.columns[0])}; '
        "changed cells are highlighted.</p>",
        _comparison_html(table, folders[0].currency),
    ]
    for key, figure in comparison_figures(folders, period).items():
        parts.append(_chart(figure, f"comparison-{key}"))
    parts.append("</section>")
    return "\n".join(parts)


def _comparison_html(table: pd.DataFrame, currency: str) -> str:
    differences = relative_differences(table)
    header = "<tr><th></th>" + "".join(f"<th>{html.escape(str(c))}</th>" for c in table.columns) + "</tr>"
    rows = []
    for measure, values in table.iterrows():
        cells = []
        for column, value in values.items():
            change = differences.loc[measure, column]
            changed = column != table.columns[0] and _changed(value, values.iloc[0], change)
            text = html.escape(_format(value, str(measure), currency))
            if changed and not isinstance(value, str):
                text += _difference(value, values.iloc[0], change, str(measure), currency)
            cells.append(f'<td class="changed">{text}</td>' if changed else f"<td>{text}</td>")
        rows.append(f"<tr><th>{html.escape(str(measure))}</th>{''.join(cells)}</tr>")
    return f'<table class="comparison">{header}{"".join(rows)}</table>'


def _changed(value, reference, change: float) -> bool:
    """Whether a cell differs from the reference enough to highlight (0.05%, or any change from ~zero)."""
    if isinstance(value, str) or isinstance(reference, str) or value is None or reference is None:
        return value != reference
    if pd.isna(value) or pd.isna(reference):
        return pd.isna(value) != pd.isna(reference)
    if pd.isna(change):
        return abs(float(value) - float(reference)) > 1e-6 * max(abs(float(value)), abs(float(reference)), 1.0)
    return abs(change) >= 0.0005


def _difference(value, reference, change: float, measure: str, currency: str) -> str:
    """The change against the reference: a percentage, or the absolute difference where a percentage
    says nothing (a reference of zero, or a change beyond ±1000%)."""
    if pd.isna(value) or pd.isna(reference):
        return ""
    delta = float(value) - float(reference)
    direction = "up" if delta > 0 else "down"
    if pd.isna(change) or abs(change) > 10:
        text = ("+" if delta > 0 else "") + _format(delta, measure, currency)
    else:
        text = f"{'+' if change > 0 else '−'}{abs(change) * 100:.1f}%"
    return f'<span class="diff {direction}">{html.escape(text)}</span>'


def _format(value, measure: str, currency: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, str):
        return value
    if measure.startswith("unmet"):
        return tonnes(float(value), "t")
    if "/t" in measure:
        return f"{value:,.0f}"
    return money(float(value), currency)


def _chart(figure: go.Figure, element_id: str) -> str:
    """A figure as a ``<figure>`` holding plotly's div and script, without plotly.js (in the page's head)."""
    height = int(figure.layout.height or 450)
    body = pio.to_html(
        figure,
        full_html=False,
        include_plotlyjs=False,
        div_id=element_id,
        config=PLOTLY_CONFIG,
        default_height=f"{height}px",
        default_width="100%",
    )
    reading = html.escape((figure.layout.meta or {}).get("reading", ""))
    return f'<figure class="chart" data-reading="{reading}">{body}</figure>'
