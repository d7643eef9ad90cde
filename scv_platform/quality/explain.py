"""Results that explain themselves: what is wrong, how many, the share, a sample, what to do."""

from __future__ import annotations

import pandas as pd

from scv_platform.quality.severity import Thresholds, Verdict

SAMPLE_COLUMNS = ("record_id", "partition_key", "issue", "detail", "source_file", "source_row")


def percent(value: float) -> str:
    return f"{value:.2%}"


def summary_sentence(
    bad: int, total: int, noun: str, problem: str, scope: str, verdict: Verdict,
    thresholds: Thresholds,
) -> str:  # fmt: skip
    """``12 of 30,198 orders (0.04 %) in 2025-05-25...2026-11-23 <problem>. WARN (...).``"""
    share = bad / total if total else 0.0
    return (
        f"{bad:,} of {total:,} {noun} ({percent(share)}) in {scope} {problem}. "
        f"{verdict.label} ({thresholds.describe()})."
    )


def sample_lines(flagged: pd.DataFrame, size: int) -> list[str]:
    """``ORD-1 (2025-06-01): quantity 250 outside -2 .. 5 (...)`` for the first rows."""
    return [
        f"{r.record_id} ({r.partition_key}): {r.detail}"
        for r in flagged.head(size).itertuples(index=False)
    ]


def markdown_table(frame: pd.DataFrame, columns: tuple[str, ...] | list[str]) -> str:
    """A small frame as a Markdown table (pipes in values escaped)."""
    shown = [c for c in columns if c in frame.columns]
    if frame.empty or not shown:
        return "none"
    lines = ["| " + " | ".join(shown) + " |", "|" + "---|" * len(shown)]
    for row in frame[shown].itertuples(index=False):
        cells = ("" if pd.isna(v) else str(v).replace("|", "/") for v in row)
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def describe_flagged(
    flagged: pd.DataFrame,
    checked: int,
    noun: str,
    problem: str,
    scope: str,
    verdict: Verdict,
    thresholds: Thresholds,
    action: str,
    sample_size: int,
) -> str:
    """The full description of a row-level check: counts, share, sample and what to do."""
    if flagged.empty:
        return f"All {checked:,} {noun} in {scope} pass: none {problem}."
    text = summary_sentence(len(flagged), checked, noun, problem, scope, verdict, thresholds)
    kept = int((~flagged["holds_row"].astype(bool)).sum())
    if kept:
        text += (
            f" {kept:,} of them stay in the marts for review and can only warn (ERROR counts "
            "the rows held out of the marts)."
        )
    issues = flagged["issue"].value_counts()
    if len(issues) > 1:
        text += " By issue: " + ", ".join(f"{k} {v:,}" for k, v in issues.items()) + "."
    sample = "; ".join(sample_lines(flagged, sample_size))
    return f"{text} Sample: {sample}. What to do: {action}"
