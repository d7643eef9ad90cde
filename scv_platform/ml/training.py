"""Training the churn model: candidate pipelines, a time-aware split, selection by validation
ROC AUC and calibration on the validation cutoff.

- **Split**: the model trains on the earlier training cutoffs and is validated on the latest
  one (``time``). With a single training cutoff it falls back to holding out a quarter of the
  customers (``customer_holdout``), and says so.
- **Candidates**: a regularised logistic regression (two strengths, C = 0.1 and 1; numbers
  log-scaled, imputed with missing indicators, standardised; categories one-hot) and a
  histogram gradient-boosted tree model (missing values handled natively).
- **Selection**: the candidate with the highest validation ROC AUC.
- **Calibration**: the selected pipeline, as fitted on the training part, is frozen and
  calibrated on the validation cutoff (``CalibratedClassifierCV`` over ``FrozenEstimator``):
  the most recent labelled period, closest to the scoring day, sets the probabilities.
  Isotonic with at least ``ISOTONIC_MIN_POSITIVES`` churners there, else sigmoid (Platt).
- **Reported figures** are out-of-time and out-of-sample: the validation probabilities come
  from calibrators fitted on the other validation folds (cross-fitting), never on the row.
- **No refit**: the validation rows calibrate the model, so it is not refit on them; the
  stored model is the calibrated pipeline that produced the figures.
- Fits and predictions run single-threaded (OpenMP and BLAS): on a machine shared with
  the warehouse, spinning worker threads slowed them down by up to an order of magnitude.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.frozen import FrozenEstimator
from sklearn.impute import SimpleImputer
from sklearn.inspection import permutation_importance
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import (
    GroupShuffleSplit,
    StratifiedKFold,
    cross_val_predict,
)
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler
from threadpoolctl import threadpool_limits

from scv_platform.ml.features import (
    CATEGORICAL,
    FLAGS,
    LABEL,
    MODEL_FEATURES,
    NUMERIC,
    RATIOS,
    SKEWED,
)
from scv_platform.ml.metrics import classification_metrics

CALIBRATION_FOLDS = 3
ISOTONIC_MIN_POSITIVES = 1000
HOLDOUT_SHARE = 0.25
IMPORTANCE_ROWS = 3000
IMPORTANCE_REPEATS = 2


class TrainingError(ValueError):
    """The training rows cannot train a model (too few rows or a single class)."""


def signed_log1p(values: np.ndarray) -> np.ndarray:
    """log(1 + |x|) with the sign of x: tames long-tailed amounts and counts."""
    return np.sign(values) * np.log1p(np.abs(values))


def _categories() -> OneHotEncoder:
    return OneHotEncoder(handle_unknown="ignore", sparse_output=False)


def linear_preprocessor(numeric: list[str]) -> ColumnTransformer:
    """Log-scaled, imputed (with missing indicators) and standardised numbers; one-hot text."""
    skewed = Pipeline(
        [
            ("log", FunctionTransformer(signed_log1p, feature_names_out="one-to-one")),
            ("impute", SimpleImputer(strategy="median", add_indicator=True,
                                     keep_empty_features=True)),
            ("scale", StandardScaler()),
        ]
    )  # fmt: skip
    ratios = Pipeline(
        [
            ("impute", SimpleImputer(strategy="median", add_indicator=True,
                                     keep_empty_features=True)),
            ("scale", StandardScaler()),
        ]
    )  # fmt: skip
    return ColumnTransformer(
        [
            ("skewed", skewed, [c for c in SKEWED if c in numeric]),
            ("ratios", ratios, [c for c in RATIOS if c in numeric]),
            ("categories", _categories(), list(CATEGORICAL)),
            ("flags", "passthrough", list(FLAGS)),
        ],
        verbose_feature_names_out=False,
    )


def tree_preprocessor(numeric: list[str]) -> ColumnTransformer:
    """Numbers as they are (missing values stay missing); one-hot text."""
    return ColumnTransformer(
        [
            ("numbers", "passthrough", [*numeric, *FLAGS]),
            ("categories", _categories(), list(CATEGORICAL)),
        ],
        verbose_feature_names_out=False,
    )


@dataclass(frozen=True)
class Candidate:
    name: str
    build: Callable[[list[str]], Pipeline]  # from the numeric features to use
    params: dict[str, object]


def _logistic(c: float, seed: int) -> Candidate:
    return Candidate(
        f"logistic_regression_c{c:g}",
        lambda numeric: Pipeline(
            [
                ("prepare", linear_preprocessor(numeric)),
                ("model", LogisticRegression(C=c, max_iter=2000, random_state=seed)),
            ]
        ),
        {"C": c},
    )


def _boosting(seed: int) -> Candidate:
    params: dict[str, object] = {
        "learning_rate": 0.08,
        "max_iter": 250,
        "max_leaf_nodes": 15,
        "min_samples_leaf": 40,
        "l2_regularization": 1.0,
        "early_stopping": True,
        "validation_fraction": 0.15,
        "n_iter_no_change": 15,
    }
    return Candidate(
        "gradient_boosting",
        lambda numeric: Pipeline(
            [
                ("prepare", tree_preprocessor(numeric)),
                ("model", HistGradientBoostingClassifier(random_state=seed, **params)),
            ]
        ),
        params,
    )


def candidates(seed: int) -> list[Candidate]:
    """The model families compared on the validation cutoff."""
    return [_logistic(0.1, seed), _logistic(1.0, seed), _boosting(seed)]


@dataclass(frozen=True)
class Split:
    train: pd.DataFrame
    validation: pd.DataFrame
    kind: str  # "time" or "customer_holdout"
    note: str


def split_rows(frame: pd.DataFrame, seed: int) -> Split:
    """Train on the earlier cutoffs, validate on the latest (or hold out customers)."""
    cutoffs = sorted(frame["cutoff_date"].unique())
    if len(cutoffs) >= 2:
        latest = frame["cutoff_date"] == cutoffs[-1]
        return Split(
            frame[~latest],
            frame[latest],
            "time",
            f"trained on {len(cutoffs) - 1} cutoffs ({cutoffs[0]} .. {cutoffs[-2]}), "
            f"validated on {cutoffs[-1]}",
        )
    splitter = GroupShuffleSplit(n_splits=1, test_size=HOLDOUT_SHARE, random_state=seed)
    train_idx, valid_idx = next(splitter.split(frame, groups=frame["scv_customer_id"]))
    return Split(
        frame.iloc[train_idx],
        frame.iloc[valid_idx],
        "customer_holdout",
        f"only one training cutoff ({cutoffs[0] if cutoffs else 'none'}): validated on "
        f"{HOLDOUT_SHARE:.0%} of the customers instead of a later cutoff; a longer history "
        "gives a time-aware split",
    )


def _xy(frame: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    return frame[list(MODEL_FEATURES)], frame[LABEL].to_numpy(dtype=int)


def usable_numeric(frame: pd.DataFrame) -> list[str]:
    """Numeric features with at least one value: a landing zone without card files leaves
    the card-only ones empty, and a column without any value cannot be binned or imputed."""
    return [c for c in NUMERIC if frame[c].notna().any()]


def _check_trainable(frame: pd.DataFrame, part: str) -> None:
    counts = frame[LABEL].value_counts()
    if len(counts) < 2 or counts.min() < CALIBRATION_FOLDS:
        raise TrainingError(
            f"the {part} rows hold {int(counts.get(1, 0))} churners and "
            f"{int(counts.get(0, 0))} non-churners: the model needs at least "
            f"{CALIBRATION_FOLDS} of each. Load a longer history (the horizon after a training "
            "cutoff must lie inside the data) or more customers."
        )


def calibration_method(y: np.ndarray) -> str:
    return "isotonic" if int(np.sum(y)) >= ISOTONIC_MIN_POSITIVES else "sigmoid"


def calibrated(pipeline: Pipeline, method: str) -> CalibratedClassifierCV:
    """The fitted pipeline, frozen, with a calibrator to fit on held-out rows."""
    return CalibratedClassifierCV(
        FrozenEstimator(pipeline), method=method, cv=CALIBRATION_FOLDS, ensemble=False
    )


def cross_fitted_probability(
    pipeline: Pipeline, method: str, frame: pd.DataFrame, seed: int
) -> np.ndarray:
    """Calibrated probabilities of ``frame``, each from a calibrator fitted on other folds."""
    x, y = _xy(frame)
    folds = StratifiedKFold(n_splits=CALIBRATION_FOLDS, shuffle=True, random_state=seed)
    probability = cross_val_predict(
        calibrated(pipeline, method), x, y, cv=folds, method="predict_proba"
    )
    return probability[:, 1]


def importances(
    model: Pipeline, frame: pd.DataFrame, features: list[str], seed: int
) -> pd.DataFrame:
    """Permutation importance (drop in ROC AUC) of each used feature on validation rows."""
    sample = frame.sample(min(len(frame), IMPORTANCE_ROWS), random_state=seed)
    x, y = sample[features], sample[LABEL].to_numpy(dtype=int)
    if len(np.unique(y)) < 2:
        return pd.DataFrame(columns=["feature", "importance", "std"])
    result = permutation_importance(
        model, x, y, scoring="roc_auc", n_repeats=IMPORTANCE_REPEATS, random_state=seed
    )
    table = pd.DataFrame(
        {"feature": x.columns, "importance": result.importances_mean, "std": result.importances_std}
    )
    return table.sort_values(["importance", "feature"], ascending=[False, True], ignore_index=True)


@dataclass
class TrainedModel:
    model: CalibratedClassifierCV  # the stored model: fitted on training, calibrated on validation
    selected: str
    candidate_auc: dict[str, float]
    calibration: str
    split: Split
    validation_y: np.ndarray
    validation_probability: np.ndarray  # cross-fitted calibrated probabilities
    metrics: dict[str, float]
    importances: pd.DataFrame
    unused_features: list[str]  # numeric features without any value in the training part
    params: dict[str, object] = field(default_factory=dict)


def train(frame: pd.DataFrame, seed: int) -> TrainedModel:
    """Compare the candidates on the time-aware split, calibrate the best on validation."""
    split = split_rows(frame, seed)
    _check_trainable(split.train, "training")
    _check_trainable(split.validation, "validation")
    x_train, y_train = _xy(split.train)
    x_valid, y_valid = _xy(split.validation)
    numeric = usable_numeric(split.train)
    with threadpool_limits(limits=1):
        scored: list[tuple[float, int, Candidate, Pipeline]] = []
        aucs: dict[str, float] = {}
        for order, candidate in enumerate(candidates(seed)):
            pipeline = candidate.build(numeric).fit(x_train, y_train)
            probability = pipeline.predict_proba(x_valid)[:, 1]
            aucs[candidate.name] = classification_metrics(y_valid, probability)["roc_auc"]
            scored.append((aucs[candidate.name], -order, candidate, pipeline))
        _, _, best, pipeline = max(scored, key=lambda item: item[:2])
        method = calibration_method(y_valid)
        probability = cross_fitted_probability(pipeline, method, split.validation, seed)
        return TrainedModel(
            model=calibrated(pipeline, method).fit(x_valid, y_valid),
            selected=best.name,
            candidate_auc=aucs,
            calibration=method,
            split=split,
            validation_y=y_valid,
            validation_probability=probability,
            metrics=classification_metrics(y_valid, probability),
            importances=importances(
                pipeline, split.validation, [*numeric, *CATEGORICAL, *FLAGS], seed
            ),
            unused_features=[c for c in NUMERIC if c not in numeric],
            params={c.name: c.params for c in candidates(seed)},
        )
