"""Identity resolution: deterministic rules, a Splink model, clustering with overrides and
stable customer ids, published as ``gold.customer_crosswalk`` (see README.md here)."""

from scv_platform.identity.assets import IdentityDefinitions, build_identity_assets
from scv_platform.identity.config import IdentityConfig

__all__ = ["IdentityConfig", "IdentityDefinitions", "build_identity_assets"]
