"""Sweeps: many sampled scenarios solved on Dask, each worker re-solving one live model.

``run_samples`` solves a table of samples (one row per sample, one column per uncertain input)
either in this process (``workers=0``) or on a Dask cluster: a ``LocalCluster`` of ``workers``
processes by default, or the cluster at ``scheduler``. Samples go out in chunks; each worker
process keeps one :class:`~optimizer.study.Study` per instance and scenario and re-solves it for
every sample of every chunk it receives (numbers change, the model stays). A sample that fails is
recorded with its reason and the sweep goes on. Models with lumpy builds are swept on their LP
relaxation unless ``exact``.

The result has one row per sample: the inputs drawn, status, reason, and the comparison columns of
``optimizer.analysis.compare`` (objective, costs, unmet demand, builds by region, sourcing shares of
the main demand regions, marginal values of the key products), plus yearly figures for fan charts
(``cost@YEAR`` and ``<marginal value output>@YEAR``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from optimizer.analysis.compare import comparison_row
from optimizer.analysis.sourcing import sourcing_tables
from optimizer.instance import load_instance
from optimizer.scenario import apply_changes, apply_scenario
from optimizer.uncertainty import UncertaintySpec, load_spec, sample_scenario

Progress = Callable[[int, int], None]
_STUDIES: dict = {}  # per worker process: one live model per (instance, scenario, spec, exact)


def solve_chunk(
    folder: str, scenario: str | None, spec_path: str, rows: list[dict], regions: list[str], exact: bool
) -> list[dict]:
    """Solve some samples on this process's live model; a failed sample becomes a row with its reason."""
    from optimizer.analysis.chokepoints import relaxed
    from optimizer.study import Study

    key = (folder, scenario, spec_path, exact)
    if key not in _STUDIES:
        base = load_instance(folder)
        base = apply_scenario(base, scenario) if scenario else base
        _STUDIES[key] = (Study(base), load_spec(Path(spec_path)))
    study, spec = _STUDIES[key]
    results = []
    for row in rows:
        record = dict(row)
        try:
            instance = apply_changes(study.base, [sample_scenario(spec, row, f"sample_{int(row['sample'])}")])
            solution = study.solve_instance(instance, accounts=False, restrict=None if exact else relaxed)
            if solution.tables:
                solution.tables["sourcing"] = sourcing_tables(solution, stages=False)[0]
            outcome = comparison_row(solution, regions)
            outcome.pop("scenario")
            record.update(outcome)
            if solution.tables:
                record.update(per_period(solution, spec))
            record["reason"] = (
                ""
                if solution.status == "optimal"
                else (solution.diagnosis.text().splitlines()[0] if solution.diagnosis else solution.status)
            )
        except Exception as error:  # noqa: BLE001 - one bad sample must not end a sweep of thousands
            record.update(status="error", reason=f"{type(error).__name__}: {error}")
        results.append(record)
    return results


def per_period(solution, spec: UncertaintySpec) -> dict:
    """Yearly figures for fan charts: total cost (``cost@YEAR``, undiscounted) and each marginal value
    the spec names as an output (``mv_Dy2O3_JP@YEAR``)."""
    ledger = solution["costs"]
    values = {
        f"cost@{period}": float(amount)
        for period, amount in ledger[ledger["category"] != "penalty"].groupby("period")["amount"].sum().items()
    }
    balance = solution["balance"].set_index(["commodity", "region", "period"])["marginal_value"]
    for output in spec.outputs:
        if not output.startswith("mv_"):
            continue
        commodity, _, region = output.removeprefix("mv_").rpartition("_")
        for period in solution.instance.periods:
            if (commodity, region, period) in balance.index:
                values[f"{output}@{period}"] = float(balance.loc[(commodity, region, period)])
    return values


