r"""Constraints of one's own (FORMULATION.md E5a): one row family per declared policy.

Each policy of the scenario (:mod:`optimizer.scenario.policies`) becomes a family named as the user
named it, with one row per region ``R`` and period ``t`` it covers. All rows are per year, like the
flows they bound.

Shares (``min_share`` ``\ge``, ``max_share`` ``\le``), for commodities :math:`C` in region :math:`R`:

.. math::

    \sum_{\text{good}} q - x \sum_{\text{all}} q \;\gtrless\; 0

where the quantities :math:`q` are

* ``of: arrivals``: what arrives in R, :math:`(1 - loss) f_{c,o,R,t}`; good when ``o`` is one of
  the origins (or, with ``{not: [...]}``, none of them);
* ``of: deliveries``: what R's node of c receives, its own production
  :math:`\sum_p a^{out}_{pc} z_{pRt}` plus arrivals; production is good when R itself is an allowed
  origin. With proportional mixing at the node this is the share of R's deliveries (and of
  anything R makes of c) that comes from those origins.

Shares of clean content (``clean: true``, E3) count the clean part of each flow, the total less its
tracked part: deliveries (core and curve steps), arrivals after transit loss, or production (all
tracked in a region of the tracked set; elsewhere what does not run on tracked inputs). They need
the content classes declared.

``min_production``: :math:`\sum_{c \in C} \sum_p a^{out}_{pc} z_{pRt} \ge x` (gross output, t/yr).

``recycled_content`` of process P in R: the region's output of P's rare-earth inputs by recovery
processes (those with an ``end_of_life`` input), plus what P takes of ``end_of_life`` commodities
directly, is at least x times P's rare-earth input:

.. math::

    \sum_{q \in Rec} \sum_{c \in I_P} a^{out}_{qc} z_{qRt} + \sum_{c \in I_P \cap EoL} a^{in}_{Pc} z_{PRt}
    - x \sum_{c \in I_P} a^{in}_{Pc} z_{PRt} \ge 0

This is the mass-balance (book-and-claim within the region) reading used by recycled-content
mandates: recovered material in the region counts, whichever of the region's plants takes it.

``stockpile``: :math:`h_{Rct} \ge level` in each period covered (a stock that stocks.csv does not
declare is declared by the scenario: no initial stock, no maximum, no holding cost).

The dual of a row, divided by :math:`disc_t \cdot len_t`, is the change of the objective per unit of
the row's bound in the period's money: for a share, per tonne per year of the left-hand side.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.errors import InputError, Problem
from optimizer.model.index import ModelData
from optimizer.model.lp import LPBuilder
from optimizer.scenario.policies import Policy

TERMS = ["r", "t", "col", "coefficient"]


def add_policies(data: ModelData, lp: LPBuilder, taken: set[str]) -> None:
    """One row family per policy of the instance; ``taken`` are the program's other family names."""
    for policy in data.instance.policies:
        if policy.name in taken:
            raise InputError(
                Problem(
                    policy.file,
                    f"constraint name '{policy.name}' is already a family of the model",
                    line=policy.line,
                    column="name",
                    expected="a name other than " + ", ".join(sorted(taken)),
                )
            )
        keys, terms, lower, upper = policy_rows(data, lp, policy)
        family = lp.add_rows(policy.name, keys, lower, upper)
        position = keys.reset_index(drop=True).assign(row=np.arange(len(keys)))
        placed = terms.merge(position, on=["r", "t"])
        lp.add_terms(family.start + placed["row"].to_numpy(), placed["col"].to_numpy(), placed["coefficient"])


