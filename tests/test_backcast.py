"""Calibration floors (processes.csv ``min_activity``) and the backcast of a solve against observed.csv."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

import optimizer
import optimizer as reeopt
from optimizer.analysis.backcast import BACKCAST_COLUMNS
from optimizer.errors import InputError
from optimizer.report import figures_for, read_results
from optimizer.report.backcast import backcast_tables
from tests.builders import INSTANCES, write_instance


def two_mines(folder, *, floor=None, observed=None):
    """One region, one commodity from two mines; demand 100 t.

    Mine A costs 10 $/t (capacity 100), mine B costs 30 $/t (capacity 100).
    """
    b = {"process": "mine_b", "region": "R", "capacity": 100, "cost_system": 30}
    if floor is not None:
        b["min_activity"] = floor
    return write_instance(
        folder,
        regions=["R"],
        commodities=[{"commodity": "ore", "stage": "ore", "unit": "t REO"}],
        process_io=[
            {"process": "mine_a", "commodity": "ore", "direction": "out", "coefficient": 1},
            {"process": "mine_b", "commodity": "ore", "direction": "out", "coefficient": 1},
        ],
        processes=[{"process": "mine_a", "region": "R", "capacity": 100, "cost_system": 10}, b],
        demand=[{"region": "R", "commodity": "ore", "quantity": 100}],
        observed=observed,
        objective="cost",
        discount_rate=0,
    )


# Observations of the two-mine instance: B's output held by its 40-t floor (an input), A's output as a
# report gives it (±10 %), and a market price of the ore.
FLOOR_ROW = {"kind": "activity", "process": "mine_b", "region": "R", "period": 2025, "value": 40,
             "x_role": "calibration", "x_source": "floor"}  # fmt: skip
REPORT_ROW = {"kind": "activity", "process": "mine_a", "region": "R", "period": 2025, "value": 80,
              "x_tolerance": 0.10, "x_source": "report"}  # fmt: skip


def price_row(value: float) -> dict:
    return {"kind": "price", "region": "R", "commodity": "ore", "period": 2025, "value": value, "x_source": "market"}


def test_a_calibration_floor_forces_the_dearer_mine_and_leaves_the_price_at_the_cheaper(tmp_path):
    """Without a floor A serves all 100 t: cost 100·10 = 1,000, marginal value 10.

    A floor of 40 t on B forces B to 40 and A to the remaining 60: cost 60·10 + 40·30 = 1,800. The
    next tonne demanded still comes from A (at 60 < 100, not at its capacity), so the marginal value
    stays 10 $/t: a floor raises the cost, not the price.
    """
    free = reeopt.solve(two_mines(tmp_path / "free"))
    floored = reeopt.solve(two_mines(tmp_path / "floor", floor=40))
    assert free.objective == pytest.approx(1000)
    assert floored.objective == pytest.approx(1800)
    activity = floored["activity"].set_index("process")["activity"]
    assert activity["mine_b"] == pytest.approx(40) and activity["mine_a"] == pytest.approx(60)
    assert floored["balance"]["marginal_value"].iloc[0] == pytest.approx(10)


def test_a_floor_above_the_capacity_is_bad_input(tmp_path):
    folder = two_mines(tmp_path / "bad", floor=150)
    with pytest.raises(InputError) as error:
        reeopt.load(folder)
    assert "processes.csv, line 3, column 'min_activity'" in str(error.value)


def test_backcast_rows_carry_deviation_tolerance_role_and_source(tmp_path):
    """With the 40-t floor: B's observed 40 t (calibration) is met exactly (deviation 0); an observed
    price of 12.5 $/t against the marginal value 10 gives 10/12.5 − 1 = −20 %, within the default
    ±30 % of prices; A's observed 80 t against 60 is −25 %, outside its stated ±10 %."""
    observed = [FLOOR_ROW, REPORT_ROW, price_row(12.5)]
    solution, table = reeopt.backcast(two_mines(tmp_path / "bc", floor=40, observed=observed))
    assert list(table.columns) == BACKCAST_COLUMNS
    rows = table.set_index("source")
    assert rows.loc["floor", "group"] == "plants" and rows.loc["floor", "deviation"] == pytest.approx(0)
    assert rows.loc["floor", "role"] == "calibration"
    assert rows.loc["report", "deviation"] == pytest.approx(-0.25) and not rows.loc["report", "within"]
    assert rows.loc["report", "role"] == "validation"  # a row without x_role tests the model
    assert rows.loc["market", "group"] == "prices" and rows.loc["market", "deviation"] == pytest.approx(-0.2)
    assert rows.loc["market", "tolerance"] == pytest.approx(0.30) and rows.loc["market", "within"]


