"""Test-set evaluation, inference timing and the evaluation key (paired statistics: :mod:`paperlib.stats`).

Protocol (stated in every table through :class:`paperlib.metrics.Protocol`, built by
:func:`default_protocol` from the data's :class:`~paperlib.data.intensity.Intensity`):

1. HR: the stored test image, ``modcrop``-ed to a multiple of the scale, mapped to [0, 1]
   (8-bit: / 255; HU: through the stated window);
2. LR: :meth:`Intensity.degrade <paperlib.data.intensity.Intensity.degrade>`, the same function
   training uses: MATLAB bicubic (antialias) shrink by the scale, stored at the data's precision
   (8 bits, or integer HU), as an LR file would be;
3. SR: the model's output clipped to [0, 1] and stored the same way (``Intensity.store_sr``);
4. metrics: 8-bit images on the Y channel (the DRIDSR paper's statement); HU images in grey on the
   window's [0, 1] (data range 1 = the window width in HU); border crop = scale.

Inference runs in fp32 (evaluation never uses bf16), whole images by default; ``tile``
splits large inputs into overlapping tiles whose centres are stitched (exact when the
overlap covers the model's receptive field).
"""

from __future__ import annotations

import time

import numpy as np

from .data.intensity import U8, Intensity
from .hashing import sha256_file
from .metrics import Protocol, full_reference
from .precision import FP32, Precision, fast_path, run_model


def default_protocol(intensity: Intensity, scale: int) -> Protocol:
    """The evaluation protocol for a data source: Y for 8-bit figures, grey on the window for HU."""
    if intensity.kind == "u8":
        return Protocol(channel="y", crop_border=scale)
    return Protocol(
        channel="gray",
        crop_border=scale,
        data_range=1.0,
        image_domain=intensity.data_range_note,
        degradation=intensity.lr_note,
    )


def make_pair(hr_stored: np.ndarray, scale: int, intensity: Intensity = U8):
    """HR and LR (float64 in [0, 1]) of one stored test image under the evaluation protocol."""
    lr, hr = intensity.degrade(np.asarray(hr_stored), scale)
    return hr, lr


def super_resolve(
    model, lr: np.ndarray, device="cpu", fast: bool = False, tile: int | None = None, overlap: int = 16
) -> np.ndarray:
    """Run ``model`` on one H x W LR image in [0, 1]; returns float32 sH x sW (unclipped).

    Args:
        tile: LR tile side; ``None`` processes the whole image.
        overlap: LR pixels of context kept around each tile (cropped away when stitching).
        fast: the :func:`paperlib.precision.fast_path` (channels_last, bf16 autocast where supported,
            output layer in fp32), on a prepared copy of ``model`` (pass a model already returned by
            ``fast_path`` to prepare it once). For timing studies only; evaluation uses fp32.
    """
    import torch

    model, precision = fast_path(model, device, enabled=fast)
    x = torch.from_numpy(np.ascontiguousarray(lr, dtype=np.float32))[None, None].to(device)
    with torch.inference_mode():
        if tile is None or (lr.shape[0] <= tile and lr.shape[1] <= tile):
            return run_model(model, x, precision)[0, 0].cpu().numpy()
        return _tiled(model, x, tile, overlap, precision)[0, 0].cpu().numpy()


def _tiled(model, x, tile: int, overlap: int, precision: Precision = FP32):
    import torch

    h, w = x.shape[-2:]
    out = None
    for y0 in range(0, h, tile):
        for x0 in range(0, w, tile):
            y1, x1 = min(y0 + tile, h), min(x0 + tile, w)
            ya, xa = max(0, y0 - overlap), max(0, x0 - overlap)
            yb, xb = min(h, y1 + overlap), min(w, x1 + overlap)
            sr = run_model(model, x[..., ya:yb, xa:xb], precision)
            s = sr.shape[-1] // (xb - xa)
            if out is None:
                out = torch.zeros(x.shape[0], sr.shape[1], h * s, w * s, device=x.device)
            out[..., y0 * s : y1 * s, x0 * s : x1 * s] = sr[
                ..., (y0 - ya) * s : (y1 - ya) * s, (x0 - xa) * s : (x1 - xa) * s
            ]
    return out


