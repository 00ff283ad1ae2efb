"""IMDN (Hui, Gao, Yang, Wang, "Lightweight Image Super-Resolution with Information Multi-distillation
Network", ACM MM 2019), following the official code (github.com/Zheng222/IMDN, ``architecture.py``).

nf=64, 6 IMDBs (distillation rate 0.25: 16 distilled / 48 remaining channels), contrast-aware
channel attention (CCA, reduction 16), LeakyReLU(0.05), 1x1 fusion of the 6 block outputs with
LeakyReLU, 3x3 conv + long skip, and a one-step pixel-shuffle upsampler (3x3 conv to
``C * s^2`` then PixelShuffle(s)).

Parameters: 694,404 / 703,059 / 715,176 (RGB, x2/x3/x4), 688,636 / 691,521 / 695,560 (one channel).
Layers: 46 convolutions, of which 12 are the 1x1 convolutions inside the CCA layers; without those
the count is 34, the "Layers" value of DRIDSR's Table 2 (``count_layers(m, include_attention=False)``).
"""

from __future__ import annotations

import torch
from torch import nn

from .blocks import Attention, check_scale, conv


def _mean_channels(x):
    return x.mean(dim=(2, 3), keepdim=True)


def _stdv_channels(x):
    mean = _mean_channels(x)
    return (x - mean).pow(2).mean(dim=(2, 3), keepdim=True).pow(0.5)


class CCALayer(Attention):
    """Contrast-aware channel attention: (std + mean) per channel -> 1x1 down -> ReLU -> 1x1 up -> sigmoid.

    Args:
        channels (int): channel number.
        reduction (int): reduction ratio. Default: 16.
    """

    def __init__(self, channels: int, reduction: int = 16):
        super().__init__()
        self.conv_du = nn.Sequential(
            nn.Conv2d(channels, channels // reduction, 1),
            nn.ReLU(inplace=True),
            nn.Conv2d(channels // reduction, channels, 1),
            nn.Sigmoid(),
        )

    def forward(self, x):
        return x * self.conv_du(_stdv_channels(x) + _mean_channels(x))


class IMDModule(nn.Module):
    """Information multi-distillation block (IMDB).

    Args:
        n_feats (int): channel number. Default: 64.
        distillation_rate (float): fraction of channels distilled at each step. Default: 0.25.
    """

    def __init__(self, n_feats: int = 64, distillation_rate: float = 0.25):
        super().__init__()
        self.dc = int(n_feats * distillation_rate)
        self.rc = n_feats - self.dc
        self.c1 = conv(n_feats, n_feats, 3)
        self.c2 = conv(self.rc, n_feats, 3)
        self.c3 = conv(self.rc, n_feats, 3)
        self.c4 = conv(self.rc, self.dc, 3)
        self.act = nn.LeakyReLU(0.05, inplace=True)
        self.c5 = conv(self.dc * 4, n_feats, 1)
        self.cca = CCALayer(self.dc * 4)

    def forward(self, x):
        d1, r1 = torch.split(self.act(self.c1(x)), (self.dc, self.rc), dim=1)
        d2, r2 = torch.split(self.act(self.c2(r1)), (self.dc, self.rc), dim=1)
        d3, r3 = torch.split(self.act(self.c3(r2)), (self.dc, self.rc), dim=1)
        d4 = self.c4(r3)
        return self.c5(self.cca(torch.cat([d1, d2, d3, d4], dim=1))) + x


class IMDN(nn.Module):
    """IMDN.

    Args:
        scale (int): upscale factor (2, 3 or 4).
        in_channels (int): input/output channel number. Default: 1.
        n_feats (int): channel number. Default: 64.
        n_modules (int): number of IMDBs. Default: 6.
    """

    output_layer = "upsampler.0"  # kept in fp32 on the fast path (paperlib.precision)

    def __init__(self, scale: int = 4, in_channels: int = 1, n_feats: int = 64, n_modules: int = 6):
        super().__init__()
        self.scale = check_scale("imdn", scale)
        self.fea_conv = conv(in_channels, n_feats, 3)
        self.blocks = nn.ModuleList([IMDModule(n_feats) for _ in range(n_modules)])
        self.c = nn.Sequential(conv(n_feats * n_modules, n_feats, 1), nn.LeakyReLU(0.05, inplace=True))
        self.LR_conv = conv(n_feats, n_feats, 3)
        self.upsampler = nn.Sequential(conv(n_feats, in_channels * self.scale**2, 3), nn.PixelShuffle(self.scale))

    def forward(self, x):
        fea = self.fea_conv(x)
        outs = []
        h = fea
        for block in self.blocks:
            h = block(h)
            outs.append(h)
        lr = self.LR_conv(self.c(torch.cat(outs, dim=1))) + fea
        return self.upsampler(lr)
