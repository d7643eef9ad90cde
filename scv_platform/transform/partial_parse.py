"""Reuse dbt's parse across dbt invocations.

Each invocation has its own target folder. It starts from the project's saved parse
(``target/partial_parse.msgpack``, also written by ``dbt parse``), so dbt re-parses only the
files that changed, and hands its parse back when it finishes. Invocations parse without
``--vars`` (see :mod:`scv_platform.transform.in_process`), so one saved parse serves them
all. dbt itself decides whether the saved parse still applies: a stale one costs a full
parse, never a wrong manifest.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

PARTIAL_PARSE_FILE = "partial_parse.msgpack"


def shared_target_dir(project_dir: Path) -> Path:
    """The folder of the saved parse (DBT_TARGET_PATH, else target/)."""
    target = Path(os.getenv("DBT_TARGET_PATH", "target"))
    return target if target.is_absolute() else project_dir / target


def seed_partial_parse(project_dir: Path, target_path: Path) -> None:
    """Give an invocation's target folder the saved parse, when there is one."""
    saved = shared_target_dir(project_dir) / PARTIAL_PARSE_FILE
    destination = target_path / PARTIAL_PARSE_FILE
    if saved.exists() and not destination.exists():
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(saved, destination)


def share_partial_parse(project_dir: Path, target_path: Path) -> None:
    """Atomically replace the saved parse with the invocation's own."""
    parsed = target_path / PARTIAL_PARSE_FILE
    if not parsed.exists():
        return
    saved = shared_target_dir(project_dir) / PARTIAL_PARSE_FILE
    saved.parent.mkdir(parents=True, exist_ok=True)
    staged = saved.with_name(f".{uuid.uuid4().hex}.{PARTIAL_PARSE_FILE}")
    shutil.copyfile(parsed, staged)
    os.replace(staged, saved)  # concurrent steps never see a half-written file
