"""Independent, named random streams derived from one seed (same seed => same data)."""

from __future__ import annotations

import zlib

import numpy as np


def stream(seed: int, name: str) -> np.random.Generator:
    """A generator for one concern; changing one concern's draws never shifts another's."""
    key = zlib.crc32(name.encode("utf-8"))
    return np.random.default_rng(np.random.SeedSequence([key, int(seed) % (1 << 63)]))
