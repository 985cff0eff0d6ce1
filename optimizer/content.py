"""Class-resolved results of a program with content classes (FORMULATION.md E3).

:func:`add_content_columns` adds to the solution's tables (their first-version columns are kept):

* ``activity``: ``activity_tracked`` (activity whose rare-earth outputs are tracked: all of it in a
  tracked region, the run on tracked inputs elsewhere) and ``activity_on_tracked_inputs``;
* ``trade``: ``shipped_tracked`` (``shipped - shipped_tracked`` is clean);
* ``delivered``: ``delivered_clean``, ``delivered_tracked``, ``max_tracked_share``;
* ``balance``: ``stock_change_tracked``, ``downgraded`` (clean used as tracked at the node),
  ``marginal_value_clean``, ``marginal_value_tracked``. ``marginal_value`` is then the value of a
  tonne of either class, which the program takes as the cheaper one: the tracked value (a clean
  tonne is never worth less, since it can stand in for a tracked one).

Non-rare-earth rows carry blanks in the class columns (they are not split). :func:`class_flows` is
the helper that rules of one's own (E5a ``min_share``/``max_share`` "clean") build on.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.model.content import CLASSES, max_tracked_share, tracked_mask

ZERO = 1e-9


def _labels(data, frame: pd.DataFrame) -> pd.DataFrame:
    names = {"p": ("process", data.process_names), "r": ("region", data.regions), "c": ("commodity", data.commodities)}
    names |= {"o": ("origin", data.regions), "d": ("destination", data.regions)}
    out = {
        label: index.to_numpy()[frame[code].to_numpy().astype(np.int64)]
        for code, (label, index) in names.items()
        if code in frame
    }
    out["period"] = data.periods[frame["t"].to_numpy().astype(np.int64)]
    return pd.DataFrame(out)


def _clean(values) -> np.ndarray:
    values = np.asarray(values, dtype=float)
    return np.where(np.abs(values) < ZERO, 0.0, values)


def add_content_columns(model, result, tables: dict) -> None:
    data, lp = model.data, model.lp
    if "content_balance" not in lp.rows:
        return
    x = result.x
    in_s = tracked_mask(data)

    activity = tables["activity"]
    family = lp.columns["activity"]
    on_tracked = np.zeros(family.size)
    runs = lp.columns["content_activity"]
    on_tracked[runs.index["of"].to_numpy()] = x[runs.ids]
    total = x[family.ids]
    activity["activity_tracked"] = _clean(np.where(in_s[family.index["r"].to_numpy()], total, on_tracked))
    activity["activity_on_tracked_inputs"] = _clean(on_tracked)

    trade = lp.columns["trade"]
    parts = lp.columns["content_trade"]
    tracked = np.full(trade.size, np.nan)
    tracked[parts.index["of"].to_numpy()] = x[parts.ids]
    keys = _labels(data, trade.index).assign(shipped_tracked=_clean(tracked))
    tables["trade"] = tables["trade"].merge(keys, on=["commodity", "origin", "destination", "period"], how="left")

    delivered = tables["delivered"]
    parts = lp.columns["content_delivery"]
    tracked = np.full(len(delivered), np.nan)
    tracked[parts.index["of"].to_numpy()] = x[parts.ids]
    steps = lp.columns["content_elastic_step"]
    if steps.size:  # a demand curve's steps deliver too (E1)
        of_demand = lp.columns["elastic_step"].index["demand"].to_numpy()[steps.index["of"].to_numpy()]
        np.add.at(tracked, of_demand, x[steps.ids])
    delivered["delivered_clean"] = _clean(delivered["delivered"].to_numpy() - tracked)
    delivered["delivered_tracked"] = _clean(tracked)
    share = max_tracked_share(data)
    delivered["max_tracked_share"] = np.where(np.isnan(tracked), np.nan, share)

    tables["balance"] = tables["balance"].merge(
        _class_balance(data, lp, result), on=["region", "commodity", "period"], how="left"
    )
    values = tables["balance"][["marginal_value", "marginal_value_tracked"]]
    tables["balance"]["marginal_value"] = values["marginal_value_tracked"].fillna(values["marginal_value"])


def _class_balance(data, lp, result) -> pd.DataFrame:
    x = result.x
    rows = lp.rows["content_balance"]
    frame = _labels(data, rows.index)
    weight = data.weight[rows.index["t"].to_numpy()]
    codes = data.node_code(rows.index["r"], rows.index["c"], rows.index["t"])
    balance = lp.rows["balance"]
    total_codes = data.node_code(balance.index["r"], balance.index["c"], balance.index["t"])
    at = np.searchsorted(total_codes, codes)
    clean = result.row_dual[balance.start + at]
    frame["marginal_value_clean"] = _clean(clean / weight)
    frame["marginal_value_tracked"] = _clean((clean + result.row_dual[rows.ids]) / weight)
    frame["downgraded"] = _clean(x[lp.columns["content_downgrade"].ids])
    stock = lp.columns["content_stock"]
    change = np.zeros(rows.size)
    if stock.size:
        h = stock.index
        t = h["t"].to_numpy()
        level = x[stock.ids]
        node = np.searchsorted(codes, data.node_code(h["r"], h["c"], t))
        np.add.at(change, node, level / data.lengths[t])
        later = t + 1 < data.n_periods
        nxt = np.searchsorted(codes, data.node_code(h["r"][later], h["c"][later], t[later] + 1))
        np.add.at(change, nxt, -level[later] / data.lengths[t[later] + 1])
    change += lp.row_lower[rows.ids]  # the initial tracked stock is on the right-hand side
    frame["stock_change_tracked"] = _clean(change)
    return frame


def class_flows(solution, region: str, commodities, period: int, what: str = "deliveries") -> pd.DataFrame:
    """Tonnes per year by class of ``what`` (``deliveries`` or ``arrivals``) of ``commodities`` in
    ``region`` and ``period``: columns commodity, content_class (``clean``/``tracked``), tonnes.

    For rules of one's own (E5a ``min_share``/``max_share`` of clean content): the clean share of
    Japan's NdPr deliveries in 2030 is ``tonnes[clean] / tonnes.sum()`` of
    ``class_flows(solution, "JP", ["NdPr_oxide"], 2030)``. Needs a solution with content classes.
    """
    commodities = [commodities] if isinstance(commodities, str) else list(commodities)
    if what == "deliveries":
        table = solution["delivered"]
        if "delivered_tracked" not in table:
            raise ValueError("the solution has no content classes: declare content: {tracked: [...]}")
        rows = table[(table["region"] == region) & table["commodity"].isin(commodities) & (table["period"] == period)]
        tracked, total = rows["delivered_tracked"], rows["delivered"]
    elif what == "arrivals":
        table = solution["trade"]
        if "shipped_tracked" not in table:
            raise ValueError("the solution has no content classes: declare content: {tracked: [...]}")
        rows = table[
            (table["destination"] == region) & table["commodity"].isin(commodities) & (table["period"] == period)
        ]
        keep = rows["arrived"] / rows["shipped"]
        tracked, total = rows["shipped_tracked"] * keep, rows["arrived"]
    else:
        raise ValueError(f"what must be deliveries or arrivals, not {what!r}")
    frame = pd.DataFrame(
        {"commodity": rows["commodity"], "tracked": tracked.fillna(0.0), "clean": total - tracked.fillna(total)}
    )
    long = frame.melt(id_vars="commodity", value_vars=list(CLASSES), var_name="content_class", value_name="tonnes")
    return long.groupby(["commodity", "content_class"], as_index=False)["tonnes"].sum()
