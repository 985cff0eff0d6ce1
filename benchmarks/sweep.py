"""Sweep benchmark: N samples of the world instance on a local Dask cluster against a rebuilding loop.

The sweep is ``optimizer.api.sweep`` (each Dask worker keeps one model and re-solves it). The
reference is what a user without a live model would do: for each sample, load and apply it, build
the model and solve it from cold (``optimizer.solve`` of the changed instance), one after another;
it is timed on a subset of samples and scaled to N. Results go to ``benchmarks/README.md``.

    python benchmarks/sweep.py [--samples 1000] [--workers 2] [--reference 20]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import optimizer  # noqa: E402
from optimizer import api  # noqa: E402
from optimizer import sweep as sweep_module  # noqa: E402
from optimizer.uncertainty import default_spec_path, draw, load_spec  # noqa: E402


def rebuilding_loop(folder: str, spec_path: str, samples, regions: list[str]) -> float:
    """Seconds per sample of load → apply → build → cold solve → the same outputs, one at a time."""
    started = time.perf_counter()
    for row in samples.to_dict("records"):
        sweep_module._STUDIES.clear()  # no live model: every sample loads, builds and solves from scratch
        sweep_module.solve_chunk(folder, None, spec_path, [row], regions, exact=False)
    return (time.perf_counter() - started) / len(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instance", default="world")
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--reference", type=int, default=20, help="samples timed in the rebuilding loop")
    parser.add_argument("--readme", type=Path, default=HERE / "README.md")
    args = parser.parse_args()

    started = time.perf_counter()
    table, summary = api.sweep(args.instance, args.samples, workers=args.workers, seed=0)
    sweep_seconds = time.perf_counter() - started
    instance = optimizer.load(args.instance)
    spec_path = default_spec_path(instance)
    regions = [c.removeprefix("domestic_") for c in table.columns if c.startswith("domestic_")]
    per_sample = rebuilding_loop(
        str(instance.folder), str(spec_path), draw(load_spec(spec_path), args.reference, 0), regions
    )
    loop_seconds = per_sample * args.samples
    lines = [
        f"Sweep of {args.samples} samples of `{args.instance}` on a LocalCluster of {args.workers} workers "
        f"({os.cpu_count()} cores), measured {time.strftime('%Y-%m-%d')}:",
        "",
        "| | value |",
        "|---|---|",
        f"| wall time (cluster start to last sample) | {sweep_seconds:.0f} s |",
        f"| samples per second | {args.samples / sweep_seconds:.2f} |",
        f"| samples solved to optimality | {summary['optimal']} of {summary['samples']} |",
        f"| rebuilding loop, seconds per sample (timed on {args.reference}) | {per_sample:.2f} s |",
        f"| rebuilding loop, estimated for {args.samples} samples | {loop_seconds:.0f} s |",
        f"| **speed-up over the rebuilding loop** | **{loop_seconds / sweep_seconds:.1f}×** |",
    ]
    table_text = "\n".join(lines)
    print(table_text)
    text = args.readme.read_text() if args.readme.exists() else ""
    start, end = "<!-- sweep start -->", "<!-- sweep end -->"
    block = f"{start}\n{table_text}\n{end}"
    text = (
        (text[: text.index(start)] + block + text[text.index(end) + len(end) :])
        if start in text
        else text + "\n" + block + "\n"
    )
    args.readme.write_text(text)


if __name__ == "__main__":
    main()
