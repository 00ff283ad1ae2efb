"""NIH DeepLesion 16-bit PNG slices in Hounsfield units.

Layout (as distributed by the NIH): ``<root>/Images_png/<patient>_<study>_<series>/<slice>.png``
with ``HU = value - 32768`` and, when downloaded, ``<root>/DL_info.csv`` (one row per
annotated lesion; columns include ``File_name`` like ``000001_01_01_109.png``,
``Patient_index``, ``Train_Val_Test`` (1 train, 2 val, 3 test) and ``DICOM_windows``
like ``"-175, 275"``).

With ``DL_info.csv`` the official patient-level split is used (every slice of a
series folder takes the split of its annotated key slices; folders absent from the
CSV belong to no split).  Without it, series folders are split deterministically
from a seed with :func:`paperlib.data.hu_sets.patient_split` -- by patient, taken
from the folder name ``<patient>_<study>_<series>`` when it has that form, else the
whole folder name (so a local sample's ``series_a`` is its own "patient").
"""

from __future__ import annotations

import csv
import os
import re
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import DataError, DatasetNotFoundError
from .splits import check_split, patient_split

#: DeepLesion stores HU + 32768 in unsigned 16-bit PNGs.
DEEPLESION_OFFSET = 32768
SPLIT_CODES = {1: "train", 2: "val", 3: "test"}
DEEPLESION_URL = "https://nihcc.app.box.com/v/DeepLesion"
_FOLDER_RE = re.compile(r"^(\d+)_(\d+)_(\d+)$")
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_COLOR_TYPES = {0: "grayscale", 2: "RGB", 3: "palette", 4: "grayscale+alpha", 6: "RGBA"}


