"""What the chain's structure says, computed once per instance from its tables alone.

Each commodity's stage and whether it bears rare earths; the stage each process makes (that of its
largest rare-earth output: its quantity centre in the accounts); which processes are sources (no
rare-earth input: mines, scrap collection) and of which kind. The solver, the accounts and the
report all read the chain through these functions, so they agree on it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.instance.instance import Instance


def warm(instance: Instance) -> None:
    """Compute once what every solve and account of ``instance`` (and of its scenarios) needs, so that
    scenarios applied to it inherit it (:func:`optimizer.scenario.apply_changes`)."""
    for name in ("processes", "trade", "demand", "commodities", "quotas"):
        instance.expanded(name)
    commodity_table(instance)
    process_stages(instance)
    source_processes(instance)


def commodity_table(instance: Instance) -> pd.DataFrame:
    """commodity → stage, rare_earth (unit blank or in t REO), element_group."""
    return instance.derived(("commodities",), "commodity_table", _commodity_table)


def bears_rare_earth(instance: Instance, commodities: pd.Series) -> np.ndarray:
    """A boolean array: which of ``commodities`` bear rare earths (a plain array, so that it selects
    rows even from an empty table)."""
    flags = commodity_table(instance)["rare_earth"]
    return commodities.map(flags).fillna(False).to_numpy(dtype=bool)


def _commodity_table(instance: Instance) -> pd.DataFrame:
    table = instance.table("commodities")
    general = table[table["period"].isna()].set_index("commodity")
    unit = general["unit"].str.lower()
    return pd.DataFrame(
        {
            "stage": general["stage"],
            "rare_earth": (unit == "") | unit.str.contains("reo"),
            "element_group": general["element_group"],
        }
    )


def process_stages(instance: Instance) -> pd.DataFrame:
    """The stage each process belongs to: that of its largest rare-earth output (else largest output)."""
    return instance.derived(("process_io", "commodities"), "process_stages", _process_stages)


def _process_stages(instance: Instance) -> pd.DataFrame:
    recipe = instance.table("process_io")
    outputs = recipe[recipe["direction"] == "out"].join(commodity_table(instance), on="commodity")
    outputs = outputs.assign(rank=outputs["rare_earth"].astype(int) * 1e12 + outputs["coefficient"])
    best = outputs.sort_values("rank", kind="stable").groupby("process").tail(1)
    return best[["process", "stage"]].rename(columns={"stage": "process_stage"})


def source_processes(instance: Instance) -> pd.DataFrame:
    """Processes without rare-earth inputs (mines, scrap collection) and the origin kind they stand for:
    ``recycling`` when all their outputs are end-of-life commodities, ``mining`` otherwise."""
    return instance.derived(("process_io", "commodities"), "source_processes", _source_processes)


def _source_processes(instance: Instance) -> pd.DataFrame:
    recipe = instance.table("process_io").join(commodity_table(instance), on="commodity")
    fed = set(recipe.loc[(recipe["direction"] == "in") & recipe["rare_earth"], "process"])
    outputs = recipe[(recipe["direction"] == "out") & ~recipe["process"].isin(fed)]
    end_of_life = outputs.groupby("process")["stage"].agg(lambda s: bool((s == "end_of_life").all()))
    return pd.DataFrame(
        {"process": end_of_life.index, "source_kind": np.where(end_of_life.to_numpy(), "recycling", "mining")}
    )
