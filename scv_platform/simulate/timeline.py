"""Simulated time: days since the history start, export moments and the calendar rhythm.

Times are floats in days since the history start (00:00 UTC); epoch seconds only when
written out. Nothing here reads the wall clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np

from scv_platform.settings import SimulationSettings

DAY_SECONDS = 86_400
# the legacy system was exported (and frozen) about two years before the history starts
LEGACY_EXPORT_OFFSET_DAYS = -730


@dataclass(frozen=True)
class Timeline:
    start: date
    days: int

    @property
    def end(self) -> date:
        return self.start + timedelta(days=self.days - 1)

    @property
    def start_epoch(self) -> int:
        return int((self.start - date(1970, 1, 1)).days) * DAY_SECONDS

    @property
    def legacy_export_date(self) -> date:
        return self.start + timedelta(days=LEGACY_EXPORT_OFFSET_DAYS)

    def day(self, index: int) -> date:
        """The calendar date of day ``index`` of the history."""
        return self.start + timedelta(days=int(index))

    def dates(self) -> np.ndarray:
        """Every simulated day as datetime64[D]."""
        return np.datetime64(self.start, "D") + np.arange(self.days)

    def to_date64(self, t: np.ndarray) -> np.ndarray:
        """Days since start (float) as datetime64[D]."""
        return np.datetime64(self.start, "D") + np.floor(t).astype(np.int64)

    def to_epoch(self, t: np.ndarray) -> np.ndarray:
        """Days since start (float) as whole epoch seconds."""
        return self.start_epoch + np.floor(np.asarray(t) * DAY_SECONDS).astype(np.int64)

    def export_times(self, deltas: int) -> np.ndarray:
        """CRM export moments: the full export at the start, then deltas at 23:00 on days
        spread evenly through the history, the last on the final day. There is always at
        least one delta, so customers who join during the history reach the CRM files."""
        deltas = max(int(deltas), 1)
        days = np.unique(np.round(np.linspace(0, self.days - 1, deltas + 1)[1:]))
        return np.concatenate([[0.0], days + 23.0 / 24.0])

    def stamp(self, t: float) -> str:
        """File-name timestamp YYYYMMDDTHHMMSS of a moment."""
        moment = datetime(self.start.year, self.start.month, self.start.day) + timedelta(
            seconds=round(t * DAY_SECONDS)
        )
        return moment.strftime("%Y%m%dT%H%M%S")

    def season(self) -> np.ndarray:
        """Calendar rhythm of spending per day (December peak, busier Fridays and Saturdays)."""
        dates = self.dates()
        day_of_year = (dates - dates.astype("datetime64[Y]")).astype(np.int64)
        weekday = (dates.astype(np.int64) + 3) % 7  # 0 = Monday
        yearly = 1.0 + 0.12 * np.cos(2 * np.pi * (day_of_year - 355) / 365.25)
        weekly = np.array([0.92, 0.94, 0.97, 1.0, 1.1, 1.15, 0.92])[weekday]
        return yearly * weekly


def timeline_for(settings: SimulationSettings) -> Timeline:
    return Timeline(start=settings.start, days=settings.days)
