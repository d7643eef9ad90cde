"""Severity by threshold: the share of bad rows against a check's warn and error thresholds."""

from __future__ import annotations

from dataclasses import dataclass

import dagster as dg


@dataclass(frozen=True)
class Thresholds:
    """A check warns when its bad share is above ``warn`` and fails with ERROR above ``error``."""

    warn: float
    error: float

    def describe(self) -> str:
        return f"warn above {self.warn:.2%}, error above {self.error:.2%}"


@dataclass(frozen=True)
class Verdict:
    passed: bool
    severity: dg.AssetCheckSeverity

    @property
    def label(self) -> str:
        return "PASS" if self.passed else self.severity.value


def judge(share: float, thresholds: Thresholds) -> Verdict:
    """PASS up to ``warn``; WARN above it; ERROR above ``error`` (blocking checks then stop
    downstream assets). A passing result carries the lowest severity, WARN."""
    if share > thresholds.error:
        return Verdict(False, dg.AssetCheckSeverity.ERROR)
    if share > thresholds.warn:
        return Verdict(False, dg.AssetCheckSeverity.WARN)
    return Verdict(True, dg.AssetCheckSeverity.WARN)


def share(bad: int, total: int) -> float:
    return bad / total if total else 0.0


def judge_rows(flagged: int, held: int, total: int, thresholds: Thresholds) -> Verdict:
    """A row-level check: ERROR only on the share of rows held out of the marts (they change
    what the marts show); rows kept in the marts for review can make it WARN, never ERROR."""
    verdict = judge(share(held, total), thresholds)
    if verdict.passed and share(flagged, total) > thresholds.warn:
        return Verdict(False, dg.AssetCheckSeverity.WARN)
    return verdict
