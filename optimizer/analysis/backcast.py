"""Backcast: a solve set beside history, row by row, with deviations and tolerances.

Each row of the instance's ``observed.csv`` becomes one comparison:

=============  ==========================================  ======================================
group          observed row                                model figure
=============  ==========================================  ======================================
production     ``activity`` of a ``mining_*`` process       mining activity of the region, summed
               (summed per region: a country's output)      over its feeds
plants         ``activity`` of any other process            that process's activity in the region
imports        ``trade`` (commodity, origin, destination)   tonnes shipped on that link
deliveries     ``delivered`` (region, commodity)            tonnes delivered to final demand
prices         ``price`` (region, commodity), per t         marginal value of the commodity there
prices         ``export_price`` (region, commodity), per t  marginal value there (made there, under
               (a price quoted on export, e.g. FOB)         ``transit: forbidden``) plus the rent of
                                                            the export quotas on the links it
                                                            ships on (quotas.csv)
=============  ==========================================  ======================================

An export price under a binding export quota exceeds the price at home by the quota's rent: a
tonne licensed for export fetches what it is worth abroad net of shipping, not what it is worth at
home. The rent of a link is the sum of the rents of the quotas that cover it; where the commodity
ships to several destinations the rents are weighted by the tonnes shipped, and where it ships
nowhere the cheapest link it could ship on counts (trade.csv's links from the region, but those of
capacity 0: no rent when one of them is covered by no quota).

``deviation`` is ``model / observed - 1``; a row is ``within`` when ``|deviation| <= tolerance``
(an observed zero has no deviation and is within only when the model's figure is zero too).
The tolerance of a row is its ``x_tolerance`` cell (a fraction), else the group's default below.
``role`` is the row's ``x_role`` cell: ``calibration`` marks an observation the data were chosen to
reproduce (a floor or cap on that year's activity, a demand curve's reference point), so meeting it
proves nothing; ``validation`` marks one the model was not tuned to. Only validation rows test the
model. ``source`` is the row's ``x_source`` cell. ``flag`` names what makes a price row's model figure no
market price (balance.csv ``price_flag``: penalty, outside_band, disposal, not_unique) and, for an
export price, ``rent_not_unique`` where a quota's rent it adds is one of several optimal ones.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.model.index import quota_coverage
from optimizer.output.columns import BACKCAST_COLUMNS
from optimizer.solution import Solution

# Default tolerances per group (fractions of the observed value), used where a row gives none:
# country output and plant output within 15 % (USGS rounds to two significant digits and estimates
# most non-US figures; company figures are fiscal years), trade within 25 % (customs gross tonnes
# converted to REO), prices within 30 % (annual means of a market that moved ±30 % within 2025).
DEFAULT_TOLERANCE = {"production": 0.15, "plants": 0.15, "imports": 0.25, "deliveries": 0.15, "prices": 0.30}


def backcast_table(solution: Solution, observed: pd.DataFrame, periods: list[int] | None = None) -> pd.DataFrame:
    """Model against ``observed`` (the observed.csv table), one row per comparison (BACKCAST_COLUMNS).

    ``periods`` keeps only those years (default: every observed year the solution covers).
    """
    observed = _notes(observed)
    if periods is not None:
        observed = observed[observed["period"].isin(periods)]
    observed = observed[observed["period"].isin(solution.instance.periods)]
    parts = [_production(solution, observed), *_matched(solution, observed), _export_prices(solution, observed)]
    table = pd.concat([p for p in parts if not p.empty], ignore_index=True)
    if table.empty:
        return pd.DataFrame(columns=BACKCAST_COLUMNS)
    tolerance = table["group"].map(DEFAULT_TOLERANCE)
    table["tolerance"] = table["tolerance"].fillna(tolerance)
    with np.errstate(divide="ignore", invalid="ignore"):
        table["deviation"] = np.where(table["observed"] != 0, table["model"] / table["observed"] - 1.0, np.nan)
    # an observed zero has no relative deviation: it is met only by a model figure of zero
    nothing_either = (table["observed"] == 0) & (table["model"].abs() <= 1e-9)
    table["within"] = (table["deviation"].abs() <= table["tolerance"]) | nothing_either
    table["period"] = table["period"].astype(int)
    return table[BACKCAST_COLUMNS].reset_index(drop=True)


def _notes(observed: pd.DataFrame) -> pd.DataFrame:
    frame = observed.copy()
    for column in ("x_role", "x_source", "x_tolerance"):
        if column not in frame:
            frame[column] = ""
    frame["x_role"] = frame["x_role"].replace("", "validation")
    frame["x_tolerance"] = pd.to_numeric(frame["x_tolerance"].replace("", np.nan))
    frame["period"] = frame["period"].astype(int)
    return frame


def _rows(frame: pd.DataFrame, group: str, item: pd.Series, model: pd.Series, flag=None) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "group": group,
            "item": item.to_numpy(),
            "period": frame["period"].to_numpy(),
            "role": frame["x_role"].to_numpy(),
            "observed": frame["value"].to_numpy(dtype=float),
            "model": model.to_numpy(dtype=float),
            "tolerance": frame["x_tolerance"].to_numpy(dtype=float),
            "source": frame["x_source"].to_numpy(),
            "flag": "" if flag is None else np.asarray(flag, dtype=object),
        }
    )


def _activity(solution: Solution) -> pd.DataFrame:
    return solution["activity"][["process", "region", "period", "activity"]]


def _production(solution: Solution, observed: pd.DataFrame) -> pd.DataFrame:
    rows = observed[(observed["kind"] == "activity") & observed["process"].str.startswith("mining_")]
    if rows.empty:
        return pd.DataFrame()
    by_region = rows.groupby(["region", "period"], as_index=False).agg(
        value=("value", "sum"),
        x_role=("x_role", "first"),
        x_source=("x_source", "first"),
        x_tolerance=("x_tolerance", "first"),
    )
    activity = _activity(solution)
    mined = (
        activity[activity["process"].str.startswith("mining_")]
        .groupby(["region", "period"], as_index=False)["activity"]
        .sum()
    )
    merged = by_region.merge(mined, on=["region", "period"], how="left").fillna({"activity": 0.0})
    return _rows(merged, "production", "mine output " + merged["region"], merged["activity"])


# Observation rows matched key by key to a solution table: (group, kind of row, table, keys, model
# column, what a missing model row counts as, item label). Production is summed per country above.
MATCHED = (
    ("plants", "activity", "activity", ["process", "region", "period"], "activity", 0.0, "{process} {region}"),
    ("imports", "trade", "trade", ["commodity", "origin", "destination", "period"], "shipped", 0.0,
     "{commodity} {origin}→{destination}"),
    ("deliveries", "delivered", "delivered", ["region", "commodity", "period"], "delivered", 0.0,
     "{commodity} {region}"),
    # a price the model does not have stays blank: no deviation, not within
    ("prices", "price", "balance", ["region", "commodity", "period"], "marginal_value", None, "{commodity} {region}"),
)  # fmt: skip


def _matched(solution: Solution, observed: pd.DataFrame) -> list[pd.DataFrame]:
    parts = []
    for group, kind, table, keys, column, missing, item in MATCHED:
        rows = observed[observed["kind"] == kind]
        if kind == "activity":  # mines are production, per country
            rows = rows[~rows["process"].str.startswith("mining_")]
        if rows.empty:
            continue
        flagged = kind == "price" and "price_flag" in solution[table]
        merged = rows.merge(solution[table][[*keys, column, *(["price_flag"] if flagged else [])]], on=keys, how="left")
        if missing is not None:
            merged[column] = merged[column].fillna(missing)
        parts.append(_rows(merged, group, merged.apply(lambda row, label=item: label.format_map(row), axis=1),
                           merged[column], merged["price_flag"].fillna("") if flagged else None))  # fmt: skip
    return parts


def _export_prices(solution: Solution, observed: pd.DataFrame) -> pd.DataFrame:
    rows = observed[observed["kind"] == "export_price"]
    if rows.empty:
        return pd.DataFrame()
    keys = ["commodity", "origin", "period"]
    rent = _link_rents(solution)
    exports = solution["trade"][[*keys, "destination", "shipped"]]
    exports = exports.merge(rent, on=[*keys, "destination"], how="left").fillna({"rent": 0.0})
    shipped = exports[exports["shipped"] > 0]
    weighted = (
        shipped.assign(paid=shipped["rent"] * shipped["shipped"])
        .groupby(keys)[["paid", "shipped"]]
        .sum()
        .eval("paid / shipped")
        .rename("rent")
    )
    cheapest = _cheapest_link(rent, solution.instance.expanded("trade"))
    # under transit: forbidden an exporter's marginal_value can be either end of an interval (Lynas
    # Malaysia's Tb in 2033: 0); what a tonne made there fetches, marginal_value_made, is unique
    balance = solution["balance"]
    made = "marginal_value_made" in balance
    value, flag = ("marginal_value_made", "price_flag_made") if made else ("marginal_value", "price_flag")
    columns = [value, *([flag] if flag in balance else [])]
    merged = rows.merge(balance[["region", "commodity", "period", *columns]],
                        on=["region", "commodity", "period"], how="left")  # fmt: skip
    merged = merged.rename(columns={value: "marginal_value", flag: "price_flag"})
    at = pd.MultiIndex.from_frame(merged[["commodity", "region", "period"]], names=keys)
    licence = weighted.reindex(at).fillna(cheapest.reindex(at)).fillna(0.0).to_numpy()
    items = merged["commodity"] + " " + merged["region"] + " (export)"
    unsure = _unsure_rents(solution).reindex(at, fill_value=False).to_numpy()
    price_flag = merged["price_flag"].fillna("") if "price_flag" in merged else pd.Series("", index=merged.index)
    flags = [
        " ".join(part for part in (f, "rent_not_unique" if u else "") if part)
        for f, u in zip(price_flag, unsure, strict=True)
    ]
    return _rows(merged, "prices", items, merged["marginal_value"] + licence, flags)


def _unsure_rents(solution: Solution) -> pd.Series:
    """Per (commodity, origin, period): whether a quota covering the commodity from there has a rent
    that is not unique (quotas.csv ``rent_flag``), so the export price built on it is not either."""
    covered = _covered_links(solution)
    if covered.empty:
        return pd.Series(dtype=bool)
    unsure = covered.loc[covered["rent_flag"].fillna("") == "not_unique", ["commodity", "origin", "period"]]
    return pd.Series(True, index=pd.MultiIndex.from_frame(unsure).unique())


def _link_rents(solution: Solution) -> pd.DataFrame:
    """The rent of every (commodity, origin, destination, period) link some quota covers: the sum of
    the rents of the quotas covering it (quotas.csv)."""
    covered = _covered_links(solution)
    if covered.empty:  # typed, so that rents merged from it stay numbers
        columns = {"commodity": object, "origin": object, "destination": object, "period": np.int64, "rent": float}
        return pd.DataFrame({name: pd.Series(dtype=kind) for name, kind in columns.items()})
    return covered.groupby(["commodity", "origin", "destination", "period"], as_index=False)["rent"].sum()


def _covered_links(solution: Solution) -> pd.DataFrame:
    """Every link each quota row covers (the model's own coverage, ``quota_coverage``), with the row's
    rent and flag: quotas.csv's rows are the expanded quotas table's, in its order."""
    quotas = solution["quotas"]
    if quotas.empty:
        return pd.DataFrame()
    covered = quota_coverage(solution.instance.expanded("quotas"), solution.instance.regions)
    rows = quotas.drop(columns=["quota", "origin"]).reset_index(drop=True)
    return covered.join(rows, on="quota")


def _cheapest_link(rent: pd.DataFrame, links: pd.DataFrame) -> pd.Series:
    """Per (commodity, origin, period): the least rent over the links the commodity could ship on
    (the expanded trade table's ``links``, but those of capacity 0); a link no quota covers has no rent."""
    links = links.loc[links["capacity"].fillna(np.inf) > 0, ["commodity", "origin", "destination", "period"]]
    links = links.merge(rent, on=["commodity", "origin", "destination", "period"], how="left")
    return links.fillna({"rent": 0.0}).groupby(["commodity", "origin", "period"])["rent"].min()
