"""Accounts computed from a solution's tables: sourcing, MFA, MFCA, value added, headlines.

Nothing here knows the solver: every function reads a :class:`~optimizer.solution.Solution`'s
DataFrames and its instance's tables.
"""

from __future__ import annotations

import pandas as pd

from optimizer.analysis.accounts import mfa_table, mfca_tables
from optimizer.analysis.buildout import buildout_table
from optimizer.analysis.flows import forget_flows
from optimizer.analysis.headlines import account_headlines
from optimizer.analysis.sourcing import sourcing_tables
from optimizer.output.columns import RESULT_COLUMNS
from optimizer.solution import Solution

__all__ = ["add_accounts", "mfa_table", "mfca_tables", "sourcing_tables"]


def add_accounts(solution: Solution) -> Solution:
    """Add sourcing, stage_sourcing, mfa, mfca, value_added and buildout tables and the headlines (in place)."""
    if not solution.tables:
        return solution
    if solution["balance"].empty:  # nothing flows anywhere: every account is empty
        empty = {
            name: pd.DataFrame(columns=RESULT_COLUMNS[name])
            for name in ("sourcing", "stage_sourcing", "mfa", "mfca", "value_added")
        }
        solution.tables.update(empty, buildout=buildout_table(solution))
        solution.summary["accounts"] = account_headlines(solution)
        return solution
    sourcing, stage_sourcing = sourcing_tables(solution)
    mfca, value_added = mfca_tables(solution)
    solution.tables.update(
        sourcing=sourcing,
        stage_sourcing=stage_sourcing,
        mfa=mfa_table(solution),
        mfca=mfca,
        value_added=value_added,
        buildout=buildout_table(solution),
    )
    solution.summary["accounts"] = account_headlines(solution)
    forget_flows(solution)  # the accounts are made: a solution kept for later should not carry them
    return solution
