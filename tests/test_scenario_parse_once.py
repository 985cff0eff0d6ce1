"""A scenario file is parsed once per text: re-applying it reads the parse, an edit is read anew."""

from __future__ import annotations

from optimizer.instance import load_instance
from optimizer.scenario import apply_scenario
from optimizer.yamlio import load_yaml
from tests.builders import copy_instance

BAN = "name: ban\nchanges:\n  - table: trade\n    set: {{capacity: {capacity}}}\n"


def test_an_edited_scenario_file_is_read_again(tmp_path):
    """toy with a scenario setting every trade capacity: applied twice it gives the same capacities;
    after the file is rewritten with another capacity, applying it gives the new one."""
    folder = copy_instance("toy", tmp_path)
    scenario = folder / "scenarios" / "ban.yaml"
    scenario.write_text(BAN.format(capacity=3))
    toy = load_instance(folder)
    assert set(apply_scenario(toy, "ban").tables["trade"]["capacity"]) == {3.0}
    assert set(apply_scenario(toy, "ban").tables["trade"]["capacity"]) == {3.0}
    scenario.write_text(BAN.format(capacity=7))
    assert set(apply_scenario(toy, "ban").tables["trade"]["capacity"]) == {7.0}


def test_changing_what_was_read_does_not_change_the_next_read(tmp_path):
    """The data handed out is the caller's own copy: changing it leaves the next read as the file says."""
    path = tmp_path / "s.yaml"
    path.write_text(BAN.format(capacity=3))
    data, lines = load_yaml(path)
    data["changes"][0]["set"]["capacity"] = 99
    lines.clear()
    again, lines_again = load_yaml(path)
    assert again["changes"][0]["set"]["capacity"] == 3
    assert lines_again[("changes", 0, "set")] == 4
