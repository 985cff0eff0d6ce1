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
from optimizer.arguments import check_scenario, check_solve_arguments
from optimizer.errors import InputError
from optimizer.instance import Instance
from optimizer.loading import load
from optimizer.output.results import default_out, write_solution
from optimizer.questions import alternatives, chokepoints, clean_delivery, routes  # noqa: F401 - part of the API
from optimizer.registry import effective_inputs
from optimizer.sampling import sensitivity, sweep  # noqa: F401 - part of the API
from optimizer.solution import Solution
from optimizer.study import Progress, Study


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


def ineffective_changes(
    instance: str | Path | Instance, scenario: str | Path, *, base_optimum: Callable[[], Solution] | None = None
) -> list[str]:
    """The changes of ``scenario`` (and of what it extends) that alter nothing in the base optimum, as
    hints: a tariff on a link that carries nothing, a cap that does not bind, a value already so.
    Solves the base once (:mod:`optimizer.analysis.ineffective`), or asks ``base_optimum`` for it (a
    function, called only when there are changes to judge: ``validate`` with several ``--scenario``
    passes one that solves the base once for all of them).

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
    optimum = base_optimum() if base_optimum is not None else solve_base_for_hints(base)
    return find(base, chain, optimum)


def solve_base_for_hints(instance: str | Path | Instance) -> Solution:
    """The base optimum that :func:`ineffective_changes` judges changes against (no accounts)."""
    return Study(load(instance)).solve(accounts=False)


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
    engine: str = "pyomo",
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
        loaded, "the instance has no observations to backcast", "activity, trade, delivered, price or export_price"
    )
    solution = solve(loaded, progress=progress, engine=engine)
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

    check_solve_arguments(time_limit=time_limit, mip_gap=mip_gap)  # as solve's (HiGHS ignores a negative gap)
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
