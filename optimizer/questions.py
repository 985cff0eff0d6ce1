"""The questions of the README asked of an optimum, as API functions: the supply routes of a commodity
into a region (with regions avoided, or clean of them), the chokepoints whose loss costs most, and the
near-optimal alternatives. ``optimizer.api.routes``, ``.chokepoints`` and ``.alternatives`` are these.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from optimizer.analysis.compare import comparison_table
from optimizer.analysis.routes import ROUTE_COLUMNS, supply_routes
from optimizer.arguments import check_count, check_names, check_period, check_scenario
from optimizer.errors import InputError
from optimizer.instance import Instance
from optimizer.loading import load
from optimizer.scenario import Scenario, apply_changes
from optimizer.solution import Solution
from optimizer.study import Study


def routes(
    instance: str | Path | Instance,
    commodity: str,
    region: str,
    *,
    period: int | None = None,
    avoid: tuple[str, ...] = (),
    clean_of: tuple[str, ...] = (),
    k: int = 10,
) -> dict:
    """The cheapest supply routes of ``commodity`` into ``region``; with ``avoid``, also the routes and
    the cost once those regions are cut out. Demand in avoided regions is left out of both runs, so
    the cost increase is that of avoiding them, not of their own shortfall; and both runs release the
    calibration floors (``floors_released``), which a cut may make impossible (a base-year magnet plant
    abroad that ran on the avoided region's Dy).

    With ``clean_of``, nothing is cut out: the regions become the tracked set of content classes
    (FORMULATION.md E3) and the delivery of ``commodity`` in ``region`` in the period must be clean
    (``max_tracked_share = 0``); the result's ``clean`` routes trace that clean supply, and
    ``clean_solution`` is the whole re-solved world (the rest of it still free to use those regions).

    >>> found = routes("toy", "ndfeb_magnet", "EAST", avoid=("SOUTH",))
    >>> found["optimum"]["regions"].tolist()[:1], found["avoiding"].empty
    (['NORTH;EAST'], True)
    """
    base = load(instance)
    if not isinstance(region, str) or not isinstance(commodity, str):
        raise InputError(f"routes lead one commodity into one region, not {commodity!r} into {region!r}")
    check_names(region, base.regions, "region", "region")
    check_names(commodity, base.commodities, "commodity", "commodity")
    avoid = check_names(avoid, base.regions, "avoid", "region")
    clean_of = check_names(clean_of, base.regions, "clean-of", "region")
    check_period(period, base)
    check_count("k", k, 1)
    if region in avoid:
        raise InputError(f"--avoid {region} would cut out the region the routes lead to")
    if region in clean_of:
        raise InputError(f"--clean-of {region}: the region the routes lead to would taint every delivery there")
    if avoid and clean_of:
        raise InputError("--avoid and --clean-of ask different questions: give one of them")
    if avoid:
        demand = base.table("demand")
        base = base.replace(tables={**base.tables, "demand": demand[~demand["region"].isin(avoid)]})
    from optimizer.model.cut import has_floors, release_floors

    study = Study(base)
    # cutting a region out is a counterfactual: the calibration floors (what plants did in the base
    # year, often on the region's own material) are released in both runs, as chokepoints does
    release = release_floors if avoid else None
    optimum = study.solve(restrict=release)
    result = {"optimum_solution": optimum, "optimum": _routes_or_empty(optimum, commodity, region, period, k)}
    result["floors_released"] = bool(avoid) and has_floors(study.model)
    if avoid:
        avoiding = study.solve(avoid=tuple(avoid), restrict=release)
        result.update(avoiding_solution=avoiding, avoiding=_routes_or_empty(avoiding, commodity, region, period, k))
    if clean_of:
        year = period if period is not None else base.periods[-1]
        clean = Study(clean_delivery(base, commodity, region, year, tuple(clean_of))).solve()
        result.update(clean_solution=clean, clean=_routes_or_empty(clean, commodity, region, year, k, clean=True))
    return result


def clean_delivery(instance: Instance, commodity: str, region: str, year: int, tracked: tuple[str, ...]) -> Instance:
    """``instance`` with content classes tracking ``tracked`` and its delivery of ``commodity`` in
    ``region`` in ``year`` bound to clean content."""
    demand = instance.expanded("demand")
    if not ((demand["region"] == region) & (demand["commodity"] == commodity) & (demand["period"] == year)).any():
        raise InputError(
            f"--clean-of needs a final demand of {commodity} in {region} in {year} to bind to clean content "
            "(demand.csv has none): ask for a delivered commodity"
        )
    where = {"region": region, "commodity": commodity}
    change = {"table": "demand", "where": where, "periods": [year], "set": {"max_tracked_share": 0.0}}
    scenario = Scenario(
        name=f"clean_of_{'_'.join(tracked)}",
        description=f"{commodity} into {region} in {year} clean of {', '.join(tracked)}",
        changes=(change,),
        file="--clean-of",
        lines={},
        path=None,
    )
    return apply_changes(instance.replace(tracked_regions=tracked), [scenario])


def _routes_or_empty(
    solution: Solution, commodity: str, region: str, period: int | None, k: int, clean: bool = False
) -> pd.DataFrame:
    if not solution.tables:
        return pd.DataFrame(columns=ROUTE_COLUMNS)
    return supply_routes(solution, commodity, region, period, k, clean=clean)


def chokepoints(instance: str | Path | Instance, period: int | None = None, progress=None, exact: bool = False) -> dict:
    """N-1: every element carrying flow cut in turn on one live model; and the min cuts of the main demands.
    Lumpy builds are relaxed unless ``exact`` (the base optimum is then the relaxation's too); the
    calibration floors are released in the base optimum and in every cut (``floors_released``).

    >>> found = chokepoints("toy")
    >>> last = found["ranking"].iloc[-1]
    >>> last["element"], last["status"], float(last["cost_increase"])
    ('NdPr_oxide SOUTH->EAST', 'optimal', 23960.0)
    """
    from optimizer.analysis.chokepoints import chokepoint_table, min_cuts, relaxed
    from optimizer.model.cut import has_floors, release_floors

    if period is not None and (isinstance(period, bool) or not isinstance(period, int)):
        raise InputError(f"--period must be a year, not {period!r}")
    study = Study(instance)

    def prepare(model):
        return release_floors(model if exact else relaxed(model))

    optimum = study.solve(restrict=prepare)
    if optimum.status != "optimal":
        raise InputError(f"the base of {optimum.instance.name} is {optimum.status}: chokepoints need an optimum")
    if period is not None and period not in optimum.instance.periods:
        raise InputError(f"--period {period} is not a period of {optimum.instance.name}")
    return {
        "optimum": optimum,
        "ranking": chokepoint_table(study, optimum, period, progress, prepare),
        "min_cuts": min_cuts(optimum, period),
        "relaxed": not exact and bool(study.model.lp.integer.any()),
        "floors_released": has_floors(study.model),
    }


def alternatives(
    instance: str | Path | Instance,
    scenario: str | Path | None = None,
    *,
    slack: float = 0.05,
    count: int = 6,
    progress=None,
) -> tuple[list[Solution], pd.DataFrame]:
    """The optimum and up to ``count`` near-optimal portfolios (within ``slack`` of its cost) that differ
    most in where the rare earths come from; their comparison table, optimum first.

    >>> solutions, table = alternatives("toy", slack=0.10)
    >>> table["scenario"].tolist()[:2], bool((table["objective"] <= 1.10 * table["objective"].iloc[0] + 1e-6).all())
    (['base', 'min_NORTH-sourced_supply_of_EAST'], True)
    """
    from optimizer.analysis.alternatives import alternatives as near_optimal

    if isinstance(slack, bool) or not isinstance(slack, int | float) or not slack >= 0:
        raise InputError(f"--slack must be >= 0, not {slack!r}")
    check_count("n", count, 1)
    check_scenario(scenario)
    study = Study(instance)
    optimum = study.solve(scenario)
    if optimum.status != "optimal":
        raise InputError(
            f"{optimum.instance.name} / {optimum.instance.scenario} is {optimum.status}: alternatives need an optimum"
        )
    found = near_optimal(study.model, optimum, slack, count, progress)
    solutions = [optimum] + [solution for _, solution in found]
    table = comparison_table(solutions)
    table.insert(1, "direction", ["optimum"] + [label for label, _ in found])
    return solutions, table
