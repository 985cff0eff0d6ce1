"""Random valid instances with every feature of the model, drawn from a seed.

Two ores with joint production in separation, two recipes for one product, trade with losses and
tariffs, several periods of unequal length with discounting, builds (some lumpy, with lead times),
reserves, a quota and a stock. Demand is penalised, so every draw is feasible.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tests.builders import write_instance

COMMODITIES = [
    {"commodity": "ore_a", "stage": "concentrate"},
    {"commodity": "ore_b", "stage": "concentrate"},
    {"commodity": "ox_1", "stage": "oxide", "reference_price": 50},
    {"commodity": "ox_2", "stage": "oxide", "reference_price": 20, "disposal_cost": 2},
    {"commodity": "ox_3", "stage": "oxide", "reference_price": 120},
    {"commodity": "product", "stage": "functional_material", "reference_price": 300},
]
RECIPES = {
    "mine_a": {"ore_a": 1.0},
    "mine_b": {"ore_b": 1.0},
    "sep_a": {"ore_a": -1.0, "ox_1": 0.6, "ox_2": 0.3},
    "sep_b": {"ore_b": -1.0, "ox_1": 0.2, "ox_2": 0.2, "ox_3": 0.5},
    "make": {"ox_1": -0.7, "ox_3": -0.3, "product": 1.0},
    "make_alt": {"ox_1": -0.8, "ox_2": -0.2, "product": 0.95},
}
PERIOD_CHOICES = ([2025], [2025, 2026], [2025, 2027, 2030])


def random_instance(
    folder: Path,
    seed: int,
    *,
    hard_demand: bool = False,
    value_objective: bool = False,
    lumpy: bool = True,
    price: float | None = None,
    penalty: float | None = None,
    backstop: float | None = None,
) -> Path:
    """Write a random instance; ``lumpy=False`` keeps it an LP, ``price``/``penalty`` override demand's.

    ``backstop``: a source of each demanded commodity in each demanding region, unlimited, at this
    cost per tonne, so that even hard demand can always be met (the draw is feasible by construction).
    """
    rng = np.random.default_rng(seed)
    regions = [f"R{i}" for i in range(int(rng.integers(2, 5)))]
    periods = PERIOD_CHOICES[int(rng.integers(0, len(PERIOD_CHOICES)))]

    process_io = [
        {"process": p, "commodity": c, "direction": "out" if a > 0 else "in", "coefficient": abs(a)}
        for p, recipe in RECIPES.items()
        for c, a in recipe.items()
    ]
    processes = []
    for process in RECIPES:
        hosts = [r for r in regions if rng.random() < 0.6] or [regions[int(rng.integers(len(regions)))]]
        for region in hosts:
            row = {
                "process": process,
                "region": region,
                "capacity": ""
                if process.startswith(("sep", "make")) and rng.random() < 0.3
                else round(float(rng.uniform(20, 120)), 1),
                "cost_system": round(float(rng.uniform(1, 40)), 2),
                "cost_energy": round(float(rng.uniform(0, 10)), 2),
                "cost_material": round(float(rng.uniform(0, 10)), 2),
                "cost_waste": round(float(rng.uniform(0, 5)), 2),
            }
            if row["capacity"] != "" and rng.random() < 0.35:
                row.update(
                    capex=round(float(rng.uniform(5, 30)), 2),
                    max_build=round(float(rng.uniform(10, 80)), 1),
                    lead_time=int(rng.integers(0, 3)),
                )
                if lumpy and rng.random() < 0.4:
                    row["unit_size"] = 10
            if process.startswith("mine") and rng.random() < 0.3:
                row["reserve"] = round(float(rng.uniform(50, 300)), 1)
            processes.append(row)
            if len(periods) > 1 and row["capacity"] != "" and rng.random() < 0.3:
                processes.append(
                    {**row, "period": periods[-1], "capacity": round(float(rng.uniform(0, 150)), 1), "reserve": ""}
                )

    trade = []
    for c in [x["commodity"] for x in COMMODITIES]:
        for o in regions:
            for d in regions:
                if o != d and rng.random() < 0.4:
                    trade.append(
                        {
                            "commodity": c,
                            "origin": o,
                            "destination": d,
                            "cost": round(float(rng.uniform(0.5, 15)), 2),
                            "tariff_rate": round(float(rng.choice([0, 0, 0.05, 0.1])), 2),
                            "loss": round(float(rng.choice([0, 0, 0.01, 0.03])), 2),
                            "capacity": "" if rng.random() < 0.5 else round(float(rng.uniform(5, 60)), 1),
                        }
                    )

    demand = []
    for region in regions:
        if rng.random() < 0.7:
            demand.append(
                {
                    "region": region,
                    "commodity": "product",
                    "quantity": round(float(rng.uniform(5, 40)), 1),
                    "price": 600,
                    "penalty": "" if hard_demand else 1000,
                }
            )
    if not demand:
        demand.append(
            {
                "region": regions[0],
                "commodity": "product",
                "quantity": 10,
                "price": 600,
                "penalty": "" if hard_demand else 1000,
            }
        )
    if rng.random() < 0.5:
        demand.append(
            {
                "region": regions[-1],
                "commodity": "ox_2",
                "quantity": round(float(rng.uniform(1, 10)), 1),
                "price": 100,
                "penalty": "" if hard_demand else 400,
            }
        )

    for row in demand:
        if price is not None:
            row["price"] = price
        if penalty is not None and not hard_demand:
            row["penalty"] = penalty

    if backstop is not None:
        for row in demand:
            name = f"backstop_{row['commodity']}"
            if not any(io["process"] == name for io in process_io):
                process_io.append(
                    {"process": name, "commodity": row["commodity"], "direction": "out", "coefficient": 1}
                )
            processes.append({"process": name, "region": row["region"], "capacity": "", "cost_system": backstop})

    quotas = None
    exporters = sorted({row["origin"] for row in trade if row["commodity"] in ("ox_1", "ox_3")})
    if exporters and rng.random() < 0.5:
        quotas = [
            {
                "quota": "oxide_exports",
                "origin": exporters[0],
                "commodities": "ox_1;ox_3",
                "limit": round(float(rng.uniform(0, 30)), 1),
            }
        ]
    stocks = None
    if rng.random() < 0.5:
        stocks = [
            {
                "region": regions[0],
                "commodity": "ox_1",
                "initial": round(float(rng.uniform(0, 20)), 1),
                "max_level": round(float(rng.uniform(20, 60)), 1),
                "holding_cost": 0.5,
            }
        ]

    return write_instance(
        folder,
        regions=regions,
        periods=periods,
        commodities=COMMODITIES,
        process_io=process_io,
        processes=processes,
        trade=trade or None,
        demand=demand,
        quotas=quotas,
        stocks=stocks,
        discount_rate=float(rng.choice([0.0, 0.05])),
        objective="value" if value_objective else "cost",
    )
