"""Building blocks shared by the model zoo.

* :func:`conv` -- 2-D convolution with "same" padding (``k // 2``), as in EDSR's ``default_conv``.
* :class:`ResBlock` -- EDSR residual block (conv-ReLU-conv, scaled by ``res_scale``, + identity).
* :class:`CALayer` -- RCAN channel attention (global average pool, 1x1 down, ReLU, 1x1 up, sigmoid).
* :class:`Upsampler` -- EDSR sub-pixel upsampler: ``log2(s)`` stages of conv(n, 4n) + PixelShuffle(2)
  for powers of two, one conv(n, 9n) + PixelShuffle(3) for x3.
* :class:`MeanShift` -- subtract/add a per-channel mean. Implemented with a *buffer* (not a frozen
  Conv2d as in EDSR-PyTorch), so it never counts as a parameter or a weight layer. Grayscale CT has
  no meaningful RGB mean: :func:`default_mean` returns ``None`` (shift off) for one channel.
* :class:`Attention` -- marker base class for attention modules. ``count_layers(model,
  include_attention=False)`` skips the convolutions inside them (the convention under which the
  IMDN paper's 34 layers are counted).
* :class:`FixedFilter` -- marker for fixed (non-learned) filter layers such as the Sobel operator of
  DRIDSR; ``count_layers`` counts them as layers (``include_fixed=True``) but they hold no parameters.
"""

from __future__ import annotations

import math
from typing import Sequence

import torch
from torch import nn

DIV2K_RGB_MEAN = (0.4488, 0.4371, 0.4040)


def conv(in_channels: int, out_channels: int, kernel_size: int, bias: bool = True) -> nn.Conv2d:
    """``nn.Conv2d`` with same padding (``kernel_size // 2``) and stride 1."""
    return nn.Conv2d(in_channels, out_channels, kernel_size, padding=kernel_size // 2, bias=bias)


class Attention(nn.Module):
    """Marker base class: convolutions inside an attention module are not "layers" of the trunk."""


class FixedFilter(nn.Module):
    """Marker base class: a fixed (non-learned) filtering layer, e.g. the Sobel operator."""


def default_mean(in_channels: int) -> tuple[float, ...] | None:
    """DIV2K mean for 3-channel inputs; ``None`` (no mean shift) otherwise, e.g. grayscale CT."""
    return DIV2K_RGB_MEAN if in_channels == 3 else None


class MeanShift(nn.Module):
    """Add ``sign * mean`` per channel (``sign=-1`` subtracts). Buffer only: no trainable parameters.

    Args:
        mean (Sequence[float]): per-channel mean in the [0, 1] range.
        sign (int): -1 to subtract (head of EDSR/RCAN), +1 to add back (tail).
    """

    def __init__(self, mean: Sequence[float], sign: int = -1):
        super().__init__()
        self.register_buffer("shift", sign * torch.tensor(list(mean), dtype=torch.float32).view(1, -1, 1, 1))

    def forward(self, x):
        return x + self.shift.to(x.dtype)


def mean_shifts(mean: Sequence[float] | None) -> tuple[nn.Module, nn.Module]:
    """(subtract, add) modules for ``mean``; identities when ``mean`` is None."""
    if mean is None:
        return nn.Identity(), nn.Identity()
    return MeanShift(mean, -1), MeanShift(mean, +1)


class ResBlock(nn.Module):
    """EDSR residual block: ``x + res_scale * conv(relu(conv(x)))``.

    Args:
        n_feats (int): channel number.
        kernel_size (int): convolution kernel size. Default: 3.
        res_scale (float): residual scaling. Default: 1.
        bias (bool): convolution bias. Default: True.
    """

    def __init__(self, n_feats: int, kernel_size: int = 3, res_scale: float = 1.0, bias: bool = True):
        super().__init__()
        self.body = nn.Sequential(
            conv(n_feats, n_feats, kernel_size, bias), nn.ReLU(inplace=True), conv(n_feats, n_feats, kernel_size, bias)
        )
        self.res_scale = res_scale

    def forward(self, x):
        return x + self.body(x) * self.res_scale


class CALayer(Attention):
    """Channel attention (RCAN): global average pool, 1x1 conv down by ``reduction``, ReLU, 1x1 up, sigmoid.

    Args:
        channels (int): channel number.
        reduction (int): channel reduction ratio. Default: 16.
    """

    def __init__(self, channels: int, reduction: int = 16):
        super().__init__()
        self.avg_pool = nn.AdaptiveAvgPool2d(1)
        self.conv_du = nn.Sequential(
            nn.Conv2d(channels, channels // reduction, 1, bias=True),
            nn.ReLU(inplace=True),
            nn.Conv2d(channels // reduction, channels, 1, bias=True),
            nn.Sigmoid(),
        )

    def forward(self, x):
        return x * self.conv_du(self.avg_pool(x))


def check_scale(model: str, scale: int, allowed: Sequence[int] = (2, 3, 4)) -> int:
    """Return ``int(scale)`` or raise ``ValueError`` naming the model and the scale."""
    if int(scale) != scale or int(scale) not in allowed:
        raise ValueError(f"model {model!r} does not support scale {scale!r}; supported scales: {list(allowed)}")
    return int(scale)


class Upsampler(nn.Sequential):
    """EDSR sub-pixel upsampler (x2, x3, x4, x8...).

    Args:
        scale (int): upscale factor, a power of two or 3.
        n_feats (int): channel number (in and out).
        bias (bool): convolution bias. Default: True.
        conv_fn (callable): ``conv_fn(in, out, k, bias)`` building the convolutions. Default: :func:`conv`.
    """

    def __init__(self, scale: int, n_feats: int, bias: bool = True, conv_fn=conv):
        layers: list[nn.Module] = []
        if scale >= 2 and (scale & (scale - 1)) == 0:
            for _ in range(int(math.log2(scale))):
                layers += [conv_fn(n_feats, 4 * n_feats, 3, bias), nn.PixelShuffle(2)]
        elif scale == 3:
            layers += [conv_fn(n_feats, 9 * n_feats, 3, bias), nn.PixelShuffle(3)]
        else:
            raise ValueError(f"Upsampler does not support scale {scale!r}; use a power of 2 or 3")
        super().__init__(*layers)


def he_init_(module: nn.Module) -> nn.Module:
    """He (MSRA) normal init of every Conv2d with zero bias, as VDSR and DRRN's papers specify.

    std = sqrt(2 / (k_h * k_w * out_channels)); applied in ``module.modules()`` order.
    """
    for m in module.modules():
        if isinstance(m, nn.Conv2d):
            n = m.kernel_size[0] * m.kernel_size[1] * m.out_channels
            nn.init.normal_(m.weight, 0.0, math.sqrt(2.0 / n))
            if m.bias is not None:
                nn.init.zeros_(m.bias)
    return module


def upsample_input(x: torch.Tensor, scale: float) -> torch.Tensor:
    """MATLAB-compatible bicubic upscaling used by the pre-upsampling models (SRCNN, VDSR, DRRN)."""
    from paperlib.data.degrade import imresize_torch

    return imresize_torch(x, scale).to(x.dtype)
