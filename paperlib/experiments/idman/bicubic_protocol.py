"""Which evaluation protocol gives IDMAN's Bicubic rows? A measured search over protocol choices.

The question. IDMAN (Sensors 2021) reports, for Bicubic on its DeepLesion test set, 22.373 / 21.418 / 20.755 dB at
x2 / x3 / x4 (Table 5; SSIM 0.7649 / 0.7169 / 0.6832 in Table 6), while its SRCNN row is 32.136 dB at x2: a gain
of +9.8 dB over bicubic that no standard protocol gives, and a bicubic row that falls only 1.6 dB from x2 to x4
where the learned rows fall 5 dB. Our protocol (HU through the ``ct12`` window W4096/L1024 = [-1024, 3072] HU
to [0, 1], MATLAB bicubic LR rounded to integer HU, PSNR in grey with a border crop of ``scale``) gives 41.40 dB
at x2 on our 22 real DeepLesion slices. The paper says only that the LR images were made "through downsampling
by bicubic interpolation through MATLAB R2017b", that PSNR and SSIM "are calculated by the MATLAB", and writes
PSNR as (eq. 19, as printed)::

    PSNR = 10log10 MaxValue2 / MSE = 10log10 2bits − 1 / MSE

This module measures bicubic PSNR and SSIM on real slices under a registry of protocol variants
(:data:`VARIANTS`), each a :class:`Variant` that differs from :data:`BASELINE` (our protocol) in the fields it
names, and ranks them by how close their means come to the paper's three numbers.

What a variant's fields mean:

* ``domain`` (:data:`DOMAINS`): how HU become stored pixel values ``v`` and what range they are measured on.
  ``ct12``: our window W4096/L1024 to [0, 1], stored as integer HU (clipped to the window);
  ``png16``: the DeepLesion 16-bit PNG value HU + 32768, MaxValue 65535; ``hu1024``: HU + 1024 (12-bit CT
  values), MaxValue 4095, not clipped; ``ct12_8``: the ct12 window to 8 bits; ``lung8`` (W1500/L-600) and
  ``soft8`` (W400/L40): a display window to 8 bits; ``minmax8``: each HR slice's own HU minimum..maximum to
  8 bits (the uint8 PNG export many DeepLesion users make); ``hu1024_sat8``: 12-bit values HU + 1024 cast to
  uint8 with saturation (everything above -769 HU becomes 255). Stored values are rounded to the domain's grid
  (integer HU for ``ct12``, integers otherwise) and clipped to its range when the domain clips.
* ``max_value``: the MaxValue of the PSNR (and SSIM's data range) in stored units; ``None`` = the domain's own
  range (1 for ``ct12``, 65535, 4095 or 255). Setting it models "2^bits - 1" applied with bits that do not
  match the data (8-bit images with 4095, 12-bit data with 255...).
* ``formula``: ``"squared"`` = 10 log10(MaxValue^2 / MSE); ``"unsquared"`` = 10 log10(MaxValue / MSE), the
  second form of eq. 19 exactly as printed (without the square).
* ``order``: ``"hu"`` = the LR is made from the HU slice (a low-resolution scan), then mapped to the domain
  (our protocol); ``"stored"`` = the HR is first mapped and stored (e.g. as an 8-bit PNG) and MATLAB resizes the
  stored image.
* ``round_lr``: the LR is stored at the data's precision (integer HU, then the domain's grid) or kept in float;
  ``round_sr``: the upscaled image is rounded to the grid (and clipped) as a saved SR file would be, or kept in
  float (still clipped to a clipping domain's range, as the package's unquantised outputs are).
* ``down`` / ``up``: the shrinking and the upscaling resize. ``matlab``: MATLAB ``imresize`` bicubic with
  antialias (:func:`paperlib.data.degrade.matlab_imresize`); ``matlab_noaa``: the same without antialias;
  ``pil``: PIL bicubic on a float image; ``cv2``: OpenCV ``INTER_CUBIC``; ``torch`` / ``torch_aa``:
  ``F.interpolate(mode="bicubic", align_corners=False)`` without / with antialias; ``torch_ac``: torch bicubic
  with ``align_corners=True``; ``nearest`` / ``bilinear`` (upscaling only): torch nearest / bilinear
  (``align_corners=False``); ``decimate`` (shrinking only): every ``scale``-th pixel, ``HR[::s, ::s]``, without
  a filter.
* ``shift``: the HR compared with the upscaled image displaced by 0.5 or 1 pixel down and right (a misaligned
  pipeline); 0.5 px is MATLAB's cubic (Keys, a = -0.5) at the half-pixel, taps (-1, 9, 9, -1)/16.
* ``hr_size``: ``"modcrop"`` = HR cropped to a multiple of the scale (ours); ``"resize"`` = the whole HR, the LR of
  ``ceil(H / s)`` pixels upscaled straight to the HR's size (only x3 differs on 512-pixel slices).
* ``crop``: border crop ``"none"``, ``"scale"`` or ``"scale+6"`` pixels per side.
* ``channel``: ``"gray"`` or ``"y"`` (MATLAB ``rgb2ycbcr`` luma of R = G = B: :func:`paperlib.metrics.to_y`).

The registry varies each field alone from the baseline, then combines the two kinds of change that move the search
towards the paper: a narrow 8-bit range (``soft8``, ``lung8``, ``hu1024_sat8``: the level) with a misaligned or
unfiltered pipeline (``shift``, ``decimate``, ``nearest``: the flat fall from x2 to x4).

PSNR differences between two methods evaluated under one protocol do not depend on MaxValue nor on the formula
(``10 log10(MSE_a / MSE_b)``); only clipping (a window) and the pipeline change them. A gap between the paper's
Bicubic and learned rows that no consistent protocol gives therefore points at rows measured by different pipelines.

PSNR/SSIM implementation: with the domain's own MaxValue, the package's :func:`paperlib.metrics.psnr` /
:func:`paperlib.metrics.ssim` with ``data_range`` = that MaxValue (the same as the package's protocol objects:
data range 1 on [0, 1], or 255 on 8-bit values); with another MaxValue, scikit-image's
``peak_signal_noise_ratio`` / ``structural_similarity`` (Gaussian 11x11, sigma 1.5, population covariance, as
MATLAB's ``ssim``) with ``data_range`` = ``max_value``; the unsquared form is numpy. Each row names its
implementation (:func:`Variant.metric_impl`).

Run (one thread, about 5 minutes for both sets; tables in ``figures/idman/quick/``, since ``save_table`` refuses
a profile name that :mod:`paperlib.profiles` does not know, after writing its CSV)::

    python -m paperlib.experiments.idman.bicubic_protocol
"""

