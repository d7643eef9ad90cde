"""Run the whole simulation: people first, then every source's view of them, then the truth."""

from __future__ import annotations

import re
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from scv_platform.settings import SimulationSettings
from scv_platform.simulate.accounts import build_accounts
from scv_platform.simulate.cards import simulate_transactions, write_transactions
from scv_platform.simulate.crm import CrmResult, write_crm
from scv_platform.simulate.geography import build_postal_pool, postal_pool_size
from scv_platform.simulate.legacy import LAYOUTS, write_legacy
from scv_platform.simulate.people import build_people
from scv_platform.simulate.report import SimulationReport
from scv_platform.simulate.rng import stream
from scv_platform.simulate.shop import (
    Orders,
    build_catalogue,
    simulate_orders,
    write_catalogue,
    write_orders,
)
from scv_platform.simulate.timeline import Timeline, timeline_for
from scv_platform.simulate.truth import ANOMALY_COLUMNS, identity_map, people_truth, write_truth
from scv_platform.simulate.weather import write_weather
from scv_platform.simulate.writer import Landing

ENTITY_ORDER = (
    "d365/contact",
    "d365/customeraddress",
    "d365/scv_cardaccount",
    "legacy",
    "shop/products",
    "shop/orders",
    "cards/transactions",
    "weather/forecast_day",
)
# files an earlier run may have left: (folder, name pattern)
_OWN_FILES = (
    ("d365/contact", r"contact_\d{8}T\d{6}\.csv(\.gz)?"),
    ("d365/customeraddress", r"customeraddress_\d{8}T\d{6}\.csv(\.gz)?"),
    ("d365/scv_cardaccount", r"scv_cardaccount_\d{8}T\d{6}\.csv(\.gz)?"),
    ("legacy", "|".join(re.escape(layout.name) for layout in LAYOUTS)),
    ("shop/products", r"products_\d{8}T\d{6}\.csv(\.gz)?"),
    ("shop/orders", r"orders_\d{4}-\d{2}-\d{2}\.csv(\.gz)?"),
    ("cards/transactions", r"transactions_\d{4}-\d{2}-\d{2}\.(csv|csv\.gz|parquet)"),
    ("weather/forecast_day", r"forecast_day_\d{4}-\d{2}-\d{2}\.csv(\.gz)?"),
)


def _remove_earlier_output(out_dir: Path) -> None:
    """Delete files of the simulator's own naming left by an earlier run (and nothing else)."""
    for folder, pattern in _OWN_FILES:
        directory = out_dir / folder
        if not directory.is_dir():
            continue
        regex = re.compile(pattern)
        for entry in sorted(directory.iterdir()):
            if entry.is_file() and regex.fullmatch(entry.name):
                entry.unlink()


@dataclass
class _Written:
    """What the source writers produced that the truth needs."""

    people: pd.DataFrame
    pool: pd.DataFrame
    cards: pd.DataFrame
    crm: CrmResult
    legacy_ids: pd.DataFrame
    orders: Orders
    outliers: pd.DataFrame
    weather_gaps: pd.DataFrame


def _write_sources(settings: SimulationSettings, tl: Timeline, landing: Landing) -> _Written:
    seed = settings.seed
    pool_size = postal_pool_size(settings.customers, settings.postal_code_pool)
    pool = build_postal_pool(stream(seed, "geography"), pool_size)
    people = build_people(settings, tl, pool, stream(seed, "people"))
    cards = build_accounts(settings, people, stream(seed, "accounts"))
    crm = write_crm(settings, tl, people, pool, cards, landing, stream(seed, "crm"))
    # openpyxl is pure Python: write the workbooks in a thread while numpy draws the
    # orders and transactions (own copies and own log, so nothing is shared)
    legacy_landing = Landing(landing.root)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="legacy") as executor:
        legacy_job = executor.submit(
            write_legacy,
            people.copy(),
            pool.copy(),
            cards.copy(),
            tl,
            legacy_landing,
            stream(seed, "legacy"),
        )
        catalogue = build_catalogue(stream(seed, "catalogue"), tl.days)
        write_catalogue(catalogue, tl, landing)
        orders = simulate_orders(settings, tl, people, catalogue, stream(seed, "orders"))
        transactions = simulate_transactions(
            settings, tl, people, cards, stream(seed, "transactions")
        )
        legacy_ids = legacy_job.result()
    landing.log.entities.update(legacy_landing.log.entities)
    write_orders(orders, tl, landing)
    outliers = write_transactions(settings, tl, transactions, cards, landing)
    del transactions
    used = np.union1d(people["postal_idx"].to_numpy(), crm.state.postal_idx)
    codes = pool["postal_code"].to_numpy()[used]
    gaps = write_weather(settings, tl, pool, codes, landing, stream(seed, "weather"))
    return _Written(people, pool, cards, crm, legacy_ids, orders, outliers, gaps)


def _truth_frames(w: _Written, tl: Timeline) -> dict[str, pd.DataFrame]:
    person_ids = w.people["person_id"].to_numpy()
    changes = w.crm.changes
    return {
        "people": people_truth(
            w.people, w.pool, tl, w.crm.state.email, w.crm.state.line1, w.crm.state.postal_idx
        ),
        "identity_map": identity_map(w.people, w.legacy_ids, w.orders.frame),
        "card_accounts": pd.DataFrame(
            {
                "scv_cardaccountid": w.cards["scv_cardaccountid"],
                "person_id": person_ids[w.cards["person"].to_numpy()],
            }
        ),
        "anomalies": pd.concat(
            [w.orders.anomalies[ANOMALY_COLUMNS], w.outliers[ANOMALY_COLUMNS]],
            ignore_index=True,
        ),
        "contact_changes": changes.assign(
            modifiedon=pd.to_datetime(tl.to_epoch(changes["modified_t"].to_numpy(float)), unit="s")
        ).drop(columns="modified_t"),
        "weather_gaps": w.weather_gaps,
    }


def simulate(
    settings: SimulationSettings,
    out_dir: Path,
    truth_dir: Path | None = None,
    *,
    replace: bool = True,
) -> SimulationReport:
    """Write a landing zone for ``settings`` under ``out_dir`` and its truth under
    ``truth_dir`` (default ``out_dir.parent / "truth"``). Same settings => same bytes.

    With ``replace`` (default) files of the simulator's own naming left in ``out_dir`` by an
    earlier run are removed first, so the landing zone holds exactly one simulation.
    """
    began = time.perf_counter()
    out_dir = Path(out_dir)
    truth_dir = Path(truth_dir) if truth_dir is not None else out_dir.parent / "truth"
    if replace:
        _remove_earlier_output(out_dir)
    tl = timeline_for(settings)
    with Landing(out_dir, workers=2) as landing:
        written = _write_sources(settings, tl, landing)
    report = SimulationReport(
        start=tl.start,
        end=tl.end,
        seed=settings.seed,
        customers=settings.customers,
        entities={k: landing.log.entities.get(k, {"files": 0, "rows": 0}) for k in ENTITY_ORDER},
    )
    report.truth_files = write_truth(
        truth_dir, settings, _truth_frames(written, tl), report.to_dict()
    )
    report.elapsed_seconds = time.perf_counter() - began
    return report
