"""Hostile input (issue 12): each class of file that once gave a wrong answer with exit 0, an internal
error, or lost a file, now refused as bad input (exit 2, the file and line named) or handled exactly.

Instances are the toy (README of instances/toy) or a few generated rows; nothing here solves more than
the toy, and the memory guard refuses from the raw tables without expanding them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from optimizer.errors import InputError
from optimizer.instance import load_instance
from tests.builders import copy_instance

PROCESSES_HEADER = "process,region,capacity,cost_system,cost_energy,cost_material,cost_waste"
TOY_PROCESSES = [
    "mining_light,NORTH,1000,60,20,10,10",
    "mining_heavy,SOUTH,200,180,60,30,30",
    "separation_light,NORTH,,120,40,30,10",
    "separation_heavy,SOUTH,,300,100,60,40",
    "magnet_making,EAST,,600,200,150,50",
]


def toy_with_processes(tmp_path: Path, rows: list[str], header: str = PROCESSES_HEADER) -> Path:
    folder = copy_instance("toy", tmp_path)
    (folder / "processes.csv").write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return folder


def refused(folder: Path) -> str:
    with pytest.raises(InputError) as error:
        load_instance(folder)
    return str(error.value)


# 1. Ragged CSV rows -------------------------------------------------------------------------------


def test_row_with_fewer_cells_than_header_is_refused_at_its_line(tmp_path, reeopt):
    """mining_heavy written without its costs once read as cost 0 (a cheaper optimum, exit 0)."""
    rows = list(TOY_PROCESSES)
    rows[1] = "mining_heavy,SOUTH,200"
    folder = toy_with_processes(tmp_path, rows)
    message = refused(folder)
    assert "processes.csv, line 3: has 3 cells but the header has 7" in message
    run = reeopt("solve", folder, "--out", tmp_path / "out", "-q")
    assert run.code == 2 and "line 3" in run.err and not (tmp_path / "out").exists()


def test_trailing_comma_on_one_row_is_refused_at_that_line_not_shifted(tmp_path):
    rows = list(TOY_PROCESSES)
    rows[3] = rows[3] + ","
    message = refused(toy_with_processes(tmp_path, rows))
    assert "processes.csv, line 5: has 8 cells but the header has 7" in message
    assert "trailing comma" in message


def test_trailing_comma_on_every_row_is_refused_not_read_as_an_index(tmp_path):
    """pandas takes a file whose every row has one cell more than the header as having an index column,
    which shifts every value one column left: capacity 1000 became cost 60."""
    message = refused(toy_with_processes(tmp_path, [row + "," for row in TOY_PROCESSES]))
    assert "processes.csv, line 2: has 8 cells" in message and "line 6: has 8 cells" in message


def test_unquoted_thousands_separator_names_its_own_line(tmp_path):
    rows = list(TOY_PROCESSES)
    rows[0] = "mining_light,NORTH,1,000,60,20,10,10"
    message = refused(toy_with_processes(tmp_path, rows))
    assert message.startswith(f"{folder_part(tmp_path)}processes.csv, line 2: has 8 cells")
    assert "line 3" not in message


def test_quoted_line_break_keeps_the_lines_of_later_rows(tmp_path):
    """A quoted cell over two lines is one record; the error of the next row names its physical line."""
    folder = copy_instance("toy", tmp_path)
    (folder / "regions.csv").write_text(
        'region,name,bloc\nNORTH,"Northern\nmining",north\nSOUTH,Southern,south,extra\nEAST,Eastern,east\n'
    )
    assert "regions.csv, line 4: has 4 cells but the header has 3" in refused(folder)


def folder_part(tmp_path: Path) -> str:
    from optimizer.errors import display_name

    return display_name(tmp_path / "toy") + "/"


# 10. Internal errors on bad input: hidden line breaks ---------------------------------------------


@pytest.mark.parametrize("character", ["\u2028", "\u2029", "\x85", "\x0b", "\x1e"])
def test_unicode_line_separator_in_header_is_refused_as_input(tmp_path, reeopt, character):
    header = PROCESSES_HEADER.replace("capacity", f"capa{character}city")
    folder = toy_with_processes(tmp_path, TOY_PROCESSES, header=header)
    assert f"processes.csv, line 1: contains the control character U+{ord(character):04X}" in refused(folder)
    assert reeopt("validate", folder).code == 2


# 2. YAML 1.1 implicit typing ----------------------------------------------------------------------


def norway_instance(tmp_path: Path) -> Path:
    """The toy with its NORTH region renamed NO (Norway's ISO code) everywhere."""
    folder = copy_instance("toy", tmp_path)
    for path in folder.glob("*.csv"):
        path.write_text(path.read_text().replace("NORTH", "NO"))
    (folder / "scenarios").mkdir(exist_ok=True)
    return folder


def test_region_named_NO_in_a_scenario_is_the_region_not_false(tmp_path):
    """``where: {origin: NO}`` once read NO as the boolean false: the where matched no row, and its
    ``{not: NO}`` form matched every row, NO's too (a wrong scenario, exit 0)."""
    from optimizer.scenario import apply_scenario

    folder = norway_instance(tmp_path)
    (folder / "scenarios" / "no_ban.yaml").write_text(
        "changes:\n"
        "  - table: trade\n    where: {commodity: NdPr_oxide, origin: NO}\n    set: {capacity: 0}\n"
        "  - table: trade\n    where: {commodity: NdPr_oxide, origin: {not: NO}}\n    set: {cost: 81}\n"
        "  - table: demand\n    where: {region: EAST}\n    set: {quantity: 1.0e2}\n"
    )
    changed = apply_scenario(load_instance(folder), "no_ban").table("trade").set_index(["commodity", "origin"])
    assert changed.loc[("NdPr_oxide", "NO"), "capacity"] == 0.0
    assert changed.loc[("NdPr_oxide", "NO"), "cost"] == 50.0
    assert changed.loc[("NdPr_oxide", "SOUTH"), "cost"] == 81.0


@pytest.mark.parametrize("word", ["NO", "YES", "on", "OFF", "y", "n"])
def test_yaml_1_1_booleans_stay_strings_and_1e12_is_a_number(tmp_path, word):
    from optimizer.yamlio import load_yaml

    path = tmp_path / "x.yaml"
    path.write_text(f"name: {word}\nvalues: [{word}, 1.0e12, 1e3, true, 010]\n")
    data, _ = load_yaml(path)
    assert data == {"name": word, "values": [word, 1e12, 1000.0, True, 10]}


def test_uncertainty_spec_reads_region_NO_as_a_name(tmp_path):
    from optimizer.uncertainty import load_spec

    path = tmp_path / "spec.yaml"
    path.write_text(
        "inputs:\n  - name: no_cost\n    table: trade\n    where: {origin: NO, destination: [ON, y]}\n"
        "    column: cost\n    scale: {uniform: [0.5, 1.5]}\n"
    )
    spec = load_spec(path)
    assert spec.inputs[0].where == {"origin": "NO", "destination": ["ON", "y"]}


def test_duplicate_yaml_key_is_refused_naming_both_lines(tmp_path):
    folder = copy_instance("toy", tmp_path)
    (folder / "scenarios" / "twice.yaml").write_text(
        "changes:\n  - table: trade\n    where: {commodity: NdPr_oxide}\n    set: {cost: 1}\n    set: {cost: 99}\n"
    )
    from optimizer.scenario import apply_scenario

    with pytest.raises(
        InputError, match=r"twice.yaml, line 5: key 'set' appears twice in one mapping \(first on line 4"
    ):
        apply_scenario(load_instance(folder), "twice")


# 10. Internal errors on bad input: YAML -----------------------------------------------------------


def test_deeply_nested_yaml_is_input_not_recursion_error(tmp_path, reeopt):
    folder = copy_instance("toy", tmp_path)
    (folder / "scenarios" / "deep.yaml").write_text("changes: " + "[" * 5000 + "]" * 5000 + "\n")
    run = reeopt("solve", folder, "-s", "deep", "--out", tmp_path / "out", "-q")
    assert run.code == 2 and "deep.yaml" in run.err and "nested too deeply" in run.err


def test_integer_of_hundreds_of_digits_is_input_not_overflow(tmp_path, reeopt):
    folder = copy_instance("toy", tmp_path)
    (folder / "scenarios" / "huge.yaml").write_text(
        "changes:\n  - table: trade\n    where: {commodity: NdPr_oxide}\n    set: {cost: " + "9" * 400 + "}\n"
    )
    run = reeopt("solve", folder, "-s", "huge", "--out", tmp_path / "out", "-q")
    assert run.code == 2 and "huge.yaml, line 4" in run.err and "digits" in run.err


def test_integer_of_hundreds_of_digits_in_a_csv_is_out_of_range(tmp_path):
    rows = list(TOY_PROCESSES)
    rows[0] = "mining_light,NORTH," + "9" * 400 + ",60,20,10,10"
    assert "processes.csv, line 2, column 'capacity'" in refused(toy_with_processes(tmp_path, rows))


def test_instance_yaml_that_is_a_folder_is_input(tmp_path, reeopt):
    folder = copy_instance("toy", tmp_path)
    (folder / "instance.yaml").unlink()
    (folder / "instance.yaml").mkdir()
    run = reeopt("validate", folder)
    assert run.code == 2 and "instance.yaml: is a folder" in run.err


# 3. Results folders that collide ------------------------------------------------------------------


def test_scenario_names_differing_only_in_non_ascii_get_distinct_folders():
    from optimizer.output.results import default_out, folder_name

    names = ["中国出口管制", "中国进口管制", "ban 🇨🇳", "ban 🇯🇵", "a/b", "a_b", "a:b"]
    folders = [default_out("toy", name) for name in names]
    assert len(set(folders)) == len(names)
    assert folder_name("中国出口管制") == "中国出口管制"  # letters of any script are kept as they are
    assert all(folder.parts[0] == "results" and len(folder.parts) == 3 for folder in folders)


def test_two_chinese_scenarios_solved_in_one_run_keep_both_folders(tmp_path, reeopt, monkeypatch):
    folder = copy_instance("toy", tmp_path)
    for file, name in (("a.yaml", "中国出口管制"), ("b.yaml", "中国进口管制")):
        (folder / "scenarios" / file).write_text(
            f"name: {name}\nchanges:\n  - table: demand\n    where: {{region: EAST}}\n    set: {{quantity: 10}}\n"
        )
    monkeypatch.chdir(tmp_path)
    assert reeopt("solve", folder, "-s", "a", "-s", "b", "-q").code == 0
    written = sorted(p.name for p in (tmp_path / "results" / "toy").iterdir() if not p.name.startswith("."))
    assert written == ["中国出口管制", "中国进口管制"]


# 4. Paths with glob characters --------------------------------------------------------------------


def test_out_named_star_leaves_other_folders_leftovers_alone(tmp_path):
    """``--out 'dir/*'`` once globbed ``.*.old-*`` and ``.*.tmp-*``: another run's staging folder (and a
    crashed run's moved-aside folder, renamed into the new ``*``) were taken as its own."""
    from optimizer.output.results import write_folder

    other_staging = tmp_path / ".real.tmp-4242-abcdefgh"
    other_aside = tmp_path / ".real.old-4242"
    for leftover in (other_staging, other_aside):
        leftover.mkdir()
        (leftover / "summary.json").write_text("{}")
    write_folder(tmp_path / "*", {"a.csv": "x\n1\n"})
    assert other_staging.is_dir() and other_aside.is_dir()
    assert (tmp_path / "*" / "a.csv").read_text() == "x\n1\n"


def test_out_with_brackets_cleans_its_own_leftovers_and_no_others(tmp_path):
    """``run[1]`` as a glob matches ``.run1.old-*`` (another folder's) and misses ``.run[1].old-*``."""
    from optimizer.output.results import write_folder

    mine = tmp_path / ".run[1].tmp-7-abcdefgh"
    theirs = tmp_path / ".run1.old-7"
    mine.mkdir()
    theirs.mkdir()
    write_folder(tmp_path / "run[1]", {"a.csv": "x\n1\n"})
    assert not mine.exists() and theirs.is_dir()


def test_similar_names_are_not_leftovers(tmp_path):
    """Folder ``a`` must not clean up the staging folder of folder ``a.tmp-1`` (a prefix of its name)."""
    from optimizer.output.results import write_folder

    lookalike = tmp_path / ".a.tmp-1.tmp-5-abcdefgh"
    lookalike.mkdir()
    write_folder(tmp_path / "a", {"a.csv": "x\n1\n"})
    assert lookalike.is_dir()


# 5. Foreign folders -------------------------------------------------------------------------------


def test_folder_with_a_foreign_summary_json_is_not_replaced(tmp_path, reeopt):
    foreign = tmp_path / "other_tool"
    foreign.mkdir()
    (foreign / "summary.json").write_text('{"written_by": "another program"}')
    (foreign / "data.bin").write_bytes(b"precious")
    run = reeopt("solve", "toy", "--out", foreign, "-q")
    assert run.code == 2 and "no .reeopt marker" in run.err
    assert sorted(p.name for p in foreign.iterdir()) == ["data.bin", "summary.json"]


@pytest.mark.parametrize("marker", ["fake", "link"])
def test_a_marker_that_is_not_reeopts_does_not_make_a_folder_replaceable(tmp_path, marker):
    from optimizer.output.results import MARKER, write_folder

    foreign = tmp_path / "other"
    foreign.mkdir()
    (foreign / "keep.txt").write_text("mine")
    if marker == "fake":
        (foreign / MARKER).write_text("some other program's dotfile\n")
    else:
        (tmp_path / "elsewhere").write_text("written by reeopt, run 0\n")
        (foreign / MARKER).symlink_to(tmp_path / "elsewhere")
    with pytest.raises(InputError, match="refusing to replace it"):
        write_folder(foreign, {"a.csv": "x\n1\n"})
    assert (foreign / "keep.txt").read_text() == "mine"


def test_a_folder_reeopt_wrote_carries_a_run_id_and_is_replaced(tmp_path):
    from optimizer.output.results import MARKER, write_folder

    out = tmp_path / "res"
    write_folder(out, {"a.csv": "x\n1\n"})
    first = (out / MARKER).read_text()
    write_folder(out, {"a.csv": "x\n2\n"})
    assert first.startswith("written by reeopt, run ") and (out / MARKER).read_text() != first
    assert (out / "a.csv").read_text() == "x\n2\n"


# 10. Internal errors on bad input: --out that cannot be written -----------------------------------


def test_out_under_a_file_is_refused_before_solving(tmp_path, reeopt, monkeypatch):
    (tmp_path / "plain.txt").write_text("a file")
    import optimizer.api

    monkeypatch.setattr(optimizer.api, "Study", None)  # building or solving would fail loudly
    run = reeopt("solve", "toy", "--out", tmp_path / "plain.txt" / "deeper" / "out", "-q")
    assert run.code == 2 and "which is a file" in run.err


def test_out_in_a_read_only_folder_is_refused_before_solving(tmp_path, monkeypatch):
    from optimizer.output import results

    monkeypatch.setattr(results.os, "access", lambda path, mode: False)  # as for a user without rights
    with pytest.raises(InputError, match="cannot be written"):
        results.check_replaceable(tmp_path / "out")


# 6. Memory guard before any expansion -------------------------------------------------------------


def many_regions(tmp_path: Path, n_regions: int, periods) -> Path:
    """The toy's chain, with ``n_regions`` regions, magnets made and wanted in each, and CeO2 traded ``*,*``."""
    folder = copy_instance("toy", tmp_path)
    names = [f"R{i}" for i in range(n_regions)]
    (folder / "regions.csv").write_text("region\n" + "\n".join(["NORTH", "SOUTH", "EAST", *names]) + "\n")
    with (folder / "processes.csv").open("a") as handle:
        handle.writelines(f"magnet_making,{name},,600,200,150,50\n" for name in names)
    with (folder / "demand.csv").open("a") as handle:
        handle.writelines(f"{name},ndfeb_magnet,1,3000\n" for name in names)
    settings = (folder / "instance.yaml").read_text().replace("periods: [2025]", f"periods: {periods}")
    (folder / "instance.yaml").write_text(settings)
    return folder


@pytest.mark.parametrize(
    ("n_regions", "periods"), [(5000, "[2025]"), (400, "{start: 1001, end: 2000}")], ids=["5000 regions", "400x1000"]
)
def test_memory_guard_refuses_from_the_raw_tables_before_expanding(tmp_path, reeopt, monkeypatch, n_regions, periods):
    """5,003 regions and one ``CeO2,*,*`` row are 25 million links: refused from the row count alone.
    Expanding a table or building the graph would fail this test (the expansion is replaced by a trap)."""
    import optimizer.instance.instance as instance_module

    folder = many_regions(tmp_path, n_regions, periods)
    monkeypatch.setenv("REEOPT_MEMORY_LIMIT_MB", "2000")

    def trap(*args, **kwargs):
        raise AssertionError("a table was expanded before the size was estimated")

    monkeypatch.setattr(instance_module, "expand_table", trap)
    for command in (["validate", folder], ["solve", folder, "--out", tmp_path / "out", "-q"]):
        run = reeopt(*command)
        assert run.code == 2, run.err
        assert "the model would need about" in run.err and "MB of memory" in run.err and "2,000 MB" in run.err
    assert not (tmp_path / "out").exists()


def test_raw_estimate_bounds_the_expanded_count(tmp_path):
    """On an instance that fits, the raw estimate is at least what the expanded tables count."""
    from optimizer.instance.size import estimate_nonzeros as raw
    from optimizer.numerics import estimate_nonzeros as expanded

    instance = load_instance(many_regions(tmp_path, 20, "[2025, 2030]"))
    assert raw(instance) >= expanded(instance) > 0


# 7. Discounting over long horizons ----------------------------------------------------------------


def one_mine(tmp_path: Path, **settings) -> Path:
    """One region A, a mine making metal at 10 per t, 1 t of metal demanded in every period."""
    from tests.builders import write_instance

    return write_instance(
        tmp_path / "mine",
        regions=["A"],
        commodities=[{"commodity": "metal", "stage": "metal"}],
        process_io=[{"process": "mine", "commodity": "metal", "direction": "out", "coefficient": 1}],
        processes=[{"process": "mine", "region": "A", "capacity": 100, "cost_system": 10}],
        demand=[{"region": "A", "commodity": "metal", "quantity": 1}],
        **settings,
    )


def test_sixty_years_at_fifty_percent_is_refused_not_drifting(tmp_path, reeopt):
    """1.5**60 = 3.7e10: the last years' costs weigh less than HiGHS's tolerances."""
    folder = one_mine(tmp_path, periods={"start": 2025, "end": 2085, "step": 5}, discount_rate=0.5, base_year=2025)
    run = reeopt("solve", folder, "--out", tmp_path / "out", "-q")
    assert run.code == 2 and "instance.yaml" in run.err and "column 'discount_rate'" in run.err
    assert "more than the solver resolves" in run.err and not (tmp_path / "out").exists()


@pytest.mark.parametrize(("base_year", "periods"), [(9999, [1, 2]), (1, [9999]), (9999, [1])])
def test_extreme_base_years_are_input_errors_not_overflow(tmp_path, base_year, periods):
    folder = one_mine(tmp_path, periods=periods, discount_rate=1.0, base_year=base_year)
    with pytest.raises(InputError, match="discount_rate"):
        load_instance(folder)


def test_marginal_values_stay_exact_at_the_largest_span_accepted(tmp_path):
    """Rate 0.9 over 2025 and 2045: weights 1 and 1.9**-20 = 2.6e-6 (span 3.8e5, accepted). The mine is the
    only supply, so 1 t is mined each period and the marginal value of metal is its cost, 10 per t,
    undiscounted, in the last period as in the first."""
    import optimizer

    solution = optimizer.solve(one_mine(tmp_path, periods=[2025, 2045], discount_rate=0.9, base_year=2025))
    balance = solution["balance"].set_index(["region", "commodity", "period"])["marginal_value"]
    assert balance[("A", "metal", 2025)] == pytest.approx(10.0, rel=1e-9)
    assert balance[("A", "metal", 2045)] == pytest.approx(10.0, rel=1e-6)
    weights = load_instance(tmp_path / "mine").discount_factors
    assert weights == pytest.approx((1.0, 1.9**-20), rel=1e-12)


# 8. Scenario values pass the reader's checks ------------------------------------------------------


def scenario_error(tmp_path: Path, changes: str) -> str:
    from optimizer.scenario import apply_scenario

    folder = copy_instance("toy", tmp_path)
    (folder / "scenarios" / "x.yaml").write_text("changes:\n" + changes)
    with pytest.raises(InputError) as error:
        apply_scenario(load_instance(folder), "x")
    return str(error.value)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            "{table: processes, where: {process: mining_light}, set: {cost_system: 1.0e300}}",
            "change 2 (table processes, set cost_system): 1e+300 is out of range",
        ),
        (
            "{table: demand, where: {region: EAST}, scale: {quantity: 1.0e11}}",
            "change 2 (table demand, scale quantity): 1e+13 is out of range",
        ),
        (
            "{table: process_io, where: {process: magnet_making}, scale: {coefficient: 0}}",
            "change 2 (table process_io, scale coefficient): 0 is out of range",
        ),
        (
            "{table: trade, where: {commodity: CeO2}, set: {loss: 0.5}}",
            None,  # a loss of 0.5 is fine; scaled by 3 below it is not
        ),
        (
            "{table: processes, where: {process: mining_light}, set: {unit_size: 0}}",
            "change 2 (table processes, set unit_size): 0 is out of range",
        ),
        (
            "{table: processes, where: {process: mining_light}, scale: {cost_system: 1.0e11}}",
            "change 2 (table processes, scale cost_system): 6e+12 is out of range",
        ),
        (
            "{table: processes, where: {process: mining_light}, set: {capacity: 12345678901234567890}}",
            "change 2 (table processes, set capacity): 12345678901234567890 is out of range",
        ),
    ],
)
def test_every_value_a_scenario_writes_passes_the_readers_checks(tmp_path, change, expected):
    """Each once reached the model: 1e300 costs crashed HiGHS (exit 1), a zero coefficient or unit size
    divided by zero, 1e13 tonnes made the model "infeasible". A scale factor is itself a number <= 1e12."""
    first = "  - {table: trade, where: {commodity: CeO2}, set: {cost: 31}}\n"
    if expected is None:
        change2 = change
        changes = first + f"  - {change2}\n  - {{table: trade, where: {{commodity: CeO2}}, scale: {{loss: 3}}}}\n"
        message = scenario_error(tmp_path, changes)
        assert "x.yaml, line 4: change 3 (table trade, scale loss): 1.5 is out of range" in message
        return
    message = scenario_error(tmp_path, first + f"  - {change}\n")
    assert "x.yaml, line 3: " + expected in message


