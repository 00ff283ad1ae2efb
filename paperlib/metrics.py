"""Image-quality metrics with an explicit evaluation protocol.

Contract for the full-reference metrics (``psnr``, ``ssim``, ``ms_ssim``):

* inputs: two arrays of the same shape, H x W (grayscale) or H x W x 3, any float or
  integer dtype, values in ``[0, data_range]``; computed in float64;
* ``crop_border``: pixels removed from each side before measuring (the SR convention is
  ``crop_border = scale``);
* ``channel``: ``"gray"`` measures the image as it is; ``"y"`` converts to MATLAB's
  ``rgb2ycbcr`` luma first (16-235 on a 0-255 scale). For a gray image (R = G = B) the Y
  channel is ``16/255 + 219/255 * v``, which compresses the range, so PSNR on Y is
  20*log10(255/219) = 1.32 dB higher than on gray for the same image pair: papers that
  "evaluate on Y" for gray CT report this inflated value.
* SSIM: Wang et al. 2004 as in MATLAB ``ssim``: 11 x 11 Gaussian window, sigma 1.5,
  K1 = 0.01, K2 = 0.03, population covariance, valid region only (skimage's
  ``structural_similarity`` with ``gaussian_weights=True, sigma=1.5,
  use_sample_covariance=False``).
* MS-SSIM: Wang et al. 2003, 5 scales, weights (0.0448, 0.2856, 0.3001, 0.2363, 0.1333),
  via pyiqa's implementation (needs >= 161 px per side after cropping).

Edge fidelity (``gradient_error``): the mean absolute difference of the two images' Sobel gradient magnitudes
(scikit-image's ``sobel``: kernels [1, 2, 1] x [1, 0, -1] / 4, magnitude sqrt((gx² + gy²) / 2), reflected borders),
after the same channel conversion and border crop as PSNR, in units of ``data_range``; lower is better, 0 when the
edges match. A step of height ``data_range`` has magnitude 1/sqrt(2) on the two pixels beside it.

No-reference metrics: NIQE through pyiqa with the original LIVE parameters (offline:
``niqe_modelparameters.mat`` is taken from pyiqa's weight cache or ``$PAPERLIB_DATA/iqa``);
Ma (NRQM) and PI = ((10 - Ma) + NIQE) / 2 need ``NRQM_model.mat``; without it they raise
:class:`~paperlib.errors.MetricUnavailableError` (never a made-up value).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from .errors import MetricUnavailableError

#: Version of the metric code, part of every evaluation cache key
#: (:func:`paperlib.evaluate.evaluation_key`). Bump it whenever a change here (or in the
#: evaluation protocol code: ``make_pair``, quantisation, NIQE/MS-SSIM wrappers) can change a
#: number, so that cached per-image results made by the old code are never reused.
METRICS_VERSION = 1


@dataclass(frozen=True)
class Protocol:
    """How a number was computed; stored beside every reported metric."""

    channel: str = "y"  # "y" (MATLAB rgb2ycbcr luma, 16-235) or "gray"
    crop_border: int = 4
    data_range: float = 1.0
    image_domain: str = "8-bit PNG / 255"  # or e.g. "HU, window W1500/L-600"
    degradation: str = "MATLAB bicubic (antialias), modcrop(scale)"

    def describe(self) -> str:
        return (
            f"{'Y (MATLAB rgb2ycbcr, 16-235)' if self.channel == 'y' else 'grayscale'}, "
            f"border crop {self.crop_border}px, data range {self.data_range:g}, "
            f"images: {self.image_domain}, LR: {self.degradation}"
        )

    def as_dict(self) -> dict:
        return asdict(self)


def to_y(img: np.ndarray, data_range: float = 1.0) -> np.ndarray:
    """MATLAB ``rgb2ycbcr`` luma on a ``[0, data_range]`` image (gray images are treated as R=G=B)."""
    x = np.asarray(img, dtype=np.float64) / data_range
    if x.ndim == 3 and x.shape[2] == 3:
        y = (65.481 * x[..., 0] + 128.553 * x[..., 1] + 24.966 * x[..., 2] + 16.0) / 255.0
    elif x.ndim == 2 or (x.ndim == 3 and x.shape[2] == 1):
        x = x.reshape(x.shape[:2])
        y = ((65.481 + 128.553 + 24.966) * x + 16.0) / 255.0
    else:
        raise ValueError(f"to_y expects HxW, HxWx1 or HxWx3, got {x.shape}")
    return y * data_range


def _prepare(img1, img2, crop_border: int, channel: str, data_range: float):
    a = np.asarray(img1, dtype=np.float64)
    b = np.asarray(img2, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"image shapes differ: {a.shape} vs {b.shape}")
    if channel == "y":
        a, b = to_y(a, data_range), to_y(b, data_range)
    elif channel != "gray":
        raise ValueError(f"channel must be 'y' or 'gray', got {channel!r}")
    if a.ndim == 3 and a.shape[2] == 1:
        a, b = a[..., 0], b[..., 0]
    if crop_border:
        c = int(crop_border)
        if a.shape[0] <= 2 * c or a.shape[1] <= 2 * c:
            raise ValueError(f"image {a.shape} is too small for border crop {c}")
        a, b = a[c:-c, c:-c, ...], b[c:-c, c:-c, ...]
    return a, b


def psnr(img1, img2, data_range: float = 1.0, crop_border: int = 0, channel: str = "gray") -> float:
    """Peak signal-to-noise ratio in dB (``inf`` for identical images). See module docstring."""
    a, b = _prepare(img1, img2, crop_border, channel, data_range)
    mse = np.mean((a - b) ** 2)
    if mse == 0:
        return float("inf")
    return float(10.0 * np.log10(data_range**2 / mse))


def ssim(img1, img2, data_range: float = 1.0, crop_border: int = 0, channel: str = "gray") -> float:
    """MATLAB-style SSIM (Gaussian 11x11, sigma 1.5, valid region). See module docstring."""
    from skimage.metrics import structural_similarity

    a, b = _prepare(img1, img2, crop_border, channel, data_range)
    return float(
        structural_similarity(
            a,
            b,
            data_range=data_range,
            gaussian_weights=True,
            sigma=1.5,
            use_sample_covariance=False,
            channel_axis=2 if a.ndim == 3 else None,
        )
    )


def gradient_error(img1, img2, data_range: float = 1.0, crop_border: int = 0, channel: str = "gray") -> float:
    """Mean |Sobel magnitude(img1) - Sobel magnitude(img2)| in units of ``data_range``. See module docstring."""
    from skimage.filters import sobel

    a, b = _prepare(img1, img2, crop_border, channel, data_range)
    return float(np.mean(np.abs(sobel(a / data_range) - sobel(b / data_range))))


def ms_ssim(img1, img2, data_range: float = 1.0, crop_border: int = 0, channel: str = "gray") -> float:
    """Multi-scale SSIM (5 scales) via pyiqa. See module docstring."""
    import torch

    _import_pyiqa()
    from pyiqa.archs.ssim_arch import ms_ssim as _ms_ssim

    a, b = _prepare(img1, img2, crop_border, channel, data_range)
    if min(a.shape[:2]) < 161:
        raise ValueError(f"MS-SSIM needs at least 161 px per side after cropping, got {a.shape[:2]}")
    ta = torch.from_numpy(np.ascontiguousarray(a / data_range)).reshape(1, 1, *a.shape[:2])
    tb = torch.from_numpy(np.ascontiguousarray(b / data_range)).reshape(1, 1, *b.shape[:2])
    return float(_ms_ssim(ta, tb, data_range=1.0, test_y_channel=False))


# ----------------------------------------------------------------- no-reference metrics
NIQE_FILE = "niqe_modelparameters.mat"
NIQE_MIN_SIDE = 192
NRQM_FILE = "NRQM_model.mat"


def pyiqa_weight_dir() -> Path:
    """Where pyiqa looks for weight files (``$TORCH_HOME/hub/pyiqa`` as fixed when pyiqa was imported)."""
    _import_pyiqa()
    from pyiqa.utils.download_util import DEFAULT_CACHE_DIR

    return Path(DEFAULT_CACHE_DIR)


def _import_pyiqa():
    """Import pyiqa quietly (it warns about optional packages we deliberately do not install)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pyiqa
    return pyiqa


