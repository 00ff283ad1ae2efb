"""Hounsfield-unit windowing.

HU stay float32 until a window maps them to [0, 1]; nothing is rounded through
uint8 on the way (a classic source of quantised CT in SR toolboxes).
A window is ``(width, level)``: values in ``[level - width/2, level + width/2]``
map linearly to ``[0, 1]`` and are clipped outside.
"""

from __future__ import annotations

import numpy as np

#: Lung window W1500 / L-600: the documented default for lung CT.
LUNG_WINDOW = (1500.0, -600.0)
#: Soft-tissue window W400 / L40 and a wide window covering air..dense bone.
SOFT_TISSUE_WINDOW = (400.0, 40.0)
WIDE_WINDOW = (2048.0, 0.0)  # [-1024, 1024] HU
#: The 12-bit CT range [-1024, 3072] HU, our reading of IDMAN's MATLAB PSNR on 12-bit data ("MaxValue = 2^12 - 1"):
#: PSNR on this window with data range 1. Two differences, both stated: the window is 4096 HU wide, not 4095
#: (0.002 dB where nothing is clipped), and it clips what lies outside, e.g. DeepLesion's -3024 HU padding
#: (measured by paperlib.experiments.idman.bicubic_protocol).
CT12_WINDOW = (4096.0, 1024.0)

WINDOWS = {"lung": LUNG_WINDOW, "soft_tissue": SOFT_TISSUE_WINDOW, "wide": WIDE_WINDOW, "ct12": CT12_WINDOW}


def _resolve(window) -> tuple[float, float]:
    if isinstance(window, str):
        if window not in WINDOWS:
            from ..errors import UnknownNameError

            raise UnknownNameError(f"unknown HU window {window!r}; known: {sorted(WINDOWS)} or a (width, level) pair")
        window = WINDOWS[window]
    width, level = float(window[0]), float(window[1])
    if width <= 0:
        raise ValueError(f"HU window width must be positive, got {width}")
    return width, level


def hu_window(hu, window=LUNG_WINDOW, clip: bool = True):
    """Map HU to [0, 1] with a ``(width, level)`` window (or a name from ``WINDOWS``).

    Works on numpy arrays and torch tensors; returns float32 for numpy input.
    """
    width, level = _resolve(window)
    lo = level - width / 2.0
    if isinstance(hu, np.ndarray) or np.isscalar(hu):
        out = (np.asarray(hu, dtype=np.float32) - np.float32(lo)) / np.float32(width)
        return np.clip(out, 0.0, 1.0) if clip else out
    out = (hu.float() - lo) / width
    return out.clamp(0.0, 1.0) if clip else out


def hu_unwindow(x, window=LUNG_WINDOW):
    """Inverse of :func:`hu_window` on [0, 1] values (HU outside the window were clipped and stay so)."""
    width, level = _resolve(window)
    lo = level - width / 2.0
    if isinstance(x, np.ndarray) or np.isscalar(x):
        return np.asarray(x, dtype=np.float32) * np.float32(width) + np.float32(lo)
    return x.float() * width + lo


def rewindow(intensity, window=LUNG_WINDOW):
    """A function mapping an image on ``intensity``'s [0, 1] (an HU window) to [0, 1] through another HU ``window``
    (a name from ``WINDOWS`` or ``(width, level)``): to show a slice stored through one window in another."""
    width, level = intensity.window
    return lambda x: hu_window(np.asarray(x, dtype=np.float64) * width + (level - width / 2.0), window)
