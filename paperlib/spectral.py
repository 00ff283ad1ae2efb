"""Spectral energy of images and of DRIDSR's two paths: where in frequency an image (or a path's output) lives.

Conventions (one place for every measure in the project):

* an image's **power spectrum**: mean removed, a 2-D Hann window (so the image border adds no false high
  frequencies), ``|FFT|^2``; frequencies in cycles per pixel (Nyquist = 0.5), radius ``sqrt(u^2 + v^2)``;
* the **share above** a cutoff: the energy at radius > cutoff over the energy at radius > ``floor`` (0.02:
  the lowest bins hold the slow shading of the whole slice and would swamp every share);
* the cutoff that matters for x``s`` super-resolution is the **LR Nyquist frequency** ``1 / (2 s)`` cycles per
  HR pixel: what lies above it is exactly what a downscale removes and a model must create.

DRIDSR's reconstruction is linear after the two paths meet (``conv -> PixelShuffle -> conv``, no activation;
:class:`paperlib.models.dridsr.DRIDSR`), so its output splits exactly into the low path's contribution, the
high path's contribution and a bias image: :func:`dridsr_path_contributions`. The paper's Fig. 6 shows each
path as a channel mean of LR-sized feature maps, which averages channels of opposite sign away; the
contributions here are the paths' parts of the super-resolved image itself, measured in HR pixels.
"""

from __future__ import annotations

import numpy as np

FLOOR = 0.02


def power_spectrum(img: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(power, radius)`` of a 2-D image: mean removed, Hann-windowed ``|FFT|^2`` and each bin's radius (cycles/px)."""
    x = np.asarray(img, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError(f"power_spectrum expects a 2-D image, got shape {x.shape}")
    x = (x - x.mean()) * np.outer(np.hanning(x.shape[0]), np.hanning(x.shape[1]))
    p = np.abs(np.fft.fft2(x)) ** 2
    r = np.hypot(*np.meshgrid(np.fft.fftfreq(x.shape[0]), np.fft.fftfreq(x.shape[1]), indexing="ij"))
    return p, r


def share_above(img: np.ndarray, cutoff: float, floor: float = FLOOR) -> float:
    """Share of the image's energy above ``floor`` cycles/px that lies above ``cutoff`` cycles/px (NaN if none)."""
    p, r = power_spectrum(img)
    total = p[r > floor].sum()
    return float(p[r > cutoff].sum() / total) if total > 0 else float("nan")


def lr_nyquist(scale: int) -> float:
    """The Nyquist frequency of an x``scale`` downscale, in cycles per HR pixel: ``1 / (2 * scale)``."""
    return 1.0 / (2 * scale)


def band_shares(img: np.ndarray, scales=(4, 3, 2), floor: float = FLOOR) -> dict:
    """``{"x4": share, ...}``: the share of ``img``'s energy above ``floor`` that lies above each scale's LR Nyquist
    frequency (what that downscale removes and a model would have to restore)."""
    return {f"x{s}": share_above(img, lr_nyquist(s), floor) for s in scales}


def dridsr_path_contributions(model, lr: np.ndarray, device="cpu") -> dict:
    """A trained DRIDSR's output split into its two paths: ``{"low", "high", "bias", "sr"}`` as HR-sized arrays.

    ``sr = low + high + bias`` up to float rounding: ``low``/``high`` are the reconstruction's weights (no biases)
    applied to F_L / F_H, ``bias`` is the reconstruction of a zero input (its biases through the convolutions).
    """
    import torch
    import torch.nn.functional as F

    c1, shuffle, c2 = model.recon
    x = torch.from_numpy(np.asarray(lr, dtype=np.float32))[None, None].to(device)

    def rec(feat, bias: bool):
        y = F.conv2d(feat, c1.weight, c1.bias if bias else None, padding=c1.padding)
        return F.conv2d(shuffle(y), c2.weight, c2.bias if bias else None, padding=c2.padding)

    with torch.inference_mode():
        out = model(x, return_paths=True)
        low, high = rec(out["low"], False), rec(out["high"], False)
        bias = rec(torch.zeros_like(out["low"]), True)
    return {k: v[0, 0].cpu().numpy() for k, v in (("low", low), ("high", high), ("bias", bias), ("sr", out["sr"]))}
