"""Reuse dbt's parse across dbt invocations, one parse per set of ``--vars``.

dagster-dbt gives every invocation its own target folder, seeded with the project's
``target/partial_parse.msgpack``. dbt re-parses the whole project (seconds) when the
invocation's ``--vars`` differ from those of that file's parse, and a daily run alternates
between the partitioned facts (the day window as vars) and everything else (no vars). So
each set of vars keeps its own file: ``partial_parse.msgpack`` for no vars (also written by
``dbt parse``), ``partial_parse.<hash of the vars>.msgpack`` otherwise, the most recent
:data:`KEPT_VARIANTS` of them. An invocation is seeded with the file of its own vars, and its
parse is handed back to that file when it finishes. dbt itself decides whether a file still
applies, so a stale one costs a full parse, never a wrong manifest.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import uuid
from collections.abc import Sequence
from pathlib import Path

from dagster_dbt.core.dbt_cli_invocation import DbtCliInvocation

PARTIAL_PARSE_FILE = "partial_parse.msgpack"
KEPT_VARIANTS = 8  # parses kept for sets of vars other than none (about 2 MB each)


def vars_argument(args: Sequence[str]) -> str | None:
    """The value of ``--vars`` in dbt arguments (``--vars V`` or ``--vars=V``), if any."""
    for index, arg in enumerate(args):
        if arg == "--vars" and index + 1 < len(args):
            return args[index + 1]
        if arg.startswith("--vars="):
            return arg.split("=", 1)[1]
    return None


def shared_target_dir(project_dir: Path) -> Path:
    """The folder dagster-dbt seeds each invocation from (DBT_TARGET_PATH, else target/)."""
    target = Path(os.getenv("DBT_TARGET_PATH", "target"))
    return target if target.is_absolute() else project_dir / target


def cached_parse_path(project_dir: Path, args: Sequence[str]) -> Path:
    """Where the parse of an invocation with these arguments is kept."""
    dbt_vars = vars_argument(args)
    folder = shared_target_dir(project_dir)
    if not dbt_vars:
        return folder / PARTIAL_PARSE_FILE
    digest = hashlib.sha256(dbt_vars.encode("utf-8")).hexdigest()[:16]
    return folder / f"partial_parse.{digest}.msgpack"


def seed_partial_parse(project_dir: Path, target_path: Path, args: Sequence[str]) -> None:
    """Give an invocation's target folder the parse made with its vars, when there is one
    (dagster-dbt then leaves it be, instead of copying the vars-less parse)."""
    cached = cached_parse_path(project_dir, args)
    destination = target_path / PARTIAL_PARSE_FILE
    if cached.exists() and not destination.exists():
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(cached, destination)


def share_partial_parse(invocation: DbtCliInvocation) -> None:
    """Atomically replace the kept parse for the invocation's vars (read from the dbt
    command it ran) with its own, then drop the oldest parses beyond :data:`KEPT_VARIANTS`."""
    parsed = invocation.target_path / PARTIAL_PARSE_FILE
    if not parsed.exists():
        return
    shared = cached_parse_path(invocation.project_dir, list(invocation.process.args))
    shared.parent.mkdir(parents=True, exist_ok=True)
    staged = shared.with_name(f".{uuid.uuid4().hex}.{PARTIAL_PARSE_FILE}")
    shutil.copyfile(parsed, staged)
    os.replace(staged, shared)  # concurrent steps never see a half-written file
    _prune_variants(shared.parent)


def _modified(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:  # pruned meanwhile by a concurrent step
        return 0.0


def _prune_variants(folder: Path) -> None:
    variants = sorted(folder.glob("partial_parse.*.msgpack"), key=_modified, reverse=True)
    for stale in variants[KEPT_VARIANTS:]:
        stale.unlink(missing_ok=True)
