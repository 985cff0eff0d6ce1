"""Extensive-form benchmark: the stochastic build-out of ``world`` with S = 2, 4 and 8 scenarios.

For each S, the first S of the world scenarios below (equal probabilities, builds before 2027 shared)
are built as their own programs and solved one by one with HiGHS (the reference: one solve), then
stacked into the extensive form (:mod:`optimizer.hedge.extensive_form`) and solved once. The figures
are the extensive form's solve time as a ratio to one scenario's mean solve and to the sum of the S
solves, measured in the same run (one run each: the machine is shared). The extensive form's optimum
must be at least the mean of the scenarios' own optima (RP ≥ WS), or the run stops.

    python benchmarks/hedge.py [--sizes 2 4 8] [--readme benchmarks/README.md]
"""

from __future__ import annotations

import argparse
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


def measure(count: int) -> dict:
    base = load_instance("world")
    names = SCENARIOS[:count]
    models = [build_model(apply_scenario(base, name), "cost") for name in names]
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


def table(rows: list[dict]) -> str:
    lines = [
        f"Extensive form of `world` (builds before {DECIDE_UNTIL} shared, equal probabilities, lumpy builds "
        f"integer), one run each, measured {datetime.date.today().isoformat()}:",
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
    parser.add_argument("--readme", type=Path, default=None, help="Replace the hedge table in this file.")
    args = parser.parse_args()
    rows = []
    for count in args.sizes:
        rows.append(measure(count))
        print(rows[-1], flush=True)
    text = table(rows)
    print(text)
    if args.readme is not None:
        readme = args.readme.read_text()
        block = f"<!-- hedge start -->\n{text}\n<!-- hedge end -->"
        if "<!-- hedge start -->" in readme:
            readme = re.sub(r"<!-- hedge start -->.*<!-- hedge end -->", lambda _: block, readme, flags=re.S)
        else:
            readme = readme.rstrip() + "\n\n## Hedge (`hedge.py`)\n\n" + block + "\n"
        args.readme.write_text(readme)


if __name__ == "__main__":
    main()
