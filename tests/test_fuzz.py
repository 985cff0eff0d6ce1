"""Fuzzing the readers: broken bytes, broken cells and hostile scenario YAML never crash the tool.

Every mutation of the toy instance (bytes flipped, inserted, deleted, files truncated; cells replaced
by blanks, ``nan``, ``inf``, huge numbers, text, unicode, quotes or extra commas; scenario keys,
values and YAML tags mutated) must end in one of three ways:

* exit 0 with a complete results folder whose summary.json says ``optimal`` (or a time limit with a
  solution), or exit 3 with ``infeasible``/``unbounded`` and a diagnosis.txt;
* exit 2 with a message that names a file of the instance (or the scenario), and nothing written:
  the previous results folder at ``--out`` is left exactly as it was.

Never a traceback, never "internal error", never a hang, never a folder that claims success when
the exit code says otherwise. Most runs are in-process (the ``reeopt`` fixture) under an alarm;
a few go through a real process with a timeout.

Every failure found so far has a deterministic regression test below (the ``reason`` strings record
what each one did before it was fixed). ``pytest --slow`` runs 2000 mixed mutations (about five minutes).
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from tests.builders import copy_instance
from tests.conftest import run_process

TOY_FILES = (
    "regions.csv",
    "commodities.csv",
    "process_io.csv",
    "processes.csv",
    "trade.csv",
    "demand.csv",
    "instance.yaml",
)
SECONDS = 30  # one run of the toy takes well under a second; this is a hang, not a slow run

FUZZ = settings(
    max_examples=60,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)


class Hang(BaseException):  # noqa: N818 - not an Exception, so the CLI's last line of defence cannot swallow it
    """A run that did not finish within SECONDS."""


@contextlib.contextmanager
def alarm(seconds: int = SECONDS):
    def hang(signum, frame):
        raise Hang(f"no answer within {seconds} s")

    previous = signal.signal(signal.SIGALRM, hang)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> Path:
    """A complete results folder of the toy, written before each fuzzed run into its --out."""
    out = tmp_path_factory.mktemp("reference") / "out"
    done = run_process("solve", "toy", "--out", out, "--quiet")
    assert done.code == 0, done.err
    return out


def files_of(folder: Path) -> dict[str, Path]:
    return {str(p.relative_to(folder)): p for p in folder.rglob("*") if p.is_file()}


def check_outcome(run, out: Path, reference: Path, names: tuple[str, ...]) -> None:
    """The only acceptable outcomes of a run on (possibly) bad input; see the module docstring."""
    text = run.out + run.err
    assert "Traceback" not in text, run.err
    assert "internal error" not in text, run.err
    assert run.code in (0, 2, 3), (run.code, run.err)
    if run.code == 2:
        assert any(name in run.err for name in names), ("the message names no file", run.err)
        mine, theirs = files_of(out), files_of(reference)
        assert set(mine) == set(theirs), "exit 2 must write nothing"
        for name, path in theirs.items():
            assert mine[name].read_bytes() == path.read_bytes(), ("exit 2 must write nothing", name)
        return
    summary = json.loads((out / "summary.json").read_text())
    if run.code == 0:
        assert summary["status"] == "optimal" or (summary["status"] == "time_limit" and summary.get("solution"))
        written, expected = set(files_of(out)), set(files_of(reference))
        assert expected <= written, ("incomplete results folder", expected - written)
        assert "diagnosis.txt" not in written
    else:
        assert summary["status"] in ("infeasible", "unbounded"), summary["status"]
        assert (out / "diagnosis.txt").is_file()


@contextlib.contextmanager
def toy_copy(reference: Path):
    """A fresh copy of the toy instance and an --out already holding a complete earlier result."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = copy_instance("toy", Path(tmp))
        out = Path(tmp) / "results" / "out"
        shutil.copytree(reference, out)
        yield folder, out


def solve_in_process(reeopt, folder: Path, out: Path, *extra: str):
    with alarm():
        return reeopt("solve", folder, "--out", out, "--quiet", *extra)


