"""Accounting mode: the flows of history (``observed.csv``) fixed, the accounts computed from them.

Every observed activity, shipment and delivery becomes a fixed column of the model; activities and
shipments that are not observed are fixed at zero; builds are off. What history did is not held to
the instance's capacities, reserves and quotas (mining above the quota happened), so those limits
are lifted and the run reports where history exceeded them. Deliveries not observed may take any
value up to demand, disposal takes the rest: the residual of the observed balance.

Marginal values cannot come from that LP: with every flow fixed, any price of a node is as good as
any other (HiGHS returns zeros). They come from a second LP, *the margin*: the observed flows are
lower bounds (history happened), capacities and quotas are lifted (history already went where it
went; the question is what a little more would cost), any route the instance offers may add flows
at its costs, and every node must supply a sliver (``EPSILON`` t) more than history did, from the
cheapest route or, failing every route, an emergency supply at a prohibitive price. Its duals are
therefore the *right* derivatives: the marginal production cost of one more tonne at each node
given where the system stood; a node whose surplus was disposed of is worth minus its disposal
cost. The flows, MFA and MFCA are always those of history.

When the observations do not balance (a node uses more than is produced and arrives) the run stops
before solving with a diagnosis that names each such node and the shortfall.
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np
import pandas as pd
import scipy.sparse as sp

from optimizer.analysis import add_accounts
from optimizer.analysis.study_figures import REGION, study_figures
from optimizer.diagnosis import Diagnosis
from optimizer.errors import InputError, Problem
from optimizer.instance import Instance
from optimizer.model import Model, build_model
from optimizer.registry import run_record
from optimizer.solution import Solution, make_solution
from optimizer.solver import HighsSolver, SolveOptions, SolverResult

TOLERANCE = 1e-6
EPSILON = 1e-3  # t/yr of extra withdrawal per node in the margin LP: above HiGHS's tolerances, far below flows


def observations(instance: Instance, problem: str, kinds: str) -> pd.DataFrame:
    """The instance's observed.csv table; an input error naming the file when it has no rows (``problem``
    says what needed them, ``kinds`` which rows would do)."""
    observed = instance.table("observed")
    if observed.empty:
        raise InputError(
            Problem(
                str(instance.folder / "observed.csv"),
                problem,
                expected=f"observed.csv with {kinds} rows (INTERFACE.md)",
            )
        )
    return observed


def account(instance: Instance) -> Solution:
    """Solve ``instance`` with its observed flows fixed; the solution carries ``summary["account"]``."""
    observed = observations(
        instance, "no observations: the accounting mode needs the historical flows", "activity, trade and delivered"
    )
    model = build_model(_fixed_demand(instance))
    fixed = _fix_observations(model, observed)
    started = time.perf_counter()
    history = HighsSolver(fixed, SolveOptions()).solve()
    if history.status != "optimal":
        solution = make_solution(dataclasses.replace(model, lp=fixed), history)
        solution.summary["mode"] = "account"
        solution.diagnosis = Diagnosis(status=history.status, conflict=_imbalances(model, fixed))
        solution.summary["diagnosis"] = solution.diagnosis.to_dict()
        return solution
    margin = HighsSolver(_margin(model, fixed, history.x), SolveOptions()).solve()
    n_cols, n_rows = model.lp.n_cols, model.lp.n_rows
    priced = dataclasses.replace(
        history,
        row_dual=margin.row_dual[:n_rows],
        col_dual=margin.col_dual[:n_cols],
        has_duals=margin.has_duals,
        duals_from="account_margin" if margin.has_duals else None,
    )
    solution = make_solution(dataclasses.replace(model, lp=fixed), priced)
    solution.summary["mode"] = "account"
    solution.summary["timings"] = {"solve": round(time.perf_counter() - started, 4)}
    add_accounts(solution)
    solution.summary["account"] = {
        "exceeded_limits": _exceeded(model, history),
        "marginal_values": "right derivatives at the observed flows (account margin)",
    }
    if REGION in instance.regions:
        solution.summary["headline"] = study_figures(solution, REGION)
    solution.summary["run"] = run_record(instance, {"mode": "account"})
    return solution


def _fixed_demand(instance: Instance) -> Instance:
    """History delivered what it delivered: demand curves (FORMULATION.md E1) play no part here."""
    demand = instance.tables["demand"]
    if "elasticity" not in demand or demand["elasticity"].isna().all():
        return instance
    return instance.replace(tables={**instance.tables, "demand": demand.assign(elasticity=np.nan)})


def _margin(model: Model, fixed, history: np.ndarray):
    """History as lower bounds, no capacity limits, every route open at its cost, and every node
    withdrawing ``EPSILON`` more (an emergency supply column per node keeps it feasible)."""
    lp = model.lp
    lower = np.zeros(lp.n_cols)
    upper = lp.col_upper.copy()
    for name in ("activity", "trade"):
        ids = lp.columns[name].ids
        lower[ids] = history[ids]
        upper[ids] = np.inf
    delivery = lp.columns["delivery"].ids
    lower[delivery] = upper[delivery] = fixed.col_upper[delivery]
    upper[lp.columns["build"].ids] = 0.0
    row_upper = fixed.row_upper.copy()  # capacity, reserve and quota rows already lifted
    balance = lp.rows["balance"]
    row_lower = lp.row_lower.copy()
    row_lower[balance.ids] += EPSILON
    row_upper[balance.ids] += EPSILON
    emergency = sp.csc_array(
        (np.ones(balance.size), (balance.ids, np.arange(balance.size))), shape=(lp.n_rows, balance.size)
    )
    prohibitive = 1e3 * max(1.0, float(np.abs(lp.col_cost).max()) / float(model.data.weight.min()))
    return dataclasses.replace(
        lp,
        matrix=sp.hstack([lp.matrix, emergency], format="csc"),
        col_cost=np.r_[lp.col_cost, np.full(balance.size, prohibitive * model.data.weight[balance.index["t"]])],
        col_lower=np.r_[lower, np.zeros(balance.size)],
        col_upper=np.r_[upper, np.full(balance.size, np.inf)],
        integer=np.zeros(lp.n_cols + balance.size, dtype=bool),
        row_lower=row_lower,
        row_upper=row_upper,
    )


def _fix_observations(model: Model, observed: pd.DataFrame):
    """The program with observed columns fixed, the others of their families at zero, limits lifted."""
    data, lp = model.data, model.lp
    lower, upper = lp.col_lower.copy(), lp.col_upper.copy()
    file = observed.attrs.get("file", "observed.csv")
    keys = {
        "activity": (["process", "region", "period"], {"p": data.process_names, "r": data.regions}),
        "trade": (
            ["commodity", "origin", "destination", "period"],
            {"c": data.commodities, "o": data.regions, "d": data.regions},
        ),
        "delivered": (["region", "commodity", "period"], {"r": data.regions, "c": data.commodities}),
    }
    family_of = {"activity": "activity", "trade": "trade", "delivered": "delivery"}
    problems = []
    for kind, (columns, lookup) in keys.items():
        family = lp.columns[family_of[kind]]
        index = family.index.copy()
        for code, names in lookup.items():
            index[{"p": "process", "r": "region", "c": "commodity", "o": "origin", "d": "destination"}[code]] = (
                names.to_numpy()[index[code].to_numpy()]
            )
        index["period"] = data.periods[index["t"].to_numpy()]
        index["col"] = family.ids
        rows = observed[observed["kind"] == kind].assign(period=lambda f: f["period"].astype(int))
        rows = rows.groupby(columns, as_index=False).agg(value=("value", "sum"), line=("line", "first"))
        matched = rows.merge(index[columns + ["col"]], on=columns, how="left")
        for line in matched.loc[matched["col"].isna(), "line"]:
            what = {
                "activity": "a process deployed in processes.csv",
                "trade": "a link opened in trade.csv",
                "delivered": "a demand row in demand.csv",
            }[kind]
            problems.append(
                Problem(file, f"this {kind} observation has no column in the model", int(line), expected=what)
            )
        matched = matched.dropna(subset=["col"])
        cols = matched["col"].to_numpy(dtype=np.int64)
        if kind == "delivered":
            lower[family.ids] = 0.0  # what was not observed is the residual, up to demand
            lower[cols] = upper[cols] = matched["value"].to_numpy()
        else:
            lower[family.ids] = upper[family.ids] = 0.0
            lower[cols] = upper[cols] = matched["value"].to_numpy()
    if problems:
        raise InputError(problems)
    build = lp.columns["build"]
    upper[build.ids] = 0.0
    row_upper = lp.row_upper.copy()
    for name in ("capacity", "reserve", "quota"):
        family = lp.rows[name]
        row_upper[family.start : family.stop] = np.inf
    return dataclasses.replace(
        lp, col_lower=lower, col_upper=upper, row_upper=row_upper, integer=np.zeros(lp.n_cols, dtype=bool)
    )


def _exceeded(model: Model, result: SolverResult) -> list[dict]:
    """Capacities and quotas of the instance that the observed flows went beyond."""
    data, lp = model.data, model.lp
    activity = lp.columns["activity"]
    capacity = data.processes["capacity"].to_numpy()
    done = result.x[activity.ids]
    over = done > capacity * (1 + TOLERANCE) + TOLERANCE
    found = [
        {
            "limit": "capacity",
            "process": str(data.process_names[p]),
            "region": str(data.regions[r]),
            "period": int(data.periods[t]),
            "limit_value": float(cap),
            "observed": float(value),
        }
        for p, r, t, cap, value in zip(
            activity.index["p"][over],
            activity.index["r"][over],
            activity.index["t"][over],
            capacity[over],
            done[over],
            strict=True,
        )
    ]
    quota = lp.rows["quota"]
    used = result.row_activity[quota.ids]
    over = used > data.quotas["limit"].to_numpy() * (1 + TOLERANCE) + TOLERANCE
    found += [
        {
            "limit": "quota",
            "quota": str(name),
            "period": int(data.periods[t]),
            "limit_value": float(limit),
            "observed": float(value),
        }
        for name, t, limit, value in zip(
            data.quotas["name"][over], data.quotas["t"][over], data.quotas["limit"][over], used[over], strict=True
        )
    ]
    return found


def _imbalances(model: Model, fixed) -> list[str]:
    """Nodes where the fixed observations take out more than they put in, worst first."""
    data = model.data
    balance = fixed.rows["balance"]
    block = fixed.matrix[balance.start : balance.stop].tocsr()
    columns = np.zeros(fixed.n_cols, dtype=bool)
    for name in ("activity", "trade"):
        columns[fixed.columns[name].ids] = True
    delivered = fixed.columns["delivery"].ids
    columns[delivered] = fixed.col_lower[delivered] > 0
    flows = np.where(columns, fixed.col_lower, 0.0)  # the fixed values
    net = block @ flows - fixed.row_lower[balance.ids]
    short = np.flatnonzero(net < -TOLERANCE * np.maximum(1.0, np.abs(block).max(axis=1).toarray().ravel()))
    index = balance.index
    lines = []
    for row in short[np.argsort(net[short])][:25]:
        r, c, t = (int(index[k].iat[row]) for k in ("r", "c", "t"))
        lines.append(
            f"{data.commodities[c]} in {data.regions[r]}, {int(data.periods[t])}: the observed flows use "
            f"{-net[row]:.6g} t more than is produced and arrives"
        )
    return lines or ["the observed flows do not fit the model (see observed.csv)"]
