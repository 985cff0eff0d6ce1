"""The headline figures of Ge, Jiang, Zhuang & Guo (2025), computed from a solution's flows and costs.

Ge et al., "China's rare earth supply chain ... material flow analysis and material flow cost
accounting", Environ. Res. Commun. 7 095009 (DOI 10.1088/2515-7620/ae0300), as summarised by Rare
Earth Exchanges (confidence B, shared/data/REE_DATA_BRIEF.md §1). The study's values and our
tolerances are data; every model value is computed here from the solution, never typed in.

Definitions (region ``CN``, over the instance's horizon, each period weighted by its length):

* ``concentrate_inflow_kt``: production + arrived imports of concentrate-stage commodities, kt.
* ``net_import_growth_concentrate``: net imports (arrived − shipped) of concentrates, last period
  over first.
* ``net_import_growth_primary``: the same for primary products (stages intermediate, oxide, metal).
  Where net imports are not positive in both years (China, on customs data, is a net *exporter* of
  oxides and metals), the ratio of gross imports is given instead and
  ``net_import_growth_primary_basis`` says ``gross_imports``.
* ``cost_per_t_heavy_reo`` / ``cost_per_t_light_reo``: full production cost per tonne of separated
  oxide (``unit_costs``: mining to separation, joint costs by mass) of China's separation processes,
  output-weighted, for feeds of the heavy (ion-adsorption) and light (rock) type. A separation's
  type is the ``element_group`` of its rare-earth input (the mixed product of its feed) when
  commodities.csv gives one, else heavy when most of its output is heavy.
* ``system_material_cost_share``: (system + auxiliary material) / (system + material + energy +
  waste) of China's process costs.
* ``value_added_compounds_busd``: value added of the oxide stage at reference prices, B USD.
* ``functional_materials_value_busd``: output value of the functional-material stage at reference
  prices, B USD.
* ``refining_loss_share``: rare earths lost in cracking and separation over those entering refining
  (inputs of the intermediate stage plus intermediates bought in for separation).
* ``recycling_share``: share of China's deliveries whose rare earths trace back to recycling.
* ``net_imports_first_kt`` / ``net_imports_last_kt``: China's net imports (arrived − shipped) of every
  rare-earth commodity, first and last period, kt: the study's "net exporter → net importer by mass".

**Calibration targets and emergent figures.** :data:`BASIS` says, per figure, whether the instance's
data were chosen so that the account reproduces it (``calibration``: meeting it checks the
calibration still holds, it validates nothing) or whether it follows from data not tuned to it
(``emergent``: a test of the data). ``instances/china_2015_2022/SOURCES.md`` §11 lists what was tuned.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.analysis.flows import process_flows
from optimizer.analysis.unit_costs import process_unit_costs
from optimizer.instance.chain import commodity_table, source_processes
from optimizer.solution import Solution

REGION = "CN"
PRIMARY = ("intermediate", "oxide", "metal")
# (study value, relative tolerance, unit, what)
STUDY = {
    "concentrate_inflow_kt": (1238.0, 0.03, "kt", "cumulative concentrate inflows 2015-2022"),
    "net_import_growth_concentrate": (3.3, 0.10, "x", "growth of net imports of concentrates 2015->2022"),
    "net_import_growth_primary": (8.0, 0.10, "x", "growth of net imports of primary products 2015->2022"),
    "cost_per_t_heavy_reo": (45015.0, 0.10, "USD/t", "production cost per t of heavy REO"),
    "cost_per_t_light_reo": (3912.0, 0.10, "USD/t", "production cost per t of light REO"),
    "system_material_cost_share": (0.95, None, "share", "system + material share of costs (> 95%)"),
    "value_added_compounds_busd": (7.57, 0.15, "B USD", "value added of rare earth compounds"),
    "functional_materials_value_busd": (122.9, 0.15, "B USD", "value flow through functional materials"),
    "refining_loss_share": (0.10, 0.10, "share", "refining losses (about 10%)"),
    "recycling_share": (0.01, None, "share", "recycling (< 1%)"),
    "net_imports_first_kt": (0.0, None, "kt", "net imports by mass, first year (net exporter)"),
    "net_imports_last_kt": (0.0, None, "kt", "net imports by mass, last year (net importer)"),
}
# Which figures the data were tuned to (instances/china_2015_2022/SOURCES.md §11), and by what.
BASIS = {
    "concentrate_inflow_kt": ("calibration", "beneficiation yield 0.88"),
    "net_import_growth_concentrate": ("calibration", "2015-2017 monazite imports of unknown origin"),
    "net_import_growth_primary": ("calibration", "Myanmar imports 2015-2017 (gross, see README)"),
    "cost_per_t_heavy_reo": ("calibration", "per-step costs of the clay chains"),
    "cost_per_t_light_reo": ("calibration", "per-step costs of the rock chains"),
    "system_material_cost_share": ("calibration", "MFCA split of the per-step costs"),
    "value_added_compounds_busd": ("calibration", "payability of mixed products 68.78%"),
    "functional_materials_value_busd": ("calibration", "magnet reference price"),
    "refining_loss_share": ("calibration", "cracking and separation yields"),
    "recycling_share": ("calibration", "scrap collection 400-1,000 t/yr"),
    "net_imports_first_kt": ("emergent", ""),
    "net_imports_last_kt": ("emergent", ""),
}
# Figures checked by sign or bound rather than by a relative tolerance.
BOUNDS = {
    "system_material_cost_share": ("> 95%", lambda model, study: model > study),
    "recycling_share": ("< 1%", lambda model, study: model < study),
    "net_imports_first_kt": ("< 0", lambda model, study: model < study),
    "net_imports_last_kt": ("> 0", lambda model, study: model > study),
}


def study_figures(solution: Solution, region: str = REGION) -> dict:
    """The headline block: one number per key of :data:`STUDY` (None when the data has no such flow)."""
    instance = solution.instance
    lengths = dict(zip(instance.periods, instance.period_lengths, strict=True))
    first, last = instance.periods[0], instance.periods[-1]
    mfa = solution["mfa"]
    mfa = mfa[mfa["region"] == region].assign(length=lambda f: f["period"].map(lengths))

    def per_period(stages, column) -> pd.Series:
        return mfa[mfa["stage"].isin(stages)].groupby("period")[column].sum()

    concentrate = mfa[mfa["stage"] == "concentrate"]
    figures = {
        "concentrate_inflow_kt": float(
            ((concentrate["production"] + concentrate["imports"]) * concentrate["length"]).sum() / 1000.0
        )
    }
    figures["net_import_growth_concentrate"] = _ratio(per_period(["concentrate"], "net_imports"), first, last)
    net = per_period(PRIMARY, "net_imports")
    gross = per_period(PRIMARY, "imports")
    if net.get(first, 0.0) > 0 and net.get(last, 0.0) > 0:
        figures["net_import_growth_primary"] = _ratio(net, first, last)
        figures["net_import_growth_primary_basis"] = "net_imports"
    else:
        figures["net_import_growth_primary"] = _ratio(gross, first, last)
        figures["net_import_growth_primary_basis"] = "gross_imports"
    figures["primary_net_imports_t"] = {str(first): float(net.get(first, 0.0)), str(last): float(net.get(last, 0.0))}
    figures.update(_production_costs(solution, region))
    figures.update(_cost_share(solution, region))
    figures.update(_values(solution, region, lengths))
    figures["refining_loss_share"] = _refining_losses(solution, region)
    sourcing = solution["sourcing"]
    sourcing = sourcing[sourcing["region"] == region]
    tonnes = sourcing["tonnes"] * sourcing["period"].map(lengths)
    figures["recycling_share"] = (
        float(tonnes[sourcing["origin_kind"] == "recycling"].sum() / tonnes.sum()) if tonnes.sum() > 0 else None
    )
    net_all = mfa.groupby("period")["net_imports"].sum()
    figures["net_imports_first_kt"] = float(net_all.get(first, 0.0)) / 1000.0
    figures["net_imports_last_kt"] = float(net_all.get(last, 0.0)) / 1000.0
    return figures


def _ratio(series: pd.Series, first, last) -> float | None:
    start = series.get(first, 0.0)
    return float(series.get(last, 0.0) / start) if start else None


def _production_costs(solution: Solution, region: str) -> dict:
    instance = solution.instance
    commodities = commodity_table(instance)
    flows = process_flows(solution)
    separation = flows[(flows["region"] == region) & (flows["process_stage"] == "oxide") & flows["rare_earth"]]
    feeds = separation[separation["direction"] == "in"]
    outputs = separation[separation["direction"] == "out"]
    declared = feeds.assign(group=feeds["commodity"].map(commodities["element_group"]))
    declared = declared[declared["group"].isin(["light", "heavy"])].groupby("process")["group"].first()
    heavy_share = (
        outputs.assign(heavy=outputs["commodity"].map(commodities["element_group"]) == "heavy")
        .groupby("process")
        .apply(lambda f: (f["tonnes"] * f["heavy"]).sum() / f["tonnes"].sum(), include_groups=False)
    )
    kind = pd.Series(np.where(heavy_share > 0.5, "heavy", "light"), index=heavy_share.index)
    kind.update(declared)
    costs = process_unit_costs(solution)
    costs = costs[(costs["region"] == region) & costs["process"].isin(kind.index)]
    costs = costs.assign(kind=costs["process"].map(kind))
    result = {}
    for group in ("heavy", "light"):
        chosen = costs[costs["kind"] == group]
        total = chosen["output"].sum()
        result[f"cost_per_t_{group}_reo"] = (
            float((chosen["output"] * chosen["cost_per_t"]).sum() / total) if total > 0 else None
        )
    return result


def _cost_share(solution: Solution, region: str) -> dict:
    ledger = solution["costs"]
    own = ledger[
        (ledger["region"] == region)
        & ledger["process"].notna()
        & ledger["category"].isin(["system", "material", "energy", "waste"])
    ]
    lengths = dict(zip(solution.instance.periods, solution.instance.period_lengths, strict=True))
    spent = (own["amount"] * own["period"].map(lengths)).groupby(own["category"]).sum()
    total = spent.sum()
    share = float((spent.get("system", 0.0) + spent.get("material", 0.0)) / total) if total else None
    return {"system_material_cost_share": share}


def _values(solution: Solution, region: str, lengths: dict) -> dict:
    added = solution["value_added"]
    priced = added[(added["region"] == region) & (added["basis"] == "reference_price")]
    priced = priced.assign(length=priced["period"].map(lengths))
    oxide = priced[priced["stage"] == "oxide"]
    functional = priced[priced["stage"] == "functional_material"]
    return {
        "value_added_compounds_busd": float((oxide["value_added"] * oxide["length"]).sum() / 1e9),
        "functional_materials_value_busd": float((functional["output_value"] * functional["length"]).sum() / 1e9),
    }


def _refining_losses(solution: Solution, region: str) -> float | None:
    flows = process_flows(solution)
    flows = flows[
        (flows["region"] == region)
        & flows["rare_earth"]
        & ~flows["process"].isin(source_processes(solution.instance)["process"])
    ]
    lengths = dict(zip(solution.instance.periods, solution.instance.period_lengths, strict=True))
    tonnes = flows["tonnes"] * flows["period"].map(lengths)

    def total(stage: str, direction: str) -> float:
        return float(tonnes[(flows["process_stage"] == stage) & (flows["direction"] == direction)].sum())

    entering = total("intermediate", "in") + max(0.0, total("oxide", "in") - total("intermediate", "out"))
    lost = (total("intermediate", "in") - total("intermediate", "out")) + (total("oxide", "in") - total("oxide", "out"))
    return lost / entering if entering > 0 else None


def comparison_rows(figures: dict) -> list[dict]:
    """Study vs model, one row per figure: whether it lies within the tolerance, and its ``basis``.

    ``within`` is the arithmetic; ``check`` reads it for a person: a calibration target that is met
    says ``calibrated`` (it was an input), only an emergent figure says ``yes`` or ``no``.
    """
    rows = []
    for key, (study, tolerance, unit, what) in STUDY.items():
        model = figures.get(key)
        bound = BOUNDS.get(key)
        if model is None:
            within = None
        elif bound is not None:
            within = bound[1](model, study)
        else:
            within = abs(model - study) <= tolerance * abs(study)
        basis, tuned_by = BASIS[key]
        if within is None:
            check = "-"
        elif basis == "calibration":
            check = "calibrated" if within else "calibration missed"
        else:
            check = "yes" if within else "no"
        rows.append(
            {
                "figure": what,
                "key": key,
                "unit": unit,
                "study": study,
                "model": model,
                "tolerance": bound[0] if bound is not None else f"±{tolerance:.0%}",
                "within": within,
                "basis": basis,
                "tuned_by": tuned_by,
                "check": check,
            }
        )
    return rows
