"""Charts of the churn model as PNG bytes."""

import io

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from sklearn.calibration import calibration_curve
from sklearn.metrics import roc_curve

LINE, REFERENCE = "#1565c0", "#9e9e9e"
TOP_FEATURES = 15


def _figure(width: float = 5.5, height: float = 4.5) -> Figure:
    figure = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(figure)
    return figure


def _png(figure: Figure) -> bytes:
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def roc_png(y: np.ndarray, probability: np.ndarray, auc: float) -> bytes:
    figure = _figure()
    axes = figure.add_subplot()
    if len(np.unique(y)) == 2:
        fpr, tpr, _ = roc_curve(y, probability)
        axes.plot(fpr, tpr, color=LINE, label=f"model (ROC AUC {auc:.3f})")
    axes.plot([0, 1], [0, 1], color=REFERENCE, linestyle="--", label="chance")
    axes.set_xlabel("false positive rate")
    axes.set_ylabel("true positive rate")
    axes.set_title("ROC curve, validation cutoff")
    axes.legend(loc="lower right")
    return _png(figure)


def calibration_png(y: np.ndarray, probability: np.ndarray, bins: int = 10) -> bytes:
    figure = _figure()
    axes = figure.add_subplot()
    observed, predicted = calibration_curve(y, probability, n_bins=bins, strategy="quantile")
    axes.plot(predicted, observed, marker="o", color=LINE, label="model")
    axes.plot([0, 1], [0, 1], color=REFERENCE, linestyle="--", label="perfectly calibrated")
    axes.set_xlabel("mean predicted churn probability (decile of scores)")
    axes.set_ylabel("observed churn rate")
    axes.set_title("Calibration, validation cutoff")
    axes.legend(loc="upper left")
    return _png(figure)


def importances_png(importances: pd.DataFrame, top: int = TOP_FEATURES) -> bytes:
    figure = _figure(6.5, 5.0)
    axes = figure.add_subplot()
    shown = importances.head(top).iloc[::-1]
    axes.barh(shown["feature"], shown["importance"], xerr=shown["std"], color=LINE)
    axes.set_xlabel("drop in validation ROC AUC when the feature is shuffled")
    axes.set_title(f"Top {len(shown)} features (permutation importance)")
    axes.tick_params(axis="y", labelsize=8)
    return _png(figure)
