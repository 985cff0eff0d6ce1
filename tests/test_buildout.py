"""buildout.csv by hand: a build is judged by the capacity duals of the years it would be available."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

import optimizer as reeopt
from tests.builders import write_instance


def metal_island(folder, processes: list[dict], *, demand: float, periods=None):
    """Region A alone, demanding ``demand`` t of metal a year, which each of ``processes`` makes from
    nothing (1 t per unit of activity); no discounting, cost objective."""
    names = dict.fromkeys(row["process"] for row in processes)
    return write_instance(
        folder,
        regions=["A"],
        commodities=[{"commodity": "metal", "stage": "metal"}],
        process_io=[{"process": p, "commodity": "metal", "direction": "out", "coefficient": 1} for p in names],
        processes=processes,
        demand=[{"region": "A", "commodity": "metal", "quantity": demand}],
        periods=periods,
        discount_rate=0,
        objective="cost",
    )


def test_a_build_is_valued_over_the_years_after_its_lead_time(tmp_path):
    """One region, periods 2025, 2026, 2027 of a year each, no discounting; 10 t of metal a year
    from an import (100/t in 2025 and 2026, 190/t in 2027) or a mine (10/t, 5 t/yr) that may add
    capacity at capex 200 per t/yr and year, ready one year after the order (lead time 1).

    The mine runs full; one more t/yr of it saves an imported tonne: capacity duals 90, 90, 180. A
    build never pays (2025's would save 90 + 180 against 400 of capex; 2026's 180 against 200), so
    nothing is built: 550 + 550 + (50 + 950) = 2,100. Judged at these duals, a 2025 build is
    available in 2026 and 2027: worth (90 + 180) / 2 = 135 a year, payback 135 / 200 = 0.675; a 2026
    build in 2027 only: 180, payback 0.9; a 2027 build after the horizon: 0. Counting 2026's build
    from 2028 (lead time read as "after") would value it at 0 and the 2025 build at 180.
    """
    mine = {"process": "mine", "region": "A", "capacity": 5, "cost_system": 10, "capex": 200, "max_build": 20}
    folder = metal_island(
        tmp_path / "island",
        [
            {"process": "import", "region": "A", "capacity": 100, "cost_system": 100},
            {"process": "import", "region": "A", "period": 2027, "capacity": 100, "cost_system": 190},
            {**mine, "lead_time": 1},
        ],
        demand=10,
        periods=[2025, 2026, 2027],
    )
    solution = reeopt.solve(folder)
    assert solution.objective == pytest.approx(2100, rel=1e-9)
    mine_duals = solution["activity"].query("process == 'mine'").set_index("period")["capacity_dual"]
    assert mine_duals.to_dict() == pytest.approx({2025: 90, 2026: 90, 2027: 180}, rel=1e-9)
    table = solution["buildout"].set_index("period")
    assert table["value_of_capacity"].to_dict() == pytest.approx({2025: 135, 2026: 180, 2027: 0}, rel=1e-9)
    assert table["payback_ratio"].to_dict() == pytest.approx({2025: 0.675, 2026: 0.9, 2027: 0}, rel=1e-9)
    assert table["built"].tolist() == [0, 0, 0] and table["capex"].tolist() == [200, 200, 200]
    assert set(solution["activity"]["capacity_dual_flag"]) == {""}, "each of these duals is both derivatives"
    assert set(table["value_flag"]) == {""}


@pytest.mark.parametrize("engine", ["arrays", "pyomo"])
def test_an_unbuilt_candidates_capacity_dual_is_flagged_where_more_and_less_differ(tmp_path, engine):
    """tests/test_hedge.py's island (penalty 1000): 10 t of metal a year in 2025 and 2026, imported at
    100/t or mined at 10/t by a mine with no capacity that may add some at capex 200 per t/yr and year,
    ready the year after. Nothing is built: 2 × 10 × 100 = 2,000. The mine's 2026 capacity row
    (activity − builds ≤ 0) binds at 0 = 0: one more t/yr of it saves an import, 100 − 10 = 90 (1,910);
    one less must be built back at 200 (2,200). HiGHS reports 200, the upper end: a 2025 build would
    then read as worth 200 a year, "payback 1.0", though it saves 90 of its 200. Flagged in both
    tables. 2025's dual, 90, is a fixed zero bound's one meaningful side (capacity cannot go below
    0): blank."""
    from tests.test_hedge import island_instance

    folder = tmp_path / "island"
    island_instance(folder, penalty=1000)
    solution = reeopt.solve(folder, engine=engine)
    assert solution.objective == pytest.approx(2000, rel=1e-9)
    mine = solution["activity"].query("process == 'mine'").set_index("period")
    assert mine["capacity_dual"].to_dict() == pytest.approx({2025: 90, 2026: 200}, rel=1e-9)
    assert mine["capacity_dual_flag"].to_dict() == {2025: "", 2026: "not_unique"}
    table = solution["buildout"].set_index("period")
    assert table.loc[2025, "value_flag"] == "not_unique" and table.loc[2026, "value_flag"] == ""
    one_more = copy_with_capacity(folder, tmp_path / "more", 1)
    assert reeopt.solve(one_more).objective == pytest.approx(2000 - 90, rel=1e-9)


def copy_with_capacity(folder, target, capacity):
    """The instance with the mine's capacity in 2026 set to ``capacity`` (a dated row)."""
    shutil.copytree(folder, target)
    processes = pd.read_csv(target / "processes.csv")
    dated = processes[processes["process"] == "mine"].assign(period=2026, capacity=capacity)
    pd.concat([processes, dated]).to_csv(target / "processes.csv", index=False)
    return target


