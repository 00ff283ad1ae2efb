"""The one file digest: sha256 of a file's bytes, read in chunks (weights, data files, manifests, saved results)."""

from __future__ import annotations

import hashlib
import os

CHUNK = 1 << 20


def sha256_file(path: str | os.PathLike, progress=None) -> str:
    """sha256 hex digest of a file, read in 1 MiB chunks (``progress``: a tqdm bar updated by bytes)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
            if progress is not None:
                progress.update(len(chunk))
    return h.hexdigest()
