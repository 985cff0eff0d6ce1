"""A run killed at any point leaves the previous complete results folder or none, never a partial one.

Three ways in:

* the real command line on an instance big enough that loading, building and solving take a
  couple of seconds, killed (SIGKILL) after delays spread over its whole run;
* a child process that stops itself at a chosen point of writing (after a few files of the
  staging folder, after the old folder is moved aside, after the new one is renamed into place),
  so that the writing phase is hit every time, and is killed there; once for the bare
  ``write_folder`` with a big payload, once for the command line;
* several writers at once into the same folder.

After each kill: the folder is absent, or it is one run's complete output (every file that run
writes, all from that run). A re-run then works without any manual clean-up and leaves nothing
behind but the folder and its ``.NAME.lock``.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from optimizer.output.results import MARKER
from tests.builders import write_instance

# Stops the child at a chosen point of writing: REEOPT_TEST_PAUSE=staging (after three files are
# written and synced), after_move_1 (after the first rename: the old folder moved aside), or
# after_move_2 (after the second: the new folder in place, the old one not yet deleted).
CHILD = r"""
import json, os, sys, time
from pathlib import Path

PAUSE = os.environ.get("REEOPT_TEST_PAUSE", "")
counts = {"move": 0, "fsync": 0}

def pause(stage):
    sys.stdout.write(f"PAUSED {stage}\n")
    sys.stdout.flush()
    time.sleep(600)

def counted(real):
    def move(*args, **kwargs):
        result = real(*args, **kwargs)
        counts["move"] += 1
        if PAUSE == f"after_move_{counts['move']}":
            pause(PAUSE)
        return result
    return move

os.rename, os.replace = counted(os.rename), counted(os.replace)
real_fsync = os.fsync

def fsync(fd):
    real_fsync(fd)
    counts["fsync"] += 1
    if PAUSE == "staging" and counts["fsync"] == 3:
        pause(PAUSE)

os.fsync = fsync
sys.stdout.write("STARTED\n")
sys.stdout.flush()
if sys.argv[1] == "write":
    from optimizer.output.results import MARKER, write_folder
    out, generation, n_files, rows = sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
    files = {f"table_{i:03d}.csv": "generation,row\n" + f"{generation},{i}\n" * rows for i in range(n_files)}
    files["summary.json"] = json.dumps({"generation": generation, "files": n_files})
    write_folder(Path(out), files)
else:
    from optimizer.cli import main
    sys.argv = ["reeopt", *sys.argv[2:]]
    main()
"""
N_FILES, ROWS = 60, 20_000  # 60 files of ~200 kB: writing takes a noticeable while
WINDOWS = ("staging", "after_move_1", "after_move_2")


def child(*args: str, pause: str = "") -> subprocess.Popen:
    env = {**os.environ, "REEOPT_TEST_PAUSE": pause}
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=Path(__file__).resolve().parents[1],
    )


def wait_for(process: subprocess.Popen, word: str, timeout: float = 60) -> bool:
    """Read the child's standard output until a line starts with ``word``; False if it ended first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([process.stdout], [], [], 0.1)
        if ready:
            line = process.stdout.readline()
            if line.startswith(word):
                return True
            if line == "" and process.poll() is not None:
                return False
    raise AssertionError(f"the child never printed {word}")


