"""A study: one instance, many scenarios, one live HiGHS model.

The first solve builds the program and hands it to HiGHS. A later scenario that changes only
numbers of the tables (costs, capacities, demand quantities, prices, tariffs on existing links) is
applied to the last program directly (:mod:`optimizer.model.refresh`: no network, no index, the
same matrix), and its new bounds, right-hand sides and costs go to the live HiGHS model, which
re-solves from the previous basis. Any other scenario is built in full; when its program keeps the
shape it is still updated in place, otherwise passed anew. ``summary["resolve"]`` says which path
ran (``first``, ``numbers``, ``renumbered``, ``rebuilt``) and why a faster one could not.
``compare``, sweeps and chokepoint runs all go through here.

>>> from optimizer.study import Study
>>> study = Study("toy")
>>> base, soft = study.solve(), study.solve("north_export_ban_soft")
>>> round(base.objective), soft.summary["model_reused"], round(soft.summary["unmet_demand"], 2)
(237850, True, 15.79)
>>> soft.summary["resolve"]["path"]
'numbers'
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from optimizer.analysis import add_accounts
from optimizer.analysis.price_flags import add_price_flags, evidence_costs
from optimizer.diagnosis import diagnose
from optimizer.errors import InputError
from optimizer.instance import Instance, load_instance
from optimizer.instance.chain import warm
from optimizer.model import Model, build_model
from optimizer.model.cut import cut_regions
from optimizer.model.refresh import Refreshed, refresh
from optimizer.network import build_network, check_network
from optimizer.numerics import check_memory, coefficient_report, estimate_nonzeros, residuals
from optimizer.registry import run_record
from optimizer.scenario import apply_scenario
from optimizer.solution import Solution, make_solution
from optimizer.solver import HighsSolver, SolveOptions, highs_settings

ENGINES = ("pyomo", "arrays")

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
        engine: str = "pyomo",
        solver: str = "highs",
        extend: Callable | None = None,
    ):
        check_engine(engine, solver)
        started = time.perf_counter()
        self.base = instance if isinstance(instance, Instance) else load_instance(instance)
        warm(self.base)  # scenarios of the base inherit its expanded tables
        self.load_seconds = time.perf_counter() - started
        self.objective = objective
        self.options = SolveOptions(time_limit=time_limit, mip_gap=mip_gap)
        self.engine = engine
        self.solver_name = solver
        self.extend = extend
        self.solver = None  # HighsSolver (arrays), PyomoHighs or FactorySolver (pyomo)
        self.model: Model | None = None
        self._pyomo_model = None  # the Pyomo model last solved (engine "pyomo")
        self._kept_matrix = False  # the last build re-used the program's matrix

    @property
    def pyomo_model(self):
        """The Pyomo model last solved (engine "pyomo"), with the numbers and values of the last
        solve: a re-solve of numbers only leaves it behind until it is read (PyomoHighs.catch_up)."""
        if self._pyomo_model is not None and hasattr(self.solver, "catch_up"):
            self.solver.catch_up()
        return self._pyomo_model

    @pyomo_model.setter
    def pyomo_model(self, model) -> None:
        self._pyomo_model = model

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
        timings: dict[str, float] = {}
        first = self.solver is None
        graph = checked = None
        quick = self._refresh(instance)
        if quick.model is None:
            started = time.perf_counter()
            graph = build_network(instance)
            timings["network"] = time.perf_counter() - started
            checked = self._check(graph, instance, timings, step) if first else None
        step("build")
        model = self._build(graph, quick.model, avoid, restrict)
        path = "first" if first else "numbers" if quick.model else "renumbered" if self._kept_matrix else "rebuilt"
        started = time.perf_counter()
        in_place, timings["pyomo"] = self._load(model, first, numbers_only=quick.model is not None)
        timings["build"] = model.build_seconds
        timings["pass"] = time.perf_counter() - started - timings["pyomo"]
        if export_model is not None:
            self.solver.export(Path(export_model))
        step("solve")
        # the basis ranging behind the price flags costs about one more solve: full results only
        result, extra = self._run(evidence_costs(model) if accounts else None)
        timings["solve"] = result.wall_seconds
        solution = self._finish(instance, graph, model, result, extra, timings, in_place, checked, accounts, step)
        solution.summary["resolve"] = {"path": path, "reason": quick.reason, "changed_tables": list(quick.changed)}
        return solution

    def _refresh(self, instance: Instance):
        """The last program with ``instance``'s numbers when only numbers changed (see the module's
        docstring), else why not. Only where the live model is the program itself: the arrays engine,
        or reeopt's own Pyomo model on HiGHS."""
        if self.model is None:
            return Refreshed(None, "first solve")
        if self.engine != "arrays" and (self.solver_name != "highs" or self.extend is not None):
            return Refreshed(None, "the Pyomo model has components of one's own or another solver")
        return refresh(self.model, instance)

    def _check(self, graph, instance: Instance, timings: dict, step: Progress):
        """The network check and the memory estimate of a first solve."""
        step("check")
        started = time.perf_counter()
        checked = (check_network(graph, instance), check_memory(instance, estimate_nonzeros(instance)))
        timings["check"] = time.perf_counter() - started
        return checked

    def _build(self, graph, refreshed: Model | None, avoid: tuple[str, ...], restrict) -> Model:
        """The program of the graph (re-using the last one's matrix when the shape allows), or the
        ``refreshed`` one, cut as asked."""
        model = refreshed or build_model(graph, self.objective, reuse=self.model)
        self._kept_matrix = self.model is not None and model.lp.matrix is self.model.lp.matrix
        self.model = model
        if avoid:
            model = cut_regions(model, avoid)
        if restrict is not None:
            model = restrict(model)
        return model

    def _finish(self, instance, graph, model, result, extra, timings, in_place, checked, accounts, step) -> Solution:
        """The solution of a solved model: tables, accounts, summary, and a diagnosis when it failed."""
        network, memory = checked or (None, None)
        numerics = coefficient_report(model)
        started = time.perf_counter()
        solution = make_solution(model, result, extra)
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
        if self.solver_name == "highs":  # what HiGHS ran with (solver.py MIP_SETTINGS), for reeopt diff
            summary["solver"]["options"]["highs"] = highs_settings(self.options)
        summary["run"] = {**run_record(instance, summary["solver"]["options"]), "engine": self.engine}
        summary["solver"]["name"] = self.solver_name
        if solution.status in ("infeasible", "unbounded"):
            step("diagnose")
            network = network or check_network(graph or build_network(instance), instance)
            solution.diagnosis = diagnose(self._as_solved(model), solution.status, network)
            summary["diagnosis"] = solution.diagnosis.to_dict()
        return solution

    def _load(self, model: Model, first: bool, numbers_only: bool = False) -> tuple[bool, float]:
        """Hand ``model`` to the solver (a new one on the first solve); True if updated in place.

        On the Pyomo engine the Pyomo model is built from the program (and ``extend`` adds the
        user's components to it); its compiled standard form goes to HiGHS. A program that changed
        only numbers (``numbers_only``) goes to HiGHS straight, the Pyomo model catching up when
        it is read (:meth:`~optimizer.model.pyomo_solve.PyomoHighs.update_program`).
        """
        if self.engine == "arrays":
            if first:
                self.solver = HighsSolver(model.lp, self.options)
                return False, 0.0
            return self.solver.update(model.lp), 0.0
        from optimizer.model.pyomo_model import build_pyomo  # Pyomo is imported only for its engine
        from optimizer.model.pyomo_solve import FactorySolver, PyomoHighs

        if numbers_only and isinstance(self.solver, PyomoHighs):
            return self.solver.update_program(model), 0.0
        started = time.perf_counter()
        if self._own_model_of_same_structure(model):
            return self.solver.update_numbers(model), time.perf_counter() - started
        live = self._pyomo_model = build_pyomo(model)
        if self.extend is not None:
            self.extend(live)
        built = time.perf_counter() - started
        if self.solver_name != "highs":
            self.solver = FactorySolver(live, self.solver_name, self.options)
            return False, built
        if first or not isinstance(self.solver, PyomoHighs):
            self.solver = PyomoHighs(live, self.options)
            return False, built
        return self.solver.update(live), built

    def _own_model_of_same_structure(self, model: Model) -> bool:
        """True when the live Pyomo model is reeopt's own (nothing of the user's) and ``model`` only
        changes its numbers: then it is updated in place rather than built again."""
        if self.extend is not None or not hasattr(self.solver, "update_numbers") or self._pyomo_model is None:
            return False
        solved = self._pyomo_model._reeopt.model.lp  # (behind or not: update_numbers diffs against it)
        return solved.columns.keys() == model.lp.columns.keys() and solved.same_structure(model.lp)

    def _as_solved(self, model: Model) -> Model:
        """The program as it was solved: on the Pyomo engine, with the model's own bounds and rows."""
        if hasattr(self.solver, "compiled"):  # PyomoHighs
            from optimizer.model.pyomo_solve import as_program

            self.solver.catch_up()
            return as_program(self.pyomo_model, self.solver.compiled)
        return model

    def _run(self, evidence: dict | None = None):
        """Solve what was loaded: the program's result (with the basis ranged for the price flags when
        ``evidence`` is given and the solver is HiGHS), and the rows of the user's own constraints."""
        if self.engine == "arrays":
            return self.solver.solve(evidence=evidence), []
        if hasattr(self.solver, "compiled"):  # PyomoHighs
            return self.solver.solve(evidence=evidence)
        return self.solver.solve()


