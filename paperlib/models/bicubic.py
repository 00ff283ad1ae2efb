"""Bicubic interpolation baseline (Table 1 of DRIDSR, Tables 5-6 of IDMAN).

Non-learned, zero parameters. Uses the MATLAB-compatible ``imresize`` port
(:func:`paperlib.data.degrade.imresize_torch`, antialiased cubic kernel), the same resize that makes
the LR images, as the papers' "Bicubic" rows are MATLAB ``imresize`` results.
"""

from __future__ import annotations

from torch import nn

from .blocks import check_scale, upsample_input


class Bicubic(nn.Module):
    """MATLAB-compatible bicubic upscaling.

    Args:
        scale (int): upscale factor (2, 3 or 4).
        in_channels (int): channel number (any; kept for the common constructor signature).
    """

    output_layer = None  # no parameters: nothing to keep in fp32 (see paperlib.precision)
    pre_upsampling = True

    def __init__(self, scale: int = 4, in_channels: int = 1):
        super().__init__()
        self.scale = check_scale("bicubic", scale)
        self.in_channels = in_channels

    def forward(self, x):
        return upsample_input(x, self.scale)