def sr_metrics(
    model,
    hr_stored,
    scale: int,
    device="cpu",
    fast: bool = False,
    protocol: Protocol | None = None,
    with_ms_ssim: bool = False,
    with_niqe: bool = False,
    return_images: bool = False,
    intensity: Intensity = U8,
    with_edges: bool = False,
) -> dict:
    """Metrics of one stored test image under ``protocol`` (default: :func:`default_protocol`); ``with_edges``
    adds :func:`paperlib.metrics.gradient_error`."""
    from .metrics import niqe

    protocol = protocol or default_protocol(intensity, scale)
    hr, lr = make_pair(hr_stored, scale, intensity)
    t0 = time.perf_counter()
    sr = intensity.store_sr(super_resolve(model, lr, device, fast=fast))
    row = {"seconds": time.perf_counter() - t0}
    row.update(full_reference(sr, hr, protocol, with_ms_ssim=with_ms_ssim, with_edges=with_edges))
    if with_niqe:
        try:
            row["niqe"] = niqe(sr, crop_border=protocol.crop_border)
        except ValueError:  # too small for NIQE's 96-px patches: recorded as missing, not invented
            row["niqe"] = float("nan")
    if return_images:
        row["images"] = {"hr": hr, "lr": lr, "sr": sr}
    return row


def evaluate_images(
    model,
    images,
    scale: int,
    method: str,
    device="cpu",
    protocol: Protocol | None = None,
    with_ms_ssim: bool = True,
    with_niqe: bool = True,
    progress: bool = True,
    intensity: Intensity = U8,
    with_edges: bool = False,
):
    """Per-image metrics on ``images`` (list of ``(name, label, stored HxW)``) as a tidy DataFrame."""
    import pandas as pd
    from tqdm.auto import tqdm

    protocol = protocol or default_protocol(intensity, scale)
    rows = []
    for name, label, img in tqdm(images, desc=f"eval {method} x{scale}", disable=not progress, leave=False):
        r = sr_metrics(
            model,
            img,
            scale,
            device,
            protocol=protocol,
            with_ms_ssim=with_ms_ssim,
            with_niqe=with_niqe,
            intensity=intensity,
            with_edges=with_edges,
        )
        rows.append(
            {
                "method": method,
                "scale": scale,
                "image": name,
                "label": label,
                "height": img.shape[0],
                "width": img.shape[1],
            }
            | r
        )
    df = pd.DataFrame(rows)
    df.attrs["protocol"] = protocol.describe()
    return df


def evaluation_key(weights_path, images, protocol: Protocol, **flags) -> str:
    """Hash (16 hex) of everything a cached evaluation depends on, for its cache file name.

    Covers: the sha256 of the weights file, each test image's ``label/name``, shape and pixel
    sha256 (in order), ``protocol.describe()``, the metric flags (e.g. ``with_niqe=True,
    with_ms_ssim=False``; ``None`` values dropped) and :data:`paperlib.metrics.METRICS_VERSION`.
    A change to any of them gives another key, so an old result is never read for new inputs.
    """
    import hashlib
    import json

    from .metrics import METRICS_VERSION

    h = hashlib.sha256(f"metrics-v{METRICS_VERSION}\n".encode())
    h.update(sha256_file(weights_path).encode())
    for name, label, img in images:
        h.update(f"{label}/{name}:{np.shape(img)}".encode())
        h.update(hashlib.sha256(np.ascontiguousarray(img).tobytes()).digest())
    h.update(protocol.describe().encode())
    h.update(json.dumps({k: v for k, v in flags.items() if v is not None}, sort_keys=True, default=str).encode())
    return h.hexdigest()[:16]


def summarize(per_image, metrics=("psnr", "ssim", "ms_ssim", "niqe")):
    """Mean of each metric per (method, scale) over its images (and training seeds, when ``per_image`` has a
    ``seed`` column), with the number of distinct images and, with seeds, of seeds."""
    cols = [m for m in metrics if m in per_image.columns]
    g = per_image.groupby(["method", "scale"], sort=False)
    out = g[cols].mean()
    out["n_images"] = g["image"].nunique() if "image" in per_image.columns else g.size()
    if "seed" in per_image.columns:
        out["n_seeds"] = g["seed"].nunique()
    return out.reset_index()


def inference_time(
    model, lr_shape=(128, 128), device="cpu", repeats: int = 10, warmup: int = 3, fast: bool = False, batch: int = 1
) -> dict:
    """Median wall time of one forward pass on a random LR input (warm-up first, CUDA synchronised).

    ``fast``: time the :func:`paperlib.precision.fast_path` (prepared once, before timing; a model
    already returned by ``fast_path``, possibly ``torch.compile``-d after, is used as is).
    """
    import torch

    model, precision = fast_path(model, device, enabled=fast)
    x = torch.rand(batch, 1, *lr_shape, device=device)
    if precision.channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    sync = torch.cuda.synchronize if torch.device(device).type == "cuda" else (lambda: None)
    times = []
    with torch.inference_mode():
        for i in range(warmup + repeats):
            sync()
            t0 = time.perf_counter()
            run_model(model, x, precision)
            sync()
            if i >= warmup:
                times.append(time.perf_counter() - t0)
    return {
        "median_s": float(np.median(times)),
        "min_s": float(np.min(times)),
        "repeats": repeats,
        "lr_shape": list(lr_shape),
        "batch": batch,
        "fast": fast,
        "device": str(device),
    }
