"""Card transactions: one file per day, drawn per segment, with injected amount outliers."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from scv_platform.settings import SimulationSettings
from scv_platform.simulate import merchants as mc
from scv_platform.simulate.activity import (
    Lifecycle,
    calibrated_rates,
    draw_events,
    event_seconds,
    time_of_day,
)
from scv_platform.simulate.segments import SEGMENTS, table
from scv_platform.simulate.text import ascii_matrix, digit_matrix, matrix_to_arrow, pick
from scv_platform.simulate.timeline import DAY_SECONDS, Timeline
from scv_platform.simulate.writer import Landing, day_slices, iso_text, money, timestamps

HISTORY_DAYS_PER_TARGET = 548  # transactions_per_customer is given per 548 days
ENTITY = "cards/transactions"


@dataclass
class Transactions:
    """All transactions, sorted by time; categorical columns as small integer codes."""

    seconds: np.ndarray  # since the history start
    card: np.ndarray  # row in the card-account table
    category: np.ndarray
    merchant: np.ndarray
    amount: np.ndarray
    channel: np.ndarray
    reason: np.ndarray  # 0 approved, k > 0: declined for DECLINE_REASONS[k - 1]
    outlier: np.ndarray

    @property
    def day(self) -> np.ndarray:
        return self.seconds // DAY_SECONDS

    def __len__(self) -> int:
        return self.seconds.size


def _pick_cards(
    rng: np.random.Generator, cards: pd.DataFrame, person: np.ndarray, n_people: int
) -> np.ndarray:
    """A card of each event's person: the main card mostly, never an inactive one."""
    holder = cards["person"].to_numpy()
    weight = np.where(cards["rank"].to_numpy() == 0, 3.0, 1.0)
    weight = np.where(cards["statecode"].to_numpy() == 1, 0.0, weight)
    total = np.bincount(holder, weights=weight, minlength=n_people)
    share = np.cumsum(weight) - np.repeat(
        np.concatenate([[0.0], np.cumsum(total)[:-1]]), np.bincount(holder, minlength=n_people)
    )
    key = holder + share / total[holder]  # cards sorted by holder: keys in (p, p + 1]
    chosen = np.searchsorted(key, person + rng.random(person.size) * 0.999999, side="right")
    first = np.searchsorted(holder, np.arange(n_people + 1))  # never another person's card
    return np.clip(chosen, first[person], first[person + 1] - 1)


