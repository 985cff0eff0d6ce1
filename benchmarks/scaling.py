"""Scaling benchmark (``make bench``): reeopt against the numpy floor and the linopy peer.

For each generated size (about 10k … 1.5M nonzeros, see ``generate.py``) every variant runs in a
fresh process, so that wall time is process start to results written and peak memory is the
process's own (``ru_maxrss`` from ``wait4``):

* ``cli``: ``python -m optimizer solve INSTANCE --out DIR --quiet`` (the default engine, pyomo);
* ``arrays``: the same with ``--engine arrays``;
* ``api``: the same through ``optimizer.solve`` and ``optimizer.write``, timing each phase;
* ``floor``: the same LP assembled with numpy and passed to highspy (``floor.py``);
* ``peer``: the same LP written with linopy and solved by HiGHS (``peer.py``);
* re-solve: a ``Study`` solves the base, then re-solves the ``shock`` scenario (costs, capacities,
  demands change) on the live model; a linopy user rebuilds and solves from cold instead.

Every variant's optimum must equal the floor's (relative 1e-6), or the run stops. Ratios to the
floor measured in the same run are the figures; the table goes to ``benchmarks/README.md``.

    python benchmarks/scaling.py [--sizes 10k 100k ...] [--no-peer] [--readme PATH] [--rows results.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

from benchmarks.generate import SIZES, write_instance  # noqa: E402

API_SCRIPT = """
import json, sys, time
started = time.perf_counter()
import optimizer
imported = time.perf_counter()
solution = optimizer.solve(sys.argv[1])
solved = time.perf_counter()
optimizer.write(solution, sys.argv[2])
written = time.perf_counter()
t = solution.summary["timings"]
print(json.dumps({"objective": solution.objective, "import": imported - started, "load": t["load"],
                  "validate": t["check"], "build": t["build"] + t["pass"], "solve": t["solve"],
                  "accounts": t["solution"], "write": written - solved,
                  "highs": solution.summary["solver"]["seconds"], "nnz": solution.summary["n_nonzeros"]}))
"""

RESOLVE_SCRIPT = """
import json, sys, time
import optimizer
study = optimizer.Study(sys.argv[1])
started = time.perf_counter()
base = study.solve(accounts=False)
cold = time.perf_counter() - started
started = time.perf_counter()
shocked = study.solve("shock", accounts=False)
again = time.perf_counter() - started
started = time.perf_counter()
fresh = optimizer.Study(sys.argv[1]).solve("shock", accounts=False)
cold_shock = time.perf_counter() - started
print(json.dumps({"cold": cold, "resolve": again, "resolve_highs": shocked.summary["solver"]["seconds"],
                  "reused": shocked.summary["model_reused"], "objective": shocked.objective,
                  "cold_objective": fresh.objective, "cold_shock": cold_shock,
                  "cold_shock_highs": fresh.summary["solver"]["seconds"]}))
"""


def run(command: list[str]) -> tuple[float, float, str]:
    """(wall seconds, peak resident MB, stdout) of a command in a fresh process."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=REPO, text=True)
    out = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{' '.join(command)} failed with {os.waitstatus_to_exitcode(status)}")
    return wall, usage.ru_maxrss / 1024.0, out


def last_json(out: str) -> dict:
    return json.loads(out.strip().splitlines()[-1])


def parse_objective(out: str) -> tuple[float, float, float]:
    words = out.strip().splitlines()[-1].split()
    return float(words[1]), float(words[3]), float(words[6])


def check(name: str, value: float, reference: float, row: dict | None = None) -> None:
    """Stop unless ``value`` equals ``reference`` to 1e-6 (relative); keep the largest difference in ``row``."""
    difference = abs(value - reference) / max(1.0, abs(reference))
    if difference > 1e-6:
        raise SystemExit(f"{name}: optimum {value!r} differs from the floor's {reference!r}")
    if row is not None:
        row["max_relative_difference"] = max(row.get("max_relative_difference", 0.0), difference)


