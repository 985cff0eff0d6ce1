"""The Pyomo engine against the arrays engine and HiGHS alone: short runs, one each, ratios.

    python -m benchmarks.engines world            # whole process, both engines; re-solve vs rebuild
    python -m benchmarks.engines 800k             # a generated instance (benchmarks/generate.py)
    python -m benchmarks.engines world --interfaces   # Pyomo's two HiGHS routes on the same model

Every figure is one run in a fresh process (wall time, process start to results written), so
compare ratios measured in the same run, not absolute seconds across machines.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

RESOLVE = """
import json, sys, time
import optimizer
instance, scenario = sys.argv[1], sys.argv[2]
study = optimizer.Study(instance)
study.solve(accounts=False)
started = time.perf_counter()
again = study.solve(scenario, accounts=False)
resolve = time.perf_counter() - started
started = time.perf_counter()
fresh = optimizer.Study(instance).solve(scenario, accounts=False)
cold = time.perf_counter() - started
t, f = again.summary["timings"], fresh.summary["timings"]
print(json.dumps({"resolve": resolve, "cold": cold, "reused": again.summary["model_reused"],
                  "resolve_overhead": resolve - t["solve"], "cold_overhead": cold - f["solve"],
                  "same": abs(again.objective - fresh.objective) <= 1e-6 * abs(fresh.objective)}))
"""

HIGHS_ALONE = """
import sys, time, highspy
h = highspy.Highs(); h.silent()
started = time.perf_counter()
h.readModel(sys.argv[1]); h.run()
print(time.perf_counter() - started, h.getInfo().objective_function_value)
"""

INTERFACES = """
import json, sys, time
import pyomo.environ as pyo
from pyomo.contrib.solver.solvers.highs import Highs
import optimizer
from optimizer.model.pyomo_solve import PyomoHighs
model = optimizer.build_pyomo(sys.argv[1])
started = time.perf_counter()
solver = PyomoHighs(model); result, _ = solver.solve()
compiler = time.perf_counter() - started
model = optimizer.build_pyomo(sys.argv[1])
started = time.perf_counter()
contrib = Highs().solve(model)
contrib_seconds = time.perf_counter() - started
print(json.dumps({"compiler_to_highspy": compiler, "contrib_highs": contrib_seconds,
                  "compiler_objective": result.objective, "contrib_objective": pyo.value(model.objective)}))
"""


def timed(command: list[str]) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=True, cwd=HERE.parent)
    return time.perf_counter() - started, done.stdout


def instance_path(name: str, folder: Path) -> str:
    from benchmarks.generate import SIZES, write_instance

    return str(write_instance(SIZES[name], folder / name)) if name in SIZES else name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("instance", help="an instance name (world) or a generated size (10k ... 1.5M)")
    parser.add_argument("--scenario", default=None, help="the changed scenario to re-solve (default: none)")
    parser.add_argument("--interfaces", action="store_true", help="compare Pyomo's two HiGHS routes")
    args = parser.parse_args()
    python = sys.executable
    with tempfile.TemporaryDirectory(prefix="reeopt-engines-") as tmp:
        folder = Path(tmp)
        instance = instance_path(args.instance, folder)
        if args.interfaces:
            print(timed([python, "-c", INTERFACES, instance])[1].strip())
            return
        walls = {}
        for engine in ("arrays", "pyomo"):
            out = folder / engine
            command = [python, "-m", "optimizer", "solve", instance, "--out", str(out), "--quiet", "--engine", engine]
            walls[engine], _ = timed(
                command + (["--export-model", str(folder / "model.mps")] if engine == "arrays" else [])
            )
            walls[engine + "_objective"] = json.loads((out / "summary.json").read_text())["objective"]
        # the export rides along with the arrays run above; time it away with a second arrays run
        walls["arrays"], _ = timed(
            [python, "-m", "optimizer", "solve", instance, "--out", str(folder / "a2"), "--quiet", "--engine", "arrays"]
        )
        highs_wall, highs_out = timed([python, "-c", HIGHS_ALONE, str(folder / "model.mps")])
        walls["highs_alone"] = highs_wall
        print(json.dumps(walls))
        print(f"pyomo / arrays, whole process: {walls['pyomo'] / walls['arrays']:.2f}")
        print(f"pyomo / HiGHS alone on the exported model (process): {walls['pyomo'] / highs_wall:.2f}")
        print(f"arrays / HiGHS alone: {walls['arrays'] / highs_wall:.2f}")
        if args.scenario:
            resolve = json.loads(timed([python, "-c", RESOLVE, instance, args.scenario])[1].strip().splitlines()[-1])
            print(json.dumps(resolve))
            print(f"rebuild / re-solve (pyomo engine, whole step): {resolve['cold'] / resolve['resolve']:.1f}x")
            print(
                f"rebuild / re-solve, time beyond HiGHS: {resolve['cold_overhead'] / resolve['resolve_overhead']:.1f}x"
            )


if __name__ == "__main__":
    main()
