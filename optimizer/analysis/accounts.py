"""Material flow (MFA) and material flow cost (MFCA, ISO 14051) accounts of a solution.

**MFA** (``mfa.csv``), per stage (of commodities.csv), region and period, in t REO per year, from
the rare-earth-bearing rows of balance.csv: production, imports (arrived), exports (shipped),
net imports, consumed, delivered, disposed, stock change, transit losses (shipped − arrived on the
region's exports) and process losses (rare-earth input − output of the processes that make the
stage). It closes per row: ``production + imports = exports + consumed + delivered + disposed +
stock_change``.

**MFCA** (``mfca.csv``): the *quantity centre* of a stage in a region and period holds the processes
that make the stage (see ``flows.process_stages``) and the imports of the stage's commodities. Its
costs, per year in the period's money, by ISO 14051 category:

* material: rare-earth (and other modelled) inputs at their marginal values, imports at the
  exporter's marginal value, and auxiliary materials (``cost_material``);
* system: ``cost_system``, capex of capacity available, transport and tariffs of imports, holding;
* energy: ``cost_energy``; waste management: ``cost_waste`` and disposal of the stage's commodities.

Each category is allocated to products and to material losses by mass: losses are what enters
(rare-earth inputs, ore mined, tonnes shipped in) and does not leave as product (yield losses,
transit losses, and co-products disposed of or stockpiled unwanted).

**Value added** (``value_added.csv``): output value − input value of the stage's processes, at marginal
values and, where commodities.csv gives them, at reference prices (a missing price counts as 0).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.analysis.flows import ZERO, process_flows, reference_prices
from optimizer.instance.chain import commodity_table, process_stages, source_processes
from optimizer.instance.schema import STAGES
from optimizer.output.columns import RESULT_COLUMNS
from optimizer.solution import Solution

MFA_COLUMNS = RESULT_COLUMNS["mfa"]
MFCA_CATEGORIES = ("material", "system", "energy", "waste")
KEY = ["stage", "region", "period"]
LEDGER_CATEGORY = {
    "system": "system",
    "energy": "energy",
    "material": "material",
    "waste": "waste",
    "capex": "system",
    "trade": "system",
    "tariff": "system",
    "holding": "system",
}


def mfa_table(solution: Solution) -> pd.DataFrame:
    instance = solution.instance
    commodities = commodity_table(instance)
    balance = solution["balance"].join(commodities, on="commodity")
    balance = balance[balance["rare_earth"]]
    mfa = balance.groupby(KEY, as_index=False)[
        ["produced", "imports", "exports", "consumed", "delivered", "disposed", "stock_change"]
    ].sum()
    mfa = mfa.rename(columns={"produced": "production"})
    mfa["net_imports"] = mfa["imports"] - mfa["exports"]

    trade = solution["trade"].join(commodities, on="commodity")
    trade = trade[trade["rare_earth"]].assign(lost=lambda f: f["shipped"] - f["arrived"])
    transit = trade.groupby(["stage", "origin", "period"])["lost"].sum().rename("transit_losses")
    mfa = mfa.join(transit, on=["stage", "region", "period"])

    losses = process_losses(solution).rename("process_losses")
    mfa = mfa.join(losses, on=KEY)
    mfa[["transit_losses", "process_losses"]] = mfa[["transit_losses", "process_losses"]].fillna(0.0)
    order = {stage: i for i, stage in enumerate(STAGES)}
    mfa = mfa.sort_values(["period", "region", "stage"], key=lambda s: s.map(order) if s.name == "stage" else s)
    return mfa[MFA_COLUMNS].reset_index(drop=True)


def process_losses(solution: Solution) -> pd.Series:
    """Rare-earth input − output of the processes of each stage (sources have no input: no loss)."""
    flows = process_flows(solution)
    flows = flows[flows["rare_earth"] & ~flows["process"].isin(source_processes(solution.instance)["process"])]
    signed = np.where(flows["direction"] == "in", 1.0, -1.0) * flows["tonnes"]
    return signed.groupby([flows["process_stage"], flows["region"], flows["period"]]).sum().rename_axis(KEY)


def mfca_tables(solution: Solution) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``mfca`` (cost by category to products and to losses) and ``value_added``."""
    instance = solution.instance
    commodities = commodity_table(instance)
    flows = process_flows(solution)
    sources = set(source_processes(instance)["process"])
    mv = solution["balance"].set_index(["region", "commodity", "period"])["marginal_value"]
    flows["marginal_value"] = mv.reindex(pd.MultiIndex.from_frame(flows[["region", "commodity", "period"]])).to_numpy()
    flows["value"] = flows["tonnes"] * np.nan_to_num(flows["marginal_value"])
    prices = reference_prices(instance)
    price = prices.reindex(pd.MultiIndex.from_frame(flows[["commodity", "period"]])).to_numpy()
    flows["reference_value"] = flows["tonnes"] * np.nan_to_num(price)
    flows["priced"] = ~np.isnan(price)
    flows = flows.rename(columns={"process_stage": "centre_stage"})
    inputs = flows[flows["direction"] == "in"]
    outputs = flows[flows["direction"] == "out"]

    trade = solution["trade"].join(commodities, on="commodity")
    trade["origin_value"] = trade["shipped"] * np.nan_to_num(
        mv.reindex(pd.MultiIndex.from_frame(trade[["origin", "commodity", "period"]])).to_numpy()
    )
    trade = trade.rename(columns={"destination": "region"})
    ree_trade = trade[trade["rare_earth"]]

    balance = solution["balance"].join(commodities, on="commodity")
    disposed = balance[balance["rare_earth"]].groupby(KEY)["disposed"].sum()

    centre = ["centre_stage", "region", "period"]
    ree_in = inputs[inputs["rare_earth"]].groupby(centre)["tonnes"].sum()
    ree_out = outputs[outputs["rare_earth"]].groupby(centre)["tonnes"].sum()
    mined = outputs[outputs["rare_earth"] & outputs["process"].isin(sources)].groupby(centre)["tonnes"].sum()
    shipped_in = ree_trade.groupby(KEY)["shipped"].sum()
    arrived = ree_trade.groupby(KEY)["arrived"].sum()
    mass = pd.concat(
        {
            "ree_in": _rekey(ree_in),
            "ree_out": _rekey(ree_out),
            "mined": _rekey(mined),
            "shipped_in": shipped_in,
            "arrived": arrived,
            "disposed": disposed,
        },
        axis=1,
    ).fillna(0.0)
    mass_in = mass["ree_in"] + mass["mined"] + mass["shipped_in"]
    losses = mass_in - mass["ree_out"] - mass["arrived"] + mass["disposed"]
    loss_share = (losses / mass_in.where(mass_in > ZERO)).clip(0.0, 1.0).fillna(0.0)

    costs = _centre_costs(solution, flows, trade, commodities)
    costs = costs.join(loss_share.rename("loss_share"), on=KEY).fillna({"loss_share": 0.0})
    costs["to_losses"] = costs["amount"] * costs["loss_share"]
    costs["to_products"] = costs["amount"] - costs["to_losses"]
    mfca = costs[KEY + ["category", "to_products", "to_losses", "loss_share"]]

    value_added = _value_added(inputs, outputs)
    return mfca.reset_index(drop=True), value_added


