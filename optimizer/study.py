"""A study: one instance, many scenarios, one live HiGHS model.

The first solve builds the program and hands it to HiGHS. Each later scenario rebuilds the arrays
(cheap: no per-row Python) and, when only numbers changed (costs, bounds, capacities,
coefficients), applies the differences to the live HiGHS model, which re-solves from the previous
basis; a scenario that changes the model's shape (a process added or dropped) is passed anew.
``compare``, sweeps and chokepoint runs all go through here.

>>> from optimizer.study import Study
>>> study = Study("toy")
>>> base, soft = study.solve(), study.solve("north_export_ban_soft")
>>> round(base.objective), soft.summary["model_reused"], round(soft.summary["unmet_demand"], 2)
(237850, True, 15.79)
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from optimizer.analysis import add_accounts
from optimizer.analysis.price_flags import add_price_flags, evidence_costs
from optimizer.diagnosis import diagnose
from optimizer.instance import Instance, load_instance
from optimizer.instance.chain import warm
from optimizer.model import Model, build_model
from optimizer.model.cut import cut_regions
from optimizer.network import build_network, check_network
from optimizer.numerics import check_memory, coefficient_report, estimate_nonzeros, residuals
from optimizer.registry import run_record
from optimizer.scenario import apply_scenario
from optimizer.solution import Solution, make_solution
from optimizer.solver import HighsSolver, SolveOptions

Progress = Callable[[str], None]


class Study:
    """Solve an instance under many scenarios, re-using the built model between them."""

    def __init__(
        self,
        instance: str | Path | Instance,
        *,
        objective: str | None = None,
        time_limit: float | None = None,
        mip_gap: float | None = None,
    ):
        started = time.perf_counter()
        self.base = instance if isinstance(instance, Instance) else load_instance(instance)
        warm(self.base)  # scenarios of the base inherit its expanded tables
        self.load_seconds = time.perf_counter() - started
        self.objective = objective
        self.options = SolveOptions(time_limit=time_limit, mip_gap=mip_gap)
        self.solver: HighsSolver | None = None
        self.model: Model | None = None

    def instance(self, scenario: str | Path | None = None) -> Instance:
        return apply_scenario(self.base, scenario) if scenario is not None else self.base

    def solve(
        self,
        scenario: str | Path | None = None,
        *,
        accounts: bool = True,
        export_model: str | Path | None = None,
        progress: Progress | None = None,
        avoid: tuple[str, ...] = (),
        restrict: Callable[[Model], Model] | None = None,
    ) -> Solution:
        """Solve the base instance or a scenario of it; see :meth:`solve_instance`."""
        step = progress or (lambda stage: None)
        step("load")
        started = time.perf_counter()
        instance = self.instance(scenario)
        load_seconds = time.perf_counter() - started + (self.load_seconds if self.solver is None else 0.0)
        solution = self.solve_instance(
            instance, accounts=accounts, export_model=export_model, progress=step, avoid=avoid, restrict=restrict
        )
        solution.summary["load_seconds"] = round(load_seconds, 4)
        solution.summary["timings"]["load"] = round(load_seconds, 4)
        return solution

    def solve_instance(
        self,
        instance: Instance,
        *,
        accounts: bool = True,
        export_model: str | Path | None = None,
        progress: Progress | None = None,
        avoid: tuple[str, ...] = (),
        restrict: Callable[[Model], Model] | None = None,
    ) -> Solution:
        """Build (or update), solve, and return the solution with its accounts and a diagnosis if any.

        ``avoid`` cuts regions out: no processes, builds or trade in, out of or through them;
        ``restrict`` changes the built model's bounds in any other way (see :mod:`optimizer.model.cut`).
        The network check runs on the first solve (its warnings go to the summary) and whenever a
        solve fails (for the diagnosis), not on every re-solve.
        """
        step = progress or (lambda stage: None)
        timings = {}
        first = self.solver is None
        network = None
        memory = None
        if first:
            step("check")
            started = time.perf_counter()
            network = check_network(build_network(instance), instance)
            memory = check_memory(instance, estimate_nonzeros(instance))
            timings["check"] = time.perf_counter() - started
        step("build")
        model = build_model(instance, self.objective, reuse=self.model)
        self.model = model
        if avoid:
            model = cut_regions(model, avoid)
        if restrict is not None:
            model = restrict(model)
        numerics = coefficient_report(model)
        started = time.perf_counter()
        if first:
            self.solver = HighsSolver(model.lp, self.options)
            in_place = False
        else:
            in_place = self.solver.update(model.lp)
        timings["build"] = model.build_seconds
        timings["pass"] = time.perf_counter() - started
        if export_model is not None:
            self.solver.export(Path(export_model))
        step("solve")
        # the basis ranging behind the price flags costs about one more solve: full results only
        result = self.solver.solve(evidence=evidence_costs(model) if accounts else None)
        timings["solve"] = result.wall_seconds
        started = time.perf_counter()
        solution = make_solution(model, result)
        if accounts:
            step("account")
            add_accounts(solution)
            if result.has_solution:
                add_price_flags(solution, model, result)
        timings["solution"] = time.perf_counter() - started
        summary = solution.summary
        summary["model_reused"] = in_place
        summary["timings"] = {name: round(seconds, 4) for name, seconds in timings.items()}
        summary["warnings"] = list(instance.warnings) + (network.messages() if network else []) + numerics["warnings"]
        summary["numerics"] = {**numerics, **residuals(model, result), **(memory or {})}
        summary["solver"]["options"] = {"time_limit": self.options.time_limit, "mip_gap": self.options.mip_gap}
        summary["run"] = run_record(instance, summary["solver"]["options"])
        if solution.status in ("infeasible", "unbounded"):
            step("diagnose")
            network = network or check_network(build_network(instance), instance)
            solution.diagnosis = diagnose(model, solution.status, network)
            summary["diagnosis"] = solution.diagnosis.to_dict()
        return solution