from __future__ import annotations

import os
import sys

if __name__ == "__main__":  # keep the search on one core (a training job may be running beside it)
    for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(_var, "1")

import math
from dataclasses import asdict, dataclass, fields, replace

import numpy as np
import pandas as pd

from ...data.degrade import matlab_imresize, modcrop
from ...paper_values import IDMAN_COMPARE_SCALES, IDMAN_TABLE5, IDMAN_TABLE6, IDMAN_TABLE7, IDMAN_TABLE8

#: The paper's Bicubic rows: ``{table: (psnr (x2, x3, x4), ssim (x2, x3, x4))}``.
PAPER_BICUBIC = {
    "table5": (IDMAN_TABLE5["psnr"]["bicubic"], IDMAN_TABLE6["ssim"]["bicubic"]),
    "table7": (IDMAN_TABLE7["psnr"]["bicubic"], IDMAN_TABLE7["ssim"]["bicubic"]),
    "table8": (IDMAN_TABLE8["psnr"]["bicubic"], IDMAN_TABLE8["ssim"]["bicubic"]),
}


@dataclass(frozen=True)
class Domain:
    """HU -> stored value ``v = (HU - lo) / width * levels``, rounded to ``grid``, clipped to [0, levels] if ``clip``.

    ``lo = None``: per image, ``lo`` and ``width`` from the HR slice's HU minimum and maximum.
    """

    lo: float | None
    width: float | None
    levels: float
    grid: float = 1.0
    clip: bool = True
    note: str = ""


