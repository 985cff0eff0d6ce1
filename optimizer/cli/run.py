"""Commands that run one instance: solve, validate, account, report."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Annotated

import typer

from optimizer import api
from optimizer.cli.app import (
    InstanceArg,
    LabelOpt,
    QuietOpt,
    ScenarioOpt,
    app,
    err_console,
    exit_code,
    out_console,
)
from optimizer.errors import EXIT_OK, InputError
from optimizer.network import build_network, check_network
from optimizer.output.console import print_counterfactual, print_study_comparison, print_summary
from optimizer.output.progress import progress
from optimizer.output.results import (
    check_replaceable,
    default_out,
)

EngineOpt = Annotated[
    str, typer.Option(help="pyomo (the Pyomo model, solved through Pyomo) or arrays (the program straight to HiGHS).")
]
SolverOpt = Annotated[str, typer.Option(help="Any solver Pyomo knows (highs, cbc, glpk, ...); arrays: highs only.")]


@app.command()
def solve(
    instance: InstanceArg,
    scenario: ScenarioOpt = None,
    objective: Annotated[str | None, typer.Option(help="cost or value (default: the instance's).")] = None,
    out: Annotated[
        Path | None,
        typer.Option(help="Results folder (default: one named by the label, in the instance's folder of results/)."),
    ] = None,
    time_limit: Annotated[float | None, typer.Option(help="Seconds HiGHS may run.", min=0)] = None,
    mip_gap: Annotated[float | None, typer.Option(help="Relative MIP gap at which to stop.", min=0)] = None,
    export_model: Annotated[Path | None, typer.Option(help="Write the model solved to FILE.lp or FILE.mps.")] = None,
    report: Annotated[bool, typer.Option("--report", help="Also write report.html into each results folder.")] = False,
    label: LabelOpt = None,
    quiet: QuietOpt = False,
    engine: EngineOpt = "pyomo",
    solver: SolverOpt = "highs",
) -> None:
    """Build and solve an instance (once per --scenario), write a results folder, print a summary."""
    api.check_solve_arguments(objective, time_limit, mip_gap, export_model)
    scenarios = scenario or [None]
    if out is not None and len(scenarios) > 1:
        raise InputError("--out names one folder; with several --scenario, leave it out")
    if out is not None:
        check_replaceable(out)
    if label is not None and len(label) != len(scenarios):
        raise InputError(f"--label: give one per --scenario ({len(scenarios)}), not {len(label)}")
    # Every scenario read and applied, and every folder checked, before the first is solved: a typo in
    # the last scenario must not leave the others' folders written and the run failed.
    # The instances applied here are the ones solved: each scenario is read and applied once.
    base = api.load(instance)
    loaded = [api.load(base, name) for name in scenarios]
    for one in loaded:
        check_replaceable(out or default_out(one.name, one.scenario))
    worst = EXIT_OK
    for position, one in enumerate(loaded):
        with progress(err_console, quiet) as step:
            solution = api.solve(
                one,
                objective=objective,
                time_limit=time_limit,
                mip_gap=mip_gap,
                export_model=export_model,
                progress=step,
                engine=engine,
                solver=solver,
            )
            if label is not None:
                solution.summary["label"] = label[position]
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
def validate(
    instance: InstanceArg,
    scenario: ScenarioOpt = None,
    no_hints: Annotated[
        bool,
        typer.Option(
            "--no-hints",
            help="Skip the hints. With --scenario, validate solves the base once to name the changes that alter "
            "nothing in its optimum (a tariff on a flow that is zero, a cap that does not bind).",
        ),
    ] = False,
    quiet: QuietOpt = False,
) -> None:
    """Check the data and the network without solving (with --scenario, one base solve for the hints)."""
    base_optimum = functools.cache(lambda: api.solve_base_for_hints(instance))  # one solve for every --scenario
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
            if not no_hints and name is not None:
                for hint in api.ineffective_changes(instance, name, base_optimum=base_optimum):
                    out_console.print(f"[cyan]hint:[/cyan] {hint}", highlight=False)
    raise typer.Exit(EXIT_OK)


@app.command()
def account(
    instance: InstanceArg,
    out: Annotated[
        Path | None, typer.Option(help="Results folder (default: account/ in the instance's folder of results/).")
    ] = None,
    counterfactual: Annotated[
        bool,
        typer.Option(
            "--counterfactual", help="Also solve for least cost within the same quotas and demand, and compare."
        ),
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
