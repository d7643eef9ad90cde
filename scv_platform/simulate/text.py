"""Vectorised text helpers: ids, GUIDs, phone formats, case and typo variations.

Strings are handled as numpy ``U`` arrays (or ASCII byte matrices for bulk ids), never
one Python call per row.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
_DASH = ord("-")


# ASCII digits of 00..99, for formatting two digits per lookup
PAIRS = np.stack([np.arange(100) // 10, np.arange(100) % 10], axis=1).astype(np.uint8) + 48


def digit_matrix(values: np.ndarray, width: int) -> np.ndarray:
    """Zero-padded decimal digits of non-negative ints as an (n, width) ASCII byte matrix."""
    rest = np.array(values, dtype=np.int64, copy=True)
    out = np.empty((rest.size, width), dtype=np.uint8)
    position = width
    while position >= 2:  # two digits at a time, from the right
        out[:, position - 2 : position] = PAIRS[rest % 100]
        rest //= 100
        position -= 2
    if position == 1:
        out[:, 0] = 48 + rest % 10
    return out


def ascii_matrix(*parts: bytes | np.ndarray, rows: int) -> np.ndarray:
    """Concatenate constant byte strings and (n, w) byte matrices column-wise."""
    blocks = [
        np.broadcast_to(np.frombuffer(p, dtype=np.uint8), (rows, len(p)))
        if isinstance(p, bytes)
        else p
        for p in parts
    ]
    return np.ascontiguousarray(np.hstack(blocks)) if blocks else np.empty((rows, 0), np.uint8)


def matrix_to_arrow(matrix: np.ndarray) -> pa.Array:
    """An (n, w) ASCII byte matrix as an Arrow string array, without per-row objects."""
    rows, width = matrix.shape
    offsets = np.arange(0, rows * width + 1, width, dtype=np.int32)
    data = np.ascontiguousarray(matrix).tobytes()
    return pa.StringArray.from_buffers(rows, pa.py_buffer(offsets), pa.py_buffer(data))


def matrix_to_str(matrix: np.ndarray) -> np.ndarray:
    """An (n, w) ASCII byte matrix as a numpy unicode array."""
    width = matrix.shape[1]
    return np.ascontiguousarray(matrix).view(f"S{width}").ravel().astype(f"U{width}")


def zero_pad(values: np.ndarray, width: int) -> np.ndarray:
    """Non-negative ints as zero-padded text of a fixed width."""
    return matrix_to_str(digit_matrix(values, width))


def prefixed_ids(prefix: str, numbers: np.ndarray, width: int) -> np.ndarray:
    """Ids like ``CA0012345678``: a prefix and zero-padded numbers."""
    n = len(numbers)
    return matrix_to_str(ascii_matrix(prefix.encode(), digit_matrix(numbers, width), rows=n))


def unique_random_ints(rng: np.random.Generator, n: int, low: int, high: int) -> np.ndarray:
    """n distinct random ints in [low, high), in random order."""
    if n > high - low:
        raise ValueError(f"cannot draw {n} distinct values from [{low}, {high})")
    values = np.empty(0, dtype=np.int64)
    while values.size < n:
        extra = rng.integers(low, high, size=int((n - values.size) * 1.1) + 16)
        merged = np.concatenate([values, extra])
        _, first = np.unique(merged, return_index=True)
        values = merged[np.sort(first)]
    return values[:n]


def guids(rng: np.random.Generator, n: int) -> np.ndarray:
    """n random version-4 GUIDs (lower-case, 8-4-4-4-12) drawn from ``rng``."""
    raw = rng.integers(0, 256, size=(n, 16), dtype=np.uint8)
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    hexed = np.empty((n, 32), dtype=np.uint8)
    hexed[:, 0::2] = _HEX[raw >> 4]
    hexed[:, 1::2] = _HEX[raw & 0x0F]
    dash = np.full((n, 1), _DASH, dtype=np.uint8)
    cut = [hexed[:, a:b] for a, b in ((0, 8), (8, 12), (12, 16), (16, 20), (20, 32))]
    return matrix_to_str(
        np.hstack([cut[0], dash, cut[1], dash, cut[2], dash, cut[3], dash, cut[4]])
    )


PHONE_TEMPLATES = (
    "(ddd) ddd-dddd",
    "ddd-ddd-dddd",
    "+1 ddd ddd dddd",
    "ddd.ddd.dddd",
    "dddddddddd",
    "1-ddd-ddd-dddd",
)


def format_phones(digits10: np.ndarray, style: np.ndarray) -> np.ndarray:
    """Render 10-digit phone numbers in the template given per row (index into the list)."""
    n = len(digits10)
    source = np.asarray(digits10, dtype="U10").view(np.uint32).reshape(n, 10)
    out = np.empty(n, dtype=object)
    for k, template in enumerate(PHONE_TEMPLATES):
        rows = np.flatnonzero(style == k)
        if rows.size == 0:
            continue
        chars = np.array([ord(c) for c in template], dtype=np.uint32)
        slots = np.flatnonzero(chars == ord("d"))
        matrix = np.broadcast_to(chars, (rows.size, len(template))).copy()
        matrix[:, slots] = source[rows]
        out[rows] = matrix.view(f"U{len(template)}").ravel()
    return out


def vary_case(values: np.ndarray, style: np.ndarray) -> np.ndarray:
    """0 as is, 1 UPPER, 2 lower, 3 Title."""
    v = np.asarray(values, dtype=str)
    return np.select(
        [style == 1, style == 2, style == 3],
        [np.strings.upper(v), np.strings.lower(v), np.strings.title(v)],
        default=v,
    )


def typo(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One typing error per value (swap, drop or double a letter); short values stay."""
    v = np.asarray(values, dtype=str)
    n = v.size
    if n == 0:
        return v
    width = max(v.dtype.itemsize // 4, 1)
    chars = np.zeros((n, width + 1), dtype=np.uint32)
    chars[:, :width] = v.view(np.uint32).reshape(n, width)
    length = np.strings.str_len(v)
    pos = 1 + (rng.random(n) * np.maximum(length - 2, 1)).astype(np.int64)
    kind = rng.integers(0, 3, n)
    cols = np.broadcast_to(np.arange(width + 1), (n, width + 1))
    p = pos[:, None]
    swap = np.where(cols == p, p + 1, np.where(cols == p + 1, p, cols))
    drop = np.where(cols >= p, cols + 1, cols)
    double = np.where(cols > p, cols - 1, cols)
    source = np.select([kind[:, None] == 0, kind[:, None] == 1], [swap, drop], default=double)
    source = np.where((length >= 4)[:, None], source, cols)
    out = np.take_along_axis(chars, np.clip(source, 0, width), axis=1)
    return out.view(f"U{width + 1}").ravel()


def with_spaces(values: np.ndarray, style: np.ndarray) -> np.ndarray:
    """0 as is, 1 a trailing space, 2 a leading space."""
    v = np.asarray(values, dtype=str)
    return np.select(
        [style == 1, style == 2], [np.strings.add(v, " "), np.strings.add(" ", v)], default=v
    )


def pick(rng: np.random.Generator, weights: np.ndarray | list[float], n: int) -> np.ndarray:
    """n category indices drawn with the given (unnormalised) weights."""
    w = np.asarray(weights, dtype=float)
    return rng.choice(w.size, size=n, p=w / w.sum())


def none_if_empty(values: np.ndarray) -> np.ndarray:
    """Object array with '' turned into None (written as empty CSV fields)."""
    out = np.array(values, dtype=object)
    out[np.asarray(values, dtype=str) == ""] = None
    return out
