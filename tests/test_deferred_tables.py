"""A solution's tables are built when first read, and are then what building them at once gave."""

from __future__ import annotations

import pickle

import pandas as pd
import pytest

from optimizer.deferred import DeferredTables
from optimizer.solution import Solution, make_solution
from optimizer.study import Study

TABLES = ["activity", "trade", "delivered", "balance", "builds", "costs", "constraints", "quotas"]


def test_each_table_is_built_once_on_first_read_in_its_order():
    """A builder runs on the first read only; ``in``, ``len`` and the names build nothing; a table set
    before it was read replaces its builder (which never runs); a new table goes last."""
    calls = []

    def builder(name):
        def build():
            calls.append(name)
            return pd.DataFrame({"table": [name]})

        return build

    tables = DeferredTables({name: builder(name) for name in ("a", "b", "c")})
    assert list(tables) == ["a", "b", "c"] and len(tables) == 3 and "b" in tables and "z" not in tables
    assert calls == []
    assert tables["b"]["table"].tolist() == ["b"]
    assert tables["b"] is tables["b"] and calls == ["b"]
    tables["c"] = pd.DataFrame({"table": ["mine"]})
    tables["d"] = pd.DataFrame({"table": ["d"]})
    assert list(tables) == ["a", "b", "c", "d"] and tables.built() == ["b", "c", "d"]
    assert [frame["table"].iloc[0] for frame in tables.values()] == ["a", "b", "mine", "d"]
    assert calls == ["b", "a"]
    del tables["a"]
    assert list(tables) == ["b", "c", "d"]
    with pytest.raises(KeyError):
        tables["a"]
    copied = pickle.loads(pickle.dumps(tables))  # a plain dict of the tables, for other processes
    assert type(copied) is dict and list(copied) == ["b", "c", "d"]


def _frames(solution: Solution) -> dict[str, pd.DataFrame]:
    return {name: solution.tables[name] for name in TABLES}


@pytest.mark.parametrize("engine", ["arrays", "pyomo"])
def test_tables_read_after_later_re_solves_equal_those_read_at_once(engine):
    """toy's base solved, then the soft export ban re-solved on the same live model (the numbers path:
    new bounds, new costs, new solution vectors) and the base again: the base's tables read only
    now equal, frame for frame, those of a fresh study whose tables were read right after its solve.
    A table that read the live model's state rather than its own solve's would show the ban."""
    study = Study("toy", engine=engine)
    base = study.solve(accounts=False)
    assert isinstance(base.tables, DeferredTables) and base.tables.built() == []
    soft = study.solve("north_export_ban_soft", accounts=False)
    study.solve(accounts=False)
    assert soft.summary["resolve"]["path"] == "numbers"
    fresh = Study("toy", engine=engine).solve(accounts=False)
    at_once = _frames(fresh)
    for name, frame in _frames(base).items():
        pd.testing.assert_frame_equal(frame, at_once[name], check_exact=True, obj=name)
    assert not soft["trade"].equals(at_once["trade"])  # the ban moved flows: the comparison can fail


def test_make_solution_summary_needs_no_table():
    """The summary's revenue and unmet demand come from the solve's arrays: equal to the delivered
    table's own sums (world, cost objective), with no table built for them."""
    study = Study("world", engine="arrays")
    solution = study.solve(accounts=False)
    assert solution.tables.built() == []
    rebuilt = make_solution(study.model, study.solver.solve(), [])
    delivered = rebuilt["delivered"]
    lengths = study.model.data.lengths[study.model.data.demand["t"].to_numpy()]
    assert solution.summary["unmet_demand"] == pytest.approx(float((lengths * delivered["unmet"]).sum()), rel=1e-12)
    weight = study.model.data.weight[study.model.data.demand["t"].to_numpy()]
    revenue = float((weight * study.model.data.demand["price"].to_numpy() * delivered["delivered"]).sum())
    assert solution.summary["revenue"] == pytest.approx(revenue, rel=1e-12)


def test_an_interrupted_first_read_can_be_retried_and_the_mapping_stays_consistent():
    """A builder that fails once (the user stops a slow first read) keeps its table: it is named,
    counted and found as before, and the next read builds it (from review4's reproduction)."""
    calls = []

    def flaky():
        calls.append(1)
        if len(calls) == 1:
            raise KeyboardInterrupt
        return pd.DataFrame({"x": [1]})

    tables = DeferredTables({"activity": flaky})
    with pytest.raises(KeyboardInterrupt):
        tables["activity"]
    assert list(tables) == ["activity"] and "activity" in tables and tables.built() == []
    assert tables["activity"]["x"].tolist() == [1] and len(calls) == 2
    copied = tables.copy()
    assert type(copied) is dict and copied["activity"] is tables["activity"]
