"""The stochastic build-out: ``reeopt hedge INSTANCE -s A:p -s B:q [--decide-until YEAR] [--cvar A:W]``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from optimizer import api
from optimizer.cli.app import InstanceArg, QuietOpt, app, err_console, out_console
from optimizer.errors import EXIT_OK
from optimizer.hedge import parse_cvar, parse_weighted
from optimizer.output.console import money, print_table
from optimizer.output.progress import progress
from optimizer.output.results import check_replaceable, default_out


@app.command(rich_help_panel="Questions across runs")
def hedge(
    instance: InstanceArg,
    scenario: Annotated[
        list[str],
        typer.Option("--scenario", "-s", help="NAME:PROBABILITY, e.g. base:0.7; repeat (probabilities sum to 1)."),
    ],
    decide_until: Annotated[
        int | None,
        typer.Option(
            help="Builds commissioned before this year are decided now, for all scenarios (default: the second period)."
        ),
    ] = None,
    cvar: Annotated[
        str | None,
        typer.Option(help="ALPHA:WEIGHT: add WEIGHT x CVaR_ALPHA of the scenario costs to the expected cost."),
    ] = None,
    mip_gap: Annotated[float | None, typer.Option(help="Relative MIP gap of every solve (lumpy builds).")] = None,
    out: Annotated[
        Path | None, typer.Option(help="Folder (default: hedge/ in the instance's folder of results/).")
    ] = None,
    quiet: QuietOpt = False,
) -> None:
    """What to build before the future is known (FORMULATION.md E4): the hedged plan, RP, WS, EVPI, VSS."""
    scenarios = parse_weighted(scenario)
    risk = parse_cvar(cvar) if cvar is not None else None
    folder = out or default_out(api.load(instance).name, "hedge")
    check_replaceable(folder)
    with progress(err_console, quiet) as step:
        result = api.hedge(instance, scenarios, decide_until=decide_until, cvar=risk, mip_gap=mip_gap, progress=step)
        step("write")
        api.write_hedge(result, folder)
    if not quiet:
        print_hedge(result)
        out_console.print(f"Results: {folder}")
    raise typer.Exit(EXIT_OK)


def print_hedge(result) -> None:
    summary = result.summary
    currency = summary["currency"]
    figures = [("RP (hedged)", summary["rp"]), ("WS (perfect foresight)", summary["ws"]), ("EVPI", summary["evpi"])]
    figures += [(f"VSS of {label}'s plan", value) for label, value in summary["vss"].items()]
    table = pd.DataFrame(
        {
            "figure": [name for name, _ in figures],
            "value": [value if isinstance(value, str) else money(value, currency) for _, value in figures],
        }
    )
    title = f"{summary['instance']}: builds before {summary['decide_until']} decided for " + ", ".join(
        f"{label} ({p:g})" for label, p in summary["probabilities"].items()
    )
    print_table(out_console, table, title)
    if not result.builds.empty:
        builds = result.builds.groupby(["process", "region"], as_index=False)["built"].sum()
        print_table(out_console, builds, f"Hedged builds before {summary['decide_until']} (t/yr, summed over years)")
    for note in summary["notes"]:
        out_console.print(f"note: {note}", highlight=False)
