"""Lesson 2, frequencies and aliasing: what a downscale removes, what bicubic keeps, what a model restores.

Spectra are :func:`paperlib.spectral.power_spectrum` (mean removed, 2-D Hann window, ``|FFT|^2``); radius in
cycles per HR pixel, so HR Nyquist is 0.5 and an x``s`` downscale keeps only what lies below ``1/(2s)``
(:func:`paperlib.spectral.lr_nyquist`). Every image is looked at through the lung window (the window the
shipped HU weights were trained and scored on), as values in [0, 1].
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..data.degrade import matlab_imresize, modcrop
from ..data.hu import LUNG_WINDOW, hu_window
from ..spectral import lr_nyquist, power_spectrum, share_above


def lung(hu: np.ndarray) -> np.ndarray:
    return np.asarray(hu_window(np.asarray(hu, np.float64), LUNG_WINDOW))


def versions(hu: np.ndarray, scale: int, upscale_hu) -> dict:
    """The slice at HR, its LR (MATLAB bicubic with antialias, integer HU), the LR decimated without a filter,
    and the bicubic and model upscalings of the LR: ``{name: lung-window image}`` (LR ones at LR size)."""
    hr = modcrop(np.asarray(hu, np.float64), scale)
    lr = np.round(matlab_imresize(hr, 1 / scale))
    return {
        "HR": lung(hr),
        "LR": lung(lr),
        "LR, decimated (no filter)": lung(hr[::scale, ::scale]),
        "bicubic": lung(matlab_imresize(lr, scale)),
        "model": lung(upscale_hu(lr, scale)),
    }


def radial_profile(img: np.ndarray, pixel_pitch: float = 1.0, bins: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """``(frequency in cycles per HR pixel, mean power)`` over rings of the 2-D spectrum. ``pixel_pitch``: HR pixels
    per pixel of ``img`` (an x4 LR image has pitch 4, so its Nyquist lands at 0.125 cycles/HR pixel)."""
    p, r = power_spectrum(img)
    r = r / pixel_pitch
    edges = np.linspace(0, 0.5 / pixel_pitch, bins + 1)
    idx = np.digitize(r.ravel(), edges) - 1
    ok = (idx >= 0) & (idx < bins)
    power = np.bincount(idx[ok], p.ravel()[ok], bins) / np.maximum(np.bincount(idx[ok], minlength=bins), 1)
    # per pixel of the image, so that images of different sizes compare
    return (edges[:-1] + edges[1:]) / 2, power / img.size


def spectra_figure(v: dict, scale: int):
    """Log power spectra (centred, one shared colour scale, with a colour bar) of HR, bicubic and the model, and
    the radial profiles of all versions with the LR Nyquist frequency marked."""
    import matplotlib.pyplot as plt

    names = ["HR", "bicubic", "model"]
    logs = {n: np.log10(np.fft.fftshift(power_spectrum(v[n])[0]) / v[n].size + 1e-12) for n in names}
    lo, hi = np.percentile(np.concatenate([x.ravel() for x in logs.values()]), [5, 99.9])
    fig = plt.figure(figsize=(12, 7.2))
    gs = fig.add_gridspec(2, 4, width_ratios=[1, 1, 1, 0.05], height_ratios=[1, 0.9])
    for i, n in enumerate(names):
        ax = fig.add_subplot(gs[0, i])
        im = ax.imshow(logs[n], cmap="magma", vmin=lo, vmax=hi, extent=(-0.5, 0.5, -0.5, 0.5))
        ny = lr_nyquist(scale)
        ax.add_patch(plt.Rectangle((-ny, -ny), 2 * ny, 2 * ny, fill=False, ec="cyan", lw=0.8, ls="--"))
        ax.set_title(f"{n}: log10 power", fontsize=9)
        ax.set_xlabel("cycles / HR pixel", fontsize=8)
    fig.colorbar(im, cax=fig.add_subplot(gs[0, 3]), label="log10 power per pixel")
    ax = fig.add_subplot(gs[1, :3])
    for n, img in v.items():
        f, p = radial_profile(img, scale if n.startswith("LR") else 1)
        ax.semilogy(f, p, label=n, lw=1.2, ls=":" if n.startswith("LR") else "-")
    ax.axvline(lr_nyquist(scale), color="cyan", ls="--", lw=1, label=f"LR Nyquist (x{scale}): {lr_nyquist(scale):.3f}")
    ax.set_xlabel("spatial frequency (cycles per HR pixel; HR Nyquist = 0.5)")
    ax.set_ylabel("mean power per ring")
    ax.legend(fontsize=8)
    ax.grid(True, alpha=0.3)
    fig.suptitle(
        "Spectra through the lung window; dashed cyan square / line: what an x"
        f"{scale} LR image can hold (its Nyquist frequency)",
        fontsize=10,
    )
    fig.tight_layout()
    return fig


def restored_share(images, scale: int, upscale_hu) -> pd.DataFrame:
    """Per image: the share of the spectral energy above ``FLOOR`` that lies above the LR Nyquist frequency, for HR,
    bicubic and the model, and how much of HR's high-frequency share each recovers (``model / HR``)."""
    rows = []
    for img_id, patient, hu in images:
        v = versions(hu, scale, upscale_hu)
        c = lr_nyquist(scale)
        row = {"image": img_id, **{f"{n} share": share_above(v[n], c) for n in ("HR", "bicubic", "model")}}
        row["bicubic / HR"] = row["bicubic share"] / row["HR share"]
        row["model / HR"] = row["model share"] / row["HR share"]
        rows.append(row)
    return pd.DataFrame(rows)


