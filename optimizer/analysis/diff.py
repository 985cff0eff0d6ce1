"""Two results folders compared: what differs in their inputs, and what that did to the results.

Reads only the folders (summary.json, ``inputs/``, the tables), so runs made on other machines or
days compare as well. Input tables are matched on their keys (INTERFACE.md); a row is *added*,
*removed* or *changed* (with the columns that changed).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from optimizer.analysis.readback import read_csv, read_summary
from optimizer.errors import InputError, Problem
from optimizer.instance.schema import TABLES

RESULT_KEYS = {
    "activity": (["process", "region", "period"], "activity"),
    "trade": (["commodity", "origin", "destination", "period"], "shipped"),
    "balance": (["region", "commodity", "period"], "marginal_value"),
    "quotas": (["quota", "origin", "period"], "rent"),  # absent from folders written before quotas.csv
}


def diff_runs(first: Path, second: Path, top: int = 10) -> dict:
    """``inputs`` (files whose hash differs, and row differences per table), ``summary`` (numbers that
    changed) and ``results`` (the largest changes of activity, shipments, marginal values and quota rents)."""
    a, b = _summary(first), _summary(second)
    files_a, files_b = a.get("run", {}).get("files", {}), b.get("run", {}).get("files", {})
    changed_files = sorted(name for name in set(files_a) | set(files_b) if files_a.get(name) != files_b.get(name))
    tables = {}
    for name, table in TABLES.items():
        rows = _table_diff(first / "inputs" / table.file, second / "inputs" / table.file, list(table.key))
        if rows is not None and not rows.empty:
            tables[name] = rows
    numbers = {}
    for key in ("status", "objective", "unmet_demand", "revenue"):
        if a.get(key) != b.get(key):
            numbers[key] = (a.get(key), b.get(key))
    for key in set(a.get("costs") or {}) | set(b.get("costs") or {}):
        va, vb = (a.get("costs") or {}).get(key), (b.get("costs") or {}).get(key)
        if va != vb and not _close(va, vb):
            numbers[f"costs.{key}"] = (va, vb)
    results = {
        name: _result_diff(first / f"{name}.csv", second / f"{name}.csv", keys, value, top)
        for name, (keys, value) in RESULT_KEYS.items()
    }
    return {
        "same_inputs": a.get("run", {}).get("input_hash") == b.get("run", {}).get("input_hash"),
        "changed_files": changed_files,
        "inputs": tables,
        "summary": numbers,
        "results": {k: v for k, v in results.items() if v is not None and not v.empty},
    }


def _close(va, vb) -> bool:
    numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (va, vb))
    return numbers and abs(va - vb) <= 1e-9 * max(1.0, abs(va))


def _summary(folder: Path) -> dict:
    if not Path(folder).is_dir():
        raise InputError(Problem(str(folder), "is not a results folder", expected="a folder with summary.json"))
    summary = read_summary(Path(folder) / "summary.json")
    for block in (summary, summary.get("run") or {}):
        for key in ("run", "costs", "files"):
            if not isinstance(block, dict) or not isinstance(block.get(key) or {}, dict):
                raise InputError(Problem(str(Path(folder) / "summary.json"), f"'{key}' is not an object"))
    return summary


def _table_diff(first: Path, second: Path, key: list[str]) -> pd.DataFrame | None:
    if not first.exists() and not second.exists():
        return None
    a, b = (_inputs_table(path, key) for path in (first, second))
    key = [k for k in key if k in a.columns or k in b.columns]
    merged = a.merge(b, on=key, how="outer", suffixes=("_a", "_b"), indicator=True)
    rows = []
    values = [c for c in set(a.columns) | set(b.columns) if c not in key]
    for record in merged.to_dict("records"):
        where = ", ".join(f"{k}={record[k]}" for k in key if record[k] not in ("", None) and record[k] == record[k])
        if record["_merge"] == "left_only":
            rows.append({"row": where, "change": "removed", "detail": ""})
        elif record["_merge"] == "right_only":
            rows.append({"row": where, "change": "added", "detail": ""})
        else:
            changes = [
                f"{c}: {record.get(c + '_a', '')} -> {record.get(c + '_b', '')}"
                for c in sorted(values)
                if _differs(record.get(c + "_a", ""), record.get(c + "_b", ""))
            ]
            if changes:
                rows.append({"row": where, "change": "changed", "detail": "; ".join(changes)})
    return pd.DataFrame(rows, columns=["row", "change", "detail"])


def _inputs_table(file: Path, key: list[str]) -> pd.DataFrame:
    table = read_csv(file, text_columns=None)
    if table is None or not len(table.columns):
        return pd.DataFrame(columns=key)
    return table.fillna("")


def _differs(a, b) -> bool:
    a, b = ("" if a is None or a != a else str(a)), ("" if b is None or b != b else str(b))
    if a == b:
        return False
    try:
        return not np.isclose(float(a), float(b), rtol=1e-12, atol=0.0)
    except ValueError:
        return True


def _result_table(file: Path, keys: list[str], value: str) -> pd.DataFrame | None:
    table = read_csv(file, [k for k in keys if k != "period"], ["period", value])
    if table is None or table.empty:
        return None
    missing = [column for column in keys + [value] if column not in table.columns]
    if missing:
        raise InputError(Problem(str(file), f"has no column '{missing[0]}'", expected="the columns reeopt writes"))
    return table[keys + [value]]


def _result_diff(first: Path, second: Path, keys: list[str], value: str, top: int) -> pd.DataFrame | None:
    if not first.exists() or not second.exists():
        return None
    a, b = (_result_table(path, keys, value) for path in (first, second))
    if a is None or b is None:
        return None
    merged = a.merge(b, on=keys, how="outer", suffixes=("_a", "_b")).fillna({f"{value}_a": 0.0, f"{value}_b": 0.0})
    merged["change"] = merged[f"{value}_b"] - merged[f"{value}_a"]
    merged = merged[merged["change"].abs() > 1e-9 * np.maximum(1.0, merged[f"{value}_a"].abs())]
    return merged.reindex(merged["change"].abs().sort_values(ascending=False).index).head(top).reset_index(drop=True)
