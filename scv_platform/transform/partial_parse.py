"""Reuse dbt's parse across the dbt steps of a run.

dagster-dbt gives every invocation its own target folder, seeded with the project's
``target/partial_parse.msgpack``. An invocation whose profile, vars or environment differ
from that file's parse re-parses the whole project (seconds per step). Handing each
finished invocation's parse back to the project lets the next step with the same settings
(the other steps of the run) parse only what changed; dbt itself decides whether the file
still applies, so a stale one costs a full parse, never a wrong manifest.
"""

from __future__ import annotations

import os
import shutil
import uuid

from dagster_dbt.core.dbt_cli_invocation import DbtCliInvocation

PARTIAL_PARSE_FILE = "partial_parse.msgpack"


def share_partial_parse(invocation: DbtCliInvocation) -> None:
    """Atomically replace the project's partial-parse file with the invocation's."""
    parsed = invocation.target_path / PARTIAL_PARSE_FILE
    if not parsed.exists():
        return
    # the folder dagster-dbt seeds each invocation from (DBT_TARGET_PATH, else target/)
    shared = invocation.project_dir / os.getenv("DBT_TARGET_PATH", "target") / PARTIAL_PARSE_FILE
    shared.parent.mkdir(parents=True, exist_ok=True)
    staged = shared.with_name(f".{uuid.uuid4().hex}.{PARTIAL_PARSE_FILE}")
    shutil.copyfile(parsed, staged)
    os.replace(staged, shared)  # concurrent steps never see a half-written file
