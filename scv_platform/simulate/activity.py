"""When people act: a per-person intensity over time, sampled by thinning.

A person's intensity is ``rate * shape(t) * season(day)``: ``shape`` is zero before the
person joins and after they churn, ramps up for New & Growing customers and decays for
Declining ones. Events are drawn as a Poisson process per person, vectorised over
everyone (candidates uniform in the active window, kept with probability
intensity / bound).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from scv_platform.simulate.segments import table

_CHUNK = 8192  # people per vectorised block (bounds temporary memory)


@dataclass(frozen=True)
class Lifecycle:
    """Per-person activity window and shape parameters (arrays indexed by person)."""

    start_t: np.ndarray
    stop_t: np.ndarray
    ramp_len: np.ndarray
    decline_start_t: np.ndarray
    decline_len: np.ndarray
    decline_floor: np.ndarray
    trend: np.ndarray
    days: int

    @classmethod
    def of(cls, people: pd.DataFrame, days: int) -> Lifecycle:
        join = people["join_t"].to_numpy()
        churn = people["churn_t"].to_numpy()
        return cls(
            start_t=np.clip(np.nan_to_num(join, nan=0.0), 0.0, None),
            stop_t=np.where(np.isnan(churn), float(days), churn),
            ramp_len=people["ramp_len"].to_numpy(),
            decline_start_t=people["decline_start_t"].to_numpy(),
            decline_len=people["decline_len"].to_numpy(),
            decline_floor=people["decline_floor"].to_numpy(),
            trend=table("trend_per_year")[people["segment_idx"].to_numpy()],
            days=days,
        )

    def shape(self, idx: np.ndarray, t: np.ndarray) -> np.ndarray:
        """Relative activity of persons ``idx`` at times ``t`` (broadcastable)."""
        start, stop = self.start_t[idx], self.stop_t[idx]
        ramp = self.ramp_len[idx]
        growth = np.where(
            ramp > 0, 0.25 + 0.75 * np.clip((t - start) / np.maximum(ramp, 1e-9), 0, 1), 1.0
        )
        progress = np.clip((t - self.decline_start_t[idx]) / self.decline_len[idx], 0.0, 1.0)
        decay = 1.0 - (1.0 - self.decline_floor[idx]) * progress
        trend = 1.0 + self.trend[idx] * t / 365.25
        active = (t >= start) & (t < stop)
        return np.where(active, growth * decay * trend, 0.0)

    def bound(self, idx: np.ndarray) -> np.ndarray:
        """An upper bound of ``shape`` per person."""
        return np.maximum(1.0, 1.0 + self.trend[idx] * self.days / 365.25)

    def expected(self, idx: np.ndarray, season: np.ndarray, block_days: int = 4) -> np.ndarray:
        """Sum over days of shape * season for each person (the expected events at rate 1),
        with the shape evaluated once per block of days (it changes slowly)."""
        starts = np.arange(0, self.days, block_days)
        ends = np.minimum(starts + block_days, self.days)
        mid = (starts + ends) / 2.0
        season_sum = np.add.reduceat(season, starts)
        out = np.empty(idx.size)
        step = _CHUNK // 2
        for lo in range(0, idx.size, step):
            block = idx[lo : lo + step]
            out[lo : lo + block.size] = self.shape(block[:, None], mid[None, :]) @ season_sum
        return out


def draw_events(
    lifecycle: Lifecycle,
    season: np.ndarray,
    idx: np.ndarray,
    rate: np.ndarray,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Event times for persons ``idx`` with daily ``rate`` each: (person index, time)."""
    season_max = float(season.max())
    persons: list[np.ndarray] = [np.empty(0, dtype=np.int64)]
    times: list[np.ndarray] = [np.empty(0)]
    for lo in range(0, idx.size, _CHUNK):
        block = idx[lo : lo + _CHUNK]
        start = lifecycle.start_t[block]
        window = np.clip(lifecycle.stop_t[block] - start, 0.0, None)
        ceiling = lifecycle.bound(block) * season_max
        counts = rng.poisson(rate[lo : lo + block.size] * ceiling * window)
        who = np.repeat(np.arange(block.size), counts)
        t = start[who] + rng.random(who.size) * window[who]
        t = np.minimum(t, lifecycle.days - 1e-6)
        person = block[who]
        day = t.astype(np.int64)
        keep = rng.random(who.size) * ceiling[who] < lifecycle.shape(person, t) * season[day]
        persons.append(person[keep])
        times.append(t[keep])
    return np.concatenate(persons), np.concatenate(times)


def calibrated_rates(
    lifecycle: Lifecycle,
    season: np.ndarray,
    idx: np.ndarray,
    weight: np.ndarray,
    target_total: float,
) -> np.ndarray:
    """Daily rates proportional to ``weight`` so that the expected event total is the target."""
    expected = lifecycle.expected(idx, season) * weight
    total = expected.sum()
    return weight * (target_total / total) if total > 0 else np.zeros(idx.size)


def time_of_day(
    rng: np.random.Generator, peak_hour: np.ndarray | float, n: int, spread: float = 3.5
) -> np.ndarray:
    """Seconds after midnight: mostly around a peak hour, some at any time."""
    hours = rng.standard_normal(n, dtype=np.float32)
    hours *= spread
    hours += np.asarray(peak_hour, dtype=np.float32)
    anytime = rng.random(n, dtype=np.float32) < 0.08
    hours[anytime] = rng.random(int(anytime.sum()), dtype=np.float32) * 24.0
    seconds = (hours * 3600.0).astype(np.int64)
    return seconds % 86_400


def event_seconds(
    lifecycle: Lifecycle,
    person: np.ndarray,
    t: np.ndarray,
    second_of_day: np.ndarray,
) -> np.ndarray:
    """Seconds since the start: the event's day plus a realistic time of day, except on the
    first and last active day where the sampled time itself keeps the event inside the
    person's window."""
    day = np.floor(t)
    start, stop = lifecycle.start_t[person], lifecycle.stop_t[person]
    edge = ((day == np.floor(start)) & (start > 0)) | (
        (day == np.floor(stop)) & (stop < lifecycle.days)
    )
    seconds = (day * 86_400).astype(np.int64) + second_of_day
    return np.where(edge, np.floor(t * 86_400).astype(np.int64), seconds)
