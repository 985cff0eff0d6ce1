"""What the report shows, in the order it shows it: the figures of one folder, and of a comparison.

>>> import tempfile, optimizer
>>> from optimizer.report.folder import read_results
>>> scratch = tempfile.TemporaryDirectory()
>>> folder = read_results(optimizer.write(optimizer.solve("toy"), f"{scratch.name}/toy"))
>>> list(folder_figures(folder))
['material_flow', 'sourcing', 'costs', 'mfca', 'value_added', 'marginal_values', 'marginal_values_over_time', \
'capacity_duals', 'builds']
"""

from __future__ import annotations

import plotly.graph_objects as go

from optimizer.report.comparison import scenario_costs_figure, scenario_marginal_values_figure, scenario_unmet_figure
from optimizer.report.figures import costs_figure, mfca_figure, sourcing_figure, value_added_figure
from optimizer.report.folder import ResultsFolder
from optimizer.report.marginal import (
    builds_figure,
    capacity_duals_figure,
    marginal_value_lines_figure,
    marginal_value_map_figure,
)
from optimizer.report.sankey import material_flow_figure


def folder_figures(folder: ResultsFolder, period: int | None = None) -> dict[str, go.Figure]:
    """The figures of one results folder, by name; none for a folder without a solution."""
    if not folder.solved:
        return {}
    period = folder.pick_period(period)
    return {
        "material_flow": material_flow_figure(folder, period),
        "sourcing": sourcing_figure(folder, period),
        "costs": costs_figure(folder),
        "mfca": mfca_figure(folder, period),
        "value_added": value_added_figure(folder, period),
        "marginal_values": marginal_value_map_figure(folder, period),
        "marginal_values_over_time": marginal_value_lines_figure(folder),
        "capacity_duals": capacity_duals_figure(folder, period),
        "builds": builds_figure(folder),
    }


def comparison_figures(folders: list[ResultsFolder], period: int | None = None) -> dict[str, go.Figure]:
    """The figures comparing several results folders with the first, by name."""
    return {
        "scenario_costs": scenario_costs_figure(folders),
        "scenario_unmet_demand": scenario_unmet_figure(folders),
        "scenario_marginal_values": scenario_marginal_values_figure(folders, period),
    }
