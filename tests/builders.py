"""Small instance folders written from Python lists, for tests that need their own data."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import yaml

REPO = Path(__file__).resolve().parents[1]
INSTANCES = REPO / "instances"


def write_instance(
    folder: Path,
    *,
    regions: list[str],
    commodities: list[dict],
    process_io: list[dict],
    processes: list[dict],
    demand: list[dict],
    trade: list[dict] | None = None,
    quotas: list[dict] | None = None,
    stocks: list[dict] | None = None,
    observed: list[dict] | None = None,
    periods: list[int] | dict | None = None,
    **settings,
) -> Path:
    """Write an instance folder; tables are lists of row dicts (missing cells are blank)."""
    folder.mkdir(parents=True, exist_ok=True)
    config = {"name": folder.name, "periods": periods or [2025], **settings}
    (folder / "instance.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    pd.DataFrame({"region": regions}).to_csv(folder / "regions.csv", index=False)
    tables = {
        "commodities": commodities,
        "process_io": process_io,
        "processes": processes,
        "demand": demand,
        "trade": trade,
        "quotas": quotas,
        "stocks": stocks,
        "observed": observed,
    }
    headers = {
        "demand": ["region", "commodity", "quantity"],
        "processes": ["process", "region", "capacity"],
        "trade": ["commodity", "origin", "destination"],
        "quotas": ["quota", "origin", "commodities", "limit"],
        "stocks": ["region", "commodity"],
        "observed": ["kind", "period", "value"],
    }
    for name, rows in tables.items():
        if rows is None:
            continue
        frame = pd.DataFrame(rows, columns=headers.get(name)) if not rows else pd.DataFrame(rows)
        frame.to_csv(folder / f"{name}.csv", index=False)
    return folder


def copy_instance(name: str, destination: Path) -> Path:
    """A copy of a shipped instance, to break or change in a test."""
    target = destination / name
    shutil.copytree(INSTANCES / name, target)
    return target


def chain_instance(folder: Path, **overrides) -> Path:
    """Two regions, one mine, one refinery, trade and a demand: the smallest chain worth testing.

    MINE (region A) makes ore at 10/t (capacity 100); REFINE (A or B) turns 1 t ore into 0.9 t metal
    at 20/t; metal ships A→B at 5/t; B demands 45 t metal.
    """
    spec = dict(
        regions=["A", "B"],
        commodities=[{"commodity": "ore", "stage": "concentrate"}, {"commodity": "metal", "stage": "metal"}],
        process_io=[
            {"process": "mine", "commodity": "ore", "direction": "out", "coefficient": 1},
            {"process": "refine", "commodity": "ore", "direction": "in", "coefficient": 1},
            {"process": "refine", "commodity": "metal", "direction": "out", "coefficient": 0.9},
        ],
        processes=[
            {"process": "mine", "region": "A", "capacity": 100, "cost_system": 10},
            {"process": "refine", "region": "A", "capacity": "", "cost_system": 20},
        ],
        trade=[{"commodity": "metal", "origin": "A", "destination": "B", "cost": 5}],
        demand=[{"region": "B", "commodity": "metal", "quantity": 45}],
    )
    spec.update(overrides)
    return write_instance(folder, **spec)


def buildable_chain(folder: Path, **overrides) -> Path:
    """The chain with A's mine held to 20 t/yr and a mine B may build (capex 1 per t/yr and year, up to
    100), both regions refining at home, metal shipping A→B at 0.5/t (0.45 per t of ore)."""
    spec = dict(
        processes=[
            {"process": "mine", "region": "A", "capacity": 20, "cost_system": 10},
            {"process": "mine", "region": "B", "capacity": 0, "cost_system": 10, "max_build": 100, "capex": 1},
            {"process": "refine", "region": "A", "capacity": "", "cost_system": 20},
            {"process": "refine", "region": "B", "capacity": "", "cost_system": 20},
        ],
        trade=[{"commodity": "metal", "origin": "A", "destination": "B", "cost": 0.5}],
    )
    return chain_instance(folder, **{**spec, **overrides})