def aliasing_table(images, scale: int) -> pd.DataFrame:
    """Per image: PSNR (lung window, crop = scale) of bicubic upscaling from an LR made with MATLAB's antialiasing
    filter and from one made by taking every ``scale``-th pixel (no filter: frequencies above the LR Nyquist fold
    back, aliasing)."""
    from ..metrics import psnr

    rows = []
    for img_id, _, hu in images:
        hr = modcrop(np.asarray(hu, np.float64), scale)
        out = {"image": img_id}
        for name, lr in (("antialiased LR", matlab_imresize(hr, 1 / scale)), ("decimated LR", hr[::scale, ::scale])):
            # decimation keeps HR pixels 0, s, 2s...; MATLAB's upscaling puts LR pixel i at HR (i + 0.5) s - 0.5
            shift = 0 if name == "antialiased LR" else -(scale - 1) / 2
            up = matlab_imresize(np.round(lr), scale)
            if shift:
                up = _subpixel_shift(up, shift)
            out[f"bicubic from {name} (dB)"] = psnr(lung(up), lung(hr), data_range=1.0, crop_border=2 * scale)
        rows.append(out)
    return pd.DataFrame(rows)


def _subpixel_shift(img: np.ndarray, d: float) -> np.ndarray:
    """``img`` moved by ``d`` pixels down and right (a Fourier shift; negative: up and left)."""
    fy = np.fft.fftfreq(img.shape[0])[:, None]
    fx = np.fft.fftfreq(img.shape[1])[None, :]
    return np.real(np.fft.ifft2(np.fft.fft2(img) * np.exp(-2j * np.pi * (fy + fx) * d)))