# ----------------------------------------------------------------------------------------------
# Byte-wise mutations
# ----------------------------------------------------------------------------------------------

SPECIAL_BYTES = [
    b",",
    b"\n",
    b"\r",
    b"\r\n",
    b'"',
    b"'",
    b"\x00",
    b"\xff",
    b"\xef\xbb\xbf",
    b"\xc3",
    b"\t",
    b" ",
    b"#",
    b";",
    b"*",
    b":",
    b"- ",
    b"{",
    b"[",
    b"&a",
    b"*a",
    b"!!",
]
byte_chunks = st.one_of(st.sampled_from(SPECIAL_BYTES), st.binary(min_size=1, max_size=6))
byte_ops = st.one_of(
    st.tuples(st.just("flip"), st.floats(0, 1, exclude_max=True), st.integers(1, 255)),
    st.tuples(st.just("insert"), st.floats(0, 1), byte_chunks),
    st.tuples(st.just("delete"), st.floats(0, 1, exclude_max=True), st.integers(1, 12)),
    st.tuples(st.just("truncate"), st.floats(0, 1), st.just(None)),
)


def mutate_bytes(data: bytes, ops) -> bytes:
    for op, where, arg in ops:
        at = int(where * len(data))
        if op == "flip" and data:
            at = min(at, len(data) - 1)
            data = data[:at] + bytes([data[at] ^ arg]) + data[at + 1 :]
        elif op == "insert":
            data = data[:at] + arg + data[at:]
        elif op == "delete":
            data = data[:at] + data[at + arg :]
        elif op == "truncate":
            data = data[:at]
    return data


@FUZZ
@given(name=st.sampled_from(TOY_FILES), ops=st.lists(byte_ops, min_size=1, max_size=4))
@example(name="processes.csv", ops=[("truncate", 0.0, None)])
@example(name="instance.yaml", ops=[("insert", 0.0, b"\xff\xfe")])
@example(name="trade.csv", ops=[("insert", 0.5, b'"')])
@example(name="regions.csv", ops=[("insert", 1.0, b"\r\n\r\n,,,\n")])
def test_byte_mutations_never_crash(reeopt, reference, name, ops):
    fuzz_bytes(reeopt, reference, name, ops)


def fuzz_bytes(reeopt, reference, name, ops):
    with toy_copy(reference) as (folder, out):
        path = folder / name
        path.write_bytes(mutate_bytes(path.read_bytes(), ops))
        run = solve_in_process(reeopt, folder, out)
        check_outcome(run, out, reference, TOY_FILES)


# ----------------------------------------------------------------------------------------------
# Cell-wise mutations
# ----------------------------------------------------------------------------------------------

BAD_CELLS = [
    "",
    " ",
    "nan",
    "NaN",
    "NA",
    "null",
    "None",
    "inf",
    "-inf",
    "Infinity",
    "-1",
    "-0",
    "0",
    "1e400",
    "-1e400",
    "1e308",
    "1e-320",
    "9" * 400,
    "1e18",
    "0x10",
    "1_000",
    "1,5",
    "1.5.2",
    "abc",
    "TRUE",
    "*",
    ";",
    ";;",
    "#",
    '"',
    "'",
    '"quoted"',
    "a,b",
    "a\nb",
    "Ωmega",
    "稀土",
    "\u200b",
    "\x7f",
    "é",
    "2025.5",
    "2024",
    "2025",
    "1e5",
]
cells = st.one_of(st.sampled_from(BAD_CELLS), st.text(max_size=8), st.floats(allow_nan=True).map(repr))


def read_rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))


def write_rows(path: Path, rows: list[list[str]], raw: bool) -> None:
    """``raw`` joins cells with commas as they are (a comma or quote in a cell breaks the row's shape);
    otherwise the cells are quoted as CSV needs."""
    if raw:
        path.write_text("".join(",".join(row) + "\n" for row in rows), encoding="utf-8")
    else:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows(rows)
        path.write_text(buffer.getvalue(), encoding="utf-8")


