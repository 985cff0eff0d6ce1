"""The peer: the benchmark's LP written with linopy (the layer PyPSA uses) and solved by HiGHS.

Same variables, rows and costs as ``floor.py``, stated the way a linopy user would: labelled
xarray dimensions and one vectorised expression per constraint family. A benchmark-only
dependency (``pip install -e '.[bench]'``).

    python benchmarks/peer.py 800k
"""

from __future__ import annotations

import sys
import time
import warnings

import linopy
import numpy as np
import pandas as pd
import xarray as xr

from benchmarks.generate import SIZES, Spec, shock


def peer_model(spec: Spec, shocked: bool = False) -> tuple[linopy.Model, float]:
    warnings.filterwarnings("ignore", module="linopy")
    d = shock(spec.data()) if shocked else spec.data()
    R, C, T = spec.regions, spec.commodities, spec.periods
    region = pd.RangeIndex(R, name="region")
    origin = pd.RangeIndex(R, name="origin")
    commodity = pd.RangeIndex(C, name="commodity")
    period = pd.RangeIndex(T, name="period")
    m = linopy.Model()

    capacity = xr.DataArray(d["capacity"], coords=[region, commodity]).broadcast_like(
        xr.DataArray(np.zeros(T), coords=[period])
    )
    z = m.add_variables(lower=0, upper=capacity, name="activity")
    link = xr.DataArray(~np.eye(R, dtype=bool), coords=[origin, region])
    f = m.add_variables(lower=0, coords=[commodity, origin, region, period], name="trade", mask=link)
    demand = xr.DataArray(d["demand"], coords=[region, period])
    s = m.add_variables(lower=0, upper=demand, name="delivery")
    w = m.add_variables(lower=0, coords=[region, commodity, period], name="disposal")

    yields = xr.DataArray(d["yield"], coords=[commodity])
    made = z * yields
    used = z.shift(commodity=-1)  # p_{j+1} consumes c_j
    arrived = f.sum("origin")
    shipped = f.rename(origin="o", region="d").sum("d").rename(o="region")
    last = xr.DataArray(np.arange(C) == C - 1, coords=[commodity])
    m.add_constraints(made - used + arrived - shipped - s * last - w == 0, name="balance")

    trade_cost = xr.DataArray(d["trade_cost"], coords=[commodity, origin, region])
    process_cost = xr.DataArray(d["process_cost"], coords=[region, commodity])
    m.add_objective((process_cost * z).sum() + (trade_cost * f).sum() - d["penalty"] * s.sum())
    offset = float(d["penalty"] * d["demand"].sum())
    return m, offset


def solve_peer(spec: Spec, shocked: bool = False) -> tuple[float, float, float]:
    """(objective, seconds to build, seconds to solve including linopy's hand-over to HiGHS)."""
    started = time.perf_counter()
    model, offset = peer_model(spec, shocked)
    built = time.perf_counter()
    model.solve(solver_name="highs", io_api="direct", output_flag=False)
    solved = time.perf_counter()
    return float(model.objective.value) + offset, built - started, solved - built


if __name__ == "__main__":
    objective, build, solve = solve_peer(SIZES[sys.argv[1]], shocked="--shock" in sys.argv)
    print(f"objective {objective:.10g} build {build:.3f} s solve {solve:.3f} s")