def test_added_rows_pass_the_readers_checks(tmp_path):
    message = scenario_error(
        tmp_path, "  - table: demand\n    add: [{region: NORTH, commodity: ndfeb_magnet, quantity: 1.0e25}]\n"
    )
    assert "x.yaml, line 3: change 1 (table demand, add quantity): 1e+25 is out of range" in message


def test_empty_where_is_an_error_not_every_row(tmp_path):
    message = scenario_error(tmp_path, "  - table: trade\n    where: {}\n    set: {capacity: 0}\n")
    assert "x.yaml, line 3, column 'where': change 1: where is empty" in message


# 11. The Python API checks its arguments as the command line does ---------------------------------


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda api: api.solve("toy", objective="profit"), "--objective must be cost or value, not 'profit'"),
        (lambda api: api.solve("toy", time_limit=-1), "--time-limit must be a number >= 0"),
        (lambda api: api.solve("toy", mip_gap=float("nan")), "--mip-gap must be a number >= 0"),
        (lambda api: api.solve("toy", export_model="model.txt"), "--export-model needs a .lp or .mps file"),
        (lambda api: api.compare("toy", "north_export_ban"), "compare takes a list of scenarios"),
        (lambda api: api.routes("toy", "ndfeb_magnet", "EAST", avoid=("ATLANTIS",)), "unknown region 'ATLANTIS'"),
        (lambda api: api.routes("toy", "ndfeb_magnet", "EAST", avoid=[1]), "--avoid takes region names"),
        (lambda api: api.routes("toy", "ndfeb_magnet", "EAST", period=1999), "--period 1999 is not a period"),
        (lambda api: api.routes("toy", "ndfeb_magnet", "EAST", k=0), "--k must be a whole number >= 1"),
        (lambda api: api.alternatives("toy", slack=float("nan")), "--slack must be >= 0"),
        (lambda api: api.sweep("toy", 0), "--samples must be a whole number >= 1"),
    ],
)
def test_api_refuses_what_the_command_line_refuses(call, message):
    """``solve(objective="profit")`` once returned "optimal" with every demand unmet."""
    import optimizer.api as api

    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(".", r"\.")):
        call(api)


