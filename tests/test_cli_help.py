"""``--help`` is readable at any width: nothing cut with an ellipsis, every option's help printed whole
(no text eaten as rich markup), at 60 and at 200 columns."""

from __future__ import annotations

import re
import sys

import click
import pytest
import typer.main
import typer.rich_utils

from optimizer import cli


def commands() -> dict[str, click.Command]:
    group = typer.main.get_command(cli.app)
    return dict(group.commands)


def run_help(monkeypatch, capsys, width: int, *args: str) -> str:
    monkeypatch.setenv("COLUMNS", str(width))
    monkeypatch.setattr(typer.rich_utils, "MAX_WIDTH", width)  # read once, at import, from TERMINAL_WIDTH
    monkeypatch.setattr(sys, "argv", ["reeopt", *args, "--help"])
    with pytest.raises(SystemExit) as exit_info:
        cli.main()
    assert exit_info.value.code in (0, None)
    return capsys.readouterr().out


def words(text: str) -> list[str]:
    """Text without the table's borders and line breaks: the words in order."""
    return re.sub(r"[│╭╮╰╯─]", " ", text).split()


def printed_whole(help_text: str, printed: list[str]) -> bool:
    """Every word of ``help_text`` printed, in order (the other columns of a row may come between)."""
    remaining = iter(printed)
    return all(any(word == seen for seen in remaining) for word in words(help_text))


@pytest.mark.parametrize("width", [60, 80, 100, 200])
def test_every_help_is_printed_whole(monkeypatch, capsys, width):
    """Before: at 80 columns `solve --help` printed "(instances/<name>/scenarios/N…" and
    `compare --help` lost "[default: results/<instance>/]" to rich markup."""
    for name, command in commands().items():
        text = run_help(monkeypatch, capsys, width, name)
        assert "…" not in text, f"{name} --help at {width} columns cuts:\n{text}"
        printed = words(text)
        for parameter in command.params:
            help_text = getattr(parameter, "help", None)
            if help_text:
                assert printed_whole(help_text, printed), f"{name}: '{help_text}' not whole at {width}:\n{text}"


def test_the_top_level_help_lists_every_command(monkeypatch, capsys):
    text = run_help(monkeypatch, capsys, 60)
    assert "…" not in text
    for name in commands():
        assert name in text


@pytest.mark.parametrize(
    "args",
    [
        ("alternatives", "toy", "--slack", "0.1", "--n", "2"),
        ("chokepoints", "toy"),
        ("sweep", "toy", "--samples", "3", "--workers", "0"),
        ("sensitivity", "toy", "--method", "morris", "--samples", "2"),
    ],
    ids=lambda args: args[0],
)
def test_many_run_commands_show_a_progress_bar_with_elapsed_and_remaining_time(reeopt, tmp_path, args):
    """Before: a spinner with the stage's name only. Now runs done of the total, elapsed and remaining."""
    run = reeopt(*args, "--out", tmp_path / args[0])
    assert run.code == 0, run.err
    assert "elapsed" in run.err and "remaining" in run.err, run.err
    assert re.search(r"\b(\d+)/\1\b", run.err), run.err  # finished: N/N