def bench_size(size: str, folder: Path, peer: bool) -> dict:
    spec = SIZES[size]
    instance = write_instance(spec, folder / size)
    python = sys.executable
    row: dict = {"size": size, "load_average": os.getloadavg()[0]}
    floor_wall, floor_mb, out = run([python, "-m", "benchmarks.floor", size])
    floor_objective, floor_build, floor_solve = parse_objective(out)
    row.update(floor_wall=floor_wall, floor_mb=floor_mb, floor_solve=floor_solve)

    cli_wall, cli_mb, _ = run(
        [python, "-m", "optimizer", "solve", str(instance), "--out", str(folder / "cli"), "--quiet"]
    )
    summary = json.loads((folder / "cli" / "summary.json").read_text())
    check("cli", summary["objective"], floor_objective, row)
    row.update(
        cli_wall=cli_wall,
        cli_mb=cli_mb,
        cli_highs=summary["solver"]["seconds"],
        nnz=summary["n_nonzeros"],
        cols=summary["n_variables"],
        rows=summary["n_constraints"],
    )

    arrays_wall, arrays_mb, _ = run(
        [python, "-m", "optimizer", "solve", str(instance), "--out", str(folder / "arrays"), "--quiet"]
        + ["--engine", "arrays"]
    )
    summary = json.loads((folder / "arrays" / "summary.json").read_text())
    check("arrays", summary["objective"], floor_objective, row)
    row.update(arrays_wall=arrays_wall, arrays_mb=arrays_mb, arrays_highs=summary["solver"]["seconds"])

    api_wall, api_mb, out = run([python, "-c", API_SCRIPT, str(instance), str(folder / "api")])
    phases = last_json(out)
    check("api", phases["objective"], floor_objective, row)
    row.update(api_wall=api_wall, api_mb=api_mb, **{f"api_{k}": v for k, v in phases.items() if k != "objective"})

    _, _, out = run([python, "-c", RESOLVE_SCRIPT, str(instance)])
    resolve = last_json(out)
    shocked_floor, _, _ = parse_objective(run([python, "-m", "benchmarks.floor", size, "--shock"])[2])
    check("re-solve", resolve["objective"], shocked_floor, row)
    check("cold shock", resolve["cold_objective"], shocked_floor, row)
    row.update({f"re_{k}": v for k, v in resolve.items() if "objective" not in k})

    if peer:
        peer_wall, peer_mb, out = run([python, "-m", "benchmarks.peer", size])
        peer_objective, _, peer_first_solve = parse_objective(out)
        check("peer", peer_objective, floor_objective, row)
        started = time.perf_counter()
        _, _, out = run([python, "-m", "benchmarks.peer", size, "--shock"])
        peer_objective, peer_build, peer_solve = parse_objective(out)
        check("peer shock", peer_objective, shocked_floor, row)
        row.update(
            peer_wall=peer_wall,
            peer_mb=peer_mb,
            peer_solve=peer_first_solve,
            peer_resolve=peer_build + peer_solve,
            peer_resolve_wall=time.perf_counter() - started,
        )
    return row


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = []
    for module in ("highspy", "numpy", "pandas", "scipy", "pyomo", "linopy", "xarray"):
        try:
            from importlib.metadata import version

            versions.append(f"{module} {version(module)}")
        except Exception:  # noqa: BLE001 - a missing optional package is just not listed
            pass
    return (
        f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}; " + ", ".join(versions)
    )


def exponent(x: list[float], y: list[float]) -> float:
    """Slope of log y against log x: the scaling law's exponent."""
    return float(np.polyfit(np.log(x), np.log(y), 1)[0])


