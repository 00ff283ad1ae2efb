"""Write super-resolved CT slices back as a DICOM series (a *derived CT image*).

Each output file is a copy of its source CT slice's header with:

* a new SeriesInstanceUID (one for the whole series) and new SOPInstanceUIDs;
  StudyInstanceUID, FrameOfReferenceUID and patient data are kept, so viewers
  show the SR series next to the original in the same study and space;
* ``ImageType = DERIVED\\SECONDARY[\\...]``, a DerivationDescription (model, scale,
  weights SHA-256, "not for diagnosis") and a SourceImageSequence referencing
  the original slice;
* ``SeriesNumber = original + 1000`` and a new SeriesDescription;
* Rows/Columns multiplied and PixelSpacing divided by the scale, and the
  ImagePositionPatient moved to the centre of the new first pixel:
  ``ipp - (PixelSpacing[1]/2)(1 - 1/s) * row_dir - (PixelSpacing[0]/2)(1 - 1/s) * col_dir``
  (``row_dir`` = first ImageOrientationPatient triplet = direction of increasing
  column index); orientation and SliceThickness unchanged;
* HU stored as signed 16-bit with RescaleSlope 1 / RescaleIntercept -1024
  (rounded and clipped to what fits), explicit VR little endian, uncompressed.

Tags describing the old stored values (pixel padding, smallest/largest pixel
value, modality LUT sequence, icon image, private tags) are removed.
"""

from __future__ import annotations

import copy
import datetime as _dt
import os
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from ..errors import DataError

#: Stored value = HU - OUTPUT_INTERCEPT, in int16.
OUTPUT_INTERCEPT = -1024
_INT16 = np.iinfo(np.int16)
#: Tags that describe the source's stored pixel values and would be wrong after re-encoding.
_STALE_TAGS = (
    "PixelPaddingValue",
    "PixelPaddingRangeLimit",
    "SmallestImagePixelValue",
    "LargestImagePixelValue",
    "SmallestPixelValueInSeries",
    "LargestPixelValueInSeries",
    "ModalityLUTSequence",
    "IconImageSequence",
    "RescaleType",
    "FloatPixelData",
    "DoubleFloatPixelData",
    "PixelDataProviderURL",
    "ExtendedOffsetTable",
    "ExtendedOffsetTableLengths",
    "NumberOfFrames",
)


def sr_file_name(scale, index: int) -> str:
    """File name of slice ``index`` of an SR series: ``SR_x{scale}_{index:04d}.dcm``."""
    s = int(scale) if float(scale).is_integer() else scale
    return f"SR_x{s}_{index:04d}.dcm"


def _ds(value) -> "object":
    from pydicom.valuerep import DSfloat

    return DSfloat(float(value), auto_format=True)


def _derivation_description(model_name: str, scale, weights_sha256: str) -> str:
    text = (
        f"Super-resolved x{scale:g} by {model_name} (weights sha256 {weights_sha256}) with paperlib; "
        f"research use only, not for diagnosis."
    )
    return text[:1024]  # ST


def shifted_position(ipp: Sequence[float], iop: Sequence[float], pixel_spacing: Sequence[float], scale) -> np.ndarray:
    """ImagePositionPatient of the first pixel of a grid ``scale`` times finer covering the same area."""
    ipp = np.asarray([float(v) for v in ipp])
    row_dir = np.asarray([float(v) for v in iop[:3]])
    col_dir = np.asarray([float(v) for v in iop[3:6]])
    f = 1.0 - 1.0 / float(scale)
    return ipp - (float(pixel_spacing[1]) / 2.0) * f * row_dir - (float(pixel_spacing[0]) / 2.0) * f * col_dir


def _encode(sr_hu: np.ndarray) -> np.ndarray:
    stored = np.rint(np.asarray(sr_hu, dtype=np.float64)) - OUTPUT_INTERCEPT
    return np.clip(stored, _INT16.min, _INT16.max).astype("<i2")


