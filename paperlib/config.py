"""Paths and profiles, defined once.

* ``data_root()``: ``PAPERLIB_DATA`` if set, else ``../shared/data`` next to the
  repository (the layout of the development machines), else ``./data``.
* ``runs_root()``: where trained runs are cached (``PAPERLIB_RUNS`` or ``<repo>/runs``).
* ``cache_root()``: prepared-data cache (``PAPERLIB_CACHE`` or ``<repo>/cache``).
* ``figures_root()``: notebook outputs (``PAPERLIB_FIGURES`` or ``<repo>/figures``).
"""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def data_root(path: str | os.PathLike | None = None) -> Path:
    """Return the data root: the argument, ``$PAPERLIB_DATA``, ``../shared/data`` or ``./data``."""
    if path is not None:
        return Path(path).expanduser().resolve()
    env = os.environ.get("PAPERLIB_DATA")
    if env:
        return Path(env).expanduser().resolve()
    for cand in (REPO_ROOT.parent / "shared" / "data", REPO_ROOT / "data"):
        if cand.is_dir():
            return cand.resolve()
    return (REPO_ROOT / "data").resolve()


def runs_root(path: str | os.PathLike | None = None) -> Path:
    """Directory holding training runs (one sub-folder per configuration key)."""
    p = Path(path) if path is not None else Path(os.environ.get("PAPERLIB_RUNS", REPO_ROOT / "runs"))
    return p.expanduser().resolve()


def cache_root(path: str | os.PathLike | None = None) -> Path:
    """Directory holding prepared (compact) datasets."""
    p = Path(path) if path is not None else Path(os.environ.get("PAPERLIB_CACHE", REPO_ROOT / "cache"))
    return p.expanduser().resolve()


def figures_root(path: str | os.PathLike | None = None) -> Path:
    """Where the notebooks write figures and tables (``PAPERLIB_FIGURES`` or ``<repo>/figures``)."""
    p = Path(path) if path is not None else Path(os.environ.get("PAPERLIB_FIGURES", REPO_ROOT / "figures"))
    return p.expanduser().resolve()
