"""What the terminal shows: rich tables of a solution's summary, comparisons, routes, diffs and sweeps
(progress while a command runs is ``output/progress.py``)."""

from __future__ import annotations

import pandas as pd
from rich.console import Console
from rich.table import Table

from optimizer.analysis.compare import FLAG_PREFIX
from optimizer.analysis.headlines import headline_lines
from optimizer.analysis.price_flags import FLAGS, LEGEND
from optimizer.solution import Solution


def money(value: float | None, currency: str = "") -> str:
    if value is None:
        return "-"
    value = value + 0.0  # no "-0.00"
    for size, suffix in ((1e9, " B"), (1e6, " M"), (1e3, " k")):
        if abs(value) >= size:
            return f"{value / size:,.2f}{suffix} {currency}".rstrip()
    return f"{value:,.2f} {currency}".rstrip()


def print_summary(console: Console, solution: Solution, folder) -> None:
    summary = solution.summary
    instance = solution.instance
    title = f"{instance.name} / {summary.get('label') or instance.scenario}"
    status = summary["status"]
    colour = "green" if status == "optimal" else "yellow" if status == "time_limit" else "red"
    console.print(
        f"[bold]{title}[/bold]: [{colour}]{status}[/{colour}]"
        + (f"  ({summary['solution']})" if "solution" in summary else "")
    )
    if solution.diagnosis is not None:
        console.print(solution.diagnosis.text(), highlight=False)
    if summary.get("objective") is None:
        console.print(f"Results: {folder}")
        return
    kind = "total discounted cost" if summary["objective_kind"] == "cost" else "value added (revenue - costs)"
    console.print(
        f"Objective ({kind}): [bold]{money(summary['objective'], instance.currency)}[/bold]"
        f"   build {summary['build_seconds']:.2f} s, solve {summary['solve_seconds']:.2f} s"
    )
    if summary.get("duals") == "fixed_integer_lp":
        console.print("Builds are lumpy (a MIP): marginal values come from the LP with builds fixed.")
    _costs(console, summary, instance.currency)
    _marginal_values(console, solution)
    _binding_quotas(console, solution)
    for line in headline_lines(summary, instance.currency):
        console.print(line)
    if summary.get("unmet_demand"):
        console.print(f"[yellow]Unmet demand: {summary['unmet_demand']:,.6g} t over the horizon[/yellow]")
    for warning in summary.get("warnings", []):
        console.print(f"[yellow]warning:[/yellow] {warning}", highlight=False)
    console.print(f"Results: {folder}")


def _costs(console: Console, summary: dict, currency: str) -> None:
    console.print("[bold]Costs by category[/bold] (discounted, whole horizon)")
    table = Table()
    table.add_column("category")
    table.add_column(currency, justify="right")
    total = 0.0
    for category, value in summary["costs"].items():
        if value and abs(value) >= 0.5:
            table.add_row(category, f"{value:,.0f}")
            total += value
    table.add_row("[bold]total[/bold]", f"[bold]{total:,.0f}[/bold]")
    if summary.get("revenue"):
        table.add_row("revenue", f"{summary['revenue']:,.0f}")
    console.print(table)


def _marginal_values(console: Console, solution: Solution, count: int = 8) -> None:
    balance = solution.tables.get("balance")
    if balance is None or balance.empty:
        return
    last = balance["period"].max()
    top = balance[balance["period"] == last].nlargest(count, "marginal_value")
    console.print(f"[bold]Highest marginal values[/bold], {last} ({solution.instance.currency} per t)")
    table = Table()
    for column in ("region", "commodity"):
        table.add_column(column)
    table.add_column("marginal value", justify="right")
    flags = top["price_flag"] if "price_flag" in top else pd.Series("", index=top.index)
    for row, flag in zip(top.itertuples(), flags, strict=True):
        table.add_row(row.region, row.commodity, f"{row.marginal_value:,.2f}" + (f" *{flag}" if flag else ""))
    console.print(table)
    _price_flags(console, solution.summary)