DOMAINS = {
    "ct12": Domain(-1024.0, 4096.0, 1.0, 1.0 / 4096.0, True, "HU window W4096/L1024 to [0, 1], integer HU"),
    "png16": Domain(-32768.0, 65535.0, 65535.0, 1.0, True, "DeepLesion PNG value HU + 32768 (uint16)"),
    "hu1024": Domain(-1024.0, 4095.0, 4095.0, 1.0, False, "HU + 1024 (12-bit CT values), not clipped"),
    "ct12_8": Domain(-1024.0, 4096.0, 255.0, 1.0, True, "HU window W4096/L1024 to 8 bits"),
    "lung8": Domain(-1350.0, 1500.0, 255.0, 1.0, True, "lung window W1500/L-600 to 8 bits"),
    "soft8": Domain(-160.0, 400.0, 255.0, 1.0, True, "soft-tissue window W400/L40 to 8 bits"),
    "minmax8": Domain(None, None, 255.0, 1.0, True, "each HR slice's HU min..max to 8 bits"),
    "hu1024_sat8": Domain(-1024.0, 255.0, 255.0, 1.0, True, "HU + 1024 cast to uint8 with saturation at 255"),
}

DOWN_METHODS = ("matlab", "matlab_noaa", "pil", "cv2", "torch", "torch_aa", "torch_ac", "decimate")
UP_METHODS = ("matlab", "matlab_noaa", "pil", "cv2", "torch", "torch_aa", "torch_ac", "nearest", "bilinear")
CROPS = ("none", "scale", "scale+6")


@dataclass(frozen=True)
class Variant:
    """One evaluation protocol of the bicubic baseline (see the module docstring for every field)."""

    domain: str = "ct12"
    max_value: float | None = None
    formula: str = "squared"
    order: str = "hu"
    round_lr: bool = True
    round_sr: bool = True
    down: str = "matlab"
    up: str = "matlab"
    shift: float = 0.0
    hr_size: str = "modcrop"
    crop: str = "scale"
    channel: str = "gray"

    def __post_init__(self):
        checks = {
            "domain": tuple(DOMAINS),
            "formula": ("squared", "unsquared"),
            "order": ("hu", "stored"),
            "down": DOWN_METHODS,
            "up": UP_METHODS,
            "shift": (0.0, 0.5, 1.0),
            "hr_size": ("modcrop", "resize"),
            "crop": CROPS,
            "channel": ("gray", "y"),
        }
        for name, allowed in checks.items():
            if getattr(self, name) not in allowed:
                raise ValueError(f"Variant.{name} must be one of {allowed}, got {getattr(self, name)!r}")

    @property
    def peak(self) -> float:
        """The MaxValue used (in stored units)."""
        return float(self.max_value) if self.max_value is not None else float(DOMAINS[self.domain].levels)

    def metric_impl(self) -> str:
        """Which code computes this variant's PSNR / SSIM."""
        if self.formula == "unsquared":
            return "numpy 10*log10(MaxValue/MSE); SSIM: skimage structural_similarity"
        if self.max_value is None:
            return "paperlib.metrics.psnr / ssim (data_range = the domain's range)"
        return "skimage peak_signal_noise_ratio / structural_similarity (data_range = max_value)"

    def changes(self) -> str:
        """The fields that differ from :data:`BASELINE` (``"-"`` for the baseline itself)."""
        diff = [
            f"{f.name}={getattr(self, f.name)}"
            for f in fields(self)
            if getattr(self, f.name) != getattr(BASELINE, f.name)
        ]
        return ", ".join(diff) or "-"

    def describe(self) -> str:
        d = DOMAINS[self.domain]
        psnr = f"10log10({self.peak:g}/MSE)" if self.formula == "unsquared" else f"10log10({self.peak:g}^2/MSE)"
        return (
            f"{self.domain} ({d.note}); LR {self.down} from {'HU' if self.order == 'hu' else 'stored values'}"
            f"{', rounded' if self.round_lr else ', float'}; up {self.up}{', SR rounded' if self.round_sr else ''}"
            f"; HR {self.hr_size}{f', shifted {self.shift:g} px' if self.shift else ''}; crop {self.crop}; "
            f"{self.channel}; PSNR {psnr}"
        )

    def as_dict(self) -> dict:
        return asdict(self) | {
            "peak": self.peak,
            "changes": self.changes(),
            "describe": self.describe(),
            "metric_impl": self.metric_impl(),
        }


