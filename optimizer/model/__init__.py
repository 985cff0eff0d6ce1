"""The linear program of FORMULATION.md, built from whole arrays (no per-row Python).

``build_model(instance)`` runs each family of :data:`~optimizer.model.registry.FAMILIES` in turn
(variables, balance, capacity, reserves, quotas, and whatever is registered after them), then the
objective. Each family is a module whose docstring states the mathematics it adds.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import networkx as nx
import pandas as pd

from optimizer.instance import Instance
from optimizer.model import balance, capacity, quotas, variables  # noqa: F401  (registry needs them first)
from optimizer.model.index import ModelData, build_index
from optimizer.model.lp import LinearProgram, LPBuilder
from optimizer.model.objective import COST_CATEGORIES, objective_parts
from optimizer.model.registry import FAMILIES
from optimizer.model.renumber import renumber, same_shape
from optimizer.model.variables import build_availability

__all__ = ["COST_CATEGORIES", "LinearProgram", "Model", "ModelData", "build_model"]


@dataclass(frozen=True)
class Model:
    """An instance's index structure and the linear program built from it."""

    data: ModelData
    lp: LinearProgram
    build_seconds: float
    availability: pd.DataFrame  # which build adds capacity in which period (variables.build_availability)

    @property
    def instance(self) -> Instance:
        return self.data.instance

    @property
    def objective_kind(self) -> str:
        return self.data.objective


def build_model(instance: Instance | nx.DiGraph, objective: str | None = None, reuse: Model | None = None) -> Model:
    """Build the LP (a MIP when some build is lumpy) of an instance's chain graph (or of an instance,
    whose graph is built first: the model reads nothing else, see :func:`~optimizer.network.network`).

    With ``reuse``, a model of the same shape (see :mod:`optimizer.model.renumber`) only gets new
    bounds and costs; otherwise the program is built in full.

    >>> from optimizer.instance import load_instance
    >>> model = build_model(load_instance("toy"))
    >>> model.lp.n_cols, model.lp.n_rows, model.lp.is_mip
    (27, 11, False)
    """
    start = time.perf_counter()
    data = build_index(instance, objective)
    if reuse is not None and same_shape(reuse.data, data):
        program = renumber(reuse.lp, data, reuse.availability)
        return Model(data=data, lp=program, build_seconds=time.perf_counter() - start, availability=reuse.availability)
    lp = LPBuilder()
    availability = build_availability(data)
    for spec in FAMILIES:
        spec.build(data, lp, availability)
    parts, cost, offset = objective_parts(data, lp, availability)
    program = lp.build(parts, cost, offset)
    return Model(data=data, lp=program, build_seconds=time.perf_counter() - start, availability=availability)