def find_iqa_file(name: str) -> Path | None:
    """An IQA model file from pyiqa's weight cache or the data root's ``iqa/`` folder (no download)."""
    from .config import data_root

    for cand in (pyiqa_weight_dir() / name, data_root() / "iqa" / name):
        if cand.is_file():
            return cand
    return None


_NIQE = None


def niqe(img, crop_border: int = 0, data_range: float = 1.0) -> float:
    """NIQE (lower is better) of a grayscale ``[0, data_range]`` image, pyiqa's MATLAB-faithful port.

    The LIVE parameters are read from pyiqa's cache or ``$PAPERLIB_DATA/iqa`` and passed to
    pyiqa explicitly, so nothing is downloaded.
    """
    global _NIQE
    import torch

    pyiqa = _import_pyiqa()
    if _NIQE is None:
        path = find_iqa_file(NIQE_FILE)
        if path is None:
            raise MetricUnavailableError(
                f"NIQE unavailable: {NIQE_FILE} not found in {pyiqa_weight_dir()} nor in the data root's iqa/ folder"
            )
        _NIQE = pyiqa.create_metric("niqe", device="cpu", test_y_channel=False, pretrained_model_path=str(path))
    a = np.asarray(img, dtype=np.float64) / data_range
    if a.ndim == 3:
        a = a[..., 0] if a.shape[2] == 1 else to_y(a)
    if crop_border:
        a = a[crop_border:-crop_border, crop_border:-crop_border]
    if min(a.shape) < NIQE_MIN_SIDE:
        # NIQE fits 96x96 patches at full and half resolution: a side below 192 px leaves none
        raise ValueError(f"image {a.shape} is too small for NIQE (needs >= {NIQE_MIN_SIDE} px per side after cropping)")
    t = torch.from_numpy(np.ascontiguousarray(np.clip(a, 0, 1))).float()[None, None]
    return float(_NIQE(t))