def path_spectra_figure(lr_lung: np.ndarray, scale: int):
    """DRIDSR's two paths seen in frequency: radial spectra of the low-frequency path's and the high-frequency
    path's share of the output (:func:`paperlib.spectral.dridsr_path_contributions`, shipped HU weights, input
    through the lung window)."""
    import matplotlib.pyplot as plt

    from ..pretrained import load_pretrained
    from ..spectral import dridsr_path_contributions

    model, _, _ = load_pretrained("dridsr", scale)
    parts = dridsr_path_contributions(model, lr_lung)
    fig, ax = plt.subplots(figsize=(8, 4))
    for n in ("sr", "low", "high"):
        f, p = radial_profile(parts[n])
        ax.semilogy(f, p, label={"sr": "output", "low": "low-frequency path", "high": "high-frequency path"}[n])
    ax.axvline(lr_nyquist(scale), color="cyan", ls="--", lw=1, label=f"LR Nyquist (x{scale})")
    ax.set_xlabel("spatial frequency (cycles per HR pixel)")
    ax.set_ylabel("mean power per ring")
    ax.set_title("DRIDSR's output split exactly into its two paths' parts (shipped HU weights)", fontsize=10)
    ax.legend(fontsize=8)
    ax.grid(True, alpha=0.3)
    fig.tight_layout()
    return fig, parts


def committed_band_shares(root=None) -> pd.DataFrame:
    """The committed measure behind "why the HU weights gain more than the COVID-CT ones"
    (``figures/pretrained/spectral_energy.json``, made by ``scripts/spectral_energy.py``): the median share of
    each set's test-image energy above each scale's LR Nyquist frequency."""
    import json

    from ..config import figures_root

    path = figures_root(root) / "pretrained" / "spectral_energy.json"
    if not path.is_file():
        raise FileNotFoundError(f"{path}: run python scripts/spectral_energy.py first")
    d = json.loads(path.read_text())
    rows = [{"set": k, "images": len(v["images"]), **v["median"]} for k, v in d["sets"].items()]
    return pd.DataFrame(rows).assign(commit=d.get("git_commit", "?")[:10])


def band_share_sentence(committed: pd.DataFrame) -> str:
    """What the committed band shares say about the two sets (numbers from the table)."""
    hu = committed[committed["set"].str.startswith("tcga")].iloc[0]
    cc = committed[committed["set"].str.startswith("covid")].iloc[0]
    more = "less" if hu["x2"] < cc["x2"] else "more"
    return (
        f"The HU test slices carry {more} of their energy above the x2 LR Nyquist frequency than the COVID-CT "
        f"figures ({hu['x2']:.1%} against {cc['x2']:.1%}; above x4's: {hu['x4']:.1%} against {cc['x4']:.1%}). "
        + (
            "So a downscale removes less from them, and less must be learned back: consistent with part of the gap "
            "(that it explains all of it is not established)."
            if more == "less"
            else "So this measure does not explain the gap."
        )
    )


def what_we_see(shares: pd.DataFrame, alias: pd.DataFrame, parts: dict, scale: int) -> list[str]:
    """The lesson's observations with the numbers measured above."""
    c = lr_nyquist(scale)
    low, high = share_above(parts["low"], c), share_above(parts["high"], c)
    a = alias.filter(like="(dB)")
    drop = (a.iloc[:, 1] - a.iloc[:, 0]).mean()
    return [
        f"Above the x{scale} LR Nyquist frequency ({c:.3f} cycles/pixel) lies a median "
        f"{shares['HR share'].median():.1%} of the HR slices' energy. Bicubic keeps "
        f"{shares['bicubic / HR'].median():.0%} of that share, the model "
        f"{shares['model / HR'].median():.0%} (medians over {len(shares)} slices): the model puts back part of what "
        "the downscale removed, never all, and not necessarily the *true* part (a plausible texture counts too).",
        f"Decimating without a filter changes bicubic's PSNR by {drop:+.2f} dB on average: frequencies above the LR "
        "Nyquist do not vanish, they fold back as false low frequencies (aliasing), which no upscaler can tell apart "
        "from real structure.",
        f"DRIDSR's two paths: {low:.1%} of the low-frequency path's output energy lies above the LR Nyquist frequency, "
        f"{high:.1%} of the high-frequency path's. The names describe intent; the measure says which path carries "
        "the fine detail in these weights.",
    ]
