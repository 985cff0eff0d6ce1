"""The chain's graph is the model's source: what is in the graph is in the model, and nothing else."""

from __future__ import annotations

import networkx as nx

from optimizer.model import build_model
from optimizer.model.pyomo_model import build_pyomo
from optimizer.network import check_network, commodity_node, network, process_node


def test_deleting_a_trade_edge_removes_exactly_that_links_variables():
    graph = network("toy")
    before = build_pyomo(build_model(graph))
    link = (commodity_node("SOUTH", "NdPr_oxide"), commodity_node("EAST", "NdPr_oxide"))
    cut = graph.copy()
    cut.remove_edge(*link)
    after = build_pyomo(build_model(cut))
    assert set(before.trade) - set(after.trade) == {("NdPr_oxide", "SOUTH", "EAST", t) for t in before.PERIODS}
    assert set(after.trade) < set(before.trade)
    for name in ("activity", "built", "delivered", "disposed", "stock", "balance", "capacity", "reserve"):
        assert set(getattr(before, name)) == set(getattr(after, name)), name


def test_deleting_a_process_node_removes_its_activity():
    graph = network("toy")
    cut = graph.copy()
    cut.remove_node(process_node("SOUTH", "separation_heavy"))
    model = build_pyomo(build_model(cut))
    assert not any(key[:2] == ("separation_heavy", "SOUTH") for key in model.activity)


def test_graph_carries_the_scenario_and_closed_links_are_marked():
    """north_export_ban closes NORTH's NdPr_oxide exports in every period: the edge stays (so the model
    keeps its shape for re-solves) but is marked closed; NORTH's CeO2 links stay open."""
    graph = network("toy", scenario="north_export_ban")
    assert isinstance(graph, nx.DiGraph) and graph.graph["instance"].scenario == "north_export_ban"
    trade = [(u, data) for u, v, data in graph.edges(data=True) if data["kind"] == "trade"]
    exports = {u[2]: data["open"] for u, data in trade if u[1] == "NORTH"}
    assert exports == {"NdPr_oxide": False, "CeO2": True}
    model = build_model(graph)
    assert model.lp.columns["trade"].size == build_model(network("toy")).lp.columns["trade"].size
    assert check_network(graph, graph.graph["instance"]).unreachable_demands == ()  # SOUTH still reaches EAST