cell_ops = st.one_of(
    st.tuples(st.just("cell"), st.floats(0, 1, exclude_max=True), st.floats(0, 1, exclude_max=True), cells),
    st.tuples(st.just("header"), st.floats(0, 1, exclude_max=True), st.just(0.0), cells),
    st.tuples(st.just("duplicate_row"), st.floats(0, 1, exclude_max=True), st.just(0.0), st.just("")),
    st.tuples(st.just("drop_row"), st.floats(0, 1, exclude_max=True), st.just(0.0), st.just("")),
    st.tuples(st.just("extra_cell"), st.floats(0, 1, exclude_max=True), st.just(0.0), cells),
    st.tuples(st.just("drop_cell"), st.floats(0, 1, exclude_max=True), st.just(0.0), st.just("")),
)


def mutate_cells(rows: list[list[str]], ops) -> list[list[str]]:
    rows = [list(r) for r in rows]
    for op, where, column, value in ops:
        body = range(1, len(rows))
        if op == "header":
            rows[0][int(where * len(rows[0]))] = value
        elif not body:
            continue
        elif op == "cell":
            row = rows[body[int(where * len(body))]]
            if row:
                row[int(column * len(row))] = value
        elif op == "duplicate_row":
            at = body[int(where * len(body))]
            rows.insert(at, list(rows[at]))
        elif op == "drop_row":
            del rows[body[int(where * len(body))]]
        elif op == "extra_cell":
            rows[body[int(where * len(body))]].append(value)
        elif op == "drop_cell":
            row = rows[body[int(where * len(body))]]
            if row:
                row.pop()
    return rows


CSV_FILES = tuple(n for n in TOY_FILES if n.endswith(".csv"))


@FUZZ
@given(
    name=st.sampled_from(CSV_FILES),
    ops=st.lists(cell_ops, min_size=1, max_size=3),
    raw=st.booleans(),
)
@example(name="processes.csv", ops=[("cell", 0.2, 0.3, "1e400")], raw=False)
@example(name="trade.csv", ops=[("cell", 0.1, 0.5, "9" * 400)], raw=False)
@example(name="demand.csv", ops=[("cell", 0.0, 0.5, "1e308")], raw=False)
@example(name="process_io.csv", ops=[("cell", 0.3, 0.9, "1e-320")], raw=False)
@example(name="regions.csv", ops=[("cell", 0.0, 0.0, "稀土")], raw=False)
@example(name="processes.csv", ops=[("cell", 0.0, 0.0, "a,b")], raw=True)
@example(name="trade.csv", ops=[("cell", 0.9, 0.0, '"')], raw=True)
def test_cell_mutations_never_crash(reeopt, reference, name, ops, raw):
    fuzz_cells(reeopt, reference, name, ops, raw)


def fuzz_cells(reeopt, reference, name, ops, raw):
    with toy_copy(reference) as (folder, out):
        path = folder / name
        write_rows(path, mutate_cells(read_rows(path), ops), raw)
        run = solve_in_process(reeopt, folder, out)
        check_outcome(run, out, reference, TOY_FILES)


@pytest.mark.parametrize("name", CSV_FILES)
def test_a_csv_file_starting_with_a_blank_line_is_bad_input(reeopt, reference, name):
    with toy_copy(reference) as (folder, out):
        path = folder / name
        path.write_text("\n" + path.read_text())
        check_outcome(solve_in_process(reeopt, folder, out), out, reference, (name,))


