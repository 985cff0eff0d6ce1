"""``renumber(changed=...)``: recomputing only the families a changed field feeds gives the numbers of
recomputing every family (the registry's ``reads`` are complete)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from optimizer.instance import load_instance
from optimizer.model import build_model
from optimizer.model.renumber import renumber
from tests.builders import chain_instance

VECTORS = ("col_lower", "col_upper", "row_lower", "row_upper", "col_cost")


def _every_family_instance(folder):
    """The chain over two periods with everything that has numbers: a mine B may build (with a
    reserve), a stock of metal in B, an export quota, tariffs on a reference price, a disposal cost,
    a demand curve next to a hard demand, and forbidden transit (its rows read the stocks)."""
    return chain_instance(
        folder,
        periods=[2025, 2030],
        transit="forbidden",
        commodities=[
            {"commodity": "ore", "stage": "concentrate", "disposal_cost": 1.0},
            {"commodity": "metal", "stage": "metal", "reference_price": 50.0},
        ],
        processes=[
            {"process": "mine", "region": "A", "capacity": 100, "cost_system": 10, "reserve": 900},
            {"process": "mine", "region": "B", "capacity": 5, "cost_system": 12, "max_build": 50, "capex": 2},
            {"process": "refine", "region": "A", "capacity": "", "cost_system": 20},
            {"process": "refine", "region": "B", "capacity": 30, "cost_system": 25},
        ],
        trade=[{"commodity": "metal", "origin": "A", "destination": "B", "cost": 5, "tariff_rate": 0.1}],
        demand=[
            {"region": "B", "commodity": "metal", "quantity": 45, "price": 80, "elasticity": -0.5},
            {"region": "A", "commodity": "metal", "quantity": 10, "penalty": 500},
        ],
        quotas=[{"quota": "cap", "origin": "A", "commodities": "metal", "limit": 40}],
        stocks=[{"region": "B", "commodity": "metal", "initial": 10, "max_level": 60, "holding_cost": 1}],
    )


def _scaled(frame, **changes):
    return frame.assign(**{column: frame[column] * factor for column, factor in changes.items()})


PERTURBED = {
    "processes": lambda d: _scaled(
        d.processes, capacity=0.9, cost_system=1.5, capex=2.0, max_build=0.5, reserve=0.8
    ).assign(min_activity=0.5),
    "trade": lambda d: _scaled(d.trade, cost=1.2, tariff_rate=2.0, capacity=0.5).assign(tariff=1.0),
    "demand": lambda d: _scaled(d.demand, quantity=1.1, price=1.2, penalty=1.5),
    "stocks": lambda d: _scaled(d.stocks, initial=2.0, max_level=0.9, holding_cost=3.0),
    "quotas": lambda d: _scaled(d.quotas, limit=0.5),
    "reference_price": lambda d: d.reference_price * 1.3,
    "disposal_cost": lambda d: d.disposal_cost + 2.0,
}


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    built = build_model(load_instance(_every_family_instance(tmp_path_factory.mktemp("renumber") / "all")))
    assert {"reserve", "quota", "transit", "capacity"} <= set(built.lp.rows)
    assert built.lp.columns["build"].size and built.lp.columns["stock"].size and built.lp.columns["elastic_step"].size
    return built


@pytest.mark.parametrize("field", list(PERTURBED))
def test_renumbering_what_a_field_feeds_equals_renumbering_everything(model, field):
    """Each ModelData field a re-solve may replace, changed alone: the families that read it (and the
    objective) recomputed alone give exactly the vectors of recomputing all, and those differ from the
    base's (the change reached the program, so a family missing from ``reads`` would show)."""
    data = dataclasses.replace(model.data, **{field: PERTURBED[field](model.data)})
    selective = renumber(model.lp, data, model.availability, changed={field})
    full = renumber(model.lp, data, model.availability)
    for name in VECTORS:
        np.testing.assert_array_equal(getattr(selective, name), getattr(full, name), err_msg=f"{field}: {name}")
    assert selective.offset == full.offset
    assert selective.cost_parts.keys() == full.cost_parts.keys()
    for name in full.cost_parts:
        np.testing.assert_array_equal(selective.cost_parts[name], full.cost_parts[name], err_msg=name)
    moved = [name for name in VECTORS if not np.array_equal(getattr(full, name), getattr(model.lp, name))]
    assert moved or full.offset != model.lp.offset, f"changing {field} moved no number"


def test_renumbering_nothing_changed_keeps_every_vector(model):
    """``changed=()`` (only a table the model does not read, such as observed.csv, changed) is the
    program as it was, the very same arrays of costs."""
    same = renumber(model.lp, model.data, model.availability, changed=())
    for name in VECTORS:
        np.testing.assert_array_equal(getattr(same, name), getattr(model.lp, name))
    assert same.col_cost is model.lp.col_cost and same.cost_parts is model.lp.cost_parts
