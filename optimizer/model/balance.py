"""Commodity balance: the heart of the model, one row per (region, commodity, period) node.

.. math::

    \\sum_p a^{out}_{pc} z_{prt} - \\sum_p a^{in}_{pc} z_{prt}
    + \\sum_{r'} (1 - loss) f_{cr'rt} - \\sum_{r'} f_{crr't}
    + (h_{rc,t-1} - h_{rct}) / len_t - s_{rct} - w_{rct} = 0

written per year (flows are annual rates; the stock change over a period of ``len_t`` years is
spread over its years). ``h_{rc,t_0-1}`` is the initial stock, a constant on the right-hand side.
The dual of a row is the marginal value of the commodity at that node (see ``solution``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.model.index import ModelData
from optimizer.model.lp import LPBuilder


def balance_terms(
    data: ModelData, lp: LPBuilder
) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray]]:
    """Node code, column and coefficient of every term, and the constant per stock node."""
    nodes, cols, values = [], [], []

    def term(node, col, value):
        nodes.append(np.asarray(node, dtype=np.int64))
        cols.append(np.asarray(col, dtype=np.int64))
        values.append(np.broadcast_to(np.asarray(value, dtype=float), len(nodes[-1])))

    activity = lp.column("activity")
    flows = activity.index[["p", "r", "t"]].assign(col=activity.ids).merge(data.recipe, on="p")
    term(data.node_code(flows["r"], flows["c"], flows["t"]), flows["col"], flows["coefficient"])

    trade = lp.column("trade")
    link = trade.index
    term(data.node_code(link["o"], link["c"], link["t"]), trade.ids, -1.0)
    term(data.node_code(link["d"], link["c"], link["t"]), trade.ids, 1.0 - link["loss"].to_numpy())

    for name in ("delivery", "elastic_step", "disposal"):
        family = lp.column(name)
        term(data.node_code(family.index["r"], family.index["c"], family.index["t"]), family.ids, -1.0)

    stock = lp.column("stock")
    h = stock.index
    t = h["t"].to_numpy()
    term(data.node_code(h["r"], h["c"], t), stock.ids, -1.0 / data.lengths[t])
    later = t + 1 < data.n_periods
    term(data.node_code(h["r"][later], h["c"][later], t[later] + 1), stock.ids[later], 1.0 / data.lengths[t[later] + 1])
    return np.concatenate(nodes), np.concatenate(cols), np.concatenate(values), initial_stock(data)


def initial_stock(data: ModelData) -> tuple[np.ndarray, np.ndarray]:
    """Nodes of the first period holding an initial stock, and the constant it puts on their right-hand side."""
    initial = data.stocks
    nodes = data.node_code(initial["r"], initial["c"], np.zeros(len(initial), dtype=np.int64))
    return nodes, -initial["initial"].to_numpy() / data.lengths[0]


def balance_rhs(data: ModelData, codes: np.ndarray) -> np.ndarray:
    """Right-hand sides of the balance rows of the (sorted) node ``codes``."""
    rhs = np.zeros(len(codes))
    nodes, values = initial_stock(data)
    np.add.at(rhs, np.searchsorted(codes, nodes), values)
    return rhs


def add_balance(data: ModelData, lp: LPBuilder) -> None:
    node, col, value, (rhs_nodes, _) = balance_terms(data, lp)
    codes, row = np.unique(np.concatenate([node, rhs_nodes]), return_inverse=True)
    r, c, t = data.node_parts(codes)
    rhs = balance_rhs(data, codes)
    family = lp.add_rows("balance", pd.DataFrame({"r": r, "c": c, "t": t}), rhs, rhs)
    lp.add_terms(family.start + row[: len(node)], col, value)
