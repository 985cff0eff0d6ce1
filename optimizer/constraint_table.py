"""The ``constraints`` table of a solution: the rows of the reported families, of the scenario's own
constraints (E5a) and of Pyomo components of one's own, with their activity, bounds and duals."""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.labels import clean, index_text, labels
from optimizer.model import Model
from optimizer.model.index import ModelData
from optimizer.solver import SolverResult

CONSTRAINT_COLUMNS = ["family", "index", "body", "lower", "upper", "dual"]


def _policy_rows(data: ModelData, model: Model, model_result: SolverResult) -> list[pd.DataFrame]:
    """Rows of the scenario's own constraints (E5a), with their kind, region and period: ``body``,
    ``lower`` and ``upper`` per year, ``dual`` per unit of the bound in the period's money (like a
    marginal value; these rows all belong to a period)."""
    lp, frames = model.lp, []
    for policy in model.instance.policies:
        rows = lp.rows[policy.name]
        names = labels(data, rows.index)
        t = rows.index["t"].to_numpy()
        index = [f"{r}, {p}" for r, p in zip(names["region"], names["period"], strict=True)]
        frames.append(
            pd.DataFrame(
                {
                    "family": policy.name,
                    "kind": policy.kind,
                    "index": index,
                    "region": names["region"],
                    "period": names["period"],
                    "body": clean(model_result.row_activity[rows.ids]),
                    "lower": lp.row_lower[rows.ids],
                    "upper": lp.row_upper[rows.ids],
                    "dual": clean(model_result.row_dual[rows.ids] / data.weight[t]),
                }
            )
        )
    return [frame.replace({"lower": {-np.inf: np.nan}, "upper": {np.inf: np.nan}}) for frame in frames]


def constraint_table(model: Model, result: SolverResult, extra_rows: list) -> pd.DataFrame:
    """One row per row of a reported family (registry ``report``), of every constraint of one's own
    declared in the scenario (with its ``kind``, ``region`` and ``period``) and of every Pyomo
    component of one's own.

    ``index`` is the row's index as text in the instance's names; ``body`` its activity; ``lower`` /
    ``upper`` its bounds (blank: none); ``dual`` the change of the minimised objective per unit of
    the bound, the marginal-value convention (raw, not divided by a period's weight: a row of one's
    own need not belong to a period).
    """
    from optimizer.model.registry import FAMILIES, index_tuples

    data, lp = model.data, model.lp
    parts = []
    for spec in FAMILIES:
        if spec.kind != "constraint" or not spec.report or spec.name not in lp.rows:
            continue
        family = lp.rows[spec.name]
        keys = index_tuples(data, family.index, spec.index)
        parts.append(
            pd.DataFrame(
                {
                    "family": spec.component,
                    "index": [index_text(key) for key in keys],
                    "body": result.row_activity[family.ids],
                    "lower": np.where(np.isfinite(lp.row_lower[family.ids]), lp.row_lower[family.ids], np.nan),
                    "upper": np.where(np.isfinite(lp.row_upper[family.ids]), lp.row_upper[family.ids], np.nan),
                    "dual": clean(result.row_dual[family.ids]),
                }
            )
        )
    parts += _policy_rows(data, model, result)
    if extra_rows:
        frame = pd.DataFrame([vars(row) for row in extra_rows], columns=CONSTRAINT_COLUMNS)
        frame["dual"] = clean(frame["dual"].to_numpy(dtype=float))
        parts.append(frame)
    parts = [part for part in parts if not part.empty]
    if not parts:
        return pd.DataFrame(columns=CONSTRAINT_COLUMNS)
    frame = pd.concat(parts, ignore_index=True)
    return frame[CONSTRAINT_COLUMNS + [c for c in frame.columns if c not in CONSTRAINT_COLUMNS]]
