"""The warehouse tables identity resolution reads and writes, and how it reads and writes them.

Identifiers come from the constants below (checked as plain identifiers); values are bound
as parameters. Outputs are written inside one transaction (:func:`output_writes`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import duckdb
import pandas as pd

from scv_platform.warehouse.frames import FrameWrite, write_frame
from scv_platform.warehouse.sql import checked_identifier, qualified

KEY_SEPARATOR = "|"
# The comparisons of the Splink model: one per-field match weight column ``mw_<name>`` each.
FIELD_NAMES = (
    "first_name", "last_name", "birth_date", "address_line1", "location", "email", "phone",
)  # fmt: skip


@dataclass(frozen=True)
class Table:
    schema: str
    name: str

    @property
    def sql(self) -> str:
        return qualified(self.schema, self.name)

    @property
    def asset_path(self) -> list[str]:
        return [self.schema, self.name]


CANDIDATES = Table("silver", "int_identity__candidates")
CARD_LINKS = Table("silver", "int_identity__card_links")
OVERRIDES = Table("silver", "identity_overrides")
CROSSWALK = Table("gold", "customer_crosswalk")
EXPLANATIONS = Table("silver", "identity_match_explanations")
LINKS = Table("silver", "identity_links")
LINEAGE = Table("silver", "identity_id_lineage")
AMBIGUOUS = Table("silver", "identity_ambiguous_accounts")
MODEL = Table("silver", "identity_model")  # each trained Splink model, appended

CANDIDATE_COLUMNS = (
    "source_system", "source_record_id", "first_name", "last_name", "full_name", "birth_date",
    "email", "phone", "phone_alt", "address_line1", "city", "state_code", "postal_code",
    "card_account_ids", "source_updated_at", "is_active",
)  # fmt: skip
CARD_LINK_COLUMNS = ("card_account_id", "source_system", "source_record_id")
OVERRIDE_COLUMNS = (
    "decision", "source_system_a", "source_record_id_a", "source_system_b", "source_record_id_b",
    "reason", "reviewed_by", "reviewed_on",
)  # fmt: skip

PAIR_COLUMNS = (
    ("source_system_l", "VARCHAR"),
    ("source_record_id_l", "VARCHAR"),
    ("source_system_r", "VARCHAR"),
    ("source_record_id_r", "VARCHAR"),
)
CROSSWALK_COLUMNS = (
    ("source_system", "VARCHAR"),
    ("source_record_id", "VARCHAR"),
    ("scv_customer_id", "VARCHAR"),
    ("match_rule", "VARCHAR"),
    ("match_probability", "DOUBLE"),
    ("resolved_at", "TIMESTAMP"),
)
LINK_COLUMNS = (
    *PAIR_COLUMNS,
    ("scv_customer_id", "VARCHAR"),
    ("match_rule", "VARCHAR"),
    ("match_probability", "DOUBLE"),
    ("status", "VARCHAR"),
    ("resolved_at", "TIMESTAMP"),
)
EXPLANATION_BASE_COLUMNS = (
    *PAIR_COLUMNS,
    ("scv_customer_id_l", "VARCHAR"),
    ("scv_customer_id_r", "VARCHAR"),
    ("status", "VARCHAR"),
    ("match_probability", "DOUBLE"),
    ("match_weight", "DOUBLE"),
    ("prior_match_weight", "DOUBLE"),
)
EXPLANATION_COLUMNS = (
    *EXPLANATION_BASE_COLUMNS,
    *((f"mw_{name}", "DOUBLE") for name in FIELD_NAMES),
    ("resolved_at", "TIMESTAMP"),
)
LINEAGE_COLUMNS = (
    ("old_scv_customer_id", "VARCHAR"),
    ("new_scv_customer_id", "VARCHAR"),
    ("change_type", "VARCHAR"),
    ("identities_moved", "BIGINT"),
    ("reason", "VARCHAR"),
    ("changed_at", "TIMESTAMP"),
)

AMBIGUOUS_COLUMNS = (
    ("source_system", "VARCHAR"),
    ("source_record_id", "VARCHAR"),
    ("scv_customer_id", "VARCHAR"),
    ("deciding_rule", "VARCHAR"),
    ("candidate_customers", "BIGINT"),
    ("candidate_scv_customer_ids", "VARCHAR"),
    ("resolved_at", "TIMESTAMP"),
)

MODEL_COLUMNS = (
    ("trained_at", "TIMESTAMP"),
    ("identities", "BIGINT"),
    ("definition_digest", "VARCHAR"),
    ("model_json", "VARCHAR"),
)
MODEL_NAMES = [name for name, _ in MODEL_COLUMNS]


class MissingInputError(RuntimeError):
    """A table identity resolution needs is not in the warehouse."""


def identity_keys(source_system: pd.Series, source_record_id: pd.Series) -> pd.Series:
    """One string key per source identity: ``<system>|<record id>``."""
    return source_system.astype(str) + KEY_SEPARATOR + source_record_id.astype(str)


def table_exists(con: duckdb.DuckDBPyConnection, table: Table) -> bool:
    row = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
        [table.schema, table.name],
    ).fetchone()
    return bool(row and row[0])


def _select(con: duckdb.DuckDBPyConnection, table: Table, columns: Sequence[str]) -> pd.DataFrame:
    cols = ", ".join(checked_identifier(c) for c in columns)
    return con.execute(f"SELECT {cols} FROM {table.sql}").df()


@dataclass
class IdentityInputs:
    candidates: pd.DataFrame
    card_links: pd.DataFrame
    overrides: pd.DataFrame
    notes: list[str]


@dataclass(frozen=True)
class TrainedModel:
    """A trained Splink model as stored in ``silver.identity_model``."""

    trained_at: datetime
    identities: int  # how many identities it was trained on
    definition_digest: str  # of the code and knobs that define it (model_reuse.py)
    model_json: str  # Splink's own JSON of the model

    def as_frame(self) -> pd.DataFrame:
        return pd.DataFrame([[getattr(self, name) for name in MODEL_NAMES]], columns=MODEL_NAMES)


@dataclass
class PreviousState:
    crosswalk: pd.DataFrame  # source_system, source_record_id, scv_customer_id
    issued_ids: set[str]  # every id ever handed out (crosswalk and lineage)
    model: TrainedModel | None = None  # the latest trained model, if any


def read_inputs(con: duckdb.DuckDBPyConnection) -> IdentityInputs:
    """Candidates (required), card links and overrides (empty when absent, with a note)."""
    if not table_exists(con, CANDIDATES):
        raise MissingInputError(
            f"{CANDIDATES.sql} does not exist: build the dbt model int_identity__candidates "
            "(dbt build --select +int_identity__candidates) before resolving identities."
        )
    notes: list[str] = []
    candidates = _select(con, CANDIDATES, CANDIDATE_COLUMNS)
    frames = {}
    for table, columns in ((CARD_LINKS, CARD_LINK_COLUMNS), (OVERRIDES, OVERRIDE_COLUMNS)):
        if table_exists(con, table):
            frames[table] = _select(con, table, columns)
        else:
            notes.append(f"{table.sql} is absent: resolved without it.")
            frames[table] = pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    return IdentityInputs(candidates, frames[CARD_LINKS], frames[OVERRIDES], notes)


def read_previous(con: duckdb.DuckDBPyConnection) -> PreviousState:
    """The crosswalk of the last run (empty on the first run), every id issued so far and
    the latest trained model."""
    columns = ("source_system", "source_record_id", "scv_customer_id")
    if table_exists(con, CROSSWALK):
        crosswalk = _select(con, CROSSWALK, columns)
    else:
        crosswalk = pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    issued = set(crosswalk["scv_customer_id"].dropna())
    if table_exists(con, LINEAGE):
        for old, new in con.execute(
            f"SELECT old_scv_customer_id, new_scv_customer_id FROM {LINEAGE.sql}"
        ).fetchall():
            issued.update(v for v in (old, new) if v)
    return PreviousState(crosswalk, issued, _latest_model(con))


def _latest_model(con: duckdb.DuckDBPyConnection) -> TrainedModel | None:
    if not table_exists(con, MODEL):
        return None
    names = ", ".join(MODEL_NAMES)
    row = con.execute(
        f"SELECT {names} FROM {MODEL.sql} ORDER BY trained_at DESC LIMIT 1"
    ).fetchone()
    if row is None:
        return None
    trained_at, identities, digest, model_json = row
    return TrainedModel(trained_at, int(identities), digest, model_json)


def output_writes(
    crosswalk: pd.DataFrame,
    links: pd.DataFrame,
    explanations: pd.DataFrame,
    lineage: pd.DataFrame,
    ambiguous: pd.DataFrame,
    trained_model: TrainedModel | None = None,
) -> list[FrameWrite]:
    """The crosswalk, links, explanations and ambiguous accounts replace their tables; the
    lineage and a newly trained model are appended."""
    models = trained_model.as_frame() if trained_model else pd.DataFrame(columns=MODEL_NAMES)
    return [
        FrameWrite(CROSSWALK.schema, CROSSWALK.name, crosswalk, CROSSWALK_COLUMNS),
        FrameWrite(LINKS.schema, LINKS.name, links, LINK_COLUMNS),
        FrameWrite(EXPLANATIONS.schema, EXPLANATIONS.name, explanations, EXPLANATION_COLUMNS),
        FrameWrite(LINEAGE.schema, LINEAGE.name, lineage, LINEAGE_COLUMNS, append=True),
        FrameWrite(AMBIGUOUS.schema, AMBIGUOUS.name, ambiguous, AMBIGUOUS_COLUMNS),
        FrameWrite(MODEL.schema, MODEL.name, models, MODEL_COLUMNS, append=True),
    ]


def replace_table(
    con: duckdb.DuckDBPyConnection,
    table: Table,
    frame: pd.DataFrame,
    columns: Sequence[tuple[str, str]],
) -> None:
    """Replace ``table`` by ``frame`` with the given column types (empty frames included)."""
    write_frame(con, FrameWrite(table.schema, table.name, frame, columns))


def write_inputs(
    con: duckdb.DuckDBPyConnection,
    candidates: pd.DataFrame,
    card_links: pd.DataFrame | None = None,
    overrides: pd.DataFrame | None = None,
) -> None:
    """Write the three input tables (as dbt would): for tests and local experiments."""
    candidate_types = dict.fromkeys(CANDIDATE_COLUMNS, "VARCHAR") | {
        "birth_date": "DATE",
        "source_updated_at": "TIMESTAMP",
        "is_active": "BOOLEAN",
    }
    frame = candidates.reindex(columns=list(CANDIDATE_COLUMNS))
    replace_table(con, CANDIDATES, frame, list(candidate_types.items()))
    links = card_links if card_links is not None else pd.DataFrame(columns=CARD_LINK_COLUMNS)
    link_columns = [(c, "VARCHAR") for c in CARD_LINK_COLUMNS]
    replace_table(con, CARD_LINKS, links.reindex(columns=list(CARD_LINK_COLUMNS)), link_columns)
    rules = overrides if overrides is not None else pd.DataFrame(columns=OVERRIDE_COLUMNS)
    override_types = [(c, "DATE" if c == "reviewed_on" else "VARCHAR") for c in OVERRIDE_COLUMNS]
    replace_table(con, OVERRIDES, rules.reindex(columns=list(OVERRIDE_COLUMNS)), override_types)