def _png_header(path: Path) -> tuple[int, int, int, int]:
    """(width, height, bit_depth, colour_type) from the IHDR chunk; DataError if not a PNG."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(33)
    except OSError as exc:
        raise DataError(f"{path}: cannot read file: {exc}") from exc
    if len(head) < 33 or head[:8] != _PNG_MAGIC or head[12:16] != b"IHDR":
        raise DataError(f"{path}: not a PNG file (or truncated before its header)")
    width, height, bit_depth, colour_type = struct.unpack(">IIBB", head[16:26])
    return width, height, bit_depth, colour_type


def read_deeplesion_png(path: str | os.PathLike) -> np.ndarray:
    """Read a DeepLesion 16-bit PNG slice as float32 HU (``value - 32768``), shape (H, W).

    Raises :class:`DataError` naming the file when it is not a 16-bit
    single-channel (grayscale) PNG -- the message gives the actual bit depth and
    colour type -- or when it is truncated/corrupt.
    """
    from PIL import Image, ImageFile

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"DeepLesion PNG not found: {path}")
    width, height, bit_depth, colour_type = _png_header(path)
    if bit_depth != 16 or colour_type != 0:
        raise DataError(
            f"{path}: DeepLesion slices must be 16-bit single-channel PNGs (HU + 32768); "
            f"this one is {bit_depth}-bit {_COLOR_TYPES.get(colour_type, f'colour type {colour_type}')}"
        )
    saved = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = False  # a truncated slice must fail, never load half-grey
    try:
        with Image.open(path) as im:
            im.load()
            mode = im.mode
            arr = np.array(im)
    except (OSError, SyntaxError, ValueError, zlib.error, struct.error) as exc:
        raise DataError(f"{path}: corrupt or truncated PNG ({type(exc).__name__}: {exc})") from exc
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = saved
    if arr.ndim != 2 or arr.shape != (height, width):
        raise DataError(f"{path}: decoded to shape {arr.shape} (mode {mode}), expected ({height}, {width})")
    return (arr.astype(np.int32) - DEEPLESION_OFFSET).astype(np.float32)


def parse_dicom_window(text: str) -> tuple[float, float] | None:
    """DL_info ``DICOM_windows`` ``"lo, hi"`` -> ``(width, level)`` as used by :mod:`paperlib.data.hu`."""
    try:
        lo, hi = (float(v) for v in str(text).split(",")[:2])
    except ValueError:
        return None
    if hi <= lo:
        return None
    return hi - lo, (hi + lo) / 2.0


@dataclass(frozen=True)
class DeepLesionSlice:
    """One PNG slice: path, series folder name, patient id, split (or None) and DICOM window (or None)."""

    path: Path
    series: str
    patient_id: str
    split: str | None
    window: tuple[float, float] | None = None


class DeepLesion:
    """Index of DeepLesion slices under ``root`` (default ``<data_root>/deeplesion``).

    ``slices(split)`` lists :class:`DeepLesionSlice` for 'train' / 'val' / 'test'
    or 'all'.  ``fractions`` and ``seed`` define the fallback split used only
    when ``DL_info.csv`` is absent.
    """

    def __init__(
        self,
        root: str | os.PathLike | None = None,
        seed: int = 0,
        fractions: tuple[float, float, float] = (0.8, 0.1, 0.1),
    ):
        if root is None:
            from ..config import data_root

            root = data_root() / "deeplesion"
        self.root = Path(root)
        self.image_dir = self.root / "Images_png"
        if not self.image_dir.is_dir():
            raise DatasetNotFoundError(
                f"DeepLesion not found: looked for {self.image_dir} (expected Images_png/<patient>_<study>_<series>/"
                f"<slice>.png and DL_info.csv). Download DeepLesion from the NIH Clinical Center: {DEEPLESION_URL}"
            )
        self.seed = seed
        self.fractions = tuple(fractions)
        self.info_csv = self.root / "DL_info.csv"
        self.has_info = self.info_csv.is_file()
        self._slices = self._index()

    @staticmethod
    def patient_of_folder(folder: str) -> str:
        """Patient id of a series folder ``<patient>_<study>_<series>`` (the folder name otherwise)."""
        m = _FOLDER_RE.match(folder)
        return m.group(1) if m else folder

    def _read_info(self) -> dict[str, tuple[str, str | None, tuple[float, float] | None]]:
        out: dict[str, tuple[str, str | None, tuple[float, float] | None]] = {}
        with open(self.info_csv, newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            missing = {"File_name", "Train_Val_Test"} - set(reader.fieldnames or [])
            if missing:
                raise DataError(f"{self.info_csv}: missing column(s) {sorted(missing)}")
            for row in reader:
                name = row["File_name"].strip()
                folder = name.rsplit("_", 1)[0]
                try:
                    split = SPLIT_CODES.get(int(float(row["Train_Val_Test"])))
                except ValueError:
                    split = None
                patient = str(row.get("Patient_index", "") or "").strip() or self.patient_of_folder(folder)
                window = parse_dicom_window(row.get("DICOM_windows", ""))
                if folder not in out:
                    out[folder] = (patient, split, window)
        return out

    def _index(self) -> list[DeepLesionSlice]:
        folders = sorted(p for p in self.image_dir.iterdir() if p.is_dir())
        if self.has_info:
            info = self._read_info()
        else:
            patients = {f.name: self.patient_of_folder(f.name) for f in folders}
            parts = patient_split(sorted(set(patients.values())), self.fractions, self.seed)
            split_of = {pid: name for name, ids in parts.items() for pid in ids}
            info = {f: (pid, split_of.get(pid), None) for f, pid in patients.items()}
        slices = []
        for folder in folders:
            patient, split, window = info.get(folder.name, (self.patient_of_folder(folder.name), None, None))
            for png in sorted(folder.glob("*.png"), key=lambda p: (len(p.stem), p.stem)):
                slices.append(DeepLesionSlice(png, folder.name, patient, split, window))
        return slices

    def slices(self, split: str = "all") -> list[DeepLesionSlice]:
        """Slices of one split ('train', 'val', 'test') or 'all', ordered by folder then slice number."""
        if split == "all":
            return list(self._slices)
        check_split(split, what="DeepLesion split")
        return [s for s in self._slices if s.split == split]

    def __len__(self) -> int:
        return len(self._slices)

    def load(self, item: DeepLesionSlice | int) -> np.ndarray:
        """float32 HU of a slice (given as a :class:`DeepLesionSlice` or an index into ``slices('all')``)."""
        if isinstance(item, int):
            item = self._slices[item]
        return read_deeplesion_png(item.path)
