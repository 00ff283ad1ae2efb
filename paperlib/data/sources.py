"""One interface to the engine's data: 8-bit COVID-CT figures or HU slices, prepared and cached.

``load_source(name)`` returns a :class:`Prepared` set whatever the source:

* ``covid-ct``: the DRIDSR paper's data (uint8 192x192 HR patches, 8-bit val/test images),
  :func:`paperlib.data.covid_ct.load_prepared_covid_ct`;
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

from ..errors import UnknownNameError
from .cache import Prepared
from .hu_sets import HU_PATCH, load_hu_prepared, prepare_hu
from .intensity import hu_intensity

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
        from .covid_ct import load_prepared_covid_ct

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
    p, note = prepare_hu(name, seed, root, cache, False, progress, kw.pop("allow_other_root", False))
    return replace(load_hu_prepared(p), intensity=hu_intensity(window or DEFAULT_HU_WINDOW), note=note)


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