def _binding_quotas(console: Console, solution: Solution) -> None:
    """The export quotas that bind, when and what a licence for one more tonne is worth (quotas.csv)."""
    quotas = solution.tables.get("quotas")
    binding = quotas[quotas["rent"] > 0] if quotas is not None else pd.DataFrame()
    if binding.empty:
        return
    parts = []
    for (name, origin), rows in binding.groupby(["quota", "origin"], sort=False):
        first, last = rows["period"].min(), rows["period"].max()
        years = f"{first}" if first == last else f"{first}–{last} ({len(rows)} periods)"
        low, high = f"{rows['rent'].min():,.0f}", f"{rows['rent'].max():,.0f}"
        # a rent at a degenerate vertex is one end of an interval (quotas.csv rent_flag)
        shaky = " (not unique)" if (rows["rent_flag"] == "not_unique").any() else ""
        parts.append(f"{name} ({origin}) {years}, rent {low}" + ("" if low == high else f"–{high}") + shaky)
    console.print(
        f"[bold]Export quotas that bind[/bold] (rent: a licence for one more tonne, {solution.instance.currency}"
        " per t; quotas.csv): " + "; ".join(parts),
        highlight=False,
    )


def _price_flags(console: Console, summary: dict, shown: int = 5) -> None:
    """How many marginal values are not market prices, and why (analysis/price_flags.py)."""
    found = summary.get("price_flags")
    if not found or not found["flagged"]:
        return
    counts = ", ".join(f"{flag} {count}" for flag, count in found["counts"].items() if count)
    console.print(
        f"[yellow]Flagged marginal values: {len(found['flagged'])}[/yellow] ({counts}): not market prices; "
        "balance.csv column price_flag names each",
        highlight=False,
    )
    for flag, count in found["counts"].items():
        if count:
            examples = [f"{f['region']} {f['commodity']} {f['period']}" for f in found["flagged"] if f["flag"] == flag]
            more = f", ... {count - shown} more" if count > shown else ""
            console.print(f"  {flag} ({LEGEND[flag]}): " + ", ".join(examples[:shown]) + more, highlight=False)


def print_table(console: Console, frame: pd.DataFrame, title: str) -> None:
    table = Table(title=title, title_justify="left")
    for column in frame.columns:
        table.add_column(str(column), justify="right" if pd.api.types.is_numeric_dtype(frame[column]) else "left")
    for row in frame.itertuples(index=False):
        table.add_row(*[_cell(v) for v in row])
    console.print(table)


def _cell(value) -> str:
    if not isinstance(value, float):
        return str(value)
    value = value + 0.0  # no "-0"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:,.2f}" if abs(value) >= 1 else f"{value:.4g}"


def print_study_comparison(console: Console, figures: dict) -> None:
    """The table "study vs model" of an account run's headline figures."""
    from optimizer.analysis.study_figures import comparison_rows

    console.print("[bold]Study vs model[/bold] (Ge et al. 2025 headline figures, computed from the flows and costs)")
    table = Table()
    for column in ("figure", "study", "model", "tolerance", "basis", "check"):
        table.add_column(column, justify="left" if column in ("figure", "basis") else "right")
    colour = {"yes": "green", "no": "red", "calibration missed": "red", "calibrated": "dim", "-": "dim"}
    for row in comparison_rows(figures):
        model = "-" if row["model"] is None else _number(row["model"], row["unit"])
        basis = f"calibrated to: {row['tuned_by']}" if row["basis"] == "calibration" else "emergent"
        check = f"[{colour[row['check']]}]{row['check']}[/{colour[row['check']]}]"
        table.add_row(row["figure"], _number(row["study"], row["unit"]), model, row["tolerance"], basis, check)
    console.print(table)
    console.print(
        "A calibrated figure was an input (the data were chosen to reproduce it): 'calibrated' checks the "
        "calibration, it is not a validation. Only emergent figures test the data.",
        highlight=False,
    )
    if figures.get("net_import_growth_primary_basis") == "gross_imports":
        console.print(
            "Primary products: China is a net exporter in both years on these data, so the growth is that "
            "of gross imports (see README).",
            highlight=False,
        )


