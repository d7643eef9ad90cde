"""The probabilistic model: Splink 5 on an in-memory DuckDB, trained without labels.

Comparisons (each a log2 match weight in the explanations):

- ``first_name``: exact (term-frequency adjusted), same canonical name (nicknames),
  Jaro-Winkler >= 0.9, >= 0.8, else;
- ``last_name``: exact (tf), Jaro-Winkler >= 0.92, >= 0.8, else;
- ``birth_date``: exact, day and month swapped, one character different, else;
- ``address_line1``: exact (tf), Jaro-Winkler >= 0.9, else;
- ``location``: same ZIP (tf), same city (tf), same state, else;
- ``email``: exact (tf); the same user part with digits at another provider; user parts
  whose letters (the stem) are the same and only spell the person's name: no evidence beyond
  the name comparisons, so weight 0 (name-made addresses of namesakes would otherwise count
  the name twice); the same stem otherwise; else;
- ``phone``: any of the two phones of one equals any of the other, else.

Training, without labels: the prior from near-certain rules
(``estimate_probability_two_random_records_match``: same e-mail; same first name, last name
and birth date; same phone and last name; assumed recall 0.7), u from seeded random pairs
(``estimate_u_using_random_sampling``), m by expectation maximisation in two sessions blocked
on ``phone`` (estimates all but the phone) and on ``birth_date`` + Soundex of the last name
(the rest), with a fallback session on last name + ZIP when one finds no pairs. The trained
m values are floored at ``M_FLOOR`` (see there) before scoring. A model trained by an earlier
run scores instead while it may (``model_reuse.py``).

Prediction blocking rules (``prediction_blocking_rules``) are equi-joins that each keep
blocks small at 100,000+ identities; a pair is scored once whichever rules find it.
"""

from __future__ import annotations

import json
import logging
import math
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

import duckdb
import pandas as pd
import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on
from splink.blocking_rule_library import CustomRule
from splink.internals.exceptions import EMTrainingException

from scv_platform.identity.config import IdentityConfig
from scv_platform.identity.model_reuse import definition_digest, retrain_reason
from scv_platform.identity.rules import RECORDS_VIEW
from scv_platform.identity.tables import FIELD_NAMES, TrainedModel

COMPARISON_NAMES = FIELD_NAMES
PREDICT_FLOOR = 0.5  # pairs scored below this are not kept at all
M_FLOOR = 0.01
"""Smallest m probability of a level. Unsupervised EM drives the m of rare disagreement levels
towards 0 (a veto of -30 bits and more); the floor caps one field's disagreement at about
-6.6 bits so that the other fields can still outweigh a typo the levels do not foresee."""

_DOB_SWAPPED = (
    "substr(birth_date_l, 1, 4) = substr(birth_date_r, 1, 4) "
    "AND substr(birth_date_l, 6, 2) = substr(birth_date_r, 9, 2) "
    "AND substr(birth_date_l, 9, 2) = substr(birth_date_r, 6, 2)"
)
_PHONE_NULL = (
    "(phone_l IS NULL AND phone_alt_l IS NULL) OR (phone_r IS NULL AND phone_alt_r IS NULL)"
)
_PHONE_ANY = (
    "phone_l = phone_r OR phone_l = phone_alt_r OR phone_alt_l = phone_r "
    "OR phone_alt_l = phone_alt_r"
)
_STEM_IS_NAME = " OR ".join(
    f"email_stem_l = {pattern}"
    for side in ("l", "r")
    for pattern in (
        f"first_name_{side} || last_name_{side}",
        f"last_name_{side} || first_name_{side}",
        f"first_name_canonical_{side} || last_name_{side}",
        f"left(first_name_{side}, 1) || last_name_{side}",
        f"last_name_{side} || left(first_name_{side}, 1)",
        f"first_name_{side}",
        f"first_name_canonical_{side}",
        f"last_name_{side}",
    )
)
_LOCATION_NULL = (
    "(postal_code_l IS NULL OR postal_code_r IS NULL) AND (city_l IS NULL OR city_r IS NULL)"
)


