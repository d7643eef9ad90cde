"""Tunable knobs of identity resolution, with documented defaults.

Every knob can be overridden by an environment variable ``SCV_IDENTITY_<NAME IN CAPITALS>``
(read by :meth:`IdentityConfig.from_env` through ``scv_platform.settings``),
e.g. ``SCV_IDENTITY_MATCH_THRESHOLD=0.95``.
"""

from __future__ import annotations

from dataclasses import dataclass

from scv_platform.settings import dataclass_from_env


@dataclass(frozen=True)
class IdentityConfig:
    """Thresholds of the rules, the model, the clustering and the quality gate."""

    match_threshold: float = 0.9
    """Splink match probability at or above which a pair is linked (see README)."""

    max_identities_per_email: int = 5
    """An e-mail held by more identities is shared (family, shop test account): no email rule."""

    max_identities_per_phone: int = 5
    """A phone held by more identities is shared (switchboard): no phone rule."""

    max_identities_per_card: int = 4
    """A card account named by more identities is suspicious: no card rule."""

    first_name_similarity: float = 0.8
    """Jaro-Winkler similarity two first names need for the email / phone rules."""

    min_identities_for_model: int = 100
    """Below this many identities the model is not trained (too few pairs): rules only."""

    u_max_pairs: float = 5e6
    """Random pairs sampled to estimate the u probabilities."""

    em_max_pairs: float = 2e6
    """Upper bound on the blocked pairs used by one expectation-maximisation session."""

    prior_rules_recall: float = 0.7
    """Assumed recall of the deterministic rules when estimating the match prior."""

    seed: int = 42
    """Seed of the random sampling, so that a re-run on the same data is identical."""

    retrain_days: int = 7
    """A trained model scores later runs for this many days (0: train on every run) ..."""

    retrain_identity_change: float = 0.05
    """... unless the number of identities changed by more than this share since training."""

    max_cluster_size: int = 12
    """Quality gate: the largest plausible number of identities of one customer."""

    min_linked_share: float = 0.2
    """Quality gate: below this share of legacy + shop identities linked, warn."""

    def __post_init__(self) -> None:
        if not 0.0 < self.match_threshold < 1.0:
            raise ValueError(f"match_threshold={self.match_threshold} must be in (0, 1)")
        if self.retrain_days < 0 or self.retrain_identity_change < 0:
            raise ValueError("retrain_days and retrain_identity_change must not be negative")
        if self.max_cluster_size < 2:
            raise ValueError(f"max_cluster_size={self.max_cluster_size} must be at least 2")

    @classmethod
    def from_env(cls) -> IdentityConfig:
        """Defaults, overridden by ``SCV_IDENTITY_*`` environment variables (settings.py)."""
        return dataclass_from_env(cls, "SCV_IDENTITY_")
