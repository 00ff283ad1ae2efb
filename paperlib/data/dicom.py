"""CT DICOM reading in Hounsfield units.

* :func:`read_dicom_hu` reads one single-frame CT slice and returns float32 HU
  (the modality LUT -- RescaleSlope/RescaleIntercept or a Modality LUT
  Sequence -- is applied first, for int16 and uint16 storage alike).
* :func:`find_series` walks a folder of any depth (TCIA/NBIA layouts have
  spaces in folder names) reading headers only, groups files by
  SeriesInstanceUID and orders each series along the slice normal.
* :func:`load_series` stacks a series into a ``[Z, H, W]`` float32 volume;
  :func:`iter_slices_hu` yields one slice at a time to stay memory-bounded.

Every problem with a file raises :class:`~paperlib.errors.DataError` naming the file.
"""
from __future__ import annotations

import logging
import os
import warnings
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import numpy as np

from ..errors import DataError

log = logging.getLogger(__name__)

#: File suffixes that are expected to be DICOM even without the ``DICM`` magic.
DICOM_SUFFIXES = {".dcm", ".dicom", ".ima", ".dic"}


def _pydicom():
    try:
        import pydicom  # noqa: F401
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("reading DICOM needs pydicom: pip install pydicom") from exc
    return pydicom


def _modality_lut(arr: np.ndarray, ds) -> np.ndarray:
    """Apply the modality LUT (slope/intercept or LUT sequence) to stored values."""
    try:
        from pydicom.pixels import apply_modality_lut
    except ImportError:  # pydicom < 3
        from pydicom.pixel_data_handlers.util import apply_modality_lut
    return apply_modality_lut(arr, ds)


def _is_multiframe(ds) -> int:
    try:
        n = int(ds.get("NumberOfFrames", 1) or 1)
    except (TypeError, ValueError):
        n = 1
    return n


def read_dicom_hu(path: str | os.PathLike, allow_non_ct: bool = False):
    """Read one single-frame CT DICOM slice as Hounsfield units.

    Returns ``(hu, ds)``: ``hu`` is a float32 ``(Rows, Columns)`` array after
    the modality LUT (RescaleSlope/RescaleIntercept), ``ds`` the pydicom
    Dataset (with its pixel data).  Raises :class:`DataError` naming the file
    when it is not DICOM, is truncated or corrupt, has no PixelData, is not CT
    (unless ``allow_non_ct=True``), is multi-frame, or is not single-channel.
    Outside-the-scan-field padding (e.g. -2000 raw, -3024 HU on GE scanners)
    is returned as stored; window or clip it downstream.
    """
    pydicom = _pydicom()
    from pydicom.errors import InvalidDicomError

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"DICOM file not found: {path}")
    try:
        ds = pydicom.dcmread(path)
    except InvalidDicomError as exc:
        raise DataError(f"{path}: not a DICOM file ({exc})") from exc
    except Exception as exc:  # EOFError, struct/ValueError on truncated headers...
        raise DataError(f"{path}: corrupt or truncated DICOM file ({type(exc).__name__}: {exc})") from exc

    if "PixelData" not in ds:
        extra = " (float pixel data is not supported)" if ("FloatPixelData" in ds or "DoubleFloatPixelData" in ds) else ""
        raise DataError(f"{path}: DICOM file has no PixelData{extra} (not an image object, or truncated); "
                        f"SOP class {ds.get('SOPClassUID', '?')}, modality {ds.get('Modality', '?')}")
    modality = str(ds.get("Modality", "")).upper()
    if modality != "CT" and not allow_non_ct:
        raise DataError(f"{path}: modality is {modality or 'missing'!r}, not 'CT'; "
                        f"HU are only defined for CT (pass allow_non_ct=True to read it anyway)")
    n_frames = _is_multiframe(ds)
    if n_frames > 1:
        raise DataError(f"{path}: multi-frame DICOM ({n_frames} frames) is not supported; "
                        f"only single-frame slices (classic CT Image Storage) can be read")
    spp = int(ds.get("SamplesPerPixel", 1) or 1)
    if spp != 1:
        raise DataError(f"{path}: {spp} samples per pixel ({ds.get('PhotometricInterpretation', '?')}); "
                        f"a CT slice must be single-channel")
    try:
        arr = ds.pixel_array
    except Exception as exc:
        ts = ds.file_meta.get("TransferSyntaxUID", "?") if hasattr(ds, "file_meta") else "?"
        raise DataError(f"{path}: cannot decode pixel data (transfer syntax {ts}; truncated file or "
                        f"missing decoder such as pylibjpeg/gdcm): {type(exc).__name__}: {exc}") from exc
    rows, cols = int(ds.get("Rows", 0) or 0), int(ds.get("Columns", 0) or 0)
    if arr.ndim != 2 or (rows and cols and arr.shape != (rows, cols)):
        raise DataError(f"{path}: pixel array has shape {arr.shape}, expected ({rows}, {cols})")
    try:
        hu = _modality_lut(arr, ds)
    except Exception as exc:
        raise DataError(f"{path}: invalid modality LUT / rescale tags: {exc}") from exc
    hu = np.ascontiguousarray(hu, dtype=np.float32)
    if not np.isfinite(hu).all():
        raise DataError(f"{path}: non-finite values after the modality LUT")
    return hu, ds


