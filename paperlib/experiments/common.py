"""What both papers' workflows share: the one cached evaluation.

Every per-image evaluation of a weights file (a run's final weights, a budget-study snapshot, a Ma/PI pass) is
stored beside the weights under a key of everything it depends on: the weights file's sha256, the images' bytes,
the protocol, the metric flags and ``METRICS_VERSION`` (:func:`paperlib.evaluate.evaluation_key`), written
atomically. A result is reused only for exactly the inputs and metric code that made it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import pandas as pd

from ..evaluate import evaluation_key


def cached_evaluation(
    stem: Path, weights: Path, images, protocol, compute: Callable[[], pd.DataFrame], **flags
) -> pd.DataFrame:
    """``compute()``'s per-image table for these weights, images, protocol and flags, from ``<stem>_<key>.csv``
    when it exists, else computed and written there (through a temporary file, so a stopped job leaves no half)."""
    key = evaluation_key(weights, images, protocol, **flags)
    cache = Path(stem).with_name(f"{Path(stem).name}_{key}.csv")
    if cache.exists():
        return pd.read_csv(cache)
    df = compute()
    tmp = cache.with_name(cache.name + ".tmp")
    df.to_csv(tmp, index=False)
    tmp.replace(cache)
    return df
