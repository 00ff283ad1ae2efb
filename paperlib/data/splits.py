"""Split names and the deterministic patient-level split, defined once for every data set."""

from __future__ import annotations

import hashlib
from typing import Sequence

import numpy as np

#: The three splits every data set uses.
SPLITS = ("train", "val", "test")


def check_split(split: str, allow_all: bool = True, what: str = "split") -> str:
    """Return ``split`` or raise UnknownNameError listing the known names."""
    from ..errors import UnknownNameError

    known = SPLITS + (("all",) if allow_all else ())
    if split not in known:
        raise UnknownNameError(f"unknown {what} {split!r}; known: {list(known)}")
    return split


def _rank_key(seed: int, pid: str) -> bytes:
    return hashlib.sha256(f"{seed}:{pid}".encode("utf-8")).digest()


def patient_split(patient_ids, fractions: Sequence[float] = (0.8, 0.1, 0.1), seed: int = 0) -> dict[str, list[str]]:
    """Split patient ids deterministically into ``{'train', 'val', 'test'}`` (sorted lists).

    Patients are ranked by SHA-256 of ``"{seed}:{id}"`` (stable across Python runs
    and machines, unlike ``hash()``) and cut by counts from ``fractions``
    (largest remainder; a non-zero fraction gets at least one patient when there
    are enough patients).  Duplicate ids are merged, so no patient is in two splits.
    """
    fr = np.asarray(list(fractions), dtype=float)
    if fr.shape != (3,) or (fr < 0).any() or fr.sum() <= 0:
        raise ValueError(f"fractions must be three non-negative numbers with a positive sum, got {fractions}")
    fr = fr / fr.sum()
    ids = sorted({str(p) for p in patient_ids})
    n = len(ids)
    raw = fr * n
    counts = np.floor(raw).astype(int)
    for i in np.argsort(-(raw - counts), kind="stable")[: n - counts.sum()]:
        counts[i] += 1
    nonzero = np.flatnonzero(fr > 0)
    if n >= len(nonzero):
        for i in nonzero:
            if counts[i] == 0:
                counts[int(np.argmax(counts))] -= 1
                counts[i] += 1
    ranked = sorted(ids, key=lambda p: _rank_key(seed, p))
    out, start = {}, 0
    for name, c in zip(SPLITS, counts):
        out[name] = sorted(ranked[start : start + c])
        start += c
    return out


def spaced(items: Sequence, n: int | None) -> list:
    """``n`` items evenly spaced over ``items``, the first and the last included (all when ``n`` is ``None``
    or at least ``len(items)``).

    Index ``i`` of ``n`` is ``round(i * (len - 1) / (n - 1))``: every part of an ordered set (by patient,
    then by position in the series) is represented, and exactly ``n`` items are returned.
    """
    if n is None or len(items) <= n:
        return list(items)
    if n <= 0:
        raise ValueError(f"spaced: n must be positive or None, got {n}")
    return [items[i] for i in np.linspace(0, len(items) - 1, int(n)).round().astype(int)]
