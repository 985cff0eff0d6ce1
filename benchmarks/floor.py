"""The floor: the benchmark's LP assembled with numpy from its spec and handed straight to highspy.

Built independently of reeopt's model code, with the same variables and rows (activity, trade,
delivery, disposal; one balance per region, commodity and period) and solved with the same (default)
HiGHS options, so its time is what any modelling layer must add to.

    python benchmarks/floor.py 800k
"""

from __future__ import annotations

import sys
import time

import highspy
import numpy as np
import scipy.sparse as sp

from benchmarks.generate import SIZES, Spec, shock


def floor_lp(spec: Spec, shocked: bool = False) -> dict:
    """Column costs and bounds, row bounds and the CSC matrix of the benchmark LP."""
    d = shock(spec.data()) if shocked else spec.data()
    R, C, T = spec.regions, spec.commodities, spec.periods
    node = np.arange(R * C * T).reshape(R, C, T)
    rows, cols, vals, cost, upper = [], [], [], [], []
    start = 0

    # activity z[r, j, t]: p0 makes c0; p_j turns 1 t of c_{j-1} into yield_j t of c_j
    r, j, t = (a.ravel() for a in np.meshgrid(np.arange(R), np.arange(C), np.arange(T), indexing="ij"))
    z = start + np.arange(r.size)
    rows += [node[r, j, t]]
    cols += [z]
    vals += [d["yield"][j]]
    later = j > 0
    rows += [node[r[later], j[later] - 1, t[later]]]
    cols += [z[later]]
    vals += [-np.ones(later.sum())]
    cost += [d["process_cost"][r, j]]
    upper += [d["capacity"][r, j]]
    start += r.size

    # trade f[c, o, d, t] on every pair o != d
    c, o, k, t = (a.ravel() for a in np.meshgrid(np.arange(C), np.arange(R), np.arange(R), np.arange(T), indexing="ij"))
    link = o != k
    c, o, k, t = c[link], o[link], k[link], t[link]
    f = start + np.arange(c.size)
    rows += [node[o, c, t], node[k, c, t]]
    cols += [f, f]
    vals += [-np.ones(c.size), np.ones(c.size)]
    cost += [d["trade_cost"][c, o, k]]
    upper += [np.full(c.size, np.inf)]
    start += c.size

    # delivery s[r, t] of the last commodity, 0 <= s <= demand, unmet penalised
    r, t = (a.ravel() for a in np.meshgrid(np.arange(R), np.arange(T), indexing="ij"))
    s = start + np.arange(r.size)
    rows += [node[r, C - 1, t]]
    cols += [s]
    vals += [-np.ones(r.size)]
    cost += [np.full(r.size, -d["penalty"])]
    upper += [d["demand"][r, t]]
    offset = float(d["penalty"] * d["demand"].sum())
    start += r.size

    # disposal w[r, c, t] at every node
    w = start + np.arange(node.size)
    rows += [node.ravel()]
    cols += [w]
    vals += [-np.ones(node.size)]
    cost += [np.zeros(node.size)]
    upper += [np.full(node.size, np.inf)]
    start += node.size

    matrix = sp.csc_array(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(node.size, start)
    )
    return {
        "cost": np.concatenate(cost),
        "lower": np.zeros(start),
        "upper": np.concatenate(upper),
        "row_lower": np.zeros(node.size),
        "row_upper": np.zeros(node.size),
        "matrix": matrix,
        "offset": offset,
    }


def solve_floor(spec: Spec, shocked: bool = False) -> tuple[float, float, float]:
    """(objective, seconds to assemble, seconds in HiGHS)."""
    started = time.perf_counter()
    lp = floor_lp(spec, shocked)
    m = lp["matrix"]
    highs = highspy.Highs()
    highs.silent()
    highs.passModel(
        m.shape[1],
        m.shape[0],
        m.nnz,
        int(highspy.MatrixFormat.kColwise),
        int(highspy.ObjSense.kMinimize),
        lp["offset"],
        lp["cost"],
        lp["lower"],
        lp["upper"],
        lp["row_lower"],
        lp["row_upper"],
        m.indptr.astype(np.int32),
        m.indices.astype(np.int32),
        m.data,
        np.zeros(m.shape[1], np.int32),
    )
    assembled = time.perf_counter()
    highs.run()
    solved = time.perf_counter()
    return highs.getInfo().objective_function_value, assembled - started, solved - assembled


if __name__ == "__main__":
    objective, build, solve = solve_floor(SIZES[sys.argv[1]], shocked="--shock" in sys.argv)
    print(f"objective {objective:.10g} build {build:.3f} s solve {solve:.3f} s")
