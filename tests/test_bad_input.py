"""Every kind of bad input exits 2 with the file (and line, column) named, no traceback, nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.builders import copy_instance
from tests.conftest import run_process


def replace_line(path: Path, line: int, text: str) -> None:
    lines = path.read_text().splitlines()
    lines[line - 1] = text
    path.write_text("\n".join(lines) + "\n")


def append(path: Path, text: str) -> None:
    path.write_text(path.read_text().rstrip("\n") + "\n" + text + "\n")


def write_scenario(folder: Path, text: str) -> None:
    (folder / "scenarios" / "bad.yaml").write_text(text)


# (id, how to break the toy instance, scenario to run or None, what the message must contain)
CASES = [
    ("file missing", lambda f: (f / "regions.csv").unlink(), None, ["regions.csv", "file not found"]),
    (
        "file empty",
        lambda f: (f / "commodities.csv").write_text(""),
        None,
        ["commodities.csv", "line 1", "the file is empty"],
    ),
    (
        "header only",
        lambda f: (f / "process_io.csv").write_text("process,commodity,direction,coefficient\n"),
        None,
        ["process_io.csv", "no rows"],
    ),
    (
        "garbage bytes",
        lambda f: (f / "processes.csv").write_bytes(b"\xff\xfe\x00\x81garbage\n"),
        None,
        ["processes.csv", "not UTF-8"],
    ),
    (
        "NUL byte",
        lambda f: (f / "demand.csv").write_bytes(b"region,commodity,quantity\nEAST,\x00,1\n"),
        None,
        ["demand.csv", "line 2", "NUL"],
    ),
    (
        "missing column",
        lambda f: (f / "process_io.csv").write_text("process,commodity,direction\nm,c,out\n"),
        None,
        ["process_io.csv", "column 'coefficient'", "required column is missing"],
    ),
    (
        "unknown column",
        lambda f: (f / "demand.csv").write_text("region,commodity,quantitty\nEAST,CeO2,1\n"),
        None,
        ["demand.csv", "column 'quantitty'", "unknown column"],
    ),
    (
        "non-numeric",
        lambda f: replace_line(f / "processes.csv", 3, "mining_heavy,SOUTH,lots,180,60,30,30"),
        None,
        ["processes.csv", "line 3", "column 'capacity'", "'lots' is not a finite number"],
    ),
    (
        "NaN",
        lambda f: replace_line(f / "processes.csv", 2, "mining_light,NORTH,nan,60,20,10,10"),
        None,
        ["processes.csv", "line 2", "column 'capacity'", "not a finite number"],
    ),
    (
        "infinity",
        lambda f: replace_line(f / "trade.csv", 2, "NdPr_oxide,NORTH,EAST,inf,,"),
        None,
        ["trade.csv", "line 2", "column 'cost'", "not a finite number"],
    ),
    (
        "negative",
        lambda f: replace_line(f / "processes.csv", 4, "separation_light,NORTH,,-120,40,30,10"),
        None,
        ["processes.csv", "line 4", "column 'cost_system'", "out of range", ">= 0"],
    ),
    (
        "zero coefficient",
        lambda f: replace_line(f / "process_io.csv", 5, "separation_light,NdPr_oxide,out,0"),
        None,
        ["process_io.csv", "line 5", "column 'coefficient'", "> 0"],
    ),
    (
        "loss of 1",
        lambda f: replace_line(f / "trade.csv", 3, "NdPr_oxide,SOUTH,EAST,80,1,"),
        None,
        ["trade.csv", "line 3", "column 'loss'", "< 1"],
    ),
    (
        "unknown region",
        lambda f: append(f / "demand.csv", "WEST,CeO2,5,1"),
        None,
        ["demand.csv", "line 4", "column 'region'", "'WEST' is not a known region"],
    ),
    (
        "unknown commodity",
        lambda f: append(f / "process_io.csv", "magnet_making,boron,in,0.01"),
        None,
        ["process_io.csv", "line 14", "'boron' is not a known commodity"],
    ),
    (
        "unknown process",
        lambda f: append(f / "processes.csv", "smelting,EAST,10,1,1,1,1"),
        None,
        ["processes.csv", "line 7", "column 'process'", "'smelting' is not a known process"],
    ),
    (
        "duplicate key",
        lambda f: append(f / "process_io.csv", "mining_light,conc_light,out,1"),
        None,
        ["process_io.csv", "duplicate rows", "lines 2, 14"],
    ),
    (
        "bad direction",
        lambda f: replace_line(f / "process_io.csv", 2, "mining_light,conc_light,sideways,1"),
        None,
        ["process_io.csv", "line 2", "column 'direction'", "'sideways' is not allowed", "one of in, out"],
    ),
    (
        "period outside horizon",
        lambda f: (f / "demand.csv").write_text("region,commodity,quantity,period\nEAST,ndfeb_magnet,100,2031\n"),
        None,
        ["demand.csv", "line 2", "column 'period'", "period 2031 is outside the horizon"],
    ),
    (
        "ragged row",
        lambda f: append(f / "regions.csv", "WEST,far,west,extra,cells"),
        None,
        ["regions.csv", "line 5", "has 5 cells but the header has 3"],
    ),
    (
        "self trade",
        lambda f: append(f / "trade.csv", "CeO2,EAST,EAST,1,,"),
        None,
        ["trade.csv", "line 6", "trade from EAST to itself"],
    ),
    (
        "bad YAML",
        lambda f: (f / "instance.yaml").write_text("name: toy\nperiods: [2025\n"),
        None,
        ["instance.yaml", "is not valid YAML"],
    ),
    (
        "unknown setting",
        lambda f: append(f / "instance.yaml", "discount: 0.05"),
        None,
        ["instance.yaml", "column 'discount'", "unknown setting"],
    ),
    (
        "YAML tag that runs code",
        lambda f: write_scenario(
            f, "name: bad\nchanges: !!python/object/apply:os.system ['echo pwned > /tmp/reeopt_pwned']\n"
        ),
        "bad",
        ["bad.yaml", "line 2", "not allowed"],
    ),
    (
        "where matches nothing",
        lambda f: write_scenario(f, "changes:\n  - table: trade\n    where: {origin: NROTH}\n    set: {capacity: 0}\n"),
        "bad",
        ["bad.yaml", "line 3", "change 1: where matches no row of trade.csv"],
    ),
    (
        "scenario unknown column",
        lambda f: write_scenario(
            f, "changes:\n  - table: processes\n    where: {region: NORTH}\n    scale: {capacty: 2}\n"
        ),
        "bad",
        ["bad.yaml", "line 4", "'capacty' is not a column of processes.csv"],
    ),
    (
        "scenario bad value",
        lambda f: write_scenario(f, "changes:\n  - table: trade\n    where: {origin: NORTH}\n    set: {loss: 1.5}\n"),
        "bad",
        ["bad.yaml", "line 4", "(table trade, set loss): 1.5 is out of range"],
    ),
    ("unknown scenario", lambda f: None, "no_such_scenario", ["no_such_scenario", "no such scenario"]),
    (
        "quota names unknown commodity",
        lambda f: (f / "quotas.csv").write_text("quota,origin,commodities,limit\nq,NORTH,NdPr_oxide;unobtainium,5\n"),
        None,
        ["quotas.csv", "line 2", "column 'commodities'", "'unobtainium' is not a known commodity"],
    ),
    (
        "observation without its keys",
        lambda f: (f / "observed.csv").write_text("kind,process,region,period,value\nactivity,mining_light,,2025,10\n"),
        None,
        ["observed.csv", "line 2", "column 'region'", "needs region"],
    ),
]


@pytest.mark.parametrize(("break_it", "scenario", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_exits_2_naming_the_file(tmp_path, reeopt, break_it, scenario, expected):
    folder = copy_instance("toy", tmp_path)
    break_it(folder)
    out = tmp_path / "results"
    args = ["solve", folder, "--out", out] + (["--scenario", scenario] if scenario else [])
    run = reeopt(*args)
    assert run.code == 2, run.err + run.out
    for text in expected:
        assert text in run.err, (text, run.err)
    assert "Traceback" not in run.err + run.out
    assert not out.exists(), "nothing is written for bad input"
    assert not Path("/tmp/reeopt_pwned").exists()


def test_validate_reports_the_same_errors(tmp_path, reeopt):
    folder = copy_instance("toy", tmp_path)
    append(folder / "demand.csv", "WEST,CeO2,5,1")
    run = reeopt("validate", folder)
    assert run.code == 2 and "'WEST' is not a known region" in run.err


def test_several_problems_are_reported_together(tmp_path, reeopt):
    folder = copy_instance("toy", tmp_path)
    replace_line(folder / "processes.csv", 2, "mining_light,NORTH,-1,x,20,10,10")
    run = reeopt("validate", folder)
    assert "column 'capacity'" in run.err and "column 'cost_system'" in run.err


def test_bad_input_in_a_real_process_shows_no_traceback(tmp_path):
    folder = copy_instance("toy", tmp_path)
    replace_line(folder / "processes.csv", 3, "mining_heavy,SOUTH,lots,180,60,30,30")
    run = run_process("solve", folder, "--out", tmp_path / "out")
    assert run.code == 2
    assert "processes.csv, line 3, column 'capacity'" in run.err.replace("\n", " ")
    assert "Traceback" not in run.err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "args",
    [["solve"], ["solve", "toy", "--objective", "profit"], ["frobnicate"], ["solve", "toy", "--time-limit", "-1"]],
)
def test_bad_usage_exits_2(reeopt, args):
    assert reeopt(*args).code == 2
