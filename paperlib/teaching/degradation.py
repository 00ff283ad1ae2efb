"""Lesson 3, when the degradation is not bicubic: a model trained on one kind of LR meets another.

The shipped HU weights learned to undo one degradation only: MATLAB bicubic with antialiasing, applied to
HU, rounded to integer HU (their card's ``intensity.lr``). Real low resolution is made by the scanner: a
wider reconstruction kernel, noise, a thicker slice. Each :data:`DEGRADATIONS` entry makes an LR slice
from the same HR slice another way; the model and bicubic then upscale it, and both are scored against the
HR slice through the lung window (PSNR, border crop = scale). The model's gain over bicubic is the number
to watch: how much of it survives a degradation the model never saw.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import ndimage

from ..data.degrade import matlab_imresize, modcrop
from ..metrics import psnr
from ..stats import t_interval
from .frequencies import lung

#: Noise of the noisy variants, HU (a low-dose chest CT has roughly 20-60 HU of noise in soft tissue).
NOISE_HU = 20.0


def _bicubic(hr, s):
    return matlab_imresize(hr, 1 / s)


def gaussian_lr(hr, s, sigma_lr=0.5):
    """LR of a wider point-spread function (a smoother reconstruction kernel): Gaussian blur of ``sigma_lr`` LR
    pixels, then every ``s``-th pixel, centred like the bicubic LR."""
    blurred = ndimage.gaussian_filter(hr, sigma_lr * s, mode="reflect")
    o = (s - 1) // 2
    return blurred[o::s, o::s] if s % 2 else (blurred[o::s, o::s] + blurred[o + 1 :: s, o + 1 :: s]) / 2


def _box(hr, s):
    # each LR pixel the mean of its s x s HR block (a detector that integrates over its area)
    h, w = hr.shape
    return hr.reshape(h // s, s, w // s, s).mean(axis=(1, 3))


def _noisy(make):
    def f(hr, s, rng):
        return make(hr, s) + rng.normal(0.0, NOISE_HU, size=(hr.shape[0] // s, hr.shape[1] // s))

    return f


#: ``name: f(hr_hu, scale, rng) -> lr_hu`` (before rounding to integer HU). The first is what the model was trained on.
DEGRADATIONS = {
    "bicubic (as trained)": lambda hr, s, rng: _bicubic(hr, s),
    "Gaussian blur (sigma 0.5 LR px)": lambda hr, s, rng: gaussian_lr(hr, s, 0.5),
    "Gaussian blur (sigma 1 LR px)": lambda hr, s, rng: gaussian_lr(hr, s, 1.0),
    "box average": lambda hr, s, rng: _box(hr, s),
    f"bicubic + noise ({NOISE_HU:g} HU)": _noisy(_bicubic),
    f"Gaussian blur 0.5 + noise ({NOISE_HU:g} HU)": _noisy(lambda hr, s: gaussian_lr(hr, s, 0.5)),
}


def make_lr(hr_hu: np.ndarray, scale: int, name: str, seed: int = 0) -> np.ndarray:
    """LR of ``hr_hu`` (already cropped to a multiple of ``scale``) made by degradation ``name``, rounded to integer
    HU; the noise of a noisy degradation is drawn from ``seed``."""
    if name not in DEGRADATIONS:
        raise KeyError(f"unknown degradation {name!r}; known: {list(DEGRADATIONS)}")
    return np.round(DEGRADATIONS[name](np.asarray(hr_hu, np.float64), scale, np.random.default_rng(seed)))


def thick_slice(series_hu: np.ndarray, k: int) -> np.ndarray:
    """The middle slice of ``series_hu`` (Z, H, W) as a ``k``-times thicker slice would record it: the mean of the
    ``k`` slices centred on it (the partial-volume effect of a thick reconstruction, through the plane)."""
    z = series_hu.shape[0] // 2
    return series_hu[z - k // 2 : z - k // 2 + k].mean(axis=0)


def score(lr_hu: np.ndarray, hr_hu: np.ndarray, scale: int, upscale_hu) -> dict:
    """Bicubic and model PSNR (lung window, crop = scale) of one LR slice against its HR slice."""
    target = lung(hr_hu)
    bic = psnr(lung(matlab_imresize(lr_hu, scale)), target, data_range=1.0, crop_border=scale)
    sr = psnr(lung(upscale_hu(lr_hu, scale)), target, data_range=1.0, crop_border=scale)
    return {"bicubic_psnr": bic, "model_psnr": sr, "gain": sr - bic}


def mismatch_table(images, scale: int, upscale_hu, seed: int = 0, progress: bool = False) -> pd.DataFrame:
    """Per image and degradation: bicubic PSNR, model PSNR and the model's gain."""
    from tqdm.auto import tqdm

    rows = []
    for name in tqdm(DEGRADATIONS, desc="degradations", disable=not progress):
        for i, (img_id, _, hu) in enumerate(images):
            hr = modcrop(np.asarray(hu, np.float64), scale)
            lr = make_lr(hr, scale, name, seed + i)
            rows.append({"degradation": name, "image": img_id, **score(lr, hr, scale, upscale_hu)})
    return pd.DataFrame(rows)


