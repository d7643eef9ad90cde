"""The landing zone as a resource, so runs and tests can point at any folder."""

from __future__ import annotations

from pathlib import Path

import dagster as dg


class LandingZoneResource(dg.ConfigurableResource):
    """Root folder of the landing zone described in contracts.md."""

    root: str

    @property
    def path(self) -> Path:
        return Path(self.root)
