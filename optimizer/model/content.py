r"""Content classes: where the material has been (FORMULATION.md E3).

With ``content: {tracked: [...]}`` naming a set :math:`S` of regions, every rare-earth flow carries
a class, clean or tracked. The program keeps its aggregate flows (and with them costs, capacities,
quotas and the balance) and adds, for every rare-earth flow :math:`x`, its **tracked part**
:math:`x^T` with :math:`0 \le x^T \le x`; the clean part is :math:`x - x^T \ge 0`. That is the
class-resolved model of E3 (:math:`x_{clean} + x_{tracked} = x`, capacities shared) with
:math:`x_{clean}` substituted out: one column and one row per rare-earth flow, one row per
rare-earth node, instead of doubling the aggregate.

Tracked balance, one row per rare-earth node :math:`(r, c, t)` (family ``content_balance``):

.. math::

    \sum_{p} a^{out}_{pc} \zeta_{prt} - \sum_p a^{in}_{pc} z^T_{prt}
    + \sum_{r'} (1 - loss) f^T_{cr'rt} - \sum_{r'} f^T_{crr't}
    + (h^T_{rc,t-1} - h^T_{rct}) / len_t - s^T_{rct} - w^T_{rct} + g_{rct} = 0

where :math:`\zeta = z` in a region of :math:`S` (every output there is tracked, whatever the class
of the inputs; mines there produce tracked) and :math:`\zeta = z^T` elsewhere (a process keeps the
class of its inputs; a process with no rare-earth input outside :math:`S` makes clean material).
:math:`z^T` exists for processes with a rare-earth input: the activity run on tracked inputs. The
initial stock is tracked when held in a region of :math:`S`, clean elsewhere. The clean balance is
the aggregate balance minus this row, so it holds too; non-rare-earth commodities are not split.

:math:`g_{rct} \ge 0` (family ``content_downgrade``) turns clean material into tracked material at
the node: clean may always be used where tracked is, never the reverse. Without it a process
outside :math:`S` fed partly clean, partly tracked (Australian NdPr with Chinese Dy in a Japanese
magnet) would have no class to run in; with it, such a run is tracked, which is what content rules
mean by "contains material from S". It also makes the tracked value never exceed the clean one.

Within rows, ``x^T - x <= 0`` (families ``content_activity_within``, ``content_trade_within``,
``content_disposal_within``, ``content_stock_within``) and, for deliveries, the share rule
``s^T - m·s <= 0`` with ``m`` = demand.csv ``max_tracked_share`` (default 1; family
``tracked_share``): ``m = 0`` means mined, separated, made and melted outside :math:`S`. Where a
demand has a curve (E1), its steps are deliveries too (``content_elastic_step``, within rows
``content_elastic_step_within``), the share rule covers the core and the steps together, and the
core gets its own within row (``content_delivery_within``).

Column families (index columns are integer codes; ``k`` is the class code, always
``TRACKED = 1`` here, ``CLASSES[k]`` its name): ``content_activity`` (p, r, t, k),
``content_trade`` (c, o, d, t, k, loss), ``content_delivery`` (r, c, t, k), ``content_disposal``
(r, c, t, k), ``content_stock`` (r, c, t, k), each with an ``of`` column (the position of its
aggregate column in that family), and ``content_downgrade`` (r, c, t, k), in the order of the
``content_balance`` rows. Costs stay on the aggregates, so the objective is unchanged.

Duals (minimised program, divided by ``disc[t]·len[t]``): the aggregate balance row prices a clean
tonne, :math:`\lambda_{clean}`; ``content_balance`` prices the tracked premium, so a tracked tonne
is worth :math:`\lambda_{clean} + \mu`. ``tracked_share``'s dual is the cost of the content rule per
tonne delivered. Without ``content`` nothing here is added and the program is exactly as before.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.model.index import INF, ModelData
from optimizer.model.lp import LPBuilder

CLASSES = ("clean", "tracked")
TRACKED = 1


def tracked_mask(data: ModelData) -> np.ndarray:
    """Per region code: is it in the tracked set S?"""
    mask = np.zeros(len(data.regions), dtype=bool)
    mask[data.regions.get_indexer(list(data.instance.tracked_regions))] = True
    return mask


def max_tracked_share(data: ModelData) -> np.ndarray:
    """demand.csv ``max_tracked_share`` per row of ``data.demand`` (1 where blank)."""
    demand = data.instance.expanded("demand")
    demand = demand[demand["quantity"] > 0]
    if "max_tracked_share" not in demand:
        return np.ones(len(data.demand))
    share = demand["max_tracked_share"].fillna(1.0).to_numpy(dtype=float)
    assert len(share) == len(data.demand), "demand rows and their content rules disagree"
    return share


def _with_k(index: pd.DataFrame, of: np.ndarray) -> pd.DataFrame:
    return index.reset_index(drop=True).assign(k=TRACKED, of=of)


def add_content(data: ModelData, lp: LPBuilder) -> None:
    if not data.instance.tracked_regions:
        return
    rare = data.rare_earth
    in_s = tracked_mask(data)

    activity = lp.column("activity")
    fed = np.unique(data.recipe.loc[(data.recipe["coefficient"] < 0) & rare[data.recipe["c"]], "p"])
    run = np.flatnonzero(np.isin(activity.index["p"].to_numpy(), fed))
    z_t = lp.add_columns("content_activity", _with_k(activity.index.loc[run, ["p", "r", "t"]], run), 0.0, INF)

    # the within rows bound each part by its aggregate, so the columns need no upper bound
    families = {}
    for name in ("trade", "delivery", "elastic_step", "disposal", "stock"):
        aggregate = lp.column(name)
        on = np.flatnonzero(rare[aggregate.index["c"].to_numpy()])
        keys = {"trade": ["c", "o", "d", "t", "loss"], "elastic_step": ["r", "c", "t", "j"]}.get(name, ["r", "c", "t"])
        families[name] = lp.add_columns(f"content_{name}", _with_k(aggregate.index.loc[on, keys], on), 0.0, INF)

    _add_tracked_balance(data, lp, z_t, families, in_s)

    _add_within(lp, "content_activity_within", z_t, activity, 1.0)
    for name in ("trade", "disposal", "stock"):
        _add_within(lp, f"content_{name}_within", families[name], lp.column(name), 1.0)
    delivery = families["delivery"]
    share = max_tracked_share(data)[delivery.index["of"].to_numpy()]
    rows = _add_within(lp, "tracked_share", delivery, lp.column("delivery"), share)
    steps = families.get("elastic_step")
    if steps is not None and steps.size:
        _add_steps(lp, steps, delivery, rows, share)


def _add_steps(lp: LPBuilder, steps, delivery, share_rows, share: np.ndarray) -> None:
    """A demand curve's steps (E1) are deliveries too: each step's tracked part is within the step, and
    the share rule of the demand row covers the core and its steps together. The core's own within
    row is then needed (the share row no longer implies it) wherever the demand has steps."""
    _add_within(lp, "content_elastic_step_within", steps, lp.column("elastic_step"), 1.0)
    demand = lp.column("elastic_step").index["demand"].to_numpy()[steps.index["of"].to_numpy()]
    rule = pd.Series(np.arange(delivery.size), index=delivery.index["of"].to_numpy())  # demand row -> share row
    row = share_rows.start + rule.loc[demand].to_numpy()
    lp.add_terms(row, steps.ids, 1.0)
    lp.add_terms(row, lp.column("elastic_step").start + steps.index["of"].to_numpy(), -share[rule.loc[demand]])
    curved = np.unique(rule.loc[demand].to_numpy())
    core = delivery.index.iloc[curved]
    rows = lp.add_rows("content_delivery_within", core.drop(columns=["of"]), -np.inf, 0.0)
    ids = rows.start + np.arange(rows.size)
    lp.add_terms(ids, delivery.ids[curved], 1.0)
    lp.add_terms(ids, lp.column("delivery").start + core["of"].to_numpy(), -1.0)


def _add_within(lp: LPBuilder, name: str, part, aggregate, share):
    """``x^T - share·x <= 0`` for every tracked part column; returns the row family."""
    index = part.index.drop(columns=["of", "loss", "demand", "width", "price"], errors="ignore")
    rows = lp.add_rows(name, index, -np.inf, 0.0)
    ids = rows.start + np.arange(rows.size)
    lp.add_terms(ids, part.ids, 1.0)
    lp.add_terms(ids, aggregate.start + part.index["of"].to_numpy(), -np.asarray(share, dtype=float))
    return rows


def _add_tracked_balance(data: ModelData, lp: LPBuilder, z_t, families: dict, in_s: np.ndarray) -> None:
    rare = data.rare_earth
    nodes, cols, values = [], [], []

    def term(node, col, value) -> None:
        nodes.append(np.asarray(node, dtype=np.int64))
        cols.append(np.asarray(col, dtype=np.int64))
        values.append(np.broadcast_to(np.asarray(value, dtype=float), len(nodes[-1])))

    recipe = data.recipe[rare[data.recipe["c"].to_numpy()]]
    activity = lp.column("activity")
    # outputs: all activity in S is tracked; elsewhere only what runs on tracked inputs
    made_in_s = activity.index[["p", "r", "t"]].assign(col=activity.ids)
    made_in_s = made_in_s[in_s[made_in_s["r"].to_numpy()]].merge(recipe[recipe["coefficient"] > 0], on="p")
    term(data.node_code(made_in_s["r"], made_in_s["c"], made_in_s["t"]), made_in_s["col"], made_in_s["coefficient"])
    runs = z_t.index[["p", "r", "t"]].assign(col=z_t.ids, outside=~in_s[z_t.index["r"].to_numpy()])
    flows = runs.merge(recipe, on="p")
    used = flows[(flows["coefficient"] < 0) | flows["outside"]]
    term(data.node_code(used["r"], used["c"], used["t"]), used["col"], used["coefficient"])

    trade = families["trade"]
    link = trade.index
    term(data.node_code(link["o"], link["c"], link["t"]), trade.ids, -1.0)
    term(data.node_code(link["d"], link["c"], link["t"]), trade.ids, 1.0 - link["loss"].to_numpy())
    for name in ("delivery", "elastic_step", "disposal"):
        family = families[name]
        term(data.node_code(family.index["r"], family.index["c"], family.index["t"]), family.ids, -1.0)
    stock = families["stock"]
    h = stock.index
    t = h["t"].to_numpy()
    term(data.node_code(h["r"], h["c"], t), stock.ids, -1.0 / data.lengths[t])
    later = t + 1 < data.n_periods
    term(data.node_code(h["r"][later], h["c"][later], t[later] + 1), stock.ids[later], 1.0 / data.lengths[t[later] + 1])

    initial = data.stocks[rare[data.stocks["c"].to_numpy()] & in_s[data.stocks["r"].to_numpy()]]
    start = data.node_code(initial["r"], initial["c"], np.zeros(len(initial), dtype=np.int64))
    node = np.concatenate(nodes) if nodes else np.zeros(0, dtype=np.int64)
    codes, row = np.unique(np.concatenate([node, start]), return_inverse=True)
    rhs = np.zeros(len(codes))
    np.add.at(rhs, np.searchsorted(codes, start), -initial["initial"].to_numpy() / data.lengths[0])
    r, c, period = data.node_parts(codes)
    index = pd.DataFrame({"r": r, "c": c, "t": period, "k": TRACKED})
    downgrade = lp.add_columns("content_downgrade", index, 0.0, INF)
    family = lp.add_rows("content_balance", index, rhs, rhs)
    lp.add_terms(family.start + row[: len(node)], np.concatenate(cols), np.concatenate(values))
    lp.add_terms(family.start + np.arange(family.size), downgrade.ids, 1.0)
