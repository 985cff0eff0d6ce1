"""Many runs over uncertain inputs, as API functions: Monte Carlo sweeps and sensitivity rankings.

Both draw the inputs of a spec (``--vary SPEC.yaml`` or the instance's ``uncertainty.yaml``, see
:mod:`optimizer.uncertainty`) around a base that solves, and run on Dask (:mod:`optimizer.sweep`).
``optimizer.api.sweep`` and ``optimizer.api.sensitivity`` are these functions.
"""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd

from optimizer.arguments import check_count
from optimizer.errors import InputError
from optimizer.instance import Instance
from optimizer.loading import load
from optimizer.study import Study


def _sweep_setup(instance, scenario, vary):
    """The instance, its spec (``--vary`` or the instance's uncertainty.yaml) and the main demand regions."""
    from optimizer.analysis.compare import main_demand_regions
    from optimizer.uncertainty import check_spec, default_spec_path, load_spec

    base = load(instance, scenario)
    path = Path(vary) if vary is not None else default_spec_path(base)
    if path is None:
        raise InputError(f"{base.name} has no uncertainty.yaml: name a spec with --vary SPEC.yaml")
    spec = load_spec(path)
    check_spec(base, spec)
    # only feasibility and the demand regions are read: the engine without a Pyomo model to build
    reference = Study(base, engine="arrays").solve(accounts=False)
    if not reference.tables:
        raise InputError(f"the base of the sweep is {reference.status}: sample around a feasible instance")
    from optimizer.analysis.sourcing import sourcing_tables

    reference.tables["sourcing"] = sourcing_tables(reference, stages=False)[0]
    return base, spec, main_demand_regions(reference)


def sweep(
    instance: str | Path | Instance,
    samples: int,
    *,
    scenario: str | None = None,
    vary: str | Path | None = None,
    workers: int = 2,
    scheduler: str | None = None,
    seed: int = 0,
    progress=None,
    exact: bool = False,
) -> tuple[pd.DataFrame, dict]:
    """Monte Carlo over the spec's uncertain inputs: one row per sample, and a summary.

    >>> table, summary = sweep("toy", 4, workers=0, seed=1)
    >>> summary["optimal"], list(table.columns[:4])
    (4, ['sample', 'magnet_cost', 'light_mining_cost', 'trade_cost'])
    """
    from optimizer.sweep import run_samples, summarize
    from optimizer.uncertainty import draw

    check_count("samples", samples, 1)
    check_count("workers", workers, 0)
    base, spec, regions = _sweep_setup(instance, scenario, vary)
    started = time.perf_counter()
    table = run_samples(
        base.folder, scenario, spec, draw(spec, samples, seed), regions, workers, scheduler, progress, exact
    )
    summary = summarize(table, spec, time.perf_counter() - started)
    summary.update(
        instance=base.name,
        scenario=base.scenario,
        spec=str(spec.path),
        seed=seed,
        workers=workers,
        scheduler=scheduler,
        relaxed=not exact,
    )
    return table, summary


def sensitivity(
    instance: str | Path | Instance,
    method: str = "morris",
    *,
    samples: int = 10,
    outputs: list[str] | None = None,
    scenario: str | None = None,
    vary: str | Path | None = None,
    workers: int = 0,
    scheduler: str | None = None,
    seed: int = 0,
    progress=None,
    exact: bool = False,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rank the spec's inputs by their effect on the objective and on chosen outputs (SALib)."""
    from optimizer.analysis.sensitivity import METHODS
    from optimizer.analysis.sensitivity import sensitivity as analyse

    if method not in METHODS:
        raise InputError(f"--method must be one of {', '.join(METHODS)}, not '{method}'")
    base, spec, regions = _sweep_setup(instance, scenario, vary)
    wanted = ["objective", *(outputs or spec.outputs)]
    return analyse(
        base.folder,
        scenario,
        spec,
        method,
        samples,
        list(dict.fromkeys(wanted)),
        regions,
        workers,
        scheduler,
        seed,
        progress,
        exact,
    )
