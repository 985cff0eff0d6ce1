"""Near-optimal sourcing portfolios (modelling to generate alternatives).

One optimum hides how many nearly-as-cheap ways there are to supply the same demand. Here the cost
is held within ``slack`` of the optimum (``cost ≤ (1 + slack) · optimum``, a row added to the
program) and the objective replaced, in turn, by *where the rare earths come from*: for each main
demand region, the tonnes of rare-earth products it receives from China is minimised and then
maximised (for China itself, its imports). Instances without China use their largest miner in its
place. Each alternative is reported with its true cost and its traced sourcing, beside the optimum;
where builds are lumpy, the alternatives are solved on the LP relaxation.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import scipy.sparse as sp

from optimizer.analysis import add_accounts
from optimizer.analysis.compare import main_demand_regions
from optimizer.instance.chain import commodity_table
from optimizer.model import Model
from optimizer.model.lp import Family
from optimizer.solution import Solution, make_solution
from optimizer.solver import HighsSolver

CHINA = "CN"


def dominant_supplier(optimum: Solution) -> str:
    """China where the instance has it, else the region whose sources deliver the most."""
    if CHINA in optimum.instance.regions:
        return CHINA
    sourcing = optimum["sourcing"]
    mined = sourcing[sourcing["origin_kind"] != "stock"].groupby("origin_region")["tonnes"].sum()
    return str(mined.idxmax()) if not mined.empty else optimum.instance.regions[0]


def directions(model: Model, regions: list[str], supplier: str = CHINA) -> list[tuple[str, np.ndarray]]:
    """(label, objective vector) pairs: min and max of the supplier's arrivals in each region."""
    data, lp = model.data, model.lp
    trade = lp.columns["trade"]
    index = trade.index
    rare_earth = commodity_table(model.instance)["rare_earth"].reindex(data.commodities).to_numpy()
    carries = rare_earth[index["c"].to_numpy()]
    origin = data.regions.get_loc(supplier)
    found = []
    for region in regions:
        code = data.regions.get_loc(region)
        into = (index["d"].to_numpy() == code) & carries
        if region != supplier:
            into &= index["o"].to_numpy() == origin
        vector = np.zeros(lp.n_cols)
        vector[trade.ids[into]] = (1.0 - index["loss"].to_numpy()[into]) * data.weight[index["t"].to_numpy()[into]]
        if not vector.any():
            continue
        what = f"imports into {region}" if region == supplier else f"{supplier}-sourced supply of {region}"
        found += [(f"min {what}", vector), (f"max {what}", -vector)]
    return found


def with_budget(model: Model, slack: float, optimum: float) -> Model:
    """The program with its cost held to (1 + slack) × the optimum (an added row)."""
    lp = model.lp
    budget = (1.0 + slack) * optimum - lp.offset
    row = sp.csr_array(lp.col_cost.reshape(1, -1))
    rows = dict(lp.rows)
    rows["budget"] = Family("budget", lp.n_rows, pd.DataFrame({"slack": [slack]}))
    program = dataclasses.replace(
        lp,
        matrix=sp.vstack([lp.matrix, row], format="csc"),
        row_lower=np.r_[lp.row_lower, -np.inf],
        row_upper=np.r_[lp.row_upper, budget],
        rows=rows,
        integer=np.zeros(lp.n_cols, dtype=bool),
    )
    return dataclasses.replace(model, lp=program)


def alternatives(
    model: Model, optimum: Solution, slack: float, count: int, progress=None
) -> list[tuple[str, Solution]]:
    """Up to ``count`` alternatives within ``slack`` of the optimum's cost, each with its sourcing;
    ``progress(done, total)`` before each solve."""
    bounded = with_budget(model, slack, optimum.objective)
    found = []
    chosen = directions(model, main_demand_regions(optimum), dominant_supplier(optimum))[:count]
    for position, (label, vector) in enumerate(chosen):
        if progress:
            progress(position, len(chosen))
        program = dataclasses.replace(bounded.lp, col_cost=vector, offset=0.0)
        result = HighsSolver(program).solve()
        result = dataclasses.replace(
            result,
            has_duals=False,
            duals_from=None,
            row_dual=np.zeros(program.n_rows),
            col_dual=np.zeros(program.n_cols),
        )
        solution = make_solution(
            dataclasses.replace(
                model, lp=dataclasses.replace(model.lp, col_lower=program.col_lower, col_upper=program.col_upper)
            ),
            dataclasses.replace(
                result, row_activity=result.row_activity[: model.lp.n_rows], row_dual=result.row_dual[: model.lp.n_rows]
            ),
        )
        if solution.tables:
            solution.summary["objective"] = float((model.lp.col_cost * result.x).sum() + model.lp.offset)
            add_accounts(solution)
        solution.summary["alternative"] = {"direction": label, "slack": slack}
        solution.instance = solution.instance.replace(scenario=label.replace(" ", "_"))
        found.append((label, solution))
    return found
