"""The extensive form of FORMULATION.md E4: every scenario's program in one, early builds shared.

Given the scenarios' own programs ``min c_s·x_s + o_s`` (each built by :func:`optimizer.model.build_model`)
with probabilities ``π_s`` and a decision year ``T*``, the extensive form is

    min  Σ_s π_s·(c_s·x_s + o_s)  [+ λ·(η + 1/(1−α)·Σ_s π_s·ξ_s)]
    s.t. A_s x_s within the bounds of scenario s                  (every family, per scenario)
         unit·k_s[p,r,t] − unit·k_ref[p,r,t] = 0   for t < T*     (``nonanticipativity``)
         ξ_s + η − c_s·x_s ≥ o_s,  ξ_s ≥ 0             (rows ``cvar_tail``, columns ``cvar_threshold``
                                                          η and ``cvar_excess`` ξ_s, when asked)

where ``ref`` is the first scenario with that build. The blocks are stacked block-diagonally and then
grouped by family: the column family ``activity`` of the extensive form holds every scenario's
activities, its index the scenario's own index with a leading column ``s`` (the scenario's position).
So every family keeps the shape of the deterministic one plus ``s``, and any translation of an
:class:`~optimizer.model.lp.LinearProgram`'s families (the Pyomo engine, HiGHS) reads it unchanged.

Non-anticipativity as equality rows, not one shared column, on purpose:

* each scenario's block stays a complete copy of its deterministic program, so its solution is a
  slice (:meth:`ExtensiveForm.scenario_x`) read by the same code as a single solve;
* scenarios may differ in shape (a scenario that adds or drops a process), and rows matched by the
  names of process, region and year need no renumbering of the blocks;
* the row duals are the price of non-anticipativity: what scenario s would pay to change that
  early build, i.e. where knowing the future would be worth money;
* HiGHS's presolve substitutes the equalities away, so they cost nothing in the solve.

An early build that exists in some scenarios but not in others is fixed at zero where it exists:
the one decision must be the same in all, and it is zero where the build cannot be made.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from optimizer.model import Model
from optimizer.model.lp import Family, LinearProgram


@dataclass(frozen=True)
class CVaR:
    """Rockafellar–Uryasev CVaR of the scenario costs at level ``alpha`` with weight ``weight`` (λ)."""

    alpha: float
    weight: float


@dataclass(frozen=True)
class ExtensiveForm:
    """The extensive-form program and where each scenario's columns and rows sit in it."""

    lp: LinearProgram
    scenarios: tuple[str, ...]
    probabilities: np.ndarray
    decide_until: int
    column_positions: tuple[np.ndarray, ...]  # per scenario: position of each of its own columns
    row_positions: tuple[np.ndarray, ...]
    cvar: CVaR | None = None

    def scenario_x(self, x: np.ndarray, s: int) -> np.ndarray:
        """Scenario ``s``'s part of a solution, indexed like its own program's columns."""
        return x[self.column_positions[s]]

    def scenario_cost(self, x: np.ndarray, models: Sequence[Model], s: int) -> float:
        """``c_s·x_s + o_s``: scenario ``s``'s cost in the solution ``x``."""
        lp = models[s].lp
        return float((lp.col_cost * self.scenario_x(x, s)).sum() + lp.offset)


def early_builds(model: Model, decide_until: int) -> pd.DataFrame:
    """The build columns of ``model`` commissioned before ``decide_until``, by name.

    Columns: ``column`` (position among the program's columns), ``process``, ``region``, ``period``
    and ``unit`` (tonnes per year of capacity per unit of the column).
    """
    data, family = model.data, model.lp.columns["build"]
    index = family.index
    years = data.periods[index["t"].to_numpy()]
    chosen = years < decide_until
    return pd.DataFrame(
        {
            "column": family.ids[chosen],
            "process": data.process_names.to_numpy()[index["p"].to_numpy()[chosen]],
            "region": data.regions.to_numpy()[index["r"].to_numpy()[chosen]],
            "period": years[chosen],
            "unit": index["unit"].to_numpy()[chosen],
        }
    )


