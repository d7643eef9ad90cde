"""The warehouse tables the churn model reads and writes, through the warehouse gateway
(DuckDB locally, Snowflake in production)."""

import hashlib
import json
from collections.abc import Sequence

import dagster as dg
import pandas as pd

from scv_platform.identity.tables import Table
from scv_platform.ml.features import (
    CATEGORICAL,
    FLAGS,
    KEYS,
    LABEL,
    MODEL_FEATURES,
    NUMERIC,
    SCORING_ROLE,
    TRAINING_ROLE,
)
from scv_platform.warehouse.frames import FrameWrite
from scv_platform.warehouse.gateway import WarehouseGateway, open_gateway
from scv_platform.warehouse.sql import checked_identifier

FEATURES = Table("gold", "churn_features")
LABELS = Table("gold", "churn_labels")
PREDICTIONS = Table("gold", "churn_predictions")
CUSTOMERS = Table("gold", "dim_customer")

PREDICTION_COLUMNS = (
    ("scv_customer_id", "VARCHAR"),
    ("churn_probability", "DOUBLE"),
    ("risk_band", "VARCHAR"),
    ("model_version", "VARCHAR"),
    ("scored_at", "TIMESTAMP"),
)


def _require(gateway: WarehouseGateway, tables: Sequence[Table]) -> None:
    missing = [t.sql for t in tables if not gateway.table_exists(t.schema, t.name)]
    if missing:
        raise dg.Failure(
            description=(
                f"{', '.join(missing)} missing: build the dbt churn models first "
                "(materialise the group gold_churn, or dbt build --select +churn_labels)."
            ),
            allow_retries=False,
        )


def typed(frame: pd.DataFrame) -> pd.DataFrame:
    """Feature columns with one dtype per kind: floats (NaN for NULL), text (``unknown`` for
    NULL), booleans (false for NULL)."""
    out = frame.copy()
    out[list(NUMERIC)] = out[list(NUMERIC)].astype("float64")
    for column in CATEGORICAL:
        out[column] = out[column].astype(object).where(out[column].notna(), "unknown")
    out[list(FLAGS)] = out[list(FLAGS)].fillna(False).astype(bool)
    out["cutoff_date"] = pd.to_datetime(out["cutoff_date"]).dt.date
    return out


def read_features(gateway: WarehouseGateway, role: str) -> pd.DataFrame:
    """Feature rows of one cutoff role; training rows come with their label."""
    tables = [FEATURES, LABELS] if role == TRAINING_ROLE else [FEATURES]
    _require(gateway, tables)
    columns = ", ".join(f"f.{checked_identifier(c)}" for c in (*KEYS, *MODEL_FEATURES))
    if role == TRAINING_ROLE:
        sql = (
            f"SELECT {columns}, l.{LABEL} FROM {FEATURES.sql} AS f "
            f"JOIN {LABELS.sql} AS l USING (cutoff_date, scv_customer_id) "
            "WHERE f.cutoff_role = $role ORDER BY f.cutoff_date, f.scv_customer_id"
        )
    else:
        sql = (
            f"SELECT {columns} FROM {FEATURES.sql} AS f WHERE f.cutoff_role = $role "
            "ORDER BY f.scv_customer_id"
        )
    frame = typed(gateway.fetch_frame(sql, {"role": role}))
    if role == TRAINING_ROLE:
        frame[LABEL] = frame[LABEL].astype(int)
    return frame