def kill(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.kill(process.pid, signal.SIGKILL)
    process.communicate(timeout=30)


# ----------------------------------------------------------------------------------------------
# What a complete folder is
# ----------------------------------------------------------------------------------------------


def generation_of(out: Path) -> str | None:
    """The generation of a complete write_folder payload at ``out``; None if absent; fails if partial."""
    if not out.exists():
        return None
    summary = json.loads((out / "summary.json").read_text())
    generation = summary["generation"]
    expected = {f"table_{i:03d}.csv" for i in range(summary["files"])} | {"summary.json", MARKER}
    assert {p.name for p in out.iterdir()} == expected, "a partial or mixed folder"
    for name in expected - {"summary.json", MARKER}:
        lines = (out / name).read_text().splitlines()
        assert len(lines) == ROWS + 1, (name, "cut short")
        assert {line.split(",")[0] for line in lines[1:]} == {generation}, (name, "written by two runs")
    return generation


def assert_only_the_folder_is_left(out: Path) -> None:
    assert sorted(p.name for p in out.parent.iterdir()) == sorted([out.name, f".{out.name}.lock"])


def files_of(folder: Path) -> dict[str, Path]:
    """Every file under ``folder`` by its path relative to it."""
    return {str(p.relative_to(folder)): p for p in folder.rglob("*") if p.is_file()}


def same_results(out: Path, reference: Path) -> bool:
    """Every file of ``reference`` is in ``out`` with the same content (summary.json: but timings; the
    marker: but its run id)."""
    mine, theirs = files_of(out), files_of(reference)
    if set(mine) != set(theirs):
        return False
    for name, path in theirs.items():
        if name == "summary.json":
            a, b = json.loads(mine[name].read_text()), json.loads(path.read_text())
            if any(a.get(k) != b.get(k) for k in ("status", "objective", "scenario", "costs")):
                return False
        elif name == MARKER:  # carries each run's own id
            continue
        elif mine[name].read_bytes() != path.read_bytes():
            return False
    return True


def check_left_behind(out: Path, references: dict[str, Path]) -> str | None:
    """The folder is absent, or exactly one reference run's complete output; which one."""
    if not out.exists():
        return None
    matches = [name for name, reference in references.items() if same_results(out, reference)]
    assert len(matches) == 1, ("a partial or mixed results folder", sorted(files_of(out)))
    return matches[0]


# ----------------------------------------------------------------------------------------------
# write_folder, stopped and killed at each point of writing
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("window", WINDOWS)
def test_write_folder_killed_while_writing_leaves_the_old_folder_or_none(tmp_path, window):
    out = tmp_path / "res"
    first = child("write", out, "A", N_FILES, ROWS)
    assert first.communicate(timeout=60)[0].strip() == "STARTED" and first.returncode == 0
    assert generation_of(out) == "A"

    process = child("write", out, "B", N_FILES, ROWS, pause=window)
    assert wait_for(process, "PAUSED"), process.communicate()
    kill(process)
    left = generation_of(out)
    assert left in ("A", "B", None)
    if window == "staging":
        assert left == "A", "nothing of the old folder may change before the new one is complete"
    if window == "after_move_2":
        assert left == "B"

    done = child("write", out, "C", N_FILES, ROWS)
    _, err = done.communicate(timeout=60)
    assert done.returncode == 0, err
    assert generation_of(out) == "C"
    assert_only_the_folder_is_left(out)


def test_write_folder_killed_after_random_delays(tmp_path):
    out = tmp_path / "res"
    started = time.monotonic()
    first = child("write", out, "G0", N_FILES, ROWS)
    assert first.wait(timeout=60) == 0
    duration = time.monotonic() - started
    previous = {"G0"}
    for attempt, fraction in enumerate((0.3, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.2), start=1):
        process = child("write", out, f"G{attempt}", N_FILES, ROWS)
        time.sleep(duration * fraction)
        kill(process)
        left = generation_of(out)
        assert left is None or left in previous | {f"G{attempt}"}, (attempt, left)
        previous.add(f"G{attempt}")
    done = child("write", out, "last", N_FILES, ROWS)
    assert done.wait(timeout=60) == 0
    assert generation_of(out) == "last"
    assert_only_the_folder_is_left(out)


def test_concurrent_writers_do_not_interleave(tmp_path):
    out = tmp_path / "res"
    writers = [child("write", out, f"W{i}", N_FILES, ROWS) for i in range(3)]
    for writer in writers:
        _, err = writer.communicate(timeout=120)
        assert writer.returncode == 0, err
    assert generation_of(out) in {"W0", "W1", "W2"}
    assert_only_the_folder_is_left(out)


# ----------------------------------------------------------------------------------------------
# The command line on an instance that takes a couple of seconds
# ----------------------------------------------------------------------------------------------


def big_instance(folder: Path, n_regions: int = 20, n_periods: int = 6) -> Path:
    """A five-step chain in every region, every product traded between every two regions, builds:
    about 60k nonzeros, 1-3 s to load, build, solve and write."""
    regions = [f"R{i:02d}" for i in range(n_regions)]
    steps = [("ore", "ore"), ("conc", "concentrate"), ("ox_a", "oxide"), ("ox_b", "oxide"), ("metal", "metal")]
    commodities = [{"commodity": c, "stage": s} for c, s in steps + [("magnet", "functional_material")]]
    io_rows = [
        ("mine", "ore", "out", 1),
        ("beneficiate", "ore", "in", 1),
        ("beneficiate", "conc", "out", 0.8),
        ("separate", "conc", "in", 1),
        ("separate", "ox_a", "out", 0.6),
        ("separate", "ox_b", "out", 0.3),
        ("reduce", "ox_a", "in", 1),
        ("reduce", "metal", "out", 0.9),
        ("magnet", "metal", "in", 0.7),
        ("magnet", "ox_b", "in", 0.3),
        ("magnet", "magnet", "out", 1),
    ]
    process_io = [dict(zip(("process", "commodity", "direction", "coefficient"), r, strict=True)) for r in io_rows]
    processes, demand, trade = [], [], []
    for i, region in enumerate(regions):
        for j, process in enumerate(["mine", "beneficiate", "separate", "reduce", "magnet"]):
            processes.append(
                {
                    "process": process,
                    "region": region,
                    "capacity": 50 + (i * 7 + j * 13) % 200,
                    "cost_system": 10 + (i * 3 + j * 11) % 50,
                    "capex": 20 + (i + j) % 30,
                    "max_build": 40,
                    "lead_time": (i + j) % 3,
                }
            )
        demand.append({"region": region, "commodity": "magnet", "quantity": 20 + (i * 17) % 60, "penalty": 5000})
    for c in [c["commodity"] for c in commodities]:
        for i, origin in enumerate(regions):
            for k, destination in enumerate(regions):
                if origin != destination:
                    trade.append(
                        {
                            "commodity": c,
                            "origin": origin,
                            "destination": destination,
                            "cost": 1 + (i * 5 + k * 3) % 40,
                            "loss": 0.01,
                            "capacity": 30 + (i + k) % 50,
                        }
                    )
    write_instance(
        folder,
        regions=regions,
        commodities=commodities,
        process_io=process_io,
        processes=processes,
        trade=trade,
        demand=demand,
        periods=list(range(2025, 2025 + n_periods)),
        discount_rate=0.05,
    )
    (folder / "scenarios").mkdir()
    (folder / "scenarios" / "more.yaml").write_text(
        "name: more\nchanges:\n  - table: demand\n    where: {commodity: magnet}\n    scale: {quantity: 1.1}\n"
    )
    return folder


def reeopt_process(*args) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "optimizer", *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
    )


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    """The instance, complete reference results of its two scenarios, and how long one run takes."""
    root = tmp_path_factory.mktemp("big")
    folder = big_instance(root / "big")
    started = time.monotonic()
    runs = {
        name: reeopt_process("solve", folder, "--out", root / "reference" / name, "--quiet", "--scenario", name)
        for name in ("base", "more")
    }
    for run in runs.values():
        _, err = run.communicate(timeout=300)
        assert run.returncode == 0, err
    duration = (time.monotonic() - started) / 1.5  # two at once on two cores share some
    references = {name: root / "reference" / name for name in runs}
    assert not same_results(references["base"], references["more"])
    return folder, references, duration


