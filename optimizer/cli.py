"""The ``reeopt`` command: parse arguments, call the API, print. Nothing else lives here.

Exit codes (INTERFACE.md): 0 solved (optimal, within the MIP gap, or a feasible point at the time
limit, marked as such); 2 bad input or usage; 3 infeasible or unbounded; 4 time limit without a
feasible solution; 1 anything else.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console

from optimizer import api
from optimizer.errors import EXIT_ERROR, EXIT_INFEASIBLE, EXIT_INPUT, EXIT_OK, EXIT_TIME_LIMIT, InputError
from optimizer.network import build_network, check_network
from optimizer.output.console import (
    print_comparison,
    print_counterfactual,
    print_diff,
    print_routes,
    print_study_comparison,
    print_summary,
    print_sweep,
    print_table,
    progress,
)
from optimizer.output.results import (
    check_replaceable,
    default_out,
    folder_name,
    write_folder,
    write_sweep,
    write_table,
)

app = typer.Typer(
    help="reeopt: least-cost sourcing, marginal values and build-outs of the rare earth supply chain.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out_console = Console()
err_console = Console(stderr=True)

InstanceArg = Annotated[str, typer.Argument(help="Instance folder, or the name of a folder under instances/.")]
ScenarioOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--scenario", "-s", help="Scenario name (instances/<name>/scenarios/NAME.yaml) or YAML file; repeatable."
    ),
]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors (for scripts).")]
VaryOpt = Annotated[Path | None, typer.Option(help="Uncertainty spec (default: the instance's uncertainty.yaml).")]
WorkersOpt = Annotated[int, typer.Option(help="Local Dask worker processes (0: in this process).", min=0)]
SchedulerOpt = Annotated[str | None, typer.Option(help="Address of an existing Dask scheduler.")]
SeedOpt = Annotated[int, typer.Option(help="Seed of the random samples.")]
ExactOpt = Annotated[bool, typer.Option(help="Keep lumpy builds integer (slower); default: the LP relaxation.")]


def exit_code(status: str, has_solution: bool) -> int:
    if status == "optimal":
        return EXIT_OK
    if status in ("infeasible", "unbounded"):
        return EXIT_INFEASIBLE
    if status == "time_limit":
        return EXIT_OK if has_solution else EXIT_TIME_LIMIT
    return EXIT_ERROR


@app.command()
def solve(
    instance: InstanceArg,
    scenario: ScenarioOpt = None,
    objective: Annotated[str | None, typer.Option(help="cost or value (default: the instance's).")] = None,
    out: Annotated[Path | None, typer.Option(help="Results folder (default results/<instance>/<scenario>/).")] = None,
    time_limit: Annotated[float | None, typer.Option(help="Seconds HiGHS may run.", min=0)] = None,
    mip_gap: Annotated[float | None, typer.Option(help="Relative MIP gap at which to stop.", min=0)] = None,
    export_model: Annotated[Path | None, typer.Option(help="Write the model solved to FILE.lp or FILE.mps.")] = None,
    report: Annotated[bool, typer.Option("--report", help="Also write report.html into each results folder.")] = False,
    quiet: QuietOpt = False,
) -> None:
    """Build and solve an instance (once per --scenario), write a results folder, print a summary."""
    if objective is not None and objective not in ("cost", "value"):
        raise InputError(f"--objective must be cost or value, not '{objective}'")
    if export_model is not None and export_model.suffix not in (".lp", ".mps"):
        raise InputError(f"--export-model needs a .lp or .mps file, not '{export_model}'")
    scenarios = scenario or [None]
    if out is not None and len(scenarios) > 1:
        raise InputError("--out names one folder; with several --scenario, leave it out")
    if out is not None:
        check_replaceable(out)
    worst = EXIT_OK
    for name in scenarios:
        with progress(err_console, quiet) as step:
            solution = api.solve(
                instance,
                name,
                objective=objective,
                time_limit=time_limit,
                mip_gap=mip_gap,
                export_model=export_model,
                progress=step,
            )
            step("write")
            folder = api.write(solution, out)
            if report:
                from optimizer.report import write_report  # plotly is imported only when a report is asked for

                step("report")
                write_report([folder], folder / "report.html")
        if not quiet:
            print_summary(out_console, solution, folder)
        worst = max(worst, exit_code(solution.status, bool(solution.tables)))
    raise typer.Exit(worst)


@app.command()
def validate(instance: InstanceArg, scenario: ScenarioOpt = None, quiet: QuietOpt = False) -> None:
    """Check the data and the network without solving."""
    for name in scenario or [None]:
        loaded = api.load(instance, name)
        graph = build_network(loaded)
        report = check_network(graph, loaded)
        if not quiet:
            out_console.print(
                f"[green]valid[/green]: {loaded.name} / {loaded.scenario}: "
                f"{len(loaded.regions)} regions, {len(loaded.commodities)} commodities, "
                f"{len(loaded.tables['processes'])} process rows, {len(loaded.periods)} periods; "
                f"graph {graph.number_of_nodes()} nodes, {graph.number_of_edges()} edges"
            )
            for warning in list(loaded.warnings) + report.messages():
                out_console.print(f"[yellow]warning:[/yellow] {warning}", highlight=False)
    raise typer.Exit(EXIT_OK)


@app.command()
def report(
    results: Annotated[
        list[Path],
        typer.Argument(
            help="Results folders (the first is the reference of a comparison), "
            "and sweep, sensitivity, alternatives or chokepoints folders."
        ),
    ],
    out: Annotated[Path, typer.Option(help="The HTML file to write.")] = Path("report.html"),
    period: Annotated[int | None, typer.Option(help="Period of the per-period charts (default: the last).")] = None,
    quiet: QuietOpt = False,
) -> None:
    """Write a self-contained HTML report (charts, plotly.js inside) of one or more results folders."""
    from optimizer.report import write_report  # plotly is imported only when a report is asked for

    written = write_report(results, out, period)
    if not quiet:
        out_console.print(f"Report: {written}")
    raise typer.Exit(EXIT_OK)


@app.command()
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
) -> None:
    """Solve several scenarios on one model, write their results and comparison.csv, print them side by side."""
    with progress(err_console, quiet) as step:
        solutions, table = api.compare(instance, scenario, objective=objective, progress=step)
        step("write")
        folder = out or default_out(solutions[0].instance.name)
        for solution in solutions:
            api.write(solution, folder / folder_name(solution.instance.scenario))
        write_table(table, folder / "comparison.csv")
    if not quiet:
        print_comparison(out_console, table)
        out_console.print(f"Results: {folder}")
    raise typer.Exit(max(exit_code(s.status, bool(s.tables)) for s in solutions))


@app.command()
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


@app.command()
def account(
    instance: InstanceArg,
    out: Annotated[Path | None, typer.Option(help="Results folder (default results/<instance>/account/).")] = None,
    counterfactual: Annotated[
        bool, typer.Option(help="Also solve for least cost within the same quotas and demand, and compare.")
    ] = False,
    quiet: QuietOpt = False,
) -> None:
    """MFA and MFCA of the flows fixed in observed.csv (history), with no free choice."""
    with progress(err_console, quiet) as step:
        step("solve")
        history = api.account(instance)
        step("write")
        folder = api.write(history, out or default_out(history.instance.name, "account"))
        optimum = None
        if counterfactual and history.status == "optimal":
            step("solve")
            optimum = api.solve(instance)
            step("write")
            api.write(optimum, folder.parent / "counterfactual")
    if not quiet:
        print_summary(out_console, history, folder)
        if "headline" in history.summary:
            print_study_comparison(out_console, history.summary["headline"])
        if optimum is not None:
            print_counterfactual(out_console, history, optimum)
    raise typer.Exit(exit_code(history.status, bool(history.tables)))


@app.command()
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


@app.command()
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


@app.command()
def sweep(
    instance: InstanceArg,
    samples: Annotated[int, typer.Option(help="How many samples.", min=1)],
    scenario: Annotated[str | None, typer.Option("--scenario", "-s", help="Scenario to sample around.")] = None,
    vary: VaryOpt = None,
    workers: WorkersOpt = 2,
    scheduler: SchedulerOpt = None,
    seed: SeedOpt = 0,
    exact: ExactOpt = False,
    out: Annotated[Path | None, typer.Option(help="Folder (default results/<instance>/sweep/).")] = None,
    quiet: QuietOpt = False,
) -> None:
    """Monte Carlo over uncertain inputs on Dask: one row per sample (Parquet and CSV) and a summary."""
    with progress(err_console, quiet) as step:
        step("Preparing the sweep")
        table, summary = api.sweep(
            instance,
            samples,
            scenario=scenario,
            vary=vary,
            workers=workers,
            scheduler=scheduler,
            seed=seed,
            exact=exact,
            progress=lambda done, total: step(f"Solved {done}/{total} samples"),
        )
        step("write")
        folder = out or default_out(summary["instance"], "sweep")
        write_sweep(folder, table, summary)
    if not quiet:
        print_sweep(out_console, summary)
        out_console.print(f"Results: {folder}")
    raise typer.Exit(EXIT_OK)


@app.command()
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
    out: Annotated[Path | None, typer.Option(help="Folder (default results/<instance>/sensitivity/).")] = None,
    quiet: QuietOpt = False,
) -> None:
    """Which inputs matter, ranked (SALib Morris or Sobol), for the objective and chosen outputs."""
    with progress(err_console, quiet) as step:
        step("Preparing the design")
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
            progress=lambda done, total: step(f"Solved {done}/{total} samples"),
        )
        step("write")
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


@app.command()
def diff(
    first: Annotated[Path, typer.Argument(help="A results folder.")],
    second: Annotated[Path, typer.Argument(help="Another results folder.")],
    top: Annotated[int, typer.Option(help="How many of the largest result changes to show per table.", min=1)] = 10,
) -> None:
    """What differs between two runs: input files and rows, then the results they led to."""
    from optimizer.analysis.diff import diff_runs

    print_diff(out_console, diff_runs(first, second, top), first, second)
    raise typer.Exit(EXIT_OK)


def main() -> None:
    try:
        app()  # click handles usage errors itself (exit 2) and turns typer.Exit into the exit code
    except InputError as error:
        err_console.print(f"[red]error:[/red] {error}", highlight=False, soft_wrap=True)
        sys.exit(EXIT_INPUT)
    except KeyboardInterrupt:
        err_console.print("[red]interrupted[/red]")
        sys.exit(EXIT_ERROR)
    except Exception as error:  # noqa: BLE001 - the last line of defence of a command-line tool
        if os.environ.get("REEOPT_DEBUG"):
            raise
        err_console.print(
            f"[red]internal error:[/red] {type(error).__name__}: {error}\n"
            "Set REEOPT_DEBUG=1 to see the traceback, and please report it.",
            highlight=False,
        )
        sys.exit(EXIT_ERROR)