#: Our protocol: :func:`paperlib.evaluate.make_pair` with ``hu_intensity("ct12")``, the bicubic model's MATLAB
#: upscale, ``Intensity.store_sr``, grey PSNR/SSIM on [0, 1] with border crop = scale.
BASELINE = Variant()


def _v(**changes) -> Variant:
    return replace(BASELINE, **changes)


#: Each protocol dimension varied alone from the baseline, then combinations.
VARIANTS: dict[str, Variant] = {
    "baseline": BASELINE,
    # intensity mapping / data range (LR made on HU, as ours)
    "png16": _v(domain="png16"),
    "hu1024_4095": _v(domain="hu1024"),
    "ct12_8bit": _v(domain="ct12_8"),
    "lung8": _v(domain="lung8"),
    "soft8": _v(domain="soft8"),
    "minmax8": _v(domain="minmax8"),
    # the same, the HR stored first (an 8-bit PNG export) and MATLAB resizing the stored image
    "ct12_8bit_png": _v(domain="ct12_8", order="stored"),
    "lung8_png": _v(domain="lung8", order="stored"),
    "soft8_png": _v(domain="soft8", order="stored"),
    "minmax8_png": _v(domain="minmax8", order="stored"),
    # "2^bits - 1" with bits that do not match the data
    "lung8_png_max4095": _v(domain="lung8", order="stored", max_value=4095.0),
    "soft8_png_max4095": _v(domain="soft8", order="stored", max_value=4095.0),
    "minmax8_png_max4095": _v(domain="minmax8", order="stored", max_value=4095.0),
    "minmax8_png_max65535": _v(domain="minmax8", order="stored", max_value=65535.0),
    "hu1024_max255": _v(domain="hu1024", max_value=255.0),
    "hu1024_sat8": _v(domain="hu1024_sat8", order="stored"),
    "png16_max4095": _v(domain="png16", max_value=4095.0),
    "png16_max255": _v(domain="png16", max_value=255.0),
    # eq. 19's second form as printed: MaxValue not squared
    "png16_unsquared": _v(domain="png16", formula="unsquared"),
    "hu1024_unsquared": _v(domain="hu1024", formula="unsquared"),
    "lung8_png_unsquared": _v(domain="lung8", order="stored", formula="unsquared"),
    "soft8_png_unsquared": _v(domain="soft8", order="stored", formula="unsquared"),
    "minmax8_png_unsquared": _v(domain="minmax8", order="stored", formula="unsquared"),
    # rounding
    "lr_float": _v(round_lr=False),
    "sr_float": _v(round_sr=False),
    "lr_sr_float": _v(round_lr=False, round_sr=False),
    # interpolation
    "down_matlab_noaa": _v(down="matlab_noaa"),
    "pil": _v(down="pil", up="pil"),
    "cv2": _v(down="cv2", up="cv2"),
    "torch": _v(down="torch", up="torch"),
    "torch_aa": _v(down="torch_aa", up="torch"),
    "up_pil": _v(up="pil"),
    "up_cv2": _v(up="cv2"),
    "up_torch": _v(up="torch"),
    "up_torch_align_corners": _v(up="torch_ac"),
    "up_nearest": _v(up="nearest"),
    "up_bilinear": _v(up="bilinear"),
    "down_decimate": _v(down="decimate"),
    # alignment
    "shift_0.5": _v(shift=0.5),
    "shift_1": _v(shift=1.0),
    "hr_resize": _v(hr_size="resize"),
    # border crop
    "crop_none": _v(crop="none"),
    "crop_scale+6": _v(crop="scale+6"),
    # colour
    "y": _v(channel="y"),
    # combinations: a narrow 8-bit range (the only single changes that bring the level down towards the paper's)
    # with a misaligned pipeline (the only single changes that flatten the fall from x2 to x4 as the paper's row)
    "soft8_shift_1": _v(domain="soft8", shift=1.0),
    "soft8_png_shift_1": _v(domain="soft8", order="stored", shift=1.0),
    "lung8_shift_1": _v(domain="lung8", shift=1.0),
    "hu1024_sat8_shift_1": _v(domain="hu1024_sat8", order="stored", shift=1.0),
    "soft8_png_shift_0.5": _v(domain="soft8", order="stored", shift=0.5),
    "hu1024_sat8_shift_0.5": _v(domain="hu1024_sat8", order="stored", shift=0.5),
    "soft8_decimate": _v(domain="soft8", down="decimate"),
    "lung8_decimate": _v(domain="lung8", down="decimate"),
    "hu1024_sat8_decimate": _v(domain="hu1024_sat8", order="stored", down="decimate"),
    "soft8_up_nearest": _v(domain="soft8", up="nearest"),
    "hu1024_sat8_up_nearest": _v(domain="hu1024_sat8", order="stored", up="nearest"),
    "soft8_decimate_nearest": _v(domain="soft8", down="decimate", up="nearest"),
    "lung8_decimate_nearest": _v(domain="lung8", down="decimate", up="nearest"),
    "hu1024_sat8_decimate_nearest": _v(domain="hu1024_sat8", order="stored", down="decimate", up="nearest"),
    "hu1024_sat8_decimate_nearest_crop_none": _v(
        domain="hu1024_sat8", order="stored", down="decimate", up="nearest", crop="none"
    ),
    "soft8_shift_1_crop_none": _v(domain="soft8", shift=1.0, crop="none"),
    "soft8_decimate_nearest_y": _v(domain="soft8", down="decimate", up="nearest", channel="y"),
}


