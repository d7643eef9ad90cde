"""Every environment variable the platform reads, in one place, with safe local defaults.

Call :func:`load_settings` (or :func:`load_simulation_settings`) at the point of use so that
tests and the CLI can change the environment before reading it.
"""

from __future__ import annotations

import dataclasses
import os
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_ROOT / "scv_dbt"

DEFAULT_HISTORY_DAYS = 548  # 18 months
_DATE_IN_NAME = re.compile(r"_(\d{4}-\d{2}-\d{2})\.(?:csv|csv\.gz|parquet)$")
DAILY_LANDING_FOLDERS = ("shop/orders", "cards/transactions", "weather/forecast_day")
LOOPBACK_HOSTS = ("127.0.0.1", "localhost")
_PLAIN_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*$")


class SettingsError(ValueError):
    """An environment variable holds a value the platform cannot use."""


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip()


def _env_int(name: str, default: int) -> int:
    raw = _env(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise SettingsError(f"{name}={raw!r} is not an integer") from exc


def _env_float(name: str, default: float) -> float:
    raw = _env(name)
    if raw is None:
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise SettingsError(f"{name}={raw!r} is not a number") from exc


def _env_date(name: str) -> date | None:
    raw = _env(name)
    if raw is None:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError as exc:
        raise SettingsError(f"{name}={raw!r} is not a date (YYYY-MM-DD)") from exc


def _env_identifier(name: str, default: str) -> str:
    value = _env(name, default) or default
    if not _PLAIN_IDENTIFIER.match(value):
        raise SettingsError(f"{name}={value!r} is not a plain identifier (letters, digits, _)")
    return value


def is_loopback(host: str | None) -> bool:
    """True for a Snowflake host on this machine: an emulator, never a real account."""
    return (host or "").strip().lower() in LOOPBACK_HOSTS


def _path(name: str, default: Path) -> Path:
    raw = _env(name)
    return Path(raw).expanduser().resolve() if raw else default


def yesterday_utc() -> date:
    return datetime.now(UTC).date() - timedelta(days=1)


def earliest_landing_date(landing_dir: Path) -> date | None:
    """First day that has a daily landing file, read from file names only (cheap)."""
    found: list[date] = []
    for folder in DAILY_LANDING_FOLDERS:
        directory = landing_dir / folder
        if not directory.is_dir():
            continue
        for entry in directory.iterdir():
            match = _DATE_IN_NAME.search(entry.name)
            if match:
                try:
                    found.append(date.fromisoformat(match.group(1)))
                except ValueError:
                    continue
    return min(found) if found else None


@dataclass(frozen=True)
class SnowflakeSettings:
    """Connection settings for production; secrets are read, never printed."""

    account: str | None
    user: str | None
    password: str | None = field(repr=False)
    private_key_path: str | None
    private_key_passphrase: str | None = field(repr=False)
    role: str | None
    warehouse: str | None
    database: str | None
    host: str | None
    port: int | None
    protocol: str | None
    login_timeout: int
    network_timeout: int

    @property
    def is_emulator(self) -> bool:
        return is_loopback(self.host)


@dataclass(frozen=True)
class WeatherShareSettings:
    """Where production reads Weather Source OnPoint ``FORECAST_DAY`` (a Marketplace share)."""

    database: str
    schema: str
    table: str = "FORECAST_DAY"

    @property
    def relation(self) -> str:
        return f"{self.database}.{self.schema}.{self.table}"


@dataclass(frozen=True)
class PostgresSettings:
    host: str | None
    port: int
    user: str | None
    password: str | None = field(repr=False)
    db: str | None


@dataclass(frozen=True)
class OperationsSettings:
    """Alerts, the landing-zone sensor and links to the UI; secrets are read, never printed."""

    alerts_file: Path
    webserver_url: str
    slack_token: str | None = field(repr=False)
    slack_channel: str | None
    webhook_url: str | None = field(repr=False)
    landing_settle_seconds: int


@dataclass(frozen=True)
class ChurnSettings:
    """Knobs of the churn model (``scv_platform.ml``); ``SCV_CHURN_<FIELD NAME IN CAPITALS>``
    overrides each, e.g. ``SCV_CHURN_MIN_AUC=0.8``. The horizon is the contract variable
    ``SCV_CHURN_HORIZON_DAYS`` (:attr:`Settings.churn_horizon_days`).

    The dbt churn models read the cutoff knobs from the same environment variables, with the
    same defaults (``scv_dbt/macros/churn/churn_settings.sql``)."""

    training_cutoffs: int = 4
    """Training cutoffs: the last day with data minus the horizon, and that many minus one
    earlier ones. The latest one validates, the earlier ones train (a time-aware split)."""

    cutoff_spacing_days: int = 30
    """Days between two training cutoffs."""

    min_auc: float = 0.75
    """The blocking check ``churn_model_auc`` fails below this validation ROC AUC."""

    high_risk_probability: float = 0.5
    """Risk band ``high`` from this churn probability up."""

    medium_risk_probability: float = 0.2
    """Risk band ``medium`` from this probability up to the high band; below it ``low``."""

    drift_warn_psi: float = 0.2
    """``churn_feature_drift`` warns when a feature's population stability index exceeds this."""

    drift_error_psi: float = 0.25
    """... and reports an error (not blocking) above this."""

    seed: int = 42
    """Seed of the model fits, so that a re-run on the same data gives the same model."""

    retrain_days: int = 7
    """Retraining cadence: the training cutoffs (dbt churn_cutoffs) move every this many
    days, and the model is kept while its training rows are unchanged (also while its latest
    training cutoff is 1 to this many days minus one behind); a restated history at the same
    cutoffs, new features or another horizon retrain at once. 0 moves the cutoffs daily and
    retrains every run."""

    def __post_init__(self) -> None:
        if self.retrain_days < 0:
            raise SettingsError("SCV_CHURN_RETRAIN_DAYS must be 0 or more")
        if self.training_cutoffs < 1 or self.cutoff_spacing_days < 1:
            raise SettingsError(
                "SCV_CHURN_TRAINING_CUTOFFS and SCV_CHURN_CUTOFF_SPACING_DAYS must be positive"
            )
        if not 0.0 < self.medium_risk_probability < self.high_risk_probability < 1.0:
            raise SettingsError(
                "churn risk bands need 0 < SCV_CHURN_MEDIUM_RISK_PROBABILITY < "
                "SCV_CHURN_HIGH_RISK_PROBABILITY < 1"
            )
        if not 0.5 <= self.min_auc < 1.0:
            raise SettingsError(f"SCV_CHURN_MIN_AUC={self.min_auc} must be in [0.5, 1)")
        if not 0.0 < self.drift_warn_psi <= self.drift_error_psi:
            raise SettingsError(
                "churn drift thresholds need 0 < SCV_CHURN_DRIFT_WARN_PSI <= "
                "SCV_CHURN_DRIFT_ERROR_PSI"
            )


def load_churn_settings() -> ChurnSettings:
    """Churn model settings: defaults overridden by ``SCV_CHURN_*`` variables, validated."""
    return dataclass_from_env(ChurnSettings, "SCV_CHURN_")


@dataclass(frozen=True)
class Settings:
    env: str
    landing_dir: Path
    warehouse_path: Path
    history_start: date
    churn_horizon_days: int
    dagster_home: Path
    artifacts_dir: Path
    snowflake: SnowflakeSettings
    postgres: PostgresSettings
    operations: OperationsSettings
    weather_share: WeatherShareSettings
    churn: ChurnSettings = field(default_factory=ChurnSettings)

    @property
    def is_local(self) -> bool:
        return self.env == "local"


def load_settings() -> Settings:
    env = (_env("SCV_ENV", "local") or "local").lower()
    if env not in {"local", "prod"}:
        raise SettingsError(f"SCV_ENV={env!r}: expected 'local' or 'prod'")
    landing_dir = _path("SCV_LANDING_DIR", PROJECT_ROOT / "data" / "landing")
    history_start = (
        _env_date("SCV_HISTORY_START")
        or earliest_landing_date(landing_dir)
        or (yesterday_utc() - timedelta(days=DEFAULT_HISTORY_DAYS - 1))
    )
    horizon = _env_int("SCV_CHURN_HORIZON_DAYS", 90)
    if horizon <= 0:
        raise SettingsError(f"SCV_CHURN_HORIZON_DAYS={horizon} must be positive")
    port = _env_int("SNOWFLAKE_PORT", 0)
    dagster_home = _path("DAGSTER_HOME", PROJECT_ROOT / "data" / "dagster_home")
    return Settings(
        env=env,
        landing_dir=landing_dir,
        warehouse_path=_path("SCV_WAREHOUSE_PATH", PROJECT_ROOT / "data" / "warehouse.duckdb"),
        history_start=history_start,
        churn_horizon_days=horizon,
        dagster_home=dagster_home,
        artifacts_dir=_path("SCV_ARTIFACTS_DIR", PROJECT_ROOT / "data" / "artifacts"),
        snowflake=SnowflakeSettings(
            account=_env("SNOWFLAKE_ACCOUNT"),
            user=_env("SNOWFLAKE_USER"),
            password=_env("SNOWFLAKE_PASSWORD"),
            private_key_path=_env("SNOWFLAKE_PRIVATE_KEY_PATH"),
            private_key_passphrase=_env("SNOWFLAKE_PRIVATE_KEY_PASSPHRASE"),
            role=_env("SNOWFLAKE_ROLE"),
            warehouse=_env("SNOWFLAKE_WAREHOUSE"),
            database=_env("SNOWFLAKE_DATABASE"),
            host=_env("SNOWFLAKE_HOST"),
            port=port or None,
            protocol=_env("SNOWFLAKE_PROTOCOL"),
            login_timeout=_env_int("SCV_SNOWFLAKE_LOGIN_TIMEOUT", 60),
            network_timeout=_env_int("SCV_SNOWFLAKE_NETWORK_TIMEOUT", 300),
        ),
        postgres=PostgresSettings(
            host=_env("DAGSTER_PG_HOST"),
            port=_env_int("DAGSTER_PG_PORT", 5432),
            user=_env("DAGSTER_PG_USER"),
            password=_env("DAGSTER_PG_PASSWORD"),
            db=_env("DAGSTER_PG_DB"),
        ),
        operations=load_operations_settings(dagster_home),
        churn=load_churn_settings(),
        weather_share=WeatherShareSettings(
            database=_env_identifier("SCV_WEATHER_SHARE_DATABASE", "WEATHER_SOURCE_LLC_FROSTBYTE"),
            schema=_env_identifier("SCV_WEATHER_SHARE_SCHEMA", "ONPOINT_ID"),
        ),
    )


DEFAULT_WEBSERVER_URL = "http://127.0.0.1:3000"


def load_operations_settings(dagster_home: Path) -> OperationsSettings:
    slack_token, slack_channel = _env("SCV_SLACK_TOKEN"), _env("SCV_SLACK_CHANNEL")
    if bool(slack_token) != bool(slack_channel):
        raise SettingsError("Slack alerts need both SCV_SLACK_TOKEN and SCV_SLACK_CHANNEL")
    settle = _env_int("SCV_LANDING_SETTLE_SECONDS", 60)
    if settle < 0:
        raise SettingsError(f"SCV_LANDING_SETTLE_SECONDS={settle} must not be negative")
    return OperationsSettings(
        alerts_file=_path("SCV_ALERTS_FILE", dagster_home / "alerts.jsonl"),
        webserver_url=(_env("DAGSTER_WEBSERVER_URL") or DEFAULT_WEBSERVER_URL).rstrip("/"),
        slack_token=slack_token,
        slack_channel=slack_channel,
        webhook_url=_env("SCV_ALERT_WEBHOOK_URL"),
        landing_settle_seconds=settle,
    )


@dataclass(frozen=True)
class SimulationSettings:
    """Scale knobs and injected-anomaly rates of the landing-zone simulator.

    Every field can be set by an environment variable ``SCV_SIM_<FIELD NAME IN CAPITALS>``
    (for example ``SCV_SIM_CUSTOMERS=50000``); CLI flags override the environment.
    """

    customers: int = 2000
    days: int = DEFAULT_HISTORY_DAYS
    end: date = field(default_factory=yesterday_utc)
    seed: int = 42
    # people and CRM
    address_multiplier: float = 1.5
    phone_multiplier: float = 1.7
    card_multiplier: float = 1.2
    legacy_share: float = 0.4
    legacy_crm_overlap: float = 0.3
    shopper_share: float = 0.6
    delta_exports: int = 6
    delta_change_share: float = 0.03
    # activity
    transactions_per_customer: float = 270.0
    orders_per_shopper_month: float = 1.5
    approval_rate: float = 0.97
    transaction_file_format: str = "csv"  # csv | csv.gz | parquet | mixed
    postal_code_pool: int = 0  # 0: derived from the number of customers
    # injected anomalies (shares of order / transaction rows)
    quantity_outlier_rate: float = 0.005
    total_mismatch_rate: float = 0.005
    empty_total_rate: float = 0.01
    unknown_product_rate: float = 0.003
    unknown_shopper_rate: float = 0.005
    transaction_amount_outlier_rate: float = 0.001
    # weather gaps
    weather_missing_postal_share: float = 0.03
    weather_missing_day_share: float = 0.01

    def __post_init__(self) -> None:
        if self.customers <= 0 or self.days <= 0:
            raise SettingsError("simulated customers and days must be positive")
        if self.transaction_file_format not in {"csv", "csv.gz", "parquet", "mixed"}:
            raise SettingsError(
                f"transaction_file_format={self.transaction_file_format!r}: "
                "expected csv, csv.gz, parquet or mixed"
            )

    @property
    def start(self) -> date:
        return self.end - timedelta(days=self.days - 1)

    def with_overrides(self, **overrides: object) -> SimulationSettings:
        given = {k: v for k, v in overrides.items() if v is not None}
        return dataclasses.replace(self, **given)


def dataclass_from_env(cls: type[T], prefix: str) -> T:
    """A settings dataclass: its defaults, overridden by ``<prefix><FIELD NAME>`` variables.

    Each variable is parsed like its field's default (int, float, date or text).
    """
    values: dict[str, object] = {}
    for spec in dataclasses.fields(cls):  # type: ignore[arg-type]
        name = f"{prefix}{spec.name.upper()}"
        default = spec.default if spec.default is not dataclasses.MISSING else None
        if default is None and spec.default_factory is not dataclasses.MISSING:
            default = spec.default_factory()
        if _env(name) is None:
            continue
        if isinstance(default, bool):
            values[spec.name] = (_env(name) or "").lower() in {"1", "true", "yes"}
        elif isinstance(default, int):
            values[spec.name] = _env_int(name, default)
        elif isinstance(default, float):
            values[spec.name] = _env_float(name, default)
        elif isinstance(default, date):
            values[spec.name] = _env_date(name)
        else:
            values[spec.name] = _env(name)
    try:
        return cls(**values)
    except SettingsError:
        raise
    except (TypeError, ValueError) as exc:
        raise SettingsError(f"{prefix}* settings: {exc}") from exc


def load_simulation_settings() -> SimulationSettings:
    """Simulator settings: defaults overridden by ``SCV_SIM_*`` variables, validated."""
    return dataclass_from_env(SimulationSettings, "SCV_SIM_")


@dataclass(frozen=True)
class QualitySettings:
    """Knobs and thresholds of the data-quality checks (``scv_platform/quality``).

    Every field can be set by ``SCV_DQ_<FIELD NAME IN CAPITALS>`` (for example
    ``SCV_DQ_IQR_MULTIPLIER=1.5``). A check warns when its share of bad rows is above its
    ``<check>_warn`` threshold and fails with ERROR above ``<check>_error`` (shares in 0..1;
    for ``volume`` the share is the relative deviation from the expected row count). The
    defaults warn on the simulator's default anomaly rates without blocking (README).
    """

    iqr_multiplier: float = 3.0
    """Order quantities outside Q1 - k x IQR .. Q3 + k x IQR of their category are outliers."""
    zscore_threshold: float = 3.0
    """A robust z-score of at least this (in absolute value) is an outlier."""
    min_relative_spread: float = 0.15
    """Smallest spread (log scale, ~ relative) of a product's price per unit: promotions move
    prices, so a per-unit amount within 3 x 15 % of the product's usual one is never an outlier."""
    total_tolerance: float = 0.01
    """Currency units a total may differ from quantity x unit price (rounding)."""
    total_relative_tolerance: float = 0.01
    """Share of quantity x unit price a total may differ by (e.g. rounding of discounts)."""
    reference_days: int = 365
    """Statistics of the outlier checks come from the checked days and this many days before."""
    min_group_rows: int = 20
    """A category / product / merchant category needs this many reference rows for its own
    statistics; smaller groups fall back to all rows (IQR) or are not judged (prices)."""
    volume_weeks: int = 8
    """A day's row count is compared with the same weekday of this many weeks before it."""
    volume_min_history: int = 3
    """Same-weekday days with data needed before a day's volume is judged."""
    sample_size: int = 10
    """Rows shown in a check's description and metadata."""
    shop_customer_min_orders: int = 8
    """A web shop account that no CRM or legacy customer owns (and whose e-mail fits no one)
    but that has placed at least this many orders (as the warehouse holds them now) is a
    shop-only customer in its own right, not an unknown shopper: ``fk_orders_customer``
    leaves its orders alone. Guest checkouts and test accounts order a handful of times."""

    orders_quantity_iqr_warn: float = 0.0
    orders_quantity_iqr_error: float = 0.05
    orders_amount_zscore_warn: float = 0.0
    orders_amount_zscore_error: float = 0.05
    transactions_amount_zscore_warn: float = 0.0
    transactions_amount_zscore_error: float = 0.02
    orders_total_consistency_warn: float = 0.0
    orders_total_consistency_error: float = 0.1
    fk_orders_product_warn: float = 0.0
    fk_orders_product_error: float = 0.05
    fk_orders_customer_warn: float = 0.0
    fk_orders_customer_error: float = 0.1
    fk_transactions_card_account_warn: float = 0.0
    fk_transactions_card_account_error: float = 0.05
    customer_duplicates_warn: float = 0.0
    customer_duplicates_error: float = 0.05
    postal_code_completeness_warn: float = 0.05
    postal_code_completeness_error: float = 0.25
    weather_coverage_warn: float = 0.1
    weather_coverage_error: float = 0.5
    volume_warn: float = 0.5
    volume_error: float = 0.9

    def __post_init__(self) -> None:
        for spec in dataclasses.fields(self):
            if not spec.name.endswith("_warn"):
                continue
            check = spec.name.removesuffix("_warn")
            warn, error = getattr(self, spec.name), getattr(self, f"{check}_error")
            if not 0.0 <= warn <= error or (check != "volume" and error > 1.0):
                raise SettingsError(
                    f"{check}: thresholds warn={warn}, error={error} must satisfy "
                    "0 <= warn <= error (<= 1 for shares)"
                )
        if self.iqr_multiplier <= 0 or self.zscore_threshold <= 0:
            raise SettingsError("iqr_multiplier and zscore_threshold must be positive")
        if self.reference_days < 0 or self.volume_weeks < 1 or self.sample_size < 1:
            raise SettingsError("reference_days >= 0, volume_weeks >= 1, sample_size >= 1")

    def thresholds(self, check: str) -> tuple[float, float]:
        """(warn, error) thresholds of a check family, e.g. ``orders_quantity_iqr``."""
        return getattr(self, f"{check}_warn"), getattr(self, f"{check}_error")


def load_quality_settings() -> QualitySettings:
    """Data-quality thresholds: defaults overridden by ``SCV_DQ_*`` variables, validated."""
    return dataclass_from_env(QualitySettings, "SCV_DQ_")
