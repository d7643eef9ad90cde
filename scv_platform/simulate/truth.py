"""Ground truth for evaluation and tests (the platform never reads it)."""

from __future__ import annotations

import dataclasses
import json
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from scv_platform.settings import SimulationSettings
from scv_platform.simulate.geography import STATES
from scv_platform.simulate.segments import SEGMENT_NAMES
from scv_platform.simulate.timeline import Timeline

ANOMALY_COLUMNS = ["kind", "source", "record_id", "event_date"]


DATE_COLUMNS = frozenset({"birthdate", "join_date", "churn_date", "event_date", "date"})


def _write(frame: pd.DataFrame, path: Path) -> str:
    """Parquet without pandas metadata; calendar-date columns as DATE."""
    table = pa.Table.from_pandas(frame, preserve_index=False).replace_schema_metadata(None)
    for i, name in enumerate(table.column_names):
        if name in DATE_COLUMNS:
            table = table.set_column(i, name, table.column(i).cast(pa.date32()))
    pq.write_table(table, path, compression="snappy")
    return path.name


def _dates(tl: Timeline, t: np.ndarray) -> np.ndarray:
    out = np.full(t.size, np.datetime64("NaT"), dtype="datetime64[D]")
    known = ~np.isnan(t)
    out[known] = tl.to_date64(t[known])
    return out


def people_truth(
    people: pd.DataFrame,
    pool: pd.DataFrame,
    tl: Timeline,
    email: np.ndarray,
    line1: np.ndarray,
    postal_idx: np.ndarray,
) -> pd.DataFrame:
    """One row per person: who they are (current contact data) and how they behave."""
    codes = pool["postal_code"].to_numpy()
    state_idx = pool["state_idx"].to_numpy()
    churn = people["churn_t"].to_numpy()
    return pd.DataFrame(
        {
            "person_id": people["person_id"],
            "segment": SEGMENT_NAMES[people["segment_idx"].to_numpy()],
            "gender": people["gender"],
            "first_name": people["first_name"],
            "last_name": people["last_name"],
            "birthdate": people["birthdate"].to_numpy().astype("datetime64[D]"),
            "employment_status": people["employment_status"],
            "email": email,
            "initial_email": people["email"],
            "phone": people["phone"],
            "address_line1": line1,
            "city": pool["city"].to_numpy()[postal_idx],
            "state": STATES.code[state_idx[postal_idx]],
            "postal_code": codes[postal_idx],
            "initial_postal_code": codes[people["postal_idx"].to_numpy()],
            "join_date": _dates(tl, people["join_t"].to_numpy()),
            "churn_date": _dates(tl, churn),
            "is_declining": people["segment_idx"].to_numpy() == 3,
            "is_new": people["segment_idx"].to_numpy() == 4,
            "in_crm": people["in_crm"],
            "in_legacy": people["in_legacy"],
            "is_shopper": people["is_shopper"],
            "contactid": people["contactid"].replace("", None),
            "legacy_cust_no": people["legacy_cust_no"].replace("", None),
            "shop_customer_id": people["shop_customer_id"].replace("", None),
        }
    )


def identity_map(
    people: pd.DataFrame, legacy_ids: pd.DataFrame, orders: pd.DataFrame
) -> pd.DataFrame:
    """One row per source identity; unknown shoppers have no person."""
    person_id = people["person_id"].to_numpy()
    crm = people[people["in_crm"]]
    shoppers = people[people["is_shopper"]]
    unknown = orders.loc[orders["person"] < 0, "shop_customer_id"].drop_duplicates().sort_values()
    return pd.concat(
        [
            pd.DataFrame(
                {
                    "source_system": "d365",
                    "source_record_id": crm["contactid"],
                    "person_id": crm["person_id"],
                }
            ),
            pd.DataFrame(
                {
                    "source_system": "legacy",
                    "source_record_id": legacy_ids["cust_no"].astype(str),
                    "person_id": person_id[legacy_ids["person"].to_numpy()],
                }
            ),
            pd.DataFrame(
                {
                    "source_system": "shop",
                    "source_record_id": shoppers["shop_customer_id"],
                    "person_id": shoppers["person_id"],
                }
            ),
            pd.DataFrame({"source_system": "shop", "source_record_id": unknown, "person_id": None}),
        ],
        ignore_index=True,
    )


def write_truth(
    truth_dir: Path,
    settings: SimulationSettings,
    frames: dict[str, pd.DataFrame],
    report: dict[str, object],
) -> list[str]:
    """Write every truth table as Parquet plus ``simulation.json``."""
    truth_dir.mkdir(parents=True, exist_ok=True)
    names = [_write(frame, truth_dir / f"{name}.parquet") for name, frame in frames.items()]
    settings_dict = {
        k: (v.isoformat() if isinstance(v, date) else v)
        for k, v in dataclasses.asdict(settings).items()
    }
    payload = {"settings": settings_dict, "report": {**report, "truth_files": names}}
    (truth_dir / "simulation.json").write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n")
    return [*names, "simulation.json"]
