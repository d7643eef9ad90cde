"""The churn feature columns the model reads from ``gold.churn_features`` (dbt), by kind."""

KEYS = ("cutoff_date", "cutoff_role", "scv_customer_id")
LABEL = "churned"
TRAINING_ROLE = "training"
SCORING_ROLE = "scoring"

WINDOWS = (30, 60, 90, 180)

# non-negative amounts, counts and day spans: log-scaled for the linear model
SKEWED = (
    "recency_days",
    "recency_card_days",
    "recency_order_days",
    "tenure_days",
    "lifetime_frequency",
    "lifetime_value",
    *(f"{kind}_{days}d" for days in WINDOWS for kind in ("frequency", "value", "active_days")),
    "transactions_90d",
    "orders_90d",
    "card_spend_90d",
    "order_value_90d",
    "merchant_categories_90d",
    "product_categories_90d",
    "card_accounts",
    "credit_limit",
)
# shares, trends and utilisation: used as they are
RATIOS = (
    "spend_trend_30d_vs_90d",
    "spend_slope_6m",
    "declined_share_90d",
    "online_share_180d",
    "mobile_share_180d",
    "in_store_share_180d",
    "credit_utilisation_30d",
)
CATEGORICAL = ("card_type", "age_band", "behaviour_segment")
FLAGS = ("has_card_account", "has_card_activity", "has_order_activity")

NUMERIC = SKEWED + RATIOS
MODEL_FEATURES = NUMERIC + CATEGORICAL + FLAGS

# the main features whose population stability is checked between training and scoring;
# tenure and lifetime totals are not among them: they grow with time by construction
DRIFT_FEATURES = (
    "recency_days",
    "frequency_90d",
    "value_90d",
    "value_180d",
    "active_days_90d",
    "spend_trend_30d_vs_90d",
    "declined_share_90d",
    "merchant_categories_90d",
    "credit_utilisation_30d",
)
