"""buildout.csv by hand: a build is judged by the capacity duals of the years it would be available."""

from __future__ import annotations

import pytest

import optimizer as reeopt
from tests.builders import write_instance


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
    folder = write_instance(
        tmp_path / "island",
        regions=["A"],
        commodities=[{"commodity": "metal", "stage": "metal"}],
        process_io=[
            {"process": "import", "commodity": "metal", "direction": "out", "coefficient": 1},
            {"process": "mine", "commodity": "metal", "direction": "out", "coefficient": 1},
        ],
        processes=[
            {"process": "import", "region": "A", "capacity": 100, "cost_system": 100},
            {"process": "import", "region": "A", "period": 2027, "capacity": 100, "cost_system": 190},
            {**mine, "lead_time": 1},
        ],
        demand=[{"region": "A", "commodity": "metal", "quantity": 10}],
        periods=[2025, 2026, 2027],
        discount_rate=0,
        objective="cost",
    )
    solution = reeopt.solve(folder)
    assert solution.objective == pytest.approx(2100, rel=1e-9)
    mine_duals = solution["activity"].query("process == 'mine'").set_index("period")["capacity_dual"]
    assert mine_duals.to_dict() == pytest.approx({2025: 90, 2026: 90, 2027: 180}, rel=1e-9)
    table = solution["buildout"].set_index("period")
    assert table["value_of_capacity"].to_dict() == pytest.approx({2025: 135, 2026: 180, 2027: 0}, rel=1e-9)
    assert table["payback_ratio"].to_dict() == pytest.approx({2025: 0.675, 2026: 0.9, 2027: 0}, rel=1e-9)
    assert table["built"].tolist() == [0, 0, 0] and table["capex"].tolist() == [200, 200, 200]
