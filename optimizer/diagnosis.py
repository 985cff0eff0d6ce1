"""Why a model has no solution, said in the instance's own names.

When hard demand cannot be met, the model is re-solved *elastically*: every hard demand may fall
short, and the least total shortfall (tonnes, weighted by period length) is found. The shortfalls
name what cannot be delivered; the duals of that re-solve name the limits behind them (capacities,
bans, quotas, reserves, build limits, total build caps): each one's dual says how many tonnes of
shortfall one more unit of it would remove. If even the elastic model is infeasible (fixed
observations that do not balance, say), HiGHS's irreducible infeasible subset is translated instead.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import highspy
import numpy as np

from optimizer.model import Model
from optimizer.model.registry import USER_FAMILY, limit_families
from optimizer.network import NetworkReport
from optimizer.solver import HighsSolver, SolveOptions, SolverResult

TOLERANCE = 1e-7
IIS_STRATEGY = 2  # HiGHS's strategies 0 and 32 return an empty subset for these models; 2 finds one


@dataclass
class Diagnosis:
    """Shortfalls, the limits behind them, and what the network check saw."""

    status: str
    shortfalls: list[dict] = field(default_factory=list)
    binding: list[dict] = field(default_factory=list)
    conflict: list[str] = field(default_factory=list)
    network: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def text(self) -> str:
        lines = [f"The model is {self.status}."]
        if self.status == "unbounded":
            lines.append(
                "Some activity can grow without limit while improving the objective: look for a "
                "process or loop that creates material (outputs exceeding inputs of the same commodity) "
                "or a price without a demand limit."
            )
        if self.shortfalls:
            lines += ["", "Demand that cannot be met (least total shortfall, tonnes per year):"]
            lines += [
                f"  {s['commodity']} in {s['region']}, {s['period']}: {s['shortfall']:.6g} t short of "
                f"{s['demand']:.6g} t demanded"
                for s in self.shortfalls
            ]
        if self.binding:
            lines += ["", "Limits behind the shortfall (tonnes of shortfall removed per unit relaxed):"]
            lines += [f"  {b['limit']}: {b['shortfall_per_unit']:.4g}" for b in self.binding]
        if self.conflict:
            heading = (
                "These grow without limit (a primal ray):"
                if self.status == "unbounded"
                else "These limits conflict (an irreducible infeasible subset):"
            )
            lines += ["", heading]
            lines += [f"  {item}" for item in self.conflict]
        if self.network:
            lines += ["", "The network check before solving found:"]
            lines += [f"  {message}" for message in self.network]
        return "\n".join(lines) + "\n"


def diagnose(model: Model, status: str, network: NetworkReport | None = None) -> Diagnosis:
    diagnosis = Diagnosis(status=status, network=network.messages() if network else [])
    if status == "unbounded":
        diagnosis.conflict = _unbounded_direction(model)
        return diagnosis
    if status != "infeasible":
        return diagnosis
    diagnosis.conflict = _conflict(model)
    elastic, hard = _elastic(model)
    result = HighsSolver(elastic, SolveOptions()).solve()
    if result.status != "optimal":
        return diagnosis
    data, lp = model.data, model.lp
    delivery = lp.columns["delivery"]
    delivered = result.x[delivery.ids]
    demand = lp.col_lower[delivery.ids]  # what must be delivered (on a demand curve, the band's lower edge)
    short = hard & (demand - delivered > TOLERANCE * np.maximum(1.0, demand))
    for position in np.flatnonzero(short):
        r, c, t = (int(data.demand[code].iat[position]) for code in ("r", "c", "t"))
        diagnosis.shortfalls.append(
            {
                "region": data.regions[r],
                "commodity": data.commodities[c],
                "period": int(data.periods[t]),
                "demand": float(demand[position]),
                "shortfall": float(demand[position] - delivered[position]),
            }
        )
    diagnosis.binding = _binding_limits(model, elastic, result)
    return diagnosis


def _elastic(model: Model):
    """The program with every hard demand allowed to fall short, minimising the shortfall."""
    data, lp = model.data, model.lp
    delivery = lp.columns["delivery"]
    hard = lp.col_lower[delivery.ids] > 0
    lengths = data.lengths[data.demand["t"].to_numpy()]
    cost = np.zeros(lp.n_cols)
    cost[delivery.ids[hard]] = -lengths[hard]
    lower = lp.col_lower.copy()
    lower[delivery.ids[hard]] = 0.0
    offset = float(np.sum(lengths[hard] * lp.col_lower[delivery.ids][hard]))
    elastic = dataclasses.replace(
        lp, col_cost=cost, col_lower=lower, offset=offset, integer=np.zeros(lp.n_cols, dtype=bool)
    )
    return elastic, hard


def _binding_limits(model: Model, elastic, result: SolverResult) -> list[dict]:
    """Limits with a non-zero dual in the elastic re-solve, largest effect first."""
    found = []
    for row in np.flatnonzero(np.abs(result.row_dual) > TOLERANCE):
        family = family_of(elastic.rows, row)
        # A limit (<=) binds with a negative dual; a floor of one's own (>=) with a positive one.
        if _is_limit(model, family.name) and (result.row_dual[row] < 0 or _is_own(model, family.name)):
            found.append((abs(result.row_dual[row]), describe(model, family, row - family.start)))
    at_upper = (result.col_dual < -TOLERANCE) & np.isfinite(elastic.col_upper)
    for col in np.flatnonzero(at_upper):
        family = family_of(elastic.columns, col)
        if family.name in limit_families("variable"):
            found.append((-result.col_dual[col], describe(model, family, col - family.start, bound=True)))
    found.sort(key=lambda item: -item[0])
    return [{"limit": text, "shortfall_per_unit": float(value)} for value, text in found[:25]]


def _policy_names(model: Model) -> tuple[str, ...]:
    return tuple(policy.name for policy in model.instance.policies)


def _is_own(model: Model, name: str) -> bool:
    """A row family of one's own: a scenario's constraint (E5a) or a Pyomo Constraint (E5b)."""
    return name in _policy_names(model) or name.startswith(USER_FAMILY)


def _is_limit(model: Model, name: str) -> bool:
    """A row family a user can relax: a registered limit, or a constraint of one's own."""
    return name in limit_families("constraint") or _is_own(model, name)


