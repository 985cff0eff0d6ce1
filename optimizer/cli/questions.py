"""Commands that answer questions across runs: compare, routes, alternatives, chokepoints, diff."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from optimizer import api
from optimizer.analysis.compare import parse_periods
from optimizer.cli.app import (
    ExactOpt,
    InstanceArg,
    LabelOpt,
    QuietOpt,
    app,
    err_console,
    exit_code,
    out_console,
)
from optimizer.errors import EXIT_OK
from optimizer.output.console import print_comparison, print_diff, print_routes, print_table
from optimizer.output.progress import progress, run_progress
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
    period: Annotated[
        list[int] | None, typer.Option(help="Show this period's marginal values, builds, sourcing; repeatable.")
    ] = None,
    periods: Annotated[str | None, typer.Option(help="A range of periods to show, e.g. 2025-2030.")] = None,
    label: LabelOpt = None,
    out: Annotated[
        Path | None,
        typer.Option(
            help="Folder for the results folders and the comparison table (default: the instance's folder of results/)."
        ),
    ] = None,
    quiet: QuietOpt = False,
    solver: Annotated[
        list[str] | None,
        typer.Option("--solver", help="Solver to run each scenario with; repeat to compare solvers (default highs)."),
    ] = None,
    engine: Annotated[str, typer.Option(help="pyomo (default) or arrays (highs only).")] = "pyomo",
) -> None:
    """Solve several scenarios on one model, write their results and comparison.csv, print them side by side.

    Without --period/--periods, marginal values are horizon means (periods weighted by length).
    """
    chosen = parse_periods(periods, period)
    runs = len(scenario) * len(dict.fromkeys(solver or ["highs"]))
    with run_progress(err_console, quiet, "Scenarios", total=runs) as bar:
        solutions, table = api.compare(
            instance,
            scenario,
            objective=objective,
            progress=bar,
            periods=chosen,
            labels=label,
            on_run=bar.runs,
            solvers=solver,
            engine=engine,
        )
        bar.stage("write")
        folder = out or default_out(solutions[0].instance.name)
        several = "solver" in table
        for solution, name, by in zip(
            solutions, table["scenario"], table["solver"] if several else [None] * len(solutions), strict=True
        ):
            solution.summary["label"] = name
            api.write(solution, folder / (folder_name(name) + (f"__{by}" if several else "")))
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
    clean_of: Annotated[
        list[str] | None,
        typer.Option(
            "--clean-of",
            help="Re-solve with this delivery free of content that touched REGION (repeatable; content classes).",
        ),
    ] = None,
    k: Annotated[int, typer.Option(help="How many routes to list.", min=1)] = 10,
    out: Annotated[
        Path | None, typer.Option(help="Folder for routes.csv (default: routes/ in the instance's folder of results/).")
    ] = None,
    quiet: QuietOpt = False,
) -> None:
    """The supply routes that feed a commodity into a region, cheapest first (optionally avoiding regions,
    or clean of them: --clean-of keeps them in the world and asks for a delivery that never touched them)."""
    avoided = tuple(avoid or ())
    clean = tuple(clean_of or ())
    with progress(err_console, quiet) as step:
        step("solve")
        found = api.routes(instance, commodity, region, period=period, avoid=avoided, clean_of=clean, k=k)
        step("write")
        optimum = found["optimum_solution"]
        tables = [found["optimum"].assign(run="optimum")]
        if avoided:
            tables.append(found["avoiding"].assign(run="avoiding_" + "_".join(avoided)))
        if clean:
            tables.append(found["clean"].assign(run="clean_of_" + "_".join(clean)))
        folder = out or default_out(optimum.instance.name, "routes")
        path = write_table(pd.concat(tables, ignore_index=True), folder / "routes.csv")
        _write_json(_routes_record(found, commodity, region, period, avoided), folder / "routes.json")
    if not quiet:
        print_routes(out_console, found, commodity, region, avoided, clean)
        out_console.print(f"Routes: {path}")
    status = (
        found["avoiding_solution"].status if avoided else found["clean_solution"].status if clean else optimum.status
    )
    raise typer.Exit(max(exit_code(optimum.status, True), exit_code(status, True)))


def _routes_record(found: dict, commodity: str, region: str, period: int | None, avoided: tuple[str, ...]) -> dict:
    """What a routes folder answers, for the report: the question and what avoiding cost."""
    optimum = found["optimum_solution"]
    record = {
        "instance": optimum.instance.name,
        "scenario": optimum.instance.scenario,
        "currency": optimum.instance.currency,
        "commodity": commodity,
        "region": region,
        "period": period if period is not None else optimum.instance.periods[-1],
        "avoid": list(avoided),
        "objective": optimum.objective,
        "unmet_demand": optimum.summary.get("unmet_demand"),
    }
    if avoided:
        avoiding = found["avoiding_solution"]
        record["status_avoiding"] = avoiding.status
        record["unmet_demand_avoiding"] = avoiding.summary.get("unmet_demand")
        record["floors_released"] = found["floors_released"]
        if avoiding.objective is not None and optimum.objective is not None:
            record["cost_increase"] = avoiding.objective - optimum.objective
    return record


def _write_json(record: dict, path: Path) -> None:
    staging = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    staging.write_text(json.dumps(record, indent=2), encoding="utf-8")
    os.replace(staging, path)


@app.command(rich_help_panel="Questions across runs")
def alternatives(
    instance: InstanceArg,
    scenario: Annotated[str | None, typer.Option("--scenario", "-s", help="Scenario to start from.")] = None,
    slack: Annotated[float, typer.Option(help="Cost allowed above the optimum, as a fraction (0.05 = 5%).")] = 0.05,
    n: Annotated[int, typer.Option("--n", help="How many alternatives.", min=1)] = 6,
    out: Annotated[
        Path | None,
        typer.Option(
            help="Folder for the table of alternatives (default: alternatives/ in the instance's folder of results/)."
        ),
    ] = None,
    quiet: QuietOpt = False,
) -> None:
    """Near-optimal sourcing portfolios: within --slack of least cost, as different as can be in origin."""
    with run_progress(err_console, quiet, "Alternatives", total=n) as bar:
        bar.stage("solve")
        solutions, table = api.alternatives(instance, scenario, slack=slack, count=n, progress=bar.runs)
        bar.stage("write")
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
        typer.Option(
            help="Folder for the ranking and the minimum cuts, two CSV files "
            "(default: chokepoints/ in the instance's folder of results/)."
        ),
    ] = None,
    quiet: QuietOpt = False,
) -> None:
    """N-1 analysis: cut each mine, plant, link and region's processing in turn; rank by cost and unmet demand."""
    with run_progress(err_console, quiet, "Cuts") as bar:
        bar.stage("solve")
        found = api.chokepoints(instance, period, progress=bar.runs, exact=exact)
        bar.stage("write")
        folder = out or default_out(found["optimum"].instance.name, "chokepoints")
        write_table(found["ranking"], folder / "chokepoints.csv")
        write_table(found["min_cuts"], folder / "min_cuts.csv")
    if not quiet:
        print_table(out_console, found["ranking"].head(top), "Chokepoints: cost and unmet demand if it failed")
        if found["relaxed"]:
            out_console.print("Lumpy builds were relaxed to continuous for this screening (--exact to keep them).")
        if found["floors_released"]:
            out_console.print(
                "Calibration floors (processes.csv min_activity) were released in the base and every cut: "
                "a failure may make what plants did in the base year impossible."
            )
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
