"""On pure networks (one input, one output, coefficient 1) the optimum is networkx's min-cost flow."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

import optimizer as reeopt
from tests.builders import write_instance


def random_network(seed: int):
    """Regions with mines (ore), refineries (ore → metal, coefficient 1), trade of both, metal demand."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(3, 8))
    regions = [f"R{i}" for i in range(n)]
    mines = {r: int(rng.integers(20, 80)) for r in regions if rng.random() < 0.5} or {regions[0]: 60}
    refineries = {r: int(rng.integers(20, 100)) for r in regions if rng.random() < 0.6} or {regions[-1]: 100}
    demand = {r: int(rng.integers(1, 15)) for r in regions if rng.random() < 0.5} or {regions[1]: 10}
    links = []
    for c in ("ore", "metal"):
        for o in regions:
            for d in regions:
                if o != d and rng.random() < 0.45:
                    links.append(
                        {
                            "commodity": c,
                            "origin": o,
                            "destination": d,
                            "cost": int(rng.integers(1, 20)),
                            "capacity": int(rng.integers(5, 60)),
                        }
                    )
    mine_cost = {r: int(rng.integers(1, 30)) for r in mines}
    refine_cost = {r: int(rng.integers(1, 30)) for r in refineries}
    return regions, mines, refineries, demand, links, mine_cost, refine_cost


def networkx_cost(regions, mines, refineries, demand, links, mine_cost, refine_cost):
    graph = nx.DiGraph()
    supply = sum(mines.values())
    graph.add_node("S", demand=-supply)
    graph.add_node("DUMP", demand=supply - sum(demand.values()))
    graph.add_edge("S", "DUMP", weight=0)  # mine capacity left unused
    for r in regions:
        for c in ("ore", "metal"):
            graph.add_node((r, c), demand=demand.get(r, 0) if c == "metal" else 0)
            graph.add_edge((r, c), "DUMP", weight=0)  # free disposal of what nobody needs
    for r, cap in mines.items():
        graph.add_edge("S", (r, "ore"), weight=mine_cost[r], capacity=cap)
    for r, cap in refineries.items():
        graph.add_edge((r, "ore"), (r, "metal"), weight=refine_cost[r], capacity=cap)
    for link in links:
        graph.add_edge(
            (link["origin"], link["commodity"]),
            (link["destination"], link["commodity"]),
            weight=link["cost"],
            capacity=link["capacity"],
        )
    try:
        return nx.min_cost_flow_cost(graph)
    except nx.NetworkXUnfeasible:
        return None


def reeopt_cost(folder, regions, mines, refineries, demand, links, mine_cost, refine_cost):
    write_instance(
        folder,
        regions=regions,
        commodities=[{"commodity": "ore", "stage": "concentrate"}, {"commodity": "metal", "stage": "metal"}],
        process_io=[
            {"process": "mine", "commodity": "ore", "direction": "out", "coefficient": 1},
            {"process": "refine", "commodity": "ore", "direction": "in", "coefficient": 1},
            {"process": "refine", "commodity": "metal", "direction": "out", "coefficient": 1},
        ],
        processes=[
            {"process": "mine", "region": r, "capacity": c, "cost_system": mine_cost[r]} for r, c in mines.items()
        ]
        + [
            {"process": "refine", "region": r, "capacity": c, "cost_system": refine_cost[r]}
            for r, c in refineries.items()
        ],
        trade=links,
        demand=[{"region": r, "commodity": "metal", "quantity": q} for r, q in demand.items()],
    )
    return reeopt.solve(folder)


@pytest.mark.parametrize("seed", range(24))
def test_optimum_equals_networkx_min_cost_flow(tmp_path, seed):
    network = random_network(seed)
    expected = networkx_cost(*network)
    solution = reeopt_cost(tmp_path / f"net{seed}", *network)
    if expected is None:
        assert solution.status == "infeasible"
    else:
        assert solution.status == "optimal"
        assert solution.objective == pytest.approx(expected, rel=1e-9, abs=1e-6)


@pytest.mark.parametrize(("demand", "expected"), [(8, 72), (9, None)])
def test_a_network_on_either_side_of_feasibility(tmp_path, demand, expected):
    """Mine in R0 (10 t at 3/t), ore R0→R1 (8 t at 4/t), refinery in R1 (2/t); R1 wants metal.

    8 t cost 8 × (3 + 4 + 2) = 72; 9 t cannot pass the 8 t link, so the program is infeasible, as
    networkx says too. (The random draws above cover both cases: seeds 0–23 include each.)
    """
    network = (
        ["R0", "R1"],
        {"R0": 10},
        {"R1": 100},
        {"R1": demand},
        [{"commodity": "ore", "origin": "R0", "destination": "R1", "cost": 4, "capacity": 8}],
        {"R0": 3},
        {"R1": 2},
    )
    assert networkx_cost(*network) == expected
    solution = reeopt_cost(tmp_path / "edge", *network)
    if expected is None:
        assert solution.status == "infeasible"
    else:
        assert solution.status == "optimal"
        assert solution.objective == pytest.approx(expected, rel=1e-9)
    assert {networkx_cost(*random_network(seed)) is None for seed in range(24)} == {True, False}
