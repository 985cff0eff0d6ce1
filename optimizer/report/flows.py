"""The links of the material-flow (Sankey) diagram of one period, in t REO per year.

Nodes are (region, stage) pairs; links carry rare-earth tonnes, each taken from one results table so
that the diagram adds up to the accounts:

==============  ==================================================  ===================================
kind            from → to                                           tonnes (sum equals)
==============  ==================================================  ===================================
processing      (r, stage of input) → (r, stage the process makes)  activity × input coefficient
                                                                    (mfa ``consumed``)
trade           (origin, stage) → (destination, stage)              trade ``arrived``
transit_loss    (origin, stage) → losses                            trade ``shipped − arrived``
                                                                    (mfa ``transit_losses``)
process_loss    (r, stage) → losses                                 mfa ``process_losses`` (> 0)
delivery        (r, stage) → (r, demand)                            mfa ``delivered``
disposal        (r, stage) → disposed                               mfa ``disposed``
stock           (r, stage) ↔ stock                                  mfa ``stock_change`` (either sign)
==============  ==================================================  ===================================

Mines and scrap collection have no inflow: their (r, ore) or (r, end_of_life) nodes are sources.
Processing links need the stages of the chain (see ``chain.py``); without them the diagram falls back
to commodity-level nodes (the ``stage`` columns then hold commodity names), with trade, deliveries
and disposal only.

>>> import tempfile, optimizer
>>> from optimizer.report.folder import read_results
>>> scratch = tempfile.TemporaryDirectory()
>>> folder = read_results(optimizer.write(optimizer.solve("toy"), f"{scratch.name}/toy"))
>>> links = material_flow_links(folder, 2025)
>>> links.groupby("kind")["tonnes"].sum().to_dict()
{'delivery': 120.0, 'disposal': 210.0, 'process_loss': 20.0, 'processing': 450.0, 'trade': 100.0}
>>> print(links.query("kind == 'trade'").drop(columns="kind").to_string(index=False))
source_region source_stage target_region target_stage  tonnes
        NORTH        oxide          EAST        oxide    75.0
        SOUTH        oxide          EAST        oxide    25.0
"""

from __future__ import annotations

import pandas as pd

from optimizer.report.folder import ResultsFolder

LINK_COLUMNS = ["source_region", "source_stage", "target_region", "target_stage", "kind", "tonnes"]
# Sinks shared by all regions (their region is blank), and the stage name of a region's final demand.
DEMAND, LOSSES, DISPOSED, STOCK = "demand", "losses", "disposed", "stock"
SINKS = (DEMAND, LOSSES, DISPOSED, STOCK)
OTHER_REGIONS = "other regions"
# Flows below this many tonnes per year are rounding noise of the solver, not material.
NOISE = 1e-6


def material_flow_links(folder: ResultsFolder, period: int) -> pd.DataFrame:
    """Every link of the period's material flow, one row each: ``LINK_COLUMNS``, tonnes > 0."""
    if folder.chain is None:
        parts = _commodity_links(folder, period)
    else:
        parts = [_processing_links(folder, period), _trade_links(folder, period), *_mfa_links(folder, period)]
    parts = [part[LINK_COLUMNS] for part in parts if not part.empty]
    if not parts:
        return pd.DataFrame(columns=LINK_COLUMNS)
    links = pd.concat(parts, ignore_index=True)
    links = links.groupby(LINK_COLUMNS[:-1], as_index=False, sort=False)["tonnes"].sum()
    return links[links["tonnes"] > NOISE].reset_index(drop=True)


def lump_regions(links: pd.DataFrame, keep: list[str]) -> pd.DataFrame:
    """The links with every region not in ``keep`` merged into one "other regions" node per stage.

    Trade between two merged regions becomes internal to the merged node and is dropped.
    """
    links = links.copy()
    for end in ("source_region", "target_region"):
        lumped = ~links[end].isin(keep) & (links[end] != "")
        links.loc[lumped, end] = OTHER_REGIONS
    internal = (links["source_region"] == links["target_region"]) & (links["source_stage"] == links["target_stage"])
    links = links[~internal]
    return links.groupby(LINK_COLUMNS[:-1], as_index=False, sort=False)["tonnes"].sum()


