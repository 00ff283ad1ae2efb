"""IDMAN (Zhao, Hu, Zhang, Fang, "Super-Resolution Network with Information Distillation and
Multi-Scale Attention for Medical CT Image", Sensors 21 (2021) 6870, doi:10.3390/s21206870),
sections 3, 4.2 and 4.4.

Structure (Figs. 1-4, eqs. 1-17)::

    F_0   = conv3x3(I_LR)                                              shallow features (eq. 1)
    F_DF  = F_0 + conv3x3(IDMAG_G(... IDMAG_1(F_0)))                   DFES, global skip (eqs. 7-8)
    IDMAG(x)  = x + conv3x3(IDMAB_B(... IDMAB_1(x)))                   local skip (eq. 9)
    IDMAB(x)  = x + MAB(distill(x))                                    (eq. 12)
    F_UP  = sub-pixel upsampler(F_DF)                                  (eq. 3)
    I_SR  = conv3x3(feedback(F_UP))                                    reconstruction (eq. 4)

Information distillation (eqs. 10-11), two readings (``distill=``):

* ``'full_input'`` (default): as eq. 10 writes it, ``H_distilled_i`` and ``H_coarse_i`` both take the
  whole preceding feature, as in the residual feature distillation block (RFDB) of RFDN, ref. [12],
  which section 2.4 names: three steps ``d_i = 1x1(c_{i-1})`` (kept, n_feats/2 channels),
  ``c_i = ReLU(3x3(c_{i-1}) + c_{i-1})`` (refined further), ``d_4 = 3x3(c_3)``, then
  ``1x1(concat(d_1..d_4))``.
* ``'channel_split'``: the prose of section 3.3.1, where "the preceding feature is divided into two
  parts through a channel splitting operation": the first ``dc`` channels go to the 1x1 (dc -> dc),
  the rest to the 3x3 with its identity connection (width kept, so each step is ``dc`` narrower:
  C, C - dc, C - 2dc, C - 3dc), ``d_4 = 3x3(c_3)`` gives ``dc`` channels. Default ``dc = n_feats/4``
  (IMDN's rate), so the four kept parts concatenate back to n_feats; the distillation has 28% of
  the full-input parameters (per block at C=64 without WN: 39,648 vs 143,744; the whole model at
  the defaults, x4: 64,782,722 parameters).

The default is the equations' reading: eq. 10 is the precise statement (``H_coarse_1(f_in)`` is
applied to ``f_in``, not to part of it), it is the RFDB design the paper builds on, and the
channel-split sentence reads as carried over from the IMDN description of section 2.4 ("In the
dimension of the channel, the feature was divided into two parts"). It is also the reading every
parameter count below refers to.

MAB (Fig. 4b, eqs. 13-17): one pooled map ``z = AP(X)``; per branch k (3 and 5):
``w_k = conv_kxk(W_U ReLU(W_D conv_kxk(z)))`` with two *separate* kxk convolutions (section 4.4:
"adding two convolution layers"), W_D/W_U 1x1 convs with reduction r=16; ``X * sigmoid(sum_k w_k)``.

Defaults: G=10 groups, B=20 blocks, 64 channels, r=16, MAB branches (3, 5), weight normalisation on
every convolution (``torch.nn.utils.parametrizations.weight_norm``, g per output channel).
Parameter count at the defaults (x2/x3/x4, one channel): **85,485,954 / 85,670,914 / 85,633,922**
(RGB: 85,488,262 / 85,673,222 / 85,636,230), counting weight normalisation's ``g`` and ``v`` (what the
optimiser updates; without WN: 85,477,377 at x4, i.e. 156,545 gains fewer); closed form in
``tests/test_models.py``). The paper gives no number, only that "the parameter is very large"
(section 5). Weight layers (``count_layers``) at x4: head 1 + 10 * (20 * 16 + 1) + DFES conv 1 +
upsampler 2 + feedback 1 + tail 1 = **3216** (16 convolutions per IDMAB: 8 in the distillation,
8 in the two MAB branches; 1616 without the attention convolutions).

Choices where the paper is silent or ambiguous:

* ``mab_pool='local'`` (default): a 3x3 average pooling with stride 1 (``count_include_pad=False``)
  that keeps the spatial size, so the attention is a per-pixel, per-channel gate. With the RCAN-style
  global average pooling (``mab_pool='global'``, the literal reading of "channel descriptors" in
  eq. 13) the pooled map is 1x1, and a 3x3/5x5/7x7 convolution with same padding on a 1x1 map only
  ever uses its centre tap: every branch would be a 1x1 convolution in disguise, the "multi-scale"
  branches would be functionally identical, and the kxk weights outside the centre would never get a
  gradient. The paper's Table 2 attributes different results to 3x3/5x5/7x7 branches, which only
  makes sense if the kernels see a spatial neighbourhood, so the local pooling is our default; the
  global one is kept for the ablation. Both have the same parameters.
* Distilled channels = n_feats / 2 with ``'full_input'`` (RFDB's choice), n_feats / 4 with
  ``'channel_split'``; no activation after the 1x1 distillation convs or d_4 (the text only
  activates the coarse branch).
* Reconstruction "by a local feedback and one convolution layer" (section 3.1), read as a 3x3
  convolution (n_feats -> n_feats) applied ``feedback_steps`` times with *shared* weights, its
  output fed back to its input together with F_UP: ``h_0 = F_UP, h_t = F_UP + ReLU(conv_fb(h_{t-1}))``,
  then one 3x3 convolution to the image channels. Unrolling the loop costs no parameters beyond one convolution ("better
  reconstructed without increasing the extra parameters"). Default 2 steps; ``feedback_steps=0`` is a
  plain final convolution.
* Upsampler: EDSR/RCAN sub-pixel upsampler (x4 = two x2 stages), weight-normalised.
* No mean shift (grayscale CT); PyTorch default initialisation before weight normalisation.
* Ablation options: ``extract='conv'`` replaces the distillation with Conv-ReLU-Conv (3x3);
  ``attention='channel'`` uses plain channel attention (global pool, 1x1-ReLU-1x1, sigmoid);
  ``attention=(3,)``, ``(3, 5)``, ``(3, 5, 7)`` ... selects the MAB branches. The variants of the
  paper's Tables 1-4 as options: ``paperlib.experiments.idman.architecture.ABLATIONS``.
* Parameters by part (65.2% of them in the MAB's kxk convolutions at the defaults, 33.7% in the
  distillation): ``paperlib.experiments.idman.architecture.parameter_breakdown``, notebooks/idman/01.
"""