# --------------------------------------------------------------------------- the pipeline


def _resize(img: np.ndarray, method: str, size: tuple[int, int]) -> np.ndarray:
    """``img`` (float64 H x W) resized to ``size`` = (H_out, W_out) by ``method`` (float64 out)."""
    h, w = img.shape
    oh, ow = int(size[0]), int(size[1])
    if method in ("matlab", "matlab_noaa"):
        return matlab_imresize(img, size=(oh, ow), antialias=method == "matlab")
    if method == "decimate":
        sy, sx = h // oh if h % oh == 0 else math.ceil(h / oh), w // ow if w % ow == 0 else math.ceil(w / ow)
        return np.ascontiguousarray(img[::sy, ::sx][:oh, :ow], dtype=np.float64)
    if method == "pil":
        from PIL import Image

        out = Image.fromarray(np.ascontiguousarray(img, dtype=np.float32)).resize((ow, oh), Image.Resampling.BICUBIC)
        return np.asarray(out, dtype=np.float64)
    if method == "cv2":
        import cv2

        return cv2.resize(np.ascontiguousarray(img, dtype=np.float64), (ow, oh), interpolation=cv2.INTER_CUBIC)
    import torch
    import torch.nn.functional as F

    t = torch.from_numpy(np.ascontiguousarray(img, dtype=np.float64))[None, None]
    if method in ("torch", "torch_aa", "torch_ac"):
        out = F.interpolate(
            t, size=(oh, ow), mode="bicubic", align_corners=method == "torch_ac", antialias=method == "torch_aa"
        )
    elif method == "bilinear":
        out = F.interpolate(t, size=(oh, ow), mode="bilinear", align_corners=False)
    elif method == "nearest":
        out = F.interpolate(t, size=(oh, ow), mode="nearest")
    else:
        raise ValueError(f"unknown resize method {method!r}")
    return out[0, 0].numpy()


def resizer_hu(method: str):
    """The ``method`` resize as an upscaler in HU, ``f(lr_hu, scale) -> sr_hu``, for :func:`protocol_pair`'s
    ``upscale_hu``: a protocol's own interpolation run on the LR scan's HU, as a model is."""

    def f(lr_hu, scale):
        return _resize(np.asarray(lr_hu, np.float64), method, (lr_hu.shape[0] * scale, lr_hu.shape[1] * scale))

    return f


def _half_pixel(img: np.ndarray) -> np.ndarray:
    """``img`` sampled at (i + 1.5, j + 1.5) by MATLAB's cubic (taps (-1, 9, 9, -1) / 16): shape (H - 3, W - 3)."""
    k = np.array([-1.0, 9.0, 9.0, -1.0]) / 16.0
    rows = sum(k[t] * img[t : img.shape[0] - 3 + t, :] for t in range(4))
    return sum(k[t] * rows[:, t : img.shape[1] - 3 + t] for t in range(4))


