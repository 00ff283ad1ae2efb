"""CT DICOM reading in Hounsfield units.

* :func:`read_dicom_hu` reads one single-frame CT slice and returns float32 HU
  (the modality LUT -- RescaleSlope/RescaleIntercept or a Modality LUT
  Sequence -- is applied first, for int16 and uint16 storage alike).
* :func:`find_series` walks a folder of any depth (TCIA/NBIA layouts have
  spaces in folder names) reading headers only, groups files by
  SeriesInstanceUID and orders each series along the slice normal.
* :func:`load_series` stacks a series into a ``[Z, H, W]`` float32 volume;
  :func:`iter_slices_hu` yields one slice at a time to stay memory-bounded.
* :func:`validate_series` decodes every slice of a series once, so a caller
  that writes output (``paperlib upscale``) can refuse bad input before
  writing anything.

Every problem with a file raises :class:`~paperlib.errors.DataError` naming the file.

Input policy for a folder (:func:`find_series`, and ``paperlib upscale`` on a folder):

* Files with a DICOM suffix (``.dcm``, ``.dicom``, ``.ima``, ``.dic``) or the
  ``DICM`` magic are candidates; other files (XML annotations, LICENSE, notes)
  are ignored.  A candidate that is not readable DICOM -- not DICOM at all,
  header cut short, or smaller than its own uncompressed pixel data -- is an
  error: ``<path>: not a readable DICOM file (<why>)``.  With
  ``skip_invalid=True`` (``--skip-invalid``) it is skipped instead, with one
  reported line naming it.  ``paperlib upscale`` also decodes every slice
  (:func:`validate_series`) before it writes anything, so a file cut by a few
  bytes is refused (or skipped) the same way and never leaves half an output.
* Non-image objects -- RTSTRUCT, SEG, RTPLAN, RTDOSE, SR, PR, KO, REG...: a SOP
  class that is not an image storage class, a non-image modality, or no
  PixelData -- are skipped with one reported line per kind, giving their
  count, kind and paths: ``skipped 1 non-image DICOM object (RTSTRUCT): <path>``.
* ``find_series(modality="CT")`` leaves out image series of other modalities
  with one reported line each; ``paperlib upscale`` lists all modalities and
  refuses a non-CT series (HU are defined for CT only) unless its modality is
  accepted with ``--accept-modality MODALITY``.

"Reported" lines go to ``report`` (a callable taking one line); the default,
:func:`stderr_report`, prints ``paperlib: <line>`` to stderr.  None of this uses
Python warnings, which are easy to miss or filter away (only the notice about
files repeating a SOPInstanceUID still is one, see ``warn_duplicates``).
"""

from __future__ import annotations

import logging
import os
import sys
import warnings
from collections import defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from ..errors import DataError

log = logging.getLogger(__name__)

#: File suffixes that are expected to be DICOM even without the ``DICM`` magic.
DICOM_SUFFIXES = {".dcm", ".dicom", ".ima", ".dic"}

#: Modalities of DICOM objects that carry no image to super-resolve (structure sets,
#: segmentations, plans, dose grids, reports, presentation states, key objects, registrations...).
NON_IMAGE_MODALITIES = frozenset(
    {
        "RTSTRUCT",
        "RTPLAN",
        "RTRECORD",
        "RTDOSE",
        "SEG",
        "SR",
        "PR",
        "KO",
        "REG",
        "DOC",
        "FID",
        "RWV",
        "PLAN",
        "AU",
        "ECG",
        "HD",
    }
)

#: A reporter takes one line of text (no newline).
Reporter = Callable[[str], None]


def stderr_report(line: str) -> None:
    """Default reporter: print ``paperlib: <line>`` to stderr (one line, flushed)."""
    print(f"paperlib: {line}", file=sys.stderr, flush=True)


_NOT_DICOM = "not DICOM: no 'DICM' prefix or file meta header"


def _unreadable(path, why: str) -> DataError:
    return DataError(f"{path}: not a readable DICOM file ({why})")


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
    path = Path(path)
    ds = _read_dataset(path)
    _check_single_ct_slice(ds, path, allow_non_ct)
    return _decode_hu(ds, path), ds


