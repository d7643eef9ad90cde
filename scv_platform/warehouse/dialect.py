"""The few SQL fragments that differ between DuckDB and Snowflake, in one place.

Shared SQL (the bronze promotion, the manifest and quarantine statements, checks) is written
once with DuckDB-style named parameters (``$name``) and these fragments; :meth:`Dialect.bind`
turns the parameters into the engine's own style.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from scv_platform.sources.specs import ColumnType
from scv_platform.warehouse.sql import quote_identifier, string_literal

# $name not preceded by a word character ($1 and METADATA$FILENAME are left alone)
_NAMED_PARAMETER = re.compile(r"(?<![\w$])\$([A-Za-z_]\w*)")
INTEGER_PATTERN = "[+-]?[0-9]+"


@dataclass(frozen=True)
class Dialect:
    """SQL of one engine: ``duckdb`` or ``snowflake``."""

    name: str

    @property
    def is_snowflake(self) -> bool:
        return self.name == "snowflake"

    def bind(self, sql: str, has_params: bool) -> str:
        """``$name`` parameters in the engine's style (Snowflake: ``%(name)s``)."""
        if not self.is_snowflake or not has_params:
            return sql
        return _NAMED_PARAMETER.sub(r"%(\1)s", sql.replace("%", "%%"))

    def bind_positional(self, sql: str) -> str:
        """``?`` placeholders of an ``executemany`` in the engine's style."""
        return sql.replace("?", "%s") if self.is_snowflake else sql

    def full_match(self, value: str, pattern: str) -> str:
        function = "regexp_like" if self.is_snowflake else "regexp_full_match"
        return f"{function}({value}, {string_literal(pattern)})"

    def typed(self, column_type: ColumnType, raw: str) -> str:
        """``raw`` text as the contract type, NULL when empty or unparsable.

        Timestamps with an offset are converted to UTC; without one they are UTC already.
        """
        value = f"nullif(trim({raw}), '')"
        if column_type is ColumnType.TEXT:
            return f"CAST({raw} AS VARCHAR)"
        if column_type is ColumnType.INTEGER:
            cast = "try_to_number" if self.is_snowflake else "try_cast"
            target = f"{value}" if self.is_snowflake else f"{value} AS BIGINT"
            return f"CASE WHEN {self.full_match(value, INTEGER_PATTERN)} THEN {cast}({target}) END"
        if not self.is_snowflake:
            if column_type is ColumnType.TIMESTAMP:  # the time-zone path only with an offset
                time_part = f"substr({value}, 11)"
                offset = (
                    f"suffix({value}, 'Z') OR contains({time_part}, '+') "
                    f"OR contains({time_part}, '-')"
                )
                return (
                    f"CASE WHEN {offset} THEN CAST(try_cast({value} AS TIMESTAMPTZ) AS TIMESTAMP) "
                    f"ELSE try_cast({value} AS TIMESTAMP) END"
                )
            return f"try_cast({value} AS {column_type.value})"
        if column_type is ColumnType.TIMESTAMP:
            utc = f"convert_timezone('UTC', try_cast({value} AS TIMESTAMP_TZ))"
            return f"CAST({utc} AS TIMESTAMP_NTZ)"
        if column_type is ColumnType.DATE:
            return f"try_to_date({value}, 'YYYY-MM-DD')"
        return f"try_to_decimal({value}, 18, 2)"

    def json_object(self, columns: Iterable[str]) -> str:
        """A JSON text object of ``columns`` (name -> value, NULLs kept), or NULL if none."""
        names = list(columns)
        if not names:
            return "NULL"
        pairs = ", ".join(f"{string_literal(c)}, {quote_identifier(c)}" for c in names)
        if self.is_snowflake:
            return f"to_json(object_construct_keep_null({pairs}))"
        return f"CAST(json_object({pairs}) AS VARCHAR)"

    def drop_temp_table(self, name: str) -> str:
        qualifier = "" if self.is_snowflake else "temp.main."
        return f"DROP TABLE IF EXISTS {qualifier}{name}"


DUCKDB = Dialect("duckdb")
SNOWFLAKE = Dialect("snowflake")


def joined_non_null(parts: Iterable[str], separator: str) -> str:
    """The non-NULL ``parts`` joined by ``separator``; NULL when all are NULL (any engine)."""
    items = list(parts)
    if not items:
        return "NULL"
    sep = string_literal(separator)
    chained = " || ".join(f"coalesce({sep} || {p}, '')" for p in items)
    return f"nullif(substr({chained}, {len(separator) + 1}), '')"