def build_extensive_form(
    models: Sequence[Model],
    scenarios: Sequence[str],
    probabilities: Sequence[float],
    decide_until: int,
    cvar: CVaR | None = None,
) -> ExtensiveForm:
    """One program of all scenarios (module docstring); the models must share their periods."""
    lps = [model.lp for model in models]
    pi = np.asarray(probabilities, dtype=float)
    col_offsets = np.concatenate([[0], np.cumsum([lp.n_cols for lp in lps])])
    row_offsets = np.concatenate([[0], np.cumsum([lp.n_rows for lp in lps])])

    columns, col_order = _grouped(lps, col_offsets, "columns")
    rows, row_order = _grouped(lps, row_offsets, "rows")
    col_position = np.empty(col_offsets[-1], dtype=np.int64)
    col_position[col_order] = np.arange(col_order.size)
    row_position = np.empty(row_offsets[-1], dtype=np.int64)
    row_position[row_order] = np.arange(row_order.size)

    blocks = sp.block_diag([lp.matrix for lp in lps], format="csr")[row_order].tocsc()[:, col_order]
    cost = np.concatenate([p * lp.col_cost for p, lp in zip(pi, lps, strict=True)])[col_order]
    lower = np.concatenate([lp.col_lower for lp in lps])[col_order]
    upper = np.concatenate([lp.col_upper for lp in lps])[col_order]
    integer = np.concatenate([lp.integer for lp in lps])[col_order]
    row_lower = np.concatenate([lp.row_lower for lp in lps])[row_order]
    row_upper = np.concatenate([lp.row_upper for lp in lps])[row_order]
    categories = list(dict.fromkeys(name for lp in lps for name in lp.cost_parts))
    parts = {
        name: np.concatenate([p * lp.cost_parts.get(name, np.zeros(lp.n_cols)) for p, lp in zip(pi, lps, strict=True)])[
            col_order
        ]
        for name in categories
    }
    offset = float(sum(p * lp.offset for p, lp in zip(pi, lps, strict=True)))
    positions = tuple(col_position[col_offsets[s] : col_offsets[s + 1]] for s in range(len(lps)))

    n_scen, n_cols, n_rows = len(lps), blocks.shape[1], blocks.shape[0]
    width = n_cols + (1 + n_scen if cvar is not None else 0)
    link_rows, link_index, fixed_zero = _nonanticipativity(models, positions, decide_until, width)
    lower[fixed_zero] = upper[fixed_zero] = 0.0
    rows["nonanticipativity"] = Family("nonanticipativity", n_rows, link_index)
    extra_rows = [link_rows]
    row_lower = np.concatenate([row_lower, np.zeros(len(link_index))])
    row_upper = np.concatenate([row_upper, np.zeros(len(link_index))])

    if cvar is not None:
        columns["cvar_threshold"] = Family("cvar_threshold", n_cols, pd.DataFrame({"alpha": [cvar.alpha]}))
        columns["cvar_excess"] = Family("cvar_excess", n_cols + 1, pd.DataFrame({"s": np.arange(n_scen)}))
        rows["cvar_tail"] = Family("cvar_tail", n_rows + len(link_index), pd.DataFrame({"s": np.arange(n_scen)}))
        scenario = np.arange(n_scen)
        # ξ_s + η − c_s·x_s ≥ o_s: ξ_s is the excess of scenario s's cost over the threshold η
        triplets = [
            (scenario, np.full(n_scen, n_cols), np.ones(n_scen)),
            (scenario, n_cols + 1 + scenario, np.ones(n_scen)),
        ]
        for s, lp in enumerate(lps):
            used = np.flatnonzero(lp.col_cost)
            triplets.append((np.full(used.size, s), positions[s][used], -lp.col_cost[used]))
        r, c, v = (np.concatenate(part) for part in zip(*triplets, strict=True))
        extra_rows.append(sp.csr_array((v, (r, c)), shape=(n_scen, width)))
        row_lower = np.concatenate([row_lower, [lp.offset for lp in lps]])
        row_upper = np.concatenate([row_upper, np.full(n_scen, np.inf)])
        blocks = sp.hstack([blocks, sp.csc_array((n_rows, 1 + n_scen))], format="csc")
        risk = np.concatenate([[cvar.weight], cvar.weight * pi / (1.0 - cvar.alpha)])
        cost = np.concatenate([cost, risk])
        lower = np.concatenate([lower, [-np.inf], np.zeros(n_scen)])
        upper = np.concatenate([upper, np.full(1 + n_scen, np.inf)])
        integer = np.concatenate([integer, np.zeros(1 + n_scen, dtype=bool)])
        parts = {name: np.concatenate([part, np.zeros(1 + n_scen)]) for name, part in parts.items()}
        parts["cvar"] = np.concatenate([np.zeros(n_cols), risk])

    matrix = sp.vstack([blocks, *extra_rows], format="csc")
    matrix.sum_duplicates()
    matrix.sort_indices()
    lp = LinearProgram(
        columns=columns,
        rows=rows,
        matrix=sp.csc_array(matrix),
        col_cost=cost,
        col_lower=lower,
        col_upper=upper,
        integer=integer,
        row_lower=row_lower,
        row_upper=row_upper,
        offset=offset,
        cost_parts=parts,
    )
    return ExtensiveForm(
        lp=lp,
        scenarios=tuple(scenarios),
        probabilities=pi,
        decide_until=decide_until,
        column_positions=positions,
        row_positions=tuple(row_position[row_offsets[s] : row_offsets[s + 1]] for s in range(len(lps))),
        cvar=cvar,
    )