def training_fingerprint(warehouse: object) -> dict[str, str] | None:
    """What identifies the training rows without reading them: their number, latest cutoff
    and latest build times in gold.churn_features and gold.churn_labels (both incremental:
    a row changes only by being built again, at a later ``_built_at``), and the columns the
    model reads. The same fingerprint means the same training rows; None when the tables are
    missing."""
    with open_gateway(warehouse) as gateway:
        for table in (FEATURES, LABELS):
            if not gateway.table_exists(table.schema, table.name):
                return None
        [row] = gateway.execute(
            f"SELECT count(*), max(f.cutoff_date), max(f._built_at), max(l._built_at) "
            f"FROM {FEATURES.sql} AS f "
            f"JOIN {LABELS.sql} AS l USING (cutoff_date, scv_customer_id) "
            "WHERE f.cutoff_role = $role",
            {"role": TRAINING_ROLE},
        )
    columns = hashlib.sha256(json.dumps([*KEYS, *MODEL_FEATURES, LABEL]).encode()).hexdigest()
    names = ("rows", "last_cutoff", "features_built_at", "labels_built_at")
    return {**{n: str(v) for n, v in zip(names, row, strict=True)}, "columns": columns[:16]}


def read_training_frame(warehouse: object) -> pd.DataFrame:
    with open_gateway(warehouse) as gateway:
        return read_features(gateway, TRAINING_ROLE)


def read_scoring_frame(warehouse: object) -> pd.DataFrame:
    with open_gateway(warehouse) as gateway:
        return read_features(gateway, SCORING_ROLE)


def _predictions_write(frame: pd.DataFrame, append: bool) -> FrameWrite:
    return FrameWrite(PREDICTIONS.schema, PREDICTIONS.name, frame, PREDICTION_COLUMNS, append)


def write_predictions(warehouse: object, predictions: pd.DataFrame) -> None:
    """Replace ``gold.churn_predictions`` (contracts.md columns) in one transaction."""
    with open_gateway(warehouse) as gateway:
        gateway.write_frames([_predictions_write(predictions, append=False)])


def ensure_predictions_table(warehouse: object) -> None:
    """An empty ``gold.churn_predictions`` when none exists yet (existing scores stay)."""
    empty = pd.DataFrame(columns=[name for name, _ in PREDICTION_COLUMNS])
    with open_gateway(warehouse) as gateway:
        gateway.write_frames([_predictions_write(empty, append=True)])


def prediction_coverage(gateway: WarehouseGateway) -> dict[str, object]:
    """How the predictions cover the current customers of ``gold.dim_customer``."""
    _require(gateway, [CUSTOMERS, PREDICTIONS])
    [row] = gateway.execute(
        f"""
        WITH current_customers AS (
            SELECT DISTINCT scv_customer_id FROM {CUSTOMERS.sql} WHERE is_current
        )
        SELECT
            (SELECT count(*) FROM current_customers),
            (SELECT count(*) FROM current_customers AS c WHERE NOT EXISTS (
                SELECT 1 FROM {PREDICTIONS.sql} AS p WHERE p.scv_customer_id = c.scv_customer_id)),
            (SELECT count(*) FROM {PREDICTIONS.sql} AS p WHERE NOT EXISTS (
                SELECT 1 FROM current_customers AS c WHERE c.scv_customer_id = p.scv_customer_id)),
            (SELECT count(*) - count(DISTINCT scv_customer_id) FROM {PREDICTIONS.sql}),
            (SELECT count(*) FROM {PREDICTIONS.sql}
             WHERE churn_probability IS NULL OR churn_probability < 0 OR churn_probability > 1),
            (SELECT count(DISTINCT model_version) FROM {PREDICTIONS.sql})
        """
    )
    sample = gateway.execute(
        f"""
        SELECT scv_customer_id FROM {CUSTOMERS.sql} AS c WHERE is_current AND NOT EXISTS (
            SELECT 1 FROM {PREDICTIONS.sql} AS p WHERE p.scv_customer_id = c.scv_customer_id)
        ORDER BY scv_customer_id LIMIT 10
        """
    )
    names = (
        "current_customers", "missing", "not_current", "duplicated", "invalid_probability",
        "model_versions",
    )  # fmt: skip
    return {
        **dict(zip(names, (int(v) for v in row), strict=True)),
        "sample": [s[0] for s in sample],
    }