@dataclass(frozen=True)
class SeriesInfo:
    """One image series found by :func:`find_series` (files ordered along the slice normal)."""

    uid: str
    patient_id: str
    description: str
    files: tuple[Path, ...]
    orientation: str  # 'axial' | 'coronal' | 'sagittal' | 'unknown'
    n_slices: int
    modality: str = ""
    study_uid: str = ""
    series_number: int | None = None
    #: Position of each file along the slice normal (mm), or InstanceNumber when positions were missing.
    positions: tuple[float, ...] = field(default=(), repr=False)


def orientation_from_iop(iop) -> str:
    """'axial' / 'coronal' / 'sagittal' from an ImageOrientationPatient (dominant axis of the normal)."""
    if iop is None or len(iop) != 6:
        return "unknown"
    row = np.asarray([float(v) for v in iop[:3]])
    col = np.asarray([float(v) for v in iop[3:]])
    normal = np.cross(row, col)
    if not np.any(normal):
        return "unknown"
    return ("sagittal", "coronal", "axial")[int(np.argmax(np.abs(normal)))]


def _looks_like_dicom(path: Path) -> bool:
    if path.suffix.lower() in DICOM_SUFFIXES:
        return True
    try:
        with open(path, "rb") as fh:
            head = fh.read(132)
    except OSError:
        return False
    return len(head) == 132 and head[128:132] == b"DICM"


