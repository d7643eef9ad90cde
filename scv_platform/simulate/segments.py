"""The five behavioural segments and how each one spends, shops and changes over time."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CARD_TYPES = np.array(["Classic", "Gold", "Platinum", "Travel Rewards"])
# credit limit range (low, high) per card type, rounded to 500
CREDIT_LIMITS = np.array([[1000, 6000], [5000, 15000], [15000, 40000], [10000, 30000]])


@dataclass(frozen=True)
class Segment:
    name: str
    share: float
    card_frequency: float  # relative transactions per active day
    spend: float  # multiplier on the category's typical amount
    shop_frequency: float  # relative orders per active month
    trend_per_year: float  # relative change of activity per year (stable segments)
    age_mean: float
    age_sd: float
    category_mix: tuple[float, ...]  # weights over merchants.CATEGORIES
    channel_tilt: tuple[float, float, float]  # multipliers on online, in_store, mobile
    card_type_mix: tuple[float, float, float, float]  # over CARD_TYPES
    shop_category_mix: tuple[float, ...]  # weights over shop categories


SEGMENTS: tuple[Segment, ...] = (
    Segment(
        "High-Value Travelers",
        0.15,
        1.6,
        2.2,
        1.4,
        0.05,
        47.0,
        11.0,
        (8, 8, 20, 14, 8, 14, 8, 6, 6, 8),
        (1.3, 0.9, 1.1),
        (0.0, 0.15, 0.45, 0.40),
        (3, 2, 3, 2, 3, 1, 1, 2),
    ),
    Segment(
        "Stable Mid-Spenders",
        0.40,
        1.0,
        1.0,
        1.0,
        0.0,
        45.0,
        14.0,
        (1.5, 2, 17, 26, 14, 17, 8, 1, 8, 6.5),
        (1.0, 1.0, 1.0),
        (0.45, 0.45, 0.05, 0.05),
        (2, 3, 3, 2, 2, 2, 2, 2),
    ),
    Segment(
        "Budget-Conscious",
        0.25,
        0.85,
        0.6,
        0.7,
        0.0,
        38.0,
        16.0,
        (0.5, 0.5, 10, 38, 18, 12, 5, 0.3, 10, 6),
        (0.9, 1.1, 1.0),
        (0.85, 0.15, 0.0, 0.0),
        (1, 3, 2, 2, 1, 2, 5, 2),
    ),
    Segment(
        "Declining",
        0.10,
        0.9,
        0.9,
        0.9,
        0.0,
        55.0,
        15.0,
        (1, 1.5, 14, 28, 14, 17, 7, 0.8, 9, 8),
        (0.8, 1.25, 0.8),
        (0.55, 0.35, 0.07, 0.03),
        (1, 3, 2, 2, 1, 1, 3, 3),
    ),
    Segment(
        "New & Growing",
        0.10,
        0.9,
        0.8,
        1.1,
        0.0,
        29.0,
        8.0,
        (2, 2.5, 22, 20, 10, 20, 13, 1.5, 5, 4),
        (1.3, 0.7, 2.5),
        (0.6, 0.3, 0.05, 0.05),
        (4, 2, 4, 3, 2, 2, 1, 1),
    ),
)

SEGMENT_NAMES = np.array([s.name for s in SEGMENTS])
HIGH_VALUE, MID, BUDGET, DECLINING, NEW_GROWING = range(5)


def segment_counts(n: int) -> np.ndarray:
    """Exact people per segment for n people (largest remainder rounding)."""
    shares = np.array([s.share for s in SEGMENTS])
    raw = shares / shares.sum() * n
    counts = np.floor(raw).astype(np.int64)
    order = np.argsort(-(raw - counts), kind="stable")
    counts[order[: n - counts.sum()]] += 1
    return counts


def table(attribute: str) -> np.ndarray:
    """A per-segment attribute as an array (rows = segments)."""
    return np.array([getattr(s, attribute) for s in SEGMENTS], dtype=float)
