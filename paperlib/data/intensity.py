"""What a stored pixel means, how it maps to the [0, 1] the models see, and how an LR image is made.

Two kinds of data feed the engine:

* ``u8``: 8-bit figure images (COVID-CT). ``to_unit(v) = v / 255``.
* ``hu``: Hounsfield units (DeepLesion PNG, DICOM). ``to_unit`` is a stated window
  (:func:`paperlib.data.hu.hu_window`); the default for training and evaluation on HU is the
  12-bit CT range ``ct12`` (W4096/L1024, i.e. [-1024, 3072] HU), our reading of IDMAN's
  "MaxValue = 2^bits - 1" with 12 bits (a 4096-HU window, clipped: see ``paperlib.data.hu.CT12_WINDOW``);
  ``lung`` (W1500/L-600) is what ``upscale`` shows a lung reader.

The degradation (:meth:`Intensity.degrade`) is **one function for training and test**: MATLAB
bicubic (antialias) shrink of the modcropped HR image, then the LR image is *stored* at the data's
own precision, as an LR file would be:

* ``u8``: LR clipped to [0, 1] and rounded to 8 bits (MATLAB ``imresize`` on a uint8 image);
* ``hu``: LR rounded to integer HU (an LR DICOM), then windowed like the HR image. The bicubic runs
  on HU, before the window, because a low-resolution scan is low-resolution in HU; windowing first
  would blur the window's clipping edges into the LR image.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

KINDS = ("u8", "hu")


@dataclass(frozen=True)
class Intensity:
    """Pixel meaning of a data source.

    Args:
        kind: ``"u8"`` (8-bit images) or ``"hu"`` (Hounsfield units).
        window: ``(width, level)`` in HU for ``kind="hu"`` (``None`` for ``u8``).
        window_name: the window's name when it has one (``ct12``, ``lung``...), for the record.
    """

    kind: str = "u8"
    window: tuple | None = None
    window_name: str = ""

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"intensity kind must be one of {KINDS}, got {self.kind!r}")
        if (self.kind == "hu") != (self.window is not None):
            raise ValueError("an HU intensity needs a (width, level) window; an 8-bit one has none")

    def to_unit(self, x):
        """Stored values (numpy or torch) to the models' [0, 1] (float32 tensors, float64 arrays for u8)."""
        from .hu import hu_window

        if self.kind == "u8":
            return x / 255.0 if not isinstance(x, np.ndarray) else x.astype(np.float64) / 255.0
        return hu_window(x, self.window)

    def store_lr(self, lr):
        """Round an LR image to the data's storage precision (see the module docstring)."""
        if self.kind == "u8":  # ``lr`` is already in [0, 1] for u8
            if isinstance(lr, np.ndarray):
                return np.round(np.clip(lr, 0.0, 1.0) * 255.0) / 255.0
            return (lr.clamp(0.0, 1.0) * 255.0).round() / 255.0
        return np.round(lr) if isinstance(lr, np.ndarray) else lr.round()

    def store_sr(self, sr: np.ndarray) -> np.ndarray:
        """An SR output in [0, 1] as it would be saved: clipped, then 8 bits (u8) or integer HU (hu)."""
        sr = np.clip(np.asarray(sr, dtype=np.float64), 0.0, 1.0)
        if self.kind == "u8":
            return np.round(sr * 255.0) / 255.0
        w, lv = self.window
        lo = lv - w / 2.0
        return (np.round(sr * w + lo) - lo) / w

    def degrade(self, hr, scale: int):
        """``(lr, hr)`` in [0, 1] from a stored HR image: an H x W array or an N x C x H x W tensor.

        The HR is modcropped to a multiple of ``scale``. Numpy input is computed in float64
        (evaluation), tensors in float32 (training batches, any device).
        """
        from .degrade import imresize_torch, matlab_imresize, modcrop

        hr = modcrop(hr, scale)
        is_np = isinstance(hr, np.ndarray)
        if not is_np:
            hr = hr.float()
        resize = (lambda a: matlab_imresize(a, 1.0 / scale)) if is_np else (lambda t: imresize_torch(t, 1.0 / scale))
        if self.kind == "u8":  # shrink in [0, 1] then store as 8 bits: the order the golden tests check
            hr_unit = self.to_unit(hr)
            return self.store_lr(resize(hr_unit)), hr_unit
        hr_hu = hr.astype(np.float64) if is_np else hr
        return self.to_unit(self.store_lr(resize(hr_hu))), self.to_unit(hr_hu)

    @property
    def data_range_note(self) -> str:
        if self.kind == "u8":
            return "8-bit image / 255 (data range 1 = 255 grey levels)"
        w, lv = self.window
        name = f"{self.window_name} " if self.window_name else ""
        return f"HU through window {name}W{w:g}/L{lv:g} (data range 1 = {w:g} HU)"

    @property
    def lr_note(self) -> str:
        if self.kind == "u8":
            return "MATLAB bicubic (antialias), modcrop(scale), rounded to 8 bits"
        return "MATLAB bicubic (antialias) on HU, modcrop(scale), rounded to integer HU, then windowed"

    def as_dict(self) -> dict:
        return {
            "kind": self.kind,
            "window": list(self.window) if self.window else None,
            "window_name": self.window_name,
            "lr": self.lr_note,
        }

    @classmethod
    def from_dict(cls, d: dict) -> "Intensity":
        """The inverse of :meth:`as_dict` (e.g. from a run manifest's ``config.data.intensity``)."""
        return cls(
            d["kind"], tuple(float(v) for v in d["window"]) if d.get("window") else None, d.get("window_name", "")
        )


#: 8-bit figure images (COVID-CT).
U8 = Intensity("u8")


def hu_intensity(window="ct12") -> Intensity:
    """An HU intensity for a window name from :data:`paperlib.data.hu.WINDOWS` or a ``(width, level)`` pair."""
    from .hu import WINDOWS, _resolve

    name = window if isinstance(window, str) else next((k for k, v in WINDOWS.items() if tuple(v) == tuple(window)), "")
    return Intensity("hu", _resolve(window), name)
