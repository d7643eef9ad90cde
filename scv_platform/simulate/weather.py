"""Daily weather per customer postal code, shaped like Weather Source OnPoint FORECAST_DAY.

Temperatures follow latitude and season with weather systems shared by a state; snow
falls only when it is cold. Some postal codes never get weather and some days are
missing for a code: coverage gaps the platform has to report.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from scv_platform.settings import SimulationSettings
from scv_platform.simulate.geography import STATES
from scv_platform.simulate.timeline import Timeline
from scv_platform.simulate.writer import Landing, dates, money, text

ENTITY = "weather/forecast_day"


def _state_anomaly(rng: np.random.Generator, days: int, states: int) -> np.ndarray:
    """Day-to-day temperature swings shared by a state: AR(1) in degrees F, (days, states)."""
    phi, sd = 0.75, 6.0
    shocks = rng.normal(0.0, sd * np.sqrt(1 - phi**2), (days, states))
    out = np.empty((days, states))
    out[0] = rng.normal(0.0, sd, states)
    for d in range(1, days):  # one step per day, vectorised over states
        out[d] = phi * out[d - 1] + shocks[d]
    return out


def simulate_weather(
    tl: Timeline, pool: pd.DataFrame, codes_used: np.ndarray, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """Weather for every used postal code (rows) and day (columns)."""
    rows = np.flatnonzero(pool["postal_code"].isin(pd.Series(codes_used)).to_numpy())
    lat = pool["latitude"].to_numpy()[rows]
    state = pool["state_idx"].to_numpy()[rows]
    n, days = rows.size, tl.days
    calendar = tl.dates()
    day_of_year = (calendar - calendar.astype("datetime64[Y]")).astype(np.int64)
    yearly = -np.cos(2 * np.pi * (day_of_year - 20) / 365.25)  # -1 in late January
    mean = 100.0 - 1.25 * lat
    amplitude = np.clip(0.95 * (lat - 15.0), 3.0, 35.0)
    anomaly = _state_anomaly(rng, days, STATES.code.size)[:, state].T
    avg = (
        mean[:, None]
        + amplitude[:, None] * yearly[None, :]
        + anomaly
        + rng.normal(0.0, 2.0, n)[:, None]
        + rng.normal(0.0, 1.5, (n, days))
    )
    spread = rng.uniform(10.0, 22.0, (n, days))
    low = avg - spread * rng.uniform(0.4, 0.6, (n, days))
    state_wet = rng.random((days, STATES.code.size)) < 0.3
    wet = np.where(
        state_wet[:, state].T, rng.random((n, days)) < 0.85, rng.random((n, days)) < 0.05
    )
    precipitation = np.where(wet, rng.exponential(0.35, (n, days)), 0.0)
    snow = np.where(avg <= 33.0, precipitation * rng.uniform(8.0, 12.0, (n, days)), 0.0)
    humidity = np.clip(58.0 + 25.0 * wet + rng.normal(0.0, 9.0, (n, days)), 12.0, 100.0)
    wind = rng.gamma(4.0, 2.2, (n, days)) + 3.0 * wet
    cloud = np.where(wet, rng.uniform(70.0, 100.0, (n, days)), 100.0 * rng.beta(2, 2.5, (n, days)))
    return {
        "postal_code": pool["postal_code"].to_numpy()[rows],
        "min": low,
        "avg": avg,
        "max": low + spread,
        "precipitation": precipitation,
        "snow": snow,
        "humidity": humidity,
        "wind": wind,
        "cloud": cloud,
    }


def write_weather(
    settings: SimulationSettings,
    tl: Timeline,
    pool: pd.DataFrame,
    codes_used: np.ndarray,
    landing: Landing,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """One file per day; returns the gaps (postal code, date; date NaT = never covered)."""
    w = simulate_weather(tl, pool, codes_used, rng)
    codes = w["postal_code"]
    n = codes.size
    never = np.zeros(n, dtype=bool)
    never[rng.choice(n, size=round(settings.weather_missing_postal_share * n), replace=False)] = (
        True
    )
    missing_day = rng.random((n, tl.days)) < settings.weather_missing_day_share
    calendar = tl.dates()
    for d in range(tl.days):
        keep = ~never & ~missing_day[:, d]
        table = pa.table(
            {
                "postal_code": text(codes[keep]),
                "country": text(np.full(int(keep.sum()), "US")),
                "date_valid_std": dates(np.full(int(keep.sum()), calendar[d])),
                "min_temperature_air_2m_f": money(w["min"][keep, d], scale=1),
                "avg_temperature_air_2m_f": money(w["avg"][keep, d], scale=1),
                "max_temperature_air_2m_f": money(w["max"][keep, d], scale=1),
                "tot_precipitation_in": money(w["precipitation"][keep, d], scale=2),
                "tot_snowfall_in": money(w["snow"][keep, d], scale=1),
                "avg_humidity_relative_2m_pct": money(w["humidity"][keep, d], scale=1),
                "avg_wind_speed_10m_mph": money(w["wind"][keep, d], scale=1),
                "avg_cloud_cover_tot_pct": money(w["cloud"][keep, d], scale=1),
            }
        )
        landing.csv(ENTITY, f"forecast_day_{tl.day(d).isoformat()}.csv", table)
    gap_code, gap_day = np.nonzero(missing_day & ~never[:, None])
    return pd.DataFrame(
        {
            "postal_code": np.concatenate([codes[never], codes[gap_code]]),
            "date": np.concatenate(
                [
                    np.full(int(never.sum()), np.datetime64("NaT"), "datetime64[D]"),
                    calendar[gap_day],
                ]
            ),
        }
    )