# Huge and tiny but finite numbers in the numeric columns of the toy: they are valid input (the
# readers accept them), so the tool must either solve or refuse them as bad input (exit 2, naming
# the file), never fail inside the solver.
CELLS = {
    "capacity": ("processes.csv", 1, 2),  # of mining_light
    "cost_system": ("processes.csv", 1, 3),  # of mining_light
    "trade cost": ("trade.csv", 1, 3),  # of NdPr_oxide NORTH→EAST
    "demand quantity": ("demand.csv", 1, 2),  # of magnets in EAST
    "coefficient": ("process_io.csv", 5, 3),  # NdPr_oxide out of separation_light
    "disposal_cost": ("commodities.csv", 4, 6),  # of CeO2
}
HUGE_COST = (
    "a cost of 1e20 or more (HiGHS's infinity) is accepted by the reader, then HiGHS fails: status 'error', "
    "exit 1 with no message under --quiet, and a results folder with status error replaces the previous one"
)
HUGE_BOUND = (
    "a demand of 1e20 or more is a fixed bound at HiGHS's infinity: 'internal error: RuntimeError: HiGHS "
    "rejected the model', exit 1"
)
HUGE_COEFFICIENT = (
    "a recipe coefficient of 1e15 or more (HiGHS's large_matrix_value) is accepted by the reader: 'internal "
    "error: RuntimeError: HiGHS rejected the model', exit 1"
)


def extreme(cell: str, value: str, reason: str | None = None):
    """A case; ``reason`` records the failure it once had (fixed: huge numbers are refused as bad input)."""
    return pytest.param(cell, value, id=f"{cell}={value}")


@pytest.mark.parametrize(
    ("cell", "value"),
    [extreme(cell, value) for cell in CELLS for value in ("1e-300", "1e12")]
    + [
        extreme("capacity", "1e300"),
        extreme("cost_system", "1e20", HUGE_COST),
        extreme("cost_system", "1e300", HUGE_COST),
        extreme("trade cost", "1e20", HUGE_COST),
        extreme("disposal_cost", "1e300", HUGE_COST),
        extreme("demand quantity", "1e20", HUGE_BOUND),
        extreme("demand quantity", "1e300", HUGE_BOUND),
        extreme("coefficient", "1e15", HUGE_COEFFICIENT),
        extreme("coefficient", "1e300", HUGE_COEFFICIENT),
    ],
)
def test_huge_finite_numbers_are_solved_or_refused(reeopt, reference, cell, value):
    name, row, column = CELLS[cell]
    with toy_copy(reference) as (folder, out):
        path = folder / name
        rows = read_rows(path)
        rows[row][column] = value
        write_rows(path, rows, raw=False)
        check_outcome(solve_in_process(reeopt, folder, out), out, reference, TOY_FILES)


# ----------------------------------------------------------------------------------------------
# Scenario YAML
# ----------------------------------------------------------------------------------------------

SCENARIO_KEYS = ["name", "description", "objective", "extends", "changes", "import", "!!python", "", "changes "]
CHANGE_KEYS = ["table", "where", "periods", "set", "scale", "add", "drop", "unknown", "eval"]
TABLES = ["trade", "processes", "demand", "regions", "commodities", "process_io", "quotas", "stocks", "nope", ""]
COLUMNS = ["capacity", "cost", "quantity", "penalty", "origin", "commodity", "region", "period", "loss", "x_note", "?"]
leaf_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**30), 10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["NORTH", "SOUTH", "EAST", "NdPr_oxide", "CeO2", "cost", "value", "base", "*", "", "稀土"]),
    st.text(max_size=10),
)
values = st.recursive(
    leaf_values,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from(COLUMNS + ["not", "from", "to"]), inner, max_size=3),
    ),
    max_leaves=8,
)


@st.composite
def changes(draw) -> dict:
    change = {"table": draw(st.sampled_from(TABLES))}
    if draw(st.booleans()):
        change["where"] = draw(st.dictionaries(st.sampled_from(COLUMNS), values, max_size=2))
    if draw(st.integers(0, 3)) == 0:
        change["periods"] = draw(values)
    for key in draw(st.lists(st.sampled_from(CHANGE_KEYS[3:] + ["set", "scale"]), max_size=2, unique=True)):
        change[key] = draw(values)
    return change