def _rekey(series: pd.Series) -> pd.Series:
    return series.rename_axis(KEY)


def _centre_costs(
    solution: Solution, flows: pd.DataFrame, trade: pd.DataFrame, commodities: pd.DataFrame
) -> pd.DataFrame:
    """Every cost of the ledger, and the input values, attributed to a quantity centre and category."""
    ledger = solution["costs"]
    ledger = ledger[ledger["category"] != "penalty"].copy()
    stages = process_stages(solution.instance).set_index("process")["process_stage"]
    by_process = ledger["source"].isin(["activity", "build"])
    ledger["stage"] = np.where(by_process, ledger["process"].map(stages), ledger["commodity"].map(commodities["stage"]))
    ledger["region"] = np.where(ledger["source"] == "trade", ledger["destination"], ledger["region"])
    ledger["mfca_category"] = ledger["category"].map(LEDGER_CATEGORY)
    parts = [ledger.groupby(KEY + ["mfca_category"])["amount"].sum()]
    inputs = flows[flows["direction"] == "in"].drop(columns="stage").rename(columns={"centre_stage": "stage"})
    parts.append(
        inputs.groupby(KEY)["value"]
        .sum()
        .to_frame()
        .assign(mfca_category="material")
        .set_index("mfca_category", append=True)["value"]
    )
    parts.append(
        trade.groupby(KEY)["origin_value"]
        .sum()
        .to_frame()
        .assign(mfca_category="material")
        .set_index("mfca_category", append=True)["origin_value"]
    )
    amount = pd.concat(parts).groupby(level=[0, 1, 2, 3]).sum().rename("amount").reset_index()
    amount = amount.rename(columns={"mfca_category": "category"})
    amount["category"] = pd.Categorical(amount["category"], MFCA_CATEGORIES)
    return amount.sort_values(["period", "region", "stage", "category"]).reset_index(drop=True)


def _value_added(inputs: pd.DataFrame, outputs: pd.DataFrame) -> pd.DataFrame:
    """Per centre and basis; at reference prices only for centres with a priced output."""
    centre = ["centre_stage", "region", "period"]
    frames = []
    for basis, column in (("marginal_value", "value"), ("reference_price", "reference_value")):
        value_in = inputs.groupby(centre)[column].sum().rename("input_value")
        value_out = outputs.groupby(centre)[column].sum().rename("output_value")
        frame = pd.concat([value_in, value_out], axis=1).fillna(0.0)
        if basis == "reference_price":
            priced = outputs.groupby(centre)["priced"].any()
            frame = frame[priced.reindex(frame.index, fill_value=False).to_numpy()]
        frame = frame.reset_index()
        frame["basis"] = basis
        frames.append(frame)
    table = pd.concat(frames, ignore_index=True).rename(columns={"centre_stage": "stage"})
    table["value_added"] = table["output_value"] - table["input_value"]
    columns = ["stage", "region", "period", "basis", "input_value", "output_value", "value_added"]
    return table[columns].sort_values(["period", "region", "stage", "basis"]).reset_index(drop=True)
