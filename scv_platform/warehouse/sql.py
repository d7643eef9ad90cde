"""Safe SQL text: identifiers are validated or quoted, literals are escaped."""

from __future__ import annotations

import re

_PLAIN_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_PARTITION_KEY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def quote_identifier(name: str) -> str:
    """Quote any identifier (even one read from a file header) for DuckDB / Snowflake."""
    return '"' + str(name).replace('"', '""') + '"'


def checked_identifier(name: str) -> str:
    """Return ``name`` if it is a plain identifier (letters, digits, underscore), else raise."""
    if not _PLAIN_IDENTIFIER.match(name):
        raise ValueError(f"not a plain SQL identifier: {name!r}")
    return name


def qualified(schema: str, table: str) -> str:
    return f"{checked_identifier(schema)}.{checked_identifier(table)}"


def string_literal(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def checked_partition_key(key: str) -> str:
    """Daily partition keys that reach SQL must look like YYYY-MM-DD."""
    if not _PARTITION_KEY.match(key):
        raise ValueError(f"not a daily partition key (YYYY-MM-DD): {key!r}")
    return key
