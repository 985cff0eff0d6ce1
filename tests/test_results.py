"""The results folder: the files of INTERFACE.md, mass balance closing in them, atomic writes."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import optimizer as reeopt
from optimizer.errors import InputError
from optimizer.output.columns import RESULT_COLUMNS
from optimizer.output.results import MARKER, default_out, write_folder
from tests.random_instances import random_instance

COLUMNS = {f"{name}.csv": RESULT_COLUMNS[name] for name in ("activity", "trade", "delivered", "balance", "builds")}
SUMMARY_KEYS = [
    "status",
    "objective_kind",
    "objective",
    "instance",
    "scenario",
    "periods",
    "n_variables",
    "n_constraints",
    "n_nonzeros",
    "build_seconds",
    "solve_seconds",
    "solver",
    "costs",
    "revenue",
    "unmet_demand",
]


@pytest.fixture(params=range(6))
def written(request, tmp_path, reeopt):
    folder = random_instance(tmp_path / "inst", request.param)
    out = tmp_path / "out"
    assert reeopt("solve", folder, "--out", out, "--quiet").code == 0
    return folder, out


def test_files_and_columns_are_as_the_interface_says(written):
    _, out = written
    for name, columns in COLUMNS.items():
        assert pd.read_csv(out / name).columns.tolist()[: len(columns)] == columns
    summary = json.loads((out / "summary.json").read_text())
    assert all(key in summary for key in SUMMARY_KEYS)
    assert set(summary["costs"]) >= {
        "system",
        "energy",
        "material",
        "waste",
        "trade",
        "tariff",
        "capex",
        "holding",
        "penalty",
    }
    assert summary["solver"]["name"] == "highs"


def test_mass_balance_closes_in_the_written_files(written):
    _, out = written
    b = pd.read_csv(out / "balance.csv")
    residual = (
        b["produced"] - b["consumed"] + b["imports"] - b["exports"] - b["delivered"] - b["disposed"] - b["stock_change"]
    )
    scale = b[["produced", "consumed", "imports", "exports"]].abs().max(axis=1).clip(lower=1.0)
    assert (residual.abs() / scale).max() < 1e-6


def test_balance_agrees_with_activity_trade_and_delivered(written):
    folder, out = written
    b = pd.read_csv(out / "balance.csv").set_index(["region", "commodity", "period"])
    trade = pd.read_csv(out / "trade.csv")
    imports = trade.groupby(["destination", "commodity", "period"])["arrived"].sum()
    exports = trade.groupby(["origin", "commodity", "period"])["shipped"].sum()
    for (region, commodity, period), value in imports.items():
        assert b.loc[(region, commodity, period), "imports"] == pytest.approx(value, rel=1e-9, abs=1e-9)
    for (region, commodity, period), value in exports.items():
        assert b.loc[(region, commodity, period), "exports"] == pytest.approx(value, rel=1e-9, abs=1e-9)
    delivered = pd.read_csv(out / "delivered.csv")
    for row in delivered[delivered["delivered"] > 1e-9].itertuples():
        assert b.loc[(row.region, row.commodity, row.period), "delivered"] == pytest.approx(row.delivered)
    recipe = reeopt.load(folder).table("process_io")
    activity = pd.read_csv(out / "activity.csv").merge(recipe, on="process")
    outputs = activity[activity["direction"] == "out"]
    produced = (
        (outputs["activity"] * outputs["coefficient"])
        .groupby([outputs["region"], outputs["commodity"], outputs["period"]])
        .sum()
    )
    for key, value in produced[produced > 1e-9].items():
        assert b.loc[key, "produced"] == pytest.approx(value, rel=1e-9)


def test_delivered_plus_unmet_is_demand(written):
    _, out = written
    d = pd.read_csv(out / "delivered.csv")
    np.testing.assert_allclose(d["delivered"] + d["unmet"], d["demand"], rtol=1e-9, atol=1e-9)


def test_rewriting_replaces_the_folder_whole(tmp_path):
    out = tmp_path / "res"
    write_folder(out, {"a.csv": "x\n1\n", "b.csv": "y\n2\n"})
    write_folder(out, {"a.csv": "x\n3\n"})
    assert sorted(p.name for p in out.iterdir()) == [MARKER, "a.csv"]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".res.") and p.is_dir()] == []


def test_a_folder_reeopt_did_not_write_is_not_replaced(tmp_path, reeopt):
    precious = tmp_path / "home"
    precious.mkdir()
    (precious / "thesis.tex").write_text("years of work")
    run = reeopt("solve", "toy", "--out", precious)
    assert run.code == 2 and "refusing to replace it" in run.err
    assert [p.name for p in precious.iterdir()] == ["thesis.tex"]
    with pytest.raises(InputError):
        write_folder(precious, {"a.csv": "x\n1\n"})


def test_names_from_files_stay_under_results():
    out = default_out("../../etc", "/tmp/victim")
    assert out.parts[:2] == ("results", "_.._etc-74ccf3c5") and out.parts[2].startswith("_tmp_victim-")


def test_a_crash_between_renames_is_recovered_by_the_next_run(tmp_path):
    out = tmp_path / "res"
    write_folder(out, {"a.csv": "x\n1\n"})
    out.rename(tmp_path / ".res.old-99999")  # as a writer killed after moving the old folder aside
    (tmp_path / ".res.tmp-99999-abc").mkdir()  # and its half-written staging folder
    write_folder(out, {"a.csv": "x\n2\n"})
    assert (out / "a.csv").read_text() == "x\n2\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".res.lock", "res"]


def test_table_csv_is_pandas_text_byte_for_byte():
    """The fast CSV writer gives exactly ``to_csv(index=False, float_format="%.15g")``: NaN as the
    empty field, -0, inf, 0.1 + 0.2 to 15 digits, quoted commas and quotes, missing strings of
    both string kinds, integers and a repeated column name."""
    import numpy as np
    import pandas as pd

    from optimizer.output.results import table_csv

    table = pd.DataFrame(
        {
            "a": [1.0, np.nan, -0.0, np.inf, 1e-300, 0.1 + 0.2],
            "b": pd.array(["x,y", None, 'q"', "", "z", "é"], dtype="string"),
            "c": [1, 2, 3, 4, 5, 6],
            "d": ["a", None, "b", "c", "d", "e"],
        }
    )
    table.columns = ["a", "b", "c", "a"]
    assert table_csv(table) == table.to_csv(index=False, float_format="%.15g")
    assert table_csv(table.iloc[:0]) == table.iloc[:0].to_csv(index=False, float_format="%.15g")
