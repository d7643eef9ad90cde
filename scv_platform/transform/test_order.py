"""Whether a dbt node is always built before another, read from the dbt manifest alone."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

LANDING_SOURCE = "bronze"


def upstream_nodes(manifest: Mapping[str, Any], unique_id: str) -> set[str]:
    """Every node the given one is built from, transitively."""
    parent_map = manifest["parent_map"]
    seen: set[str] = set()
    pending = list(parent_map.get(unique_id, []))
    while pending:
        node = pending.pop()
        if node not in seen:
            seen.add(node)
            pending.extend(parent_map.get(node, []))
    return seen


def from_landing_data_only(manifest: Mapping[str, Any], unique_id: str) -> bool:
    """Built from bronze sources and seeds alone, with no other asset's output between."""
    parent_map = manifest["parent_map"]
    roots = [n for n in upstream_nodes(manifest, unique_id) | {unique_id} if not parent_map.get(n)]
    sources = manifest["sources"]
    return all(
        root.startswith("seed.")
        or (root in sources and sources[root]["source_name"] == LANDING_SOURCE)
        for root in roots
    )


def built_before(manifest: Mapping[str, Any], first: str, then: str) -> bool:
    """``first`` is upstream of ``then``, or built from landing data only (the first dbt op)."""
    return first in upstream_nodes(manifest, then) or from_landing_data_only(manifest, first)
