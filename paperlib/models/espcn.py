"""ESPCN (Shi et al., "Real-Time Single Image and Video Super-Resolution Using an Efficient Sub-Pixel
Convolutional Neural Network", CVPR 2016).

The common PyTorch ESPCN: 5x5 conv (64) - tanh - 3x3 conv (32) - tanh - 3x3 conv (s^2 * C) -
PixelShuffle(s). 21,284 / 22,729 / 24,752 parameters at x2/x3/x4 for one channel, which are the
reference counts (the activation has no parameters, so the count does not tell tanh from ReLU;
tanh is the paper's choice and is the default).
"""

from __future__ import annotations

from torch import nn

from .blocks import check_scale


class ESPCN(nn.Module):
    """ESPCN.

    Args:
        scale (int): upscale factor (2, 3 or 4).
        in_channels (int): input/output channel number. Default: 1.
        n1 (int): filters of the first layer. Default: 64.
        n2 (int): filters of the second layer. Default: 32.
        activation (str): 'tanh' (paper) or 'relu'. Default: 'tanh'.
    """

    output_layer = "body.4"  # kept in fp32 on the fast path (paperlib.precision)

    def __init__(self, scale: int = 4, in_channels: int = 1, n1: int = 64, n2: int = 32, activation: str = "tanh"):
        super().__init__()
        self.scale = check_scale("espcn", scale)
        if activation not in ("tanh", "relu"):
            raise ValueError(f"espcn: activation must be 'tanh' or 'relu', got {activation!r}")
        act = nn.Tanh if activation == "tanh" else nn.ReLU
        self.body = nn.Sequential(
            nn.Conv2d(in_channels, n1, 5, padding=2),
            act(),
            nn.Conv2d(n1, n2, 3, padding=1),
            act(),
            nn.Conv2d(n2, in_channels * self.scale**2, 3, padding=1),
            nn.PixelShuffle(self.scale),
        )

    def forward(self, x):
        return self.body(x)
