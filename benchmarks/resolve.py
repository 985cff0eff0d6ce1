"""Re-solve benchmark (issue 18): a Study's time beyond HiGHS on a re-solve, two checkouts in one run.

For each size, engine and checkout (``--before DIR``, e.g. an archive of main, and this one) a fresh
process solves the base of the generated instance (``generate.py``), then on the live model the
``shock`` scenario (trade costs of one commodity, capacities in ten regions, every demand), the base
again and the shock again (what every later sample of a sweep sees), each timed as
``Study.solve(..., accounts=False)`` against HiGHS's own seconds in it; a fresh Study solves the
shock from cold, and both optima must agree (relative 1e-6). Processes alternate between the
checkouts so that the shared machine's load hits both.

    python -m benchmarks.resolve [--sizes 100k 800k] [--before DIR] [--engines pyomo arrays] [--repeat 2]
    python -m benchmarks.resolve --profile --sizes 800k --engines arrays   # cProfile of one re-solve
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

from benchmarks.generate import SIZES, write_instance  # noqa: E402

SCRIPT = """
import json, sys, time
import optimizer
folder, engine = sys.argv[1], sys.argv[2]
study = optimizer.Study(folder, engine=engine)
study.solve(accounts=False)

def timed(scenario):
    started = time.perf_counter()
    solution = study.solve(scenario, accounts=False)
    wall = time.perf_counter() - started
    return {"wall": wall, "highs": solution.summary["solver"]["seconds"], "objective": solution.objective,
            "path": solution.summary.get("resolve", {}).get("path", "-")}

first, back, again = timed("shock"), timed(None), timed("shock")
started = time.perf_counter()
cold = optimizer.Study(folder, engine=engine).solve("shock", accounts=False)
print(json.dumps({"first": first, "back": back, "again": again, "cold_objective": cold.objective,
                  "cold_wall": time.perf_counter() - started, "cold_highs": cold.summary["solver"]["seconds"]}))
"""


def run(checkout: Path, folder: Path, engine: str) -> dict:
    environment = {**os.environ, "PYTHONPATH": str(checkout)}
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(folder), engine],
        cwd=checkout,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    result = json.loads(out.strip().splitlines()[-1])
    for step in ("first", "again"):
        reference = result["cold_objective"]
        if abs(result[step]["objective"] - reference) > 1e-6 * max(1.0, abs(reference)):
            raise SystemExit(f"{checkout} {engine}: re-solve optimum {result[step]['objective']} != cold {reference}")
    return result


def overhead(step: dict) -> float:
    return (step["wall"] - step["highs"]) / step["highs"]


def profile(size: str, engine: str, top: int = 30) -> None:
    """cProfile of the shock re-solve (after the base and one shock, as a sweep's later samples see it),
    in this process, reeopt's functions by cumulative time."""
    import cProfile
    import pstats

    import optimizer

    with tempfile.TemporaryDirectory(prefix="reeopt-resolve-") as tmp:
        folder = write_instance(SIZES[size], Path(tmp) / size)
        study = optimizer.Study(folder, engine=engine)
        study.solve(accounts=False)
        study.solve("shock", accounts=False)
        study.solve(accounts=False)
        profiler = cProfile.Profile()
        profiler.enable()
        solution = study.solve("shock", accounts=False)
        profiler.disable()
        print(f"{size} {engine}: HiGHS {solution.summary['solver']['seconds']:.3f} s, {solution.summary['timings']}")
        pstats.Stats(profiler).sort_stats("cumulative").print_stats("optimizer/", top)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["100k", "800k"], choices=list(SIZES))
    parser.add_argument("--before", type=Path, help="a checkout to compare with (e.g. git archive of main)")
    parser.add_argument("--engines", nargs="+", default=["pyomo", "arrays"], choices=["pyomo", "arrays"])
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--profile", action="store_true", help="profile one re-solve in this process instead")
    args = parser.parse_args()
    if args.profile:
        for size in args.sizes:
            for engine in args.engines:
                profile(size, engine)
        return
    checkouts = ([("before", args.before)] if args.before else []) + [("after", REPO)]
    print(
        "| size | engine | checkout | run | path | re-solve (s) | HiGHS (s) | **beyond HiGHS** "
        "| again (s) | HiGHS (s) | **beyond HiGHS** | cold solve (s) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory(prefix="reeopt-resolve-") as tmp:
        for size in args.sizes:
            folder = write_instance(SIZES[size], Path(tmp) / size)
            for engine in args.engines:
                for repeat in range(args.repeat):
                    for name, checkout in checkouts:
                        r = run(checkout, folder, engine)
                        first, again = r["first"], r["again"]
                        print(
                            f"| {size} | {engine} | {name} | {repeat + 1} | {first['path']} | {first['wall']:.3f} "
                            f"| {first['highs']:.3f} | **{overhead(first):.0%}** | {again['wall']:.3f} "
                            f"| {again['highs']:.3f} | **{overhead(again):.0%}** | {r['cold_wall']:.2f} |",
                            flush=True,
                        )


if __name__ == "__main__":
    main()
