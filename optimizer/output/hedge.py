"""The folder of a hedge (``reeopt hedge``), written atomically as one folder.

=====================  =================================================================================
file                   holds
=====================  =================================================================================
``summary.json``       rp, ws, evpi, eev {scenario: value}, vss {scenario: value}, probabilities,
                       decide_until, each scenario's cost under the hedged plan and its own optimum, the
                       extensive form's size and solve, CVaR details when asked (``"inf"`` for an
                       infinite EEV or VSS)
``builds.csv``         the hedged early builds: process, region, period, built (t/yr of new capacity)
``plans.csv``          every plan's early builds: plan (``hedged``, ``own:<scenario>``, ``risk_neutral``)
                       and the columns of builds.csv
``regret.csv``         every plan committed to in every scenario: plan, scenario, probability, status,
                       cost, own_optimum, regret (cost − own optimum; ``inf`` when infeasible)
``<scenario>/``        a full results folder of the scenario under the hedged plan (all accounts)
=====================  =================================================================================
"""

from __future__ import annotations

import json
from pathlib import Path

from optimizer.hedge import HedgeResult
from optimizer.output.results import _jsonable, folder_name, solution_files, write_folder
from optimizer.registry import effective_inputs


def hedge_files(result: HedgeResult) -> dict[str, str | bytes]:
    """The files of a hedge folder, name → content (module docstring)."""
    summary = dict(result.summary)
    summary["folders"] = {label: folder_name(label) for label in result.solutions}
    files: dict[str, str | bytes] = {
        "summary.json": json.dumps(_jsonable(summary), indent=2) + "\n",
        "builds.csv": result.builds.to_csv(index=False, float_format="%.15g"),
        "plans.csv": result.plans.to_csv(index=False, float_format="%.15g"),
        "regret.csv": result.regret.to_csv(index=False, float_format="%.15g"),
    }
    for label, solution in result.solutions.items():
        extra = effective_inputs(solution.instance)
        if solution.diagnosis is not None:
            extra["diagnosis.txt"] = solution.diagnosis.text()
        for name, content in solution_files(solution, extra).items():
            files[f"{folder_name(label)}/{name}"] = content
    return files


def write_hedge(result: HedgeResult, folder: str | Path) -> Path:
    """Write the hedge folder into ``folder`` (replaced whole, atomically)."""
    return write_folder(Path(folder), hedge_files(result))
