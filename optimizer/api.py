"""The Python API: everything the command line does, in a few calls.

>>> import optimizer as reeopt
>>> solution = reeopt.solve("toy")
>>> solution.status, round(solution.objective)
('optimal', 237850)
>>> solution["balance"].set_index(["region", "commodity"]).loc[("EAST", "Dy2O3"), "marginal_value"]
np.float64(3328.0)
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from optimizer.analysis.compare import comparison_table
from optimizer.analysis.routes import ROUTE_COLUMNS, supply_routes
from optimizer.arguments import check_count, check_names, check_period, check_scenario, check_solve_arguments
from optimizer.errors import InputError
from optimizer.instance import Instance, load_instance
from optimizer.output.results import default_out, write_solution
from optimizer.registry import effective_inputs
from optimizer.sampling import sensitivity, sweep  # noqa: F401 - part of the API
from optimizer.scenario import Scenario, apply_changes, apply_scenario
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
    engine: str = "pyomo",
    solver: str = "highs",
    extend: Callable | None = None,
) -> Solution:
    """Load, check, build, solve: a :class:`~optimizer.solution.Solution` whatever the status.

    ``engine`` "pyomo" (default) solves the Pyomo model of :func:`build_pyomo` with ``solver``
    (any solver Pyomo knows); "arrays" hands the same program to HiGHS directly. ``extend(model)``
    adds Pyomo components of one's own before the solve; their rows come back in
    ``solution["constraints"]`` with their duals.

    A solution that is not optimal carries ``solution.diagnosis`` (infeasible, unbounded) and no
    tables, except after a time limit with a feasible point, which is reported and marked. To solve
    many scenarios of one instance, :class:`~optimizer.study.Study` re-uses the model between them.
    """
    check_solve_arguments(objective, time_limit, mip_gap, export_model)
    check_scenario(scenario)
    study = Study(
        instance,
        objective=objective,
        time_limit=time_limit,
        mip_gap=mip_gap,
        engine=engine,
        solver=solver,
        extend=extend,
    )
    return study.solve(scenario, export_model=export_model, progress=progress)


SOLVER_AGREEMENT = 1e-5  # relative: LP solvers' default tolerances on objectives of ~1e11 (world)


def compare(
    instance: str | Path | Instance,
    scenarios: list[str | Path],
    *,
    objective: str | None = None,
    progress: Progress | None = None,
    periods: list[int] | None = None,
    labels: list[str] | None = None,
    on_run=None,
    solvers: list[str] | None = None,
    engine: str = "pyomo",
) -> tuple[list[Solution], pd.DataFrame]:
    """Solve each scenario on one live model; the solutions and the comparison table (first = reference).

    ``periods`` shows marginal values, builds and sourcing of those periods (``mv_..@YEAR``) instead of
    the horizon; ``labels`` name the runs (default: the scenario names; recorded in each summary);
    ``on_run(done, total)`` is called after each solve.

    With several ``solvers``, every scenario is solved by each (one live model per solver); the table
    gains ``solver`` and ``agrees``: whether the objective is within the gap of the first solver's on
    the same scenario ("yes"/"no"; within the MIP gap reached, else :data:`SOLVER_AGREEMENT` relative).

    >>> solutions, table = compare("toy", ["base", "north_export_ban_soft"])
    >>> table[["scenario", "unmet_demand"]].round(2).to_dict("records")
    [{'scenario': 'base', 'unmet_demand': 0.0}, {'scenario': 'north_export_ban_soft', 'unmet_demand': 15.79}]
    """
    check_solve_arguments(objective)
    if isinstance(scenarios, str | Path) or not isinstance(scenarios, list | tuple):
        raise InputError(f"compare takes a list of scenarios, not {scenarios!r}")
    for scenario in scenarios:
        check_scenario(scenario)
    if labels is not None and len(labels) != len(scenarios):
        raise InputError(f"--label: give one per --scenario ({len(scenarios)}), not {len(labels)}")
    names = list(dict.fromkeys(solvers or ["highs"]))
    studies = {name: Study(instance, objective=objective, engine=engine, solver=name) for name in names}
    solutions, rows = [], []
    for position, scenario in enumerate(scenarios):
        for name in names:
            solution = studies[name].solve(scenario, progress=progress)
            if labels is not None:
                solution.summary["label"] = labels[position]
            solutions.append(solution)
            rows.append(name)
            if on_run is not None:
                on_run(len(solutions), len(scenarios) * len(names))
    if periods is not None:
        horizon = solutions[0].instance.periods
        if not any(p in horizon for p in periods):
            raise InputError(
                f"--period: none of {periods} is a period of {solutions[0].instance.name}: {list(horizon)}"
            )
    table = comparison_table(solutions, periods)
    if len(names) > 1:  # one scenario solved by each solver: the same run name, told apart by solver
        table["scenario"] = [table["scenario"].iat[i - i % len(names)] for i in range(len(solutions))]
        table.insert(1, "solver", rows)
        table.insert(2, "agrees", ["yes" if ok else "no" for ok in _agreement(solutions, len(names))])
    return solutions, table


def ineffective_changes(instance: str | Path | Instance, scenario: str | Path) -> list[str]:
    """The changes of ``scenario`` (and of what it extends) that alter nothing in the base optimum, as
    hints: a tariff on a link that carries nothing, a cap that does not bind, a value already so.
    Solves the base once (:mod:`optimizer.analysis.ineffective`).

    >>> ineffective_changes("toy", "north_export_ban")
    []
    """
    from optimizer.analysis.ineffective import ineffective_changes as find
    from optimizer.scenario.changes import combined_chain
    from optimizer.scenario.files import extension_chain, scenario_path

    base = load(instance)
    if str(scenario) == "base" and scenario_path(base, "base") is None:
        return []
    combined = "+" in str(scenario) and scenario_path(base, scenario) is None
    chain = combined_chain(base, str(scenario))[:-1] if combined else extension_chain(base, scenario)
    optimum = Study(base).solve(accounts=False)
    return find(base, chain, optimum)


def _agreement(solutions: list[Solution], per_scenario: int) -> list[bool]:
    """For each solution, whether its objective matches the first solver's on its scenario."""
    agrees = []
    for position, solution in enumerate(solutions):
        reference = solutions[position - position % per_scenario]
        if solution.objective is None or reference.objective is None:
            agrees.append(solution.status == reference.status)
            continue
        gap = max(SOLVER_AGREEMENT, *(s.summary.get("mip_gap") or 0.0 for s in (solution, reference)))
        agrees.append(abs(solution.objective - reference.objective) <= gap * max(1.0, abs(reference.objective)))
    return agrees


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
    the cost increase is that of avoiding them, not of their own shortfall.

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
    study = Study(base)
    optimum = study.solve()
    result = {"optimum_solution": optimum, "optimum": _routes_or_empty(optimum, commodity, region, period, k)}
    if avoid:
        avoiding = study.solve(avoid=tuple(avoid))
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
    Lumpy builds are relaxed unless ``exact`` (the base optimum is then the relaxation's too).

    >>> found = chokepoints("toy")
    >>> last = found["ranking"].iloc[-1]
    >>> last["element"], last["status"], float(last["cost_increase"])
    ('NdPr_oxide SOUTH->EAST', 'optimal', 23960.0)
    """
    from optimizer.analysis.chokepoints import chokepoint_table, min_cuts, relaxed

    if period is not None and (isinstance(period, bool) or not isinstance(period, int)):
        raise InputError(f"--period must be a year, not {period!r}")
    study = Study(instance)
    optimum = study.solve(restrict=None if exact else relaxed)
    if optimum.status != "optimal":
        raise InputError(f"the base of {optimum.instance.name} is {optimum.status}: chokepoints need an optimum")
    if period is not None and period not in optimum.instance.periods:
        raise InputError(f"--period {period} is not a period of {optimum.instance.name}")
    return {
        "optimum": optimum,
        "ranking": chokepoint_table(study, optimum, period, progress, exact=exact),
        "min_cuts": min_cuts(optimum, period),
        "relaxed": not exact and optimum.summary["n_integer_variables"] > 0,
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


def account(instance: str | Path | Instance, scenario: str | Path | None = None) -> Solution:
    """History: the flows of observed.csv fixed, with MFA, MFCA and (for CN) the study's headline figures.

    >>> history = account("china_2015_2022")
    >>> round(history.summary["headline"]["concentrate_inflow_kt"])
    1234
    """
    from optimizer.history import account as run_account

    return run_account(load(instance, scenario))


def backcast(
    instance: str | Path | Instance,
    scenario: str | Path | None = None,
    *,
    periods: list[int] | None = None,
    progress: Progress | None = None,
) -> tuple[Solution, pd.DataFrame]:
    """Solve, then set the solution beside the instance's observed.csv: (solution, backcast table).

    The table has one row per observation (columns of
    :data:`optimizer.output.columns.BACKCAST_COLUMNS`); rows whose ``role`` is ``calibration``
    were inputs, only ``validation`` rows test the model. ``periods`` keeps those years only.
    """
    from optimizer.analysis.backcast import backcast_table
    from optimizer.history import observations

    loaded = load(instance, scenario)
    observed = observations(
        loaded, "the instance has no observations to backcast", "activity, trade, delivered or price"
    )
    solution = solve(loaded, progress=progress)
    if solution.status != "optimal" or not solution.tables:
        return solution, pd.DataFrame()
    return solution, backcast_table(solution, observed, periods)


def write(solution: Solution, out: str | Path | None = None) -> Path:
    """Write the results folder (atomically); default ``results/<instance>/<label>/`` (the label is the
    scenario name unless ``solution.summary["label"]`` says otherwise)."""
    label = solution.summary.get("label") or solution.instance.scenario
    folder = Path(out) if out is not None else default_out(solution.instance.name, label)
    extra = effective_inputs(solution.instance)
    if solution.diagnosis is not None:
        extra["diagnosis.txt"] = solution.diagnosis.text()
    return write_solution(solution, folder, extra)


def hedge(
    instance: str | Path | Instance,
    scenarios: list[tuple[str, float]],
    *,
    decide_until: int | None = None,
    cvar: tuple[float, float] | None = None,
    mip_gap: float | None = None,
    time_limit: float | None = None,
    progress=None,
):
    """The stochastic build-out (FORMULATION.md E4): builds before ``decide_until`` shared by all scenarios.

    ``scenarios``: (name, probability) pairs summing to 1; ``cvar``: (alpha, weight). Returns a
    :class:`~optimizer.hedge.HedgeResult`: summary (rp, ws, evpi, eev, vss, ...), the hedged builds,
    the regret table and each scenario's solution under the hedged plan; see :mod:`optimizer.hedge.programme`.
    """
    from optimizer.hedge import hedge as solve_hedge

    return solve_hedge(
        load(instance),
        scenarios,
        decide_until=decide_until,
        cvar=cvar,
        mip_gap=mip_gap,
        time_limit=time_limit,
        progress=progress,
    )


def write_hedge(result, out: str | Path | None = None) -> Path:
    """Write a hedge's folder (summary.json, builds.csv, plans.csv, regret.csv, a results folder per
    scenario); default ``results/<instance>/hedge/``."""
    from optimizer.output.hedge import write_hedge as write_folder

    return write_folder(result, Path(out) if out is not None else default_out(result.summary["instance"], "hedge"))


def network(instance: str | Path | Instance, scenario: str | Path | None = None):
    """The chain of an instance under a scenario as a ``networkx.DiGraph`` (schema: docs/network.md)."""
    from optimizer.network import network as chain

    return chain(instance, scenario)


def build_pyomo(graph, objective: str | None = None):
    """The Pyomo model of a chain graph (or of an instance name, folder or loaded instance).

    >>> import optimizer as reeopt
    >>> model = reeopt.build_pyomo(reeopt.network("toy"))
    >>> model.balance["EAST", "Dy2O3", 2025].equality
    True
    """
    import networkx as nx

    from optimizer.model import build_model
    from optimizer.model.pyomo_model import build_pyomo as pyomo_model

    if not isinstance(graph, nx.DiGraph):
        graph = network(graph)
    return pyomo_model(build_model(graph, objective))


def solve_model(model, *, solver: str = "highs", time_limit: float | None = None, mip_gap: float | None = None):
    """Solve a model of :func:`build_pyomo`, with whatever the user added to it, into a full Solution.

    >>> import optimizer as reeopt, pyomo.environ as pyo
    >>> model = reeopt.build_pyomo("toy")
    >>> model.south_oxide = pyo.Constraint(expr=model.trade["NdPr_oxide", "SOUTH", "EAST", 2025] <= 10)
    >>> solution = reeopt.solve_model(model)
    >>> solution["constraints"][["family", "body", "upper", "dual"]].to_dict("records")
    [{'family': 'south_oxide', 'body': 10.0, 'upper': 10.0, 'dual': -1198.0}]
    """
    from optimizer.study import solve_pyomo_model

    return solve_pyomo_model(model, solver=solver, time_limit=time_limit, mip_gap=mip_gap)