def _read_dataset(path: Path):
    """The pydicom Dataset of ``path``; a missing, non-DICOM or unparseable file is an error naming it."""
    pydicom = _pydicom()
    from pydicom.errors import InvalidDicomError

    if not path.is_file():
        raise FileNotFoundError(f"DICOM file not found: {path}")
    try:
        return pydicom.dcmread(path)
    except InvalidDicomError as exc:
        raise _unreadable(path, _NOT_DICOM) from exc
    except Exception as exc:  # EOFError, struct/ValueError on truncated headers...
        raise _unreadable(path, f"corrupt or truncated: {type(exc).__name__}: {exc}") from exc


def _check_single_ct_slice(ds, path: Path, allow_non_ct: bool) -> None:
    """Raise :class:`DataError` unless ``ds`` holds one single-channel image frame of a CT (or, with
    ``allow_non_ct``, of any modality)."""
    if "PixelData" not in ds:
        extra = (
            " (float pixel data is not supported)" if ("FloatPixelData" in ds or "DoubleFloatPixelData" in ds) else ""
        )
        raise DataError(
            f"{path}: DICOM file has no PixelData{extra} (not an image object, or truncated); "
            f"SOP class {ds.get('SOPClassUID', '?')}, modality {ds.get('Modality', '?')}"
        )
    modality = str(ds.get("Modality", "")).upper()
    if modality != "CT" and not allow_non_ct:
        raise DataError(
            f"{path}: modality is {modality or 'missing'!r}, not 'CT'; "
            f"HU are only defined for CT (pass allow_non_ct=True to read it anyway)"
        )
    n_frames = _is_multiframe(ds)
    if n_frames > 1:
        raise DataError(
            f"{path}: multi-frame DICOM ({n_frames} frames) is not supported; "
            f"only single-frame slices (classic CT Image Storage) can be read"
        )
    spp = int(ds.get("SamplesPerPixel", 1) or 1)
    if spp != 1:
        raise DataError(
            f"{path}: {spp} samples per pixel ({ds.get('PhotometricInterpretation', '?')}); "
            f"a CT slice must be single-channel"
        )


def _decode_hu(ds, path: Path) -> np.ndarray:
    """Decode the pixel data of ``ds`` and apply its modality LUT: float32 HU, finite, ``(Rows, Columns)``."""
    try:
        arr = ds.pixel_array
    except Exception as exc:
        ts = ds.file_meta.get("TransferSyntaxUID", "?") if hasattr(ds, "file_meta") else "?"
        raise _unreadable(
            path,
            f"cannot decode its pixel data, transfer syntax {ts}: truncated file or "
            f"missing decoder such as pylibjpeg/gdcm; {type(exc).__name__}: {exc}",
        ) from exc
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
    return hu


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


#: Values longer than this are not loaded by :func:`read_dicom_header` (PixelData is seen, not read).
_DEFER_BYTES = 1024
#: At most this many paths are listed in one "skipped ... non-image" line.
_LIST_MAX = 10


def _native_pixel_bytes(ds) -> int:
    """Bytes the PixelData of ``ds`` takes uncompressed (0 when unknown, compressed or deflated)."""
    if "PixelData" not in ds:
        return 0
    from pydicom.uid import UID

    meta = getattr(ds, "file_meta", None)
    ts = meta.get("TransferSyntaxUID") if meta is not None else None
    if ts is not None and (UID(ts).is_encapsulated or UID(ts).is_deflated):
        return 0
    try:
        n = int(ds.Rows) * int(ds.Columns) * int(ds.get("SamplesPerPixel", 1) or 1) * _is_multiframe(ds)
        return (n * int(ds.BitsAllocated) + 7) // 8
    except (AttributeError, TypeError, ValueError):
        return 0


def _sop_class_name(ds) -> str:
    """pydicom's name of the SOPClassUID (``'CT Image Storage'``), or ``''`` when missing or unknown."""
    from pydicom.uid import UID

    sop = str(ds.get("SOPClassUID", "") or "").strip()
    name = UID(sop).name if sop else ""
    return "" if name == sop else name


