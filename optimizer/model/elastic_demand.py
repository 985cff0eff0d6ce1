r"""Price-responsive demand (FORMULATION.md E1): a demand curve approximated by priced steps.

Where demand.csv gives an own-price elasticity :math:`\varepsilon < 0` with the reference price
:math:`P` and quantity :math:`Q`, demand follows :math:`q(p) = Q (p/P)^{\varepsilon}` inside
:math:`Q(1 \pm band)`, cut into ``steps`` = :math:`n` steps of width :math:`w = Q \cdot band / n` on
each side of :math:`Q`. Step :math:`j` carries the curve's price at its midpoint :math:`q_j`:

.. math::

    p_j = P \left(\frac{q_j}{Q}\right)^{1/\varepsilon}, \qquad
    q_j = Q \left(1 + \operatorname{sign}(j) \frac{(|j| - \tfrac12)\, band}{n}\right),
    \qquad j \in \{-n, \dots, -1, 1, \dots, n\}

(:math:`j < 0` a reduction step below :math:`Q`, priced above :math:`P`; :math:`j > 0` an increase,
priced below :math:`P`). FORMULATION.md writes the delivery as
:math:`s = Q - \sum_j dn_j + \sum_j up_j` with :math:`0 \le dn_j, up_j \le w`, a reduction costing
:math:`p_j` and an increase earning :math:`p_j`. Here the reduction steps enter as the part of each
step that *is* served, :math:`x_j = w - dn_j`, so that every step is a delivery of its own and the
program needs no extra row:

.. math::

    s_{rct} = \underbrace{s^{core}_{rct}}_{0 \le \cdot \le Q(1-band)}
              + \sum_{j<0} x_{rctj} + \sum_{j>0} up_{rctj},
    \qquad 0 \le x_j, up_j \le w

Each step column enters the balance of its node with :math:`-1`, like the delivery column
(:mod:`optimizer.model.balance`), which here is the *core* :math:`s^{core}` below the band. The
objective adds, per period weight :math:`disc_t\, len_t`,

* cost objective (welfare form):
  :math:`\sum_{j<0} p_j\, dn_j - \sum_{j>0} p_j\, up_j
  = \sum_{j<0} p_j w - \sum_j p_j x_j` (the constant is the objective's offset), and the core's
  shortfall :math:`Q(1-band) - s^{core}` is unmet demand: charged the penalty, or not allowed
  (:math:`s^{core} = Q(1-band)`) when demand is hard;
* value objective: revenue :math:`\sum_j p_j x_j`, and the core earns :math:`p_{-n}`, the price of
  the outermost reduction step, so that the curve stays ordered (core first, then the steps by
  falling price).

A reduction step priced at or above the choke price, ``CHOKE``·:math:`P` or the penalty if lower, is
*rigid*: it has no column and its tonnes join the core (so ``Q(1 - band)`` above is the least the
core holds). Nobody pays more per tonne than leaving it unmet costs; and as :math:`\varepsilon \to 0`
every reduction step turns rigid, so the model becomes fixed demand exactly, without 1e30-sized prices.

Because the step prices fall as the quantity grows, the program fills the steps in order without
integers. The **dual** of the node's balance (its marginal value) is then the price of the step
that is partly filled, the curve's price at the cleared quantity; at the edge between two steps any
value between their prices is a dual (not unique). Below the band it is the penalty (or the
supply's cost when demand is hard); above it, the cost of supply, lower than every step's price.
Both cases are flagged in the results (:mod:`optimizer.analysis.price_flags`).

Column family ``elastic_step``: index columns ``r, c, t`` (the node), ``j`` (the signed step),
``demand`` (row of ``ModelData.demand``), ``width`` (:math:`w`, t/yr) and ``price`` (:math:`p_j`);
bounds :math:`[0, w]`; coefficient :math:`-1` in ``balance[r, c, t]``; cost coefficient
``cost_parts["demand_response"]`` (cost objective) or ``cost_parts["revenue"]`` (value objective).
"""

from __future__ import annotations

import weakref

import numpy as np
import pandas as pd

from optimizer.model.index import ModelData
from optimizer.model.lp import LPBuilder

FAMILY = "elastic_step"
OBJECTIVE_PART = "demand_response"
# A reduction step priced at this multiple of P or more is rigid: demand is treated as fixed there
# (as it is in the limit ε → 0), which keeps 1e30-sized step prices (ε = −0.01) out of the program.
CHOKE = 1000.0


def is_elastic(data: ModelData) -> np.ndarray:
    """Per row of ``data.demand``: does it follow a demand curve?"""
    return data.demand["elasticity"].notna().to_numpy()


def core_quantity(data: ModelData) -> np.ndarray:
    """Per demand row, the tonnes outside any step: ``Q(1 - band)`` on a curve (plus its rigid
    steps), ``Q`` otherwise."""
    quantity = data.demand["quantity"].to_numpy().copy()
    table = steps(data)
    reduction = table[table["j"] < 0]
    np.subtract.at(quantity, reduction["demand"].to_numpy(), reduction["width"].to_numpy())
    return quantity


def choke_price(data: ModelData) -> np.ndarray:
    """Per demand row, the price at which the curve stops: ``CHOKE·P``, or the penalty when lower
    (cost objective): nobody pays more per tonne than what leaving it unmet costs."""
    demand = data.demand
    choke = CHOKE * demand["price"].to_numpy()
    if data.objective == "cost":
        choke = np.fmin(choke, demand["penalty"].to_numpy())
    return choke


