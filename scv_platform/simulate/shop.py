"""Web shop: the product catalogue and daily order files, with injected order anomalies."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from scv_platform.settings import SimulationSettings
from scv_platform.simulate.activity import (
    Lifecycle,
    calibrated_rates,
    draw_events,
    event_seconds,
    time_of_day,
)
from scv_platform.simulate.names import EMAIL_DOMAINS, FEMALE_FIRST, LAST, MALE_FIRST
from scv_platform.simulate.people import ascii_local, other_emails
from scv_platform.simulate.segments import SEGMENTS, table
from scv_platform.simulate.text import (
    ascii_matrix,
    digit_matrix,
    matrix_to_str,
    pick,
    prefixed_ids,
    unique_random_ints,
    vary_case,
    with_spaces,
)
from scv_platform.simulate.timeline import DAY_SECONDS, Timeline
from scv_platform.simulate.writer import Landing, day_slices, iso_text, money, text

DAYS_PER_MONTH = 30.44
STATUSES = np.array(["placed", "shipped", "delivered", "cancelled", "returned"])
ANOMALY_KINDS = ("quantity_outlier", "total_mismatch", "empty_total", "unknown_product")

# category: (median price, brands, product nouns)
_CATALOGUE = {
    "Electronics": (
        89.0,
        "Voltix Sonara Pixelon Nordtek Aurion",
        "Headphones Speaker Charger Smartwatch Keyboard Webcam Earbuds Power-Bank",
    ),
    "Home & Kitchen": (
        45.0,
        "Casa Verde Hearthstone Kitchora Lumen Oakridge",
        "Blender Skillet Knife-Set Lamp Towel-Set Coffee-Maker Cutting-Board Vase",
    ),
    "Apparel": (
        39.0,
        "Harbor&Pine Northloom Urbanthread Coastline Stride",
        "T-Shirt Jeans Jacket Sweater Dress Sneakers Scarf Hoodie",
    ),
    "Beauty": (
        24.0,
        "Lumiere Botanica Veloura Purelle Glowwell",
        "Moisturizer Serum Shampoo Lipstick Perfume Face-Mask Body-Lotion Sunscreen",
    ),
    "Sports & Outdoors": (
        55.0,
        "Trailpeak Summitco Aquaforce Ironfit Ridgeway",
        "Yoga-Mat Tent Backpack Water-Bottle Dumbbells Running-Shoes Bike-Helmet Cooler",
    ),
    "Toys & Games": (
        29.0,
        "Playnest Brickwise Funforge Kidora Puzzleworks",
        "Puzzle Board-Game Building-Set Plush-Bear Race-Car Doll Art-Kit Card-Game",
    ),
    "Grocery & Gourmet": (
        14.0,
        "Harvest&Co Olivia's Roastery Pantry-Fine Spicebox",
        "Coffee-Beans Olive-Oil Tea-Sampler Chocolate-Box Spice-Set Pasta Honey Granola",
    ),
    "Books": (
        17.0,
        "Lighthouse-Press Quillstone Paperlane Inkwell Meridian-Books",
        "Novel Cookbook Travel-Guide Biography Thriller Childrens-Book Atlas Journal",
    ),
}
SHOP_CATEGORIES = np.array(list(_CATALOGUE))
_ADJECTIVES = np.array(
    [
        "Classic",
        "Premium",
        "Essential",
        "Deluxe",
        "Compact",
        "Everyday",
        "Signature",
        "Pro",
        "Eco",
        "Smart",
        "Vintage",
        "Ultra",
    ]
)


@dataclass
class Catalogue:
    """Products (first file) and the later price list; ``launch`` 1 = only in the later file."""

    products: pd.DataFrame
    change_day: int | None


def build_catalogue(rng: np.random.Generator, days: int) -> Catalogue:
    count = int(rng.integers(180, 261))
    category = rng.integers(0, SHOP_CATEGORIES.size, count)
    brand = np.empty(count, dtype=object)
    noun = np.empty(count, dtype=object)
    median = np.empty(count)
    for c, (price, brands, nouns) in enumerate(_CATALOGUE.values()):
        rows = np.flatnonzero(category == c)
        names = np.strings.replace(np.array(brands.split()), "-", " ")
        brand[rows] = names[rng.integers(0, names.size, rows.size)]
        noun[rows] = np.array(nouns.split())[rng.integers(0, 8, rows.size)]
        median[rows] = price
    brand = np.strings.replace(brand.astype(str), "&", " & ")
    noun = np.strings.replace(noun.astype(str), "-", " ")
    adjective = _ADJECTIVES[rng.integers(0, _ADJECTIVES.size, count)]
    name = np.strings.add(np.strings.add(np.strings.add(brand, " "), adjective), " ")
    price = np.round(median * rng.lognormal(0.0, 0.5, count), 0) - 0.01
    price = np.maximum(price, 2.99)
    change_day = days // 2 if days >= 14 else None
    new_price = np.where(
        rng.random(count) < 0.15, np.round(price * rng.uniform(0.8, 1.2, count), 2), price
    )
    launch = (rng.random(count) < 0.05).astype(np.int64) if change_day else np.zeros(count, int)
    products = pd.DataFrame(
        {
            "product_id": prefixed_ids("P", unique_random_ints(rng, count, 10_000, 80_000), 5),
            "product_name": np.strings.add(name, noun),
            "category": category,
            "brand": brand,
            "price": price,
            "new_price": new_price,
            "launch": launch,
            "popularity": rng.lognormal(0.0, 0.8, count),
        }
    )
    return Catalogue(products.sort_values("product_id", ignore_index=True), change_day)


def catalogue_table(products: pd.DataFrame, later: bool) -> pa.Table:
    return pa.table(
        {
            "product_id": text(products["product_id"].to_numpy()),
            "product_name": text(products["product_name"].to_numpy()),
            "category": text(SHOP_CATEGORIES[products["category"].to_numpy()]),
            "brand": text(products["brand"].to_numpy()),
            "list_price": money(products["new_price" if later else "price"].to_numpy()),
        }
    )


def write_catalogue(cat: Catalogue, tl: Timeline, landing: Landing) -> None:
    p = cat.products
    landing.csv(
        "shop/products", f"products_{tl.stamp(0.0)}.csv", catalogue_table(p[p.launch == 0], False)
    )
    if cat.change_day is not None:
        name = f"products_{tl.stamp(float(cat.change_day))}.csv"
        landing.csv("shop/products", name, catalogue_table(p, True))


def shop_emails(people: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    """The address each shopper uses in the shop: mostly their own, sometimes varied or other."""
    n = len(people)
    email = people["email"].to_numpy().astype(str)
    style = pick(rng, [78, 4, 3, 5, 10], n)  # as is, UPPER, Title, spaces, other address
    varied = vary_case(email, np.where(style == 1, 1, np.where(style == 2, 3, 0)))
    varied = with_spaces(varied, np.where(style == 3, 1 + rng.integers(0, 2, n), 0))
    return np.where(style == 4, other_emails(rng, email), varied)


def _unknown_shoppers(
    rng: np.random.Generator, count: int, known_emails: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Shop accounts that belong to nobody (guest checkouts, test accounts)."""
    ids = prefixed_ids("S", unique_random_ints(rng, count, 9_000_000, 10_000_000), 7)
    given = np.concatenate([FEMALE_FIRST, MALE_FIRST])
    first = given[rng.integers(0, given.size, count)]
    last = LAST[rng.integers(0, LAST.size, count)]
    local = np.strings.add(np.strings.add(ascii_local(first), "."), ascii_local(last))
    local = np.strings.add(local, rng.integers(1000, 10_000, count).astype(str))
    email = np.strings.add(np.strings.add(local, "@"), EMAIL_DOMAINS[rng.integers(0, 4, count)])
    taken = pd.Series(email).isin(pd.Series(known_emails)).to_numpy()
    email = np.where(taken, np.strings.add("guest.", email), email)
    return ids, email


