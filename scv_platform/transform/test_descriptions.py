"""Descriptions of dbt tests as Dagster asset checks: what the test asserts, in words.

dagster-dbt only reads a test's ``meta.description``; a test without one would show in the
UI as a bare name. The description here is the test's own ``description`` when its YAML has
one, otherwise a sentence made from the generic test and its arguments, followed by what a
failure does (blocks downstream assets, or warns) and, for the daily facts, that the test
judges the run's days only.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

Phrase = Callable[[Mapping[str, Any]], str]


def _ref(text: object) -> str:
    """``ref('x')`` / ``source('s', 'x')`` as ``x`` / ``s.x``."""
    names = re.findall(r"'([^']+)'", str(text))
    return ".".join(names) if names else str(text)


PHRASES: dict[str, Phrase] = {
    "not_null": lambda k: f"`{k['column_name']}` is never empty (NULL).",
    "unique": lambda k: f"`{k['column_name']}` is unique: no value appears twice.",
    "accepted_values": lambda k: (
        f"`{k['column_name']}` is one of: {', '.join(str(v) for v in k['values'])}."
    ),
    "relationships": lambda k: (
        f"Every `{k['column_name']}` is found in `{_ref(k['to'])}.{k['field']}` (no orphan keys)."
    ),
    "unique_combination_of_columns": lambda k: (
        f"No two rows share ({', '.join(k['combination_of_columns'])})."
    ),
    "value_between": lambda k: (
        f"`{k['column_name']}` lies between {k['min_value']} and {k['max_value']}."
    ),
    "expression_is_true": lambda k: f"Every row satisfies `{k['expression']}`.",
    "not_flagged": lambda k: f"No row has the flag `{k['column_name']}` set.",
    "not_flagged_false": lambda k: f"No row has `{k['column_name']}` false.",
    "equal_aggregate": lambda k: (
        f"`{k['expression']}` equals the same aggregate of `{_ref(k['compare_model'])}`."
    ),
    "gap_free_days": lambda k: f"`{k['column_name']}` has every day from its first to its last.",
    "us_federal_holidays_per_year": lambda k: (
        f"`{k['column_name']}` marks every US federal holiday of each full year."
    ),
}


def _assertion(test: Mapping[str, Any]) -> str:
    metadata = test.get("test_metadata") or {}
    name = metadata.get("name")
    kwargs = {k: v for k, v in (metadata.get("kwargs") or {}).items() if k != "model"}
    phrase = PHRASES.get(name or "")
    if phrase is not None:
        try:
            return phrase(kwargs)
        except KeyError:  # an argument left to its default
            pass
    if name:
        arguments = ", ".join(f"{k}={v}" for k, v in kwargs.items())
        return f"dbt test `{name}`({arguments}): fails for every row its query returns."
    return "Singular dbt test: fails for every row its query returns."


def describe_test(test: Mapping[str, Any], on_daily_model: bool) -> str:
    """A sentence or two for a dbt test node of the manifest; ``on_daily_model``: the model
    it tests is day-partitioned (its ``where``, if any, is the run's partition window)."""
    text = (test.get("description") or "").strip() or _assertion(test)
    severity = str((test.get("config") or {}).get("severity") or "error").lower()
    text += (
        " Severity error: a failure blocks the assets downstream."
        if severity == "error"
        else " Severity warn: a failure is reported, nothing is blocked."
    )
    if on_daily_model and (test.get("config") or {}).get("where"):
        text += " On a day-partitioned run it judges the run's days only."
    return text