def policy_rows(data: ModelData, lp: LPBuilder, policy: Policy):
    """Row keys ``(r, t)``, terms ``(r, t, col, coefficient)`` and the bounds of one policy's rows."""
    periods = np.searchsorted(data.periods, np.array(policy.periods))
    regions = data.regions.get_indexer(list(policy.regions))
    if policy.kind == "recycled_content" and not policy.regions:
        activity = lp.column("activity").index
        regions = np.unique(activity.loc[activity["p"] == data.process_names.get_loc(policy.process), "r"])
    keys = pd.DataFrame({"r": np.repeat(regions, len(periods)), "t": np.tile(periods, len(regions))})
    if policy.kind in ("min_share", "max_share"):
        terms = _share_terms(data, lp, policy)
        keys = keys.merge(terms[["r", "t"]].drop_duplicates(), on=["r", "t"])  # no flow can enter: no row
        lower, upper = (0.0, np.inf) if policy.kind == "min_share" else (-np.inf, 0.0)
        return keys, terms, lower, upper
    if policy.kind == "min_production":
        produced = _production(data, lp, policy.commodities)
        idle = keys.merge(produced[["r", "t"]].drop_duplicates(), how="left", indicator=True)
        idle = idle[idle["_merge"] == "left_only"]
        if policy.value > 0 and len(idle):  # a floor nothing can ever meet: a typo, not a model to solve
            region, period = data.regions[idle["r"].iat[0]], data.periods[idle["t"].iat[0]]
            raise InputError(
                Problem(
                    policy.file,
                    f"constraint {policy.name}: no process in {region} can make "
                    f"{' or '.join(policy.commodities)} in {period}, so {policy.value:g} t/yr can never be met",
                    line=policy.line,
                    column="region",
                    expected="a region with a process that makes the commodities (processes.csv)",
                )
            )
        return keys, produced[TERMS], policy.value, np.inf
    if policy.kind == "recycled_content":
        return keys, _recycled_terms(data, lp, policy), 0.0, np.inf
    stock = lp.column("stock")
    held = stock.index.assign(col=stock.ids, coefficient=1.0)
    held = held[held["c"] == data.commodities.get_loc(policy.commodities[0])]
    return keys, held[TERMS], policy.value, np.inf


def _production(data: ModelData, lp: LPBuilder, commodities) -> pd.DataFrame:
    """Gross output of ``commodities`` per region and period, as terms on activity columns."""
    activity = lp.column("activity")
    codes = data.commodities.get_indexer(list(commodities))
    recipe = data.recipe[(data.recipe["coefficient"] > 0) & data.recipe["c"].isin(codes)]
    return activity.index[["p", "r", "t"]].assign(col=activity.ids).merge(recipe, on="p")


def _arrivals(data: ModelData, lp: LPBuilder, commodities) -> pd.DataFrame:
    trade = lp.column("trade")
    codes = data.commodities.get_indexer(list(commodities))
    links = trade.index.assign(col=trade.ids, coefficient=1.0 - trade.index["loss"].to_numpy())
    return links[links["c"].isin(codes)].rename(columns={"d": "r"})


def _share_terms(data: ModelData, lp: LPBuilder, policy: Policy) -> pd.DataFrame:
    if policy.clean:
        return _clean_share_terms(data, lp, policy)
    listed = data.regions.get_indexer(list(policy.origins))
    arrivals = _arrivals(data, lp, policy.commodities)
    arrivals = arrivals.assign(good=arrivals["o"].isin(listed) != policy.exclude_origins)
    parts = [arrivals]
    if policy.measure == "deliveries":
        produced = _production(data, lp, policy.commodities)
        parts.append(produced.assign(good=produced["r"].isin(listed) != policy.exclude_origins))
    flows = pd.concat([p[["r", "t", "col", "coefficient", "good"]] for p in parts], ignore_index=True)
    flows = flows[flows["r"].isin(data.regions.get_indexer(list(policy.regions)))]
    share = policy.value
    flows["coefficient"] = flows["coefficient"] * (flows["good"].astype(float) - share)
    return flows[TERMS]


