"""Early-build plans: read from a solution, fixed in a scenario's program, and scored by a risk measure.

A plan is a table of the builds commissioned before the decision year (``process``, ``region``,
``period``, ``built`` in t/yr of new capacity). Committing to it in a scenario fixes those build
columns at the plan's values (zero where the plan builds nothing) and leaves every later build
and all operation free: the scenario's best recourse to the plan.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
import pandas as pd

from optimizer.hedge.extensive_form import CVaR, early_builds
from optimizer.model import Model

PLAN_COLUMNS = ["process", "region", "period", "built"]
KEYS = ["process", "region", "period"]


def plan_from_solution(solution, decide_until: int) -> pd.DataFrame:
    """The early builds of a solved scenario (its ``builds`` table before ``decide_until``)."""
    builds = solution.tables.get("builds", pd.DataFrame(columns=PLAN_COLUMNS))
    plan = builds[builds["period"] < decide_until]
    return plan[PLAN_COLUMNS].sort_values(KEYS).reset_index(drop=True)


def plan_from_x(model: Model, x: np.ndarray, decide_until: int) -> pd.DataFrame:
    """The early builds of a solution vector ``x`` of ``model``'s program (non-zero ones only)."""
    early = early_builds(model, decide_until)
    built = x[early["column"].to_numpy()] * early["unit"].to_numpy()
    plan = early.assign(built=np.where(np.abs(built) < 1e-9, 0.0, built))
    return plan.loc[plan["built"] > 0, PLAN_COLUMNS].sort_values(KEYS).reset_index(drop=True)


def commit(plan: pd.DataFrame, decide_until: int) -> Callable[[Model], Model]:
    """A ``restrict`` for :meth:`optimizer.study.Study.solve_instance`: the early builds fixed at the plan.

    Builds the plan makes are fixed at its value even past the scenario's own build limit or total
    build cap (the capacity was ordered before that limit was known; the cap is raised to what the
    plan ordered); builds of the plan that the scenario's model lacks cannot be made there and are
    left out.
    """

    def restrict(model: Model) -> Model:
        early = early_builds(model, decide_until).merge(plan, on=KEYS, how="left")
        value = early["built"].fillna(0.0).to_numpy() / early["unit"].to_numpy()
        columns = early["column"].to_numpy()
        lp = model.lp
        value = np.where(lp.integer[columns], np.round(value), value)
        lower, upper = lp.col_lower.copy(), lp.col_upper.copy()
        lower[columns] = upper[columns] = value
        row_upper = lp.row_upper.copy()
        if "build_total" in lp.rows:  # a total cap, too, holds the ordered capacity (later builds fill the rest)
            ids = lp.rows["build_total"].ids
            committed = lp.matrix.tocsr()[ids][:, columns] @ value
            row_upper[ids] = np.maximum(row_upper[ids], committed)
        lp = dataclasses.replace(lp, col_lower=lower, col_upper=upper, row_upper=row_upper)
        return dataclasses.replace(model, lp=lp)

    return restrict


def plan_key(plan: pd.DataFrame) -> tuple:
    """Plans with the same builds (to 1e-6 t/yr) share a key, so each is evaluated once."""
    rounded = plan.assign(built=plan["built"].round(6))
    return tuple(map(tuple, rounded[PLAN_COLUMNS].itertuples(index=False)))


def conditional_value_at_risk(costs: np.ndarray, probabilities: np.ndarray, alpha: float) -> float:
    """``CVaR_α = min_η η + 1/(1−α)·Σ π_s·max(0, cost_s − η)``: the mean of the worst (1−α) of the
    probability mass. The minimum over η of this piecewise-linear function lies at one of the costs.

    >>> conditional_value_at_risk(np.array([10.0, 20.0]), np.array([0.5, 0.5]), 0.5)
    20.0
    """
    if not np.all(np.isfinite(costs)):
        return float("inf")
    return float(min(eta + np.sum(probabilities * np.maximum(0.0, costs - eta)) / (1.0 - alpha) for eta in costs))


def risk_objective(costs: np.ndarray, probabilities: np.ndarray, cvar: CVaR | None) -> float:
    """What the stochastic programme minimises: ``Σ π_s·cost_s`` (+ ``λ·CVaR_α`` when asked)."""
    costs = np.asarray(costs, dtype=float)
    if not np.all(np.isfinite(costs)):
        return float("inf")
    expected = float(np.sum(probabilities * costs))
    if cvar is None or cvar.weight == 0:
        return expected
    return expected + cvar.weight * conditional_value_at_risk(costs, probabilities, cvar.alpha)
