"""Reading 8-bit figure images (COVID-CT) as grayscale, with clear errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import DataError


def read_gray_u8(path) -> np.ndarray:
    """Read an 8-bit PNG/JPG (L, LA, P, RGB or RGBA) as an H x W uint8 grayscale array.

    Colour is converted with ITU-R 601-2 luma (PIL's ``convert("L")``); an alpha channel is
    dropped (COVID-CT RGBA figures are opaque). 16-bit or float images are rejected: they are
    HU data and belong to the DeepLesion/DICOM loaders, and squeezing them into 8 bits would
    silently lose precision.

    Raises:
        DataError: naming the file, when it is missing, truncated/corrupt or not 8-bit.
    """
    from PIL import Image, UnidentifiedImageError

    p = Path(path)
    if not p.is_file():
        raise DataError(f"{p}: image file not found")
    try:
        with Image.open(p) as im:
            mode = im.mode
            if mode in ("I;16", "I;16B", "I;16L", "I", "F"):
                raise DataError(
                    f"{p}: {mode} image ({'16-bit' if '16' in mode or mode == 'I' else 'float'}); "
                    "expected an 8-bit image (L/RGB/RGBA). 16-bit CT PNGs are read with "
                    "paperlib.data.deeplesion.read_deeplesion_png"
                )
            im.load()
            if mode in ("RGBA", "LA", "PA"):
                im = im.convert("RGB" if mode == "RGBA" else "L")
            gray = im.convert("L") if im.mode != "L" else im
            arr = np.asarray(gray, dtype=np.uint8)
    except DataError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as e:
        raise DataError(
            f"{p}: cannot decode image ({type(e).__name__}: {e}); the file may be truncated or corrupt"
        ) from e
    if arr.ndim != 2 or arr.size == 0:
        raise DataError(f"{p}: decoded to an unexpected shape {arr.shape}")
    return arr


def to_float(img_u8: np.ndarray) -> np.ndarray:
    """uint8 -> float32 in [0, 1]."""
    return np.asarray(img_u8, dtype=np.float32) / 255.0