def comparisons() -> list[cl.CustomComparison]:
    """The seven comparisons of the model (see the module docstring)."""
    return [
        cl.CustomComparison(
            output_column_name="first_name",
            comparison_levels=[
                cll.NullLevel("first_name"),
                cll.ExactMatchLevel("first_name", term_frequency_adjustments=True),
                cll.CustomLevel(
                    "first_name_canonical_l = first_name_canonical_r", "same canonical name"
                ),
                cll.JaroWinklerLevel("first_name", 0.9),
                cll.JaroWinklerLevel("first_name", 0.8),
                cll.ElseLevel(),
            ],
        ),
        cl.CustomComparison(
            output_column_name="last_name",
            comparison_levels=[
                cll.NullLevel("last_name"),
                cll.ExactMatchLevel("last_name", term_frequency_adjustments=True),
                cll.JaroWinklerLevel("last_name", 0.92),
                cll.JaroWinklerLevel("last_name", 0.8),
                cll.ElseLevel(),
            ],
        ),
        cl.CustomComparison(
            output_column_name="birth_date",
            comparison_levels=[
                cll.NullLevel("birth_date"),
                cll.ExactMatchLevel("birth_date"),
                cll.CustomLevel(_DOB_SWAPPED, "day and month swapped"),
                cll.DamerauLevenshteinLevel("birth_date", 1),
                cll.ElseLevel(),
            ],
        ),
        cl.CustomComparison(
            output_column_name="address_line1",
            comparison_levels=[
                cll.NullLevel("address_line1"),
                cll.ExactMatchLevel("address_line1", term_frequency_adjustments=True),
                cll.JaroWinklerLevel("address_line1", 0.9),
                cll.ElseLevel(),
            ],
        ),
        cl.CustomComparison(
            output_column_name="location",
            comparison_levels=[
                cll.CustomLevel(_LOCATION_NULL, "ZIP and city missing").configure(
                    is_null_level=True
                ),
                cll.ExactMatchLevel("postal_code", term_frequency_adjustments=True),
                cll.ExactMatchLevel("city", term_frequency_adjustments=True),
                cll.CustomLevel("state_code_l = state_code_r", "same state"),
                cll.ElseLevel(),
            ],
        ),
        cl.CustomComparison(
            output_column_name="email",
            comparison_levels=[
                cll.NullLevel("email"),
                cll.ExactMatchLevel("email", term_frequency_adjustments=True),
                cll.CustomLevel(
                    "email_user_l = email_user_r AND regexp_matches(email_user_l, '[0-9]')",
                    "same user part with digits, other provider",
                ),
                cll.CustomLevel(
                    f"email_stem_l = email_stem_r AND ({_STEM_IS_NAME})",
                    "user parts only share the name (no evidence beyond the names)",
                ).configure(is_null_level=True),
                cll.CustomLevel("email_stem_l = email_stem_r", "same user part letters"),
                cll.ElseLevel(),
            ],
        ),
        cl.CustomComparison(
            output_column_name="phone",
            comparison_levels=[
                cll.CustomLevel(_PHONE_NULL, "no phone").configure(is_null_level=True),
                cll.CustomLevel(_PHONE_ANY, "a phone in common"),
                cll.ElseLevel(),
            ],
        ),
    ]


def prediction_blocking_rules() -> list:
    """Equi-join blocking rules: each keeps blocks small at 100,000+ identities.

    Exact e-mail and phones (either way round) catch records whose names differ. Birth date
    with the first letter of either name catches typos in names (birth date alone makes
    millions of pairs: birth dates pile up at the youngest age a customer can have). ZIP +
    Soundex of the last name and last name + birth year catch missing or mistyped birth
    dates; canonical first name + Soundex + state catches people who moved; street line +
    state catches missing ZIP codes. E-mail user parts are not blocked on: for named records
    they are made of the names (found by the name rules), and identities with only an
    e-mail cannot reach the threshold on one field (see aliases.py).
    """
    return [
        block_on("email"),
        block_on("phone"),
        CustomRule("l.phone = r.phone_alt"),
        CustomRule("l.phone_alt = r.phone"),
        block_on("birth_date", "substr(first_name, 1, 1)"),
        block_on("birth_date", "substr(last_name, 1, 1)"),
        block_on("postal_code", "last_name_soundex"),
        block_on("last_name", "birth_year"),
        block_on("first_name_canonical", "last_name_soundex", "state_code"),
        block_on("address_line1", "state_code"),
    ]