def test_api_avoid_as_a_string_is_one_region_not_its_letters():
    """``avoid="SOUTH"`` was iterated letter by letter; it is the region SOUTH."""
    import optimizer.api as api

    as_string = api.routes("toy", "ndfeb_magnet", "EAST", avoid="SOUTH")
    as_tuple = api.routes("toy", "ndfeb_magnet", "EAST", avoid=("SOUTH",))
    assert as_string["avoiding_solution"].objective == pytest.approx(as_tuple["avoiding_solution"].objective)
    assert as_string["avoiding_solution"].status == as_tuple["avoiding_solution"].status


def test_command_line_objective_check_is_the_apis(reeopt, tmp_path):
    run = reeopt("solve", "toy", "--objective", "profit", "--out", tmp_path / "out")
    assert run.code == 2 and "--objective must be cost or value, not 'profit'" in run.err


# Also: several scenarios, one unknown: nothing is written ----------------------------------------


def test_an_unknown_scenario_among_several_writes_nothing(tmp_path, reeopt, monkeypatch):
    monkeypatch.chdir(tmp_path)
    run = reeopt("solve", "toy", "-s", "base", "-s", "north_export_ban_soft", "-s", "no_such_scenario", "-q")
    assert run.code == 2 and "no_such_scenario" in run.err
    assert not (tmp_path / "results").exists()


