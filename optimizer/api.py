"""The Python API: everything the command line does, in a few calls.

>>> import optimizer as reeopt
>>> solution = reeopt.solve("toy")
>>> solution.status, round(solution.objective)
('optimal', 237850)
>>> solution["balance"].set_index(["region", "commodity"]).loc[("EAST", "Dy2O3"), "marginal_value"]
np.float64(3328.0)
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from optimizer.analysis.compare import comparison_table
from optimizer.analysis.routes import ROUTE_COLUMNS, supply_routes
from optimizer.errors import InputError
from optimizer.instance import Instance, load_instance
from optimizer.output.results import default_out, write_solution
from optimizer.scenario import apply_scenario
from optimizer.solution import Solution
from optimizer.study import Progress, Study


def load(instance: str | Path | Instance, scenario: str | Path | None = None) -> Instance:
    """An instance (folder path, name under ``instances/``, or an already loaded one) with a scenario."""
    if not isinstance(instance, Instance):
        instance = load_instance(instance)
    return apply_scenario(instance, scenario) if scenario is not None else instance


def solve(
    instance: str | Path | Instance,
    scenario: str | Path | None = None,
    *,
    objective: str | None = None,
    time_limit: float | None = None,
    mip_gap: float | None = None,
    export_model: str | Path | None = None,
    progress: Progress | None = None,
) -> Solution:
    """Load, check, build, solve: a :class:`~optimizer.solution.Solution` whatever the status.

    A solution that is not optimal carries ``solution.diagnosis`` (infeasible, unbounded) and no
    tables, except after a time limit with a feasible point, which is reported and marked. To solve
    many scenarios of one instance, :class:`~optimizer.study.Study` re-uses the model between them.
    """
    study = Study(instance, objective=objective, time_limit=time_limit, mip_gap=mip_gap)
    return study.solve(scenario, export_model=export_model, progress=progress)


def compare(
    instance: str | Path | Instance,
    scenarios: list[str | Path],
    *,
    objective: str | None = None,
    progress: Progress | None = None,
) -> tuple[list[Solution], pd.DataFrame]:
    """Solve each scenario on one live model; the solutions and the comparison table (first = reference).

    >>> solutions, table = compare("toy", ["base", "north_export_ban_soft"])
    >>> table[["scenario", "unmet_demand"]].round(2).to_dict("records")
    [{'scenario': 'base', 'unmet_demand': 0.0}, {'scenario': 'north_export_ban_soft', 'unmet_demand': 15.79}]
    """
    study = Study(instance, objective=objective)
    solutions = [study.solve(scenario, progress=progress) for scenario in scenarios]
    return solutions, comparison_table(solutions)


def routes(
    instance: str | Path | Instance,
    commodity: str,
    region: str,
    *,
    period: int | None = None,
    avoid: tuple[str, ...] = (),
    k: int = 10,
) -> dict:
    """The cheapest supply routes of ``commodity`` into ``region``; with ``avoid``, also the routes and
    the cost once those regions are cut out. Demand in avoided regions is left out of both runs, so
    the cost increase is that of avoiding them, not of their own shortfall.

    >>> found = routes("toy", "ndfeb_magnet", "EAST", avoid=("SOUTH",))
    >>> found["optimum"]["regions"].tolist()[:1], found["avoiding"].empty
    (['NORTH;EAST'], True)
    """
    base = load(instance)
    unknown = [name for name in (region, *avoid) if name not in base.regions]
    if unknown or commodity not in base.commodities:
        raise InputError(
            f"unknown {'region ' + unknown[0] if unknown else 'commodity ' + commodity}: "
            f"expected names from regions.csv and commodities.csv"
        )
    if region in avoid:
        raise InputError(f"--avoid {region} would cut out the region the routes lead to")
    if avoid:
        demand = base.table("demand")
        base = base.replace(tables={**base.tables, "demand": demand[~demand["region"].isin(avoid)]})
    study = Study(base)
    optimum = study.solve()
    result = {"optimum_solution": optimum, "optimum": _routes_or_empty(optimum, commodity, region, period, k)}
    if avoid:
        avoiding = study.solve(avoid=tuple(avoid))
        result.update(avoiding_solution=avoiding, avoiding=_routes_or_empty(avoiding, commodity, region, period, k))
    return result


def _routes_or_empty(solution: Solution, commodity: str, region: str, period: int | None, k: int) -> pd.DataFrame:
    if not solution.tables:
        return pd.DataFrame(columns=ROUTE_COLUMNS)
    return supply_routes(solution, commodity, region, period, k)


def account(instance: str | Path | Instance, scenario: str | Path | None = None) -> Solution:
    """History: the flows of observed.csv fixed, with MFA, MFCA and (for CN) the study's headline figures.

    >>> history = account("china_2015_2022")
    >>> round(history.summary["headline"]["concentrate_inflow_kt"])
    1234
    """
    from optimizer.history import account as run_account

    return run_account(load(instance, scenario))


def write(solution: Solution, out: str | Path | None = None) -> Path:
    """Write the results folder (atomically); default ``results/<instance>/<scenario>/``."""
    folder = Path(out) if out is not None else default_out(solution.instance.name, solution.instance.scenario)
    extra = {"diagnosis.txt": solution.diagnosis.text()} if solution.diagnosis is not None else {}
    return write_solution(solution, folder, extra)