def find_series(root: str | os.PathLike, modality: str | None = "CT", warn_duplicates: bool = True) -> list[SeriesInfo]:
    """Find the image series under ``root`` (any depth), reading headers only.

    Files are grouped by SeriesInstanceUID and ordered by ImagePositionPatient
    projected on the slice normal (InstanceNumber when positions are missing).
    Only files with a ``.dcm``-like suffix or the ``DICM`` magic are considered;
    of those, unreadable ones are skipped with one warning listing them.
    ``modality`` keeps only that modality (``None``: all).  Files repeating a
    SOPInstanceUID already seen in the series are dropped (with a warning
    unless ``warn_duplicates=False``).
    Series are returned sorted by (patient, study, series number, uid).
    """
    pydicom = _pydicom()
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"DICOM folder not found: {root}")
    groups: dict[str, list] = defaultdict(list)
    unreadable: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            p = Path(dirpath) / name
            if name.upper() == "DICOMDIR" or not _looks_like_dicom(p):
                continue
            try:
                ds = pydicom.dcmread(p, stop_before_pixels=True)
                uid = str(ds.SeriesInstanceUID)
            except Exception as exc:
                unreadable.append(f"{p} ({type(exc).__name__}: {exc})")
                continue
            if "Rows" not in ds:  # not an image object (SR, RTSTRUCT, presentation state...)
                continue
            if modality is not None and str(ds.get("Modality", "")).upper() != modality.upper():
                continue
            groups[uid].append((p, ds))
    if unreadable:
        warnings.warn(f"find_series({root}): skipped {len(unreadable)} unreadable DICOM file(s): "
                      + "; ".join(unreadable), stacklevel=2)

    series: list[SeriesInfo] = []
    duplicates: list[str] = []
    for uid, items in groups.items():
        seen: dict[str, Path] = {}
        kept = []
        for p, ds in items:
            sop = str(ds.get("SOPInstanceUID", ""))
            if sop and sop in seen:
                duplicates.append(f"{p} (same SOPInstanceUID as {seen[sop]})")
                continue
            seen[sop] = p
            kept.append((p, ds))
        first = kept[0][1]
        iop = first.get("ImageOrientationPatient")
        positions = None
        if iop is not None and len(iop) == 6 and all("ImagePositionPatient" in ds for _, ds in kept):
            normal = np.cross([float(v) for v in iop[:3]], [float(v) for v in iop[3:]])
            positions = [float(np.dot([float(v) for v in ds.ImagePositionPatient], normal)) for _, ds in kept]
        if positions is None:
            positions = [float(ds.get("InstanceNumber", 0) or 0) for _, ds in kept]
        order = sorted(range(len(kept)), key=lambda i: (positions[i], str(kept[i][0])))
        try:
            sn = int(first.get("SeriesNumber")) if first.get("SeriesNumber") not in (None, "") else None
        except (TypeError, ValueError):
            sn = None
        series.append(SeriesInfo(
            uid=uid,
            patient_id=str(first.get("PatientID", "")),
            description=str(first.get("SeriesDescription", "")),
            files=tuple(kept[i][0] for i in order),
            orientation=orientation_from_iop(iop),
            n_slices=len(kept),
            modality=str(first.get("Modality", "")),
            study_uid=str(first.get("StudyInstanceUID", "")),
            series_number=sn,
            positions=tuple(positions[i] for i in order),
        ))
    if duplicates and warn_duplicates:
        warnings.warn(f"find_series({root}): ignored {len(duplicates)} duplicate file(s): " + "; ".join(duplicates),
                      stacklevel=2)
    series.sort(key=lambda s: (s.patient_id, s.study_uid, s.series_number if s.series_number is not None else -1, s.uid))
    return series


def _resolve_series(series_or_folder) -> SeriesInfo:
    if isinstance(series_or_folder, SeriesInfo):
        return series_or_folder
    found = find_series(series_or_folder)
    if not found:
        raise DataError(f"{series_or_folder}: no CT series found")
    if len(found) > 1:
        listing = ", ".join(f"{s.patient_id}/{s.description or s.uid} ({s.n_slices})" for s in found)
        raise DataError(f"{series_or_folder}: holds {len(found)} series ({listing}); "
                        f"pass one SeriesInfo from find_series() instead")
    return found[0]


def iter_slices_hu(series_or_folder, allow_non_ct: bool = False) -> Iterator[tuple[np.ndarray, object]]:
    """Yield ``(hu float32 (H, W), dataset)`` slice by slice, in series order (memory-bounded).

    Accepts a :class:`SeriesInfo` or a folder holding exactly one series.
    """
    info = _resolve_series(series_or_folder)
    for p in info.files:
        yield read_dicom_hu(p, allow_non_ct=allow_non_ct)


def load_series(series_or_folder, allow_non_ct: bool = False):
    """Load a whole series as ``(volume float32 HU [Z, H, W], headers)``.

    ``headers`` are the slices' pydicom Datasets in the same order with their
    PixelData removed (enough for :func:`paperlib.dicom_export.write_sr_series`).
    Raises :class:`DataError` when slices differ in size.
    """
    info = _resolve_series(series_or_folder)
    volume = None
    headers = []
    for z, (p, (hu, ds)) in enumerate(zip(info.files, iter_slices_hu(info, allow_non_ct=allow_non_ct))):
        if volume is None:
            volume = np.empty((info.n_slices,) + hu.shape, dtype=np.float32)
        elif hu.shape != volume.shape[1:]:
            raise DataError(f"{p}: slice shape {hu.shape} differs from the series' {volume.shape[1:]}")
        volume[z] = hu
        del ds.PixelData
        headers.append(ds)
    return volume, headers
