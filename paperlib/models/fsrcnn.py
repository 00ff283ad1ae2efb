"""FSRCNN (Dong, Loy, Tang, "Accelerating the Super-Resolution Convolutional Neural Network", ECCV 2016).

FSRCNN(d=56, s=12, m=4): 5x5 feature extraction (d), 1x1 shrinking (s), m 3x3 mapping layers,
1x1 expanding (d), 9x9 deconvolution with stride = scale. PReLU after every conv but the
deconvolution. 12,809 parameters for one channel (the PReLU slopes are per channel, 56+12+4*12+56).

Choices where the paper is silent: the deconvolution uses ``padding=4, output_padding=scale-1``
so that the output is exactly ``scale`` times the input (as in the common PyTorch port);
PyTorch default initialisation.
"""

from __future__ import annotations

from torch import nn

from .blocks import check_scale


class FSRCNN(nn.Module):
    """FSRCNN.

    Args:
        scale (int): upscale factor (2, 3 or 4).
        in_channels (int): input/output channel number. Default: 1.
        d (int): feature dimension. Default: 56.
        s (int): shrinking dimension. Default: 12.
        m (int): number of mapping layers. Default: 4.
    """

    output_layer = "deconv"  # kept in fp32 on the fast path (paperlib.precision)

    def __init__(self, scale: int = 4, in_channels: int = 1, d: int = 56, s: int = 12, m: int = 4):
        super().__init__()
        self.scale = check_scale("fsrcnn", scale)
        layers = [nn.Conv2d(in_channels, d, 5, padding=2), nn.PReLU(d), nn.Conv2d(d, s, 1), nn.PReLU(s)]
        for _ in range(m):
            layers += [nn.Conv2d(s, s, 3, padding=1), nn.PReLU(s)]
        layers += [nn.Conv2d(s, d, 1), nn.PReLU(d)]
        self.body = nn.Sequential(*layers)
        self.deconv = nn.ConvTranspose2d(d, in_channels, 9, stride=self.scale, padding=4, output_padding=self.scale - 1)

    def forward(self, x):
        return self.deconv(self.body(x))
