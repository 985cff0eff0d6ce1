"""What the report shows, in the order it shows it: the figures of one folder, of a comparison, and of
an analysis folder (sweep, sensitivity, alternatives, chokepoints) with its facts and tables.

>>> import tempfile, optimizer
>>> from optimizer.report.folder import read_results
>>> scratch = tempfile.TemporaryDirectory()
>>> folder = read_results(optimizer.write(optimizer.solve("toy"), f"{scratch.name}/toy"))
>>> list(folder_figures(folder))
['material_flow', 'sourcing', 'costs', 'mfca', 'value_added', 'marginal_values', 'marginal_values_over_time', \
'capacity_duals', 'builds']
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import plotly.graph_objects as go

from optimizer.report.alternatives import alternatives_facts, alternatives_figures
from optimizer.report.analyses import AnalysisFolder
from optimizer.report.backcast import backcast_figure, backcast_tables
from optimizer.report.chokepoints import chokepoints_facts, chokepoints_figure, chokepoints_tables
from optimizer.report.comparison import (
    scenario_builds_figure,
    scenario_costs_figure,
    scenario_marginal_values_figure,
    scenario_unmet_figure,
)
from optimizer.report.figures import costs_figure, mfca_figure, sourcing_figure, value_added_figure
from optimizer.report.folder import ResultsFolder
from optimizer.report.hedge import hedge_facts, hedge_figures, hedge_tables
from optimizer.report.marginal import (
    builds_figure,
    capacity_duals_figure,
    marginal_value_lines_figure,
    marginal_value_map_figure,
    quota_rents_figure,
)
from optimizer.report.routes import routes_facts, routes_figure, routes_tables
from optimizer.report.sankey import material_flow_figure
from optimizer.report.sensitivity import sensitivity_facts, sensitivity_figures
from optimizer.report.sweep import sweep_facts, sweep_figures, sweep_tables

# Extension point for a new kind of analysis folder (hedge, backcast, ...): its marker, title and tables in
# ``analyses`` (MARKERS, KIND_TITLES, KIND_TABLES, KIND_SUMMARY), one sentence in ABOUT below, and its
# figures, facts and tables functions in the dictionaries of analysis_figures, analysis_facts and
# analysis_tables. Nothing else of the page needs to change.
# What each analysis is, in one sentence, above its figures.
ABOUT = {
    "sweep": "Many solves with the uncertain inputs drawn at random (the instance's uncertainty spec): how "
    "widely costs, marginal values and sourcing spread, how often each region builds, and which inputs move "
    "the cost. Quantiles are over the samples with an optimal solution.",
    "sensitivity": "Which uncertain inputs matter, for the objective and each chosen output, from a designed set "
    "of solves (SALib).",
    "alternatives": "Portfolios that cost at most the slack more than the optimum, as different as can be in "
    "where each main region's rare earths come from: how much freedom the optimum hides.",
    "chokepoints": "Every mine, plant, trade link and region's processing that carries flow in the optimum, cut "
    "in turn and the model re-solved: what losing it would cost.",
    "hedge": "Builds decided before the future is known (a two-stage stochastic programme): one plan of early "
    "builds for every scenario, recourse builds and operation per scenario. The hedged plan against each "
    "scenario's own, each plan committed to in every scenario, the value of knowing (EVPI = RP - WS) and of "
    "hedging (VSS = EEV - RP).",
    "routes": "The supply routes that feed a commodity into a region, cheapest first, each a chain of mines, "
    "plants and links carrying part of the flow; with regions avoided, the routes once they are cut out.",
}


def folder_figures(folder: ResultsFolder, period: int | None = None) -> dict[str, go.Figure]:
    """The figures of one results folder, by name; none for a folder without a solution. A folder
    ``reeopt backcast`` wrote has its backcast too."""
    if not folder.solved:
        return {}
    period = folder.pick_period(period)
    backcast = {} if folder.table("backcast").empty else {"backcast": backcast_figure(folder)}
    quotas = folder.table("quotas")
    rents = {} if quotas.empty or not (quotas["rent"] > 0).any() else {"quota_rents": quota_rents_figure(folder)}
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
        **rents,
        **backcast,
    }


def folder_tables(folder: ResultsFolder) -> dict[str, pd.DataFrame]:
    """Tables the page shows below a results folder's figures, by caption (its backcast)."""
    return backcast_tables(folder)


def comparison_figures(folders: list[ResultsFolder], period: int | None = None) -> dict[str, go.Figure]:
    """The figures comparing several results folders with the first, by name."""
    return {
        "scenario_costs": scenario_costs_figure(folders),
        "scenario_unmet_demand": scenario_unmet_figure(folders),
        "scenario_marginal_values": scenario_marginal_values_figure(folders, period),
        "scenario_builds": scenario_builds_figure(folders),
    }


def analysis_figures(folder: AnalysisFolder) -> dict[str, go.Figure]:
    """The figures of an analysis folder, by name."""
    figures: dict[str, Callable[[AnalysisFolder], dict[str, go.Figure]]] = {
        "sweep": sweep_figures,
        "sensitivity": sensitivity_figures,
        "alternatives": alternatives_figures,
        "chokepoints": lambda chosen: {"chokepoints": chokepoints_figure(chosen)},
        "hedge": hedge_figures,
        "routes": lambda chosen: {"routes": routes_figure(chosen)},
    }
    return figures[folder.kind](folder)


def analysis_facts(folder: AnalysisFolder) -> list[tuple[str, str]]:
    """(label, text) rows of the analysis's facts table."""
    facts = {
        "sweep": sweep_facts,
        "sensitivity": sensitivity_facts,
        "alternatives": alternatives_facts,
        "chokepoints": chokepoints_facts,
        "hedge": hedge_facts,
        "routes": routes_facts,
    }
    return [("folder", str(folder.path)), *facts[folder.kind](folder)]


def analysis_tables(folder: AnalysisFolder) -> dict[str, pd.DataFrame]:
    """Tables the page shows below the figures, by caption (a sweep's failures, the min cuts)."""
    tables = {"sweep": sweep_tables, "chokepoints": chokepoints_tables, "hedge": hedge_tables, "routes": routes_tables}
    return tables[folder.kind](folder) if folder.kind in tables else {}
