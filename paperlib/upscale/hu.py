"""HU inference: a model trained on windowed [0, 1] slices, applied to Hounsfield units.

Each slice is mapped to [0, 1] with ``window`` (lung W1500/L-600 by default), super-resolved, and mapped back
to HU with the window's inverse. HU outside the window cannot come back from a clipped input, so the model's
detail is added to the MATLAB-bicubic upscaled true HU (:func:`sr_hu_batch`) and the HU stay on their true scale
everywhere. :func:`sr_hu_volume` streams a volume ``batch`` slices at a time.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np

from ..data.degrade import imresize_torch
from ..data.hu import LUNG_WINDOW, hu_unwindow, hu_window
from .memory import retain_freed_memory

#: ``consistency`` options of :func:`sr_hu_batch`.
CONSISTENCY = ("backproject", "none")
#: slices per batch of :func:`upscale` / :func:`upscale_series`. Peak memory grows with the batch
#: while CPU throughput hardly does: DRIDSR x2 on 512 x 512 slices, fast path, batch 2 adds about
#: 1.2 GB of RSS on CPU (bench/README.md, volume section).
DEFAULT_BATCH = 2


def sr_hu_batch(
    model,
    hu: np.ndarray,
    scale: int,
    window=LUNG_WINDOW,
    device="cpu",
    fast: bool = False,
    consistency: str = "backproject",
) -> np.ndarray:
    """Super-resolve a batch of HU slices (Z, H, W) -> (Z, sH, sW) float32 HU.

    The model sees the windowed slice; its *detail* over the bicubic upscaling of that same
    windowed slice is added to the bicubic upscaling of the true HU::

        detail = unwindow(model(w)) - unwindow(bicubic(w)),   w = window(HU)
        SR_HU  = bicubic(HU) + detail

    Inside the window, away from clipped pixels, this is exactly ``unwindow(model(w))``; where
    the window clipped the input (air below, bone above a lung window) the model has nothing to
    add (``detail = 0`` there) and the true bicubic HU are kept, so no HU are lost to the window.
    A bicubic "model" therefore returns MATLAB-bicubic HU exactly (tested).

    ``consistency='backproject'`` (default) removes the low-frequency part of the detail before it
    is added: ``detail -= bicubic_up(bicubic_down(detail))`` (MATLAB bicubic, ``imresize_torch``).
    A model's output need not be consistent with its input: a small DC or low-frequency error of
    the network (bf16 features, a training-set mean unlike this series, the window's clip) shifts
    the s x s block means of the output away from the input pixel they came from, i.e. changes
    the HU of tissue, which is what a radiologist measures. Back-projection makes the detail
    (nearly) invisible after the degradation, so the output's s x s block means follow those of
    the bicubic HU, which agree with the input pixels on average (bicubic upscaling preserves the
    mean); it is smooth (no s x s block pattern, unlike subtracting each block's mean of the
    detail) and keeps the high-frequency detail the model is for. On a real Lung-PET-CT-Dx slice
    at x2, a model adding a 15 HU offset and a checkerboard moves the mean block bias from
    +14.4 HU to below 1e-6 HU, keeping the checkerboard (tested). It is applied after the detail
    is zeroed on clipped pixels, so deep inside clipped regions the output is bicubic exactly;
    within the bicubic support of their border the correction of the neighbouring detail shows.
    ``'none'`` adds the raw detail (the previous behaviour).

    ``fast`` runs the model on the :func:`paperlib.precision.fast_path` (a prepared copy: the
    caller's model is never modified; pass a model already returned by ``fast_path`` to prepare
    it once); the window, bicubic and HU arithmetic stay fp32.
    """
    from ..precision import fast_path

    model, precision = fast_path(model, device, enabled=fast)
    return _sr_hu(model, precision, hu, scale, window, device, consistency)


def _sr_hu(model, precision, hu, scale, window, device, consistency):
    import torch

    from ..precision import run_model

    if consistency not in CONSISTENCY:
        raise ValueError(f"consistency must be one of {CONSISTENCY}, got {consistency!r}")
    x = torch.from_numpy(np.ascontiguousarray(hu, dtype=np.float32))[:, None].to(device)
    with torch.inference_mode():
        w = hu_window(x, window)
        sr_w = run_model(model, w, precision).clamp(0, 1)
        bic_w = imresize_torch(w, scale=scale)
        bic = imresize_torch(x, scale=scale)
        detail = hu_unwindow(sr_w, window) - hu_unwindow(bic_w, window)
        saturated = (bic_w <= 0) | (bic_w >= 1)  # the window clipped everything around here
        detail = torch.where(saturated, torch.zeros_like(detail), detail)
        if consistency == "backproject":
            low = imresize_torch(imresize_torch(detail, size=tuple(x.shape[-2:])), size=tuple(detail.shape[-2:]))
            detail = detail - low
        out = bic + detail
    return out[:, 0].cpu().numpy()


def sr_hu_volume(
    model,
    slices: Iterable[np.ndarray],
    scale: int,
    window=LUNG_WINDOW,
    device="cpu",
    batch: int = DEFAULT_BATCH,
    fast: bool = True,
    consistency: str = "backproject",
) -> Iterator[np.ndarray]:
    """Super-resolve a stream of HU slices (H, W), ``batch`` at a time; yields (sH, sW) float32 HU in order.

    The streaming form of :func:`sr_hu_batch` that :func:`upscale_series` runs (same arithmetic, slice
    for slice): slices are pulled from ``slices`` only as needed, so memory is bounded by one batch
    whatever the volume's length. The model is prepared for ``fast`` once (default ``True``, as in
    :func:`upscale`). One input buffer is reused for every batch of equal shape, and on CPU freed
    memory is kept for reuse while the generator runs (:func:`retain_freed_memory`): without it
    glibc unmaps the model's large feature maps after each batch and maps them again, zeroed, for
    the next one, and the process spent as much time in the kernel as in the model.
    """
    from ..precision import fast_path

    if consistency not in CONSISTENCY:
        raise ValueError(f"consistency must be one of {CONSISTENCY}, got {consistency!r}")
    model, precision = fast_path(model, device, enabled=fast)
    buf = None
    with retain_freed_memory(device):
        for chunk in _chunks(slices, batch):
            shape = (len(chunk), *np.shape(chunk[0]))
            if buf is None or buf.shape[1:] != shape[1:] or len(buf) < len(chunk):
                buf = np.empty(shape, np.float32)
            for i, hu in enumerate(chunk):
                buf[i] = hu
            yield from _sr_hu(model, precision, buf[: len(chunk)], scale, window, device, consistency)


def _chunks(items: Iterable, n: int) -> Iterator[list]:
    if n < 1:
        raise ValueError(f"batch must be >= 1, got {n}")
    chunk = []
    for it in items:
        chunk.append(it)
        if len(chunk) == n:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