def run_samples(
    folder: Path,
    scenario: str | None,
    spec: UncertaintySpec,
    samples: pd.DataFrame,
    regions: list[str],
    workers: int = 2,
    scheduler: str | None = None,
    progress: Progress | None = None,
    exact: bool = False,
) -> pd.DataFrame:
    """Solve every row of ``samples``; in order of ``sample`` whatever the order of completion."""
    rows = samples.to_dict("records")
    done = 0
    if workers == 0 and scheduler is None:
        results = []
        for row in rows:
            results += solve_chunk(str(folder), scenario, str(spec.path), [row], regions, exact)
            done += 1
            if progress:
                progress(done, len(rows))
        return _ordered(results)
    from dask.distributed import Client, LocalCluster, as_completed

    cluster = None
    if scheduler is None:
        cluster = LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0", silence_logs=40
        )
        client = Client(cluster)
    else:
        client = Client(scheduler)
    try:
        parallel = max(1, len(client.scheduler_info()["workers"]))
        chunks = guided_chunks(rows, parallel)
        futures = [
            client.submit(solve_chunk, str(folder), scenario, str(spec.path), chunk, regions, exact, pure=False)
            for chunk in chunks
        ]
        results = []
        for future in as_completed(futures):
            part = future.result()
            results += part
            done += len(part)
            if progress:
                progress(done, len(rows))
        return _ordered(results)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def guided_chunks(rows: list, parallel: int) -> list[list]:
    """``rows`` in chunks that shrink as the sweep goes (guided scheduling): each is half the rows left
    per worker, between 1/20 and 1/4 of a worker's share. A worker re-solves its live model for a
    whole chunk (few tasks for the scheduler, one round trip each, progress after each), and the
    last chunks are small, so no worker idles long while another finishes a large one.

    >>> [len(chunk) for chunk in guided_chunks(list(range(60)), 2)]
    [8, 8, 8, 8, 7, 6, 4, 3, 2, 2, 2, 2]
    """
    smallest = max(1, math.ceil(len(rows) / (parallel * 20)))
    largest = max(1, math.ceil(len(rows) / (parallel * 4)))
    chunks, start = [], 0
    while start < len(rows):
        size = max(smallest, min(largest, math.ceil((len(rows) - start) / (2 * parallel))))
        chunks.append(rows[start : start + size])
        start += size
    return chunks


def _ordered(results: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(results).sort_values("sample").reset_index(drop=True)


def summarize(results: pd.DataFrame, spec: UncertaintySpec, seconds: float) -> dict:
    """Quantiles of the outputs, how often each region builds, and the inputs that move the objective."""
    solved = results[results["status"] == "optimal"]
    outputs = [
        c
        for c in results.columns
        if c == "objective"
        or c.startswith(("mv_", "from_CN_", "domestic_"))
        or c in ("unmet_demand",)
        or c in spec.outputs
    ]
    quantiles = {}
    for column in dict.fromkeys(outputs):
        values = pd.to_numeric(solved[column], errors="coerce").dropna() if column in solved else pd.Series([])
        if not values.empty:
            quantiles[column] = {f"p{int(q * 100)}": float(values.quantile(q)) for q in (0.05, 0.25, 0.5, 0.75, 0.95)}
    builds = {
        c.removeprefix("built_"): float((solved[c].fillna(0) > 1e-6).mean())
        for c in results.columns
        if c.startswith("built_")
    }
    movers = []
    if len(solved) > 2:
        for name in spec.names:
            if solved[name].nunique() > 1:
                rho = solved[name].rank().corr(solved["objective"].rank())
                if not np.isnan(rho):
                    movers.append({"input": name, "spearman_rho": float(rho)})
    movers.sort(key=lambda m: -abs(m["spearman_rho"]))
    failed = results[results["status"] != "optimal"]
    return {
        "samples": int(len(results)),
        "optimal": int(len(solved)),
        "failed": int(len(failed)),
        "failures": failed[["sample", "status", "reason"]].head(20).to_dict("records"),
        "seconds": round(seconds, 2),
        "samples_per_second": round(len(results) / seconds, 3) if seconds else None,
        "quantiles": quantiles,
        "build_probability": builds,
        "objective_movers": movers,
    }
