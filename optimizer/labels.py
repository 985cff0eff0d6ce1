"""What every table of a solution applies to the solver's arrays: the instance's names for the model's
codes, and an exact zero for solver noise."""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.model.index import ModelData

ZERO = 1e-9  # flows, costs and duals below this are solver noise


def labels(data: ModelData, frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """Label columns for the code columns present in ``frame``."""
    named = {}
    lookup = {
        "p": ("process", data.process_names),
        "r": ("region", data.regions),
        "c": ("commodity", data.commodities),
        "o": ("origin", data.regions),
        "d": ("destination", data.regions),
    }
    for code, (name, index) in lookup.items():
        if code in frame:
            named[name] = index.to_numpy()[frame[code].to_numpy()]
    if "t" in frame:
        named["period"] = data.periods[frame["t"].to_numpy()]
    return named


def index_text(index) -> str:
    """A row's index in the instance's names as constraints.csv writes it (``JP, Dy2O3, 2030``; a
    scalar's, ``None``: blank)."""
    if index is None:
        return ""
    return ", ".join(str(part) for part in index) if isinstance(index, tuple) else str(index)


def clean(values) -> np.ndarray:
    """Round solver noise (|v| < 1e-9) to an exact zero so files do not show -0.0 or 1e-14."""
    values = np.asarray(values, dtype=float)
    return np.where(np.abs(values) < ZERO, 0.0, values)
