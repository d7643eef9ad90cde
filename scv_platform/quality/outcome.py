"""What a check evaluation produces: its Dagster result and its rows of history."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import dagster as dg

from scv_platform.quality.history import MAX_DESCRIPTION, CheckRecord
from scv_platform.quality.severity import Verdict


@dataclass(frozen=True)
class DayOutcome:
    """One history row: a day (or the window / None) judged on its own."""

    partition_key: str | None
    verdict: Verdict
    failed_rows: int
    description: str


@dataclass
class Outcome:
    verdict: Verdict
    description: str
    failed_rows: int
    metadata: dict[str, object] = field(default_factory=dict)
    days: list[DayOutcome] = field(default_factory=list)

    def result(self) -> dg.AssetCheckResult:
        return dg.AssetCheckResult(
            passed=self.verdict.passed,
            severity=self.verdict.severity,
            description=self.description,
            metadata={"failed_rows": self.failed_rows, **self.metadata},
        )

    def records(
        self,
        check_name: str,
        asset_key: dg.AssetKey,
        run_id: str | None,
        now: datetime,
        partition_key: str | None = None,
    ) -> list[CheckRecord]:
        """One history row per judged day; one for the evaluation (``partition_key``) when
        no day was judged on its own."""
        whole = DayOutcome(partition_key, self.verdict, self.failed_rows, self.description)
        days = self.days or [whole]
        return [
            CheckRecord(
                check_name=check_name,
                asset_key=asset_key.to_user_string(),
                partition_key=day.partition_key,
                passed=day.verdict.passed,
                severity=day.verdict.severity.value,
                failed_rows=day.failed_rows,
                description=day.description[:MAX_DESCRIPTION],
                run_id=run_id,
                evaluated_at=now,
            )
            for day in days
        ]