def _grouped(lps: Sequence[LinearProgram], offsets: np.ndarray, kind: str):
    """Families of the stacked blocks regrouped family by family (scenario by scenario within each),
    and the order of the stacked positions that achieves it."""
    names = list(dict.fromkeys(name for lp in lps for name in getattr(lp, kind)))
    families: dict[str, Family] = {}
    order = []
    position = 0
    for name in names:
        indices = []
        for s, lp in enumerate(lps):
            family = getattr(lp, kind).get(name)
            if family is None:
                continue
            order.append(offsets[s] + family.ids)
            indices.append(family.index.assign(s=s)[["s", *family.index.columns]])
        index = pd.concat(indices, ignore_index=True)
        families[name] = Family(name, position, index)
        position += len(index)
    return families, np.concatenate(order) if order else np.zeros(0, dtype=np.int64)


def _nonanticipativity(models: Sequence[Model], positions: Sequence[np.ndarray], decide_until: int, width: int):
    """Rows ``unit·k_s − unit·k_ref = 0`` for every early build in every scenario after its reference;
    their index (s, reference, process, region, period), and the columns fixed at zero because the
    build is missing from some scenario."""
    keys = ["process", "region", "period"]
    early = pd.concat(
        [early_builds(model, decide_until).assign(s=s) for s, model in enumerate(models)], ignore_index=True
    )
    early["position"] = np.array(
        [positions[s][column] for s, column in zip(early["s"], early["column"], strict=True)], dtype=np.int64
    )
    present = early.groupby(keys)["s"].transform("nunique")
    fixed_zero = early.loc[present < len(models), "position"].to_numpy(dtype=np.int64)
    shared = early[present == len(models)]
    reference = shared.groupby(keys, sort=False).head(1)
    linked = shared.merge(reference[[*keys, "position", "unit", "s"]], on=keys, suffixes=("", "_ref"))
    linked = linked[linked["s"] != linked["s_ref"]].reset_index(drop=True)
    count = len(linked)
    row = np.arange(count)
    matrix = sp.csr_array(
        (
            np.concatenate([linked["unit"].to_numpy(), -linked["unit_ref"].to_numpy()]).astype(float),
            (
                np.concatenate([row, row]),
                np.concatenate([linked["position"], linked["position_ref"]]).astype(np.int64),
            ),
        ),
        shape=(count, width),
    )
    index = pd.DataFrame(
        {
            "s": linked["s"].to_numpy(dtype=np.int64),
            "reference": linked["s_ref"].to_numpy(dtype=np.int64),
            "process": linked["process"].to_numpy(dtype=object),
            "region": linked["region"].to_numpy(dtype=object),
            "period": linked["period"].to_numpy(dtype=np.int64),
        }
    )
    return matrix, index, fixed_zero