def previous_run(references: dict[str, Path], out: Path) -> None:
    """``out`` as the command's base run left it: a copy of the fixture's reference folder, which that
    same command wrote (every file, its marker included; the lock file beside it is made by the next
    run). Before, each test solved the base once more to write the same files."""
    shutil.copytree(references["base"], out)


@pytest.mark.parametrize("fraction", [0.15, 0.3, 0.45, 0.6, 0.75, 0.85, 0.95, 1.05])
def test_the_command_killed_at_any_time_leaves_a_complete_folder_or_none(tmp_path, big, fraction):
    folder, references, duration = big
    out = tmp_path / "out"
    previous_run(references, out)
    assert check_left_behind(out, references) == "base"

    process = reeopt_process("solve", folder, "--out", out, "--quiet", "--scenario", "more")
    time.sleep(duration * fraction)
    kill(process)
    assert check_left_behind(out, references) in ("base", "more", None)


@pytest.mark.parametrize("window", WINDOWS)
def test_the_command_killed_while_writing_then_rerun(tmp_path, big, window):
    folder, references, _ = big
    out = tmp_path / "out"
    previous_run(references, out)

    process = child("cli", "solve", folder, "--out", out, "--quiet", "--scenario", "more", pause=window)
    assert wait_for(process, "PAUSED", timeout=300), process.communicate()
    kill(process)
    left = check_left_behind(out, references)
    assert left in ("base", "more", None)
    if window == "staging":
        assert left == "base"

    rerun = reeopt_process("solve", folder, "--out", out, "--quiet", "--scenario", "more")  # no clean-up first
    _, err = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, err
    assert check_left_behind(out, references) == "more"
    assert_only_the_folder_is_left(out)


def test_two_commands_into_the_same_folder_do_not_interleave(tmp_path, big):
    folder, references, _ = big
    out = tmp_path / "out"
    runs = [reeopt_process("solve", folder, "--out", out, "--quiet", "--scenario", name) for name in ("base", "more")]
    for run in runs:
        _, err = run.communicate(timeout=300)
        assert run.returncode == 0, err
    assert check_left_behind(out, references) in ("base", "more")
    assert_only_the_folder_is_left(out)
