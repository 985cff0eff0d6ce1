"""instances/china_2015_2022/build_observed.py regenerates the shipped observed.csv and demand.csv."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd

FOLDER = Path(__file__).resolve().parents[1] / "instances" / "china_2015_2022"


def test_the_script_regenerates_the_shipped_files(tmp_path):
    run = subprocess.run(
        [sys.executable, str(FOLDER / "build_observed.py"), "--out", str(tmp_path)], capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    for name in ("observed.csv", "demand.csv"):
        assert (tmp_path / name).read_text() == (FOLDER / name).read_text(), name


def test_every_observed_row_names_its_source_and_deliveries_equal_demand():
    observed = pd.read_csv(FOLDER / "observed.csv")
    assert observed["x_source"].notna().all()
    delivered = observed[observed["kind"] == "delivered"].set_index(["region", "commodity", "period"])["value"]
    demand = pd.read_csv(FOLDER / "demand.csv").set_index(["region", "commodity", "period"])["quantity"]
    pd.testing.assert_series_equal(delivered.sort_index(), demand.sort_index(), check_names=False)


def test_magnet_exports_use_the_world_convention():
    """2022: 55,000 t of magnet exported (SMM, SOURCES.md §7) x 0.3615 t REO per t = 19,882.5 t REO,
    shipped to EU 30 % / US 14 % / KR 12 % / JP 5 % / RoW 39 %: EU = 5,964.75 t REO."""
    observed = pd.read_csv(FOLDER / "observed.csv")
    magnets = observed[(observed["kind"] == "trade") & (observed["commodity"] == "ndfeb_magnet")]
    shipped_2022 = magnets[magnets["period"] == 2022].set_index("destination")["value"]
    assert abs(shipped_2022.sum() - 55000 * 0.3615) < 0.005
    assert shipped_2022["EU"] == 5964.75


def test_every_node_balances_in_every_year():
    """Production + arrivals >= consumption + shipments + deliveries for every (region, commodity, year):
    the surplus is disposal, never a deficit (so `reeopt account` is feasible)."""
    observed = pd.read_csv(FOLDER / "observed.csv")
    recipe = pd.read_csv(FOLDER / "process_io.csv")
    recipe["sign"] = recipe["direction"].map({"out": 1.0, "in": -1.0}) * recipe["coefficient"]
    runs = observed[observed["kind"] == "activity"].merge(recipe, on="process", suffixes=("", "_r"))
    flows = [runs.assign(net=runs["value"] * runs["sign"])[["region", "commodity_r", "period", "net"]]]
    flows[0] = flows[0].rename(columns={"commodity_r": "commodity"})
    trade = observed[observed["kind"] == "trade"]
    node = ["region", "commodity", "period", "net"]
    flows.append(trade.assign(region=trade["origin"], net=-trade["value"])[node])
    flows.append(trade.assign(region=trade["destination"], net=trade["value"])[node])
    delivered = observed[observed["kind"] == "delivered"]
    flows.append(delivered.assign(net=-delivered["value"])[node])
    balance = pd.concat(flows).groupby(["region", "commodity", "period"])["net"].sum()
    assert balance.min() > -1e-6, balance.nsmallest(3)


def test_the_former_magnet_conversion_rebuilds_the_former_figures(tmp_path):
    """With 0.31 t REO per t of magnet, the script gives the pre-issue-14 file's numbers (SOURCES.md §12:
    1,735 of its 1,768 rows identical, the others within 1 kg): e.g. 2015 magnet exports 25,000 t x 0.31
    = 7,750 t REO, China's 2015 magnet output 19,231.906 t REO and Bayan Obo's 2022 mining 190,850 x 0.627
    = 119,662.95 t REO, as SOURCES.md §5-§8 state them."""
    run = subprocess.run(
        [sys.executable, str(FOLDER / "build_observed.py"), "--out", str(tmp_path), "--reo-per-t-magnet", "0.31"],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    observed = pd.read_csv(tmp_path / "observed.csv")
    activity = observed[observed["kind"] == "activity"].set_index(["process", "period"])["value"]
    assert abs(activity[("magnet_ndfeb", 2015)] - 19231.906) <= 0.0015
    assert activity[("mining_bayan_obo", 2022)] == 119662.95
    trade = observed[(observed["kind"] == "trade") & (observed["commodity"] == "ndfeb_magnet")]
    assert abs(trade[trade["period"] == 2015]["value"].sum() - 7750) < 0.005