def test_a_bad_value_in_the_last_scenario_writes_nothing(tmp_path, reeopt, monkeypatch):
    folder = copy_instance("toy", tmp_path)
    (folder / "scenarios" / "bad.yaml").write_text(
        "changes:\n  - table: trade\n    where: {commodity: CeO2}\n    set: {loss: 2}\n"
    )
    monkeypatch.chdir(tmp_path)
    run = reeopt("solve", folder, "-s", "north_export_ban_soft", "-s", "bad", "-q")
    assert run.code == 2 and "bad.yaml" in run.err
    assert not (tmp_path / "results").exists()


# 12. Hostile results folders ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def toy_results(tmp_path_factory) -> Path:
    import optimizer

    return optimizer.write(optimizer.solve("toy"), tmp_path_factory.mktemp("results") / "toy")


def hostile_copy(toy_results: Path, tmp_path: Path, break_it) -> Path:
    import shutil

    folder = tmp_path / "hostile"
    shutil.copytree(toy_results, folder)
    break_it(folder)
    return folder


def _link_to_outside(folder: Path) -> None:
    secret = folder.parent / "secret.csv"
    secret.write_text("region,commodity,period,marginal_value\nX,Y,2025,1\n")
    (folder / "balance.csv").unlink()
    (folder / "balance.csv").symlink_to(secret)


