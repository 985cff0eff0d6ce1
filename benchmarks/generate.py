"""Generated instances of growing size for the scaling benchmark: regions × commodities × periods.

A chain of commodities ``c0 → c1 → … → c{C-1}`` in every region: ``p0`` mines ``c0`` (a source),
``p{i}`` turns 1 t of ``c{i-1}`` into ``yield`` t of ``c{i}``; every commodity can be traded
between every pair of regions (full trade: one row per commodity and pair, costing more with the
distance between the regions, placed at random in a unit square); every region demands the last
commodity. Capacities are scattered around each region's needs (0.2–1.8×, 10% spare in total), so
regions must trade and the solver has real work. Everything is drawn from a seed; unmet demand is
penalised, so every instance is feasible.

The spec is also what the numpy floor and the linopy peer are built from (``floor.py``,
``peer.py``), independently of reeopt's model code.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml


@dataclass(frozen=True)
class Spec:
    regions: int
    commodities: int
    periods: int
    seed: int = 0

    @property
    def name(self) -> str:
        return f"scale_r{self.regions}_c{self.commodities}_t{self.periods}"

    def data(self) -> dict[str, np.ndarray]:
        """All the numbers of the instance, as arrays indexed [region, commodity(, period)]."""
        rng = np.random.default_rng(self.seed)
        r, c, t = self.regions, self.commodities, self.periods
        yields = np.round(rng.uniform(0.85, 0.99, c), 4)
        yields[0] = 1.0  # the mine
        demand = np.round(rng.uniform(5, 15, (r, t)), 2)
        # activity of p_j needed per tonne of final product: 1 / (yield_j * ... * yield_last)
        per_tonne = 1.0 / np.cumprod(yields[::-1])[::-1]
        capacity = np.round(1.1 * demand.mean() * per_tonne * rng.uniform(0.2, 1.8, (r, c)), 2)
        position = rng.uniform(0, 1, (r, 2))
        distance = np.sqrt(((position[:, None, :] - position[None, :, :]) ** 2).sum(axis=2))
        return {
            "yield": yields,
            "process_cost": np.round(rng.uniform(1, 50, (r, c)), 2),
            "capacity": capacity,
            "trade_cost": np.round(rng.uniform(1, 5, c)[:, None, None] * (1 + 10 * distance)[None, :, :], 3),
            "demand": demand,
            "years": 2025 + np.arange(t),
            "penalty": 10_000.0,
        }

    def nonzeros_estimate(self) -> int:
        r, c, t = self.regions, self.commodities, self.periods
        return t * (2 * c * r * (r - 1) + r * (2 * c - 1) + r * c + r)


# Sizes of about 10k, 100k, 400k, 800k and 1.5M nonzeros.
SIZES = {
    "10k": Spec(regions=12, commodities=8, periods=4),
    "100k": Spec(regions=20, commodities=10, periods=12),
    "400k": Spec(regions=30, commodities=12, periods=20),
    "800k": Spec(regions=40, commodities=14, periods=18),
    "1.5M": Spec(regions=50, commodities=15, periods=20),
}


SHOCK_REGIONS = 10
SHOCK_YAML = f"""name: shock
description: dearer shipping of c3, a fifth less p5 capacity in {SHOCK_REGIONS} regions, 10% more demand
changes:
  - table: trade
    where: {{commodity: c3}}
    scale: {{cost: 1.2}}
  - table: processes
    where: {{process: p5, region: [{", ".join(f"R{i:02d}" for i in range(SHOCK_REGIONS))}]}}
    scale: {{capacity: 0.8}}
  - table: demand
    scale: {{quantity: 1.1}}
"""


def shock(data: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The data of the ``shock`` scenario (the same change as ``SHOCK_YAML``), for the floor and the peer."""
    data = {k: np.copy(v) for k, v in data.items()}
    data["trade_cost"][3] *= 1.2
    data["capacity"][:SHOCK_REGIONS, 5] *= 0.8
    data["demand"] = data["demand"] * 1.1
    return data


def write_instance(spec: Spec, folder: Path) -> Path:
    """Write the instance folder of ``spec`` (INTERFACE.md format) and return it."""
    d = spec.data()
    folder.mkdir(parents=True, exist_ok=True)
    regions = [f"R{i:02d}" for i in range(spec.regions)]
    commodities = [f"c{j}" for j in range(spec.commodities)]
    years = [int(y) for y in d["years"]]
    (folder / "instance.yaml").write_text(
        yaml.safe_dump(
            {
                "name": spec.name,
                "description": "generated scaling benchmark",
                "periods": years,
                "discount_rate": 0.0,
                "objective": "cost",
                "unmet_penalty": d["penalty"],
            },
            sort_keys=False,
        )
    )
    pd.DataFrame({"region": regions}).to_csv(folder / "regions.csv", index=False)
    pd.DataFrame({"commodity": commodities, "stage": ["ore"] + ["intermediate"] * (spec.commodities - 1)}).to_csv(
        folder / "commodities.csv", index=False
    )
    io = [{"process": "p0", "commodity": "c0", "direction": "out", "coefficient": 1.0}]
    for j in range(1, spec.commodities):
        io.append({"process": f"p{j}", "commodity": f"c{j - 1}", "direction": "in", "coefficient": 1.0})
        io.append({"process": f"p{j}", "commodity": f"c{j}", "direction": "out", "coefficient": d["yield"][j]})
    pd.DataFrame(io).to_csv(folder / "process_io.csv", index=False)
    ri, cj = np.meshgrid(np.arange(spec.regions), np.arange(spec.commodities), indexing="ij")
    pd.DataFrame(
        {
            "process": [f"p{j}" for j in cj.ravel()],
            "region": [regions[i] for i in ri.ravel()],
            "capacity": d["capacity"].ravel(),
            "cost_system": d["process_cost"].ravel(),
        }
    ).to_csv(folder / "processes.csv", index=False)
    c, o, k = np.meshgrid(np.arange(spec.commodities), np.arange(spec.regions), np.arange(spec.regions), indexing="ij")
    link = o.ravel() != k.ravel()
    pd.DataFrame(
        {
            "commodity": np.array(commodities)[c.ravel()[link]],
            "origin": np.array(regions)[o.ravel()[link]],
            "destination": np.array(regions)[k.ravel()[link]],
            "cost": d["trade_cost"].ravel()[link],
        }
    ).to_csv(folder / "trade.csv", index=False)
    rt, tt = np.meshgrid(np.arange(spec.regions), np.arange(spec.periods), indexing="ij")
    pd.DataFrame(
        {
            "region": [regions[i] for i in rt.ravel()],
            "commodity": commodities[-1],
            "quantity": d["demand"].ravel(),
            "period": [years[k] for k in tt.ravel()],
        }
    ).to_csv(folder / "demand.csv", index=False)
    (folder / "scenarios").mkdir(exist_ok=True)
    (folder / "scenarios" / "shock.yaml").write_text(SHOCK_YAML)
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("size", choices=list(SIZES))
    parser.add_argument("folder", type=Path)
    args = parser.parse_args()
    spec = SIZES[args.size]
    write_instance(spec, args.folder)
    print(f"{args.folder}: about {spec.nonzeros_estimate():,} nonzeros")


if __name__ == "__main__":
    main()
