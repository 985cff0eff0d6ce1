"""The stages of the chain: which stage each commodity belongs to and which stage each process makes.

A results folder records flows by commodity (balance.csv, trade.csv) and by stage (mfa.csv) but not
which stage a commodity is at. The material-flow diagram needs both, so the report reads two small
tables of the instance named in summary.json, when it can find that folder: ``commodities.csv``
(commodity → stage, and whether it bears rare earths) and ``process_io.csv`` (which commodities each
process consumes, and the stage it makes), through ``optimizer.instance.chain``, as the accounts
do. Nothing of the solver is read.

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

from optimizer.errors import InputError
from optimizer.instance import load_instance
from optimizer.instance.chain import commodity_table, process_stages

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
        instance = load_instance(folder)
    except InputError:
        return None
    commodities = commodity_table(instance)
    commodity_stage, rare_earth = commodities["stage"], commodities["rare_earth"]
    process_stage = process_stages(instance).set_index("process")["process_stage"]
    recipe = instance.table("process_io")
    inputs = recipe[(recipe["direction"] == "in") & recipe["commodity"].map(rare_earth).fillna(False).astype(bool)]
    stage_inputs = inputs[["process", "commodity", "coefficient"]].assign(
        stage=inputs["commodity"].map(commodity_stage), process_stage=inputs["process"].map(process_stage)
    )[["process", "commodity", "coefficient", "stage", "process_stage"]]
    return Chain(
        commodity_stage=commodity_stage,
        rare_earth=rare_earth,
        process_stage=process_stage,
        stage_inputs=stage_inputs.reset_index(drop=True),
    )
