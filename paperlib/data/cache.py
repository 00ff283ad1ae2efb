"""Prepared-data cache: compact arrays with provenance, fast to load, small enough to carry.

A prepared COVID-CT set is one ``.npz`` holding the uint8 HR training patches, the uint8
validation and test images (flattened with their shapes, since sizes differ), their file
names and a JSON manifest (source root, split scheme, seed, patch size, counts, images too
small). Written atomically (temporary file, then rename) so an interrupted prepare never
leaves a half file that a later run would trust.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..config import cache_root
from .covid_ct import covid_ct_root, covid_ct_split
from .images import read_gray_u8
from .patches import extract_patches_from

CACHE_VERSION = 1


@dataclass
class PreparedCovidCT:
    """In-memory prepared COVID-CT: HR training patches and whole val/test images (uint8)."""

    train_patches: np.ndarray  # (N, p, p) uint8
    val: list  # list of (name, label, HxW uint8)
    test: list
    manifest: dict
    path: Path | None = None

    def images(self, split: str) -> list:
        return {"val": self.val, "test": self.test}[split]


def _pack(items):
    flat = np.concatenate([im.ravel() for _, _, im in items]) if items else np.zeros(0, np.uint8)
    shapes = np.asarray([im.shape for _, _, im in items], dtype=np.int32).reshape(-1, 2)
    names = np.asarray([f"{lab}/{n}" for n, lab, _ in items])
    return flat, shapes, names


def _unpack(flat, shapes, names):
    out, o = [], 0
    for (h, w), nm in zip(shapes, names):
        lab, n = str(nm).split("/", 1)
        out.append((n, lab, flat[o:o + h * w].reshape(h, w)))
        o += h * w
    return out


def cache_path(scheme: str, seed: int, patch: int, cache=None) -> Path:
    return cache_root(cache) / f"covid-ct_{scheme}_seed{seed}_p{patch}_v{CACHE_VERSION}.npz"


def prepare_covid_ct(scheme: str = "paper", seed: int = 0, patch: int = 192, root=None, cache=None,
                     force: bool = False, progress: bool = True) -> Path:
    """Read COVID-CT once and write the prepared ``.npz`` (skipped when it exists unless ``force``)."""
    from tqdm.auto import tqdm

    out = cache_path(scheme, seed, patch, cache)
    if out.exists() and not force:
        return out
    src = covid_ct_root(root)
    splits = {s: covid_ct_split(s, scheme, seed, root) for s in ("train", "val", "test")}
    loaded = {}
    for s, refs in splits.items():
        loaded[s] = [(r.name, r.label, read_gray_u8(r.path))
                     for r in tqdm(refs, desc=f"COVID-CT {s}", disable=not progress, leave=False)]
    patches, src_idx, report = extract_patches_from([im for _, _, im in loaded["train"]], patch,
                                                    names=[n for n, _, _ in loaded["train"]])
    manifest = {"dataset": "COVID-CT", "source_root": str(src), "scheme": scheme, "seed": seed, "patch": patch,
                "stride": patch, "n_train_images": len(splits["train"]), "n_train_patches": int(report.n_patches),
                "train_images_too_small": [str(x) for x in report.too_small], "n_val": len(splits["val"]),
                "n_test": len(splits["test"]), "cache_version": CACHE_VERSION}
    arrays = {"train_patches": patches, "train_src": src_idx, "manifest": np.asarray(json.dumps(manifest))}
    for s in ("val", "test"):
        arrays[f"{s}_flat"], arrays[f"{s}_shapes"], arrays[f"{s}_names"] = _pack(loaded[s])
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp.npz")
    np.savez_compressed(tmp, **arrays)
    os.replace(tmp, out)
    return out


def load_prepared_covid_ct(scheme: str = "paper", seed: int = 0, patch: int = 192, root=None, cache=None,
                           progress: bool = True) -> PreparedCovidCT:
    """Load (preparing first if needed) the cached COVID-CT arrays."""
    p = prepare_covid_ct(scheme, seed, patch, root, cache, progress=progress)
    with np.load(p, allow_pickle=False) as z:
        man = json.loads(str(z["manifest"]))
        return PreparedCovidCT(z["train_patches"], _unpack(z["val_flat"], z["val_shapes"], z["val_names"]),
                               _unpack(z["test_flat"], z["test_shapes"], z["test_names"]), man, p)
