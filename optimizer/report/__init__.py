"""A self-contained HTML report of one or more results folders (``reeopt report``).

The report reads only the results folders (summary.json, the CSV tables, diagnosis.txt) with pandas,
and, for the stages of commodities, the instance's ``commodities.csv`` and ``process_io.csv`` when the
instance folder named in summary.json can be found. It knows nothing of the model or the solver.

Modules: ``folder`` (reading a results folder), ``chain`` (stages of commodities and processes),
``flows`` (the links of the material-flow diagram), ``sankey``, ``figures`` (sourcing, costs, MFCA,
value added), ``marginal`` (marginal values, capacity duals, builds), ``comparison`` (several folders),
``contents`` (which figures, in which order), ``page`` (the HTML), ``style`` (look and number wording).

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

from optimizer.report.contents import folder_figures
from optimizer.report.folder import ResultsFolder, read_results
from optimizer.report.page import render_page

__all__ = ["ResultsFolder", "figures_for", "read_results", "write_report"]


def figures_for(results_dir: str | Path, period: int | None = None) -> dict[str, go.Figure]:
    """The report's figures of one results folder, by name (none when the run has no solution).

    ``period`` picks the period of the per-period figures (default: the last).
    """
    return folder_figures(read_results(results_dir), period)


def write_report(results_dirs: list[Path], out: Path, period: int | None = None) -> Path:
    """Write the HTML report of ``results_dirs`` (the first is the reference of a comparison) to ``out``.

    Raises :class:`~optimizer.errors.InputError` when a folder is not a results folder or has no such
    period. The file is written beside ``out`` and renamed into place, so a reader never sees half of it.
    """
    if not results_dirs:
        raise ValueError("write_report needs at least one results folder")
    folders = [read_results(path) for path in results_dirs]
    page = render_page(folders, period)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    handle, staging = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
    with os.fdopen(handle, "w", encoding="utf-8") as file:
        file.write(page)
    os.chmod(staging, 0o644)  # mkstemp makes it private; a report is for sharing
    os.replace(staging, out)
    return out
