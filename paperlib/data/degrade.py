"""MATLAB-compatible bicubic resizing (``imresize``) and ``modcrop``.

Why not ``F.interpolate`` / PIL / skimage / OpenCV: MATLAB's ``imresize``
(the degradation every SR paper, DRIDSR and IDMAN included, uses to make LR
images) (1) widens the cubic kernel by ``1/scale`` when shrinking
(antialiasing), (2) uses Keys' cubic with ``a = -0.5`` and (3) pads by
*symmetric* reflection at the borders. ``F.interpolate(mode="bicubic")`` uses
``a = -0.75`` and no antialias by default (``antialias=True`` uses a
different support and border rule), PIL and OpenCV use their own kernels and
border modes; all differ by several grey levels at the borders and by a few
hundredths of a dB of PSNR overall, so a "bicubic" LR made with them is not the
LR of the papers.

Implementation: each 1-D resize is a dense matrix ``M`` (out x in) built once
from MATLAB's ``contributions``; an image is resized as ``M_h @ X @ M_w^T``.
The same matrices serve numpy (float64) and torch (any device, batched), so the
two implementations cannot drift apart. Matrices are cached per
(in, out, scale, antialias).
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np


def _cubic(x: np.ndarray) -> np.ndarray:
    """Keys' cubic convolution kernel with a = -0.5 (MATLAB's ``cubic``)."""
    ax = np.abs(x)
    ax2, ax3 = ax**2, ax**3
    return (1.5 * ax3 - 2.5 * ax2 + 1) * (ax <= 1) + (-0.5 * ax3 + 2.5 * ax2 - 4 * ax + 2) * ((ax > 1) & (ax <= 2))


@lru_cache(maxsize=256)
def resize_matrix(in_len: int, out_len: int, scale: float, antialias: bool = True) -> np.ndarray:
    """Dense (out_len x in_len) float64 matrix of MATLAB's bicubic ``imresize`` along one axis.

    Args:
        in_len: input length along the axis.
        out_len: output length along the axis.
        scale: output/input scale factor (MATLAB's ``scale``, e.g. 1/4 to shrink by 4).
        antialias: widen the kernel by 1/scale when shrinking, as MATLAB does by default.
    """
    kernel_width = 4.0
    if scale < 1 and antialias:
        kernel = lambda x: scale * _cubic(scale * x)  # noqa: E731
        kernel_width = kernel_width / scale
    else:
        kernel = _cubic
    x = np.arange(1, out_len + 1, dtype=np.float64)
    u = x / scale + 0.5 * (1 - 1 / scale)
    left = np.floor(u - kernel_width / 2)
    p = int(math.ceil(kernel_width)) + 2
    ind = left[:, None] + np.arange(p)[None, :]  # 1-based input indices
    weights = kernel(u[:, None] - ind)
    weights = weights / weights.sum(axis=1, keepdims=True)
    # symmetric (half-sample) reflection of out-of-range indices, as MATLAB does
    aux = np.concatenate([np.arange(in_len), np.arange(in_len)[::-1]])
    ind0 = aux[np.mod(ind.astype(np.int64) - 1, 2 * in_len)]
    mat = np.zeros((out_len, in_len), dtype=np.float64)
    rows = np.repeat(np.arange(out_len), p)
    np.add.at(mat, (rows, ind0.ravel()), weights.ravel())
    return mat


def _output_shape(h: int, w: int, scale: float | None, size: tuple[int, int] | None) -> tuple[int, int, float, float]:
    if size is not None:
        oh, ow = int(size[0]), int(size[1])
        return oh, ow, oh / h, ow / w
    if scale is None or scale <= 0:
        raise ValueError(f"imresize needs a positive scale or an output size, got scale={scale!r}")
    return int(math.ceil(h * scale)), int(math.ceil(w * scale)), float(scale), float(scale)


def matlab_imresize(
    img: np.ndarray, scale: float | None = None, size: tuple[int, int] | None = None, antialias: bool = True
) -> np.ndarray:
    """Resize like MATLAB's ``imresize(img, scale, 'bicubic')``.

    Args:
        img: H x W or H x W x C array, any real dtype. Computed in float64; the result is
            float64 (no rounding or clipping: a uint8 caller decides how to quantise).
        scale: output/input factor (``1/4`` to make a x4 LR image, ``4`` to upscale).
        size: explicit (H_out, W_out) instead of ``scale``.
        antialias: MATLAB's default ``true``.

    Returns:
        float64 array of shape (ceil(H*scale), ceil(W*scale)[, C]).
    """
    a = np.asarray(img, dtype=np.float64)
    if a.ndim not in (2, 3):
        raise ValueError(f"matlab_imresize expects HxW or HxWxC, got shape {a.shape}")
    h, w = a.shape[:2]
    oh, ow, sh, sw = _output_shape(h, w, scale, size)
    mh = resize_matrix(h, oh, sh, antialias)
    mw = resize_matrix(w, ow, sw, antialias)
    if a.ndim == 2:
        return mh @ a @ mw.T
    return np.einsum("oh,hwc,pw->opc", mh, a, mw, optimize=True)


def imresize_torch(x, scale: float | None = None, size: tuple[int, int] | None = None, antialias: bool = True):
    """MATLAB-compatible bicubic resize of a batch ``N x C x H x W`` tensor (any device).

    Same matrices as :func:`matlab_imresize`; computed in float32 (float64 input stays float64),
    so it runs batched on a GPU. Under autocast the matmuls are forced to float32, since the
    degradation defines the LR image and must not be quantised.
    """
    import torch

    if x.dim() != 4:
        raise ValueError(f"imresize_torch expects N x C x H x W, got shape {tuple(x.shape)}")
    h, w = x.shape[-2:]
    oh, ow, sh, sw = _output_shape(h, w, scale, size)
    dtype = torch.float64 if x.dtype == torch.float64 else torch.float32
    mh = torch.as_tensor(resize_matrix(h, oh, sh, antialias), dtype=dtype, device=x.device)
    mw = torch.as_tensor(resize_matrix(w, ow, sw, antialias), dtype=dtype, device=x.device)
    with torch.autocast(device_type=x.device.type, enabled=False):
        return mh @ x.to(dtype) @ mw.T


def modcrop(img, scale: int):
    """Crop H and W (the last two axes for tensors, the first two for arrays) to multiples of ``scale``."""
    scale = int(scale)
    if hasattr(img, "dim"):  # torch tensor, N x C x H x W or C x H x W
        h, w = img.shape[-2:]
        return img[..., : h - h % scale, : w - w % scale]
    h, w = img.shape[:2]
    return img[: h - h % scale, : w - w % scale, ...]


def bicubic_degrade(hr: np.ndarray, scale: int) -> np.ndarray:
    """LR image of an HR image: modcrop then MATLAB bicubic shrink by ``scale`` (float64, unclipped)."""
    return matlab_imresize(modcrop(hr, scale), scale=1.0 / scale)