def prior_rules() -> list:
    """Near-certain rules whose pair count estimates the share of matching pairs."""
    return [
        block_on("email"),
        block_on("first_name", "last_name", "birth_date"),
        block_on("phone", "last_name"),
    ]


def training_blocking_rules() -> list:
    """EM sessions: pairs sharing a phone, or a birth date and a last-name sound, are mostly
    matches with independent other fields. (Blocking on e-mail user parts would teach the model
    that namesakes match: those parts are made of the names.)"""
    return [block_on("phone"), block_on("birth_date", "last_name_soundex")]


FALLBACK_TRAINING_RULE = block_on("last_name", "postal_code")  # when a session finds no pairs


def settings() -> SettingsCreator:
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=comparisons(),
        blocking_rules_to_generate_predictions=prediction_blocking_rules(),
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=True,
        max_iterations=20,
    )


@dataclass
class ModelResult:
    """Scored pairs and what the model learnt."""

    predictions: pd.DataFrame  # unique_id_l, unique_id_r, match_probability, match_weight, mw_*
    prior_match_weight: float
    probability_two_random_records_match: float
    parameters: pd.DataFrame  # comparison, level, m_probability, u_probability, match_weight
    timings: dict[str, float] = field(default_factory=dict)
    trained: bool = True
    notes: list[str] = field(default_factory=list)
    newly_trained: TrainedModel | None = None  # to store: trained on this run
    provenance: str = ""  # trained on this run and why, or which earlier model scored


def _parameters(model: dict) -> pd.DataFrame:
    rows = []
    for comparison in model["comparisons"]:
        for level in comparison["comparison_levels"]:
            if level.get("is_null_level"):
                continue
            m, u = level.get("m_probability"), level.get("u_probability")
            weight = math.log2(m / u) if m and u else None
            rows.append(
                {
                    "comparison": comparison["output_column_name"],
                    "level": level.get("label_for_charts") or level["sql_condition"],
                    "m_probability": m,
                    "u_probability": u,
                    "match_weight": weight,
                }
            )
    return pd.DataFrame(rows)


def regularised(model: dict, floor: float = M_FLOOR) -> dict:
    """The trained model with every non-null level's m at least ``floor`` (levels never seen
    in training get the floor), renormalised per comparison. A level never met among the random
    pairs gets the smallest u of its comparison."""
    for comparison in model["comparisons"]:
        levels = [lv for lv in comparison["comparison_levels"] if not lv.get("is_null_level")]
        seen_u = [lv["u_probability"] for lv in levels if lv.get("u_probability")]
        for level in levels:
            if not level.get("u_probability"):
                level["u_probability"] = min(seen_u, default=1e-6)
        raw = [lv.get("m_probability") for lv in levels]
        floored = [max(m, floor) if m is not None and not math.isnan(m) else floor for m in raw]
        total = sum(floored)
        for level, m in zip(levels, floored, strict=True):
            level["m_probability"] = m / total
    return model


def _field_weights(raw: pd.DataFrame) -> pd.DataFrame:
    """unique ids, probability, weight and one ``mw_<comparison>`` per comparison (tf included)."""
    out = raw[["unique_id_l", "unique_id_r", "match_probability", "match_weight"]].copy()
    for name in COMPARISON_NAMES:
        column = f"mw_{name}"
        weight = raw[column].astype(float) if column in raw.columns else 0.0 * raw["match_weight"]
        tf_column = f"mw_tf_adj_{name}"
        if tf_column in raw.columns:
            weight = weight + raw[tf_column].astype(float).fillna(0.0)
        out[f"mw_{name}"] = weight
    return out


