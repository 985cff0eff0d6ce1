"""Cutting parts of the chain out of a built program: zero upper bounds, same shape.

Used to avoid a region (no activity, no builds, no trade into, out of or through it) and, for
chokepoint analysis, to remove single processes or links and to release the calibration floors;
because only bounds change, a :class:`~optimizer.study.Study` re-solves the cut program in place.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from optimizer.model import Model


def cut_regions(model: Model, regions: list[str] | tuple[str, ...]) -> Model:
    """``model`` with every process, build and trade link of ``regions`` at zero."""
    data, lp = model.data, model.lp
    codes = data.regions.get_indexer(list(regions))
    hits = []
    for name, keys in (("activity", ("r",)), ("build", ("r",)), ("trade", ("o", "d"))):
        family = lp.columns[name]
        hit = np.zeros(family.size, dtype=bool)
        for key in keys:
            hit |= np.isin(family.index[key].to_numpy(), codes)
        hits.append(family.ids[hit])
    return cut_columns(model, np.concatenate(hits))


def cut_columns(model: Model, columns: np.ndarray) -> Model:
    """``model`` with the given columns (activities, builds, links) fixed at zero."""
    lp = model.lp
    lower, upper = lp.col_lower.copy(), lp.col_upper.copy()
    lower[columns] = upper[columns] = 0.0
    return dataclasses.replace(model, lp=dataclasses.replace(lp, col_lower=lower, col_upper=upper))


def release_floors(model: Model) -> Model:
    """``model`` without the activity floors (processes.csv ``min_activity``, the calibration of a base
    year to what plants did): a counterfactual such as a failed mine may make what happened impossible."""
    lp = model.lp
    lower = lp.col_lower.copy()
    lower[lp.columns["activity"].ids] = 0.0
    return dataclasses.replace(model, lp=dataclasses.replace(lp, col_lower=lower))


def has_floors(model: Model) -> bool:
    """Whether any activity of ``model`` has a floor above zero."""
    return bool((model.lp.col_lower[model.lp.columns["activity"].ids] > 0).any())