HOSTILE_FOLDERS = [
    ("summary is a list", lambda f: (f / "summary.json").write_text("[1, 2, 3]"), "summary.json: is a JSON list"),
    ("summary is a number", lambda f: (f / "summary.json").write_text("42"), "summary.json: is a JSON int"),
    ("text in a numeric column", lambda f: _text_in(f / "balance.csv", "marginal_value"), "'lots' is not a number"),
    ("summary is a link", lambda f: _relink(f / "summary.json"), "summary.json: is a symbolic link"),
    ("table is a link", _link_to_outside, "balance.csv: is a symbolic link"),
    ("table is only a newline", lambda f: (f / "trade.csv").write_text("\n\n"), None),
    (
        "table is a folder",
        lambda f: ((f / "trade.csv").unlink(), (f / "trade.csv").mkdir()),
        "trade.csv: is not a regular file",
    ),
    ("table is not UTF-8", lambda f: (f / "trade.csv").write_bytes(b"\xff\xfe\x00x"), "trade.csv: is not UTF-8"),
]


def _text_in(file: Path, column: str) -> None:
    import pandas as pd

    table = pd.read_csv(file, dtype=str, keep_default_na=False)
    table.loc[0, column] = "lots"
    table.to_csv(file, index=False)


def _relink(file: Path) -> None:
    moved = file.with_name("real_summary.json")
    file.rename(moved)
    file.symlink_to(moved)


