"""Which uncertain inputs matter: Morris screening or Sobol indices (SALib) over a sweep's inputs.

Each input of the uncertainty spec ranges over its distribution's support (normal: mean ± 2 sd;
an event over [0, 1], firing at 0.5 and above); SALib designs the samples, the sweep machinery
solves them (on Dask when asked), and SALib analyses each output: Morris ``mu_star`` (the mean
absolute elementary effect) and ``sigma`` (its spread: interactions, non-linearity), or Sobol
first-order ``S1`` and total ``ST`` indices. Inputs are ranked per output.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from SALib.analyze import morris as morris_analysis
from SALib.analyze import sobol as sobol_analysis
from SALib.sample import morris as morris_design
from SALib.sample import sobol as sobol_design

from optimizer.sweep import run_samples
from optimizer.uncertainty import UncertaintySpec

METHODS = ("morris", "sobol")


def problem(spec: UncertaintySpec) -> dict:
    return {"num_vars": len(spec.inputs), "names": spec.names, "bounds": [list(i.bounds()) for i in spec.inputs]}


def design(spec: UncertaintySpec, method: str, samples: int, seed: int) -> np.ndarray:
    """SALib's sample matrix: ``samples`` trajectories (Morris) or base samples (Sobol, a power of 2)."""
    if method == "morris":
        return morris_design.sample(problem(spec), samples, num_levels=4, seed=seed)
    return sobol_design.sample(problem(spec), samples, calc_second_order=False, seed=seed)


def sensitivity(
    folder: Path,
    scenario: str | None,
    spec: UncertaintySpec,
    method: str,
    samples: int,
    outputs: list[str],
    regions: list[str],
    workers: int = 0,
    scheduler: str | None = None,
    seed: int = 0,
    progress=None,
    exact: bool = False,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(ranking per output and input, the solved samples)."""
    matrix = design(spec, method, samples, seed)
    frame = pd.DataFrame(matrix, columns=spec.names)
    frame.insert(0, "sample", np.arange(len(frame)))
    results = run_samples(folder, scenario, spec, frame, regions, workers, scheduler, progress, exact)
    rows = []
    for output in outputs:
        if output not in results:
            continue
        values = pd.to_numeric(results[output], errors="coerce").to_numpy(dtype=float)
        if np.isnan(values).all():
            continue
        values = np.where(np.isnan(values), np.nanmean(values), values)  # a failed sample leaves its mean
        if method == "morris":
            found = morris_analysis.analyze(problem(spec), matrix, values, num_levels=4, seed=seed)
            for position, name in enumerate(spec.names):
                rows.append(
                    {
                        "output": output,
                        "input": name,
                        "mu_star": float(found["mu_star"][position]),
                        "sigma": float(found["sigma"][position]),
                    }
                )
        else:
            found = sobol_analysis.analyze(problem(spec), values, calc_second_order=False, seed=seed)
            for position, name in enumerate(spec.names):
                rows.append(
                    {
                        "output": output,
                        "input": name,
                        "S1": float(found["S1"][position]),
                        "ST": float(found["ST"][position]),
                    }
                )
    table = pd.DataFrame(rows)
    if not table.empty:
        key = "mu_star" if method == "morris" else "ST"
        table["rank"] = table.groupby("output")[key].rank(ascending=False, method="first").astype(int)
        table = table.sort_values(["output", "rank"]).reset_index(drop=True)
    return table, results
