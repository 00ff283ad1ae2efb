"""MDSR (Lim et al., CVPRW 2017, multi-scale EDSR), following EDSR-PyTorch (``src/model/mdsr.py``).

One shared body (80 ResBlocks x 64 channels by default, the paper's MDSR; 16 for the baseline),
scale-specific pre-processing (two 5x5 ResBlocks per scale) and scale-specific upsamplers for
x2, x3 and x4. All three branches are always built (the parameter count is the multi-scale model's);
``scale`` selects the branch used by ``forward`` (change it with :meth:`MDSR.set_scale`).
Choices: as EDSR (no mean shift for one channel).
"""

from __future__ import annotations

from torch import nn

from .blocks import ResBlock, Upsampler, check_scale, conv, mean_shifts
from .edsr import resolve_mean


class MDSR(nn.Module):
    """MDSR.

    Args:
        scale (int): scale used by ``forward`` (2, 3 or 4).
        in_channels (int): input/output channel number. Default: 1.
        n_resblocks (int): shared residual blocks. Default: 80.
        n_feats (int): channel number. Default: 64.
        scales (tuple[int]): scales with their own head/tail. Default: (2, 3, 4).
        mean ('auto' | tuple | None): mean shift, as in EDSR.
    """

    output_layer = "tail"  # kept in fp32 on the fast path (paperlib.precision)

    def __init__(
        self,
        scale: int = 4,
        in_channels: int = 1,
        n_resblocks: int = 80,
        n_feats: int = 64,
        scales=(2, 3, 4),
        mean="auto",
    ):
        super().__init__()
        self.scales = tuple(int(s) for s in scales)
        self.scale = check_scale("mdsr", scale, self.scales)
        self.sub_mean, self.add_mean = mean_shifts(resolve_mean(mean, in_channels))
        self.head = conv(in_channels, n_feats, 3)
        self.pre_process = nn.ModuleList(
            [nn.Sequential(ResBlock(n_feats, 5), ResBlock(n_feats, 5)) for _ in self.scales]
        )
        self.body = nn.Sequential(*[ResBlock(n_feats, 3) for _ in range(n_resblocks)], conv(n_feats, n_feats, 3))
        self.upsample = nn.ModuleList([Upsampler(s, n_feats) for s in self.scales])
        self.tail = conv(n_feats, in_channels, 3)

    def set_scale(self, scale: int) -> None:
        self.scale = check_scale("mdsr", scale, self.scales)

    def forward(self, x):
        i = self.scales.index(self.scale)
        x = self.pre_process[i](self.head(self.sub_mean(x)))
        x = x + self.body(x)
        return self.add_mean(self.tail(self.upsample[i](x)))