def _number(value: float, unit: str) -> str:
    if unit == "share":
        return f"{value:.1%}"
    if unit == "x":
        return f"{value:.2f}x"
    return f"{value:,.2f} {unit}" if abs(value) < 1000 else f"{value:,.0f} {unit}"


def print_counterfactual(console: Console, history: Solution, optimum: Solution) -> None:
    """History next to the least-cost solution within the same quotas and demand."""
    from optimizer.analysis.counterfactual import counterfactual_tables

    tables = counterfactual_tables(history, optimum)
    costs = tables["costs"]
    saving = costs["saving_vs_history"].iloc[1]
    console.print(
        f"[bold]Counterfactual[/bold]: least-cost sourcing would have cost {money(saving)} "
        f"({saving / costs['total_cost'].iloc[0]:.1%}) less than history"
    )
    print_table(console, tables["sourcing"], "Origin of China's deliveries (share of tonnes)")
    if not tables["binding"].empty:
        print_table(console, tables["binding"].head(10), "Capacities and quotas that bind in the least-cost run")
    print_table(console, tables["marginal_values"], "Marginal values in China (USD per t)")


def print_comparison(console: Console, table: pd.DataFrame) -> None:
    """Scenarios as columns, metrics as rows; later scenarios show their difference to the first. Builds
    come as their own table by stage and region; marginal values say which statistic they are."""
    from optimizer.analysis.compare import builds_table

    console.print("[bold]Scenarios compared[/bold] (differences to the first in brackets)")
    built = [c for c in table.columns if c.startswith("built_")]
    _comparison_grid(console, table.drop(columns=built + ["shortfall_periods"], errors="ignore"))
    if any("@" in c for c in table.columns if c.startswith("mv_")):
        console.print("mv_<commodity>_<region>@<year>: marginal value in that period (USD/t, the period's money)")
    elif any(c.startswith("mv_") for c in table.columns):
        console.print(
            "mv_<commodity>_<region>: marginal value, mean over the horizon weighted by period length "
            "(USD/t); --period YEAR or --periods A-B for the values of single periods"
        )
    if "shortfall_periods" in table.columns:
        for scenario, periods in zip(table["scenario"], table["shortfall_periods"], strict=True):
            if isinstance(periods, str) and periods:
                console.print(
                    f"[yellow]{scenario}[/yellow]: unmet demand in {periods}; there the marginal values of what "
                    "is short are the unmet-demand penalty, not a price",
                    highlight=False,
                )
    if "status" in table.columns:
        builds = builds_table(table)
        if builds.empty:
            console.print("No new capacity is built in any scenario.")
            return
        frame = builds.reset_index()
        frame.columns = [str(c) for c in frame.columns]
        print_table(console, frame, "New capacity by stage and region (t/yr, commissioned over the periods shown)")


def _comparison_grid(console: Console, table: pd.DataFrame) -> None:
    grid = Table()
    grid.add_column("")
    for scenario in table["scenario"]:
        grid.add_column(str(scenario), justify="right")
    grid.add_row("status", *[str(s) for s in table["status"]])
    numeric = [c for c in table.columns if c not in ("scenario", "status") and not c.startswith(FLAG_PREFIX)]
    marked = set()
    for column in numeric:
        values = pd.to_numeric(table[column], errors="coerce")
        if values.isna().all() or (values.fillna(0) == 0).all():
            continue
        cells = []
        for position, value in enumerate(values):
            if pd.isna(value):
                cells.append("-")
                continue
            text = _short(value, column)
            base = values.iloc[0]
            if position and not pd.isna(base) and abs(value - base) > 1e-9 * max(1.0, abs(base)):
                change = value - base
                colour = "red" if change > 0 else "green"
                text += f" [{colour}]({'+' if change > 0 else ''}{_short(change, column)})[/{colour}]"
            flag = table[FLAG_PREFIX + column].iloc[position] if FLAG_PREFIX + column in table else None
            if isinstance(flag, str) and flag:
                text += "*"
                marked.update(flag.split(";"))
            cells.append(text)
        grid.add_row(column, *cells)
    console.print(grid)
    if marked:
        legend = "; ".join(f"{flag}: {LEGEND[flag]}" for flag in FLAGS if flag in marked)
        console.print(f"* not a market price in some period ({legend}); see balance.csv price_flag", highlight=False)


