"""The scenario language of INTERFACE.md: set, scale, add, drop, where (lists, not), periods, extends."""

from __future__ import annotations

import numpy as np
import pytest

import optimizer as reeopt
from optimizer.errors import InputError
from tests.builders import chain_instance


@pytest.fixture
def chain(tmp_path):
    folder = chain_instance(tmp_path / "chain", periods=[2025, 2026, 2027])
    (folder / "scenarios").mkdir()
    return folder


def scenario(folder, name, text):
    (folder / "scenarios" / f"{name}.yaml").write_text(text)
    return reeopt.load(folder, name)


def test_set_with_periods_copies_the_general_row_to_the_periods_in_range(chain):
    changed = scenario(
        chain,
        "ban",
        """
changes:
  - table: trade
    where: {commodity: metal, origin: A}
    periods: {from: 2026}
    set: {capacity: 0}
""",
    )
    trade = changed.table("trade").sort_values("period", na_position="first")
    assert trade["period"].tolist()[1:] == [2026, 2027]
    assert np.isnan(trade["capacity"].iloc[0]) and trade["capacity"].iloc[1:].tolist() == [0, 0]
    solution = reeopt.solve(changed)
    assert solution.status == "infeasible"
    assert [s["period"] for s in solution.diagnosis.shortfalls] == [2026, 2027]


def test_scale_where_not_and_lists(chain):
    changed = scenario(
        chain,
        "scaled",
        """
changes:
  - table: processes
    where: {process: {not: refine}}
    scale: {capacity: 2, cost_system: 0.5}
  - table: demand
    where: {region: [B, A]}
    scale: {quantity: 1.5}
""",
    )
    processes = changed.table("processes").set_index("process")
    assert processes.loc["mine", "capacity"] == 200 and processes.loc["mine", "cost_system"] == 5
    assert processes.loc["refine", "cost_system"] == 20 and np.isnan(processes.loc["refine", "capacity"])
    assert changed.table("demand")["quantity"].tolist() == [67.5]


def test_add_and_drop(chain):
    changed = scenario(
        chain,
        "newsupply",
        """
description: a second mine in B, and A's refinery gone
changes:
  - table: processes
    add:
      - {process: mine, region: B, capacity: 30, cost_system: 50}
      - {process: refine, region: B, capacity: 100, cost_system: 25}
  - table: processes
    where: {process: refine, region: A}
    drop: true
""",
    )
    assert sorted(zip(changed.table("processes")["process"], changed.table("processes")["region"], strict=True)) == [
        ("mine", "A"),
        ("mine", "B"),
        ("refine", "B"),
    ]
    assert changed.scenario == "newsupply" and changed.scenario_description.startswith("a second mine")


def test_drop_with_periods_keeps_the_other_periods(chain):
    changed = scenario(
        chain,
        "gap",
        """
changes:
  - table: demand
    where: {region: B}
    periods: [2026]
    drop: true
""",
    )
    assert sorted(changed.table("demand")["period"].tolist()) == [2025, 2027]
    assert reeopt.solve(changed)["delivered"]["period"].tolist() == [2025, 2027]


def test_extends_applies_the_parent_first_and_objective_overrides(chain):
    scenario(chain, "parent", "changes:\n  - table: demand\n    where: {region: B}\n    set: {quantity: 10}\n")
    child = scenario(
        chain,
        "child",
        "extends: parent\nobjective: value\n"
        "changes:\n  - table: demand\n    where: {region: B}\n    scale: {quantity: 3}\n",
    )
    assert child.table("demand")["quantity"].tolist() == [30]
    assert child.objective == "value"


def test_circular_extends_is_an_error(chain):
    (chain / "scenarios" / "a.yaml").write_text("extends: b\nchanges: []\n")
    with pytest.raises(InputError, match="circle"):
        scenario(chain, "b", "extends: a\nchanges: []\n")


def test_where_matching_nothing_is_an_error_naming_the_line(chain):
    with pytest.raises(InputError) as error:
        scenario(chain, "typo", "changes:\n  - table: trade\n    where: {origin: AA}\n    set: {cost: 1}\n")
    assert "typo.yaml, line 3" in str(error.value) and "where matches no row of trade.csv" in str(error.value)


def test_added_row_with_unknown_region_is_an_error(chain):
    with pytest.raises(InputError, match="'ZZ' is not a known region"):
        scenario(chain, "zz", "changes:\n  - table: processes\n    add: [{process: mine, region: ZZ, capacity: 1}]\n")


def test_duplicate_key_after_add_is_an_error(chain):
    with pytest.raises(InputError, match="same key"):
        scenario(chain, "dup", "changes:\n  - table: processes\n    add: [{process: mine, region: A, capacity: 1}]\n")


def test_base_without_a_file_is_the_instance_itself(chain):
    assert reeopt.load(chain, "base").scenario == "base"


def test_a_scenario_file_outside_the_instance(chain, tmp_path):
    path = tmp_path / "elsewhere.yaml"
    path.write_text("changes:\n  - table: demand\n    where: {commodity: metal}\n    set: {quantity: 9}\n")
    assert reeopt.load(chain, path).table("demand")["quantity"].tolist() == [9]


def test_a_not_condition_after_another_narrows_the_match(tmp_path):
    """``where: {region: A, process: {not: refine}}`` is "in A and not refine": A's mine only.

    Processes: mine in A (capacity 100), refine in A (blank), mine in B (capacity 30). Doubling the
    matched capacities gives A's mine 200 and leaves B's mine at 30 and A's refinery unlimited; a
    ``not`` that negated the whole match so far would also double B's mine (to 60).
    """
    folder = chain_instance(
        tmp_path / "chain",
        processes=[
            {"process": "mine", "region": "A", "capacity": 100, "cost_system": 10},
            {"process": "refine", "region": "A", "capacity": "", "cost_system": 20},
            {"process": "mine", "region": "B", "capacity": 30, "cost_system": 12},
        ],
    )
    (folder / "scenarios").mkdir()
    changed = scenario(
        folder,
        "narrow",
        """
changes:
  - table: processes
    where: {region: A, process: {not: refine}}
    scale: {capacity: 2}
""",
    )
    capacity = changed.table("processes").set_index(["process", "region"])["capacity"]
    assert capacity[("mine", "A")] == 200
    assert capacity[("mine", "B")] == 30
    assert np.isnan(capacity[("refine", "A")])
