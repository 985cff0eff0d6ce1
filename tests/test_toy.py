"""The toy instance against the optimum derived by hand in instances/toy/README.md."""

from __future__ import annotations

import pytest

import optimizer as reeopt


@pytest.fixture(scope="module")
def toy():
    return reeopt.solve("toy")


def test_objective_is_the_hand_derived_optimum(toy):
    assert toy.status == "optimal"
    assert toy.objective == pytest.approx(237_850.0, rel=1e-9)


def test_flows_are_the_hand_derived_flows(toy):
    activity = toy["activity"].set_index("process")["activity"]
    assert activity.to_dict() == pytest.approx(
        {"mining_light": 300, "separation_light": 300, "mining_heavy": 50, "separation_heavy": 50, "magnet_making": 100}
    )
    shipped = toy["trade"].set_index(["commodity", "origin"])["shipped"]
    assert shipped[("NdPr_oxide", "NORTH")] == pytest.approx(75)
    assert shipped[("NdPr_oxide", "SOUTH")] == pytest.approx(20)
    assert shipped[("Dy2O3", "SOUTH")] == pytest.approx(5)
    disposed = toy["balance"].set_index(["region", "commodity"])["disposed"]
    assert disposed[("NORTH", "CeO2")] == pytest.approx(190)
    assert disposed[("SOUTH", "CeO2")] == pytest.approx(20)


def test_marginal_values_are_the_hand_derived_ones(toy):
    value = toy["balance"].set_index(["region", "commodity"])["marginal_value"]
    expected = {
        ("NORTH", "NdPr_oxide"): 1228.0,
        ("EAST", "NdPr_oxide"): 1278.0,
        ("SOUTH", "NdPr_oxide"): 1198.0,
        ("SOUTH", "Dy2O3"): 3248.0,
        ("EAST", "Dy2O3"): 3328.0,
        ("EAST", "ndfeb_magnet"): 2380.5,
        ("NORTH", "CeO2"): -10.0,
        ("SOUTH", "conc_heavy"): 300.0,
        ("NORTH", "conc_light"): 100.0,
    }
    for node, mv in expected.items():
        assert value[node] == pytest.approx(mv, abs=1e-6), node


def test_costs_by_category_add_up_to_the_objective(toy):
    costs = toy.summary["costs"]
    assert sum(costs.values()) == pytest.approx(toy.objective)
    assert costs["trade"] == pytest.approx(75 * 50 + 20 * 80 + 5 * 80)
    # waste management of mining, separation and magnets, plus disposal of 190 + 20 t of surplus CeO2
    assert costs["waste"] == pytest.approx(300 * 10 + 300 * 10 + 50 * 30 + 50 * 40 + 100 * 50 + 210 * 10)


def test_value_objective_delivers_the_same_flows_and_costs(toy):
    value = reeopt.solve("toy", objective="value")
    assert value.status == "optimal"
    assert value["activity"]["activity"].to_numpy() == pytest.approx(toy["activity"]["activity"].to_numpy())
    assert sum(value.summary["costs"].values()) == pytest.approx(toy.objective)
    assert value.objective == pytest.approx(value.summary["revenue"] - toy.objective)
    assert value.summary["revenue"] == pytest.approx(100 * 3000 + 20 * 5)