@st.composite
def scenarios(draw) -> dict:
    scenario = {}
    for key in draw(st.lists(st.sampled_from(SCENARIO_KEYS), max_size=4, unique=True)):
        if key == "changes":
            scenario[key] = draw(st.one_of(st.lists(changes(), max_size=3), values))
        elif key == "objective":
            scenario[key] = draw(st.one_of(st.sampled_from(["cost", "value", "max"]), values))
        elif key == "extends":
            scenario[key] = draw(
                st.one_of(st.sampled_from(["north_export_ban", "base", "fuzz", "../toy", "x"]), values)
            )
        else:
            scenario[key] = draw(values)
    return scenario


# A valid scenario worth mutating: every operation of INTERFACE.md on the toy.
VALID_SCENARIO = {
    "name": "fuzz",
    "description": "every operation",
    "changes": [
        {"table": "trade", "where": {"commodity": "NdPr_oxide", "origin": "NORTH"}, "set": {"capacity": 500}},
        {"table": "demand", "where": {"commodity": "ndfeb_magnet"}, "scale": {"quantity": 1.2}},
        {"table": "processes", "add": [{"process": "mining_heavy", "region": "NORTH", "capacity": 10}]},
        {"table": "trade", "where": {"commodity": "Dy2O3"}, "set": {"loss": 0.01}},
    ],
}


def mutated_scenario(base: dict, path: list, value) -> dict:
    """``base`` with the value at ``path`` (keys or list positions, clipped to what exists) replaced."""
    data = json.loads(json.dumps(base))
    node = data
    for step in path[:-1]:
        key = list(node)[step % len(node)] if isinstance(node, dict) else step % len(node)
        if not isinstance(node[key], dict | list) or not node[key]:
            break
        node = node[key]
    last = path[-1]
    if isinstance(node, dict):
        node[list(node)[last % len(node)]] = value
    else:
        node[last % len(node)] = value
    return data


def run_scenario(reeopt, reference, text: str, known: bool = True):
    """Solve the toy with ``text`` as a scenario; ``known`` sets the known bugs aside (hypothesis only)."""
    with toy_copy(reference) as (folder, out):
        scenario = folder / "scenarios" / "fuzz.yaml"
        scenario.write_text(text, encoding="utf-8")
        run = solve_in_process(reeopt, folder, out, "--scenario", scenario)
        names = TOY_FILES + ("fuzz.yaml", "north_export_ban.yaml")
        if known:
            check_outcome(run, out, reference, names)
        else:
            check_outcome(run, out, reference, names)


def dump(data) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


@FUZZ
@given(scenario=scenarios())
def test_random_scenarios_never_crash(reeopt, reference, scenario):
    run_scenario(reeopt, reference, dump(scenario))


@FUZZ
@given(path=st.lists(st.integers(0, 50), min_size=1, max_size=5), value=values)
def test_mutated_valid_scenario_never_crashes(reeopt, reference, path, value):
    run_scenario(reeopt, reference, dump(mutated_scenario(VALID_SCENARIO, path, value)))


@settings(FUZZ, max_examples=40)
@given(ops=st.lists(byte_ops, min_size=1, max_size=4))
def test_byte_mutated_scenario_never_crashes(reeopt, reference, ops):
    text = mutate_bytes(dump(VALID_SCENARIO).encode(), ops).decode("utf-8", errors="replace")
    run_scenario(reeopt, reference, text)


def code_tags(marker: Path) -> list[str]:
    """YAML tags that build objects or run code under an unsafe loader; each would create ``marker``."""
    command = f"touch {marker}"
    return [
        f"name: !!python/object/apply:os.system ['{command}']\n",
        f"changes: !!python/object/apply:os.system ['{command}']\n",
        "changes:\n  - table: trade\n    where: {origin: NORTH}\n"
        f"    set: {{capacity: !!python/object/apply:os.system ['{command}']}}\n",
        f"!!python/object/apply:subprocess.call [['touch', '{marker}']]\n",
        f"name: !!python/object/new:subprocess.Popen [['touch', '{marker}']]\n",
        "name: !!python/name:os.system\n",
        "name: !!python/module:os\n",
        "description: !!binary dG91Y2g=\nname: !!python/tuple [1, 2]\n",
        "name: !custom_tag 3\n",
        "name: &a [*a]\n",
    ]