def test_backcast_command_writes_backcast_csv_and_labels_inputs(tmp_path, reeopt):
    observed = [FLOOR_ROW, price_row(10)]
    folder = two_mines(tmp_path / "bc", floor=40, observed=observed)
    run = reeopt("backcast", folder, "--out", tmp_path / "out")
    assert run.code == 0, run.err
    table = pd.read_csv(tmp_path / "out" / "backcast.csv")
    assert len(table) == 2 and set(table["role"]) == {"calibration", "validation"}
    assert "(input)" in run.out and "validation rows within tolerance: 1 of 1" in run.out


def test_backcast_without_observations_is_bad_input(reeopt):
    run = reeopt("backcast", "toy")
    assert run.code == 2 and "observed.csv" in run.err and "no observations" in run.err


def test_world_observed_csv_is_what_its_build_script_writes():
    script = INSTANCES / "world" / "build_observed.py"
    done = subprocess.run([sys.executable, str(script), "--check"], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_report_of_a_backcast_folder_shows_each_row_against_its_tolerance(tmp_path, reeopt):
    """The two-mine backcast above, reported: A's 80 t against the model's 60 (−25 %, outside ±10 %)
    is the validation row furthest off; B's floor is an input; the market price 12.5 against 10 is
    −20 %, within ±30 %. The page draws the backcast and lists its rows, validation first."""
    observed = [FLOOR_ROW, REPORT_ROW, price_row(12.5)]
    folder = two_mines(tmp_path / "bc", floor=40, observed=observed)
    assert reeopt("backcast", folder, "--out", tmp_path / "out", "--quiet").code == 0
    assert reeopt("report", tmp_path / "out", "--out", tmp_path / "page.html").code == 0
    figure = figures_for(tmp_path / "out")["backcast"]
    assert figure.layout.meta["reading"] == (
        "Validation: 1 of 2 figures within tolerance; the furthest off, mine_a R 2025, -25% (±10%). "
        "1 calibration row (an input, not a test)."
    )
    listing = backcast_tables(read_results(tmp_path / "out"))
    (rows,) = listing.values()
    assert rows["within"].tolist() == ["NO", "yes", "input"]
    page = (tmp_path / "page.html").read_text()
    assert "Model against observed (backcast.csv)" in page and "missed (input)" not in page
    assert 'id="folder-1-backcast"' in page
    # a results folder without backcast.csv has no backcast figure
    assert "backcast" not in figures_for(optimizer.write(optimizer.solve("toy"), tmp_path / "toy"))


def test_the_backcast_reading_counts_a_row_without_a_deviation_as_the_table_does():
    """An observed 0 has no deviation (model / 0); against a model figure of 5 it is not within: the
    table says NO for it, and the figure's reading must count it too (1 of 2, not 1 of 1)."""
    from pathlib import Path

    from optimizer.report.backcast import backcast_figure
    from optimizer.report.folder import ResultsFolder

    rows = pd.DataFrame(
        {"group": ["plants", "plants"], "item": ["a R", "b R"], "period": [2025, 2025],
         "role": ["validation", "validation"], "observed": [100.0, 0.0], "model": [110.0, 5.0],
         "deviation": [0.10, float("nan")], "tolerance": [0.15, 0.15], "within": [True, False],
         "source": ["s", "s"]}
    )  # fmt: skip
    folder = ResultsFolder(Path("."), {}, {"backcast": rows})
    assert backcast_figure(folder).layout.meta["reading"].startswith("Validation: 1 of 2 figures within tolerance")
    (listing,) = backcast_tables(folder).values()
    assert listing["within"].tolist() == ["NO", "yes"]


def test_an_observed_zero_is_met_by_a_model_zero_only(tmp_path):
    """Without a floor mine A serves all 100 t and mine B idles: B observed at 0 t is met (0 = 0, no
    deviation to compute); A observed at 0 t is not (the model runs it at 100 t)."""
    observed = [
        {"kind": "activity", "process": "mine_b", "region": "R", "period": 2025, "value": 0, "x_source": "idle"},
        {"kind": "activity", "process": "mine_a", "region": "R", "period": 2025, "value": 0, "x_source": "busy"},
    ]
    _, table = reeopt.backcast(two_mines(tmp_path / "zero", observed=observed))
    rows = table.set_index("source")
    assert rows.loc["idle", "within"] and pd.isna(rows.loc["idle", "deviation"])
    assert not rows.loc["busy", "within"] and rows.loc["busy", "model"] == pytest.approx(100)


def licensed_exports(folder, *, limit, observed=None):
    """A mines ore at 100 $/t, B at 300 $/t (each up to 100 t); B needs 10 t; ore ships A→B at
    20 $/t under an export quota of ``limit`` t a year."""
    mines = [{"process": "mine", "region": region, "capacity": 100, "cost_system": cost} for region, cost in
             (("A", 100), ("B", 300))]  # fmt: skip
    return write_instance(
        folder,
        regions=["A", "B"],
        commodities=[{"commodity": "ore", "stage": "ore", "unit": "t REO"}],
        process_io=[{"process": "mine", "commodity": "ore", "direction": "out", "coefficient": 1}],
        processes=mines,
        demand=[{"region": "B", "commodity": "ore", "quantity": 10}],
        trade=[{"commodity": "ore", "origin": "A", "destination": "B", "cost": 20}],
        quotas=[{"quota": "licence", "origin": "A", "commodities": "ore", "limit": limit}],
        observed=observed,
        objective="cost",
        discount_rate=0,
    )


@pytest.mark.parametrize("engine", ["pyomo", "arrays"])
def test_an_export_price_under_a_binding_quota_is_the_price_at_home_plus_the_licence_rent(tmp_path, engine):
    """Quota 6 t: A ships 6 t (6·(100 + 20) = 720) and B mines the other 4 t (1,200): cost 1,920.
    The next tonne B needs comes from its own mine, so B's marginal value is 300; A's is its mining
    cost, 100 (A mines 6 < 100 t). One more tonne of licence replaces a tonne of B's ore by A's:
    300 − 20 − 100 = 180 saved (quota 7: 7·120 + 3·300 = 1,740 = 1,920 − 180), the rent. Ore sold
    for export at A fetches B's price net of shipping, 280 = 100 + 180: an observed FOB price of 280
    is met by ``export_price`` and missed by ``price`` (100 / 280 − 1 = −64 %). With a quota of 20 t
    A serves all 10 t, the licence is worth nothing and the export price is A's own, 100."""
    observed = [
        {"kind": kind, "region": "A", "commodity": "ore", "period": 2025, "value": 280, "x_source": kind}
        for kind in ("export_price", "price")
    ]
    solution, table = reeopt.backcast(licensed_exports(tmp_path / "six", limit=6, observed=observed), engine=engine)
    assert solution.objective == pytest.approx(1920)
    quota = solution["quotas"].iloc[0]
    assert (quota["quota"], quota["origin"], quota["period"]) == ("licence", "A", 2025)
    assert quota["shipped"] == pytest.approx(6) and quota["limit"] == 6 and quota["rent"] == pytest.approx(180)
    looser = reeopt.solve(licensed_exports(tmp_path / "seven", limit=7), engine=engine)
    assert solution.objective - looser.objective == pytest.approx(quota["rent"])
    rows = table.set_index("source")
    assert rows.loc["export_price", "model"] == pytest.approx(280) and rows.loc["export_price", "within"]
    assert rows.loc["export_price", "item"] == "ore A (export)"
    assert rows.loc["price", "deviation"] == pytest.approx(100 / 280 - 1) and not rows.loc["price", "within"]

    slack, table = reeopt.backcast(licensed_exports(tmp_path / "twenty", limit=20, observed=observed), engine=engine)
    assert slack["quotas"]["rent"].iloc[0] == 0 and slack["quotas"]["shipped"].iloc[0] == pytest.approx(10)
    assert table.set_index("source").loc["export_price", "model"] == pytest.approx(100)


def test_quotas_csv_is_in_every_results_folder_and_the_summary_names_the_binding_ones(tmp_path, reeopt):
    """The 6-t licence above: one row, rent 180, printed by ``solve`` and drawn by the report (which
    reads the folder back); toy has no quotas: header only."""
    run = reeopt("solve", licensed_exports(tmp_path / "six", limit=6), "--out", tmp_path / "out")
    assert run.code == 0, run.err
    written = pd.read_csv(tmp_path / "out" / "quotas.csv")
    assert written.columns.tolist() == ["quota", "origin", "period", "shipped", "limit", "rent", "rent_flag"]
    assert written["rent"].tolist() == pytest.approx([180])
    assert "Export quotas that bind" in run.out and "licence (A) 2025, rent 180\n" in run.out
    reading = figures_for(tmp_path / "out")["quota_rents"].layout.meta["reading"]
    assert (
        reading
        == "1 of 1 export quotas bind in some period; the dearest licence is licence (A) in 2025, 180 USD per t."
    )
    toy = optimizer.write(optimizer.solve("toy"), tmp_path / "toy")
    assert (toy / "quotas.csv").read_text().strip() == "quota,origin,period,shipped,limit,rent,rent_flag"


def test_an_export_price_without_any_quota_is_the_price_at_home(tmp_path):
    """No quotas.csv at all: no licence, so the export price of ore at A is A's marginal value, its
    mining cost 100 (A serves B's 10 t: 10 · 120 = 1,200). It raised a TypeError before (the empty
    rent table's column was text, and the tonne-weighted rent divided text by tonnes)."""
    folder = licensed_exports(tmp_path / "free", limit=6, observed=[
        {"kind": "export_price", "region": "A", "commodity": "ore", "period": 2025, "value": 100, "x_source": "fob"}
    ])  # fmt: skip
    (folder / "quotas.csv").unlink()
    solution, table = reeopt.backcast(folder)
    assert solution.objective == pytest.approx(1200) and solution["quotas"].empty
    assert table.set_index("source").loc["fob", "model"] == pytest.approx(100)


def gem_exports(folder, observed, *, gem_to: list[str], licensed_to: str):
    """``licensed_exports`` (licence 6 t) in regions A, B, C plus a gem that A mines at 50 $/t for its
    own 5 t, tradeable from A to each of ``gem_to`` at 20 $/t, licensed with the ore (one quota over ore
    and gem with destinations ``licensed_to``, blank for all)."""
    folder = licensed_exports(folder, limit=6, observed=observed)
    pd.DataFrame({"region": ["A", "B", "C"]}).to_csv(folder / "regions.csv", index=False)
    pd.DataFrame([{"commodity": c, "stage": "ore", "unit": "t REO"} for c in ("ore", "gem")]).to_csv(
        folder / "commodities.csv", index=False
    )
    pd.DataFrame(
        [
            {"process": "mine", "commodity": "ore", "direction": "out", "coefficient": 1},
            {"process": "gem_mine", "commodity": "gem", "direction": "out", "coefficient": 1},
        ]
    ).to_csv(folder / "process_io.csv", index=False)
    processes = pd.read_csv(folder / "processes.csv")
    gem = {"process": "gem_mine", "region": "A", "capacity": 100, "cost_system": 50}
    pd.concat([processes, pd.DataFrame([gem])]).to_csv(folder / "processes.csv", index=False)
    pd.DataFrame(
        [{"region": "B", "commodity": "ore", "quantity": 10}, {"region": "A", "commodity": "gem", "quantity": 5}]
    ).to_csv(folder / "demand.csv", index=False)
    links = [("ore", "B")] + [("gem", d) for d in gem_to]
    pd.DataFrame([{"commodity": c, "origin": "A", "destination": d, "cost": 20} for c, d in links]).to_csv(
        folder / "trade.csv", index=False
    )
    pd.DataFrame(
        [{"quota": "licence", "origin": "A", "commodities": "ore;gem", "destinations": licensed_to, "limit": 6}]
    ).to_csv(folder / "quotas.csv", index=False)
    return folder


@pytest.mark.parametrize("destinations", ["B", ""])
def test_a_commodity_shipped_nowhere_is_priced_with_the_licence_its_only_link_needs(tmp_path, destinations):
    """``licensed_exports`` plus a gem that A mines at 50 $/t for its own 5 t, tradeable A→B at 20 $/t
    (B wants none) and licensed with the ore (one quota over ore and gem, 6 t). The ore fills the
    licence as before: rent 180 (300 − 20 − 100). The gem ships nowhere; every link it could ship on
    (A→B: C, a third region, has no trade link) needs that licence, so a tonne of gem for export at A
    costs its price at home, 50, plus a licence, 180: 230, whether the quota names B or leaves its
    destinations blank. Naming B gave 50 before: the rent of the cheapest link counted only when the
    quota covered every other region, links or none."""
    observed = [{"kind": "export_price", "region": "A", "commodity": "gem", "period": 2025, "value": 230,
                 "x_source": "fob"}]  # fmt: skip
    folder = gem_exports(tmp_path / "gem", observed, gem_to=["B"], licensed_to=destinations)
    solution, table = reeopt.backcast(folder)
    assert solution.objective == pytest.approx(1920 + 5 * 50)
    assert solution["quotas"]["rent"].tolist() == pytest.approx([180])
    assert solution["trade"].query("commodity == 'gem'")["shipped"].sum() == pytest.approx(0)
    assert table.set_index("source").loc["fob", "model"] == pytest.approx(230)


@pytest.mark.parametrize("engine", ["pyomo", "arrays"])
def test_a_rent_at_a_degenerate_vertex_is_flagged_not_unique(tmp_path, engine):
    """``licensed_exports`` with a licence of exactly B's 10 t: A ships all 10 t and B's mine stands
    idle at a degenerate vertex. One more tonne of licence is worth nothing (B needs no more), one
    less costs B a tonne mined at 300 instead of 120: the objective falls by 0 going up and rises by
    180 going down (by hand: 1,200; 1,200 at 11 t; 9 · 120 + 300 = 1,380 at 9 t), so any rent in
    [0, 180] is a valid dual and the one reported is one end: ``rent_flag`` says ``not_unique``. With a
    6-t licence the rent, 180, is the derivative both ways (B's mine is active): no flag; nor with a
    20-t licence that A's 10 t leave slack (rent 0 in every optimal dual: complementary slackness),
    whose row HiGHS ranges around its activity, not its limit."""
    solutions = {limit: reeopt.solve(licensed_exports(tmp_path / str(limit), limit=limit), engine=engine)
                 for limit in (6, 9, 10, 11, 20)}  # fmt: skip
    assert [solutions[limit].objective for limit in (9, 10, 11)] == pytest.approx([1380, 1200, 1200])
    tight, active = solutions[10]["quotas"].iloc[0], solutions[6]["quotas"].iloc[0]
    assert 0 <= tight["rent"] <= 180 and tight["rent_flag"] == "not_unique"
    assert active["rent"] == pytest.approx(180) and active["rent_flag"] == ""
    loose = solutions[20]["quotas"].iloc[0]
    assert loose["shipped"] == pytest.approx(10) and loose["rent"] == 0 and loose["rent_flag"] == ""


def test_solve_marks_a_rent_that_is_not_unique(tmp_path, reeopt):
    """The 10-t licence of the test above: HiGHS reports the upper end of [0, 180], 180, and the
    console line says it is not unique; the 6-t licence's line carries no mark (the summary test)."""
    run = reeopt("solve", licensed_exports(tmp_path / "ten", limit=10), "--out", tmp_path / "out")
    assert run.code == 0, run.err
    assert pd.read_csv(tmp_path / "out" / "quotas.csv")["rent_flag"].tolist() == ["not_unique"]
    assert "licence (A) 2025, rent 180 (not unique)\n" in run.out


def test_diff_shows_a_change_of_quota_rent(tmp_path, reeopt):
    """The 6-t licence (rent 180) against a 20-t one that A's 10 t leave slack (rent 0): ``reeopt
    diff`` lists the rent's change, −180, beside the shipments'; against a folder without quotas.csv
    (written before it existed) it says nothing about quotas."""
    for name, limit in (("six", 6), ("twenty", 20)):
        assert (
            reeopt("solve", licensed_exports(tmp_path / name, limit=limit), "--out", tmp_path / f"{name}_out").code == 0
        )
    shown = reeopt("diff", tmp_path / "six_out", tmp_path / "twenty_out")
    assert shown.code == 0, shown.err
    assert (
        "Largest changes in quotas.csv" in shown.out
        and "-180.00" in shown.out.split("Largest changes in quotas.csv")[1]
    )
    (tmp_path / "twenty_out" / "quotas.csv").unlink()
    shown = reeopt("diff", tmp_path / "six_out", tmp_path / "twenty_out")
    assert shown.code == 0 and "Largest changes in quotas.csv" not in shown.out


def test_under_transit_forbidden_an_export_price_starts_from_what_a_tonne_made_there_fetches(tmp_path):
    """``licensed_exports`` (6-t licence, rent 180) with ``transit: forbidden``: A exports all it
    makes, so its transit row binds and its ``marginal_value`` is one end of an interval (flagged
    ``not_unique``): which end the solver returns changes with unrelated data (in the world, Lynas
    Malaysia's Tb in 2033 came back 0 beside a ``marginal_value_made`` of about 1.03 M$/t). What a
    tonne made at A fetches, ``marginal_value_made``, is its mining cost 100, unique, and the export
    price is 100 + 180 = 280 whichever end ``marginal_value`` shows: here set to 0 in the table
    (the other end it may take), the backcast still says 280. It said 180 before."""
    from optimizer.analysis.backcast import backcast_table

    observed = [{"kind": "export_price", "region": "A", "commodity": "ore", "period": 2025, "value": 280,
                 "x_source": "fob"}]  # fmt: skip
    folder = licensed_exports(tmp_path / "forbidden", limit=6, observed=observed)
    settings = (folder / "instance.yaml").read_text()
    (folder / "instance.yaml").write_text(settings + "transit: forbidden\n")
    solution, table = reeopt.backcast(folder)
    balance = solution["balance"].set_index("region")
    assert (
        balance.loc["A", "marginal_value_made"] == pytest.approx(100) and balance.loc["A", "price_flag"] == "not_unique"
    )
    assert table["model"].tolist() == pytest.approx([280])
    solution.tables["balance"] = solution["balance"].assign(
        marginal_value=lambda frame: frame["marginal_value"].where(frame["region"] != "A", 0.0)
    )
    again = backcast_table(solution, reeopt.load(folder).table("observed"))
    assert again["model"].tolist() == pytest.approx([280])


def licensed_periods(folder, *, limits):
    """``licensed_exports`` over 2025 (5 years) and 2030 (7 years) at 5 % a year, with the value
    objective (B pays 1,000 $/t for its 10 t) and B's mine a lumpy build (units of 5 t/yr at 7 $/t/yr
    capex; none stands): a MIP whose duals come from the LP with the build fixed. The licence has a row
    per period: ``limits`` t in 2025 and 2030."""
    periods = [2025, 2030]
    return write_instance(
        folder,
        regions=["A", "B"],
        commodities=[{"commodity": "ore", "stage": "ore", "unit": "t REO"}],
        process_io=[{"process": "mine", "commodity": "ore", "direction": "out", "coefficient": 1}],
        processes=[
            {"process": "mine", "region": "A", "capacity": 100, "cost_system": 100},
            {
                "process": "mine",
                "region": "B",
                "capacity": 0,
                "cost_system": 300,
                "capex": 7,
                "unit_size": 5,
                "max_build": 100,
            },
        ],  # fmt: skip
        demand=[{"region": "B", "commodity": "ore", "quantity": 10, "price": 1000, "period": p} for p in periods],
        trade=[{"commodity": "ore", "origin": "A", "destination": "B", "cost": 20}],
        quotas=[
            {"quota": "licence", "origin": "A", "commodities": "ore", "limit": limit, "period": p}
            for p, limit in zip(periods, limits, strict=True)
        ],  # fmt: skip
        objective="value",
        discount_rate=0.05,
        periods=periods,
        period_lengths={2025: 5, 2030: 7},
    )


@pytest.mark.parametrize("engine", ["pyomo", "arrays"])
def test_the_rent_is_the_objective_gained_per_tonne_of_licence_in_each_periods_money(tmp_path, engine):
    """``licensed_periods`` with 6 t in both periods: A ships 6, B builds one unit and mines 4 (the
    build fixed, B's mine has room, so the next tonne is B's at 300). One more tonne of licence in a
    period replaces a tonne of B's ore by A's, 300 − 20 − 100 = 180 a year, and the value objective
    grows by 180 · disc · len: 180 · 5 in 2025, 180 · 1.05⁻⁵ · 7 in 2030 (the one unit still stands).
    The rent, per tonne in the period's own money, is that gain over disc · len: 180 in both."""
    base = reeopt.solve(licensed_periods(tmp_path / "base", limits=[6, 6]), engine=engine)
    assert base.summary["duals"] == "fixed_integer_lp"
    rents = base["quotas"].set_index("period")["rent"]
    assert rents.tolist() == pytest.approx([180, 180])
    for position, (period, weight) in enumerate(((2025, 5.0), (2030, 1.05**-5 * 7))):
        limits = [6, 6]
        limits[position] = 7
        looser = reeopt.solve(licensed_periods(tmp_path / str(period), limits=limits), engine=engine)
        assert looser.objective - base.objective == pytest.approx(180 * weight, rel=1e-9)
        assert (looser.objective - base.objective) / weight == pytest.approx(rents[period], rel=1e-9)


def test_backcast_flags_an_export_price_built_on_a_rent_that_is_not_unique(tmp_path, reeopt):
    """The 10-t licence above (rent any of [0, 180]): an observed FOB price of A's ore is set beside
    A's price plus one end of that interval, so the backcast row says ``rent_not_unique`` and the
    printout marks it; the 6-t licence's row (rent 180 both ways) carries no flag."""
    observed = [{"kind": "export_price", "region": "A", "commodity": "ore", "period": 2025, "value": 280}]
    folder = licensed_exports(tmp_path / "ten", limit=10, observed=observed)
    run = reeopt("backcast", folder, "--out", tmp_path / "out")
    assert run.code == 0, run.err
    table = pd.read_csv(tmp_path / "out" / "backcast.csv", keep_default_na=False)
    assert table["flag"].tolist() == ["rent_not_unique"]
    assert "yes*" in run.out or "NO*" in run.out
    assert "* the model's figure is no market price" in run.out and "ore A (export) 2025: rent_not_unique" in run.out
    _, table = optimizer.backcast(licensed_exports(tmp_path / "six", limit=6, observed=observed))
    assert table["flag"].tolist() == [""]


def test_a_deviation_equal_to_the_tolerance_is_within(tmp_path):
    """With the 40-t floor A mines 60 t; observed 80 t with a stated tolerance of 25 %: 60/80 − 1 =
    −0.25 exactly (both are exact in binary), and a row is within when |deviation| <= tolerance."""
    observed = [FLOOR_ROW, {**REPORT_ROW, "x_tolerance": 0.25}]
    _, table = reeopt.backcast(two_mines(tmp_path / "bc", floor=40, observed=observed))
    report = table.set_index("source").loc["report"]
    assert report["deviation"] == -0.25 and report["tolerance"] == 0.25
    assert report["within"]


def test_a_commodity_shipped_nowhere_takes_the_cheapest_link_it_could_ship_on(tmp_path):
    """The gem of the test above may also ship A→C (20 $/t), a link the licence (destinations B) does
    not cover. Shipping nowhere, a tonne of gem for export at A needs no licence on its cheapest
    link: its price at home, 50 + 0, not 50 + 180 (the rent of the A→B link)."""
    observed = [{"kind": "export_price", "region": "A", "commodity": "gem", "period": 2025, "value": 50,
                 "x_source": "fob"}]  # fmt: skip
    folder = gem_exports(tmp_path / "gem", observed, gem_to=["B", "C"], licensed_to="B")
    solution, table = reeopt.backcast(folder)
    assert solution.objective == pytest.approx(1920 + 5 * 50)
    assert solution["quotas"]["rent"].tolist() == pytest.approx([180])
    assert solution["trade"].query("commodity == 'gem'")["shipped"].sum() == pytest.approx(0)
    assert table.set_index("source").loc["fob", "model"] == pytest.approx(50)
