"""Where the time goes: one solve under cProfile, phase by phase, the top functions of each.

    python -m benchmarks.profile world                     # the CLI's path: solve, accounts, write
    python -m benchmarks.profile 800k --engine arrays      # a generated instance (generate.py)
    python -m benchmarks.profile world --top 8

Phases follow the study's own progress steps (import, load, network, check, build, solve,
account, write); each gets its own profiler, so a phase's list names only what it ran. cProfile
slows pure-Python code more than compiled code: read the shares, not the absolute seconds.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))


class Phases:
    """One profiler per phase; ``switch(name)`` closes the running phase and opens the next."""

    def __init__(self) -> None:
        self.order: list[str] = []
        self.profiles: dict[str, cProfile.Profile] = {}
        self.seconds: dict[str, float] = {}
        self._name: str | None = None
        self._since = 0.0

    def switch(self, name: str | None) -> None:
        if self._name is not None:
            self.profiles[self._name].disable()
            self.seconds[self._name] = self.seconds.get(self._name, 0.0) + time.perf_counter() - self._since
        self._name = name
        if name is not None:
            if name not in self.profiles:
                self.order.append(name)
                self.profiles[name] = cProfile.Profile()
            self._since = time.perf_counter()
            self.profiles[name].enable()

    def report(self, top: int) -> str:
        total = sum(self.seconds.values())
        lines = [f"total {total:.2f} s under cProfile"]
        for name in self.order:
            lines.append(f"\n## {name}: {self.seconds[name]:.2f} s ({self.seconds[name] / total:.0%})")
            stream = io.StringIO()
            stats = pstats.Stats(self.profiles[name], stream=stream)
            rows = sorted(stats.stats.items(), key=lambda item: item[1][2], reverse=True)[:top]
            for (path, line, function), (_, calls, own, _cumulative, _) in rows:
                where = "/".join(Path(path).parts[-2:]) if path != "~" else "builtin"
                lines.append(f"  {own:7.3f} s own  {calls:>8} calls  {function}  ({where}:{line})")
        return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("instance", help="an instance (name or folder) or a generated size (10k ... 1.5M)")
    parser.add_argument("--engine", default="arrays", choices=["arrays", "pyomo"])
    parser.add_argument("--top", type=int, default=6, help="functions listed per phase (by own time)")
    args = parser.parse_args()
    phases = Phases()
    phases.switch("import")
    import optimizer
    from benchmarks.generate import SIZES, write_instance

    with tempfile.TemporaryDirectory(prefix="reeopt-profile-") as tmp:
        instance = args.instance
        if instance in SIZES:
            phases.switch(None)
            instance = str(write_instance(SIZES[instance], Path(tmp) / instance))
        phases.switch("load")
        study = optimizer.Study(instance, engine=args.engine)
        phases.switch("network")
        solution = study.solve(progress=phases.switch)
        phases.switch("write")
        optimizer.write(solution, Path(tmp) / "out")
        phases.switch(None)
    print(f"{args.instance} ({solution.summary['n_nonzeros']:,} nonzeros), engine {args.engine}")
    print(phases.report(args.top))


if __name__ == "__main__":
    main()