def read_dicom_header(path: str | os.PathLike):
    """Read a DICOM file without loading its pixel data, or raise :class:`DataError` naming it.

    The error reads ``<path>: not a readable DICOM file (<why>)``: not DICOM (no file meta
    header / ``DICM`` prefix), a header that cannot be parsed (truncated or corrupt), no
    SeriesInstanceUID, an image SOP class (``... Image Storage``) without PixelData (cut
    before the pixels), or a file smaller than its own uncompressed pixel data (truncated).
    ``"PixelData" in ds`` tells whether the object has pixel data (its value is deferred,
    not read), which :func:`non_image_kind` uses.  Decoding errors past these checks are
    only found by :func:`read_dicom_hu` / :func:`validate_series`.
    """
    pydicom = _pydicom()
    from pydicom.errors import InvalidDicomError

    path = Path(path)
    try:
        ds = pydicom.dcmread(path, defer_size=_DEFER_BYTES)
    except InvalidDicomError as exc:
        raise _unreadable(path, _NOT_DICOM) from exc
    except OSError as exc:
        if exc.errno is None:  # pydicom's "No tag to read at file position ...": cut inside an element
            raise _unreadable(path, f"corrupt or truncated header: {exc}") from exc
        raise _unreadable(path, f"cannot be read: {type(exc).__name__}: {exc.strerror or exc}") from exc
    except Exception as exc:  # EOFError, struct/ValueError/OverflowError on cut or garbled headers
        raise _unreadable(path, f"corrupt or truncated header: {type(exc).__name__}: {exc}") from exc
    if "SeriesInstanceUID" not in ds:
        raise _unreadable(path, "no SeriesInstanceUID")
    sop_name = _sop_class_name(ds)
    if "Image Storage" in sop_name and "PixelData" not in ds:
        raise _unreadable(path, f"no PixelData although its SOP class is {sop_name}: truncated before the pixels?")
    need = _native_pixel_bytes(ds)
    if need:
        size = path.stat().st_size
        if size < need:
            raise _unreadable(
                path, f"truncated: the file has {size} bytes but its uncompressed pixel data alone needs {need}"
            )
    return ds


def non_image_kind(ds) -> str | None:
    """What kind of non-image object ``ds`` is (e.g. ``'RTSTRUCT'``), or ``None`` for an image.

    Not an image: a modality in :data:`NON_IMAGE_MODALITIES` (RTSTRUCT, SEG, RTPLAN, RTDOSE,
    SR, PR, KO, REG...), a SOP class known to pydicom whose name is not ``... Image Storage``
    (the kind is then the Modality, or the SOP class name), or, for an unknown SOP class, no
    Rows / PixelData (kind e.g. ``'OT, no PixelData'``; an image SOP class without PixelData is
    a broken file, refused by :func:`read_dicom_header`). ``ds`` must have been read with its PixelData
    element (deferred is enough: :func:`read_dicom_header`), not with ``stop_before_pixels``.
    """
    modality = str(ds.get("Modality", "") or "").strip().upper()
    sop_name = _sop_class_name(ds)
    if modality in NON_IMAGE_MODALITIES:
        return modality
    if sop_name and "Image Storage" not in sop_name:
        return modality or sop_name
    if "Rows" not in ds or "PixelData" not in ds:
        return f"{modality or sop_name or 'unknown'}, no PixelData"
    return None