@dataclass
class Orders:
    frame: pd.DataFrame  # sorted by time, one row per order
    anomalies: pd.DataFrame


def _statuses(rng: np.random.Generator, age_days: np.ndarray) -> np.ndarray:
    """Recent orders are still open; older ones delivered, cancelled or returned."""
    n = age_days.size
    recent = STATUSES[pick(rng, [60, 40, 0, 0, 0], n)]
    week = STATUSES[pick(rng, [5, 40, 50, 5, 0], n)]
    old = STATUSES[pick(rng, [0, 2, 86, 5, 7], n)]
    return np.select([age_days <= 2, age_days <= 7], [recent, week], old)


def _choose_products(
    rng: np.random.Generator, products: pd.DataFrame, segment: np.ndarray, later: np.ndarray
) -> np.ndarray:
    """A product per order: category by the shopper's segment, then by popularity among the
    products on offer at the time (launches only after the catalogue change)."""
    mix = np.array([s.shop_category_mix for s in SEGMENTS])
    category = np.empty(segment.size, dtype=np.int64)
    for s in range(len(SEGMENTS)):
        rows = np.flatnonzero(segment == s)
        category[rows] = pick(rng, mix[s], rows.size)
    product = np.zeros(segment.size, dtype=np.int64)
    p_category = products["category"].to_numpy()
    launch = products["launch"].to_numpy()
    for c in range(SHOP_CATEGORIES.size):
        for period in (0, 1):
            rows = np.flatnonzero((category == c) & (later == bool(period)))
            offer = np.flatnonzero((p_category == c) & (launch <= period))
            if offer.size == 0:
                offer = np.flatnonzero(launch <= period)
            weights = products["popularity"].to_numpy()[offer]
            product[rows] = offer[pick(rng, weights, rows.size)]
    return product


