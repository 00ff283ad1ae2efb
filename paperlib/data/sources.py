"""One interface to the engine's data: 8-bit COVID-CT figures or HU slices, prepared and cached.

``load_source(name)`` returns a :class:`Prepared` set whatever the source:

* ``covid-ct``: the DRIDSR paper's data (uint8 192x192 HR patches, 8-bit val/test images),
  :func:`paperlib.data.cache.load_prepared_covid_ct`;
* an HU set of :data:`paperlib.data.hu_sets.HU_SETS` (``tcga``, ``covid19_ny_sbu``, ``deeplesion``,
  ``lung_pet_ct_dx``): int16 HU, patient-level splits; training patches are 256x256 grid crops of
  the training slices (random-cropped again to the profile's patch), val/test are whole slices;
* ``sample``: the CT sample embedded in the package (:mod:`paperlib.data.sample`: 16 CC BY TCIA
  slices, int16 HU, a fixed patient split, the lung window by default), so that a machine with no
  data can run the smoke profile; its manifest carries the attribution.

Both carry an :class:`~paperlib.data.intensity.Intensity` (8-bit, or HU through a stated window)
that the sampler and the evaluation use, so training and test degrade and normalise the same way.
An HU set's cache stores HU (not windowed values), so one cache serves every window.
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from ..config import cache_root, data_root
from ..errors import DataError, UnknownNameError
from .intensity import U8, Intensity, hu_intensity

HU_CACHE_VERSION = 1
HU_PATCH = 256
#: The window HU data are trained and evaluated on unless told otherwise (see paperlib.data.intensity).
DEFAULT_HU_WINDOW = "ct12"


@dataclass
class Prepared:
    """A prepared data set in memory: stored HR training patches, whole val/test images, provenance.

    Attributes:
        train_patches: (N, p, p) uint8 (8-bit sources) or int16 (HU).
        val, test: lists of ``(name, label, H x W stored image)``.
        manifest: provenance (source root, file-list hash, split, seed, counts).
        intensity: how stored values map to [0, 1] and how LR images are made.
    """

    train_patches: np.ndarray
    val: list
    test: list
    manifest: dict
    intensity: Intensity = U8
    path: Path | None = None

    def images(self, split: str) -> list:
        return {"val": self.val, "test": self.test}[split]

    def describe(self) -> dict:
        """What a run records about its data (part of the run key)."""
        keys = ("dataset", "scheme", "seed", "patch", "n_train_patches")
        return {k: self.manifest.get(k) for k in keys} | {"intensity": self.intensity.as_dict()}


def source_names() -> list[str]:
    """Every name ``--data`` accepts."""
    from .hu_sets import HU_SETS

    return ["covid-ct", *sorted(HU_SETS), "sample"]


def check_source(name: str) -> str:
    from .sample import DATASET

    if name.lower() == DATASET.lower():  # a run manifest names the sample by its dataset
        return "sample"
    if name not in source_names():
        raise UnknownNameError(f"unknown data source {name!r}; known: {source_names()}")
    return name


def load_source(name: str = "covid-ct", *, seed: int = 0, root=None, window=None, cache=None,
                progress: bool = True, **kw) -> Prepared:
    """The prepared data set ``name`` (prepared and cached on first use).

    Args:
        name: ``covid-ct``, an HU set name or ``sample`` (:func:`source_names`).
        seed: split seed (COVID-CT's paper split; the HU sets' patient split; recorded only for ``sample``,
            whose split is fixed).
        root: data root (default ``$PAPERLIB_DATA``; not used by ``sample``).
        window: HU window name or ``(width, level)`` (ignored for COVID-CT); default
            :data:`DEFAULT_HU_WINDOW` for the HU sets, ``lung`` for ``sample``.
        **kw: for COVID-CT, ``scheme`` and ``patch`` (see ``load_prepared_covid_ct``).
    """
    check_source(name)
    if name == "covid-ct":
        from .cache import load_prepared_covid_ct

        d = load_prepared_covid_ct(kw.pop("scheme", "paper"), seed=seed, patch=kw.pop("patch", 192), root=root,
                                   cache=cache, progress=progress, **kw)
        return d if isinstance(d, Prepared) else Prepared(d.train_patches, d.val, d.test, d.manifest, U8, d.path)
    if name == "sample":
        return load_sample_source(seed=seed, window=window or "lung")
    p = prepare_hu_set(name, seed=seed, root=root, cache=cache, progress=progress)
    return replace(_load_hu_npz(p, name, root), intensity=hu_intensity(window or DEFAULT_HU_WINDOW))


def load_sample_source(seed: int = 0, window="lung") -> Prepared:
    """The embedded TCIA sample (:mod:`paperlib.data.sample`) as a :class:`Prepared` set, built in memory.

    Training patches are the 256x256 grid crops of the training slices (as for the HU sets);
    val/test are whole slices, labelled by patient. The manifest names the dataset
    (:data:`paperlib.data.sample.DATASET`), the split (fixed by patient in the sample) and the
    attribution that every table or figure made from it must carry.
    """
    from .patches import extract_patches_from
    from .sample import DATASET, attribution, load_sample

    meta, hu, _ = load_sample()
    splits = {s: [(r["id"], r["patient"], hu[i]) for i, r in enumerate(meta["slices"]) if r["split"] == s]
              for s in ("train", "val", "test")}
    patches, _, report = extract_patches_from([im for _, _, im in splits["train"]], HU_PATCH)
    manifest = {"dataset": DATASET, "source_root": "paperlib/data/sample/ct_sample.npz",
                "scheme": "fixed patient split of the embedded sample", "seed": seed, "patch": HU_PATCH,
                "stride": HU_PATCH, "n_train_images": len(splits["train"]), "n_train_patches": int(len(patches)),
                "train_images_too_small": [str(x) for x in report.too_small], "sha256": meta["sha256"],
                "attribution": attribution(), "collections": sorted(meta["collections"]),
                "license": "CC BY (per slice: paperlib/data/sample/ct_sample.json)"}
    manifest |= {f"n_{s}": len(v) for s, v in splits.items()}
    return Prepared(patches, splits["val"], splits["test"], manifest, hu_intensity(window))


def _file_list_hash(refs) -> str:
    """sha256 over (relative name, size) of every slice file: detects a changed or other data root."""
    h = hashlib.sha256()
    for r in refs:
        h.update(f"{r.patient_id}/{Path(r.path).name}:{Path(r.path).stat().st_size}\n".encode())
    return h.hexdigest()


def hu_cache_path(name: str, seed: int, cache=None) -> Path:
    return cache_root(cache) / f"hu-{name}_seed{seed}_p{HU_PATCH}_v{HU_CACHE_VERSION}.npz"


def _to_int16(hu: np.ndarray, ref) -> np.ndarray:
    if hu.min() < -32768 or hu.max() > 32767:
        raise DataError(f"{ref.path}: HU outside the int16 range ({hu.min()}..{hu.max()})")
    return np.round(hu).astype(np.int16)


def prepare_hu_set(name: str, seed: int = 0, root=None, cache=None, force: bool = False,
                   progress: bool = True) -> Path:
    """Read an HU set once and write its prepared ``.npz`` (int16 HU; skipped when it exists unless ``force``)."""
    from tqdm.auto import tqdm

    from .cache import _pack
    from .hu_sets import all_slices, dataset_folder, hu_dataset, load_hu
    from .patches import extract_patches_from

    out = hu_cache_path(name, seed, cache)
    if out.exists() and not force:
        return out
    folder = dataset_folder(name, root)
    splits = {s: hu_dataset(name, s, root, seed) for s in ("train", "val", "test")}
    loaded = {s: [(f"{Path(r.path).parent.name}/{Path(r.path).name}", r.patient_id, _to_int16(load_hu(r), r))
                  for r in tqdm(refs, desc=f"{name} {s}", disable=not progress, leave=False)]
              for s, refs in splits.items()}
    if loaded["train"]:
        patches, _, report = extract_patches_from([im for _, _, im in loaded["train"]], HU_PATCH)
        too_small = [str(x) for x in report.too_small]
    else:  # a test-only set: training on it is refused by Prepared users with a clear error
        patches, too_small = np.zeros((0, HU_PATCH, HU_PATCH), np.int16), []
    manifest = {"dataset": name, "source_root": str(folder), "scheme": "patient split", "seed": seed,
                "patch": HU_PATCH, "stride": HU_PATCH, "n_train_patches": int(len(patches)),
                "train_images_too_small": too_small, "files_sha256": _file_list_hash(all_slices(name, root, seed)),
                "cache_version": HU_CACHE_VERSION} | {f"n_{s}": len(v) for s, v in splits.items()}
    arrays = {"train_patches": patches, "manifest": np.asarray(json.dumps(manifest))}
    for s in ("val", "test"):
        arrays[f"{s}_flat"], arrays[f"{s}_shapes"], arrays[f"{s}_names"] = _pack(loaded[s])
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp.npz")
    np.savez_compressed(tmp, **arrays)
    os.replace(tmp, out)
    return out


def _load_hu_npz(path: Path, name: str, root) -> Prepared:
    from .cache import _unpack

    with np.load(path, allow_pickle=False) as z:
        man = json.loads(str(z["manifest"]))
        prepared = Prepared(z["train_patches"], _unpack(z["val_flat"], z["val_shapes"], z["val_names"]),
                            _unpack(z["test_flat"], z["test_shapes"], z["test_names"]), man, path=path)
    _check_root(man, name, root, path)
    return prepared


def _check_root(man: dict, name: str, root, path: Path) -> None:
    """A cache made from another data root is used only when that root is absent here (a carried cache)."""
    from .hu_sets import HU_SETS

    here = data_root(root)
    cands = [here / rel for rel in HU_SETS[name].folders]
    present = next((c for c in cands if c.is_dir()), None)
    if present is None:
        print(f"paperlib: note: {path.name}: data root {here} has no {name}; using the cache prepared from "
              f"{man['source_root']}", file=sys.stderr)
        return
    if str(present) != man["source_root"]:
        from .hu_sets import all_slices

        if _file_list_hash(all_slices(name, root, man["seed"])) != man["files_sha256"]:
            raise DataError(f"{path}: prepared from {man['source_root']}, whose files differ from {present}; "
                            f"delete the cache or prepare again with force=True")
        print(f"paperlib: note: {path.name}: prepared from {man['source_root']}, same files as {present}",
              file=sys.stderr)
