"""The index structure of the model, built once with pandas: every table expanded to one row per key
and period and every name replaced by an integer code.

Constraint families then work on whole arrays of codes (a node is ``(region, commodity, period)``),
never on rows one at a time; this is what keeps the build time small next to the solve time.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np
import pandas as pd

from optimizer.instance import Instance
from optimizer.instance.expand import UNDATED_PROCESS_NUMBERS, build_limit, undated_rows
from optimizer.network import build_network, deployed, trade_links

INF = np.inf


@dataclass(frozen=True)
class ModelData:
    """An instance as integer-coded arrays (codes index ``regions``, ``commodities``, ...).

    ``processes`` has one row per deployed process, region and period (columns ``p, r, t`` and the
    numbers of processes.csv, blank capacity as ``inf``); ``recipe`` one row per process and
    commodity with a signed ``coefficient`` (outputs positive); ``trade`` one row per link and
    period; ``demand`` one row per positive demand; ``quotas`` one row per quota and period and
    ``quota_links`` the trade links each quota covers; ``stocks`` one row per declared stock.
    ``demand`` carries ``elasticity`` (NaN for fixed demand), ``steps`` and ``band`` of E1.
    """

    instance: Instance
    regions: pd.Index
    commodities: pd.Index
    process_names: pd.Index
    periods: np.ndarray
    lengths: np.ndarray
    discount: np.ndarray
    stage: np.ndarray
    rare_earth: np.ndarray
    reference_price: np.ndarray  # [commodity, period], NaN where not given
    disposal_cost: np.ndarray  # [commodity, period]
    processes: pd.DataFrame
    recipe: pd.DataFrame
    trade: pd.DataFrame
    demand: pd.DataFrame
    quotas: pd.DataFrame
    quota_links: pd.DataFrame
    stocks: pd.DataFrame
    objective: str
    unmet_penalty: float | None

    @property
    def weight(self) -> np.ndarray:
        """``disc[t] * len[t]``: what one unit per year in period t is worth in the objective."""
        return self.discount * self.lengths

    @property
    def n_periods(self) -> int:
        return len(self.periods)

    def node_code(self, r, c, t) -> np.ndarray:
        """One integer per (region, commodity, period) node."""
        return (np.asarray(r, dtype=np.int64) * len(self.commodities) + c) * self.n_periods + t

    def node_parts(self, code: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        t = code % self.n_periods
        rc = code // self.n_periods
        return rc // len(self.commodities), rc % len(self.commodities), t


def build_index(chain: nx.DiGraph | Instance, objective: str | None = None) -> ModelData:
    """The model's index structure, read from the chain's graph (:func:`optimizer.network.network`).

    The graph's process nodes say which processes run where and its trade edges which links
    exist; their per-period numbers come from the tables the graph carries (docs/network.md). An
    :class:`Instance` is turned into its graph first.
    """
    graph = chain if isinstance(chain, nx.DiGraph) else build_network(chain)
    instance: Instance = graph.graph["instance"]
    t = instance.tables
    periods = np.array(instance.periods)
    regions = pd.Index(instance.regions, name="region")
    commodity_table = t["commodities"]
    commodities = pd.Index(commodity_table.loc[commodity_table["period"].isna(), "commodity"], name="commodity")
    process_names = pd.Index(t["process_io"]["process"].drop_duplicates(), name="process")

    def period_code(values: pd.Series) -> np.ndarray:
        return _period_code(periods, values)

    general = commodity_table[commodity_table["period"].isna()].set_index("commodity").loc[commodities]
    units = general["unit"].str.lower()
    rare_earth = ((units == "") | units.str.contains("reo")).to_numpy()
    reference_price, disposal_cost = commodity_prices(instance, commodities, periods)

    processes = _processes(instance).merge(deployed(graph)[["process", "region"]], on=["process", "region"])
    processes.insert(0, "p", _code(process_names, processes.pop("process")))
    processes.insert(1, "r", _code(regions, processes.pop("region")))
    processes.insert(2, "t", period_code(processes.pop("period")))

    io = t["process_io"]
    recipe = pd.DataFrame(
        {
            "p": _code(process_names, io["process"]),
            "c": _code(commodities, io["commodity"]),
            "coefficient": np.where(io["direction"] == "out", 1.0, -1.0) * io["coefficient"].to_numpy(),
        }
    )

    trade = instance.expanded("trade").merge(trade_links(graph), on=["commodity", "origin", "destination"])
    trade = pd.DataFrame(
        {
            "c": _code(commodities, trade["commodity"]),
            "o": _code(regions, trade["origin"]),
            "d": _code(regions, trade["destination"]),
            "t": period_code(trade["period"]),
            **trade_numbers(trade),
        }
    )
    demand = demand_frame(instance, regions, commodities, periods)
    quotas, quota_links = quota_frames(t["quotas"], instance, regions, commodities, periods)
    stocks = stock_frame(instance, regions, commodities)

    return ModelData(
        instance=instance,
        regions=regions,
        commodities=commodities,
        process_names=process_names,
        periods=periods,
        lengths=np.array(instance.period_lengths, dtype=float),
        discount=np.array(instance.discount_factors, dtype=float),
        stage=general["stage"].to_numpy(),
        rare_earth=rare_earth,
        reference_price=reference_price,
        disposal_cost=disposal_cost,
        processes=processes,
        recipe=recipe,
        trade=trade,
        demand=demand,
        quotas=quotas,
        quota_links=quota_links,
        stocks=stocks,
        objective=objective or instance.objective,
        unmet_penalty=instance.unmet_penalty,
    )


def _code(index: pd.Index, values: pd.Series) -> np.ndarray:
    return index.get_indexer(values).astype(np.int64)


def _period_code(periods: np.ndarray, values: pd.Series) -> np.ndarray:
    return np.searchsorted(periods, values.to_numpy(dtype=np.int64))


def commodity_prices(instance: Instance, commodities: pd.Index, periods: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``reference_price`` (NaN where not given) and ``disposal_cost`` as [commodity, period] arrays."""
    prices = instance.expanded("commodities")
    shape = (len(commodities), len(periods))
    reference_price = np.full(shape, np.nan)
    disposal_cost = np.zeros(shape)
    ci, ti = _code(commodities, prices["commodity"]), _period_code(periods, prices["period"])
    reference_price[ci, ti] = prices["reference_price"].to_numpy()
    disposal_cost[ci, ti] = prices["disposal_cost"].to_numpy()
    return reference_price, disposal_cost


