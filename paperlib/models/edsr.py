"""EDSR (Lim, Son, Kim, Nah, Lee, "Enhanced Deep Residual Networks for Single Image Super-Resolution",
CVPRW 2017), following EDSR-PyTorch (``src/model/edsr.py``).

Registry names: ``edsr_baseline`` (16 ResBlocks x 64 channels, res_scale 1) and ``edsr`` (32 x 256,
res_scale 0.1). Head conv, ResBlocks + conv + long skip, sub-pixel upsampler, tail conv.
RGB parameters: baseline 1,369,859 / 1,554,499 / 1,517,571, full 40,729,603 / 43,680,003 / 43,089,923
(x2/x3/x4), as EDSR-PyTorch once its frozen MeanShift convs (24 non-trainable numbers) are left out:
here MeanShift is a buffer.

Choice: the RGB mean shift is applied only for 3-channel inputs (``mean='auto'``); grayscale CT is
used without a mean shift (pass ``mean=(m,)`` to enable one).
"""

from __future__ import annotations

from torch import nn

from .blocks import ResBlock, Upsampler, check_scale, conv, default_mean, mean_shifts


def resolve_mean(mean, in_channels):
    return default_mean(in_channels) if isinstance(mean, str) and mean == "auto" else mean


class EDSR(nn.Module):
    """EDSR.

    Args:
        scale (int): upscale factor (2, 3 or 4).
        in_channels (int): input/output channel number. Default: 1.
        n_resblocks (int): residual blocks. Default: 16.
        n_feats (int): channel number. Default: 64.
        res_scale (float): residual scaling. Default: 1.
        mean ('auto' | tuple | None): mean shift; 'auto' = DIV2K RGB mean for 3 channels, none for 1.
    """

    output_layer = "tail.1"  # kept in fp32 on the fast path (paperlib.precision)

    def __init__(
        self,
        scale: int = 4,
        in_channels: int = 1,
        n_resblocks: int = 16,
        n_feats: int = 64,
        res_scale: float = 1.0,
        mean="auto",
    ):
        super().__init__()
        self.scale = check_scale("edsr", scale)
        self.sub_mean, self.add_mean = mean_shifts(resolve_mean(mean, in_channels))
        self.head = conv(in_channels, n_feats, 3)
        self.body = nn.Sequential(
            *[ResBlock(n_feats, 3, res_scale) for _ in range(n_resblocks)], conv(n_feats, n_feats, 3)
        )
        self.tail = nn.Sequential(Upsampler(self.scale, n_feats), conv(n_feats, in_channels, 3))

    def forward(self, x):
        x = self.head(self.sub_mean(x))
        x = x + self.body(x)
        return self.add_mean(self.tail(x))