def region_throughput(links: pd.DataFrame) -> pd.Series:
    """Tonnes leaving each region's nodes (a region's weight in the diagram), largest first."""
    leaving = links[links["source_region"] != ""].groupby("source_region")["tonnes"].sum()
    arriving = links[~links["target_stage"].isin(SINKS)].groupby("target_region")["tonnes"].sum()
    return leaving.add(arriving, fill_value=0.0).sort_values(ascending=False)


def _processing_links(folder: ResultsFolder, period: int) -> pd.DataFrame:
    activity = folder.in_period("activity", period)
    flows = activity[activity["activity"] > 0].merge(folder.chain.stage_inputs, on="process")
    flows = flows.assign(tonnes=flows["activity"] * flows["coefficient"])
    links = flows.groupby(["region", "stage", "process_stage"], as_index=False)["tonnes"].sum()
    return links.rename(
        columns={"region": "source_region", "stage": "source_stage", "process_stage": "target_stage"}
    ).assign(target_region=lambda f: f["source_region"], kind="processing")


def _trade_links(folder: ResultsFolder, period: int) -> pd.DataFrame:
    trade = folder.in_period("trade", period)
    chain = folder.chain
    trade = trade[trade["commodity"].map(chain.rare_earth).fillna(True).astype(bool)]
    stage = trade["commodity"].map(chain.commodity_stage).fillna(trade["commodity"])
    arrived = pd.DataFrame(
        {
            "source_region": trade["origin"],
            "source_stage": stage,
            "target_region": trade["destination"],
            "target_stage": stage,
            "kind": "trade",
            "tonnes": trade["arrived"],
        }
    )
    lost = arrived.assign(
        target_region="", target_stage=LOSSES, kind="transit_loss", tonnes=trade["shipped"] - trade["arrived"]
    )
    return pd.concat([arrived, lost], ignore_index=True)


def _mfa_links(folder: ResultsFolder, period: int) -> list[pd.DataFrame]:
    mfa = folder.in_period("mfa", period)
    source = {"source_region": mfa["region"], "source_stage": mfa["stage"]}
    stock_in = mfa["stock_change"].clip(lower=0.0)
    stock_out = (-mfa["stock_change"]).clip(lower=0.0)
    return [
        pd.DataFrame(
            {
                **source,
                "target_region": mfa["region"],
                "target_stage": DEMAND,
                "kind": "delivery",
                "tonnes": mfa["delivered"],
            }
        ),
        pd.DataFrame(
            {**source, "target_region": "", "target_stage": DISPOSED, "kind": "disposal", "tonnes": mfa["disposed"]}
        ),
        pd.DataFrame(
            {
                **source,
                "target_region": "",
                "target_stage": LOSSES,
                "kind": "process_loss",
                "tonnes": mfa["process_losses"],
            }
        ),
        pd.DataFrame({**source, "target_region": "", "target_stage": STOCK, "kind": "stock", "tonnes": stock_in}),
        pd.DataFrame(
            {
                "source_region": "",
                "source_stage": STOCK,
                "target_region": mfa["region"],
                "target_stage": mfa["stage"],
                "kind": "stock",
                "tonnes": stock_out,
            }
        ),
    ]


def _commodity_links(folder: ResultsFolder, period: int) -> list[pd.DataFrame]:
    """Without the instance's stages: commodity-level nodes, trade and the fate of each node's material."""
    trade = folder.in_period("trade", period)
    balance = folder.in_period("balance", period)
    source = {"source_region": balance["region"], "source_stage": balance["commodity"]}
    return [
        pd.DataFrame(
            {
                "source_region": trade["origin"],
                "source_stage": trade["commodity"],
                "target_region": trade["destination"],
                "target_stage": trade["commodity"],
                "kind": "trade",
                "tonnes": trade["arrived"],
            }
        ),
        pd.DataFrame(
            {
                "source_region": trade["origin"],
                "source_stage": trade["commodity"],
                "target_region": "",
                "target_stage": LOSSES,
                "kind": "transit_loss",
                "tonnes": trade["shipped"] - trade["arrived"],
            }
        ),
        pd.DataFrame(
            {
                **source,
                "target_region": balance["region"],
                "target_stage": DEMAND,
                "kind": "delivery",
                "tonnes": balance["delivered"],
            }
        ),
        pd.DataFrame(
            {**source, "target_region": "", "target_stage": DISPOSED, "kind": "disposal", "tonnes": balance["disposed"]}
        ),
    ]