def bicubic_pair(hu: np.ndarray, scale: int, variant: Variant) -> tuple[np.ndarray, np.ndarray]:
    """``(sr, hr)`` in the variant's stored units, aligned, before the border crop and the colour conversion."""
    return protocol_pair(hu, scale, variant)


def protocol_pair(hu: np.ndarray, scale: int, variant: Variant, upscale_hu=None) -> tuple[np.ndarray, np.ndarray]:
    """``(sr, hr)`` of one HU slice under ``variant``: in its stored units, aligned, before the crop and colour step.

    ``upscale_hu``: a super-resolution method in HU, ``f(lr_hu, scale) -> sr_hu`` (e.g. a shipped model through
    :func:`paperlib.upscale.sr_hu_batch`), used instead of the variant's ``up`` resize. It is given the LR scan in
    HU (made by the variant's ``down`` and rounded to integer HU when ``round_lr``), so it needs ``order="hu"``
    and ``hr_size="modcrop"``; its output is then mapped to the domain and stored like the bicubic one.
    """
    dom = DOMAINS[variant.domain]
    if upscale_hu is not None and (variant.order != "hu" or variant.hr_size != "modcrop"):
        raise ValueError(f"a model needs the LR scan in HU at the modcropped size; {variant.changes()} gives another")
    hu = np.asarray(hu, dtype=np.float64)
    hr_hu = modcrop(hu, scale) if variant.hr_size == "modcrop" else hu
    lo, width = (dom.lo, dom.width) if dom.lo is not None else (float(hr_hu.min()), float(np.ptp(hr_hu)) or 1.0)

    def to_v(x):
        v = (x - lo) / width * dom.levels
        return np.clip(v, 0.0, dom.levels) if dom.clip else v

    def store(v):
        v = np.round(v / dom.grid) * dom.grid
        return np.clip(v, 0.0, dom.levels) if dom.clip else v

    hr = store(to_v(hr_hu))
    h, w = hr.shape
    lr_size = (math.ceil(h / scale), math.ceil(w / scale))
    if variant.order == "hu":  # a low-resolution scan in HU (rounded: an LR DICOM), then the domain's mapping
        lr_hu = _resize(hr_hu, variant.down, lr_size)
        lr_hu = np.round(lr_hu) if variant.round_lr else lr_hu
        lr = store(to_v(lr_hu)) if variant.round_lr else to_v(lr_hu)
    else:  # the stored HR image resized (MATLAB imresize of a uint8/uint16 image rounds and saturates)
        lr = _resize(hr, variant.down, lr_size)
        lr = store(lr) if variant.round_lr else lr
    sr_size = (h, w) if variant.hr_size == "resize" else (lr.shape[0] * scale, lr.shape[1] * scale)
    sr = _resize(lr, variant.up, sr_size) if upscale_hu is None else to_v(np.asarray(upscale_hu(lr_hu, scale), float))
    if variant.round_sr:
        sr = store(sr)
    elif dom.clip:
        sr = np.clip(sr, 0.0, dom.levels)
    if variant.shift == 1.0:
        sr, hr = sr[:-1, :-1], hr[1:, 1:]
    elif variant.shift == 0.5:
        sr, hr = sr[1:-2, 1:-2], _half_pixel(hr)
    return sr, hr


def _crop(scale: int, crop: str) -> int:
    return {"none": 0, "scale": int(scale), "scale+6": int(scale) + 6}[crop]


def measure(sr: np.ndarray, hr: np.ndarray, scale: int, variant: Variant) -> tuple[float, float]:
    """(PSNR, SSIM) of an aligned pair under ``variant`` (crop, channel, MaxValue, formula)."""
    from skimage.metrics import peak_signal_noise_ratio, structural_similarity

    from ...metrics import psnr, ssim, to_y

    peak, c = variant.peak, _crop(scale, variant.crop)
    if c:
        sr, hr = sr[c:-c, c:-c], hr[c:-c, c:-c]
    if variant.channel == "y":
        sr, hr = to_y(sr, peak), to_y(hr, peak)
    if variant.formula == "squared" and variant.max_value is None:
        return psnr(sr, hr, data_range=peak), ssim(sr, hr, data_range=peak)
    s = float(
        structural_similarity(hr, sr, data_range=peak, gaussian_weights=True, sigma=1.5, use_sample_covariance=False)
    )
    if variant.formula == "unsquared":
        mse = float(np.mean((hr - sr) ** 2))
        return (float("inf") if mse == 0 else float(10.0 * np.log10(peak / mse))), s
    return float(peak_signal_noise_ratio(hr, sr, data_range=peak)), s


