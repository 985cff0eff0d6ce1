"""The stochastic build-out of FORMULATION.md E4, solved and scored: RP, WS, EVPI, EEV and VSS.

Steps, for scenarios s with probabilities π_s and a decision year T*:

1. each scenario's own optimum (the wait-and-see solutions, one solve each);
2. the extensive form (:mod:`optimizer.hedge.extensive_form`): one program, the builds before T*
   shared; its early builds are the **hedged plan**;
3. every plan — the hedged one and each scenario b's own early builds — committed to in every
   scenario, the rest re-optimised (:func:`optimizer.hedge.plans.commit`): the regret table.

All figures are values of the programme's objective F: the expected cost ``Σ π_s·cost_s``, plus
``λ·CVaR_α(cost)`` when a CVaR weight is given (so EVPI ≥ 0 and VSS ≥ 0 hold for either, F being
monotone in each scenario's cost):

* RP = F(cost of the hedged plan in each scenario), the optimum of the extensive form (the
  re-optimised recourse is each scenario's part of that optimum, so the two agree to the solver's
  tolerance; ``extensive_form.objective`` keeps the extensive form's own figure);
* WS = F(each scenario's own optimum); EVPI = RP − WS;
* EEV_b = F(cost of b's plan in each scenario); VSS_b = EEV_b − RP, infinite when b's plan leaves
  some scenario infeasible (hard demand).

The hedge minimises cost: an instance with the value objective is solved with the cost objective.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from optimizer.errors import InputError
from optimizer.hedge.extensive_form import CVaR, ExtensiveForm, build_extensive_form
from optimizer.hedge.plans import (
    PLAN_COLUMNS,
    commit,
    conditional_value_at_risk,
    plan_from_solution,
    plan_from_x,
    plan_key,
    risk_objective,
)
from optimizer.hedge.weights import check_cvar, check_decide_until, check_scenarios
from optimizer.instance import Instance
from optimizer.model import build_model
from optimizer.solution import Solution
from optimizer.solver import HighsSolver, SolveOptions
from optimizer.study import Study

HEDGED = "hedged"
Progress = Callable[[str], None]


@dataclass
class HedgeResult:
    """A solved stochastic build-out: summary.json's content and its tables.

    ``builds``: the hedged early builds (PLAN_COLUMNS); ``plans``: every plan's early builds with a
    ``plan`` column (``hedged``, then each scenario's own); ``regret``: every plan in every scenario
    (plan, scenario, probability, status, cost, own_optimum, regret); ``solutions``: each scenario's
    full solution under the hedged plan.
    """

    summary: dict
    builds: pd.DataFrame
    plans: pd.DataFrame
    regret: pd.DataFrame
    solutions: dict[str, Solution] = field(default_factory=dict)


def hedge(
    instance: str | Path | Instance,
    scenarios: Sequence[tuple[str, float]],
    *,
    decide_until: int | None = None,
    cvar: tuple[float, float] | None = None,
    mip_gap: float | None = None,
    time_limit: float | None = None,
    progress: Progress | None = None,
) -> HedgeResult:
    """Solve the stochastic build-out (module docstring) of ``scenarios`` as (name, probability) pairs.

    ``decide_until``: builds commissioned before this year are decided now, for all scenarios
    (default: the second period, i.e. only the first period's builds). ``cvar``: (α, λ).
    Raises :class:`~optimizer.errors.InputError` for bad probabilities, scenarios whose periods differ
    from the instance's, a scenario infeasible even on its own, or a decision year outside the horizon.
    """
    step = progress or (lambda stage: None)
    names, pi = check_scenarios(scenarios)
    risk = CVaR(*check_cvar(cvar)) if cvar is not None else None
    study = Study(instance, objective="cost", mip_gap=mip_gap, time_limit=time_limit)
    base = study.base
    instances = [study.instance(name) for name in names]
    labels = [inst.scenario for inst in instances]
    if len(set(labels)) < len(labels):
        raise InputError(f"the scenarios {', '.join(labels)} repeat a name: give each scenario once")
    for label, inst in zip(labels, instances, strict=True):
        if tuple(inst.periods) != tuple(base.periods) or tuple(inst.period_lengths) != tuple(base.period_lengths):
            raise InputError(
                f"scenario {label} has periods {list(inst.periods)}, the instance {list(base.periods)}: "
                "the scenarios of a hedge must share the instance's periods"
            )
    year = check_decide_until(decide_until, base.periods)

    step("Solving each scenario on its own")
    own = []
    for label, inst in zip(labels, instances, strict=True):
        solution = study.solve_instance(inst, accounts=False)
        if solution.status != "optimal" and not (solution.status == "time_limit" and solution.tables):
            raise InputError(
                f"scenario {label} is {solution.status} on its own: every scenario of a hedge must be solvable "
                f"(run `reeopt solve {base.name} -s {label}` for its diagnosis)"
            )
        own.append(solution)
    own_costs = np.array([solution.objective for solution in own])

    step("Solving the extensive form")
    models = [build_model(inst, "cost") for inst in instances]
    ef, ef_record, hedged_plan = _solve_extensive_form(models, labels, pi, year, risk, study.options)
    plans = {HEDGED: hedged_plan} | {
        f"own:{label}": plan_from_solution(solution, year) for label, solution in zip(labels, own, strict=True)
    }
    if risk is not None and risk.weight > 0:
        step("Solving the risk-neutral extensive form")
        _, neutral_record, neutral_plan = _solve_extensive_form(models, labels, pi, year, None, study.options)
        plans["risk_neutral"] = neutral_plan

    step("Committing to each plan in each scenario")
    regret, solutions = _regret_table(study, instances, labels, pi, plans, own_costs, year, step)
    costs = {plan: regret.loc[regret["plan"] == plan, "cost"].to_numpy() for plan in plans}
    rp = risk_objective(costs[HEDGED], pi, risk)
    ws = risk_objective(own_costs, pi, risk)
    eev = {label: risk_objective(costs[f"own:{label}"], pi, risk) for label in labels}
    summary = {
        "instance": base.name,
        "currency": base.currency,
        "periods": list(base.periods),
        "scenarios": labels,
        "probabilities": dict(zip(labels, pi.tolist(), strict=True)),
        "decide_until": year,
        "objective": "expected cost" + (" + weight * CVaR_alpha(cost)" if risk is not None else ""),
        "rp": rp,
        "ws": ws,
        "evpi": rp - ws,
        "eev": {label: _number(value) for label, value in eev.items()},
        "vss": {label: _number(value - rp) for label, value in eev.items()},
        "hedged_costs": dict(zip(labels, costs[HEDGED].tolist(), strict=True)),
        "own_optima": dict(zip(labels, own_costs.tolist(), strict=True)),
        "hedged_builds_tonnes": float(hedged_plan["built"].sum()),
        "extensive_form": ef_record,
        "notes": _notes(eev, ef_record),
    }
    if risk is not None:
        summary["cvar"] = _cvar_details(risk, pi, costs, ef, ef_record)
        if risk.weight > 0:
            summary["cvar"]["risk_neutral"]["extensive_form_objective"] = neutral_record["objective"]
    plan_table = pd.concat(
        [plan.assign(plan=name)[["plan", *PLAN_COLUMNS]] for name, plan in plans.items()], ignore_index=True
    )
    return HedgeResult(summary=summary, builds=hedged_plan, plans=plan_table, regret=regret, solutions=solutions)


def _solve_extensive_form(models, labels, pi, year, risk, options: SolveOptions):
    started = time.perf_counter()
    ef = build_extensive_form(models, labels, pi, year, risk)
    build_seconds = time.perf_counter() - started
    result = HighsSolver(ef.lp, options).solve()
    if not result.has_solution:
        raise InputError(f"the extensive form is {result.status}: no plan serves every scenario")
    record = {
        "status": result.status,
        "objective": result.objective,
        "n_variables": ef.lp.n_cols,
        "n_constraints": ef.lp.n_rows,
        "n_nonzeros": ef.lp.nnz,
        "n_integer_variables": int(ef.lp.integer.sum()),
        "n_nonanticipativity_rows": ef.lp.rows["nonanticipativity"].size,
        "mip_gap": result.mip_gap,
        "build_seconds": round(build_seconds, 4),
        "solve_seconds": round(result.wall_seconds, 4),
        "scenario_costs": {label: ef.scenario_cost(result.x, models, s) for s, label in enumerate(labels)},
    }
    if risk is not None:
        record["value_at_risk"] = float(result.x[ef.lp.columns["cvar_threshold"].start])
    return ef, record, plan_from_x(models[0], ef.scenario_x(result.x, 0), year)


def _regret_table(study, instances, labels, pi, plans, own_costs, year, step):
    """Every plan committed to in every scenario; a plan equal to one already evaluated is not re-solved."""
    rows, solutions, done = [], {}, {}
    for name, plan in plans.items():
        key = plan_key(plan)
        for s, (label, inst) in enumerate(zip(labels, instances, strict=True)):
            hedged = name == HEDGED
            if (key, s) in done and not hedged:
                status, cost = done[(key, s)]
            else:
                step(f"Plan {name} in scenario {label}")
                solution = study.solve_instance(inst, accounts=hedged, restrict=commit(plan, year))
                status = solution.status
                feasible = solution.status == "optimal" or (status == "time_limit" and bool(solution.tables))
                cost = solution.objective if feasible else math.inf
                done[(key, s)] = (status, cost)
                if hedged:
                    solution.summary["hedge"] = {"plan": HEDGED, "decide_until": year, "probability": pi[s]}
                    solutions[label] = solution
            rows.append(
                {
                    "plan": name,
                    "scenario": label,
                    "probability": pi[s],
                    "status": status,
                    "cost": cost,
                    "own_optimum": own_costs[s],
                    "regret": cost - own_costs[s],
                }
            )
    return pd.DataFrame(rows), solutions


def _cvar_details(risk: CVaR, pi, costs: dict, ef: ExtensiveForm, record: dict) -> dict:
    def describe(values: np.ndarray) -> dict:
        return {
            "expected_cost": float(np.sum(pi * values)),
            "cvar": conditional_value_at_risk(values, pi, risk.alpha),
            "worst_cost": float(np.max(values)),
            "costs": dict(zip(ef.scenarios, values.tolist(), strict=True)),
        }

    details = {"alpha": risk.alpha, "weight": risk.weight, "value_at_risk": record["value_at_risk"]}
    details["hedged"] = describe(costs[HEDGED])
    details["risk_neutral"] = describe(costs.get("risk_neutral", costs[HEDGED]))
    return details


def _number(value: float) -> float | str:
    """JSON has no infinity: an infinite EEV or VSS is written as the string ``"inf"``."""
    return value if math.isfinite(value) else "inf"


def _notes(eev: dict, record: dict) -> list[str]:
    notes = []
    infinite = [label for label, value in eev.items() if not math.isfinite(value)]
    if infinite:
        notes.append(
            f'EEV and VSS of {", ".join(infinite)} are "inf": that scenario\'s early builds leave some '
            "scenario infeasible (hard demand)"
        )
    if record["n_integer_variables"]:
        notes.append(
            f"lumpy builds: the extensive form is a MIP solved to a relative gap of {record['mip_gap']:.2g}; "
            "RP, WS, EEV and VSS are exact only to the gaps of their solves"
        )
    return notes