def family_of(families: dict, position: int):
    for family in families.values():
        if family.start <= position < family.stop:
            return family
    raise IndexError(position)


def describe(model: Model, family, position: int, bound: bool = False) -> str:
    """A row or column of the program in the instance's words."""
    data, lp = model.data, model.lp
    index = family.index.iloc[position]

    def name(code: str) -> str:
        lookup = {
            "p": data.process_names,
            "r": data.regions,
            "c": data.commodities,
            "o": data.regions,
            "d": data.regions,
        }
        return str(lookup[code][int(index[code])])

    period = int(data.periods[int(index["t"])]) if "t" in index else None
    at = family.start + position
    if family.name == "activity":
        where = f"{name('p')} in {name('r')}, {period}"
        return f"capacity of {where} ({lp.col_upper[at]:.6g} t/yr)" if bound else f"activity of {where}"
    if family.name == "capacity":
        return f"capacity of {name('p')} in {name('r')}, {period} ({lp.row_upper[at]:.6g} t/yr)"
    if family.name == "trade":
        link = f"trade of {name('c')} from {name('o')} to {name('d')}, {period}"
        if not bound:
            return link
        cap = lp.col_upper[at]
        return f"{link}: " + ("banned (capacity 0)" if cap == 0 else f"capacity {cap:.6g} t/yr")
    if family.name == "build":
        return f"{'max_build' if bound else 'build'} of {name('p')} in {name('r')}, {period}"
    if family.name == "reserve":
        return f"reserve of {name('p')} in {name('r')} ({lp.row_upper[at]:.6g} t)"
    if family.name == "build_total":
        return f"max_build_total of {name('p')} in {name('r')} ({lp.row_upper[at]:.6g} t/yr)"
    if family.name == "quota":
        return f"quota {index['name']}, {period} (limit {lp.row_upper[at]:.6g} t/yr)"
    if family.name == "stock":
        return (
            f"max_level of the {name('c')} stock in {name('r')}, {period}"
            if bound
            else f"stock of {name('c')} in {name('r')}, {period}"
        )
    policy = next((p for p in model.instance.policies if p.name == family.name), None)
    if policy is not None:
        bound = lp.row_upper[at] if policy.sense == "<=" else lp.row_lower[at]
        return (
            f"constraint {policy.name} ({policy.kind}, {policy.where()}) in {name('r')}, {period}: "
            f"{policy.sense} {bound:.6g}"
        )
    if family.name == "balance":
        return f"balance of {name('c')} in {name('r')}, {period}"
    if family.name in ("delivery", "disposal"):
        return f"{family.name} of {name('c')} in {name('r')}, {period}"
    if family.name.startswith(USER_FAMILY):
        name_, text = family.name[len(USER_FAMILY) :], index.get("text", "")
        bounds = f"{lp.row_lower[at]:.6g} <= " if np.isfinite(lp.row_lower[at]) else ""
        bounds += "body" + (f" <= {lp.row_upper[at]:.6g}" if np.isfinite(lp.row_upper[at]) else "")
        return f"constraint {name_}{'[' + text + ']' if text else ''} ({bounds})"
    return f"{family.name} {position}"


