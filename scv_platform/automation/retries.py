"""Retry policies, one place for every layer whose steps touch an external system.

Each step retries with exponential backoff and +/- jitter, so steps that failed together (a
warehouse restart, a landing share that went away) do not all retry at the same instant. A
``dg.Failure(allow_retries=False)`` (bad configuration, missing input) is never retried.
Sensors have no retry policy: the notifier retries its sends itself (:func:`call_with_retry`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

import dagster as dg

T = TypeVar("T")


def layer_retry_policy(max_retries: int, delay_seconds: float) -> dg.RetryPolicy:
    """Retry ``max_retries`` times after ``delay_seconds``, doubling each time, +/- jitter."""
    return dg.RetryPolicy(
        max_retries=max_retries,
        delay=delay_seconds,
        backoff=dg.Backoff.EXPONENTIAL,
        jitter=dg.Jitter.PLUS_MINUS,
    )


# Bronze reads landing files (possibly on a network share) and writes the warehouse: 5, 10, 20 s.
BRONZE_RETRY = layer_retry_policy(max_retries=3, delay_seconds=5)
# dbt (silver and gold) runs in the warehouse: a lock or a dropped connection, 10 then 20 s.
DBT_RETRY = layer_retry_policy(max_retries=2, delay_seconds=10)
# Identity resolution reads and writes the warehouse around minutes of Splink: retry once.
IDENTITY_RETRY = layer_retry_policy(max_retries=1, delay_seconds=10)

# Alert deliveries (Slack, webhook, alerts file) from sensors: 3 attempts, 1 then 2 s apart.
NOTIFIER_ATTEMPTS = 3
NOTIFIER_DELAY_SECONDS = 1.0


def call_with_retry(
    send: Callable[[], T],
    attempts: int = NOTIFIER_ATTEMPTS,
    delay_seconds: float = NOTIFIER_DELAY_SECONDS,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Call ``send`` until it returns, at most ``attempts`` times, doubling the wait each time;
    the last exception propagates."""
    for attempt in range(1, attempts + 1):
        try:
            return send()
        except Exception:
            if attempt == attempts:
                raise
            sleep(delay_seconds * 2 ** (attempt - 1))
    raise ValueError(f"attempts must be at least 1, got {attempts}")