def _as_variant(variant) -> tuple[str, Variant]:
    if isinstance(variant, Variant):
        name = next((k for k, v in VARIANTS.items() if v == variant), variant.changes())
        return name, variant
    if variant not in VARIANTS:
        raise KeyError(f"unknown bicubic protocol variant {variant!r}; known: {sorted(VARIANTS)}")
    return variant, VARIANTS[variant]


def _items(images):
    """``(name, label, HU array)`` from a list of such triples, of ``(name, array)`` pairs or of bare arrays."""
    for i, it in enumerate(images):
        if isinstance(it, np.ndarray):
            yield f"image_{i}", "", it
        elif len(it) == 2:
            yield it[0], "", it[1]
        else:
            yield it[0], it[1], it[2]


def bicubic_psnr(images, scale: int, variant) -> pd.DataFrame:
    """Per image: ``image, label, scale, variant, psnr, ssim`` of the bicubic baseline under ``variant``.

    Args:
        images: ``(name, label, HU)`` triples (as :func:`load_deeplesion_slices` gives), ``(name, HU)`` pairs or
            HU arrays; HU as float (DeepLesion: PNG value - 32768).
        variant: a name of :data:`VARIANTS` or a :class:`Variant`.
    """
    name, v = _as_variant(variant)
    rows = []
    for img_name, label, hu in _items(images):
        p, s = measure(*bicubic_pair(hu, scale, v), scale, v)
        rows.append({"image": img_name, "label": label, "scale": int(scale), "variant": name, "psnr": p, "ssim": s})
    return pd.DataFrame(rows, columns=["image", "label", "scale", "variant", "psnr", "ssim"])


def per_image_table(images, scales=IDMAN_COMPARE_SCALES, variants=None, progress: bool = False) -> pd.DataFrame:
    """:func:`bicubic_psnr` of every variant (default: all of :data:`VARIANTS`) at every scale, concatenated."""
    images = list(_items(images))
    variants = list(VARIANTS) if variants is None else list(variants)
    frames = []
    for v in variants:
        for s in scales:
            frames.append(bicubic_psnr(images, s, v))
        if progress:
            last = pd.concat(frames[-len(scales) :])
            print(
                f"  {_as_variant(v)[0]:<28s} "
                + " ".join(f"x{s} {m:7.3f}" for s, m in last.groupby("scale")["psnr"].mean().items()),
                flush=True,
            )
    return pd.concat(frames, ignore_index=True)


def summarize(per_image: pd.DataFrame, table: str = "table5") -> pd.DataFrame:
    """Means per (variant, scale) beside the paper's Bicubic value of ``table`` and the difference, sorted by
    closeness (the variant's mean absolute PSNR difference over its scales; the closest first)."""
    paper_psnr, paper_ssim = PAPER_BICUBIC[table]
    g = per_image.groupby(["variant", "scale"], sort=False)
    out = g[["psnr", "ssim"]].mean().reset_index()
    out.insert(2, "n_images", g.size().to_numpy())
    idx = {s: i for i, s in enumerate(IDMAN_COMPARE_SCALES)}
    out["paper_psnr"] = [paper_psnr[idx[s]] if s in idx else np.nan for s in out["scale"]]
    out["diff_psnr"] = out["psnr"] - out["paper_psnr"]
    out["paper_ssim"] = [paper_ssim[idx[s]] if s in idx else np.nan for s in out["scale"]]
    out["diff_ssim"] = out["ssim"] - out["paper_ssim"]
    out["closeness"] = out.groupby("variant")["diff_psnr"].transform(lambda d: d.abs().mean())
    out["changes"] = [_as_variant(v)[1].changes() if v in VARIANTS else "" for v in out["variant"]]
    out = out.sort_values(["closeness", "variant", "scale"], kind="stable").reset_index(drop=True)
    order = {v: i + 1 for i, v in enumerate(dict.fromkeys(out["variant"]))}
    out.insert(0, "rank", out["variant"].map(order))
    return out