def report(rows: list[dict], peer: bool) -> str:
    lines = [
        "| size | nonzeros | load average | load | validate | build | solve (HiGHS) | accounts | write "
        "| end-to-end (CLI) | floor | **ratio to floor** (CLI) | API ratio | arrays engine ratio | peer ratio "
        "| memory MB (ours / floor) | **memory ratio** | arrays memory ratio | peer memory ratio "
        "| optimum vs floor |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        peer_ratio = f"{r['peer_wall'] / r['floor_wall']:.2f}" if peer else "-"
        peer_memory = f"{r['peer_mb'] / r['floor_mb']:.2f}" if peer else "-"
        load = f"{r['load_average']:.1f}" if "load_average" in r else "-"
        difference = f"{r['max_relative_difference']:.0e}" if "max_relative_difference" in r else "≤ 1e-6"
        lines.append(
            f"| {r['size']} | {r['nnz']:,} | {load} | {r['api_load']:.2f} | {r['api_validate']:.2f} "
            f"| {r['api_build']:.2f} | {r['api_solve']:.2f} | {r['api_accounts']:.2f} | {r['api_write']:.2f} "
            f"| {r['cli_wall']:.2f} | {r['floor_wall']:.2f} | **{r['cli_wall'] / r['floor_wall']:.2f}** "
            f"| {r['api_wall'] / r['floor_wall']:.2f} | {r['arrays_wall'] / r['floor_wall']:.2f} | {peer_ratio} "
            f"| {r['cli_mb']:.0f} / {r['floor_mb']:.0f} | **{r['cli_mb'] / r['floor_mb']:.2f}** "
            f"| {r['arrays_mb'] / r['floor_mb']:.2f} | {peer_memory} | {difference} |"
        )
    if all("arrays_highs" in r for r in rows):
        lines += beyond_highs(rows, peer)
    lines += [
        "",
        "Re-solve of the `shock` scenario (trade costs, capacities and demand change) on the live model:",
        "",
        "| size | cold solve | re-solve | speed-up | HiGHS in re-solve | overhead beyond HiGHS | peer: rebuild + "
        "solve |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        overhead = (r["re_resolve"] - r["re_resolve_highs"]) / r["re_resolve_highs"]
        peer_resolve = f"{r['peer_resolve']:.2f}" if peer else "-"
        lines.append(
            f"| {r['size']} | {r['re_cold_shock']:.2f} | {r['re_resolve']:.2f} "
            f"| {r['re_cold_shock'] / r['re_resolve']:.1f}× | {r['re_resolve_highs']:.2f} "
            f"| {overhead:.0%} | {peer_resolve} |"
        )
    # fixed costs (imports, process start) dominate the small sizes: fit the law on the three largest
    rows = sorted(rows, key=lambda r: r["nnz"])[-3:]
    nnz = [r["nnz"] for r in rows]
    if len(rows) >= 3:
        lines += [
            "",
            "Scaling law (least-squares slope of log y against log nonzeros, three largest sizes):",
            "",
            f"* end-to-end time ∝ nnz^{exponent(nnz, [r['cli_wall'] for r in rows]):.2f}; "
            f"HiGHS time ∝ nnz^{exponent(nnz, [r['api_solve'] for r in rows]):.2f}; "
            f"build ∝ nnz^{exponent(nnz, [r['api_build'] for r in rows]):.2f}",
            f"* peak memory ∝ nnz^{exponent(nnz, [r['cli_mb'] for r in rows]):.2f} "
            f"(floor: nnz^{exponent(nnz, [r['floor_mb'] for r in rows]):.2f})",
        ]
    return "\n".join(lines)


def beyond_highs(rows: list[dict], peer: bool) -> list[str]:
    """Wall time less the solver's own, each over the floor's: what a layer adds, without the swings of
    HiGHS's own time on a loaded machine (the floor's and the peer's "solve" include their hand-over)."""
    lines = [
        "",
        "Seconds beyond the solver (wall time less HiGHS's own; ratio to the floor's in brackets):",
        "",
        "| size | HiGHS: floor / CLI / arrays / peer | floor | CLI (pyomo) | arrays engine | peer |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        floor = r["floor_wall"] - r["floor_solve"]
        own = {
            "cli": r["cli_wall"] - r["cli_highs"],
            "arrays": r["arrays_wall"] - r["arrays_highs"],
            "peer": r["peer_wall"] - r["peer_solve"] if peer else None,
        }
        cells = [f"{v:.2f} ({v / floor:.1f}×)" if v is not None else "-" for v in own.values()]
        solver = " / ".join(f"{r[k]:.2f}" if k in r else "-" for k in ("floor_solve", "cli_highs", "arrays_highs"))
        solver += f" / {r['peer_solve']:.2f}" if peer else " / -"
        lines.append(f"| {r['size']} | {solver} | {floor:.2f} | " + " | ".join(cells) + " |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=list(SIZES), choices=list(SIZES))
    parser.add_argument("--no-peer", action="store_true", help="skip linopy (if it is not installed)")
    parser.add_argument("--readme", type=Path, default=HERE / "README.md")
    parser.add_argument("--rows", type=Path, help="render the table of a saved results.json instead of running")
    args = parser.parse_args()
    peer = not args.no_peer
    if args.rows is not None:
        rows = json.loads(args.rows.read_text())
        peer = all("peer_wall" in r for r in rows)
    else:
        rows = measure(args.sizes, peer)
    table = report(rows, peer)
    print(table)
    text = args.readme.read_text() if args.readme.exists() else ""
    marker_start, marker_end = "<!-- results start -->", "<!-- results end -->"
    block = f"{marker_start}\nMeasured {time.strftime('%Y-%m-%d')} on {machine()}.\n\n{table}\n{marker_end}"
    if marker_start in text:
        text = text[: text.index(marker_start)] + block + text[text.index(marker_end) + len(marker_end) :]
    else:
        text = text + "\n" + block + "\n"
    args.readme.write_text(text)


def measure(sizes: list[str], peer: bool) -> list[dict]:
    """One row per size (see :func:`bench_size`), also saved to ``results.json``."""
    rows = []
    with tempfile.TemporaryDirectory(prefix="reeopt-bench-") as tmp:
        for size in sizes:
            print(f"{size} ...", flush=True)
            rows.append(bench_size(size, Path(tmp), peer))
            print(f"  ratio to floor {rows[-1]['cli_wall'] / rows[-1]['floor_wall']:.2f}", flush=True)
    (HERE / "results.json").write_text(json.dumps(rows, indent=1))
    return rows


if __name__ == "__main__":
    main()