def _short(value: float, column: str) -> str:
    if column.startswith(("domestic_", "import_", "recycling_", "from_")):
        return f"{value:.1%}"
    return money(value)


def print_routes(
    console: Console, found: dict, commodity: str, region: str, avoided: tuple[str, ...], clean_of: tuple[str, ...] = ()
) -> None:
    """The cheapest routes, and with ``avoided`` (``clean_of``) regions the new routes and what avoiding
    them (keeping the delivery clean of them) costs."""
    from optimizer.analysis.routes import average_cost

    def show(table: pd.DataFrame, title: str) -> None:
        if table.empty:
            console.print(f"{title}: no route delivers {commodity} to {region} in that period")
            return
        shown = table.assign(route=table["route"].str.replace(r"@\w+", "", regex=True))
        print_table(console, shown[["rank", "regions", "tonnes", "cost_per_tonne", "price_per_tonne", "route"]], title)

    show(
        found["optimum"],
        f"Routes of {commodity} into {region} (cost per t: joint costs allocated by value at marginal values;"
        " price: marginal value at the delivery)",
    )
    if not avoided and not clean_of:
        return
    key, names = ("avoiding", avoided) if avoided else ("clean", clean_of)
    changed = found[f"{key}_solution"]
    if changed.diagnosis is not None:
        console.print(changed.diagnosis.text(), highlight=False)
        return
    what = (
        f"Avoiding {', '.join(names)}" if avoided else f"Keeping {commodity} into {region} clean of {', '.join(names)}"
    )
    show(found[key], f"Routes avoiding {', '.join(names)}" if avoided else f"Clean routes ({what.lower()})")
    base = found["optimum_solution"]
    console.print(
        f"{what} raises the total discounted cost of the whole chain over all periods by "
        f"{money(changed.objective - base.objective)} ({changed.objective / base.objective - 1:+.1%}); unmet demand "
        f"{changed.summary['unmet_demand']:,.0f} t (was {base.summary['unmet_demand']:,.0f} t)."
    )
    before, after = average_cost(found["optimum"]), average_cost(found[key])
    if before is not None and after is not None:
        console.print(
            f"Average cost per t of {commodity} into {region} along its routes: {before:,.0f} -> {after:,.0f}"
        )
    if found.get("floors_released"):
        console.print(
            "Calibration floors (processes.csv min_activity) were released in both runs: cutting a region "
            "out may make what plants did in the base year impossible."
        )


def print_diff(console: Console, found: dict, first, second) -> None:
    """The differences between two results folders, inputs first."""
    if found["same_inputs"]:
        console.print(f"Same inputs (input hash) in {first} and {second}.")
    else:
        console.print("Input files that differ: " + (", ".join(found["changed_files"]) or "none recorded"))
    for table, rows in found["inputs"].items():
        print_table(console, rows.head(20), f"{table}.csv: {len(rows)} rows differ")
    if found["summary"]:
        summary = pd.DataFrame([{"field": k, "first": a, "second": b} for k, (a, b) in found["summary"].items()])
        print_table(console, summary, "Summary")
    for name, rows in found["results"].items():
        print_table(console, rows, f"Largest changes in {name}.csv")


def print_sweep(console: Console, summary: dict) -> None:
    """Quantiles, build probabilities and the inputs that move the objective most."""
    console.print(
        f"[bold]Sweep[/bold]: {summary['optimal']} of {summary['samples']} samples optimal, "
        f"{summary['failed']} failed; {summary['seconds']:.1f} s ({summary['samples_per_second']} samples/s)"
    )
    quantiles = pd.DataFrame(summary["quantiles"]).T.reset_index(names="output")
    if not quantiles.empty:
        print_table(console, quantiles, "Outputs over the samples (quantiles)")
    if summary["build_probability"]:
        builds = pd.DataFrame([{"region": r, "probability": p} for r, p in summary["build_probability"].items()])
        print_table(console, builds, "Probability that the region builds capacity")
    if summary["objective_movers"]:
        print_table(console, pd.DataFrame(summary["objective_movers"]), "Inputs that move the objective most")