def _untrained(timings: dict[str, float], note: str | None = None) -> ModelResult:
    empty = pd.DataFrame(
        columns=["unique_id_l", "unique_id_r", "match_probability", "match_weight"]
        + [f"mw_{n}" for n in COMPARISON_NAMES]
    )
    return ModelResult(
        empty, 0.0, 0.0, pd.DataFrame(), timings, trained=False, notes=[note] if note else []
    )


def _train(linker: Linker, config: IdentityConfig, n_records: int, notes: list[str]) -> dict:
    """Prior, u and m (EM sessions that find no pairs are skipped with a note)."""
    linker.training.estimate_probability_two_random_records_match(
        prior_rules(), recall=config.prior_rules_recall
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=config.u_max_pairs, seed=config.seed)
    sessions = 0
    rules = training_blocking_rules()
    for i, rule in enumerate([*rules, FALLBACK_TRAINING_RULE]):
        if i == len(rules) and sessions == len(rules):
            break
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(
                rule, estimate_without_term_frequencies=True, max_pairs=config.em_max_pairs
            )
            sessions += 1
        except EMTrainingException as exc:
            notes.append(f"EM session skipped: {str(exc).splitlines()[0]}")
    if sessions == 0:
        raise EMTrainingException("no EM training session found record pairs")
    model = linker.misc.save_model_to_json()
    prior = model.get("probability_two_random_records_match") or 0.0
    if not 0.0 < prior < 1.0:
        notes.append(f"the deterministic rules found no pairs: prior set to 1/{n_records}")
        model["probability_two_random_records_match"] = 1.0 / n_records
    return regularised(model)


def train_and_predict(
    con: duckdb.DuckDBPyConnection,
    config: IdentityConfig,
    n_records: int,
    previous: TrainedModel | None = None,
    now: datetime | None = None,
) -> ModelResult:
    """Score pairs of the records in ``con`` (view ``identity_records``) with ``previous``
    when it may still score (model_reuse.py), else with a model trained on them.

    Too few identities, or data where no training rule finds a pair, give an untrained
    result (the rules still run) with a note saying why.
    """
    timings: dict[str, float] = {}
    if n_records < max(config.min_identities_for_model, 2):
        return _untrained(timings)
    now = now or datetime.now(UTC).replace(tzinfo=None)
    started = time.perf_counter()
    notes: list[str] = []
    digest = definition_digest(config)
    reason = retrain_reason(previous, n_records, digest, now, config)
    newly_trained = None
    records = DuckDBAPI(connection=con).register(RECORDS_VIEW)
    splink_logger = logging.getLogger("splink")
    previous_level = splink_logger.level
    splink_logger.setLevel(logging.ERROR)  # Splink reports progress at INFO / WARNING
    try:
        if previous is not None and reason is None:
            model = json.loads(previous.model_json)
            provenance = (
                f"scored by the model trained {previous.trained_at:%Y-%m-%d %H:%M} on "
                f"{previous.identities:,} identities"
            )
        else:
            try:
                untrained = Linker(records, settings(), log_level=None)
                model = _train(untrained, config, n_records, notes)
            except EMTrainingException as exc:
                return _untrained(timings, f"model not trained: {exc}; deterministic rules only")
            newly_trained = TrainedModel(now, n_records, digest, json.dumps(model))
            provenance = f"trained on this run: {reason}"
        timings["training_s"] = time.perf_counter() - started
        linker = Linker(records, model, log_level=None)
        predicted = linker.inference.predict(
            threshold_match_probability=min(PREDICT_FLOOR, config.match_threshold),
            warning_mode="never",
        )
        raw = predicted.as_pandas_dataframe()
        timings["predict_s"] = time.perf_counter() - started - timings["training_s"]
    finally:
        splink_logger.setLevel(previous_level)
    prior = float(model["probability_two_random_records_match"])
    return ModelResult(
        predictions=_field_weights(raw) if len(raw) else _untrained(timings).predictions,
        prior_match_weight=math.log2(prior / (1 - prior)),
        probability_two_random_records_match=prior,
        parameters=_parameters(model),
        timings=timings,
        notes=notes,
        newly_trained=newly_trained,
        provenance=provenance,
    )