def find_series(
    root: str | os.PathLike,
    modality: str | None = "CT",
    warn_duplicates: bool = True,
    skip_invalid: bool = False,
    report: Reporter | None = None,
) -> list[SeriesInfo]:
    """Find the image series under ``root`` (any depth), reading headers only.

    Files are grouped by SeriesInstanceUID and ordered by ImagePositionPatient
    projected on the slice normal (InstanceNumber when positions are missing).
    Only files with a ``.dcm``-like suffix or the ``DICM`` magic are considered
    (see the module docstring for the whole policy):

    * an unreadable one (:func:`read_dicom_header`) raises :class:`DataError`
      ``<path>: not a readable DICOM file (...)`` before anything is reported;
      with ``skip_invalid=True`` it is left out with one ``report`` line naming it;
    * non-image objects (:func:`non_image_kind`: RTSTRUCT, SEG, SR, no PixelData...)
      are left out with one ``report`` line per kind (count, kind and paths);
    * ``modality`` keeps only that modality (``None``: all); each image series of
      another modality is left out with one ``report`` line naming its modality
      and folder.

    ``report`` takes one line (default :func:`stderr_report`).  Files repeating a
    SOPInstanceUID already seen in the series are dropped (with a warning
    unless ``warn_duplicates=False``).
    Series are returned sorted by (patient, study, series number, uid).
    """
    report = report or stderr_report
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"DICOM folder not found: {root}")
    scan = _scan_headers(root, modality)
    _report_left_out(scan, root, modality, skip_invalid, report)
    duplicates: list[str] = []
    series = [_series_of(uid, items, duplicates) for uid, items in scan.groups.items()]
    if duplicates and warn_duplicates:
        warnings.warn(
            f"find_series({root}): ignored {len(duplicates)} duplicate file(s): " + "; ".join(duplicates), stacklevel=2
        )
    series.sort(
        key=lambda s: (s.patient_id, s.study_uid, s.series_number if s.series_number is not None else -1, s.uid)
    )
    return series


@dataclass
class _Scan:
    """What :func:`_scan_headers` found under a root, before any reporting."""

    groups: dict = field(default_factory=lambda: defaultdict(list))  # uid -> [(path, header)]
    unreadable: list = field(default_factory=list)  # DataError per unreadable file
    non_image: dict = field(default_factory=lambda: defaultdict(list))  # kind -> [path]
    other_modality: dict = field(default_factory=lambda: defaultdict(list))  # uid -> [path]
    other_name: dict = field(default_factory=dict)  # uid -> its modality


def _scan_headers(root: Path, modality: str | None) -> _Scan:
    """Read the header of every DICOM-looking file under ``root`` and sort it into a :class:`_Scan`."""
    scan = _Scan()
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            p = Path(dirpath) / name
            if name.upper() == "DICOMDIR" or not _looks_like_dicom(p):
                continue
            try:
                ds = read_dicom_header(p)
            except DataError as exc:
                scan.unreadable.append(exc)
                continue
            kind = non_image_kind(ds)
            if kind is not None:
                scan.non_image[kind].append(p)
                continue
            uid = str(ds.SeriesInstanceUID)
            mod = str(ds.get("Modality", "") or "").strip().upper()
            if modality is not None and mod != modality.upper():
                scan.other_modality[uid].append(p)
                scan.other_name[uid] = mod
                continue
            scan.groups[uid].append((p, ds))
    return scan


def _report_left_out(scan: _Scan, root: Path, modality: str | None, skip_invalid: bool, report: Reporter) -> None:
    """Raise on unreadable files (unless ``skip_invalid``); one ``report`` line per kind of file left out."""
    unreadable = scan.unreadable
    if unreadable and not skip_invalid:
        more = f"; {len(unreadable) - 1} more unreadable file(s) under {root}" if len(unreadable) > 1 else ""
        raise DataError(f"{unreadable[0]}{more}; skip_invalid=True (--skip-invalid) skips unreadable files")
    for exc in unreadable:
        report(f"skipped {exc}")
    for kind, paths in sorted(scan.non_image.items()):
        n = len(paths)
        listed = ", ".join(str(q) for q in paths[:_LIST_MAX]) + (
            f" (and {n - _LIST_MAX} more)" if n > _LIST_MAX else ""
        )
        report(f"skipped {n} non-image DICOM object{'' if n == 1 else 's'} ({kind}): {listed}")
    for uid, paths in sorted(scan.other_modality.items(), key=lambda kv: str(kv[1][0])):
        report(
            f"left out a {scan.other_name[uid] or 'no-modality'!r} series of {len(paths)} file(s) "
            f"(only {modality.upper()} is read here): {paths[0].parent}"
        )


