"""Extensive-form benchmark: the stochastic build-out of ``world`` with S = 2, 4 and 8 scenarios.

For each S, the first S of the world scenarios below (equal probabilities, builds before 2027 shared)
are built as their own programs and solved one by one with HiGHS (the reference: one solve), then
stacked into the extensive form (:mod:`optimizer.hedge.extensive_form`) and solved once. The figures
are the extensive form's solve time as a ratio to one scenario's mean solve and to the sum of the S
solves, measured in the same run (one run each: the machine is shared). The extensive form's optimum
must be at least the mean of the scenarios' own optima (RP ≥ WS), or the run stops.

    python benchmarks/hedge.py [--sizes 2 4 8] [--relaxed] [--readme benchmarks/README.md]

``--relaxed`` solves the LP relaxation of the lumpy builds instead (singles and extensive form alike),
to tell the growth of the LP from that of branch and bound.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import re
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

from optimizer.hedge import build_extensive_form  # noqa: E402
from optimizer.instance import load_instance  # noqa: E402
from optimizer.model import build_model  # noqa: E402
from optimizer.scenario import apply_scenario  # noqa: E402
from optimizer.solver import HighsSolver  # noqa: E402

SCENARIOS = (
    "base",
    "cn_export_controls",
    "myanmar_outage",
    "demand_surge",
    "recycling_push",
    "non_china_buildout",
    "cn_export_controls_oct2025",
    "non_china_buildout_price_floor",
)
DECIDE_UNTIL = 2027


def relax(model):
    """The model with its lumpy builds continuous (the LP relaxation)."""
    lp = dataclasses.replace(model.lp, integer=np.zeros_like(model.lp.integer))
    return dataclasses.replace(model, lp=lp)


def measure(count: int, relaxed: bool = False) -> dict:
    base = load_instance("world")
    names = SCENARIOS[:count]
    models = [build_model(apply_scenario(base, name), "cost") for name in names]
    if relaxed:
        models = [relax(model) for model in models]
    singles, optima = [], []
    for model in models:
        result = HighsSolver(model.lp).solve()
        singles.append(result.wall_seconds)
        optima.append(result.objective)
    pi = np.full(count, 1.0 / count)
    started = time.perf_counter()
    ef = build_extensive_form(models, names, pi, DECIDE_UNTIL)
    build_seconds = time.perf_counter() - started
    result = HighsSolver(ef.lp).solve()
    ws = float(np.sum(pi * np.array(optima)))
    if result.status != "optimal" or result.objective < ws * (1 - 1e-4):
        raise SystemExit(f"S={count}: extensive form {result.status}, RP {result.objective} below WS {ws}")
    return {
        "S": count,
        "columns": ef.lp.n_cols,
        "nonzeros": ef.lp.nnz,
        "integers": int(ef.lp.integer.sum()),
        "one_solve": float(np.mean(singles)),
        "sum_solves": float(np.sum(singles)),
        "ef_build": build_seconds,
        "ef_solve": result.wall_seconds,
        "rp_minus_ws": result.objective - ws,
    }


def table(rows: list[dict], relaxed: bool = False) -> str:
    builds = "LP relaxation of the lumpy builds" if relaxed else "lumpy builds integer"
    lines = [
        f"Extensive form of `world` (builds before {DECIDE_UNTIL} shared, equal probabilities, {builds}), "
        f"one run each, measured {datetime.date.today().isoformat()}:",
        "",
        "| S | columns | nonzeros | integers | one solve (mean) | S solves | EF build | EF solve "
        "| EF / one solve | EF / S solves |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row['S']} | {row['columns']:,} | {row['nonzeros']:,} | {row['integers']} | {row['one_solve']:.2f} s "
            f"| {row['sum_solves']:.2f} s | {row['ef_build']:.2f} s | {row['ef_solve']:.2f} s "
            f"| {row['ef_solve'] / row['one_solve']:.1f}× | {row['ef_solve'] / row['sum_solves']:.2f}× |"
        )
    if len(rows) > 1:
        s = np.log([row["S"] for row in rows])
        slope = np.polyfit(s, np.log([row["ef_solve"] for row in rows]), 1)[0]
        lines += ["", f"* extensive-form solve time ∝ S^{slope:.2f} over these runs"]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2, 4, 8])
    parser.add_argument("--relaxed", action="store_true", help="Solve the LP relaxation of the lumpy builds.")
    parser.add_argument("--readme", type=Path, default=None, help="Replace the hedge table in this file.")
    args = parser.parse_args()
    rows = []
    for count in args.sizes:
        rows.append(measure(count, args.relaxed))
        print(rows[-1], flush=True)
    text = table(rows, args.relaxed)
    print(text)
    if args.readme is not None:
        readme = args.readme.read_text()
        marker = "hedge-relaxed" if args.relaxed else "hedge"
        block = f"<!-- {marker} start -->\n{text}\n<!-- {marker} end -->"
        if f"<!-- {marker} start -->" in readme:
            pattern = f"<!-- {marker} start -->.*<!-- {marker} end -->"
            readme = re.sub(pattern, lambda _: block, readme, flags=re.S)
        else:
            readme = readme.rstrip() + "\n\n## Hedge (`hedge.py`)\n\n" + block + "\n"
        args.readme.write_text(readme)


if __name__ == "__main__":
    main()
