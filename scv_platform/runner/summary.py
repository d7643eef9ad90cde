"""Reading a finished run's events into the summary ``scv run`` prints."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import dagster as dg


@dataclass
class CheckOutcome:
    name: str
    asset: str
    passed: bool
    severity: str
    blocking: bool
    description: str


@dataclass
class RunSummary:
    run_ids: list[str]
    success: bool
    seconds: float
    rows_by_asset: dict[str, int] = field(default_factory=dict)
    partitions_by_asset: dict[str, int] = field(default_factory=dict)
    checks: list[CheckOutcome] = field(default_factory=list)
    step_failures: list[str] = field(default_factory=list)
    quarantined_rows: int = 0

    @property
    def passed(self) -> list[CheckOutcome]:
        return [c for c in self.checks if c.passed]

    @property
    def warned(self) -> list[CheckOutcome]:
        return [c for c in self.checks if not c.passed and c.severity == "WARN"]

    @property
    def failed(self) -> list[CheckOutcome]:
        return [c for c in self.checks if not c.passed and c.severity != "WARN"]

    @property
    def blocking_failures(self) -> list[CheckOutcome]:
        return [c for c in self.failed if c.blocking]

    @property
    def exit_code(self) -> int:
        return 0 if self.success and not self.step_failures and not self.blocking_failures else 1

    def causes(self) -> list[str]:
        causes = [f"step failed: {s}" for s in self.step_failures]
        causes += [
            f"blocking check failed: {c.name} on {c.asset}: {headline(c.description)}"
            for c in self.blocking_failures
        ]
        if not causes and not self.success:
            causes.append("the run failed; see the run's logs in the Dagster UI")
        return causes


def _metadata_int(metadata: dict, key: str) -> int | None:
    value = metadata.get(key)
    return int(value.value) if value is not None and value.value is not None else None


def headline(text: str, limit: int = 300) -> str:
    """The first sentences of a check's description that fit ``limit`` characters (checks
    explain themselves at length; the Dagster UI and quality.check_results keep all of it)."""
    if len(text) <= limit:
        return text
    cut = text.rfind(". ", 0, limit)
    return text[: cut + 1] if cut > 0 else text[:limit].rstrip() + "..."


def check_description(evaluation: dg.AssetCheckEvaluation) -> str:
    """The check's own words, or for a dbt test the number of failing rows."""
    if evaluation.description:
        return evaluation.description.strip()
    failed = evaluation.metadata.get("dagster_dbt/failed_row_count")
    return f"{failed.value} failing rows" if failed is not None else ""


def root_message(error: object) -> str | None:
    """The innermost error's first line: the cause a person can act on."""
    while error is not None and getattr(error, "cause", None) is not None:
        error = error.cause
    if error is None:
        return None
    lines = [line for line in error.message.strip().splitlines() if line.strip()]
    return lines[0] if lines else None


def step_failure_messages(events: Iterable[dg.DagsterEvent]) -> list[str]:
    """``<step>: <root cause>`` per failed step; a step that failed after retries names the
    error it was retried on rather than Dagster's "Exceeded max_retries"."""
    retried_errors: dict[str, str] = {}
    failures: list[str] = []
    for event in events:
        data = event.event_specific_data
        if event.event_type_value == "STEP_UP_FOR_RETRY":
            retried_errors[event.step_key] = root_message(data.error) or event.message
        elif event.event_type_value == "STEP_FAILURE":
            message = root_message(data.error) or event.message or "failed"
            if message.startswith("Exceeded max_retries") and event.step_key in retried_errors:
                message = f"{retried_errors[event.step_key]} (after retries)"
            failures.append(f"{event.step_key}: {message}")
    return failures


def summarise(
    result: dg.ExecuteInProcessResult, seconds: float, blocking_checks: set[str]
) -> RunSummary:
    summary = RunSummary(run_ids=[result.run_id], success=result.success, seconds=seconds)
    rows: dict[str, int] = {}
    partitions: dict[str, int] = defaultdict(int)
    latest_check: dict[tuple[str, str], CheckOutcome] = {}
    for event in result.all_events:
        data = event.event_specific_data
        if event.event_type_value == "ASSET_MATERIALIZATION":
            materialization = data.materialization
            key = materialization.asset_key.to_user_string()
            count = _metadata_int(materialization.metadata, "dagster/row_count")
            if count is not None:
                rows[key] = count
            partitions[key] += 1
        elif event.event_type_value == "ASSET_CHECK_EVALUATION":
            asset = data.asset_key.to_user_string()
            latest_check[(asset, data.check_name)] = CheckOutcome(
                name=data.check_name,
                asset=asset,
                passed=data.passed,
                severity=data.severity.value,
                blocking=f"{asset}:{data.check_name}" in blocking_checks,
                description=check_description(data),
            )
    summary.step_failures = step_failure_messages(result.all_events)
    summary.rows_by_asset = rows
    summary.partitions_by_asset = dict(partitions)
    summary.checks = list(latest_check.values())
    return summary


def merge_summaries(summaries: list[RunSummary]) -> RunSummary:
    """One summary for the runs of a headless build, in the order they ran."""
    merged = RunSummary(run_ids=[], success=True, seconds=0.0)
    for summary in summaries:
        merged.run_ids += summary.run_ids
        merged.success = merged.success and summary.success
        merged.seconds += summary.seconds
        merged.rows_by_asset |= summary.rows_by_asset
        merged.partitions_by_asset |= summary.partitions_by_asset
        merged.checks += summary.checks
        merged.step_failures += summary.step_failures
        merged.quarantined_rows += summary.quarantined_rows
    return merged


def render(summary: RunSummary, header: list[str]) -> str:
    lines = [*header, ""] if header else []
    lines.append(f"Assets materialised: {len(summary.partitions_by_asset)}")
    width = max((len(k) for k in summary.partitions_by_asset), default=10)
    for key in sorted(summary.partitions_by_asset):
        rows = summary.rows_by_asset.get(key)
        parts = summary.partitions_by_asset[key]
        detail = f"{rows:>12,} rows" if rows is not None else f"{'':>17}"
        suffix = f"  ({parts} partitions)" if parts > 1 else ""
        lines.append(f"  {key:<{width}}  {detail}{suffix}")
    lines.append(
        f"Checks: {len(summary.passed)} passed, {len(summary.warned)} warned, "
        f"{len(summary.failed)} failed"
    )
    for check in summary.warned + summary.failed:
        label = "WARN" if check in summary.warned else "FAIL"
        lines.append(f"  {label} {check.name} ({check.asset}): {headline(check.description)}")
    lines.append(f"Quarantined rows (this run): {summary.quarantined_rows:,} -> quality.quarantine")
    lines.append(f"Time: {summary.seconds:.1f} s")
    if summary.exit_code:
        lines.append("")
        lines += [f"FAILED: {cause}" for cause in summary.causes()]
    return "\n".join(lines)
