"""SRCNN (Dong et al., "Image Super-Resolution Using Deep Convolutional Networks", TPAMI 2016).

9-5-5 configuration with n1=64, n2=32 filters (57,281 parameters for one channel).

Choices where the paper is silent / differs from the Caffe original:
* "same" zero padding (4, 2, 2), so the output has the HR size (the original crops the border);
* the LR input is bicubic-upscaled inside ``forward`` with the MATLAB-compatible
  :func:`paperlib.data.degrade.imresize_torch` (pre-upsampling model);
* PyTorch default initialisation (the paper's Gaussian std=0.001 init trains very slowly with Adam).
"""

from __future__ import annotations

from torch import nn

from .blocks import check_scale, upsample_input


class SRCNN(nn.Module):
    """SRCNN 9-5-5.

    Args:
        scale (int): upscale factor (2, 3 or 4), used for the internal bicubic upscaling.
        in_channels (int): input/output channel number. Default: 1.
        n1 (int): filters of the first layer. Default: 64.
        n2 (int): filters of the second layer. Default: 32.
        kernels (tuple[int, int, int]): kernel sizes. Default: (9, 5, 5).
    """

    output_layer = "conv3"  # kept in fp32 on the fast path (paperlib.precision)
    pre_upsampling = True

    def __init__(self, scale: int = 4, in_channels: int = 1, n1: int = 64, n2: int = 32, kernels=(9, 5, 5)):
        super().__init__()
        self.scale = check_scale("srcnn", scale)
        k1, k2, k3 = kernels
        self.conv1 = nn.Conv2d(in_channels, n1, k1, padding=k1 // 2)
        self.conv2 = nn.Conv2d(n1, n2, k2, padding=k2 // 2)
        self.conv3 = nn.Conv2d(n2, in_channels, k3, padding=k3 // 2)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        x = upsample_input(x, self.scale)
        x = self.relu(self.conv1(x))
        x = self.relu(self.conv2(x))
        return self.conv3(x)
