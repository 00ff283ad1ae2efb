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

from dataclasses import replace
from pathlib import Path

import numpy as np

from ..config import cache_root
from ..errors import DataError, UnknownNameError
from .cache import Prepared
from .intensity import hu_intensity

#: 2: provenance by :func:`paperlib.data.cache.files_fingerprint` of the set's folder (was a slice-list hash).
HU_CACHE_VERSION = 2
HU_PATCH = 256
#: The window HU data are trained and evaluated on unless told otherwise (see paperlib.data.intensity).
DEFAULT_HU_WINDOW = "ct12"


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


def load_source(
    name: str = "covid-ct", *, seed: int = 0, root=None, window=None, cache=None, progress: bool = True, **kw
) -> Prepared:
    """The prepared data set ``name`` (prepared and cached on first use).

    Args:
        name: ``covid-ct``, an HU set name or ``sample`` (:func:`source_names`).
        seed: split seed (COVID-CT's paper split; the HU sets' patient split; recorded only for ``sample``,
            whose split is fixed).
        root: data root (default ``$PAPERLIB_DATA``; not used by ``sample``).
        window: HU window name or ``(width, level)`` (ignored for COVID-CT); default
            :data:`DEFAULT_HU_WINDOW` for the HU sets, ``lung`` for ``sample``.
        **kw: ``allow_other_root`` (any prepared set: :func:`paperlib.data.cache.check_cache_origin`);
            for COVID-CT also ``scheme`` and ``patch`` (see ``load_prepared_covid_ct``).
    """
    check_source(name)
    if name == "covid-ct":
        from .cache import load_prepared_covid_ct

        d = load_prepared_covid_ct(
            kw.pop("scheme", "paper"),
            seed=seed,
            patch=kw.pop("patch", 192),
            root=root,
            cache=cache,
            progress=progress,
            **kw,
        )
        return d
    if name == "sample":
        return load_sample_source(seed=seed, window=window or "lung")
    p, note = _prepare_hu(name, seed, root, cache, False, progress, kw.pop("allow_other_root", False))
    return replace(_load_hu_npz(p), intensity=hu_intensity(window or DEFAULT_HU_WINDOW), note=note)


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
    splits = {
        s: [(r["id"], r["patient"], hu[i]) for i, r in enumerate(meta["slices"]) if r["split"] == s]
        for s in ("train", "val", "test")
    }
    patches, _, report = extract_patches_from([im for _, _, im in splits["train"]], HU_PATCH)
    manifest = {
        "dataset": DATASET,
        "source_root": "paperlib/data/sample/ct_sample.npz",
        "scheme": "fixed patient split of the embedded sample",
        "seed": seed,
        "patch": HU_PATCH,
        "stride": HU_PATCH,
        "n_train_images": len(splits["train"]),
        "n_train_patches": int(len(patches)),
        "train_images_too_small": [str(x) for x in report.too_small],
        "sha256": meta["sha256"],
        "attribution": attribution(),
        "collections": sorted(meta["collections"]),
        "license": "CC BY (per slice: paperlib/data/sample/ct_sample.json)",
    }
    manifest |= {f"n_{s}": len(v) for s, v in splits.items()}
    return Prepared(patches, splits["val"], splits["test"], manifest, hu_intensity(window))


def hu_cache_path(name: str, seed: int, cache=None) -> Path:
    return cache_root(cache) / f"hu-{name}_seed{seed}_p{HU_PATCH}_v{HU_CACHE_VERSION}.npz"


def _to_int16(hu: np.ndarray, ref) -> np.ndarray:
    if hu.min() < -32768 or hu.max() > 32767:
        raise DataError(f"{ref.path}: HU outside the int16 range ({hu.min()}..{hu.max()})")
    return np.round(hu).astype(np.int16)


def _folder_fingerprint(folder: Path, content: bool = True) -> dict:
    """Every file under an HU set's folder (slices, and ``DL_info.csv`` which defines DeepLesion's split)."""
    from .cache import files_fingerprint

    return files_fingerprint(folder, sorted(f for f in Path(folder).rglob("*") if f.is_file()), content)


def hu_origin(name: str, root=None):
    """The :class:`~paperlib.data.cache.Origin` of HU set ``name`` under the data root ``root``."""
    from .cache import Origin, explicit_root
    from .hu_sets import locate_folder

    return Origin(f"HU set {name!r}", *locate_folder(name, root), explicit_root(root), _folder_fingerprint)


def prepare_hu_set(
    name: str,
    seed: int = 0,
    root=None,
    cache=None,
    force: bool = False,
    progress: bool = True,
    allow_other_root: bool = False,
) -> Path:
    """Read an HU set once and write its prepared ``.npz`` (int16 HU).

    An existing cache is reused unless ``force``, after the provenance check of
    :func:`paperlib.data.cache.check_cache_origin` (the same policy as COVID-CT's).
    """
    return _prepare_hu(name, seed, root, cache, force, progress, allow_other_root)[0]


def _prepare_hu(name, seed, root, cache, force, progress, allow_other_root) -> tuple[Path, str | None]:
    from tqdm.auto import tqdm

    from .cache import reuse_note, write_prepared
    from .hu_sets import dataset_folder, hu_splits, load_hu
    from .patches import extract_patches_from

    out = hu_cache_path(name, seed, cache)
    if out.exists() and not force:
        return out, reuse_note(out, hu_origin(name, root), allow_other_root)
    folder = dataset_folder(name, root)
    fingerprint = _folder_fingerprint(folder)
    splits = hu_splits(name, root, seed)
    loaded = {
        s: [
            (f"{Path(r.path).parent.name}/{Path(r.path).name}", r.patient_id, _to_int16(load_hu(r), r))
            for r in tqdm(refs, desc=f"{name} {s}", disable=not progress, leave=False)
        ]
        for s, refs in splits.items()
    }
    if loaded["train"]:
        patches, _, report = extract_patches_from([im for _, _, im in loaded["train"]], HU_PATCH)
        too_small = [str(x) for x in report.too_small]
    else:  # a test-only set: training on it is refused by Prepared users with a clear error
        patches, too_small = np.zeros((0, HU_PATCH, HU_PATCH), np.int16), []
    manifest = {
        "dataset": name,
        "source_root": str(folder),
        "scheme": "patient split",
        "seed": seed,
        "patch": HU_PATCH,
        "stride": HU_PATCH,
        "n_train_patches": int(len(patches)),
        "train_images_too_small": too_small,
        "cache_version": HU_CACHE_VERSION,
        "source_fingerprint": fingerprint
        | {"what": "every file under the set's folder: relative name, size, sha256 of the bytes"},
    } | {f"n_{s}": len(v) for s, v in splits.items()}
    write_prepared(out, manifest, patches, loaded["val"], loaded["test"])
    return out, None


def _load_hu_npz(path: Path) -> Prepared:
    from .cache import read_prepared

    return Prepared(*read_prepared(path), path=path)
