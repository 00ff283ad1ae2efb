"""RCAN (Zhang, Li, Li, Wang, Zhong, Fu, "Image Super-Resolution Using Very Deep Residual Channel
Attention Networks", ECCV 2018), following the official code / BasicSR ``rcan_arch.py``.

10 residual groups x 20 RCABs, 64 channels, channel attention reduction 16, res_scale 1.
RGB parameters 15,444,643 / 15,629,283 / 15,592,355 (x2/x3/x4). Mean shift as in EDSR: on for
3 channels (DIV2K mean), off for grayscale CT.
"""

from __future__ import annotations

from torch import nn

from .blocks import CALayer, Upsampler, check_scale, conv, mean_shifts
from .edsr import resolve_mean


class RCAB(nn.Module):
    """Residual channel attention block: ``x + res_scale * CA(conv(relu(conv(x))))``.

    Args:
        n_feats (int): channel number.
        reduction (int): channel attention reduction. Default: 16.
        res_scale (float): residual scaling. Default: 1.
    """

    def __init__(self, n_feats: int, reduction: int = 16, res_scale: float = 1.0):
        super().__init__()
        self.body = nn.Sequential(
            conv(n_feats, n_feats, 3), nn.ReLU(inplace=True), conv(n_feats, n_feats, 3), CALayer(n_feats, reduction)
        )
        self.res_scale = res_scale

    def forward(self, x):
        return x + self.body(x) * self.res_scale


class ResidualGroup(nn.Module):
    """Residual group: RCABs + conv + local skip.

    Args:
        n_feats (int): channel number.
        n_resblocks (int): RCABs. Default: 20.
        reduction (int): channel attention reduction. Default: 16.
    """

    def __init__(self, n_feats: int, n_resblocks: int = 20, reduction: int = 16, res_scale: float = 1.0):
        super().__init__()
        self.body = nn.Sequential(
            *[RCAB(n_feats, reduction, res_scale) for _ in range(n_resblocks)], conv(n_feats, n_feats, 3)
        )

    def forward(self, x):
        return x + self.body(x)


class RCAN(nn.Module):
    """RCAN.

    Args:
        scale (int): upscale factor (2, 3 or 4).
        in_channels (int): input/output channel number. Default: 1.
        n_resgroups (int): residual groups. Default: 10.
        n_resblocks (int): RCABs per group. Default: 20.
        n_feats (int): channel number. Default: 64.
        reduction (int): channel attention reduction. Default: 16.
        res_scale (float): residual scaling. Default: 1.
        mean ('auto' | tuple | None): mean shift, as in EDSR.
    """

    output_layer = "tail.1"  # kept in fp32 on the fast path (paperlib.precision)

    def __init__(
        self,
        scale: int = 4,
        in_channels: int = 1,
        n_resgroups: int = 10,
        n_resblocks: int = 20,
        n_feats: int = 64,
        reduction: int = 16,
        res_scale: float = 1.0,
        mean="auto",
    ):
        super().__init__()
        self.scale = check_scale("rcan", scale)
        self.sub_mean, self.add_mean = mean_shifts(resolve_mean(mean, in_channels))
        self.head = conv(in_channels, n_feats, 3)
        self.body = nn.Sequential(
            *[ResidualGroup(n_feats, n_resblocks, reduction, res_scale) for _ in range(n_resgroups)],
            conv(n_feats, n_feats, 3),
        )
        self.tail = nn.Sequential(Upsampler(self.scale, n_feats), conv(n_feats, in_channels, 3))

    def forward(self, x):
        x = self.head(self.sub_mean(x))
        x = x + self.body(x)
        return self.add_mean(self.tail(x))
