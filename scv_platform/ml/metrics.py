"""Model quality figures and the population stability index (PSI) of features."""

import math

import numpy as np
import pandas as pd

PSI_BINS = 10
PSI_FLOOR = 1e-4  # a bin share of 0 would make the PSI infinite
TOP_SHARE = 0.1


def lift_at(y: np.ndarray, probability: np.ndarray, share: float = TOP_SHARE) -> float:
    """Churn rate among the ``share`` highest-scored rows over the overall churn rate."""
    y = np.asarray(y, dtype=float)
    base = y.mean() if len(y) else 0.0
    if base == 0.0:
        return float("nan")
    top = max(1, math.ceil(share * len(y)))
    order = np.argsort(-np.asarray(probability), kind="stable")[:top]
    return float(y[order].mean() / base)


def classification_metrics(y: np.ndarray, probability: np.ndarray) -> dict[str, float]:
    """ROC AUC, PR AUC (average precision), Brier score and lift in the top decile.

    AUCs are NaN when ``y`` holds a single class (nothing to rank)."""
    from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

    y = np.asarray(y, dtype=int)
    probability = np.asarray(probability, dtype=float)
    both_classes = len(np.unique(y)) == 2
    return {
        "roc_auc": float(roc_auc_score(y, probability)) if both_classes else float("nan"),
        "pr_auc": float(average_precision_score(y, probability)) if both_classes else float("nan"),
        "brier_score": float(brier_score_loss(y, probability, labels=[0, 1])),
        "lift_top_decile": lift_at(y, probability),
        "churn_rate": float(y.mean()) if len(y) else float("nan"),
        "rows": len(y),
    }


def psi_reference(values: pd.Series, bins: int = PSI_BINS) -> dict[str, object]:
    """Bin edges (quantiles of the reference) and the reference share per bin, plus NULLs."""
    finite = pd.to_numeric(values, errors="coerce").astype(float)
    present = finite.dropna()
    edges: list[float] = []
    if len(present):
        quantiles = np.quantile(present, np.linspace(0, 1, bins + 1)[1:-1])
        edges = sorted({float(q) for q in quantiles})
    return {"edges": edges, "shares": bin_shares(finite, edges)}


def bin_shares(values: pd.Series, edges: list[float]) -> list[float]:
    """Share of values per bin (right-closed at the edges) and, last, the share of NULLs."""
    values = pd.to_numeric(values, errors="coerce").astype(float)
    total = len(values)
    if total == 0:
        return [0.0] * (len(edges) + 2)
    present = values.dropna().to_numpy()
    counts = np.bincount(np.searchsorted(edges, present, side="left"), minlength=len(edges) + 1)
    shares = [float(c) / total for c in counts]
    return [*shares, float(values.isna().sum()) / total]


def psi(reference_shares: list[float], actual_shares: list[float]) -> float:
    """Population stability index: sum((actual - expected) * ln(actual / expected))."""
    expected = np.maximum(np.asarray(reference_shares, dtype=float), PSI_FLOOR)
    actual = np.maximum(np.asarray(actual_shares, dtype=float), PSI_FLOOR)
    return float(np.sum((actual - expected) * np.log(actual / expected)))