@pytest.mark.parametrize(
    ("break_it", "expected"), [c[1:] for c in HOSTILE_FOLDERS], ids=[c[0] for c in HOSTILE_FOLDERS]
)
def test_report_and_diff_refuse_hostile_results_folders_naming_the_file(
    toy_results, tmp_path, reeopt, break_it, expected
):
    """Each once crashed ``report`` or ``diff`` (exit 1) or followed a link out of the folder."""
    folder = hostile_copy(toy_results, tmp_path, break_it)
    report = reeopt("report", folder, "--out", tmp_path / "r.html", "-q")
    diff = reeopt("diff", toy_results, folder)
    if expected is None:  # a blank table reads as an empty one, as an absent one does
        assert report.code == 0 and diff.code == 0, report.err + diff.err
        return
    for run in (report, diff):
        assert run.code == 2, run.err
        assert expected in run.err and "internal error" not in run.err
    assert not (tmp_path / "r.html").exists()


# 9. Tiny coefficients and the sourcing trace ------------------------------------------------------


def test_sourcing_trace_survives_a_flow_below_the_solution_tolerance(tmp_path, reeopt):
    """separation_light also yields 1e-12 t Dy2O3 per t (coefficients now span 1 to 1e-12): 1e-10 t at
    NORTH, below the 1e-9 t under which the balance drops a row, once crashed the trace ("negative
    index"). Such a by-product changes nothing a user can see: the optimum and the origin shares of
    EAST's magnets are those of the toy."""
    import optimizer

    folder = copy_instance("toy", tmp_path)
    with (folder / "process_io.csv").open("a") as handle:
        handle.write("separation_light,Dy2O3,out,1e-12\n")
    run = reeopt("solve", folder, "--out", tmp_path / "out", "-q")
    assert run.code == 0, run.err
    tiny, toy = optimizer.solve(folder), optimizer.solve("toy")
    assert tiny.objective == pytest.approx(toy.objective, rel=1e-12)
    columns = ["region", "commodity", "period", "origin_region", "origin_kind"]
    shares = [s["sourcing"].set_index(columns)["share"].sort_index() for s in (tiny, toy)]
    assert shares[0].index.equals(shares[1].index)
    assert shares[0].to_numpy() == pytest.approx(shares[1].to_numpy(), abs=1e-9)


