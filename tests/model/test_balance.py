"""model/balance.py: one row per node, read off the toy's recipe by hand."""

from __future__ import annotations

from pyomo.repn import generate_standard_repn

import optimizer as reeopt


def terms(constraint) -> dict[str, float]:
    repn = generate_standard_repn(constraint.body)
    return {v.name: c for v, c in zip(repn.linear_vars, repn.linear_coefs, strict=True)}


def test_southern_oxide_balance_is_made_minus_shipped_minus_disposed():
    """SOUTH separates heavy concentrate into 0.4 t of NdPr oxide per unit (process_io.csv), ships it
    to EAST (the only link out, loss 0) or disposes of it; nothing else touches the node."""
    model = reeopt.build_pyomo("toy")
    row = model.balance["SOUTH", "NdPr_oxide", 2025]
    assert row.equality and row.upper == 0.0
    assert terms(row) == {
        "activity[separation_heavy,SOUTH,2025]": 0.4,
        "trade[NdPr_oxide,SOUTH,EAST,2025]": -1.0,
        "disposed[SOUTH,NdPr_oxide,2025]": -1.0,
    }


def test_eastern_magnet_balance_feeds_the_delivery():
    """EAST makes 1 t of magnet per unit of magnet_making and delivers it (demand 100 t) or disposes of it."""
    model = reeopt.build_pyomo("toy")
    assert terms(model.balance["EAST", "ndfeb_magnet", 2025]) == {
        "activity[magnet_making,EAST,2025]": 1.0,
        "disposed[EAST,ndfeb_magnet,2025]": -1.0,
        "delivered[EAST,ndfeb_magnet,2025]": -1.0,
    }
    unmet = model.unmet["EAST", "ndfeb_magnet", 2025]
    model.delivered["EAST", "ndfeb_magnet", 2025].set_value(80.0)
    assert unmet() == 20.0
