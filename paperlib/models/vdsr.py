"""VDSR (Kim, Lee, Lee, "Accurate Image Super-Resolution Using Very Deep Convolutional Networks", CVPR 2016).

20 weight layers of 3x3 convolutions (64 channels), ReLU, global residual learning on the
bicubic-upscaled input. 665,921 parameters for one channel (convolutions *with* bias; without bias
it would be 664,704 -- the reference count settles that biases are used).

Choices: the LR input is upscaled inside ``forward`` with the MATLAB-compatible
:func:`paperlib.data.degrade.imresize_torch`; He initialisation as in the common PyTorch port
(normal, std = sqrt(2 / (k*k*C_out))), zero biases; no gradient clipping inside the model.
"""

from __future__ import annotations

from torch import nn

from .blocks import check_scale, he_init_, upsample_input


class VDSR(nn.Module):
    """VDSR.

    Args:
        scale (int): upscale factor (2, 3 or 4), used for the internal bicubic upscaling.
        in_channels (int): input/output channel number. Default: 1.
        n_feats (int): channel number. Default: 64.
        depth (int): number of weight layers. Default: 20.
    """

    pre_upsampling = True

    def __init__(self, scale: int = 4, in_channels: int = 1, n_feats: int = 64, depth: int = 20):
        super().__init__()
        self.scale = check_scale("vdsr", scale)
        layers = [nn.Conv2d(in_channels, n_feats, 3, padding=1), nn.ReLU(inplace=True)]
        for _ in range(depth - 2):
            layers += [nn.Conv2d(n_feats, n_feats, 3, padding=1), nn.ReLU(inplace=True)]
        layers += [nn.Conv2d(n_feats, in_channels, 3, padding=1)]
        self.body = nn.Sequential(*layers)
        self.output_layer = f"body.{len(self.body) - 1}"  # kept in fp32 on the fast path (paperlib.precision)
        he_init_(self)

    def forward(self, x):
        x = upsample_input(x, self.scale)
        return x + self.body(x)