def simulate_orders(
    settings: SimulationSettings,
    tl: Timeline,
    people: pd.DataFrame,
    cat: Catalogue,
    rng: np.random.Generator,
) -> Orders:
    lifecycle = Lifecycle.of(people, tl.days)
    season = tl.season()
    shoppers = np.flatnonzero(people["is_shopper"].to_numpy())
    segment_of = people["segment_idx"].to_numpy()
    weight = table("shop_frequency")[segment_of[shoppers]] * np.sqrt(
        people["frequency"].to_numpy()[shoppers]
    )
    active_days = np.clip(lifecycle.stop_t[shoppers] - lifecycle.start_t[shoppers], 0, None)
    target = settings.orders_per_shopper_month / DAYS_PER_MONTH * active_days.sum()
    rates = calibrated_rates(lifecycle, season, shoppers, weight, target)
    person, t = draw_events(lifecycle, season, shoppers, rates, rng)
    m = person.size
    seconds = event_seconds(lifecycle, person, t, time_of_day(rng, 20.0, m, spread=4.0))

    products = cat.products
    if cat.change_day is None:
        later = np.zeros(m, dtype=bool)
    else:
        later = seconds // DAY_SECONDS >= cat.change_day
    product = _choose_products(rng, products, segment_of[person], later)
    list_price = np.where(
        later, products["new_price"].to_numpy()[product], products["price"].to_numpy()[product]
    )
    discount = np.where(rng.random(m) < 0.12, rng.uniform(0.1, 0.3, m), 0.0)
    unit_price = np.round(list_price * (1 - discount), 2)
    quantity = np.array([1, 2, 3, 4, 5])[pick(rng, [68, 20, 7, 3, 2], m)]
    product_id = products["product_id"].to_numpy()[product].astype(object)
    emails = shop_emails(people, rng)
    shop_id = people["shop_customer_id"].to_numpy()[person].astype(object)
    email = emails[person].astype(object)

    # injected anomalies: exact shares of the orders, at most one per order
    kind = np.full(m, len(ANOMALY_KINDS))  # no anomaly
    shuffled = rng.permutation(m)
    position = 0
    for k, rate in enumerate(
        [
            settings.quantity_outlier_rate,
            settings.total_mismatch_rate,
            settings.empty_total_rate,
            settings.unknown_product_rate,
        ]
    ):
        count = min(round(rate * m), m - position)
        kind[shuffled[position : position + count]] = k
        position += count
    quantity = np.where(kind == 0, rng.integers(40, 501, m), quantity)
    total = np.round(quantity * unit_price, 2)
    factor = np.where(rng.random(m) < 0.5, rng.uniform(0.3, 0.85, m), rng.uniform(1.2, 3.0, m))
    total = np.where(kind == 1, np.round(total * factor + 1.0, 2), total)
    unknown_products = prefixed_ids(
        "P", unique_random_ints(rng, max(int((kind == 3).sum()), 1), 80_000, 100_000), 5
    )
    product_id[kind == 3] = unknown_products[: int((kind == 3).sum())]

    # orders from shop accounts that belong to nobody
    extra = round(settings.unknown_shopper_rate * m)
    guest_ids, guest_emails = _unknown_shoppers(rng, max(extra // 2, 1), people["email"].to_numpy())
    guest = rng.integers(0, guest_ids.size, extra)
    guest_product = pick(rng, products["popularity"].to_numpy() * (products["launch"] == 0), extra)
    guest_seconds = rng.integers(0, tl.days * DAY_SECONDS, extra)
    guest_later = (
        guest_seconds // DAY_SECONDS >= cat.change_day
        if cat.change_day is not None
        else np.zeros(extra, dtype=bool)
    )
    guest_price = np.where(
        guest_later,
        products["new_price"].to_numpy()[guest_product],
        products["price"].to_numpy()[guest_product],
    )

    frame = pd.DataFrame(
        {
            "seconds": np.concatenate([seconds, guest_seconds]),
            "shop_customer_id": np.concatenate([shop_id, guest_ids[guest]]),
            "customer_email": np.concatenate([email, guest_emails[guest]]),
            "product_id": np.concatenate(
                [product_id, products["product_id"].to_numpy()[guest_product]]
            ),
            "quantity": np.concatenate([quantity, np.ones(extra, dtype=np.int64)]),
            "unit_price": np.concatenate([unit_price, guest_price]),
            "total_amount": np.concatenate([total, guest_price]),
            "empty_total": np.concatenate([kind == 2, np.zeros(extra, bool)]),
            "anomaly": np.concatenate([kind, np.full(extra, 5)]),
            "person": np.concatenate([person, np.full(extra, -1)]),
        }
    )
    frame = frame.sort_values("seconds", kind="stable", ignore_index=True)
    day = frame["seconds"].to_numpy() // DAY_SECONDS
    frame["order_status"] = _statuses(rng, tl.days - 1 - day)
    frame["order_id"] = order_ids(tl, day)
    labels = np.array([*ANOMALY_KINDS, "", "unknown_shopper"])
    flagged = frame[frame["anomaly"] != 4]
    anomalies = pd.DataFrame(
        {
            "kind": labels[flagged["anomaly"].to_numpy()],
            "source": "shop_orders",
            "record_id": flagged["order_id"].to_numpy(),
            "event_date": tl.to_date64(flagged["seconds"].to_numpy() / DAY_SECONDS),
        }
    )
    return Orders(frame=frame, anomalies=anomalies)


def order_ids(tl: Timeline, day: np.ndarray) -> np.ndarray:
    """``ORD-<yyyymmdd>-<6-digit sequence of the day>`` for orders sorted by day."""
    n = day.size
    first = np.searchsorted(day, day, side="left")
    sequence = np.arange(n) - first + 1
    calendar = tl.dates()
    year = calendar.astype("datetime64[Y]").astype(np.int64) + 1970
    month = calendar.astype("datetime64[M]").astype(np.int64) % 12 + 1
    dom = (calendar - calendar.astype("datetime64[M]")).astype(np.int64) + 1
    ymd = (year * 10_000 + month * 100 + dom)[day]
    matrix = ascii_matrix(b"ORD-", digit_matrix(ymd, 8), b"-", digit_matrix(sequence, 6), rows=n)
    return matrix_to_str(matrix)


def write_orders(orders: Orders, tl: Timeline, landing: Landing) -> None:
    """One CSV per day (a header-only file on a day without orders)."""
    f = orders.frame
    day = f["seconds"].to_numpy() // DAY_SECONDS
    epoch = tl.start_epoch + f["seconds"].to_numpy()
    columns = {c: f[c].to_numpy() for c in f.columns}
    for d, rows in day_slices(day, tl.days):
        table = pa.table(
            {
                "order_id": text(columns["order_id"][rows]),
                "order_ts": iso_text(epoch[rows]),
                "shop_customer_id": text(columns["shop_customer_id"][rows]),
                "customer_email": text(columns["customer_email"][rows]),
                "product_id": text(columns["product_id"][rows]),
                "quantity": pa.array(columns["quantity"][rows], type=pa.int64()),
                "unit_price": money(columns["unit_price"][rows]),
                "total_amount": money(
                    columns["total_amount"][rows], mask=columns["empty_total"][rows]
                ),
                "order_status": text(columns["order_status"][rows]),
            }
        )
        landing.csv("shop/orders", f"orders_{tl.day(d).isoformat()}.csv", table)
