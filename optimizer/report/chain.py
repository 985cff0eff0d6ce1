"""The stages of the chain: which stage each commodity belongs to and which stage each process makes.

A results folder records flows by commodity (balance.csv, trade.csv) and by stage (mfa.csv) but not
which stage a commodity is at. The material-flow diagram needs both, so the report reads two small
tables of the instance named in summary.json, when it can find that folder: ``commodities.csv``
(commodity → stage, and whether it bears rare earths) and ``process_io.csv`` (which commodities each
process consumes, and the stage it makes: that of its largest rare-earth output, as the accounts
define it). Nothing else of the instance is read, and nothing of the solver.

>>> chain = read_chain("toy", Path("."))
>>> chain.commodity_stage["NdPr_oxide"], chain.process_stage["separation_light"]
('oxide', 'oxide')
>>> sorted(chain.stage_inputs.query("process == 'magnet_making'")["commodity"])
['Dy2O3', 'NdPr_oxide']
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

# The stages of commodities.csv, in the order material moves along the chain (INTERFACE.md).
STAGES = (
    "ore",
    "concentrate",
    "intermediate",
    "oxide",
    "metal",
    "alloy",
    "functional_material",
    "end_of_life",
)
STAGE_LABELS = {
    "ore": "ore",
    "concentrate": "concentrate",
    "intermediate": "mixed RE (intermediate)",
    "oxide": "oxide",
    "metal": "metal",
    "alloy": "alloy",
    "functional_material": "magnets & functional materials",
    "end_of_life": "end-of-life scrap",
}


@dataclass(frozen=True)
class Chain:
    """Stages of commodities and processes of one instance.

    ``commodity_stage`` and ``rare_earth`` are indexed by commodity; ``process_stage`` by process;
    ``stage_inputs`` has one row per rare-earth input of a process: process, commodity, coefficient,
    stage (the input's), process_stage (the stage the process makes).
    """

    commodity_stage: pd.Series
    rare_earth: pd.Series
    process_stage: pd.Series
    stage_inputs: pd.DataFrame


def find_instance(name: str, results_dir: Path) -> Path | None:
    """The instance folder ``name``: a path, or ``instances/<name>`` beside the results folder (or one of
    its parents), in the working directory, or in the repository; ``None`` when there is none."""
    if not name:
        return None
    candidates = [Path(name)]
    candidates += [folder / "instances" / name for folder in [results_dir.resolve(), *results_dir.resolve().parents]]
    candidates += [Path.cwd() / "instances" / name, Path(__file__).resolve().parents[2] / "instances" / name]
    return next((folder for folder in candidates if (folder / "commodities.csv").is_file()), None)


def read_chain(instance_name: str, results_dir: Path) -> Chain | None:
    """The chain of the instance a results folder came from, or ``None`` when it cannot be read."""
    folder = find_instance(instance_name, Path(results_dir))
    if folder is None or not (folder / "process_io.csv").is_file():
        return None
    try:
        commodities = pd.read_csv(folder / "commodities.csv", dtype=str, keep_default_na=False)
        recipe = pd.read_csv(folder / "process_io.csv", dtype=str, keep_default_na=False)
        if "period" in commodities.columns:  # rows with a period only change prices
            commodities = commodities[commodities["period"].str.strip() == ""]
        commodities = commodities.set_index("commodity")
        unit = commodities["unit"].str.lower() if "unit" in commodities.columns else pd.Series("", commodities.index)
        commodity_stage = commodities["stage"].str.strip()
        rare_earth = (unit.str.strip() == "") | unit.str.contains("reo")
        recipe["coefficient"] = pd.to_numeric(recipe["coefficient"])
        recipe["stage"] = recipe["commodity"].map(commodity_stage)
        recipe["rare_earth"] = recipe["commodity"].map(rare_earth).fillna(False).astype(bool)
    except (KeyError, ValueError, pd.errors.ParserError):
        return None
    # The stage a process makes: that of its largest rare-earth output, else of its largest output.
    outputs = recipe[recipe["direction"] == "out"]
    ranked = outputs.assign(rank=outputs["rare_earth"].astype(int) * 1e12 + outputs["coefficient"])
    process_stage = ranked.sort_values("rank", kind="stable").groupby("process")["stage"].last()
    inputs = recipe[(recipe["direction"] == "in") & recipe["rare_earth"]]
    stage_inputs = inputs[["process", "commodity", "coefficient", "stage"]].assign(
        process_stage=inputs["process"].map(process_stage)
    )
    return Chain(
        commodity_stage=commodity_stage,
        rare_earth=rare_earth,
        process_stage=process_stage,
        stage_inputs=stage_inputs.reset_index(drop=True),
    )