from __future__ import annotations

from typing import Sequence

import torch
from torch import nn
from torch.nn.utils.parametrizations import weight_norm as _weight_norm

from .blocks import Attention, Upsampler, check_scale, conv


def _make_conv(wn: bool):
    def build(in_channels: int, out_channels: int, kernel_size: int, bias: bool = True) -> nn.Module:
        c = conv(in_channels, out_channels, kernel_size, bias)
        return _weight_norm(c) if wn else c

    return build


class MAB(Attention):
    """Multi-scale attention block.

    Args:
        n_feats (int): channel number.
        branches (Sequence[int]): kernel sizes of the branches. Default: (3, 5).
        reduction (int): channel reduction r of the 1x1 convs. Default: 16.
        pool (str): 'local' (3x3 average pooling, stride 1, keeps H x W) or 'global'. Default: 'local'.
        pool_kernel (int): kernel of the local pooling. Default: 3.
        conv_fn (callable): convolution builder (weight-normalised or not).
    """

    def __init__(
        self,
        n_feats: int,
        branches: Sequence[int] = (3, 5),
        reduction: int = 16,
        pool: str = "local",
        pool_kernel: int = 3,
        conv_fn=conv,
    ):
        super().__init__()
        if pool == "local":
            self.pool = nn.AvgPool2d(pool_kernel, stride=1, padding=pool_kernel // 2, count_include_pad=False)
        elif pool == "global":
            self.pool = nn.AdaptiveAvgPool2d(1)
        else:
            raise ValueError(f"idman: mab_pool must be 'local' or 'global', got {pool!r}")
        self.branches = nn.ModuleList(
            [
                nn.Sequential(
                    conv_fn(n_feats, n_feats, k),
                    conv_fn(n_feats, n_feats // reduction, 1),
                    nn.ReLU(inplace=True),
                    conv_fn(n_feats // reduction, n_feats, 1),
                    conv_fn(n_feats, n_feats, k),
                )
                for k in branches
            ]
        )

    def forward(self, x):
        z = self.pool(x)
        w = self.branches[0](z)
        for branch in self.branches[1:]:
            w = w + branch(z)
        return x * torch.sigmoid(w)


class ChannelAttention(Attention):
    """Plain channel attention (global pool, 1x1 down, ReLU, 1x1 up, sigmoid), for the ablations.

    Args:
        n_feats (int): channel number.
        reduction (int): channel reduction. Default: 16.
        conv_fn (callable): convolution builder.
    """

    def __init__(self, n_feats: int, reduction: int = 16, conv_fn=conv):
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.body = nn.Sequential(
            conv_fn(n_feats, n_feats // reduction, 1), nn.ReLU(inplace=True), conv_fn(n_feats // reduction, n_feats, 1)
        )

    def forward(self, x):
        return x * torch.sigmoid(self.body(self.pool(x)))


class Distillation(nn.Module):
    """Information distillation of IDMAB (eqs. 10-11), the ``'full_input'`` reading of eq. 10.

    Args:
        n_feats (int): channel number.
        distill_channels (int): channels of each kept feature. Default: n_feats // 2.
        conv_fn (callable): convolution builder.
    """

    def __init__(self, n_feats: int, distill_channels: int | None = None, conv_fn=conv):
        super().__init__()
        dc = distill_channels or n_feats // 2
        self.distill = nn.ModuleList([conv_fn(n_feats, dc, 1) for _ in range(3)])
        self.coarse = nn.ModuleList([conv_fn(n_feats, n_feats, 3) for _ in range(3)])
        self.last = conv_fn(n_feats, dc, 3)
        self.fuse = conv_fn(4 * dc, n_feats, 1)
        self.act = nn.ReLU()

    def forward(self, x):
        kept = []
        c = x
        for d, r in zip(self.distill, self.coarse):
            kept.append(d(c))
            c = self.act(r(c) + c)
        kept.append(self.last(c))
        return self.fuse(torch.cat(kept, dim=1))


class SplitDistillation(nn.Module):
    """Information distillation, the ``'channel_split'`` reading of section 3.3.1.

    Each step splits its input into ``dc`` kept channels (1x1 conv, dc -> dc) and the rest, refined
    by ``ReLU(3x3(rest) + rest)``; ``d_4 = 3x3(c_3)`` (-> dc); ``1x1(concat(d_1..d_4))`` -> n_feats.

    Args:
        n_feats (int): channel number.
        distill_channels (int): channels split off at each step. Default: n_feats // 4.
        conv_fn (callable): convolution builder.
    """

    def __init__(self, n_feats: int, distill_channels: int | None = None, conv_fn=conv):
        super().__init__()
        dc = distill_channels or n_feats // 4
        if dc < 1 or n_feats - 3 * dc < 1:
            raise ValueError(
                f"idman: channel_split needs 1 <= distill_channels < n_feats / 3, got {dc} for n_feats={n_feats}"
            )
        self.dc = dc
        rest = [n_feats - (i + 1) * dc for i in range(3)]  # widths of the refined parts: C-dc, C-2dc, C-3dc
        self.distill = nn.ModuleList([conv_fn(dc, dc, 1) for _ in range(3)])
        self.coarse = nn.ModuleList([conv_fn(w, w, 3) for w in rest])
        self.last = conv_fn(rest[-1], dc, 3)
        self.fuse = conv_fn(4 * dc, n_feats, 1)
        self.act = nn.ReLU()

    def forward(self, x):
        kept = []
        c = x
        for d, r in zip(self.distill, self.coarse):
            keep, rest = torch.split(c, (self.dc, c.shape[1] - self.dc), dim=1)
            kept.append(d(keep))
            c = self.act(r(rest) + rest)
        kept.append(self.last(c))
        return self.fuse(torch.cat(kept, dim=1))


DISTILL = {"full_input": Distillation, "channel_split": SplitDistillation}


class IDMAB(nn.Module):
    """Information distillation and multi-scale attention block: ``x + attention(extract(x))``.

    Args:
        n_feats (int): channel number.
        extract (str): 'distill' or 'conv' (Conv-ReLU-Conv).
        attention ('channel' | Sequence[int]): plain channel attention or the MAB branch kernels.
        reduction (int): attention reduction r.
        mab_pool (str): 'local' or 'global'.
        conv_fn (callable): convolution builder.
        distill (str): 'full_input' (eq. 10) or 'channel_split' (section 3.3.1's prose).
    """

    def __init__(
        self,
        n_feats: int,
        extract: str = "distill",
        attention=(3, 5),
        reduction: int = 16,
        mab_pool: str = "local",
        conv_fn=conv,
        distill: str = "full_input",
    ):
        super().__init__()
        if extract == "distill":
            if distill not in DISTILL:
                raise ValueError(f"idman: distill must be one of {sorted(DISTILL)}, got {distill!r}")
            self.extract = DISTILL[distill](n_feats, conv_fn=conv_fn)
        elif extract == "conv":
            self.extract = nn.Sequential(
                conv_fn(n_feats, n_feats, 3), nn.ReLU(inplace=True), conv_fn(n_feats, n_feats, 3)
            )
        else:
            raise ValueError(f"idman: extract must be 'distill' or 'conv', got {extract!r}")
        if isinstance(attention, str) and attention == "channel":
            self.attention = ChannelAttention(n_feats, reduction, conv_fn)
        else:
            self.attention = MAB(n_feats, tuple(attention), reduction, mab_pool, conv_fn=conv_fn)

    def forward(self, x):
        return x + self.attention(self.extract(x))


class IDMAG(nn.Module):
    """Group of IDMABs + 3x3 conv + local skip (eq. 9).

    Args:
        n_feats (int): channel number.
        n_blocks (int): IDMABs B.
        conv_fn (callable): convolution builder (weight-normalised or not).
        **block_options: ``extract``, ``attention``, ``reduction``, ``mab_pool``, ``distill`` of :class:`IDMAB`.
    """

    def __init__(self, n_feats: int, n_blocks: int, conv_fn=conv, **block_options):
        super().__init__()
        self.body = nn.Sequential(
            *[IDMAB(n_feats, conv_fn=conv_fn, **block_options) for _ in range(n_blocks)], conv_fn(n_feats, n_feats, 3)
        )

    def forward(self, x):
        return x + self.body(x)


class IDMAN(nn.Module):
    """IDMAN.

    Args:
        scale (int): upscale factor (2, 3 or 4).
        in_channels (int): input/output channel number. Default: 1.
        n_groups (int): IDMAGs G. Default: 10.
        n_blocks (int): IDMABs per group B. Default: 20.
        n_feats (int): channel number. Default: 64.
        reduction (int): attention reduction ratio r. Default: 16.
        extract (str): 'distill' (information distillation) or 'conv' (Conv-ReLU-Conv). Default: 'distill'.
        attention ('channel' | Sequence[int]): 'channel' or MAB branch kernel sizes. Default: (3, 5).
        mab_pool (str): 'local' (keeps H x W) or 'global' (RCAN-style). Default: 'local'.
        weight_norm (bool): weight normalisation on every convolution. Default: True.
        feedback_steps (int): iterations of the shared local-feedback reconstruction conv. Default: 2.
        distill (str): 'full_input' (eq. 10: both convolutions of a step see the whole feature) or
            'channel_split' (section 3.3.1's "channel splitting operation"); see the module docstring.
            Default: 'full_input'. Ignored with ``extract='conv'``.
    """

    output_layer = "tail"  # kept in fp32 on the fast path (paperlib.precision)

    def __init__(
        self,
        scale: int = 4,
        in_channels: int = 1,
        n_groups: int = 10,
        n_blocks: int = 20,
        n_feats: int = 64,
        reduction: int = 16,
        extract: str = "distill",
        attention=(3, 5),
        mab_pool: str = "local",
        weight_norm: bool = True,
        feedback_steps: int = 2,
        distill: str = "full_input",
    ):
        super().__init__()
        self.scale = check_scale("idman", scale)
        if not (isinstance(attention, str) and attention == "channel"):
            attention = tuple(int(k) for k in attention)
            if not attention or any(k < 1 or k % 2 == 0 for k in attention):
                raise ValueError(f"idman: attention must be 'channel' or odd kernel sizes, got {attention!r}")
        if distill not in DISTILL:
            raise ValueError(f"idman: distill must be one of {sorted(DISTILL)}, got {distill!r}")
        if feedback_steps < 0:
            raise ValueError(f"idman: feedback_steps must be >= 0, got {feedback_steps}")
        c = _make_conv(weight_norm)
        self.head = c(in_channels, n_feats, 3)
        self.groups = nn.Sequential(
            *[
                IDMAG(
                    n_feats,
                    n_blocks,
                    conv_fn=c,
                    extract=extract,
                    attention=attention,
                    reduction=reduction,
                    mab_pool=mab_pool,
                    distill=distill,
                )
                for _ in range(n_groups)
            ]
        )
        self.dfes_conv = c(n_feats, n_feats, 3)
        self.upsample = Upsampler(self.scale, n_feats, conv_fn=c)
        self.feedback_steps = feedback_steps
        self.feedback = c(n_feats, n_feats, 3) if feedback_steps > 0 else None
        self.act = nn.ReLU()
        self.tail = c(n_feats, in_channels, 3)

    def forward(self, x):
        f0 = self.head(x)
        f = f0 + self.dfes_conv(self.groups(f0))
        up = self.upsample(f)
        h = up
        for _ in range(self.feedback_steps):
            h = up + self.act(self.feedback(h))
        return self.tail(h)
