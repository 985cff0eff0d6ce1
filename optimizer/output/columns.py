"""The columns of every table of a results folder (INTERFACE.md): one list, read by the writers of the
tables, by the report (a missing file reads as an empty table with these columns) and by the tests.

Only data here, no imports, so any stage may use it.
"""

RESULT_COLUMNS: dict[str, list[str]] = {
    "activity": ["process", "region", "period", "activity", "capacity", "capacity_dual", "capacity_dual_flag"],
    "trade": ["commodity", "origin", "destination", "period", "shipped", "arrived", "cost"],
    "delivered": ["region", "commodity", "period", "demand", "delivered", "unmet"],
    "balance": [
        "region",
        "commodity",
        "period",
        "produced",
        "consumed",
        "imports",
        "exports",
        "delivered",
        "disposed",
        "stock_change",
        "marginal_value",
    ],
    "builds": ["process", "region", "period", "built"],
    "sourcing": ["region", "commodity", "period", "origin_region", "origin_kind", "tonnes", "share"],
    "stage_sourcing": ["region", "stage", "period", "origin_region", "origin_kind", "tonnes", "share"],
    "mfa": [
        "stage",
        "region",
        "period",
        "production",
        "imports",
        "exports",
        "net_imports",
        "consumed",
        "delivered",
        "disposed",
        "stock_change",
        "transit_losses",
        "process_losses",
    ],
    "mfca": ["stage", "region", "period", "category", "to_products", "to_losses"],
    "value_added": ["stage", "region", "period", "basis", "input_value", "output_value", "value_added"],
    # an extension: one row per export quota and period (its rent: solution.py's sign conventions)
    "quotas": ["quota", "origin", "period", "shipped", "limit", "rent", "rent_flag"],
}
# backcast.csv, which ``reeopt backcast`` writes beside a solve's tables (not in every results folder)
BACKCAST_COLUMNS = [
    "group",
    "item",
    "period",
    "role",
    "observed",
    "model",
    "deviation",
    "tolerance",
    "within",
    "source",
    "flag",
]
