"""The dbt target folders of past invocations: each dbt step writes its own
``target/<op>-<run id>-<uuid>`` (compiled SQL, run results, about 5 MB at this project's
size), so a daily schedule would add some 25 MB a day. Only the newest are kept."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

# dagster-dbt's name of an invocation's folder: op name, run id and a random id (7 hex each)
INVOCATION_FOLDER = re.compile(r"[A-Za-z0-9_]+-[0-9a-f]{7}-[0-9a-f]{7}")
KEPT_INVOCATIONS = 50  # about ten daily runs: enough to read what a recent step compiled


def prune_invocation_folders(target_root: Path, keep: int = KEPT_INVOCATIONS) -> list[Path]:
    """Remove all but the ``keep`` most recently modified invocation folders under
    ``target_root`` (never the project's own manifest or anything else there); the removed."""
    if not target_root.is_dir():
        return []
    folders = [
        path
        for path in target_root.iterdir()
        if path.is_dir() and INVOCATION_FOLDER.fullmatch(path.name)
    ]
    folders.sort(key=lambda path: path.stat().st_mtime, reverse=True)
    removed = folders[keep:]
    for folder in removed:
        shutil.rmtree(folder, ignore_errors=True)  # a concurrent step may prune it too
    return removed
