r"""No transit without transformation (FORMULATION.md E2, rules of origin).

With ``transit: forbidden`` in instance.yaml (or a scenario), a region that is not a hub
(``hub: true`` in regions.csv) may export a commodity only out of what it makes or draws from its
own stock. One row per node :math:`(r, c, t)` from which some trade link leaves, :math:`r` no hub:

.. math::

    \sum_{r'} f_{crr't} - \sum_p a^{out}_{pc} z_{prt} - (h_{rc,t-1} - h_{rct}) / len_t \le 0

(the stock change spread over the period's years as in the balance; the initial stock
:math:`h_{rc,t_0-1}` is a constant on the right-hand side). Imports are then consumed, delivered,
stocked or disposed where they land, so a tariff or ban on origin :math:`r` binds on what
:math:`r` made and cannot be dodged by routing through a third country.

Row family ``transit`` with index columns ``r, c, t`` (integer codes of region, commodity,
period). Its dual (``<= 0`` in the minimised program) is, divided by ``disc[t]·len[t]``, what it
would save per tonne to be allowed to re-export one more tonne of untransformed imports from
:math:`(r, c, t)`: the price of the rule of origin at that node, zero where it does not bind.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.instance.origin import hub_regions
from optimizer.model.index import ModelData
from optimizer.model.lp import LinearProgram, LPBuilder


def transit_nodes(data: ModelData) -> np.ndarray:
    """Sorted node codes of the rows: every (region, commodity, period) with an export link, no hub."""
    hubs = data.regions.get_indexer(sorted(hub_regions(data.instance)))
    links = data.trade[~np.isin(data.trade["o"].to_numpy(), hubs)]
    return np.unique(data.node_code(links["o"], links["c"], links["t"]))


def add_transit(data: ModelData, lp: LPBuilder) -> None:
    if data.instance.transit != "forbidden":
        return
    codes = transit_nodes(data)
    r, c, t = data.node_parts(codes)
    rows, cols, values = [], [], []

    def term(node, col, value) -> None:
        node = np.asarray(node, dtype=np.int64)
        at = np.minimum(np.searchsorted(codes, node), max(len(codes) - 1, 0))
        keep = (codes[at] == node) if len(codes) else np.zeros(len(node), dtype=bool)
        rows.append(at[keep])
        cols.append(np.asarray(col, dtype=np.int64)[keep])
        values.append(np.broadcast_to(np.asarray(value, dtype=float), len(node))[keep])

    trade = lp.column("trade")
    link = trade.index
    term(data.node_code(link["o"], link["c"], link["t"]), trade.ids, 1.0)

    activity = lp.column("activity")
    made = activity.index[["p", "r", "t"]].assign(col=activity.ids).merge(data.recipe, on="p")
    made = made[made["coefficient"] > 0]
    term(data.node_code(made["r"], made["c"], made["t"]), made["col"], -made["coefficient"].to_numpy())

    stock = lp.column("stock")
    h = stock.index
    period = h["t"].to_numpy()
    term(data.node_code(h["r"], h["c"], period), stock.ids, 1.0 / data.lengths[period])
    later = period + 1 < data.n_periods
    term(
        data.node_code(h["r"][later], h["c"][later], period[later] + 1),
        stock.ids[later],
        -1.0 / data.lengths[period[later] + 1],
    )

    upper = transit_upper(data, codes)
    family = lp.add_rows("transit", pd.DataFrame({"r": r, "c": c, "t": t}), -np.inf, upper)
    lp.add_terms(family.start + np.concatenate(rows), np.concatenate(cols), np.concatenate(values))


def transit_upper(data: ModelData, codes: np.ndarray) -> np.ndarray:
    """Right-hand sides of the transit rows of the (sorted) node ``codes``: the initial stock per year."""
    codes = np.asarray(codes, dtype=np.int64)
    upper = np.zeros(len(codes))
    initial = data.stocks
    start = np.asarray(data.node_code(initial["r"], initial["c"], np.zeros(len(initial), dtype=np.int64)))
    at = np.searchsorted(codes, start)
    inside = at < len(codes)
    inside[inside] = codes[at[inside]] == start[inside]
    np.add.at(upper, at[inside], initial["initial"].to_numpy()[inside] / data.lengths[0])
    return upper


def made_value(data: ModelData, lp: LinearProgram, row_dual: np.ndarray) -> np.ndarray:
    r"""Per balance row, the raw dual of one more tonne *made* at the node, :math:`\lambda - \mu`.

    A tonne made at :math:`(r, c, t)` enters the balance (:math:`+1`) and the transit row's
    allowance (:math:`-1` on its left-hand side), so it is worth :math:`\lambda - \mu` (:math:`\mu
    \le 0`, zero at nodes without a transit row). Where the row binds with no imports (an exporter
    selling all it makes) :math:`\lambda` and :math:`\mu` are not unique separately (any shift
    :math:`(\lambda + \theta, \mu + \theta)` keeps every reduced cost of production and export), but
    their difference is: the export netback, what a domain expert calls the price there. Divide by
    ``disc[t]·len[t]`` for money per tonne.
    """
    row_dual = np.asarray(row_dual, dtype=float)
    value = row_dual[lp.rows["balance"].ids].copy()
    ids = transit_row_ids(data, lp)
    has_row = ids >= 0
    value[has_row] -= row_dual[ids[has_row]]
    return value


def transit_binds(data: ModelData, lp: LinearProgram, row_activity: np.ndarray, tolerance: float = 1e-7) -> np.ndarray:
    """Per balance row, whether its node has a transit row at its bound (exports = what it made or drew)."""
    ids = transit_row_ids(data, lp)
    binds = np.zeros(ids.size, dtype=bool)
    has_row = ids >= 0
    upper = lp.row_upper[ids[has_row]]
    binds[has_row] = np.asarray(row_activity)[ids[has_row]] >= upper - tolerance * np.maximum(1.0, np.abs(upper))
    return binds


def transit_row_ids(data: ModelData, lp: LinearProgram) -> np.ndarray:
    """Per balance row, the row id of its node's transit row, −1 where it has none."""
    balance = lp.rows["balance"]
    rows = lp.rows.get("transit")
    if rows is None or rows.size == 0:
        return np.full(balance.size, -1, dtype=np.int64)
    at = _transit_row_of(data, balance.index, rows.index)
    return np.where(at >= 0, rows.start + at, -1)


def _transit_row_of(data: ModelData, balance_index: pd.DataFrame, transit_index: pd.DataFrame) -> np.ndarray:
    """Position in the transit family of each balance row's node, −1 where it has none."""
    nodes = data.node_code(balance_index["r"], balance_index["c"], balance_index["t"])
    codes = np.asarray(data.node_code(transit_index["r"], transit_index["c"], transit_index["t"]))
    return pd.Index(codes).get_indexer(np.asarray(nodes))