# Also: names that cannot be names -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "reason"),
    [("*", "means every region"), ("A;B", "separates names"), ("north", "only by case"), ("", "cell is blank")],
)
def test_region_names_that_cannot_be_names_are_refused(tmp_path, name, reason):
    folder = copy_instance("toy", tmp_path)
    with (folder / "regions.csv").open("a") as handle:
        handle.write(f"{name},x,x\n")
    message = refused(folder)
    assert "regions.csv, line 5" in message and reason in message


def test_commodity_with_a_list_separator_is_refused(tmp_path):
    folder = copy_instance("toy", tmp_path)
    with (folder / "commodities.csv").open("a") as handle:
        handle.write("Nd;Pr,oxide,t,,,,\n")
    assert "commodities.csv, line 8" in refused(folder)


def test_a_scenario_adding_a_star_region_is_refused(tmp_path):
    message = scenario_error(tmp_path, "  - table: regions\n    add: [{region: '*'}]\n")
    assert (
        "x.yaml, line 3, column 'region': change 1 (rows added to regions.csv)" in message
        and "cannot be a region name" in message
    )


def test_errors_in_rows_a_scenario_added_name_the_scenario_not_the_csv(tmp_path):
    """A trade row from EAST to itself, added by a scenario, was reported at "trade.csv, line 3" (the
    line of the add in the scenario, in the wrong file)."""
    message = scenario_error(
        tmp_path, "  - table: trade\n    add: [{commodity: CeO2, origin: EAST, destination: EAST, cost: 1}]\n"
    )
    assert (
        "x.yaml, line 3, column 'destination': change 1 (rows added to trade.csv): trade from EAST to itself" in message
    )
    assert "trade.csv, line" not in message
