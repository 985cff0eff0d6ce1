"""Rules of origin settings (FORMULATION.md E2 and E3), read from instance.yaml or a scenario.

* ``transit``: ``allowed`` (default) or ``forbidden``. Forbidden means a region that is not a hub
  (``hub: true`` in regions.csv) exports a commodity only out of what it made or drew from stock.
* ``content``: ``{tracked: [regions]}``. Every rare-earth flow then carries a class, clean or
  tracked; ``max_tracked_share`` in demand.csv bounds the tracked share of a delivery.
"""

from __future__ import annotations

import pandas as pd

from optimizer.errors import InputError, Problem

TRANSIT = ("allowed", "forbidden")
ORIGIN_SETTINGS = ("transit", "content")


def read_origin_settings(data: dict, fail) -> dict:
    """``transit`` and ``tracked_regions`` from a settings mapping (only the keys it has).

    ``fail(key, message, expected)`` builds the InputError naming the file and line.
    """
    settings: dict = {}
    if data.get("transit") is not None:
        transit = data["transit"]
        if transit not in TRANSIT:
            raise fail("transit", f"'{transit}' is not a transit rule", "allowed or forbidden")
        settings["transit"] = transit
    if "content" in data:
        content = data["content"]
        expected = "a mapping {tracked: [region, ...]}"
        if content is None:
            settings["tracked_regions"] = ()
            return settings
        if not isinstance(content, dict) or set(content) - {"tracked"}:
            raise fail("content", "content must name its tracked regions and nothing else", expected)
        tracked = content.get("tracked") or []
        if isinstance(tracked, str):
            tracked = [tracked]
        if not isinstance(tracked, list) or not all(isinstance(r, str) and r for r in tracked):
            raise fail("content", "tracked must be a list of region names", expected)
        settings["tracked_regions"] = tuple(dict.fromkeys(tracked))
    return settings


def check_origin_settings(instance, where: str) -> None:
    """Tracked regions must be regions of the instance (a typo would silently track nothing), and a
    content rule must bound a rare-earth commodity (others have no class)."""
    demand = instance.table("demand")
    if "max_tracked_share" in demand:
        commodities = instance.table("commodities")
        general = commodities[commodities["period"].isna()]
        unit = general["unit"].fillna("").str.lower()
        rare = set(general.loc[(unit == "") | unit.str.contains("reo"), "commodity"])
        ruled = demand[(demand["max_tracked_share"] < 1) & ~demand["commodity"].isin(rare)]
        if len(ruled):
            first = ruled.iloc[0]
            raise InputError(
                Problem(
                    demand.attrs.get("file", "demand.csv"),
                    f"max_tracked_share on {first['commodity']}, which bears no rare earths (it has no content class)",
                    line=int(first["line"]) if pd.notna(first["line"]) else None,
                    column="max_tracked_share",
                    expected="a rare-earth commodity (unit blank or in t REO)",
                )
            )
    known = set(instance.regions)
    unknown = [r for r in instance.tracked_regions if r not in known]
    if unknown:
        raise InputError(
            Problem(
                where,
                "content tracks regions the instance does not have: " + ", ".join(unknown),
                column="content",
                expected="regions of regions.csv (" + ", ".join(instance.regions) + ")",
            )
        )


def hub_regions(instance) -> set[str]:
    """Regions with ``hub: true`` (they may re-export what they imported when transit is forbidden)."""
    regions = instance.table("regions")
    if "hub" not in regions:
        return set()
    return set(regions.loc[regions["hub"] == "true", "region"])
