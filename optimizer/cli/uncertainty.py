"""Commands over many sampled scenarios: sweep, sensitivity."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from optimizer import api
from optimizer.cli.app import (
    ExactOpt,
    InstanceArg,
    QuietOpt,
    SchedulerOpt,
    SeedOpt,
    VaryOpt,
    WorkersOpt,
    app,
    err_console,
    out_console,
)
from optimizer.errors import EXIT_OK
from optimizer.output.console import print_sweep, print_table
from optimizer.output.progress import run_progress
from optimizer.output.results import (
    default_out,
    write_folder,
    write_sweep,
)


@app.command(rich_help_panel="Many sampled scenarios")
def sweep(
    instance: InstanceArg,
    samples: Annotated[int, typer.Option(help="How many samples.", min=1)],
    scenario: Annotated[str | None, typer.Option("--scenario", "-s", help="Scenario to sample around.")] = None,
    vary: VaryOpt = None,
    workers: WorkersOpt = 2,
    scheduler: SchedulerOpt = None,
    seed: SeedOpt = 0,
    exact: ExactOpt = False,
    out: Annotated[
        Path | None, typer.Option(help="Folder (default: sweep/ in the instance's folder of results/).")
    ] = None,
    quiet: QuietOpt = False,
) -> None:
    """Monte Carlo over uncertain inputs on Dask: one row per sample (Parquet and CSV) and a summary."""
    with run_progress(err_console, quiet, "Samples", total=samples) as bar:
        bar.stage("Preparing the sweep")
        table, summary = api.sweep(
            instance,
            samples,
            scenario=scenario,
            vary=vary,
            workers=workers,
            scheduler=scheduler,
            seed=seed,
            exact=exact,
            progress=bar.runs,
        )
        bar.stage("write")
        folder = out or default_out(summary["instance"], "sweep")
        write_sweep(folder, table, summary)
    if not quiet:
        print_sweep(out_console, summary)
        out_console.print(f"Results: {folder}")
    raise typer.Exit(EXIT_OK)


@app.command(rich_help_panel="Many sampled scenarios")
def sensitivity(
    instance: InstanceArg,
    method: Annotated[str, typer.Option(help="morris (screening) or sobol (variance shares).")] = "morris",
    samples: Annotated[
        int, typer.Option(help="Morris trajectories, or Sobol base samples (a power of 2).", min=1)
    ] = 10,
    output: Annotated[
        list[str] | None,
        typer.Option(help="Output to rank inputs for besides the objective, e.g. mv_Dy2O3_JP; repeatable."),
    ] = None,
    scenario: Annotated[str | None, typer.Option("--scenario", "-s", help="Scenario to start from.")] = None,
    vary: VaryOpt = None,
    workers: WorkersOpt = 0,
    scheduler: SchedulerOpt = None,
    seed: SeedOpt = 0,
    out: Annotated[
        Path | None, typer.Option(help="Folder (default: sensitivity/ in the instance's folder of results/).")
    ] = None,
    quiet: QuietOpt = False,
) -> None:
    """Which inputs matter, ranked (SALib Morris or Sobol), for the objective and chosen outputs."""
    with run_progress(err_console, quiet, "Samples") as bar:
        bar.stage("Preparing the design")
        ranking, solved = api.sensitivity(
            instance,
            method,
            samples=samples,
            outputs=output,
            scenario=scenario,
            vary=vary,
            workers=workers,
            scheduler=scheduler,
            seed=seed,
            progress=bar.runs,
        )
        bar.stage("write")
        folder = out or default_out(api.load(instance).name, "sensitivity")
        write_folder(
            folder,
            {
                "sensitivity.csv": ranking.to_csv(index=False, float_format="%.15g"),
                "samples.csv": solved.to_csv(index=False, float_format="%.15g"),
            },
        )
    if not quiet:
        print_table(out_console, ranking, f"Sensitivity ({method}): inputs ranked per output")
        out_console.print(f"Results: {folder}")
    raise typer.Exit(EXIT_OK)