@pytest.mark.parametrize("engine", ["arrays", "pyomo"])
def test_a_capacity_that_exactly_meets_demand_has_a_flagged_dual(tmp_path, engine):
    """6 t demanded; a cheap mine (10/t) with exactly 6 t of capacity and no builds, a dear one (50/t)
    without limit: 6 × 10 = 60. One more t/yr of the cheap mine saves nothing (60); one less costs
    50 − 10 = 40 (100). The capacity is the activity's bound (no row), and HiGHS ranging of that
    bound says it cannot move one way: flagged. At 5 t the dual is 40 both ways (4 t: 140, 5 t: 100,
    6 t: 60): blank."""

    def mines(capacity):
        return metal_island(
            tmp_path / f"mines{capacity}",
            [
                {"process": "cheap", "region": "A", "capacity": capacity, "cost_system": 10},
                {"process": "dear", "region": "A", "capacity": "", "cost_system": 50},
            ],
            demand=6,
        )

    optimum = {capacity: reeopt.solve(mines(capacity), engine=engine).objective for capacity in (4, 5, 6, 7)}
    assert optimum == pytest.approx({4: 140, 5: 100, 6: 60, 7: 60}, rel=1e-9)
    for capacity, flag in ((6, "not_unique"), (5, "")):
        cheap = reeopt.solve(mines(capacity), engine=engine)["activity"].query("process == 'cheap'").iloc[0]
        assert cheap["capacity_dual_flag"] == flag, capacity
        if not flag:
            assert cheap["capacity_dual"] == pytest.approx(40, rel=1e-9)


def held_at_their_activity(folder, solution):
    """The instance with every running process capped at exactly what it runs in ``solution`` (a dated
    row per period; a reserve stays on the undated row): the optimum stays, and each such capacity
    binds at a degenerate point wherever the process was not limited before."""
    processes = pd.read_csv(folder / "processes.csv")
    if "period" not in processes:
        processes["period"] = np.nan
    undated = processes[processes["period"].isna()].set_index(["process", "region"])
    running = solution["activity"].query("activity > 1e-6")
    held = pd.DataFrame(
        [
            {**undated.loc[(row.process, row.region)].to_dict(), "process": row.process, "region": row.region}
            | {"period": row.period, "capacity": row.activity, "reserve": None}
            for row in running.itertuples()
        ]
    )
    key = ["process", "region", "period"]
    replaced = processes.set_index(key).index.isin(pd.MultiIndex.from_frame(held[key]))
    pd.concat([processes[~replaced], held]).to_csv(folder / "processes.csv", index=False)
    return folder


@pytest.mark.parametrize(
    ("seed", "held"),
    [(0, False), (1, False), (4, False), (7, False), (15, False), *((seed, True) for seed in range(6))],
)
def test_an_unflagged_binding_capacity_dual_is_both_finite_differences(tmp_path, seed, held):
    """A blank ``capacity_dual_flag`` says one more t/yr of capacity and one less are worth the same.
    At every binding capacity of a random LP (rows where builds are allowed, column bounds elsewhere)
    whose flag is blank, moving the capacity by ±1e-3 must move the optimum by the dual (× the
    period's weight); a zero capacity that cannot go lower is checked on its one side. ``held``: every
    running process capped at exactly its activity, so that many capacities bind at degenerate points
    (and some must be flagged). Capacities nobody derived by hand: the test for a flag that lets a
    one-sided dual through."""
    import dataclasses

    from optimizer.instance import load_instance
    from optimizer.model import build_model
    from optimizer.solver import HighsSolver
    from tests.random_instances import random_instance

    folder = random_instance(tmp_path / "i", seed, lumpy=False)
    instance = load_instance(folder)
    solution = reeopt.solve(instance, engine="arrays")
    if held:
        instance = load_instance(held_at_their_activity(folder, solution))
        solution = reeopt.solve(instance, engine="arrays")
        assert (solution["activity"]["capacity_dual_flag"] == "not_unique").any()
    model = build_model(instance)
    lp, family = model.lp, model.lp.columns["activity"]
    rows = lp.rows["capacity"]
    row_of = dict(zip(np.flatnonzero(family.index["capacity_row"].to_numpy()), rows.ids, strict=True))
    weight = model.data.weight[family.index["t"].to_numpy()]

    def optimum(position: int, shift: float) -> float | None:
        if position in row_of:
            upper = lp.row_upper.copy()
            upper[row_of[position]] += shift
            moved = dataclasses.replace(lp, row_upper=upper)
        else:
            column = family.ids[position]
            if lp.col_upper[column] + shift < lp.col_lower[column]:
                return None  # a capacity cannot go below what the activity must be
            upper = lp.col_upper.copy()
            upper[column] += shift
            moved = dataclasses.replace(lp, col_upper=upper)
        result = HighsSolver(moved).solve()
        return result.objective if result.status == "optimal" else None

    activity = solution["activity"]
    base, delta, checked, one_sided = solution.objective, 1e-3, 0, 0
    for position, row in enumerate(activity.itertuples()):
        if not np.isfinite(row.capacity) or row.activity < row.capacity - 1e-6:
            continue
        scale = delta * weight[position]
        more, less = optimum(position, delta), optimum(position, -delta)
        right = (base - more) / scale
        left = (less - base) / scale if less is not None else right
        tolerance = 1e-4 * max(1.0, row.capacity_dual)
        if row.capacity_dual_flag:
            one_sided += abs(right - left) > tolerance
            continue
        assert right == pytest.approx(row.capacity_dual, abs=tolerance), (row, "more")
        assert left == pytest.approx(row.capacity_dual, abs=tolerance), (row, "less")
        checked += 1
    # the held capacities' flags are not idle: some of them mark duals whose two sides differ
    assert (one_sided > 0) if held else (checked > 0)
