"""Full production cost per tonne of every product, accumulated through the chain by mass.

The cost-accounting twin of sourcing: a process's outputs carry, per tonne, its own costs (system,
energy, auxiliary materials, waste management, capex) plus the full cost of its rare-earth inputs,
shared over its rare-earth outputs by mass (joint costs allocated by mass: a tonne of cerium carries
what a tonne of neodymium does); a commodity node's tonne carries the mass-weighted cost of what
flows in, an import the exporter's cost plus transport and tariffs. One sparse linear system, all
periods at once:

.. math::  u_n = \\sum_m M_{nm} u_m + b_n

Unlike marginal values, these are averages of what was spent, the "production cost per tonne" of
an MFCA study.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from optimizer.analysis.flows import ZERO, NodeIndex, process_flows
from optimizer.instance.chain import bears_rare_earth
from optimizer.solution import Solution

PROCESS_COSTS = ("system", "energy", "material", "waste", "capex")


def process_unit_costs(solution: Solution) -> pd.DataFrame:
    """Per process, region and period: rare-earth output (t) and full cost per tonne of it."""
    instance = solution.instance
    flows = process_flows(solution)
    flows = flows[flows["rare_earth"]]
    trade = solution["trade"]
    trade = trade[bears_rare_earth(instance, trade["commodity"])]
    ledger = solution["costs"]
    own = (
        ledger[ledger["category"].isin(PROCESS_COSTS) & ledger["process"].notna()]
        .groupby(["process", "region", "period"])["amount"]
        .sum()
    )

    outputs = flows[flows["direction"] == "out"]
    inputs = flows[flows["direction"] == "in"]
    out_mass = outputs.groupby(["process", "region", "period"])["tonnes"].sum()
    processes = out_mass.index.to_frame(index=False)
    commodity_nodes = pd.concat(
        [
            outputs[["region", "commodity", "period"]],
            inputs[["region", "commodity", "period"]],
            trade[["origin", "commodity", "period"]].set_axis(["region", "commodity", "period"], axis=1),
            trade[["destination", "commodity", "period"]].set_axis(["region", "commodity", "period"], axis=1),
        ]
    ).drop_duplicates()
    nodes = NodeIndex(("c", commodity_nodes), ("p", processes[["region", "process", "period"]]))
    locate = nodes.locate

    n = len(nodes)
    # commodity nodes: inflow-weighted costs of producing processes and of imports (+ transport)
    into = np.r_[
        locate("c", outputs["region"], outputs["commodity"], outputs["period"]),
        locate("c", trade["destination"], trade["commodity"], trade["period"]),
    ]
    inflow = np.bincount(into, weights=np.r_[outputs["tonnes"].to_numpy(), trade["arrived"].to_numpy()], minlength=n)
    share = np.divide(1.0, inflow, out=np.zeros(n), where=inflow > ZERO)
    rows = [
        locate("c", outputs["region"], outputs["commodity"], outputs["period"]),
        locate("c", trade["destination"], trade["commodity"], trade["period"]),
    ]
    cols = [
        locate("p", outputs["region"], outputs["process"], outputs["period"]),
        locate("c", trade["origin"], trade["commodity"], trade["period"]),
    ]
    values = [outputs["tonnes"].to_numpy() * share[rows[0]], trade["shipped"].to_numpy() * share[rows[1]]]
    direct = np.zeros(n)
    np.add.at(direct, rows[1], trade["cost"].to_numpy() * share[rows[1]])
    # process nodes: (own cost + inputs at their full cost) per tonne of rare-earth output
    per_output = 1.0 / out_mass
    at = locate("p", inputs["region"], inputs["process"], inputs["period"])
    rows.append(at)
    cols.append(locate("c", inputs["region"], inputs["commodity"], inputs["period"]))
    values.append(
        inputs["tonnes"].to_numpy()
        * per_output.reindex(pd.MultiIndex.from_frame(inputs[["process", "region", "period"]])).to_numpy()
    )
    process_rows = locate("p", processes["region"], processes["process"], processes["period"])
    direct[process_rows] += own.reindex(out_mass.index, fill_value=0.0).to_numpy() * per_output.to_numpy()
    mixing = sp.csc_array((np.concatenate(values), (np.concatenate(rows), np.concatenate(cols))), shape=(n, n))
    costs = spla.spsolve((sp.identity(n, format="csc") - mixing).tocsc(), direct)
    return processes.assign(output=out_mass.to_numpy(), cost_per_t=np.asarray(costs)[process_rows])
