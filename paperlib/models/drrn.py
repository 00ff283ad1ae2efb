"""DRRN (Tai, Yang, Liu, "Image Super-Resolution via Deep Recursive Residual Network", CVPR 2017).

B1U25: one recursive block of U=25 residual units sharing two 3x3 convolutions (128 channels),
pre-activation (ReLU before conv), multi-path local residual from the block input, global residual
on the bicubic-upscaled input. 297,601 parameters for one channel (with biases, without batch
normalisation -- the count of the common PyTorch port, which drops the BN of the paper's figure).

Choices: bicubic upscaling inside ``forward`` with :func:`paperlib.data.degrade.imresize_torch`;
He initialisation (std = sqrt(2 / (k*k*C_out))), zero biases.
"""

from __future__ import annotations

from torch import nn

from .blocks import check_scale, he_init_, upsample_input


class DRRN(nn.Module):
    """DRRN B1U25.

    Args:
        scale (int): upscale factor (2, 3 or 4), used for the internal bicubic upscaling.
        in_channels (int): input/output channel number. Default: 1.
        n_feats (int): channel number. Default: 128.
        n_units (int): recursions U of the residual unit. Default: 25.
    """

    output_layer = "output"  # kept in fp32 on the fast path (paperlib.precision)
    pre_upsampling = True

    def __init__(self, scale: int = 4, in_channels: int = 1, n_feats: int = 128, n_units: int = 25):
        super().__init__()
        self.scale = check_scale("drrn", scale)
        self.n_units = n_units
        self.input = nn.Conv2d(in_channels, n_feats, 3, padding=1)
        self.conv1 = nn.Conv2d(n_feats, n_feats, 3, padding=1)
        self.conv2 = nn.Conv2d(n_feats, n_feats, 3, padding=1)
        self.output = nn.Conv2d(n_feats, in_channels, 3, padding=1)
        self.relu = nn.ReLU()
        he_init_(self)

    def forward(self, x):
        x = upsample_input(x, self.scale)
        inputs = self.input(self.relu(x))
        out = inputs
        for _ in range(self.n_units):
            out = self.conv2(self.relu(self.conv1(self.relu(out)))) + inputs
        return x + self.output(self.relu(out))