def trade_numbers(trade: pd.DataFrame) -> dict[str, np.ndarray]:
    """The numbers of the model's trade frame, from rows of the expanded trade table (those of its
    columns ``trade`` has: a re-solve passes only the columns that moved)."""
    numbers = {
        "cost": lambda: trade["cost"].to_numpy(),
        "tariff": lambda: trade["tariff"].to_numpy(),
        "tariff_rate": lambda: trade["tariff_rate"].to_numpy(),
        "loss": lambda: trade["loss"].to_numpy(),
        "capacity": lambda: trade["capacity"].fillna(INF).to_numpy(),
    }
    return {name: number() for name, number in numbers.items() if name in trade}


def demand_frame(instance: Instance, regions: pd.Index, commodities: pd.Index, periods: np.ndarray) -> pd.DataFrame:
    """One row per positive demand and period, codes and numbers."""
    demand = instance.expanded("demand")
    demand = demand[demand["quantity"] > 0]
    codes = {
        "r": _code(regions, demand["region"]),
        "c": _code(commodities, demand["commodity"]),
        "t": _period_code(periods, demand["period"]),
    }
    return pd.DataFrame({**codes, **demand_numbers(demand, instance.unmet_penalty)})


def demand_numbers(demand: pd.DataFrame, unmet_penalty: float | None) -> dict[str, np.ndarray]:
    """The numbers of the model's demand frame, from rows of the expanded demand table (those of its
    columns ``demand`` has: a re-solve passes only the columns that moved)."""
    numbers = {
        "quantity": lambda: demand["quantity"].to_numpy(),
        "price": lambda: demand["price"].fillna(0.0).to_numpy(),
        # NaN: demand is hard
        "penalty": lambda: (
            demand["penalty"] if unmet_penalty is None else demand["penalty"].fillna(unmet_penalty)
        ).to_numpy(),
        # E1 demand curve (elastic_demand.py); NaN elasticity: fixed demand
        "elasticity": lambda: demand["elasticity"].to_numpy(dtype=float),
        "steps": lambda: demand["steps"].fillna(5.0).to_numpy(dtype=np.int64),
        "band": lambda: demand["band"].fillna(0.5).to_numpy(dtype=float),
    }
    return {name: number() for name, number in numbers.items() if name in demand}