def _by_group(rng: np.random.Generator, group: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """One category per event, drawn from the weights of the event's group (e.g. segment)."""
    out = np.empty(group.size, dtype=np.int8)
    for g in range(weights.shape[0]):
        rows = np.flatnonzero(group == g)
        out[rows] = pick(rng, weights[g], rows.size)
    return out


def _channel_table() -> np.ndarray:
    """Cumulative channel probabilities per (segment, category): shape (5, categories, 3)."""
    tilt = np.array([s.channel_tilt for s in SEGMENTS])
    mix = tilt[:, None, :] * mc.CHANNEL_MIX[None, :, :]
    return np.cumsum(mix / mix.sum(axis=2, keepdims=True), axis=2)


def time_order(seconds: np.ndarray) -> np.ndarray:
    """Stable order by time: two 16-bit radix passes (much faster than a comparison sort)."""
    if seconds.size and int(seconds.max()) >= 1 << 32:
        return np.argsort(seconds, kind="stable")
    low = np.argsort((seconds & 0xFFFF).astype(np.uint16), kind="stable")
    high = np.argsort((seconds[low] >> 16).astype(np.uint16), kind="stable")
    return low[high]


def simulate_transactions(
    settings: SimulationSettings,
    tl: Timeline,
    people: pd.DataFrame,
    cards: pd.DataFrame,
    rng: np.random.Generator,
) -> Transactions:
    """Draw every transaction of the history, in time order, with memory-lean dtypes.

    Who and when (and the merchant category, which sets the time of day) come first;
    after sorting by time the remaining attributes are drawn in that order.
    """
    n = len(people)
    lifecycle = Lifecycle.of(people, tl.days)
    season = tl.season()
    segment_of = people["segment_idx"].to_numpy().astype(np.int8)
    weight = table("card_frequency")[segment_of] * people["frequency"].to_numpy()
    target = settings.transactions_per_customer * n * tl.days / HISTORY_DAYS_PER_TARGET
    everyone = np.arange(n)
    rates = calibrated_rates(lifecycle, season, everyone, weight, target)
    person, t = draw_events(lifecycle, season, everyone, rates, rng)
    person = person.astype(np.int32)
    category = _by_group(rng, segment_of[person], np.array([s.category_mix for s in SEGMENTS]))
    second = time_of_day(rng, mc.PEAK_HOUR[category], person.size)
    seconds = event_seconds(lifecycle, person, t, second)
    del t, second
    card = _pick_cards(rng, cards, person, n).astype(np.int32)  # people still in order: fast
    order = time_order(seconds)
    seconds, person, category, card = seconds[order], person[order], category[order], card[order]
    del order
    m = person.size
    segment = segment_of[person]

    merchant = np.empty(m, dtype=np.int16)
    for c in range(len(mc.CATEGORIES)):
        rows = np.flatnonzero(category == c)
        size = mc.MERCHANT_OFFSET[c + 1] - mc.MERCHANT_OFFSET[c]
        popularity = 1.0 / (np.arange(size) + 1.5)
        merchant[rows] = mc.MERCHANT_OFFSET[c] + pick(rng, popularity, rows.size)

    # the holder's usual amount in the category: the segment's level times their own
    usual = mc.MEDIAN_AMOUNT[category] * table("spend")[segment]
    usual *= people["spend"].to_numpy()[person]
    noise = rng.standard_normal(m)
    noise *= mc.AMOUNT_SIGMA[category]
    np.exp(noise, out=noise)
    amount = usual * noise
    del noise
    np.round(amount, 2, out=amount)
    np.maximum(amount, 0.5, out=amount)
    outlier = np.zeros(m, dtype=bool)
    outlier[
        rng.choice(m, size=round(settings.transaction_amount_outlier_rate * m), replace=False)
    ] = True
    # an outlier is 15 to 40 times what this holder usually spends in the category
    amount[outlier] = np.round(usual[outlier] * rng.uniform(15.0, 40.0, outlier.sum()), 2)
    del usual

    cell = segment.astype(np.int64) * len(mc.CATEGORIES) + category
    cumulative = _channel_table().reshape(-1, 3)
    u = rng.random(m)
    channel = (u > cumulative[cell, 0]).astype(np.int8)
    channel += u > cumulative[cell, 1]
    del cell, u
    reason = np.zeros(m, dtype=np.int8)
    declined = np.flatnonzero(rng.random(m) >= settings.approval_rate)
    reason[declined] = 1 + pick(rng, mc.DECLINE_WEIGHTS, declined.size)
    return Transactions(
        seconds=seconds,
        card=card,
        category=category,
        merchant=merchant,
        amount=amount,
        channel=channel,
        reason=reason,
        outlier=outlier,
    )


def transaction_ids(tl: Timeline, day: int, sequence_digits: np.ndarray) -> pa.Array:
    """``TX<yyyymmdd><7-digit sequence>``: unique over the whole history.

    ``sequence_digits`` are the rows of ``digit_matrix(arange(count), 7)`` for the day."""
    stamp = tl.day(day).strftime("TX%Y%m%d").encode()
    rows = sequence_digits.shape[0]
    return matrix_to_arrow(ascii_matrix(stamp, sequence_digits, rows=rows))


def file_format(setting: str, day: int) -> str:
    """The file format of a day: fixed, or for 'mixed' mostly CSV with some gzip and Parquet."""
    if setting != "mixed":
        return setting
    if day % 11 == 10:
        return "parquet"
    if day % 7 == 6:
        return "csv.gz"
    return "csv"


_CATEGORY = pa.array(mc.CATEGORY_NAMES)
_MERCHANT = pa.array(mc.MERCHANT_NAMES)
_MCC = pa.array(mc.MERCHANT_MCC)
_CHANNEL = pa.array(mc.CHANNELS)
_STATUS = pa.array(["approved", *["declined"] * len(mc.DECLINE_REASONS)])
_REASON = pa.array([None, *mc.DECLINE_REASONS], type=pa.string())


def day_table(
    tx: Transactions,
    rows: slice,
    day: int,
    card_ids: pa.Array,
    tl: Timeline,
    native: bool,
    sequence_digits: np.ndarray,
) -> pa.Table:
    """One day of transactions; ``native`` keeps timestamps typed (for Parquet)."""
    epoch = tl.start_epoch + tx.seconds[rows]
    reason = pa.array(tx.reason[rows])
    merchant = pa.array(tx.merchant[rows])
    return pa.table(
        {
            "transaction_id": transaction_ids(tl, day, sequence_digits[: epoch.size]),
            "card_account_id": card_ids.take(pa.array(tx.card[rows])),
            "transaction_ts": timestamps(epoch).cast(pa.timestamp("us"))
            if native
            else iso_text(epoch),
            "amount": money(tx.amount[rows]),
            "merchant_name": _MERCHANT.take(merchant),
            "merchant_category": _CATEGORY.take(pa.array(tx.category[rows])),
            "mcc": _MCC.take(merchant),
            "channel": _CHANNEL.take(pa.array(tx.channel[rows])),
            "status": _STATUS.take(reason),
            "decline_reason": _REASON.take(reason),
        }
    )


def write_transactions(
    settings: SimulationSettings,
    tl: Timeline,
    tx: Transactions,
    cards: pd.DataFrame,
    landing: Landing,
) -> pd.DataFrame:
    """Write one file per day; returns the injected outliers (for the truth)."""
    card_ids = pa.array(cards["scv_cardaccountid"].to_numpy())
    day = tx.day
    outliers: list[pd.DataFrame] = []
    per_day = np.bincount(day, minlength=tl.days)
    sequence_digits = digit_matrix(np.arange(int(per_day.max(initial=0))), 7)
    for d, rows in day_slices(day, tl.days):
        fmt = file_format(settings.transaction_file_format, d)
        native = fmt == "parquet"
        table = day_table(tx, rows, d, card_ids, tl, native, sequence_digits)
        name = f"transactions_{tl.day(d).isoformat()}.{fmt}"
        if fmt == "parquet":
            landing.parquet(ENTITY, name, table)
        else:
            landing.csv(ENTITY, name, table, compress=fmt == "csv.gz")
        flagged = np.flatnonzero(tx.outlier[rows])
        if flagged.size:
            outliers.append(
                pd.DataFrame(
                    {
                        "record_id": table.column("transaction_id").take(flagged).to_numpy(False),
                        "event_date": np.datetime64(tl.start, "D") + d,
                    }
                )
            )
    frame = (
        pd.concat(outliers, ignore_index=True)
        if outliers
        else pd.DataFrame({"record_id": [], "event_date": []})
    )
    return frame.assign(kind="transaction_amount_outlier", source="card_transactions")
