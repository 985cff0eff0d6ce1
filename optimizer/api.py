"""The Python API: everything the command line does, in a few calls.

>>> import optimizer as reeopt
>>> solution = reeopt.solve("toy")
>>> solution.status, round(solution.objective)
('optimal', 237850)
>>> solution["balance"].set_index(["region", "commodity"]).loc[("EAST", "Dy2O3"), "marginal_value"]
np.float64(3328.0)
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from optimizer.analysis import add_accounts
from optimizer.diagnosis import diagnose
from optimizer.instance import Instance, load_instance
from optimizer.model import Model, build_model
from optimizer.network import build_network, check_network
from optimizer.output.results import default_out, write_solution
from optimizer.scenario import apply_scenario
from optimizer.solution import Solution, make_solution
from optimizer.solver import HighsSolver, SolveOptions

Progress = Callable[[str], None]


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
    tables, except after a time limit with a feasible point, which is reported and marked.
    """
    step = progress or (lambda stage: None)
    step("load")
    started = time.perf_counter()
    instance = load(instance, scenario)
    step("check")
    network = check_network(build_network(instance), instance)
    load_seconds = time.perf_counter() - started
    step("build")
    model = build_model(instance, objective)
    solver = HighsSolver(model.lp, SolveOptions(time_limit=time_limit, mip_gap=mip_gap))
    if export_model is not None:
        solver.export(Path(export_model))
    step("solve")
    solution = finish(model, solver, network_messages=network.messages())
    solution.summary["load_seconds"] = round(load_seconds, 4)
    if solution.status in ("infeasible", "unbounded"):
        step("diagnose")
        solution.diagnosis = diagnose(model, solution.status, network)
        solution.summary["diagnosis"] = solution.diagnosis.to_dict()
    return solution


def finish(model: Model, solver: HighsSolver, network_messages: list[str] | None = None) -> Solution:
    """Solve the loaded program and turn the result into a solution with its accounts."""
    result = solver.solve()
    solution = add_accounts(make_solution(model, result))
    solution.summary["warnings"] = list(model.instance.warnings) + list(network_messages or [])
    return solution


def write(solution: Solution, out: str | Path | None = None) -> Path:
    """Write the results folder (atomically); default ``results/<instance>/<scenario>/``."""
    folder = Path(out) if out is not None else default_out(solution.instance.name, solution.instance.scenario)
    extra = {"diagnosis.txt": solution.diagnosis.text()} if solution.diagnosis is not None else {}
    return write_solution(solution, folder, extra)
