"""The ``backcast`` command: model against observed.csv, printed and written to backcast.csv."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.table import Table

from optimizer import api
from optimizer.cli.app import InstanceArg, QuietOpt, ScenarioOpt, app, err_console, exit_code, out_console
from optimizer.errors import InputError
from optimizer.output.progress import progress
from optimizer.output.results import check_replaceable, default_out


@app.command()
def backcast(
    instance: InstanceArg,
    scenario: ScenarioOpt = None,
    period: Annotated[
        list[int] | None,
        typer.Option(help="Year to print (repeatable; default: the years of the validation rows)."),
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Results folder (default: backcast/ in the instance's folder of results/).")
    ] = None,
    quiet: QuietOpt = False,
) -> None:
    """Solve and set the model beside observed.csv: deviation, tolerance and source of every figure."""
    if out is not None:
        check_replaceable(out)
    if scenario and len(scenario) > 1:
        raise InputError("backcast takes one --scenario")
    with progress(err_console, quiet) as step:
        solution, table = api.backcast(instance, scenario[0] if scenario else None, progress=step)
    if table.empty:
        raise typer.Exit(exit_code(solution.status, bool(solution.tables)))
    # the solve's own results folder, with backcast.csv beside its tables
    folder = api.write(solution, out or default_out(solution.instance.name, "backcast"))
    table.to_csv(folder / "backcast.csv", index=False, float_format="%.15g")
    if not quiet:
        validated = sorted(table.loc[table["role"] == "validation", "period"].unique())
        # the out-of-sample years: after the base year the data were calibrated to
        years = period or [y for y in validated if y > solution.instance.base_year] or validated
        _print(table[table["period"].isin(years)])
        out_console.print(f"backcast.csv: {folder / 'backcast.csv'}")
    raise typer.Exit(exit_code(solution.status, True))


def _print(table) -> None:
    years = sorted(table["period"].unique())
    one_year = len(years) == 1
    # borderless, one line per row in 80 columns: the role is told by the last column ("(input)" for a
    # calibration row), the year is in the title when only one is printed
    view = Table(
        title=f"Model vs observed{f', {years[0]}' if one_year else ''} (deviation = model / observed - 1; "
        "prices in USD/t)",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        padding=(0, 1, 0, 0),
    )
    columns = ["item", *([] if one_year else ["year"]), "observed", "model", "dev.", "tol.", "within", "src"]
    for column in columns:
        right = column in ("observed", "model", "dev.", "tol.")
        view.add_column(column, justify="right" if right else "left", no_wrap=column == "item")
    sources = list(dict.fromkeys(table["source"].astype(str)))
    for row in table.itertuples():
        deviation = "" if row.deviation != row.deviation else f"{row.deviation:+.0%}"
        # a calibration row meets its target by construction: it is an input, not a test
        if row.role == "calibration":
            within = "(input)" if row.within else "missed (input)"
        else:
            within = "yes" if row.within else "NO"
        within += "*" if getattr(row, "flag", "") else ""
        view.add_row(
            row.item,
            *([] if one_year else [str(row.period)]),
            f"{row.observed:,.0f}",
            f"{row.model:,.0f}",
            deviation,
            f"±{row.tolerance:.0%}",
            within,
            f"[{sources.index(str(row.source)) + 1}]",
        )
    out_console.print(view)
    for number, source in enumerate(sources, start=1):
        out_console.print(f"[{number}] {source}", highlight=False, markup=False)
    flagged = table[table["flag"].fillna("") != ""] if "flag" in table else table.iloc[:0]
    if not flagged.empty:
        listed = "; ".join(f"{row.item} {row.period}: {row.flag}" for row in flagged.itertuples())
        out_console.print(
            f"* the model's figure is no market price (balance.csv price_flag, quotas.csv rent_flag): {listed}",
            highlight=False,
            markup=False,
        )
    validation = table[table["role"] == "validation"]
    out_console.print(
        f"validation rows within tolerance: {int(validation['within'].sum())} of {len(validation)}; "
        f"calibration rows (inputs, not tests): {int((table['role'] == 'calibration').sum())}"
    )