_STEPS: list = []  # (weak reference to a demand frame, objective, its steps): the last few computed


def steps(data: ModelData) -> pd.DataFrame:
    """The flexible steps of every curve, ordered by demand row and then by ``j`` (module docstring).

    Reduction steps priced at or above :func:`choke_price` are rigid and left out: their tonnes
    belong to the core, which the penalty (or hard demand) governs. A build or re-solve asks for
    them several times (bounds, costs, the shape check); they are computed once per demand frame
    (frames are not changed in place) and handed out as shallow copies.
    """
    for reference, objective, table in _STEPS:
        if reference() is data.demand and objective == data.objective:
            return table.copy(deep=False)
    table = _steps(data)
    _STEPS[:] = [*_STEPS[-3:], (weakref.ref(data.demand), data.objective, table)]
    return table.copy(deep=False)


def _steps(data: ModelData) -> pd.DataFrame:
    demand = data.demand.reset_index(drop=True)
    elastic = demand[demand["elasticity"].notna()]
    n = elastic["steps"].to_numpy(dtype=np.int64)
    rows = np.repeat(elastic.index.to_numpy(), 2 * n)
    # j runs -n..-1, 1..n within each curve
    start = np.repeat(np.cumsum(2 * n) - 2 * n, 2 * n)
    k = np.arange(rows.size) - start  # 0 .. 2n-1
    n_row = np.repeat(n, 2 * n)
    j = np.where(k < n_row, k - n_row, k - n_row + 1)
    quantity = demand["quantity"].to_numpy()[rows]
    band = demand["band"].to_numpy()[rows]
    midpoint = 1.0 + np.sign(j) * (np.abs(j) - 0.5) * band / n_row  # q_j / Q
    with np.errstate(over="ignore"):
        price = demand["price"].to_numpy()[rows] * midpoint ** (1.0 / demand["elasticity"].to_numpy()[rows])
    table = pd.DataFrame(
        {
            "r": demand["r"].to_numpy()[rows],
            "c": demand["c"].to_numpy()[rows],
            "t": demand["t"].to_numpy()[rows],
            "j": j.astype(np.int64),
            "demand": rows.astype(np.int64),
            "width": quantity * band / n_row,
            "price": price,
        }
    )
    flexible = (j > 0) | (price < choke_price(data)[rows])
    return table[flexible].reset_index(drop=True)


def step_columns(data: ModelData):
    """The ``elastic_step`` family as (index, lower, upper, integer), like :mod:`variables`."""
    index = steps(data)
    return index, 0.0, index["width"].to_numpy(), False


def add_elastic_steps(data: ModelData, lp: LPBuilder) -> None:
    """Add the step columns (before the balance, which gives them their ``-1``)."""
    index, lower, upper, integer = step_columns(data)
    lp.add_columns(FAMILY, index, lower, upper, integer=integer)


def core_value(data: ModelData) -> np.ndarray:
    """Value objective: what a core tonne earns: ``price`` on fixed rows; on a curve, the price of
    its outermost flexible reduction step (``P`` when there is none), so the core comes first."""
    value = data.demand["price"].to_numpy().copy()
    table = steps(data)
    np.maximum.at(value, table["demand"].to_numpy(), table["price"].to_numpy())
    return value


def step_objective(data: ModelData, lp: LPBuilder, parts: dict[str, np.ndarray]) -> float:
    """Put the steps' coefficients into ``parts``; return the constant of the welfare form."""
    family = lp.column(FAMILY)
    parts.setdefault(OBJECTIVE_PART, np.zeros(lp.n_cols))
    if family.size == 0:
        return 0.0
    index = steps(data)  # from the data, not the family: a re-used program gets new prices (renumber.py)
    weight = data.weight[index["t"].to_numpy()]
    value = weight * index["price"].to_numpy()
    target = "revenue" if data.objective == "value" else OBJECTIVE_PART
    parts[target][family.start : family.stop] = -value
    return welfare_offset(data, index)


def welfare_offset(data: ModelData, index: pd.DataFrame | None = None) -> float:
    """``Σ disc·len·p_j·w`` over the reduction steps: the cost objective's constant (0 for value)."""
    if data.objective == "value":
        return 0.0
    index = steps(data) if index is None else index
    reduction = index["j"].to_numpy() < 0
    weight = data.weight[index["t"].to_numpy()]
    return float(np.sum((weight * index["price"].to_numpy() * index["width"].to_numpy())[reduction]))


def cleared(data: ModelData, index: pd.DataFrame, step_tonnes: np.ndarray) -> pd.DataFrame:
    """Per demand row: ``served_steps`` (Σ x_j + Σ up_j) and ``elastic_change`` (Σ up_j − Σ dn_j)."""
    n_rows = len(data.demand)
    served = np.zeros(n_rows)
    position = index["demand"].to_numpy()
    np.add.at(served, position, step_tonnes)
    full_reduction = np.zeros(n_rows)
    reduction = index["j"].to_numpy() < 0
    np.add.at(full_reduction, position[reduction], index["width"].to_numpy()[reduction])
    return pd.DataFrame({"served_steps": served, "elastic_change": served - full_reduction})