def _unbounded_direction(model: Model) -> list[str]:
    """The columns of HiGHS's primal ray: the activities and flows that can grow without limit."""
    lp = model.lp
    solver = HighsSolver(dataclasses.replace(lp, integer=np.zeros(lp.n_cols, dtype=bool)))
    solver.highs.setOptionValue("presolve", "off")
    solver.solve()
    status, exists, ray = solver.highs.getPrimalRay()
    if status == highspy.HighsStatus.kError or not exists:
        return []
    ray = np.asarray(ray)
    moving = np.flatnonzero(np.abs(ray) > TOLERANCE * max(1.0, float(np.abs(ray).max())))
    items = []
    for col in moving[np.argsort(-np.abs(ray[moving]))][:25]:
        family = family_of(lp.columns, int(col))
        items.append(f"{describe(model, family, int(col) - family.start)} grows without limit")
    return items


def _conflict(model: Model) -> list[str]:
    """HiGHS's irreducible infeasible subset, in the instance's names (empty if it finds none).

    Only what a user can change is listed: capacities, bans, quotas, reserves, build limits and hard
    demands; the balances and non-negativity that tie them together are left implicit.
    """
    lp = model.lp
    solver = HighsSolver(dataclasses.replace(lp, integer=np.zeros(lp.n_cols, dtype=bool)))
    solver.highs.setOptionValue("presolve", "off")
    solver.highs.setOptionValue("iis_strategy", IIS_STRATEGY)
    solver.solve()
    status, iis = solver.highs.getIis()
    if status == highspy.HighsStatus.kError or not iis.valid_:
        return []
    items = []
    for row in iis.row_index_:
        family = family_of(lp.rows, int(row))
        if _is_limit(model, family.name):
            items.append(describe(model, family, int(row) - family.start))
    for col in iis.col_index_:
        family = family_of(lp.columns, int(col))
        position = int(col) - family.start
        if family.name == "delivery" and lp.col_lower[col] > 0:
            items.append(
                f"hard demand: {describe(model, family, position).replace('delivery of ', '')} "
                f"({lp.col_lower[col]:.6g} t/yr)"
            )
        elif family.name in limit_families("variable") and np.isfinite(lp.col_upper[col]):
            items.append(describe(model, family, position, bound=True))
    return list(dict.fromkeys(items))