RECURSIVE_ALIAS = (
    "a recursive YAML alias (name: &a [*a]) makes yamlio._record recurse forever: 'internal error: "
    "RecursionError', exit 1"
)


@pytest.mark.parametrize("target", ["scenario", "instance.yaml"])
@pytest.mark.parametrize("number", range(10))
def test_yaml_tags_are_data_never_code(reeopt, reference, tmp_path, number, target):
    marker = tmp_path / "code_ran"
    text = code_tags(marker)[number]
    with toy_copy(reference) as (folder, out):
        if target == "scenario":
            path = folder / "scenarios" / "fuzz.yaml"
            path.write_text(text)
            extra = ("--scenario", path)
        else:
            path = folder / "instance.yaml"
            path.write_text("periods: [2025]\n" + text)
            extra = ()
        run = solve_in_process(reeopt, folder, out, *extra)
        check_outcome(run, out, reference, (path.name,))
        assert not marker.exists(), "a YAML tag ran code"


def alias_bomb(levels: int = 9) -> str:
    """``description`` is a tower of lists, each nine aliases of the one before."""
    lines = ["description:", "  - &a0 [" + ", ".join(['"lol"'] * 9) + "]"]
    lines += [f"  - &a{n} [" + ", ".join([f"*a{n - 1}"] * 9) + "]" for n in range(1, levels)]
    return "\n".join(lines) + "\n"


ALIAS_BOMB = (
    "yamlio._record walks the composed YAML node tree following aliases, so nine levels of nine aliases "
    "(a 1 kB file) take minutes (exponential time): a hang"
)


@pytest.mark.parametrize("target", ["scenario", "instance.yaml"])
def test_yaml_alias_bombs_do_not_hang(reeopt, reference, target):
    """Nine levels of nine aliases are 387 million strings if anything walks or prints them as a tree."""
    with toy_copy(reference) as (folder, out):
        if target == "scenario":
            path = folder / "scenarios" / "bomb.yaml"
            path.write_text("name: bomb\n" + alias_bomb())
            args = ("--scenario", path)
        else:
            path = folder / "instance.yaml"
            path.write_text("name: toy\nperiods: [2025]\n" + alias_bomb())
            args = ()
        with alarm(5):  # the toy takes a fraction of a second
            run = reeopt("solve", folder, "--out", out, "--quiet", *args)
        check_outcome(run, out, reference, (path.name,))


# ----------------------------------------------------------------------------------------------
# A few through a real process: what a user sees
# ----------------------------------------------------------------------------------------------


@settings(FUZZ, max_examples=4)
@given(name=st.sampled_from(CSV_FILES), ops=st.lists(cell_ops, min_size=1, max_size=2))
def test_mutations_in_a_real_process(reference, name, ops):
    with toy_copy(reference) as (folder, out):
        path = folder / name
        write_rows(path, mutate_cells(read_rows(path), ops), raw=True)
        done = run_process("solve", folder, "--out", out, "--quiet", timeout=SECONDS * 2)
        check_outcome(done, out, reference, TOY_FILES)


# ----------------------------------------------------------------------------------------------
# Settings and scenarios at the extremes: each found by probing, each pinned here
# ----------------------------------------------------------------------------------------------


def settings_case(name: str, text: str, reason: str | None = None):
    """A case; ``reason`` records the failure it once had, now fixed and kept as a regression test."""
    return pytest.param(text, id=name)


