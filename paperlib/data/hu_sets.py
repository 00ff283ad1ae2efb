"""Which HU data set stands in for which IDMAN table, and their deterministic splits.

IDMAN trains on DeepLesion and tests on DeepLesion (Tables 5/6), NSCLC
Radiogenomics (Table 7) and Lung-PET-CT-Dx (Table 8).  Offline, the shared data
folder holds small real samples in the original layouts; :data:`HU_SETS` writes
down, once, which folder feeds which role:

==================  ==============================  =========================================
name                folder under the data root      role
==================  ==============================  =========================================
``deeplesion``      ``deeplesion``                  Table 5/6 test set (official split from
                                                    DL_info.csv when present; otherwise all
                                                    local slices are 'test')
``lung_pet_ct_dx``  ``lung-pet-ct-dx``              Table 8 test set (all patients 'test';
                                                    both reconstruction kernels)
``tcga``            ``tcga-ct-sample/dicom_dir``    HU training data ('train'/'val') and the
                                                    NSCLC Radiogenomics stand-in ('test',
                                                    Table 7); split by DICOM PatientID
``covid19_ny_sbu``  ``covid19-ny-sbu-sample``       extra HU training data, axial slices only
==================  ==============================  =========================================

Splits are patient-level and deterministic (:func:`patient_split`, SHA-256 of
``seed:patient``), so train and test never share a patient and the split is the
same on every machine and Python run.  Identical slices stored twice (same
series and position/instance) are listed once.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..config import cache_root
from ..errors import DataError, DatasetNotFoundError, UnknownNameError
from .cache import Origin, Prepared, explicit_root, files_fingerprint, read_prepared, reuse_note, write_prepared
from .patches import extract_patches_from
from .splits import check_split, patient_split  # noqa: F401  (patient_split: part of this module's API)


@dataclass(frozen=True)
class HUSet:
    """Description of one HU data set: where it lives, what it stands in for, how it is split."""

    name: str
    folders: tuple[str, ...]  # candidate folders under the data root (first that exists wins)
    kind: str  # 'dicom' | 'deeplesion_png'
    stands_in_for: str
    tables: tuple[str, ...]
    fractions: tuple[float, float, float]  # train / val / test patient fractions
    obtain: str  # where to get the original data (text only)
    orientation: str | None = "axial"  # keep only this orientation (DICOM sets)


HU_SETS: dict[str, HUSet] = {
    "deeplesion": HUSet(
        name="deeplesion",
        folders=("deeplesion", "DeepLesion"),
        kind="deeplesion_png",
        stands_in_for="NIH DeepLesion (IDMAN training set and its test split)",
        tables=("IDMAN Table 5", "IDMAN Table 6"),
        fractions=(0.0, 0.0, 1.0),  # only used without DL_info.csv: the local sample is test data
        obtain="NIH Clinical Center DeepLesion: https://nihcc.app.box.com/v/DeepLesion "
        "(Images_png/*.zip and DL_info.csv)",
        orientation=None,
    ),
    "lung_pet_ct_dx": HUSet(
        name="lung_pet_ct_dx",
        folders=("lung-pet-ct-dx", "Lung-PET-CT-Dx"),
        kind="dicom",
        stands_in_for="TCIA Lung-PET-CT-Dx (CT series only)",
        tables=("IDMAN Table 8",),
        fractions=(0.0, 0.0, 1.0),
        obtain="TCIA Lung-PET-CT-Dx, https://doi.org/10.7937/TCIA.2020.NNC20461 "
        "(download with the NBIA Data Retriever; keep its folder layout)",
    ),
    "tcga": HUSet(
        name="tcga",
        folders=("tcga-ct-sample/dicom_dir", "tcga-ct-sample"),
        kind="dicom",
        stands_in_for="HU training data (DeepLesion stand-in) and NSCLC Radiogenomics (test split)",
        tables=("IDMAN training (stand-in)", "IDMAN Table 7 (stand-in)"),
        fractions=(0.8, 0.1, 0.1),
        obtain="'CT Medical Images' sample of TCIA TCGA collections "
        "(https://www.kaggle.com/datasets/kmader/siim-medical-images, dicom_dir/); "
        "the original NSCLC Radiogenomics is https://doi.org/10.7937/K9/TCIA.2017.7hs46erv",
    ),
    "covid19_ny_sbu": HUSet(
        name="covid19_ny_sbu",
        folders=("covid19-ny-sbu-sample", "COVID-19-NY-SBU"),
        kind="dicom",
        stands_in_for="extra HU training data",
        tables=("IDMAN training (extra)",),
        fractions=(0.8, 0.2, 0.0),
        obtain="TCIA COVID-19-NY-SBU, https://doi.org/10.7937/TCIA.BBAG-2923",
    ),
}


@dataclass(frozen=True)
class SliceRef:
    """A reference to one HU slice: file path, patient id and file kind ('dicom' or 'deeplesion_png')."""

    path: Path
    patient_id: str
    kind: str = "dicom"


def _get_set(name: str) -> HUSet:
    if name not in HU_SETS:
        raise UnknownNameError(f"unknown HU data set {name!r}; known: {sorted(HU_SETS)}")
    return HU_SETS[name]


def locate_folder(name: str, root: str | os.PathLike | None = None) -> tuple[Path, bool]:
    """(the folder of HU set ``name`` under the data root: the first candidate that exists, else the first
    candidate; whether it exists)."""
    from ..config import data_root

    base = data_root(root)
    folders = _get_set(name).folders
    found = next((base / rel for rel in folders if (base / rel).is_dir()), None)
    return (found, True) if found is not None else (base / folders[0], False)


def dataset_folder(name: str, root: str | os.PathLike | None = None) -> Path:
    """Folder of HU set ``name`` under the data root; DatasetNotFoundError saying where we looked, where to get it."""
    from ..config import data_root

    folder, exists = locate_folder(name, root)
    if exists:
        return folder
    spec, base = _get_set(name), data_root(root)
    looked = ", ".join(str(base / rel) for rel in spec.folders)
    raise DatasetNotFoundError(
        f"HU data set {name!r} ({spec.stands_in_for}) not found: looked in {looked}. "
        f"Set PAPERLIB_DATA or pass root=. Original data: {spec.obtain}"
    )


def _dicom_refs(name: str, folder: Path) -> list[SliceRef]:
    from .dicom import find_series

    spec = HU_SETS[name]
    # duplicate files are expected in the samples and dropped here on purpose
    series = find_series(folder, modality="CT", warn_duplicates=False)
    refs: list[SliceRef] = []
    seen: set[tuple] = set()
    for s in series:
        if spec.orientation is not None and s.orientation != spec.orientation:
            continue
        for path, pos in zip(s.files, s.positions):
            key = (s.uid, round(pos, 3))  # same series + same position = same slice stored twice
            if key in seen:
                continue
            seen.add(key)
            refs.append(SliceRef(path=path, patient_id=s.patient_id, kind="dicom"))
    return refs


def all_slices(name: str, root: str | os.PathLike | None = None, seed: int = 0) -> list[SliceRef]:
    """Every slice of HU set ``name`` (before splitting), ordered by patient/series/position."""
    spec = _get_set(name)
    folder = dataset_folder(name, root)
    if spec.kind == "deeplesion_png":
        from .deeplesion import DeepLesion

        dl = DeepLesion(folder, seed=seed, fractions=spec.fractions)
        return [SliceRef(s.path, s.patient_id, "deeplesion_png") for s in dl.slices("all")]
    return _dicom_refs(name, folder)


def hu_splits(name: str, root: str | os.PathLike | None = None, seed: int = 0) -> dict[str, list[SliceRef]]:
    """``{'train', 'val', 'test'}`` slices of HU set ``name`` from one listing of its folder.

    DeepLesion with ``DL_info.csv`` uses the official split; every other case a
    patient-level :func:`patient_split` with the set's fractions and ``seed``.
    """
    spec = _get_set(name)
    if spec.kind == "deeplesion_png":
        from .deeplesion import DeepLesion

        dl = DeepLesion(dataset_folder(name, root), seed=seed, fractions=spec.fractions)
        return {
            sp: [SliceRef(s.path, s.patient_id, "deeplesion_png") for s in dl.slices(sp)]
            for sp in ("train", "val", "test")
        }
    refs = all_slices(name, root, seed)
    where = {
        pid: sp for sp, ids in patient_split([r.patient_id for r in refs], spec.fractions, seed).items() for pid in ids
    }
    return {sp: [r for r in refs if where[str(r.patient_id)] == sp] for sp in ("train", "val", "test")}


def hu_dataset(name: str, split: str, root: str | os.PathLike | None = None, seed: int = 0) -> list[SliceRef]:
    """Slices of HU set ``name`` in ``split`` ('train', 'val', 'test' or 'all'); see :func:`hu_splits`."""
    check_split(split)
    if split == "all":
        return all_slices(name, root, seed)
    return hu_splits(name, root, seed)[split]


def load_hu(ref: SliceRef) -> np.ndarray:
    """float32 HU (H, W) of a :class:`SliceRef` (DICOM via the modality LUT, DeepLesion PNG minus 32768)."""
    if ref.kind == "deeplesion_png":
        from .deeplesion import read_deeplesion_png

        return read_deeplesion_png(ref.path)
    if ref.kind == "dicom":
        from .dicom import read_dicom_hu

        return read_dicom_hu(ref.path)[0]
    raise UnknownNameError(f"unknown slice kind {ref.kind!r}; known: ['deeplesion_png', 'dicom']")


# ----------------------------------------------------------------- the prepared set (format: paperlib.data.cache)

#: 2: provenance by :func:`paperlib.data.cache.files_fingerprint` of the set's folder (was a slice-list hash).
HU_CACHE_VERSION = 2
HU_PATCH = 256


def hu_cache_path(name: str, seed: int, cache=None) -> Path:
    return cache_root(cache) / f"hu-{name}_seed{seed}_p{HU_PATCH}_v{HU_CACHE_VERSION}.npz"


def _to_int16(hu: np.ndarray, ref) -> np.ndarray:
    if hu.min() < -32768 or hu.max() > 32767:
        raise DataError(f"{ref.path}: HU outside the int16 range ({hu.min()}..{hu.max()})")
    return np.round(hu).astype(np.int16)


def _folder_fingerprint(folder: Path, content: bool = True) -> dict:
    """Every file under an HU set's folder (slices, and ``DL_info.csv`` which defines DeepLesion's split)."""
    return files_fingerprint(folder, sorted(f for f in Path(folder).rglob("*") if f.is_file()), content)


def hu_origin(name: str, root=None):
    """The :class:`~paperlib.data.cache.Origin` of HU set ``name`` under the data root ``root``."""
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
    return prepare_hu(name, seed, root, cache, force, progress, allow_other_root)[0]


def prepare_hu(name, seed, root, cache, force, progress, allow_other_root) -> tuple[Path, str | None]:
    """``(prepared .npz, reuse note or None)`` of HU set ``name``: reused after the provenance check, or made."""
    from tqdm.auto import tqdm

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


def load_hu_prepared(path: Path) -> Prepared:
    """The :class:`~paperlib.data.cache.Prepared` set of a prepared HU ``.npz`` (its intensity is set by the caller)."""
    return Prepared(*read_prepared(path), path=path)