def _build_sr_dataset(
    sr_hu, source, scale, model_name: str, weights_sha256: str, series_uid: str, series_description: str | None
):
    import pydicom

    sr_hu = np.asarray(sr_hu)
    exp = _checked_shape(sr_hu, source, scale)
    s = float(scale)
    ds = copy.deepcopy(source)
    if "PixelData" in ds:
        del ds.PixelData
    ds.remove_private_tags()
    for kw in _STALE_TAGS:
        if kw in ds:
            delattr(ds, kw)
    sop_class = str(source.get("SOPClassUID", "") or pydicom.uid.CTImageStorage)
    sop_uid = _set_identity(ds, source, sop_class, series_uid, model_name, s, weights_sha256, series_description)
    _set_geometry(ds, source, exp, s)
    _set_pixels(ds, sr_hu)
    ds.file_meta = _file_meta(sop_class, sop_uid)
    ds.preamble = b"\x00" * 128
    return ds


def _checked_shape(sr_hu: np.ndarray, source, scale) -> tuple[int, int]:
    """The SR slice's expected (rows, cols); DataError if ``sr_hu`` is not that finite 2-D array."""
    if sr_hu.ndim != 2:
        raise DataError(
            f"SR slice for source {source.get('SOPInstanceUID', '?')} has shape {sr_hu.shape}; expected 2-D"
        )
    if not np.isfinite(sr_hu).all():
        raise DataError(f"SR slice for source {source.get('SOPInstanceUID', '?')} contains NaN/inf")
    rows, cols = int(source.Rows), int(source.Columns)
    s = float(scale)
    exp = (int(round(rows * s)), int(round(cols * s)))
    if sr_hu.shape != exp:
        raise DataError(f"SR slice has shape {sr_hu.shape} but source {rows}x{cols} at x{scale:g} needs {exp}")
    return exp


def _set_identity(
    ds,
    source,
    sop_class: str,
    series_uid: str,
    model_name: str,
    s: float,
    weights_sha256: str,
    series_description: str | None,
) -> str:
    """New SOP/series identity, derived image type and reference to the source; returns the SOPInstanceUID."""
    from pydicom.dataset import Dataset
    from pydicom.sequence import Sequence as DicomSequence
    from pydicom.uid import generate_uid

    sop_uid = generate_uid()
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = sop_uid
    ds.SeriesInstanceUID = series_uid
    # StudyInstanceUID, FrameOfReferenceUID, patient module: kept from the copy.
    orig_type = [str(v) for v in (source.get("ImageType") or [])]
    ds.ImageType = ["DERIVED", "SECONDARY"] + (orig_type[2:] if len(orig_type) > 2 else ["AXIAL"])
    ds.DerivationDescription = _derivation_description(model_name, s, weights_sha256)
    ref = Dataset()
    ref.ReferencedSOPClassUID = sop_class
    ref.ReferencedSOPInstanceUID = str(source.SOPInstanceUID)
    ds.SourceImageSequence = DicomSequence([ref])
    try:
        sn = int(source.get("SeriesNumber"))
    except (TypeError, ValueError):
        sn = 0
    ds.SeriesNumber = sn + 1000
    if series_description is None:
        base = str(source.get("SeriesDescription", "") or "CT")
        series_description = f"SR x{s:g} {model_name} {base}"
    ds.SeriesDescription = series_description[:64]  # LO
    now = _dt.datetime.now()
    ds.InstanceCreationDate = now.strftime("%Y%m%d")
    ds.InstanceCreationTime = now.strftime("%H%M%S")
    return sop_uid


def _set_geometry(ds, source, exp: tuple[int, int], s: float) -> None:
    """Rows/Columns, PixelSpacing divided by the scale, ImagePositionPatient of the first SR pixel."""
    ds.Rows, ds.Columns = exp
    if "PixelSpacing" in source:
        ps = [float(v) for v in source.PixelSpacing]
        ds.PixelSpacing = [_ds(ps[0] / s), _ds(ps[1] / s)]
        if "ImagePositionPatient" in source and "ImageOrientationPatient" in source:
            new = shifted_position(source.ImagePositionPatient, source.ImageOrientationPatient, ps, s)
            ds.ImagePositionPatient = [_ds(v) for v in new]