@pytest.mark.parametrize(
    "text",
    [
        settings_case("negative year", "periods: [-5, 2025]\n"),
        settings_case("tiny period length", "periods: [2025]\nperiod_lengths: {2025: 1.0e-300}\n"),
        settings_case("a million periods", "periods: {start: 2025, end: 1000000}\n"),
        settings_case("huge discount_rate", "periods: [2025, 2030]\ndiscount_rate: 1.0e+300\n"),
        settings_case(
            "year beyond int64",
            "periods: [2025, 999999999999999999999]\n",
            "a year beyond 64 bits is accepted: 'internal error: OverflowError' in instance/expand.py, exit 1",
        ),
        settings_case(
            "discount underflow",
            "periods: [2025, 2030]\ndiscount_rate: 1000000.0\nbase_year: 0\n",
            "a discount factor that underflows to 0 divides by zero: 'internal error: TypeError: Cannot use "
            "method nlargest with dtype object', exit 1",
        ),
        settings_case(
            "huge period length",
            "periods: [2025]\nperiod_lengths: {2025: 1.0e+300}\n",
            "a period length of 1e300 makes the objective overflow: HiGHS status 'error', exit 1",
        ),
        settings_case(
            "huge unmet_penalty",
            "periods: [2025]\nunmet_penalty: 1.0e+300\n",
            "unmet_penalty 1e300 gives an objective of -inf that is reported as 'optimal', exit 0, with "
            "objective null in summary.json",
        ),
    ],
)
def test_instance_settings_at_the_extremes(reeopt, reference, text):
    with toy_copy(reference) as (folder, out):
        (folder / "instance.yaml").write_text("name: toy\n" + text)
        run = solve_in_process(reeopt, folder, out)
        check_outcome(run, out, reference, ("instance.yaml", str(folder)))  # too big: the folder is named
        if run.code == 0:
            objective = json.loads((out / "summary.json").read_text())["objective"]
            assert objective is not None and math.isfinite(objective), objective


def test_a_hundred_million_periods_are_refused_not_allocated(tmp_path):
    import resource

    folder = copy_instance("toy", tmp_path)
    (folder / "instance.yaml").write_text("name: toy\nperiods: {start: 2025, end: 100000000}\n")

    def limit_memory():
        resource.setrlimit(resource.RLIMIT_AS, (3 * 2**30, 3 * 2**30))

    done = subprocess.run(
        [sys.executable, "-m", "optimizer", "solve", folder, "--out", tmp_path / "out", "--quiet"],
        capture_output=True,
        text=True,
        timeout=SECONDS,
        preexec_fn=limit_memory,
    )
    assert "internal error" not in done.stderr and "Traceback" not in done.stderr, done.stderr
    assert done.returncode == 2 and "instance.yaml" in done.stderr, (done.returncode, done.stderr)


SCENARIO_TABLE = "a change whose table is a mapping or a list: 'internal error: TypeError: unhashable type', exit 1"
SCENARIO_EXTENDS = "extends that is not a string (5, [a], {a: 1}): 'internal error: TypeError' in pathlib, exit 1"
NO_PROCESSES = "a scenario that drops every process: 'internal error: ValueError' in numerics.py, exit 1"
WHERE_BLANK = (
    "where: {capacity: null} (rows whose number is blank) does 'hit |= ...' on a read-only array under pandas "
    "3 copy-on-write (scenario.py _where): 'internal error: ValueError: output array is read-only', exit 1"
)
UNKNOWN_EXTENDS = (
    "extends: naming no scenario fails with '<name>: no such scenario', naming neither the scenario file "
    "that says extends nor its line"
)
NO_DEMAND = "a scenario that drops every demand (nothing flows): 'internal error: KeyError: stock_change', exit 1"


