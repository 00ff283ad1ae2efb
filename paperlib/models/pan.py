"""PAN (Zhao, Kong, He, Qiao, Dong, "Efficient Image Super-Resolution Using Pixel Attention",
ECCV Workshops 2020), following the official code (github.com/zhaohengyuan1/PAN, ``PAN_arch.py``).

nf=40 trunk channels, unf=24 upsampling channels, nb=16 SCPA blocks (self-calibrated convolution
with pixel attention, LeakyReLU 0.2), U-PA upsampling: nearest-neighbour interpolation, conv, pixel
attention, conv (once for x2/x3, twice for x4), a last conv, plus a bilinear upscaling of the input.

Parameters: 261,403 (RGB x2 and x3), 272,419 (RGB x4); one channel 260,249 / 260,249 / 271,265.
Weight layers: 118 (x2/x3) / 121 (x4) convolutions counting every conv (1x1 included); DRIDSR's
Table 2 lists 60 "layers" for PAN, a convention we cannot reconstruct from the code (see
:func:`paperlib.models.count_layers`).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .blocks import Attention, check_scale


class PA(Attention):
    """Pixel attention: ``x * sigmoid(conv1x1(x))``.

    Args:
        nf (int): channel number.
    """

    def __init__(self, nf: int):
        super().__init__()
        self.conv = nn.Conv2d(nf, nf, 1)

    def forward(self, x):
        return x * torch.sigmoid(self.conv(x))


class PAConv(nn.Module):
    """Pixel-attention convolution: ``k4(k3(x) * sigmoid(k2(x)))``.

    Args:
        nf (int): channel number.
        k_size (int): kernel size of k3/k4. Default: 3.
    """

    def __init__(self, nf: int, k_size: int = 3):
        super().__init__()
        self.k2 = nn.Conv2d(nf, nf, 1)
        self.k3 = nn.Conv2d(nf, nf, k_size, padding=(k_size - 1) // 2, bias=False)
        self.k4 = nn.Conv2d(nf, nf, k_size, padding=(k_size - 1) // 2, bias=False)

    def forward(self, x):
        return self.k4(self.k3(x) * torch.sigmoid(self.k2(x)))


class SCPA(nn.Module):
    """Self-calibrated convolution with pixel attention.

    Args:
        nf (int): channel number.
        reduction (int): split ratio. Default: 2.
    """

    def __init__(self, nf: int, reduction: int = 2):
        super().__init__()
        gw = nf // reduction
        self.conv1_a = nn.Conv2d(nf, gw, 1, bias=False)
        self.conv1_b = nn.Conv2d(nf, gw, 1, bias=False)
        self.k1 = nn.Sequential(nn.Conv2d(gw, gw, 3, padding=1, bias=False))
        self.PAConv = PAConv(gw)
        self.conv3 = nn.Conv2d(gw * reduction, nf, 1, bias=False)
        self.lrelu = nn.LeakyReLU(0.2)

    def forward(self, x):
        a = self.lrelu(self.k1(self.lrelu(self.conv1_a(x))))
        b = self.lrelu(self.PAConv(self.lrelu(self.conv1_b(x))))
        return self.conv3(torch.cat([a, b], dim=1)) + x


class PAN(nn.Module):
    """PAN.

    Args:
        scale (int): upscale factor (2, 3 or 4).
        in_channels (int): input/output channel number. Default: 1.
        nf (int): trunk channel number. Default: 40.
        unf (int): upsampling channel number. Default: 24.
        nb (int): number of SCPA blocks. Default: 16.
    """

    output_layer = "conv_last"  # kept in fp32 on the fast path (paperlib.precision)

    def __init__(self, scale: int = 4, in_channels: int = 1, nf: int = 40, unf: int = 24, nb: int = 16):
        super().__init__()
        self.scale = check_scale("pan", scale)
        self.conv_first = nn.Conv2d(in_channels, nf, 3, padding=1)
        self.SCPA_trunk = nn.Sequential(*[SCPA(nf) for _ in range(nb)])
        self.trunk_conv = nn.Conv2d(nf, nf, 3, padding=1)
        self.upconv1 = nn.Conv2d(nf, unf, 3, padding=1)
        self.att1 = PA(unf)
        self.HRconv1 = nn.Conv2d(unf, unf, 3, padding=1)
        if self.scale == 4:
            self.upconv2 = nn.Conv2d(unf, unf, 3, padding=1)
            self.att2 = PA(unf)
            self.HRconv2 = nn.Conv2d(unf, unf, 3, padding=1)
        self.conv_last = nn.Conv2d(unf, in_channels, 3, padding=1)
        self.lrelu = nn.LeakyReLU(0.2)

    def forward(self, x):
        fea = self.conv_first(x)
        fea = fea + self.trunk_conv(self.SCPA_trunk(fea))
        if self.scale in (2, 3):
            fea = self.upconv1(F.interpolate(fea, scale_factor=self.scale, mode="nearest"))
            fea = self.lrelu(self.att1(fea))
            fea = self.lrelu(self.HRconv1(fea))
        else:
            fea = self.upconv1(F.interpolate(fea, scale_factor=2, mode="nearest"))
            fea = self.lrelu(self.att1(fea))
            fea = self.lrelu(self.HRconv1(fea))
            fea = self.upconv2(F.interpolate(fea, scale_factor=2, mode="nearest"))
            fea = self.lrelu(self.att2(fea))
            fea = self.lrelu(self.HRconv2(fea))
        out = self.conv_last(fea)
        return out + F.interpolate(x, scale_factor=self.scale, mode="bilinear", align_corners=False)
