"""Sourcing that agrees with the content classes (FORMULATION.md E3), by construction.

The proportional-mixing trace of :mod:`optimizer.analysis.sourcing` runs on the class-resolved
network: every rare-earth node ``(region, commodity, period)`` becomes two, one per class (the region
labelled ``region<SEP>class``), and every flow goes between nodes of its class:

* a process outside the tracked set runs twice, on clean and on tracked inputs, each making its
  own class; a process in the set takes inputs of both classes into one run that makes tracked;
* a source makes tracked in the set, clean elsewhere; stock draws keep the class they are drawn in;
* clean material used as tracked (the program's ``downgraded``, and the clean inputs of a process in
  the set) flows from the clean node to the tracked node of the same place.

A clean node is fed only by clean nodes and clean sources, so the sourcing of a clean delivery can
contain no origin in the tracked set: that is what the balances per class guarantee, not a filter.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.model.content import CLASSES

SEP = "\x1f"
CLEAN, TRACKED = CLASSES


def labelled(region: pd.Series, content_class) -> pd.Series:
    return region.astype(str) + SEP + content_class


def unlabelled(region) -> tuple[np.ndarray, np.ndarray]:
    """Region names and classes of labelled regions."""
    parts = pd.Series(np.asarray(region, dtype=object)).str.split(SEP, n=1, expand=True)
    parts = parts.reindex(columns=[0, 1])  # no labelled regions at all (e.g. no process has inputs)
    return parts[0].to_numpy(dtype=object), parts[1].to_numpy(dtype=object)


def has_classes(solution) -> bool:
    return "delivered_tracked" in solution["delivered"]


def class_resolved(solution, flows: pd.DataFrame, trade: pd.DataFrame, balance: pd.DataFrame, delivered: pd.DataFrame):
    """The rare-earth flows, trade, balance and deliveries of ``solution`` split by class, regions labelled."""
    tracked_regions = set(solution.instance.tracked_regions)
    activity = solution["activity"][["process", "region", "period", "activity_tracked", "activity_on_tracked_inputs"]]
    flows = flows.merge(activity, on=["process", "region", "period"], how="left")
    share_in = (flows["activity_on_tracked_inputs"] / flows["activity"]).fillna(0.0).clip(0, 1)
    share_out = (flows["activity_tracked"] / flows["activity"]).fillna(0.0).clip(0, 1)
    in_s = flows["region"].isin(tracked_regions).to_numpy()
    output = (flows["direction"] == "out").to_numpy()
    share = np.where(output, share_out, share_in)
    drop = ["activity_tracked", "activity_on_tracked_inputs"]
    base = flows.drop(columns=drop)
    tracked_part = base.assign(
        region=labelled(base["region"], TRACKED), tonnes=base["tonnes"] * np.where(in_s, 1.0, share)
    )
    clean_part = base[~in_s].assign(
        region=labelled(base["region"][~in_s], CLEAN), tonnes=base["tonnes"][~in_s] * (1 - share[~in_s])
    )
    split_flows = pd.concat([tracked_part, clean_part], ignore_index=True)

    # clean inputs of processes in the set: from the clean node to the tracked node of the place
    clean_in = base[in_s & ~output].assign(arrived=base["tonnes"][in_s & ~output] * (1 - share_in[in_s & ~output]))
    moves = [clean_in[["commodity", "region", "period", "arrived"]]]
    if "downgraded" in balance:
        moves.append(balance[["commodity", "region", "period", "downgraded"]].rename(columns={"downgraded": "arrived"}))
    moves = pd.concat(moves, ignore_index=True)
    moves = moves[moves["arrived"] > 0]
    downgrade = pd.DataFrame(
        {
            "commodity": moves["commodity"],
            "origin": labelled(moves["region"], CLEAN),
            "destination": labelled(moves["region"], TRACKED),
            "period": moves["period"],
            "arrived": moves["arrived"],
        }
    )

    tracked_share = (trade["shipped_tracked"].fillna(0.0) / trade["shipped"]).fillna(0.0).clip(0, 1)
    split_trade = pd.concat(
        [
            trade.assign(
                origin=labelled(trade["origin"], k),
                destination=labelled(trade["destination"], k),
                shipped=trade["shipped"] * part,
                arrived=trade["arrived"] * part,
                cost=trade["cost"] * part,
            )[["commodity", "origin", "destination", "period", "shipped", "arrived", "cost"]]
            for k, part in ((TRACKED, tracked_share), (CLEAN, 1 - tracked_share))
        ]
        + [downgrade.assign(shipped=downgrade["arrived"], cost=0.0)],
        ignore_index=True,
    )

    tracked_change = balance["stock_change_tracked"].fillna(0.0)
    split_balance = pd.concat(
        [
            balance.assign(region=labelled(balance["region"], k), stock_change=change)[
                ["region", "commodity", "period", "stock_change"]
            ]
            for k, change in ((TRACKED, tracked_change), (CLEAN, balance["stock_change"] - tracked_change))
        ],
        ignore_index=True,
    )

    split_delivered = pd.concat(
        [
            delivered.assign(region=labelled(delivered["region"], k), delivered=delivered[f"delivered_{k}"])
            for k in CLASSES
        ],
        ignore_index=True,
    )
    split_delivered = split_delivered[split_delivered["delivered"] > 1e-9]
    return (
        split_flows[split_flows["tonnes"].abs() > 0],
        split_trade[split_trade["arrived"] > 0],
        split_balance,
        split_delivered,
    )