@pytest.mark.parametrize(
    "text",
    [
        settings_case("table dict", "changes:\n- table: {a: 1}\n  set: {capacity: 1}\n", SCENARIO_TABLE),
        settings_case("table list", "changes:\n- table: [trade]\n  set: {capacity: 1}\n", SCENARIO_TABLE),
        settings_case("extends int", "extends: 5\n", SCENARIO_EXTENDS),
        settings_case("extends list", "extends: [north_export_ban]\n", SCENARIO_EXTENDS),
        settings_case("extends dict", "extends: {a: 1}\n", SCENARIO_EXTENDS),
        settings_case("drop every process", "changes:\n- table: processes\n  drop: true\n", NO_PROCESSES),
        settings_case("drop every demand", "changes:\n- table: demand\n  drop: true\n", NO_DEMAND),
        settings_case(
            "where a blank number",
            "changes:\n- table: trade\n  where: {capacity: null}\n  set: {cost: 1}\n",
            WHERE_BLANK,
        ),
        settings_case("extends nothing", "extends: no_such_one\n", UNKNOWN_EXTENDS),
        settings_case("drop every trade link", "changes:\n- table: trade\n  drop: true\n"),
        settings_case("name a list", "name: [a, b]\n"),
        settings_case("objective a list", "objective: [cost]\n"),
        settings_case(
            "set a key column", "changes:\n- table: trade\n  where: {origin: NORTH}\n  set: {commodity: 5}\n"
        ),
        settings_case("a list key", "changes:\n- table: trade\n  where: {origin: NORTH}\n  set: {[capacity]: 1}\n"),
        settings_case("a text list", "changes:\n- table: regions\n  where: {region: NORTH}\n  set: {bloc: [1, 2]}\n"),
    ],
)
def test_scenarios_at_the_extremes(reeopt, reference, text):
    run_scenario(reeopt, reference, text, known=False)


# ----------------------------------------------------------------------------------------------
# Names in YAML are data, not paths: the default results folder stays under results/
# ----------------------------------------------------------------------------------------------

NAME_ESCAPE = (
    "the default results folder is results/<instance name>/<scenario name> with the names taken verbatim "
    "from instance.yaml and the scenario file: '../' walks out of results/, and an absolute name replaces "
    "(moves aside, then deletes) whatever folder it names"
)


def hostile_names(tmp_path: Path) -> dict[str, str]:
    return {"relative": "../../../escaped", "absolute": str(tmp_path / "victim")}


@pytest.mark.parametrize("where", ["scenario", "instance.yaml"])
@pytest.mark.parametrize("kind", ["relative", "absolute"])
def test_names_cannot_write_outside_results(reeopt, monkeypatch, tmp_path, where, kind):
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "keep.txt").write_text("precious")
    work = tmp_path / "a" / "b" / "work"
    work.mkdir(parents=True)
    folder = copy_instance("toy", work)
    monkeypatch.chdir(work)
    name = hostile_names(tmp_path)[kind]
    args = ()
    if where == "scenario":
        (folder / "scenarios" / "evil.yaml").write_text(yaml.safe_dump({"name": name, "changes": []}))
        args = ("--scenario", "evil")
    else:
        path = folder / "instance.yaml"
        path.write_text(path.read_text().replace("name: toy", f"name: {json.dumps(name)}"))
    with alarm():
        run = reeopt("solve", "toy", "--quiet", *args)
    assert "Traceback" not in run.err and "internal error" not in run.err, run.err
    assert (victim / "keep.txt").read_text() == "precious"
    outside = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if work not in p.parents and p != work)
    assert outside == ["a", "a/b", "victim", "victim/keep.txt"], outside


# ----------------------------------------------------------------------------------------------
# The long run (pytest --slow): every kind of mutation, many more examples
# ----------------------------------------------------------------------------------------------

mutations = st.one_of(
    st.tuples(st.just(fuzz_bytes), st.sampled_from(TOY_FILES), st.lists(byte_ops, min_size=1, max_size=6)),
    st.tuples(
        st.just(fuzz_cells), st.sampled_from(CSV_FILES), st.lists(cell_ops, min_size=1, max_size=5), st.booleans()
    ),
    st.tuples(st.just(run_scenario), scenarios().map(dump)),
    st.tuples(
        st.just(run_scenario),
        st.builds(
            mutated_scenario, st.just(VALID_SCENARIO), st.lists(st.integers(0, 50), min_size=1, max_size=5), values
        ).map(dump),
    ),
)


@pytest.mark.slow
@settings(FUZZ, max_examples=2000)
@given(mutation=mutations)
def test_fuzz_long_run(reeopt, reference, mutation):
    body, *arguments = mutation
    body(reeopt, reference, *arguments)