def search(images, scales=IDMAN_COMPARE_SCALES, variants=None, table: str = "table5") -> pd.DataFrame:
    """The ranked search table (:func:`summarize`) of :func:`per_image_table` on ``images``."""
    return summarize(per_image_table(images, scales, variants), table)


# --------------------------------------------------------------------------- data


def load_deeplesion_slices(root=None) -> list:
    """Every DeepLesion slice under ``root`` (default ``<data root>/deeplesion``) as ``(series/slice.png, series,
    float32 HU)``, read by :class:`paperlib.data.deeplesion.DeepLesion` (HU = PNG value - 32768)."""
    from ...data.deeplesion import DeepLesion

    dl = DeepLesion(root)
    return [(f"{s.series}/{s.path.name}", s.series, dl.load(s)) for s in dl.slices("all")]


def load_lung_pet_ct_dx_slices(root=None, n: int | None = 24) -> list:
    """The Lung-PET-CT-Dx test slices the comparison evaluates (``compare.load_eval_set``: the HU set's test split,
    ``n`` evenly spaced, 24 under the quick profile), read straight from the DICOM series (no cache is written)."""
    from pathlib import Path

    from ...data.hu_sets import hu_dataset, load_hu
    from ...data.splits import spaced

    refs = spaced(hu_dataset("lung_pet_ct_dx", "test", root), n)
    return [(f"{Path(r.path).parent.name}/{Path(r.path).name}", str(r.patient_id), load_hu(r)) for r in refs]


# --------------------------------------------------------------------------- main


PROFILE = "quick"  # save_table/get_profile reject unknown profiles ("protocol"): the tables go under quick/


def _save(images, table: str, suffix: str, folder: str, progress: bool = True) -> pd.DataFrame:
    from ...results import save_table

    per_image = per_image_table(images, progress=progress)
    found = summarize(per_image, table)
    meta = {
        "data": {"folder": folder, "n_slices": len(images), "slices": [n for n, _, _ in images]},
        "paper_table": table,
        "paper_bicubic": {"psnr": PAPER_BICUBIC[table][0], "ssim": PAPER_BICUBIC[table][1]},
        "variants": {k: v.as_dict() for k, v in VARIANTS.items()},
        "profile_note": "not a training profile: the tables are stored under figures/idman/quick/ because "
        "paperlib.results.save_table accepts only the profiles of paperlib.profiles",
    }
    cap = (
        f"Bicubic PSNR/SSIM under {len(VARIANTS)} evaluation protocols on {len(images)} real slices ({folder}), "
        f"beside IDMAN {table}'s Bicubic row; sorted by closeness (mean |PSNR - paper| over x2/x3/x4). "
        "Produced by paperlib.experiments.idman.bicubic_protocol; each variant's protocol in the JSON sidecar."
    )
    save_table(found, f"bicubic_protocol_search{suffix}", "idman", PROFILE, meta, caption=cap)
    save_table(per_image, f"bicubic_protocol_per_image{suffix}", "idman", PROFILE, meta)
    return found


def main(argv=None) -> int:
    """Run the search on the DeepLesion slices (Tables 5-6) and the Lung-PET-CT-Dx slices (Table 8); save both."""
    import argparse

    import torch

    from ...config import data_root

    torch.set_num_threads(1)
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data-root", default=None)
    ap.add_argument("--no-lung", action="store_true", help="DeepLesion only")
    args = ap.parse_args(argv)
    root = data_root(args.data_root)
    dl = load_deeplesion_slices(root / "deeplesion")
    print(f"DeepLesion: {len(dl)} slices", flush=True)
    found = _save(dl, "table5", "", str(root / "deeplesion" / "Images_png"))
    print(found.head(15).to_string(index=False), flush=True)
    if not args.no_lung:
        lung = load_lung_pet_ct_dx_slices(root)
        print(f"Lung-PET-CT-Dx: {len(lung)} slices", flush=True)
        found = _save(lung, "table8", "_lung_pet_ct_dx", str(root / "lung-pet-ct-dx"))
        print(found.head(15).to_string(index=False), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