def stock_frame(instance: Instance, regions: pd.Index, commodities: pd.Index) -> pd.DataFrame:
    """One row per declared stock, codes and numbers."""
    stocks = instance.tables["stocks"]
    return pd.DataFrame(
        {
            "r": _code(regions, stocks["region"]),
            "c": _code(commodities, stocks["commodity"]),
            "initial": stocks["initial"].to_numpy(),
            "max_level": stocks["max_level"].fillna(INF).to_numpy(),
            "holding_cost": stocks["holding_cost"].to_numpy(),
        }
    )


def _processes(instance: Instance) -> pd.DataFrame:
    table = instance.table("processes")
    undated = table.loc[undated_rows(table), ["process", "region", *UNDATED_PROCESS_NUMBERS]]
    frame = instance.expanded("processes").merge(undated, on=["process", "region"], how="left")
    return frame[["process", "region", "period"]].assign(**process_numbers(frame)).reset_index(drop=True)


# The number columns of the model's processes frame, in its order (``lead_time``, ``unit_size``
# are numbers too, but a re-solve keeps them: they shape the program).
PROCESS_NUMBERS = (
    "capacity",
    "cost_system",
    "cost_energy",
    "cost_material",
    "cost_waste",
    "capex",
    "max_build",
    "lead_time",
    "unit_size",
    "reserve",
    "max_build_total",
    "min_activity",
)
SHAPING_PROCESS_NUMBERS = ("lead_time", "unit_size")


def process_numbers(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """The numbers of the model's processes frame from rows of the expanded processes table, each
    with its process and region's ``reserve`` and ``max_build_total`` (blank capacity, reserve,
    max_build_total: ``inf``; capex: 0)."""
    numbers = {name: frame[name].to_numpy() for name in PROCESS_NUMBERS if name in frame}
    numbers["max_build"] = build_limit(frame)
    numbers["capacity"] = frame["capacity"].fillna(INF).to_numpy()
    numbers["reserve"] = frame["reserve"].fillna(INF).to_numpy()
    numbers["max_build_total"] = frame["max_build_total"].fillna(INF).to_numpy() if "max_build_total" in frame else INF
    numbers["capex"] = frame["capex"].fillna(0.0).to_numpy()
    numbers["min_activity"] = frame["min_activity"].fillna(0.0).to_numpy() if "min_activity" in frame else 0.0
    return {name: numbers[name] for name in PROCESS_NUMBERS}


def quota_frames(
    table: pd.DataFrame, instance: Instance, regions: pd.Index, commodities: pd.Index, periods: np.ndarray
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Quotas per period, and the (commodity, origin, destination) links each one covers."""
    if table.empty:
        return (
            pd.DataFrame({"quota": [], "name": [], "t": [], "limit": []}),
            pd.DataFrame({"quota": [], "c": [], "o": [], "d": []}, dtype=np.int64),
        )
    frame = instance.expanded("quotas").reset_index(drop=True)
    quotas = pd.DataFrame(
        {
            "quota": np.arange(len(frame)),
            "name": frame["quota"].to_numpy(),
            "t": np.searchsorted(periods, frame["period"].to_numpy()),
            "limit": frame["limit"].to_numpy(),
        }
    )
    covered = quota_coverage(frame, list(regions))
    quota_links = pd.DataFrame(
        {
            "quota": covered["quota"].to_numpy(dtype=np.int64),
            "c": commodities.get_indexer(covered["commodity"]),
            "o": regions.get_indexer(covered["origin"]),
            "d": regions.get_indexer(covered["destination"]),
        }
    )
    return quotas, quota_links


def quota_coverage(expanded: pd.DataFrame, regions: list[str]) -> pd.DataFrame:
    """The (commodity, origin, destination) links each row of the expanded quotas table covers, in the
    instance's names: ``quota`` is the row's position, blank destinations mean every other region."""
    frame = expanded.reset_index(drop=True)
    destinations = [
        d or tuple(r for r in regions if r != o) for o, d in zip(frame["origin"], frame["destinations"], strict=True)
    ]
    covered = pd.DataFrame(
        {"quota": np.arange(len(frame)), "origin": frame["origin"].to_numpy(dtype=object),
         "commodity": frame["commodities"].to_numpy(), "destination": pd.Series(destinations, dtype=object).to_numpy()}
    )  # fmt: skip
    return covered.explode("commodity").explode("destination").reset_index(drop=True)
