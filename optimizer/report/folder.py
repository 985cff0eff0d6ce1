"""A results folder as the report sees it: summary.json, the CSV tables and diagnosis.txt, nothing else.

The report knows nothing of the solver: everything it shows is read here with pandas from the files
INTERFACE.md lists. A missing or empty table reads as an empty DataFrame with the table's columns, so
a figure never has to ask whether a file was there (an infeasible run has only summary.json and
diagnosis.txt).

>>> import tempfile, optimizer
>>> scratch = tempfile.TemporaryDirectory()
>>> folder = read_results(optimizer.write(optimizer.solve("toy"), f"{scratch.name}/toy"))
>>> folder.label, folder.status, folder.periods
('toy / base', 'optimal', [2025])
>>> folder.table("trade")["arrived"].sum()
np.float64(100.0)
>>> folder.table("builds").empty
True
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from optimizer.analysis.readback import read_bytes, read_csv, read_summary, read_text
from optimizer.errors import InputError, Problem
from optimizer.output.columns import BACKCAST_COLUMNS, RESULT_COLUMNS
from optimizer.report.chain import Chain, read_chain

# a missing file reads as an empty table with these columns; backcast.csv is there only when
# ``reeopt backcast`` wrote the folder
TABLE_COLUMNS = {**RESULT_COLUMNS, "backcast": BACKCAST_COLUMNS}
TEXT_COLUMNS = {
    "process",
    "region",
    "commodity",
    "origin",
    "destination",
    "stage",
    "category",
    "basis",
    "origin_region",
    "origin_kind",
    "group",
    "item",
    "role",
    "source",
    "within",
    "quota",
    "rent_flag",
    "capacity_dual_flag",
    "value_flag",
    "flag",
}


@dataclass(frozen=True)
class ResultsFolder:
    """The files of one results folder, read.

    ``tables`` maps a table name (``"mfa"``) to its DataFrame; ``chain`` is the stage of every
    commodity and process, from the instance named in summary.json when that folder can be found
    (``None`` otherwise: the results folder itself does not record stages of commodities).
    """

    path: Path
    summary: Mapping
    tables: Mapping[str, pd.DataFrame] = field(repr=False)
    diagnosis: str | None = field(default=None, repr=False)
    chain: Chain | None = field(default=None, repr=False)

    @property
    def label(self) -> str:
        """``instance / label`` (the run's ``--label``, else its scenario), as the command line prints it."""
        name = self.summary.get("label") or self.summary.get("scenario", self.path.name)
        return f"{self.summary.get('instance', self.path.name)} / {name}"

    @property
    def status(self) -> str:
        return str(self.summary.get("status", "unknown"))

    @property
    def solved(self) -> bool:
        """Whether the folder holds a solution (tables), not only a diagnosis."""
        return not self.table("balance").empty

    @property
    def periods(self) -> list[int]:
        periods = self.summary.get("periods") or sorted(self.table("balance")["period"].unique())
        return [int(p) for p in periods]

    @property
    def currency(self) -> str:
        return str(self.summary.get("currency") or "USD")

    def table(self, name: str) -> pd.DataFrame:
        """The table ``name`` (empty, with its columns, when the file is missing or empty)."""
        table = self.tables.get(name)
        return table if table is not None else pd.DataFrame(columns=TABLE_COLUMNS.get(name, []))

    def in_period(self, name: str, period: int) -> pd.DataFrame:
        """The rows of table ``name`` for one period."""
        table = self.table(name)
        return table[table["period"] == period]

    def pick_period(self, period: int | None) -> int | None:
        """``period`` checked against the folder's periods; the last period when ``None``."""
        periods = self.periods
        if period is None:
            return periods[-1] if periods else None
        if int(period) not in periods:
            raise InputError(
                Problem(
                    str(self.path / "summary.json"),
                    f"no period {period} in these results",
                    expected="one of " + ", ".join(map(str, periods)),
                )
            )
        return int(period)


def read_results(path: str | Path) -> ResultsFolder:
    """Read a results folder written by ``reeopt solve`` (or ``optimizer.write``).

    Raises :class:`~optimizer.errors.InputError` when ``path`` has no summary.json.
    """
    path = Path(path)
    summary_file = path / "summary.json"
    if not path.is_dir() or read_bytes(summary_file) is None:
        raise InputError(Problem(str(path), "not a results folder: no summary.json", expected="a folder reeopt wrote"))
    summary = read_summary(summary_file)
    tables = {name: _read_table(path / f"{name}.csv", columns) for name, columns in TABLE_COLUMNS.items()}
    diagnosis = read_text(path / "diagnosis.txt")
    # ``instance_path`` is not in INTERFACE.md yet; used when a writer records where the instance was.
    chain = read_chain(str(summary.get("instance_path") or summary.get("instance", "")), path)
    return ResultsFolder(path=path, summary=summary, tables=tables, diagnosis=diagnosis, chain=chain)


def _read_table(file: Path, columns: list[str]) -> pd.DataFrame:
    table = read_csv(file, TEXT_COLUMNS, [column for column in columns if column not in TEXT_COLUMNS])
    if table is None or table.empty and not len(table.columns):
        return pd.DataFrame({column: pd.Series(dtype=_dtype(column)) for column in columns})
    for column in columns:
        if column not in table.columns:
            table[column] = pd.Series(dtype=_dtype(column))
    if "within" in table.columns:
        table["within"] = table["within"].astype(str).str.lower() == "true"
    return table


def _dtype(column: str) -> str:
    return "object" if column in TEXT_COLUMNS else "int64" if column == "period" else "float64"
