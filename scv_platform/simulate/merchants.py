"""Merchant categories, their MCCs, typical amounts, channels and (invented) merchants."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CHANNELS = np.array(["online", "in_store", "mobile"])


@dataclass(frozen=True)
class MerchantCategory:
    name: str
    median_amount: float
    sigma: float
    channel_mix: tuple[float, float, float]  # online, in_store, mobile
    peak_hour: float
    merchants: tuple[tuple[str, str], ...]  # (merchant name, MCC)


CATEGORIES: tuple[MerchantCategory, ...] = (
    MerchantCategory(
        "Airlines",
        380.0,
        0.55,
        (0.70, 0.05, 0.25),
        11.0,
        (
            ("Skyward Air", "4511"),
            ("Northwind Airlines", "4511"),
            ("Bluecrest Airways", "4511"),
            ("Coastal Jet", "4511"),
            ("Transpac Air", "3008"),
            ("Liberty Airlines", "3005"),
        ),
    ),
    MerchantCategory(
        "Hotels",
        240.0,
        0.6,
        (0.55, 0.30, 0.15),
        15.0,
        (
            ("Harborview Hotels", "7011"),
            ("Grand Meridian Resort", "7011"),
            ("Stayfield Inn", "7011"),
            ("Lakeside Lodge", "7011"),
            ("Metro Suites", "7011"),
            ("Pinecrest Motel", "7011"),
        ),
    ),
    MerchantCategory(
        "Dining",
        38.0,
        0.6,
        (0.08, 0.77, 0.15),
        19.0,
        (
            ("Luigi's Trattoria", "5812"),
            ("The Daily Grind Cafe", "5814"),
            ("Burger Barn", "5814"),
            ("Sakura Sushi", "5812"),
            ("Harbor Oyster House", "5812"),
            ("Taqueria El Sol", "5814"),
            ("The Copper Tap", "5813"),
            ("Golden Wok", "5812"),
            ("Bagel Corner", "5814"),
        ),
    ),
    MerchantCategory(
        "Grocery",
        62.0,
        0.55,
        (0.10, 0.83, 0.07),
        12.0,
        (
            ("FreshMart", "5411"),
            ("Green Valley Market", "5411"),
            ("ValuFoods", "5411"),
            ("Corner Deli & Grocer", "5499"),
            ("Harvest Organics", "5411"),
            ("Bayside Supermarket", "5411"),
        ),
    ),
    MerchantCategory(
        "Gas Stations",
        45.0,
        0.35,
        (0.0, 0.93, 0.07),
        9.0,
        (
            ("FuelStop", "5541"),
            ("QuickGas", "5542"),
            ("Eagle Petroleum", "5541"),
            ("RoadRunner Fuel", "5542"),
        ),
    ),
    MerchantCategory(
        "Retail",
        75.0,
        0.75,
        (0.35, 0.50, 0.15),
        14.0,
        (
            ("Harbor & Pine Department Store", "5311"),
            ("StyleHouse Apparel", "5651"),
            ("TechZone Electronics", "5732"),
            ("Page Turner Books", "5942"),
            ("HomeGoods Depot", "5200"),
            ("Everyday Discount", "5310"),
            ("Shoe Gallery", "5661"),
        ),
    ),
    MerchantCategory(
        "Entertainment",
        35.0,
        0.7,
        (0.45, 0.35, 0.20),
        20.0,
        (
            ("Cineplex 12", "7832"),
            ("StreamMax", "5815"),
            ("Riverside Theatre", "7922"),
            ("FunZone Arcade", "7996"),
            ("TuneBox Music", "5815"),
        ),
    ),
    MerchantCategory(
        "Travel Agencies",
        450.0,
        0.6,
        (0.75, 0.10, 0.15),
        13.0,
        (
            ("Wanderlust Travel", "4722"),
            ("GlobeTrek Tours", "4722"),
            ("SeaBreeze Cruises", "4411"),
            ("RoadTrip Car Rental", "3357"),
        ),
    ),
    MerchantCategory(
        "Utilities",
        110.0,
        0.45,
        (0.80, 0.05, 0.15),
        10.0,
        (
            ("Eastern Power & Light", "4900"),
            ("CityWater Utility", "4900"),
            ("Connectel Wireless", "4814"),
            ("StarLink Cable", "4899"),
        ),
    ),
    MerchantCategory(
        "Healthcare",
        95.0,
        0.8,
        (0.15, 0.78, 0.07),
        11.0,
        (
            ("Wellness Pharmacy", "5912"),
            ("Family Care Clinic", "8011"),
            ("Bright Smile Dental", "8021"),
            ("Mercy Medical Center", "8062"),
            ("VisionPlus Optical", "8043"),
        ),
    ),
)

CATEGORY_NAMES = np.array([c.name for c in CATEGORIES])
MEDIAN_AMOUNT = np.array([c.median_amount for c in CATEGORIES])
AMOUNT_SIGMA = np.array([c.sigma for c in CATEGORIES])
PEAK_HOUR = np.array([c.peak_hour for c in CATEGORIES])
CHANNEL_MIX = np.array([c.channel_mix for c in CATEGORIES])

# Flat merchant table and, per category, the slice of merchants that belong to it.
MERCHANT_NAMES = np.array([m for c in CATEGORIES for m, _ in c.merchants])
MERCHANT_MCC = np.array([mcc for c in CATEGORIES for _, mcc in c.merchants])
MERCHANT_CATEGORY = np.repeat(np.arange(len(CATEGORIES)), [len(c.merchants) for c in CATEGORIES])
MERCHANT_OFFSET = np.concatenate([[0], np.cumsum([len(c.merchants) for c in CATEGORIES])])

DECLINE_REASONS = np.array(
    ["insufficient_funds", "suspected_fraud", "card_expired", "limit_exceeded", "incorrect_pin"]
)
DECLINE_WEIGHTS = np.array([0.38, 0.14, 0.10, 0.26, 0.12])