def _clean_share_terms(data: ModelData, lp: LPBuilder, policy: Policy) -> pd.DataFrame:
    """``(1 - x)·total - tracked part >= 0``: the clean part is the total less its tracked part (E3)."""

    def fail(message: str) -> InputError:
        return InputError(
            Problem(policy.file, f"constraint {policy.name}: {message}", line=policy.line, column="clean")
        )

    if "content_balance" not in lp._rows:
        raise fail("clean shares need content classes (content: {tracked: [...]} in instance.yaml or the scenario)")
    codes = data.commodities.get_indexer(list(policy.commodities))
    if not data.rare_earth[codes].all():
        raise fail("only rare-earth-bearing commodities have a content class")
    regions = data.regions.get_indexer(list(policy.regions))
    parts = []  # (r, t, col, coefficient, tracked)

    def take(frame: pd.DataFrame, family, coefficient, tracked: bool) -> None:
        chosen = frame["c"].isin(codes) & frame["r"].isin(regions) if "c" in frame else frame["r"].isin(regions)
        frame = frame[chosen]
        parts.append(
            frame[["r", "t"]].assign(
                col=family.start + frame.index.to_numpy(), coefficient=coefficient[chosen], tracked=tracked
            )
        )

    if policy.measure == "arrivals":
        for name in ("trade", "content_trade"):
            family = lp.column(name)
            links = family.index.rename(columns={"d": "r"})
            take(links, family, 1.0 - links["loss"].to_numpy(), name != "trade")
    elif policy.measure == "deliveries":
        for name in ("delivery", "elastic_step", "content_delivery", "content_elastic_step"):
            family = lp.column(name)
            take(family.index, family, np.ones(family.size), name.startswith("content_"))
    else:
        produced = _production(data, lp, policy.commodities)
        produced = produced[produced["r"].isin(regions)]
        parts.append(produced[["r", "t", "col", "coefficient"]].assign(tracked=False))
        runs = lp.column("content_activity")
        outputs = data.recipe[(data.recipe["coefficient"] > 0) & data.recipe["c"].isin(codes)]
        on_tracked = runs.index[["p", "r", "t"]].assign(col=runs.ids).merge(outputs, on="p")
        outside = ~np.isin(on_tracked["r"].to_numpy(), data.regions.get_indexer(list(data.instance.tracked_regions)))
        on_tracked = on_tracked[outside & on_tracked["r"].isin(regions).to_numpy()]
        parts.append(on_tracked[["r", "t", "col", "coefficient"]].assign(tracked=True))
        inside = produced[
            np.isin(produced["r"].to_numpy(), data.regions.get_indexer(list(data.instance.tracked_regions)))
        ]
        parts.append(inside[["r", "t", "col", "coefficient"]].assign(tracked=True))  # made in S: all tracked
    flows = pd.concat(parts, ignore_index=True)
    share = policy.value
    flows["coefficient"] = flows["coefficient"] * np.where(flows["tracked"], -1.0, 1.0 - share)
    return flows[TERMS]


def _recycled_terms(data: ModelData, lp: LPBuilder, policy: Policy) -> pd.DataFrame:
    recipe, activity = data.recipe, lp.column("activity")
    end_of_life = np.flatnonzero(data.stage == "end_of_life")
    process = data.process_names.get_loc(policy.process)
    inputs = recipe[(recipe["p"] == process) & (recipe["coefficient"] < 0) & data.rare_earth[recipe["c"]]]
    columns = activity.index[["p", "r", "t"]].assign(col=activity.ids)
    share = policy.value
    taken = columns.merge(inputs, on="p")
    taken["coefficient"] = -taken["coefficient"] * (taken["c"].isin(end_of_life).astype(float) - share)
    recovery = recipe.loc[(recipe["coefficient"] < 0) & recipe["c"].isin(end_of_life), "p"].unique()
    recovered = recipe[recipe["p"].isin(recovery) & (recipe["coefficient"] > 0) & recipe["c"].isin(inputs["c"])]
    recovered = columns.merge(recovered, on="p")
    return pd.concat([taken[TERMS], recovered[TERMS]], ignore_index=True)
