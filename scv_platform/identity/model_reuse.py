"""When the Splink model trained by an earlier run scores again instead of being retrained.

Training (the prior, u by random sampling, m by EM) takes about half of identity
resolution's time, and the parameters it learns describe the population, which one day of
new web shop accounts hardly moves. So each trained model is kept in ``silver.identity_model``
and scores later runs while:

- it is younger than ``retrain_days`` (``SCV_IDENTITY_RETRAIN_DAYS``, 0 trains every run);
- the number of identities changed by at most ``retrain_identity_change`` since;
- its definition is the same: the code that prepares records and defines the model
  (``features.py``, ``model.py``) and the training knobs.

Term frequencies, blocking and clustering always run on the current records.
"""

from __future__ import annotations

import hashlib
import inspect
from datetime import datetime

from scv_platform.identity.config import IdentityConfig
from scv_platform.identity.tables import TrainedModel


def definition_digest(config: IdentityConfig) -> str:
    """A digest of what a trained model depends on besides the data."""
    from scv_platform.identity import features, model

    knobs = (config.prior_rules_recall, config.u_max_pairs, config.em_max_pairs, config.seed)
    text = "\n".join([inspect.getsource(features), inspect.getsource(model), repr(knobs)])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def retrain_reason(
    previous: TrainedModel | None,
    identities: int,
    digest: str,
    now: datetime,
    config: IdentityConfig,
) -> str | None:
    """Why the model is trained on this run, or None when ``previous`` scores it."""
    if previous is None:
        return "no model trained yet"
    if previous.definition_digest != digest:
        return "the model's code or training settings changed"
    age_days = (now - previous.trained_at).total_seconds() / 86400
    if age_days >= config.retrain_days:
        return f"the model is {age_days:.1f} days old (retrained every {config.retrain_days})"
    change = abs(identities - previous.identities) / max(previous.identities, 1)
    if change > config.retrain_identity_change:
        return (
            f"identities went from {previous.identities:,} to {identities:,} "
            f"({change:.1%}, more than {config.retrain_identity_change:.0%})"
        )
    return None