def _drop_duplicates(items, duplicates: list[str]) -> list:
    """``items`` without files repeating a SOPInstanceUID already seen (each appended to ``duplicates``)."""
    seen: dict[str, Path] = {}
    kept = []
    for p, ds in items:
        sop = str(ds.get("SOPInstanceUID", ""))
        if sop and sop in seen:
            duplicates.append(f"{p} (same SOPInstanceUID as {seen[sop]})")
            continue
        seen[sop] = p
        kept.append((p, ds))
    return kept


def _slice_positions(kept) -> list[float]:
    """ImagePositionPatient projected on the slice normal; InstanceNumber when positions are missing."""
    iop = kept[0][1].get("ImageOrientationPatient")
    if iop is not None and len(iop) == 6 and all("ImagePositionPatient" in ds for _, ds in kept):
        normal = np.cross([float(v) for v in iop[:3]], [float(v) for v in iop[3:]])
        return [float(np.dot([float(v) for v in ds.ImagePositionPatient], normal)) for _, ds in kept]
    return [float(ds.get("InstanceNumber", 0) or 0) for _, ds in kept]


def _series_number(first) -> int | None:
    try:
        return int(first.get("SeriesNumber")) if first.get("SeriesNumber") not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _series_of(uid: str, items, duplicates: list[str]) -> SeriesInfo:
    """The :class:`SeriesInfo` of one SeriesInstanceUID's ``(path, header)`` items, ordered along the normal."""
    kept = _drop_duplicates(items, duplicates)
    first = kept[0][1]
    positions = _slice_positions(kept)
    order = sorted(range(len(kept)), key=lambda i: (positions[i], str(kept[i][0])))
    return SeriesInfo(
        uid=uid,
        patient_id=str(first.get("PatientID", "")),
        description=str(first.get("SeriesDescription", "")),
        files=tuple(kept[i][0] for i in order),
        orientation=orientation_from_iop(first.get("ImageOrientationPatient")),
        n_slices=len(kept),
        modality=str(first.get("Modality", "")),
        study_uid=str(first.get("StudyInstanceUID", "")),
        series_number=_series_number(first),
        positions=tuple(positions[i] for i in order),
    )


def _resolve_series(series_or_folder) -> SeriesInfo:
    if isinstance(series_or_folder, SeriesInfo):
        return series_or_folder
    found = find_series(series_or_folder)
    if not found:
        raise DataError(f"{series_or_folder}: no CT series found")
    if len(found) > 1:
        listing = ", ".join(f"{s.patient_id}/{s.description or s.uid} ({s.n_slices})" for s in found)
        raise DataError(
            f"{series_or_folder}: holds {len(found)} series ({listing}); pass one SeriesInfo from find_series() instead"
        )
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
    PixelData removed (enough for :func:`paperlib.data.dicom_write.write_sr_series`).
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


def validate_series(
    info: SeriesInfo, allow_non_ct: bool = False, skip_invalid: bool = False, report: Reporter | None = None
) -> SeriesInfo | None:
    """Decode every slice of ``info`` once, so that bad input is found before any output is written.

    One slice is in memory at a time.  A file that :func:`read_dicom_hu` refuses (pixel data cut
    by a few bytes, undecodable, multi-frame...) or whose size differs from the series' first
    slice raises :class:`DataError` naming it; with ``skip_invalid=True`` it is left out with one
    ``report`` line naming it instead (default reporter :func:`stderr_report`).  Returns the
    series without the skipped files, or ``None`` when none is left.
    """
    report = report or stderr_report
    keep: list[int] = []
    shape = None
    for i, p in enumerate(info.files):
        try:
            hu, _ = read_dicom_hu(p, allow_non_ct=allow_non_ct)
            if shape is not None and hu.shape != shape:
                raise DataError(f"{p}: slice shape {hu.shape} differs from the series' {shape}")
        except (DataError, FileNotFoundError) as exc:
            if not skip_invalid:
                raise
            report(f"skipped {exc}")
            continue
        shape = hu.shape
        keep.append(i)
    if not keep:
        return None
    if len(keep) == len(info.files):
        return info
    return replace(
        info,
        files=tuple(info.files[i] for i in keep),
        n_slices=len(keep),
        positions=tuple(info.positions[i] for i in keep) if info.positions else (),
    )
