"""RDN (Zhang, Tian, Kong, Zhong, Fu, "Residual Dense Network for Image Super-Resolution", CVPR 2018),
following EDSR-PyTorch (``src/model/rdn.py``), configuration B: G0=64, D=16 RDBs, C=8 convs, G=64.

RGB parameters 22,123,395 / 22,308,035 / 22,271,107 (x2/x3/x4). No mean shift (as the reference code).
"""

from __future__ import annotations

import torch
from torch import nn

from .blocks import check_scale, conv


class RDBConv(nn.Module):
    """Dense layer: ``concat(x, relu(conv(x)))``.

    Args:
        in_channels (int): input channels.
        growth (int): growth rate G (output channels of the conv).
        k (int): kernel size. Default: 3.
    """

    def __init__(self, in_channels: int, growth: int, k: int = 3):
        super().__init__()
        self.conv = nn.Sequential(conv(in_channels, growth, k), nn.ReLU(inplace=True))

    def forward(self, x):
        return torch.cat([x, self.conv(x)], dim=1)


class RDB(nn.Module):
    """Residual dense block.

    Args:
        g0 (int): block input/output channels.
        growth (int): growth rate G.
        n_convs (int): convolutions C.
    """

    def __init__(self, g0: int, growth: int, n_convs: int):
        super().__init__()
        self.convs = nn.Sequential(*[RDBConv(g0 + c * growth, growth) for c in range(n_convs)])
        self.lff = conv(g0 + n_convs * growth, g0, 1)

    def forward(self, x):
        return self.lff(self.convs(x)) + x


class RDN(nn.Module):
    """RDN.

    Args:
        scale (int): upscale factor (2, 3 or 4).
        in_channels (int): input/output channel number. Default: 1.
        g0 (int): feature channels G0. Default: 64.
        n_blocks (int): RDBs D. Default: 16.
        n_convs (int): convolutions per RDB C. Default: 8.
        growth (int): growth rate G. Default: 64.
    """

    def __init__(
        self, scale: int = 4, in_channels: int = 1, g0: int = 64, n_blocks: int = 16, n_convs: int = 8, growth: int = 64
    ):
        super().__init__()
        self.scale = check_scale("rdn", scale)
        self.sfe1 = conv(in_channels, g0, 3)
        self.sfe2 = conv(g0, g0, 3)
        self.rdbs = nn.ModuleList([RDB(g0, growth, n_convs) for _ in range(n_blocks)])
        self.gff = nn.Sequential(conv(n_blocks * g0, g0, 1), conv(g0, g0, 3))
        if self.scale in (2, 3):
            self.up = nn.Sequential(
                conv(g0, growth * self.scale**2, 3), nn.PixelShuffle(self.scale), conv(growth, in_channels, 3)
            )
        else:
            self.up = nn.Sequential(
                conv(g0, growth * 4, 3),
                nn.PixelShuffle(2),
                conv(growth, growth * 4, 3),
                nn.PixelShuffle(2),
                conv(growth, in_channels, 3),
            )
        self.output_layer = f"up.{len(self.up) - 1}"  # kept in fp32 on the fast path (paperlib.precision)

    def forward(self, x):
        f_1 = self.sfe1(x)
        x = self.sfe2(f_1)
        outs = []
        for rdb in self.rdbs:
            x = rdb(x)
            outs.append(x)
        x = self.gff(torch.cat(outs, dim=1)) + f_1
        return self.up(x)