def niqe_available() -> bool:
    """True when the LIVE ``niqe_modelparameters.mat`` is present offline (pyiqa's cache or the data root's iqa/)."""
    return find_iqa_file(NIQE_FILE) is not None


def nrqm_available() -> bool:
    """True when pyiqa's ``NRQM_model.mat`` (Ma et al.) is present offline."""
    return find_iqa_file(NRQM_FILE) is not None


def _require_nrqm():
    if not nrqm_available():
        raise MetricUnavailableError(
            f"unavailable: {NRQM_FILE} not found in {pyiqa_weight_dir()} or the data root's iqa/ "
            "(Ma/NRQM and PI need it; place the file there to enable them)"
        )


_NRQM = None


def ma_score(img, crop_border: int = 0, data_range: float = 1.0) -> float:
    """Ma et al. (NRQM) score of a grayscale image, higher is better (pyiqa's port of the MATLAB code).

    The gray image is given to pyiqa as R = G = B, whose luma is the gray value itself.
    Raises MetricUnavailableError offline without ``NRQM_model.mat`` (never downloads it).
    """
    global _NRQM
    import torch

    _require_nrqm()
    pyiqa = _import_pyiqa()
    if _NRQM is None:
        _NRQM = pyiqa.create_metric("nrqm", device="cpu", pretrained_model_path=str(find_iqa_file(NRQM_FILE)))
    a = np.asarray(img, dtype=np.float64) / data_range
    if crop_border:
        a = a[crop_border:-crop_border, crop_border:-crop_border]
    t = torch.from_numpy(np.ascontiguousarray(np.clip(a, 0, 1))).float().reshape(1, 1, *a.shape[:2])
    return float(_NRQM(t.repeat(1, 3, 1, 1)))


def pi_from(ma, niqe_value):
    """The perceptual index from its parts: PI = ((10 - Ma) + NIQE) / 2 (Blau et al. 2018, PIRM).

    Works on floats and on arrays/Series (per image); lower is better.
    """
    return 0.5 * ((10.0 - ma) + niqe_value)


def perceptual_index(img, crop_border: int = 0, data_range: float = 1.0) -> float:
    """PI = ((10 - Ma) + NIQE) / 2 (Blau et al. 2018), lower is better."""
    _require_nrqm()
    return float(pi_from(ma_score(img, crop_border, data_range), niqe(img, crop_border, data_range)))


def psnr_y(img1, img2, crop_border: int = 0, data_range: float = 1.0) -> float:
    """PSNR on MATLAB's Y channel (the DRIDSR paper's stated protocol)."""
    return psnr(img1, img2, data_range, crop_border, channel="y")


def full_reference(sr, hr, protocol: Protocol, with_ms_ssim: bool = True, with_edges: bool = False) -> dict[str, float]:
    """PSNR, SSIM (and MS-SSIM when the image is large enough; ``gradient_error`` with ``with_edges``) under
    ``protocol``."""
    kw = dict(data_range=protocol.data_range, crop_border=protocol.crop_border, channel=protocol.channel)
    out = {"psnr": psnr(sr, hr, **kw), "ssim": ssim(sr, hr, **kw)}
    if with_edges:
        out["gradient_error"] = gradient_error(sr, hr, **kw)
    if with_ms_ssim:
        try:
            out["ms_ssim"] = ms_ssim(sr, hr, **kw)
        except ValueError:
            out["ms_ssim"] = float("nan")  # image too small for 5 scales; recorded as missing
    return out
