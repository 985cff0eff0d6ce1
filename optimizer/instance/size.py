"""How big a model an instance asks for, from its raw tables, before anything is expanded.

``*`` in trade.csv and blank periods multiply rows: 5,000 regions and one ``*,*`` row are 25 million
links per period. The estimate counts what the expansion would make, row by row, without making it,
so that an instance too large for the machine is refused with the estimate (exit 2) instead of
growing to gigabytes and dying with MemoryError.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from optimizer.errors import InputError, Problem
from optimizer.instance.validate import WILDCARD

if TYPE_CHECKING:
    from optimizer.instance.instance import Instance

BYTES_PER_NONZERO = 1000  # measured ≈ 500-650 B per nonzero at 0.4-1.5M nonzeros (benchmarks/README.md)
BASE_BYTES = 200 * 2**20


def expanded_rows(frame, n_periods: int, multiplicity: np.ndarray | None = None) -> np.ndarray:
    """Rows per raw row once expanded: a blank period stands for every period (an upper bound: dated
    rows replace, not add to, the blank row's copies)."""
    per_row = np.where(frame["period"].isna().to_numpy(), n_periods, 1).astype(np.int64)
    return per_row * (multiplicity if multiplicity is not None else 1)


def estimate_nonzeros(instance: Instance) -> int:
    """Nonzeros of the model as :func:`optimizer.numerics.estimate_nonzeros` counts them, from the raw tables."""
    tables, n_periods, n_regions = instance.tables, len(instance.periods), len(instance.tables["regions"])
    processes = tables["processes"]
    process_rows = expanded_rows(processes, n_periods)
    recipe_size = tables["process_io"].groupby("process").size()
    recipe = processes["process"].map(recipe_size).fillna(0).to_numpy(dtype=np.int64)
    trade = tables["trade"]
    spread = np.ones(len(trade), dtype=np.int64)
    for column in ("origin", "destination"):
        spread *= np.where(trade[column].to_numpy() == WILDCARD, n_regions, 1)
    links = expanded_rows(trade, n_periods, spread)
    demand = expanded_rows(tables["demand"], n_periods)
    return int((process_rows * recipe).sum() + 2 * links.sum() + demand.sum() + process_rows.sum())


def check_size(instance: Instance, nonzeros: int | None = None) -> dict:
    """Refuse, with the estimate, a model that would not fit in memory (rather than let the kernel kill it)."""
    nonzeros = estimate_nonzeros(instance) if nonzeros is None else nonzeros
    needed = BASE_BYTES + BYTES_PER_NONZERO * nonzeros
    available = available_memory()
    if available is not None and needed > available:
        raise InputError(
            Problem(
                str(instance.folder),
                f"the model would need about {needed / 2**20:,.0f} MB of memory ({nonzeros:,} nonzeros, "
                f"{len(instance.tables['regions']):,} regions, {len(instance.periods):,} periods) but "
                f"{available / 2**20:,.0f} MB are available",
                expected="a smaller instance (fewer regions, periods or '*' trade rows)",
            )
        )
    return {"estimated_nonzeros": nonzeros, "estimated_bytes": needed}


def available_memory() -> int | None:
    """``REEOPT_MEMORY_LIMIT_MB`` if set, else the kernel's MemAvailable (None when unknown)."""
    limit = os.environ.get("REEOPT_MEMORY_LIMIT_MB")
    if limit:
        return int(float(limit) * 2**20)
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None
