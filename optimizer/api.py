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
