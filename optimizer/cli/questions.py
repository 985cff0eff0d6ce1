"""Commands that answer questions across runs: compare, routes, alternatives, chokepoints, diff."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from optimizer import api
from optimizer.cli.app import (
    ExactOpt,
    InstanceArg,
    QuietOpt,
    app,
    err_console,
    exit_code,
    out_console,
)
from optimizer.errors import EXIT_OK
from optimizer.output.console import (
    print_comparison,
    print_diff,
    print_routes,
    print_table,
    progress,
)
from optimizer.output.results import (
    default_out,
    folder_name,
    write_table,
)


@app.command(rich_help_panel="Questions across runs")
def compare(
    instance: InstanceArg,
    scenario: Annotated[
        list[str], typer.Option("--scenario", "-s", help="Scenario to compare; repeat (the first is the reference).")
    ],
    objective: Annotated[str | None, typer.Option(help="cost or value (default: the instance's).")] = None,
    out: Annotated[
        Path | None,
        typer.Option(help="Folder for the results folders and comparison.csv (default results/<instance>/)."),
    ] = None,
    quiet: QuietOpt = False,
    solver: Annotated[
        list[str] | None,
        typer.Option("--solver", help="Solver to run each scenario with; repeat to compare solvers (default highs)."),
    ] = None,
    engine: Annotated[str, typer.Option(help="pyomo (default) or arrays (highs only).")] = "pyomo",
) -> None:
    """Solve several scenarios on one model, write their results and comparison.csv, print them side by side."""
    with progress(err_console, quiet) as step:
        solutions, table = api.compare(
            instance, scenario, objective=objective, progress=step, solvers=solver, engine=engine
        )
        step("write")
        folder = out or default_out(solutions[0].instance.name)
        several = "solver" in table
        for solution, name in zip(solutions, table["solver"] if several else [None] * len(solutions), strict=True):
            suffix = f"__{name}" if several else ""
            api.write(solution, folder / (folder_name(solution.instance.scenario) + suffix))
        write_table(table, folder / "comparison.csv")
    if not quiet:
        print_comparison(out_console, table)
        out_console.print(f"Results: {folder}")
    raise typer.Exit(max(exit_code(s.status, bool(s.tables)) for s in solutions))


@app.command(rich_help_panel="Questions across runs")
def routes(
    instance: InstanceArg,
    commodity: Annotated[str, typer.Option(help="The commodity fed into the region, e.g. Dy2O3.")],
    region: Annotated[str, typer.Option(help="The region it is fed into, e.g. JP.")],
    period: Annotated[int | None, typer.Option(help="Year (default: the last period).")] = None,
    avoid: Annotated[list[str] | None, typer.Option(help="Cut this region out (repeatable) and re-solve.")] = None,
    k: Annotated[int, typer.Option(help="How many routes to list.", min=1)] = 10,
    out: Annotated[
        Path | None, typer.Option(help="Folder for routes.csv (default results/<instance>/routes/).")
    ] = None,
    quiet: QuietOpt = False,
) -> None:
    """The supply routes that feed a commodity into a region, cheapest first (optionally avoiding regions)."""
    avoided = tuple(avoid or ())
    with progress(err_console, quiet) as step:
        step("solve")
        found = api.routes(instance, commodity, region, period=period, avoid=avoided, k=k)
        step("write")
        optimum = found["optimum_solution"]
        tables = [found["optimum"].assign(run="optimum")]
        if avoided:
            tables.append(found["avoiding"].assign(run="avoiding_" + "_".join(avoided)))
        folder = out or default_out(optimum.instance.name, "routes")
        path = write_table(pd.concat(tables, ignore_index=True), folder / "routes.csv")
    if not quiet:
        print_routes(out_console, found, commodity, region, avoided)
        out_console.print(f"Routes: {path}")
    status = found["avoiding_solution"].status if avoided else optimum.status
    raise typer.Exit(max(exit_code(optimum.status, True), exit_code(status, True)))


@app.command(rich_help_panel="Questions across runs")
def alternatives(
    instance: InstanceArg,
    scenario: Annotated[str | None, typer.Option("--scenario", "-s", help="Scenario to start from.")] = None,
    slack: Annotated[float, typer.Option(help="Cost allowed above the optimum, as a fraction (0.05 = 5%).")] = 0.05,
    n: Annotated[int, typer.Option("--n", help="How many alternatives.", min=1)] = 6,
    out: Annotated[
        Path | None, typer.Option(help="Folder for alternatives.csv (default results/<instance>/alternatives/).")
    ] = None,
    quiet: QuietOpt = False,
) -> None:
    """Near-optimal sourcing portfolios: within --slack of least cost, as different as can be in origin."""
    with progress(err_console, quiet) as step:
        step("solve")
        solutions, table = api.alternatives(instance, scenario, slack=slack, count=n)
        step("write")
        folder = out or default_out(solutions[0].instance.name, "alternatives")
        path = write_table(table, folder / "alternatives.csv")
    if not quiet:
        print_comparison(out_console, table.drop(columns="direction"))
        out_console.print(f"Alternatives: {path}")
    raise typer.Exit(EXIT_OK)


@app.command(rich_help_panel="Questions across runs")
def chokepoints(
    instance: InstanceArg,
    period: Annotated[int | None, typer.Option(help="Cut elements in this year only (default: every period).")] = None,
    top: Annotated[int, typer.Option(help="How many to print.", min=1)] = 15,
    exact: ExactOpt = False,
    out: Annotated[
        Path | None,
        typer.Option(help="Folder for chokepoints.csv and min_cuts.csv (default results/<instance>/chokepoints/)."),
    ] = None,
    quiet: QuietOpt = False,
) -> None:
    """N-1 analysis: cut each mine, plant, link and region's processing in turn; rank by cost and unmet demand."""
    with progress(err_console, quiet) as step:
        found = api.chokepoints(
            instance, period, progress=lambda done, total: step(f"Cutting {done + 1}/{total}"), exact=exact
        )
        step("write")
        folder = out or default_out(found["optimum"].instance.name, "chokepoints")
        write_table(found["ranking"], folder / "chokepoints.csv")
        write_table(found["min_cuts"], folder / "min_cuts.csv")
    if not quiet:
        print_table(out_console, found["ranking"].head(top), "Chokepoints: cost and unmet demand if it failed")
        if found["relaxed"]:
            out_console.print("Lumpy builds were relaxed to continuous for this screening (--exact to keep them).")
        for row in found["min_cuts"].itertuples(index=False):
            out_console.print(f"All supply of {row.demand} passes through: {row.cut}", highlight=False)
        out_console.print(f"Results: {folder}")
    raise typer.Exit(EXIT_OK)


@app.command(rich_help_panel="Questions across runs")
def diff(
    first: Annotated[Path, typer.Argument(help="A results folder.")],
    second: Annotated[Path, typer.Argument(help="Another results folder.")],
    top: Annotated[int, typer.Option(help="How many of the largest result changes to show per table.", min=1)] = 10,
) -> None:
    """What differs between two runs: input files and rows, then the results they led to."""
    from optimizer.analysis.diff import diff_runs

    print_diff(out_console, diff_runs(first, second, top), first, second)
    raise typer.Exit(EXIT_OK)