def gain_summary(per_image: pd.DataFrame) -> pd.DataFrame:
    """Per degradation: mean bicubic and model PSNR, the mean gain with its 95% t-interval over images, and the
    share of the as-trained gain that survives."""
    rows = []
    for name, g in per_image.groupby("degradation", sort=False):
        lo, hi = t_interval(g["gain"].to_numpy()) if len(g) > 1 else (np.nan, np.nan)
        rows.append(
            {"degradation": name, "images": len(g), "bicubic PSNR": g["bicubic_psnr"].mean(),
             "model PSNR": g["model_psnr"].mean(), "gain (dB)": g["gain"].mean(), "gain CI low": lo, "gain CI high": hi}
        )  # fmt: skip
    out = pd.DataFrame(rows)
    out["gain kept"] = out["gain (dB)"] / out["gain (dB)"].iloc[0]
    return out


def plot_gains(summary: pd.DataFrame, scale: int):
    """The model's gain over bicubic per degradation, with its 95% interval over images."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 0.45 * len(summary) + 1.4))
    y = np.arange(len(summary))[::-1]
    err = np.vstack([summary["gain (dB)"] - summary["gain CI low"], summary["gain CI high"] - summary["gain (dB)"]])
    colors = ["C2"] + ["C0"] * (len(summary) - 1)
    ax.barh(y, summary["gain (dB)"], xerr=err, color=colors, capsize=3)
    ax.set_yticks(y, summary["degradation"], fontsize=8)
    ax.axvline(0, color="k", lw=0.8)
    ax.set_xlabel(f"model PSNR minus bicubic PSNR (dB, x{scale}, lung window); bars: 95% interval over images")
    ax.set_title("How much of the gain survives a degradation the model never saw (green: as trained)", fontsize=10)
    ax.grid(True, axis="x", alpha=0.3)
    fig.tight_layout()
    return fig


def load_series(data_root=None, n: int = 9):
    """``(description, (n, H, W) float HU)``: ``n`` consecutive slices from the middle of the first Lung-PET-CT-Dx
    test series under the data root (ordered by position along the patient axis), or ``None`` when the shared
    data is not on this machine (the thick-slice part of the lesson is then skipped, and says so)."""
    from pathlib import Path

    import pydicom

    from ..data.hu_sets import hu_dataset, load_hu
    from ..errors import DatasetNotFoundError

    try:
        refs = hu_dataset("lung_pet_ct_dx", "test", data_root)
    except DatasetNotFoundError:
        return None
    folder = Path(refs[0].path).parent
    files = sorted(folder.glob("*.dcm"))
    heads = [pydicom.dcmread(f, stop_before_pixels=True) for f in files]
    order = sorted(range(len(files)), key=lambda i: float(heads[i].ImagePositionPatient[2]))
    mid = len(order) // 2
    chosen = order[mid - n // 2 : mid - n // 2 + n]
    thickness = float(getattr(heads[chosen[0]], "SliceThickness", float("nan")))
    from ..data.hu_sets import SliceRef

    hu = np.stack([load_hu(SliceRef(files[i], refs[0].patient_id)).astype(np.float64) for i in chosen])
    return f"{refs[0].patient_id}, series {folder.name}, {n} consecutive slices of {thickness:g} mm", hu


def thick_slice_table(series_hu: np.ndarray, scale: int, upscale_hu, thicknesses=(1, 3, 5)) -> pd.DataFrame:
    """Per thickness ``k`` (in slices): the middle slice as a ``k``-times thicker slice (:func:`thick_slice`), then
    bicubic-downscaled like the training LR; scored against the thin middle slice. ``k = 1`` is the as-trained case."""
    hr = modcrop(series_hu[series_hu.shape[0] // 2], scale)
    rows = []
    for k in thicknesses:
        lr = np.round(matlab_imresize(modcrop(thick_slice(series_hu, k), scale), 1 / scale))
        rows.append({"slices averaged": k, **score(lr, hr, scale, upscale_hu)})
    return pd.DataFrame(rows)
