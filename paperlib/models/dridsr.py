"""DRIDSR (Chen, Zheng, Chen, "Double paths network with residual information distillation for improving
lung CT image super resolution", Biomedical Signal Processing and Control 73, 2022), sections 3.1-3.6, 4.2.

Structure (Fig. 1, eqs. 2-14)::

    F_L = f1x1(relu(f3x3(relu(f5x5(I_LR)))))                      low-frequency path (eq. 12)
    F_0 = f1(I_LR);  F_M = RIDM(F_0)                               (eq. 2)
    I_g = Sobel(I_LR);  F_g = f2(I_g)                              gradient identity path (eqs. 3-4)
    F_H = f3(F_M + F_g)                                            1x1, reduces the channels (eq. 5)
    I_SR = f3x3(PixelShuffle_s(f3x3(F_L + F_H)))                   (eqs. 13-14)

RIDM (eqs. 6-8, Figs. 2-3b) with n residual blocks and m = n - 1 simple IDBs, residual blocks and IDBs
interleaved::

    F_1 = RB_1(F_0);  (F_d1, F_r1) = IDB_1([F_0, F_1])
    F_i = RB_i(F_d,i-1);  (F_di, F_ri) = IDB_i([F_d,i-1, F_i])     i = 2..m
    F_n = RB_n(F_d,m)
    F_M = f1x1([F_r1, ..., F_rm, F_n]) + F_0
    IDB(X1, X2): F_d = f1x1([X1, X2]) (coarse, passed on), F_r = f3x3([X1, X2]) (refined, kept)

Defaults and the choices where the paper is silent:

* ``n_resblocks=6`` (hence 5 IDBs): eq. 6 concatenates F_r1..F_r5 and F_6 "the output of the final
  residual block"; eq. 8's index range ``i = 2..6`` would give a sixth IDB whose refined output is
  never used, so it is read as a typo for ``2..5``.
* ``ridm_wiring='interleaved'`` (default): the input of residual block i > 1 is the coarse output
  F_d of the previous IDB (Fig. 2 is not available in text); F_d therefore has ``n_feats`` channels,
  while the kept refined features F_r have ``distill_channels``. ``ridm_wiring='side_chain'`` is the
  other reading ("RIDM cascades multiple residual blocks", eq. 8): a plain residual-block chain with
  the IDBs along it as a side chain (:class:`RIDM`); same parameters, measured in the budget study.
* Residual blocks are EDSR blocks (3x3 conv, ReLU, 3x3 conv, + identity, no BN, res_scale 1).
* All activations are ReLU (section 4.2), after the 5x5 and 3x3 convs of the low path, inside the
  residual blocks, and after the IDB's two convs and f1/f2 -- none after a 1x1 fusion conv, F_L, F_H
  or the reconstruction convs (the outputs are summed/shuffled linearly).
* Widths: ``n_feats=48`` (RIDM, f1, f2, low path), ``distill_channels=24`` (refined features),
  ``merge_channels=28`` (F_L and F_H: "a 1x1 Conv layer to reduce the number of features"), and the
  first reconstruction conv maps ``merge_channels -> merge_channels * s^2`` before the pixel shuffle
  (section 3.6: C x H x W -> s^2 C x H x W), the last 3x3 conv maps to the image channels (1 for CT;
  the paper's "3" is the RGB wording of ESPCN). These widths give **523,933 parameters at x4 (one
  channel)**, the paper's 0.52 M (Table 2), and 474,345 / 438,925 at x3 / x2.
* Layers: 31 trainable convolutions + the fixed Sobel filter = **32 layers**, the paper's count
  (``count_layers`` counts fixed filter layers; ``include_fixed=False`` gives 31).
* Sobel map (``edge='sobel'``): magnitude ``sqrt(gx^2 + gy^2)`` of the 3x3 Sobel kernels per channel
  with replicate padding, divided by the constant 4 (the kernel's gain on a unit step), so a full 0->1
  step gives 1 and the map lives on the same scale as the [0, 1] image. It is *not* normalised per
  image (e.g. by its maximum): training uses 48x48 / 64x64 patches and testing whole slices, and a
  per-image normalisation would scale the same edge differently in the two settings.
* ``edge='canny'`` (Fig. 5 ablation) uses OpenCV's Canny on the 8-bit image with thresholds 60/120
  (non-differentiable, computed on the CPU); ``edge='none'`` drops the gradient path (f2 removed).
* PyTorch default initialisation.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .blocks import FixedFilter, ResBlock, check_scale, conv

_SOBEL_X = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])


def sobel_edges(x: torch.Tensor, normalize: bool = True, eps: float = 1e-12) -> torch.Tensor:
    """Sobel gradient magnitude of each channel of ``x`` (N x C x H x W), differentiable.

    ``sqrt(gx^2 + gy^2 + eps)`` with replicate padding (no spurious edge at the image border);
    divided by 4 when ``normalize`` so that a unit step edge has magnitude 1 (constant scaling, not
    per-image: see the module docstring). ``eps`` keeps the gradient finite on flat regions.
    """
    if x.dim() != 4:
        raise ValueError(f"sobel_edges expects N x C x H x W, got shape {tuple(x.shape)}")
    c = x.shape[1]
    kx = _SOBEL_X.to(device=x.device, dtype=x.dtype)
    weight = torch.stack([kx, kx.t()]).unsqueeze(1).repeat(c, 1, 1, 1)  # (2C, 1, 3, 3)
    g = F.conv2d(F.pad(x, (1, 1, 1, 1), mode="replicate"), weight, groups=c)
    g = g.view(x.shape[0], c, 2, *x.shape[-2:])
    mag = torch.sqrt(g.pow(2).sum(dim=2) + eps)
    return mag / 4.0 if normalize else mag


def canny_edges(img_uint8: np.ndarray, low: float = 60, high: float = 120) -> np.ndarray:
    """Canny edge map (uint8, 0 or 255) of an 8-bit grayscale image, thresholds as in DRIDSR Fig. 5.

    Uses ``cv2.Canny`` (3x3 Sobel aperture, L1 gradient, no pre-smoothing); falls back to
    ``skimage.feature.canny`` (sigma=1 Gaussian pre-smoothing, so slightly different maps) when OpenCV
    is not installed.
    """
    img = np.asarray(img_uint8)
    if img.ndim != 2:
        raise ValueError(f"canny_edges expects a 2-D grayscale image, got shape {img.shape}")
    if img.dtype != np.uint8:
        raise ValueError(f"canny_edges expects uint8 (8-bit) input, got {img.dtype}")
    try:
        import cv2
    except ImportError:  # pragma: no cover - depends on the environment
        from skimage.feature import canny

        return (canny(img.astype(float), sigma=1.0, low_threshold=low, high_threshold=high) * 255).astype(np.uint8)
    return cv2.Canny(img, low, high)


class SobelFilter(FixedFilter):
    """The Sobel operator f_g as a fixed layer (no parameters); see :func:`sobel_edges`."""

    def forward(self, x):
        return sobel_edges(x)


class CannyFilter(FixedFilter):
    """Canny edge map (thresholds 60/120 on the 8-bit image) as a fixed, non-differentiable layer, in [0, 1]."""

    def __init__(self, low: float = 60, high: float = 120):
        super().__init__()
        self.low, self.high = low, high

    def forward(self, x):
        arr = (x.detach().float().clamp(0, 1) * 255).round().to(torch.uint8).cpu().numpy()
        out = np.stack([[canny_edges(ch, self.low, self.high) for ch in img] for img in arr])
        return torch.from_numpy(out.astype(np.float32) / 255.0).to(device=x.device, dtype=x.dtype)


class IDB(nn.Module):
    """Simple information distillation block (Fig. 3b, eqs. 10-11).

    Args:
        in_channels (int): channels of the concatenated input [X1, X2].
        n_feats (int): channels of the coarse output F_d (passed to the next residual block).
        distill_channels (int): channels of the refined output F_r (kept for the final fusion).
    """

    def __init__(self, in_channels: int, n_feats: int, distill_channels: int):
        super().__init__()
        self.coarse = conv(in_channels, n_feats, 1)
        self.refine = conv(in_channels, distill_channels, 3)
        self.act = nn.ReLU(inplace=True)

    def forward(self, x1, x2):
        x = torch.cat([x1, x2], dim=1)
        return self.act(self.coarse(x)), self.act(self.refine(x))


class OriginalIDB(nn.Module):
    """The original information distillation block the paper replaces (Fig. 3a, eq. 9).

    ``F_d, F_r = Split(f3x3([X1, X2]))``: one 3x3 convolution to ``n_feats + distill_channels``
    channels, split into the coarse part (first ``n_feats``, passed on) and the refined part (kept).
    The paper gives no activation for eq. 9; a ReLU follows the convolution, as in the simple IDB, so
    the two blocks differ only in what the paper changes. Same arguments as :class:`IDB`.
    """

    def __init__(self, in_channels: int, n_feats: int, distill_channels: int):
        super().__init__()
        self.n_feats = n_feats
        self.body = conv(in_channels, n_feats + distill_channels, 3)
        self.act = nn.ReLU(inplace=True)

    def forward(self, x1, x2):
        y = self.act(self.body(torch.cat([x1, x2], dim=1)))
        return y[:, : self.n_feats], y[:, self.n_feats :]


IDB_KINDS = {"simple": IDB, "original": OriginalIDB}
#: ``idb="none"``: no IDBs (the ablation of the RIDM's "interaction between the residual block and the IDB").
NO_IDB = "none"
RIDM_WIRINGS = ("interleaved", "side_chain")


class RIDM(nn.Module):
    """Residual information distillation module (Fig. 2, eqs. 6-8).

    The text supports two wirings; both use every weight, so they have the same parameter count:

    * ``'interleaved'`` (default): residual block i > 1 takes the coarse output F_d of the previous
      IDB, ``F_i = RB_i(F_d,i-1)``: our reading of Fig. 2 (whose drawing is not in the text), with the
      residual blocks and IDBs alternating along one path.
    * ``'side_chain'``: the residual blocks form a plain chain, ``F_i = RB_i(F_i-1)`` ("RIDM
      cascades multiple residual blocks, and uses the output of each residual block as the input of
      IDB"; of the IDB's two parts "the other part is fed into the next IDB"), and the IDBs form a
      side chain along it,
      ``(F_di, F_ri) = IDB_i([F_d,i-1, F_i])`` with ``F_d0 = F_0``; the final residual block's
      output F_n still enters the fusion.

    Args:
        n_feats (int): channel number. Default: 48.
        n_resblocks (int): residual blocks n; there are n - 1 IDBs. Default: 6.
        distill_channels (int): channels of each refined feature F_r. Default: 24.
        wiring (str): ``'interleaved'`` or ``'side_chain'`` (see above). Default: 'interleaved'.
        idb (str): ``'simple'`` (the paper's, Fig. 3b), ``'original'`` (Fig. 3a, for the ablation
            of section 3.4) or ``'none'``: no IDBs, a plain residual-block chain whose every block
            output enters the 1x1 fusion, ``F_M = f1x1([F_1, ..., F_n]) + F_0`` (the ablation of the
            RIDM's "interaction between the residual block and the IDB"; the wiring does not apply).
            Default: 'simple'.
    """

    def __init__(
        self,
        n_feats: int = 48,
        n_resblocks: int = 6,
        distill_channels: int = 24,
        wiring: str = "interleaved",
        idb: str = "simple",
    ):
        super().__init__()
        if n_resblocks < 1:
            raise ValueError(f"dridsr: n_resblocks must be >= 1, got {n_resblocks}")
        if wiring not in RIDM_WIRINGS:
            raise ValueError(f"dridsr: ridm_wiring must be one of {RIDM_WIRINGS}, got {wiring!r}")
        if idb not in IDB_KINDS and idb != NO_IDB:
            raise ValueError(f"dridsr: idb must be one of {(*IDB_KINDS, NO_IDB)}, got {idb!r}")
        self.wiring = wiring
        self.resblocks = nn.ModuleList([ResBlock(n_feats) for _ in range(n_resblocks)])
        if idb == NO_IDB:
            self.idbs = nn.ModuleList()
            self.fuse = conv(n_resblocks * n_feats, n_feats, 1)
            return
        self.idbs = nn.ModuleList(
            [IDB_KINDS[idb](2 * n_feats, n_feats, distill_channels) for _ in range(n_resblocks - 1)]
        )
        self.fuse = conv((n_resblocks - 1) * distill_channels + n_feats, n_feats, 1)

    def forward(self, f0):
        if not len(self.idbs):  # idb="none": the plain chain, every block's output fused
            outs, fi = [], f0
            for rb in self.resblocks:
                fi = rb(fi)
                outs.append(fi)
            return self.fuse(torch.cat(outs, dim=1)) + f0
        # F_d (coarse) always runs along the IDBs; the wiring decides what each residual block reads:
        # the previous coarse output (interleaved) or the previous residual block's output (side chain).
        interleaved = self.wiring == "interleaved"
        refined = []
        fi, coarse = f0, f0
        for rb, idb in zip(self.resblocks[:-1], self.idbs):
            fi = rb(coarse if interleaved else fi)
            coarse, fr = idb(coarse, fi)
            refined.append(fr)
        refined.append(self.resblocks[-1](coarse if interleaved else fi))
        return self.fuse(torch.cat(refined, dim=1)) + f0


class DRIDSR(nn.Module):
    """DRIDSR: double-path network with residual information distillation.

    Args:
        scale (int): upscale factor (2, 3 or 4).
        in_channels (int): input/output channel number. Default: 1.
        n_feats (int): channels of the RIDM, f1, f2 and the low path's first convs. Default: 48.
        n_resblocks (int): residual blocks in the RIDM (IDBs = n_resblocks - 1). Default: 6.
        distill_channels (int): channels of each refined IDB feature. Default: 24.
        merge_channels (int): channels of F_L, F_H and of the pixel-shuffled features. Default: 28.
        edge (str): gradient identity path input, 'sobel', 'canny' or 'none'. Default: 'sobel'.
        ridm_wiring (str): 'interleaved' or 'side_chain', the two readings of the RIDM (see
            :class:`RIDM`); same parameter count. Default: 'interleaved'.
        idb (str): 'simple' (the paper's IDB), 'original' (eq. 9, more parameters: 3x3 coarse
            features) or 'none' (no IDBs; see :class:`RIDM`). Default: 'simple'.
        low_path (bool): keep the low-frequency path. ``False`` drops it (``F_L = 0``), the ablation
            of "Separate reconstruction of low-frequency information and high-frequency information
            can obtain better SR results"; it removes 23,404 parameters (one channel). Default: True.
    """

    output_layer = "recon.2"  # kept in fp32 on the fast path (paperlib.precision)

    def __init__(
        self,
        scale: int = 4,
        in_channels: int = 1,
        n_feats: int = 48,
        n_resblocks: int = 6,
        distill_channels: int = 24,
        merge_channels: int = 28,
        edge: str = "sobel",
        ridm_wiring: str = "interleaved",
        idb: str = "simple",
        low_path: bool = True,
    ):
        super().__init__()
        self.scale = check_scale("dridsr", scale)
        if edge not in ("sobel", "canny", "none"):
            raise ValueError(f"dridsr: edge must be 'sobel', 'canny' or 'none', got {edge!r}")
        self.edge = edge
        relu = nn.ReLU
        # low-frequency path (eq. 12); None in the single-path ablation
        self.low = (
            nn.Sequential(
                conv(in_channels, n_feats, 5),
                relu(inplace=True),
                conv(n_feats, n_feats, 3),
                relu(inplace=True),
                conv(n_feats, merge_channels, 1),
            )
            if low_path
            else None
        )
        # high-frequency path (eqs. 2-5)
        self.f1 = nn.Sequential(conv(in_channels, n_feats, 3), relu(inplace=True))
        self.ridm = RIDM(n_feats, n_resblocks, distill_channels, ridm_wiring, idb)
        if edge == "none":
            self.edge_filter, self.f2 = None, None
        else:
            self.edge_filter = SobelFilter() if edge == "sobel" else CannyFilter()
            self.f2 = nn.Sequential(conv(in_channels, n_feats, 3), relu(inplace=True))
        self.f3 = conv(n_feats, merge_channels, 1)
        # reconstruction (eq. 14)
        self.recon = nn.Sequential(
            conv(merge_channels, merge_channels * self.scale**2, 3),
            nn.PixelShuffle(self.scale),
            conv(merge_channels, in_channels, 3),
        )

    def forward(self, x, return_paths: bool = False):
        f_m = self.ridm(self.f1(x))
        if self.f2 is not None:
            f_m = f_m + self.f2(self.edge_filter(x))
        f_high = self.f3(f_m)
        f_low = self.low(x) if self.low is not None else torch.zeros_like(f_high)
        sr = self.recon(f_low + f_high)
        if return_paths:
            return {"sr": sr, "low": f_low, "high": f_high}
        return sr
