"""Prepared-data format and provenance: the one in-memory type (:class:`Prepared`), its ``.npz`` file, and the
policy that decides whether a prepared file may be reused.

A prepared set is one ``.npz`` holding the HR training patches, the validation and test images (flattened with
their shapes, since sizes differ), their names and a JSON manifest (source root, fingerprint, split, seed, patch
size, counts). Written atomically (temporary file, then rename) so an interrupted prepare never leaves a half
file that a later run would trust. What goes into it is made by the data sets' own modules: COVID-CT in
:mod:`paperlib.data.covid_ct`, the HU sets in :mod:`paperlib.data.hu_sets`.

Provenance, one policy for every prepared set. The manifest records the source folder and a fingerprint of the
files the set depends on (:func:`files_fingerprint`: relative name, size and sha256 of the bytes; for COVID-CT
every image of ``Images-processed/CT_*`` and every ``Data-split`` list, for an HU set every file under its
folder). Hashing the bytes is affordable: COVID-CT's 746 images and 6 lists are 97 MB, hashed in 0.11-0.18 s
(measured, files in the page cache, 2-core machine; a cold read is bound by the disk), against tens of seconds to
decode them when preparing. Names+sizes alone (``listing_sha256``, about 10 ms) are checked first, and the bytes
are only hashed when the requested folder differs from the recorded one. On reuse (:func:`check_cache_origin`):

* requested folder = recorded folder: used (refused if the names or sizes changed since);
* requested folder differs and holds the same files (content hash equal): used, with a one-line note;
* requested folder differs and does not exist or holds other files: refused with a one-line
  :class:`~paperlib.errors.DataError` naming both folders, unless ``allow_other_root=True``
  (CLI ``--allow-cache-from-other-root``);
* no root requested (no argument, ``PAPERLIB_DATA`` unset) and no data found: the cache is used
  with a one-line note (a GPU machine that received ``cache/`` but no data).

Notes go to stderr (one line, ``paperlib: note: ...``) and to :attr:`Prepared.note`. Caches written before the
fingerprint existed carry only ``source_root``: at another root they are refused (their content cannot be
compared) unless ``allow_other_root``.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from ..errors import DataError
from .intensity import U8, Intensity


@dataclass
class Prepared:
    """A prepared data set in memory: stored HR training patches, whole val/test images, provenance.

    Attributes:
        train_patches: (N, p, p) uint8 (8-bit sources) or int16 (HU).
        val, test: lists of ``(name, label, H x W stored image)``.
        manifest: provenance (source root, file fingerprint, split, seed, counts).
        intensity: how stored values map to [0, 1] and how LR images are made.
        path: the prepared ``.npz`` (``None`` for the embedded sample, built in memory).
        note: a one-line note when the cache was accepted from another (or no) data root.
    """

    train_patches: np.ndarray
    val: list
    test: list
    manifest: dict
    intensity: Intensity = U8
    path: Path | None = None
    note: str | None = None  # set when the cache was used from another (or no) data root

    def images(self, split: str) -> list:
        return {"val": self.val, "test": self.test}[split]

    def describe(self) -> dict:
        """What a run records about its data (part of the run key)."""
        keys = ("dataset", "scheme", "seed", "patch", "n_train_patches")
        return {k: self.manifest.get(k) for k in keys} | {"intensity": self.intensity.as_dict()}


def _pack(items):
    flat = np.concatenate([im.ravel() for _, _, im in items]) if items else np.zeros(0, np.uint8)
    shapes = np.asarray([im.shape for _, _, im in items], dtype=np.int32).reshape(-1, 2)
    names = np.asarray([f"{lab}/{n}" for n, lab, _ in items])
    return flat, shapes, names


def _unpack(flat, shapes, names):
    out, o = [], 0
    for (h, w), nm in zip(shapes, names):
        lab, n = str(nm).split("/", 1)
        out.append((n, lab, flat[o : o + h * w].reshape(h, w)))
        o += h * w
    return out


def write_prepared(out: Path, manifest: dict, train_patches: np.ndarray, val: list, test: list, **extra) -> None:
    """Write a prepared set atomically (temporary file, then rename): training patches, the val/test images
    packed with their shapes and names, the JSON manifest, and any ``extra`` arrays."""
    arrays = {"train_patches": train_patches, "manifest": np.asarray(json.dumps(manifest)), **extra}
    for s, items in (("val", val), ("test", test)):
        arrays[f"{s}_flat"], arrays[f"{s}_shapes"], arrays[f"{s}_names"] = _pack(items)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f"{out.stem}.{os.getpid()}.tmp.npz")
    np.savez_compressed(tmp, **arrays)
    os.replace(tmp, out)


def read_prepared(path) -> tuple[np.ndarray, list, list, dict]:
    """``(train_patches, val, test, manifest)`` of a file written by :func:`write_prepared`."""
    with np.load(path, allow_pickle=False) as z:
        return (
            z["train_patches"],
            _unpack(z["val_flat"], z["val_shapes"], z["val_names"]),
            _unpack(z["test_flat"], z["test_shapes"], z["test_names"]),
            json.loads(str(z["manifest"])),
        )


def files_fingerprint(base, files, content: bool = True) -> dict:
    """Fingerprint of ``files`` under ``base``: count, bytes, sha256 of (name, size) and of (name, size, sha256).

    ``content=False`` skips reading the bytes (``content_sha256`` is then absent).
    """
    base = Path(base)
    listing, full, total = hashlib.sha256(), hashlib.sha256(), 0
    for f in files:
        rel, size = Path(f).relative_to(base).as_posix(), Path(f).stat().st_size
        total += size
        listing.update(f"{rel}\t{size}\n".encode())
        if content:
            full.update(f"{rel}\t{size}\t{hashlib.sha256(Path(f).read_bytes()).hexdigest()}\n".encode())
    out = {"files": len(files), "bytes": total, "listing_sha256": listing.hexdigest()}
    if content:
        out["content_sha256"] = full.hexdigest()
    return out


def read_manifest(path) -> dict:
    """The manifest of a prepared ``.npz`` (without loading its arrays)."""
    with np.load(path, allow_pickle=False) as z:
        return json.loads(str(z["manifest"]))


@dataclass(frozen=True)
class Origin:
    """The source folder a prepared set is asked for on this machine.

    Attributes:
        what: the data set, as messages name it (``COVID-CT``, ``HU set 'tcga'``).
        folder: the folder asked for (where the data would be).
        exists: whether the data set is there.
        explicit: whether a root was asked for (an argument or ``PAPERLIB_DATA``).
        fingerprint: ``fingerprint(folder, content)`` -> :func:`files_fingerprint` of what the set depends on.
    """

    what: str
    folder: Path
    exists: bool
    explicit: bool
    fingerprint: Callable[[Path, bool], dict]


def explicit_root(root) -> bool:
    """Whether a data root was asked for: an argument, or ``PAPERLIB_DATA``."""
    return root is not None or bool(os.environ.get("PAPERLIB_DATA"))


def check_cache_origin(path, origin: Origin, allow_other_root: bool = False) -> str | None:
    """Check a prepared cache against the folder asked for; returns a one-line note or ``None``.

    Raises :class:`~paperlib.errors.DataError` (one line, both folders named) when the cache was made
    from another folder that is missing or holds other files, unless ``allow_other_root``; see the
    module docstring for every case.
    """
    path = Path(path)
    man = read_manifest(path)
    recorded, fp = man.get("source_root"), man.get("source_fingerprint")
    req, what = origin.folder, origin.what
    flag = "allow_other_root=True (CLI --allow-cache-from-other-root)"
    if recorded is not None and Path(recorded) == req:
        if not origin.exists:
            return f"no {what} data at {req} any more; using the prepared cache {path.name} made from it"
        if fp is not None:
            now = origin.fingerprint(req, False)
            if now["listing_sha256"] != fp["listing_sha256"]:
                raise DataError(
                    f"{path}: the files under {req} changed since this cache was made from them "
                    f"({now['files']} files now, {fp['files']} then); re-prepare with force=True"
                )
        return None
    if not origin.exists and not origin.explicit:
        return f"no {what} data here (looked for {req}); using the prepared cache {path.name} made from {recorded}"
    if not origin.exists:
        reason = "does not exist"
    elif fp is None:
        reason = "exists, but this cache predates content hashing, so it cannot be compared"
    else:
        now = origin.fingerprint(req, False)
        if now["listing_sha256"] == fp["listing_sha256"] and origin.fingerprint(req, True)["content_sha256"] == fp.get(
            "content_sha256"
        ):
            return (
                f"{path.name} was made from {recorded}; the requested folder {req} holds the same "
                f"{fp['files']} files (content sha256 {fp['content_sha256'][:12]}), so it is used"
            )
        reason = "holds other files"
    if allow_other_root:
        return f"using {path.name} made from {recorded} although the requested folder {req} {reason} (allow_other_root)"
    raise DataError(
        f"{path}: made from {recorded}, but the requested {what} folder {req} {reason}; pass {flag} "
        f"to use it anyway, or force=True to re-prepare from {req}"
    )


def reuse_note(path, origin: Origin, allow_other_root: bool = False) -> str | None:
    """:func:`check_cache_origin`, printing its note (one line, stderr) when there is one."""
    note = check_cache_origin(path, origin, allow_other_root)
    if note:
        print(f"paperlib: note: {note}", file=sys.stderr, flush=True)
    return note
