"""The churn model as a versioned artifact outside git: ``<SCV_ARTIFACTS_DIR>/churn/<version>/``
holds ``model.joblib``, ``metrics.json`` and the charts (PNG).

A version reads ``churn-<validation cutoff YYYYMMDD>-<hash>``: the hash covers the training
rows (keys, features, labels) and the model parameters, so the same data and settings give
the same version, and anything else a new one.
"""

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib
import pandas as pd

MODEL_FILE = "model.joblib"
METRICS_FILE = "metrics.json"
FOLDER = "churn"


def rows_digest(frame: pd.DataFrame) -> str:
    """A hash of the frame's values in row order (the same rows give the same digest)."""
    values = pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes()
    return hashlib.sha256(values).hexdigest()


def model_version(frame: pd.DataFrame, params: dict[str, Any], last_cutoff: object) -> str:
    digest = hashlib.sha256(rows_digest(frame).encode())
    digest.update(json.dumps(params, sort_keys=True, default=str).encode())
    day = str(last_cutoff).replace("-", "")
    return f"churn-{day}-{digest.hexdigest()[:10]}"


@dataclass(frozen=True)
class ArtifactStore:
    """Model versions under ``root`` (``Settings.artifacts_dir``)."""

    root: Path

    def folder(self, version: str) -> Path:
        if not version or "/" in version or version.startswith("."):
            raise ValueError(f"not a model version: {version!r}")
        return self.root / FOLDER / version

    def save(
        self, version: str, model: object, metrics: dict[str, Any], charts: dict[str, bytes]
    ) -> Path:
        """Write the model, its metrics and charts; a re-run of the same version overwrites."""
        folder = self.folder(version)
        folder.mkdir(parents=True, exist_ok=True)
        joblib.dump(model, folder / MODEL_FILE)
        (folder / METRICS_FILE).write_text(json.dumps(metrics, indent=2, default=str) + "\n")
        for name, png in charts.items():
            (folder / f"{name}.png").write_bytes(png)
        return folder

    def load_charts(self, version: str) -> dict[str, bytes]:
        """The charts saved with a version, by name."""
        return {path.stem: path.read_bytes() for path in self.folder(version).glob("*.png")}

    def load_model(self, version: str) -> Any:
        path = self.folder(version) / MODEL_FILE
        if not path.exists():
            raise FileNotFoundError(
                f"model {version} is not in {path.parent}: re-materialise gold/churn_model "
                "(or point SCV_ARTIFACTS_DIR at the folder that holds it)"
            )
        return joblib.load(path)

    def load_metrics(self, version: str) -> dict[str, Any]:
        path = self.folder(version) / METRICS_FILE
        if not path.exists():
            raise FileNotFoundError(
                f"metrics of model {version} are not in {path.parent}: re-materialise "
                "gold/churn_model (or point SCV_ARTIFACTS_DIR at the folder that holds it)"
            )
        return json.loads(path.read_text())