def check_engine(engine: str, solver: str) -> None:
    """The engine and solver names, or an :class:`InputError` saying what is allowed."""
    if engine not in ENGINES:
        raise InputError(f"--engine must be one of {', '.join(ENGINES)}, not '{engine}'")
    if engine == "arrays" and solver != "highs":
        raise InputError(f"the arrays engine solves with highs only, not '{solver}': use --engine pyomo")


def solve_pyomo_model(model, *, solver: str = "highs", time_limit=None, mip_gap=None) -> Solution:
    """Solve a Pyomo model of :func:`~optimizer.model.pyomo_model.build_pyomo` as it stands (with the
    user's changes and components) into a full :class:`Solution`."""
    from optimizer.model.pyomo_solve import FactorySolver, PyomoHighs

    link = getattr(model, "_reeopt", None)
    if link is None:
        raise InputError("solve_model needs a model made by reeopt.build_pyomo (it has no _reeopt link)")
    instance = link.model.instance
    study = Study(instance, objective=link.model.objective_kind, time_limit=time_limit, mip_gap=mip_gap, solver=solver)
    study.model, study.pyomo_model = link.model, model
    timings: dict[str, float] = {}
    if solver == "highs":
        study.solver = PyomoHighs(model, study.options)
    else:
        study.solver = FactorySolver(model, solver, study.options)
    result, extra = study._run()
    timings["solve"] = result.wall_seconds
    graph = build_network(instance)
    return study._finish(instance, graph, link.model, result, extra, timings, False, None, True, lambda stage: None)