def _set_pixels(ds, sr_hu: np.ndarray) -> None:
    """Pixels as signed 16-bit HU - intercept, with the matching pixel module."""
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated = 16
    ds.BitsStored = 16
    ds.HighBit = 15
    ds.PixelRepresentation = 1
    ds.RescaleIntercept = _ds(OUTPUT_INTERCEPT)
    ds.RescaleSlope = _ds(1)
    if "PlanarConfiguration" in ds:
        del ds.PlanarConfiguration
    ds.PixelData = _encode(sr_hu).tobytes()
    ds["PixelData"].VR = "OW"


def _file_meta(sop_class: str, sop_uid: str):
    from pydicom.dataset import FileMetaDataset
    from pydicom.uid import PYDICOM_IMPLEMENTATION_UID, ExplicitVRLittleEndian

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = sop_uid
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID
    return meta


def _save(ds, path: Path) -> None:
    try:
        ds.save_as(path, enforce_file_format=True, implicit_vr=False, little_endian=True)
    except TypeError:  # pydicom < 3
        ds.is_implicit_VR = False
        ds.is_little_endian = True
        ds.save_as(path, write_like_original=False)


def write_sr_slice(
    sr_hu: np.ndarray,
    source_dataset,
    path: str | os.PathLike,
    scale,
    model_name: str,
    weights_sha256: str,
    series_uid: str | None = None,
    series_description: str | None = None,
    overwrite: bool = False,
) -> Path:
    """Write one super-resolved slice (float HU, shape = source size x ``scale``) as a derived CT DICOM file.

    ``source_dataset`` is the original slice's header; ``series_uid`` the SR
    series' SeriesInstanceUID (a new one when None).  Raises :class:`DataError`
    naming the file if it exists and ``overwrite`` is False.
    """
    from pydicom.uid import generate_uid

    path = Path(path)
    if path.exists() and not overwrite:
        raise DataError(f"{path}: already exists; pass overwrite=True to replace it")
    ds = _build_sr_dataset(
        sr_hu, source_dataset, scale, model_name, weights_sha256, series_uid or generate_uid(), series_description
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    _save(ds, path)
    return path


def write_sr_series(
    sr_hu_slices: Iterable[np.ndarray],
    source_datasets: Sequence,
    out_dir: str | os.PathLike,
    scale,
    model_name: str,
    weights_sha256: str,
    series_description: str | None = None,
    overwrite: bool = False,
) -> list[Path]:
    """Write a super-resolved series (one SR slice per source slice, same order) into ``out_dir``.

    ``sr_hu_slices`` may be a generator (consumed one slice at a time).  All
    slices share one new SeriesInstanceUID; files are ``SR_x{scale}_{i:04d}.dcm``.
    Before anything is written, every target name is checked: if one exists and
    ``overwrite`` is False a :class:`DataError` names it and nothing is touched.
    Raises :class:`DataError` when the number of SR slices differs from the sources.
    """
    from pydicom.uid import generate_uid

    sources = list(source_datasets)
    if not sources:
        raise DataError("write_sr_series: no source datasets given")
    out_dir = Path(out_dir)
    paths = [out_dir / sr_file_name(scale, i) for i in range(len(sources))]
    if not overwrite:
        for p in paths:
            if p.exists():
                raise DataError(f"{p}: already exists; pass overwrite=True to replace the SR series in {out_dir}")
    out_dir.mkdir(parents=True, exist_ok=True)
    series_uid = generate_uid()
    written: list[Path] = []
    it = iter(sr_hu_slices)
    for i, (src, path) in enumerate(zip(sources, paths)):
        try:
            sr = next(it)
        except StopIteration:
            raise DataError(
                f"write_sr_series: got {i} SR slices for {len(sources)} source slices "
                f"({len(written)} files written to {out_dir})"
            ) from None
        written.append(
            write_sr_slice(
                sr, src, path, scale, model_name, weights_sha256, series_uid, series_description, overwrite=True
            )
        )
    extra = next(it, None)
    if extra is not None:
        raise DataError(
            f"write_sr_series: more SR slices than the {len(sources)} source slices "
            f"({len(written)} files written to {out_dir})"
        )
    return written
