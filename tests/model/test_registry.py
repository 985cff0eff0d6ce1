"""One registry drives the build, the re-solve updates, the Pyomo names and the constraints table."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from optimizer.instance import load_instance
from optimizer.model import build_model, registry
from optimizer.model.pyomo_model import build_pyomo
from optimizer.model.pyomo_solve import PyomoHighs
from optimizer.model.renumber import renumber
from optimizer.solution import make_solution


def test_program_families_are_the_registry_in_order():
    lp = build_model(load_instance("toy")).lp
    assert list(lp.columns) == [s.name for s in registry.FAMILIES if s.kind == "variable"]
    # toy allows transit, declares no content classes and no constraints of one's own
    assert list(lp.rows) == [s.name for s in registry.FAMILIES if s.kind == "constraint" and s.name != "transit"]


def test_renumbering_the_same_data_gives_the_same_numbers():
    model = build_model(load_instance("world"))
    again = renumber(model.lp, model.data, model.availability)
    for name in ("col_lower", "col_upper", "row_lower", "row_upper", "col_cost"):
        assert np.array_equal(getattr(again, name), getattr(model.lp, name)), name


def add_magnet_cap(data, lp, availability):
    """A family of one row per class ``k`` (passed through as an index): magnets made in EAST <= 90."""
    activity = lp.column("activity")
    making = np.flatnonzero(activity.index["p"].to_numpy() == data.process_names.get_loc("magnet_making"))
    family = lp.add_rows("magnet_cap", pd.DataFrame({"k": ["all"], "t": [0]}), -np.inf, 90.0)
    lp.add_terms(np.full(making.size, family.start), activity.ids[making], 1.0)


def test_a_registered_family_appears_in_pyomo_named_and_in_constraints_csv(monkeypatch):
    """A family registered by another module is built, named in Pyomo with its passed-through index
    column, and (``report``) listed in the constraints table. EAST's hard demand of 100 t of magnets
    cannot be met under a cap of 90 t, so the model with it is infeasible."""
    spec = registry.FamilySpec(
        "magnet_cap", "constraint", "magnet_cap", ("k", "t"), registry.variables, add_magnet_cap, report=True
    )
    monkeypatch.setattr(registry, "FAMILIES", [*registry.FAMILIES, spec])
    import optimizer.model as model_package
    import optimizer.model.renumber  # noqa: F401

    monkeypatch.setattr(model_package, "FAMILIES", registry.FAMILIES)
    model = build_model(load_instance("toy"))
    assert "magnet_cap" in model.lp.rows
    pm = build_pyomo(model)
    assert pm.magnet_cap["all", 2025].upper == 90.0
    result, extra = PyomoHighs(pm).solve()
    assert result.status == "infeasible" and extra == []
    table = make_solution(model, dataclasses.replace(result, has_solution=True))["constraints"]
    assert table[["family", "index", "upper"]].values.tolist() == [["magnet_cap", "all, 2025", 90.0]]


@pytest.mark.parametrize("name", ["capacity", "reserve", "quota"])
def test_limits_the_diagnosis_names_are_registry_flags(name):
    assert name in registry.limit_families("constraint")
