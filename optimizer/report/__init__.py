"""A self-contained HTML report of one or more results folders (``reeopt report``), and of the folders
of the analyses beyond one run: sweep, sensitivity, alternatives, chokepoints, mixed in any order.

The report reads only those folders (summary.json, the CSV and Parquet tables, diagnosis.txt) with
pandas, and, for the stages of commodities, the instance's ``commodities.csv`` and ``process_io.csv``
when the instance folder named in summary.json can be found. It knows nothing of the model or the
solver. What a folder is, it tells by the files it holds (``analyses.folder_kind``).

Modules: ``folder`` (reading a results folder), ``analyses`` (telling an analysis folder by its files,
and reading it), ``chain`` (stages of commodities and processes), ``flows`` (the links of the
material-flow diagram), ``sankey``, ``figures`` (sourcing, costs, MFCA, value added), ``marginal``
(marginal values, capacity duals, builds, quota rents), ``comparison`` (several folders), ``sweep``,
``sensitivity``, ``alternatives`` and ``chokepoints`` (the analyses' figures), ``contents`` (which
figures, in which order), ``page`` (the HTML), ``style`` (look and number wording).

>>> import tempfile, optimizer
>>> from pathlib import Path
>>> scratch = tempfile.TemporaryDirectory()
>>> results_dir = optimizer.write(optimizer.solve("toy"), Path(scratch.name) / "toy")
>>> figures = figures_for(results_dir)
>>> figures["sourcing"].layout.meta["reading"][:40]
"EAST's deliveries come 100% from importe"
>>> write_report([results_dir], Path(scratch.name) / "report.html").stat().st_size > 4_000_000  # plotly.js inside
True
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import plotly.graph_objects as go

from optimizer.report.analyses import AnalysisFolder, folder_kind, read_analysis, read_folder
from optimizer.report.contents import analysis_figures, folder_figures
from optimizer.report.folder import ResultsFolder, read_results
from optimizer.report.page import render_page

__all__ = [
    "AnalysisFolder",
    "ResultsFolder",
    "figures_for",
    "folder_kind",
    "read_analysis",
    "read_folder",
    "read_results",
    "write_report",
]


def figures_for(folder: str | Path, period: int | None = None) -> dict[str, go.Figure]:
    """The report's figures of one folder — results, sweep, sensitivity, alternatives or chokepoints —
    by name (none for a results folder whose run has no solution).

    ``period`` picks the period of a results folder's per-period figures (default: the last).
    """
    read = read_folder(folder)
    return folder_figures(read, period) if isinstance(read, ResultsFolder) else analysis_figures(read)


def write_report(results_dirs: list[Path], out: Path, period: int | None = None) -> Path:
    """Write the HTML report of ``results_dirs`` to ``out``: results folders and analysis folders in any
    mix, each with its section in the order given (the first results folder is the reference of a
    comparison of several).

    Raises :class:`~optimizer.errors.InputError` when a folder is none of these or has no such period.
    The file is written beside ``out`` and renamed into place, so a reader never sees half of it.
    """
    if not results_dirs:
        raise ValueError("write_report needs at least one results folder")
    folders = [read_folder(path) for path in results_dirs]
    page = render_page(folders, period)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    handle, staging = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
    with os.fdopen(handle, "w", encoding="utf-8") as file:
        file.write(page)
    os.chmod(staging, 0o644)  # mkstemp makes it private; a report is for sharing
    os.replace(staging, out)
    return out
