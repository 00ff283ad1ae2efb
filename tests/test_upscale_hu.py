"""HU fidelity of ``paperlib.upscale.sr_hu_batch`` on a real Lung-PET-CT-Dx slice.

A real slice is the *input* (LR) of x2 upscaling; the check is the mean over all s x s blocks of
(block mean of the output - the input pixel): the HU bias the upscaling adds to tissue.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from paperlib import models as M
from paperlib.config import data_root
from paperlib.data.degrade import imresize_torch
from paperlib.upscale import sr_hu_batch

SCALE = 2


@pytest.fixture(scope="module")
def real_slices():
    root = data_root() / "lung-pet-ct-dx"
    if not root.is_dir():
        pytest.skip(f"Lung-PET-CT-Dx not found at {root} (set PAPERLIB_DATA)")
    from paperlib.data.dicom import find_series, read_dicom_hu

    series = min(find_series(root), key=lambda s: s.n_slices)
    mid = len(series.files) // 2
    return np.stack([read_dicom_hu(f)[0] for f in series.files[mid : mid + 2]])


class OffsetCheckerboard(torch.nn.Module):
    """A fixed "model": bicubic + a checkerboard (high frequency) + a DC and a slow ripple (low frequency)."""

    output_layer = None

    def forward(self, w):
        up = imresize_torch(w, scale=SCALE)
        rows = torch.arange(up.shape[-2], dtype=torch.float32)[:, None]
        return up + 0.02 * _checker(up.shape[-2:]) + 0.01 + 0.02 * torch.sin(rows / 7.0)


def _checker(shape):
    j = torch.arange(shape[0])[:, None]
    i = torch.arange(shape[1])[None, :]
    return ((i + j) % 2 * 2 - 1).float()


def block_bias(out, hu, s=SCALE):
    z, h, w = hu.shape
    return (out.reshape(z, h, s, w, s).mean(axis=(2, 4)) - hu).mean(axis=(1, 2))


def test_backprojection_keeps_block_means_and_detail(real_slices):
    hu = real_slices
    model = OffsetCheckerboard()
    raw = sr_hu_batch(model, hu, SCALE, consistency="none")
    fixed = sr_hu_batch(model, hu, SCALE)  # default: backproject
    bias_raw, bias_fixed = block_bias(raw, hu), block_bias(fixed, hu)
    assert np.all(np.abs(bias_fixed) < 1e-3), bias_fixed  # float32 arithmetic on HU: the means are kept exactly
    assert np.all(np.abs(bias_raw) > 5.0), bias_raw  # the uncorrected detail moves tissue HU (~14 HU here)
    # the high-frequency detail (the checkerboard, 30 HU on the lung window) is kept
    bic = sr_hu_batch(M.create("bicubic", scale=SCALE), hu, SCALE)
    chk = _checker(bic.shape[-2:]).numpy()
    amp_raw = float(((raw - bic) * chk).mean())  # 30 HU x the unclipped fraction of the slice
    amp_fixed = float(((fixed - bic) * chk).mean())
    assert amp_raw > 10 and amp_fixed > 0.8 * amp_raw, (amp_raw, amp_fixed)


def test_bicubic_model_unchanged_by_backprojection(real_slices):
    hu = real_slices[:1]
    bic_model = M.create("bicubic", scale=SCALE)
    a = sr_hu_batch(bic_model, hu, SCALE)
    b = sr_hu_batch(bic_model, hu, SCALE, consistency="none")
    assert np.array_equal(a, b)
    assert abs(float(block_bias(a, hu)[0])) < 1e-3


def test_untrained_dridsr_block_bias(real_slices):
    hu = real_slices[:1, :128, :128]
    torch.manual_seed(0)
    model = M.create("dridsr", scale=SCALE).eval()
    assert abs(float(block_bias(sr_hu_batch(model, hu, SCALE, consistency="none"), hu)[0])) > 5.0
    assert abs(float(block_bias(sr_hu_batch(model, hu, SCALE), hu)[0])) < 1.0


def test_sr_hu_batch_does_not_mutate_the_model(real_slices):
    torch.manual_seed(0)
    model = M.create("espcn", scale=SCALE).eval()
    state = {k: v.clone() for k, v in model.state_dict().items()}
    sr_hu_batch(model, real_slices[:1, :64, :64], SCALE, fast=True)
    assert all("forward" not in m.__dict__ for m in model.modules())
    assert all(p.is_contiguous() for p in model.parameters())
    assert all(torch.equal(state[k], v) for k, v in model.state_dict().items())


def test_unknown_consistency_is_an_error(real_slices):
    with pytest.raises(ValueError, match="consistency"):
        sr_hu_batch(M.create("bicubic", scale=SCALE), real_slices[:1, :16, :16], SCALE, consistency="blocks")


def test_sr_hu_volume_streams_the_same_slices(real_slices):
    """The streaming form (what upscale_series runs) gives sr_hu_batch's slices, whatever the batch."""
    from paperlib.upscale import sr_hu_volume
    from paperlib.upscale.memory import _retaining

    torch.manual_seed(0)
    model = M.create("espcn", scale=SCALE).eval()
    hu = np.concatenate([real_slices, real_slices[:1]])[:, :48, :40]  # 3 slices: a short last batch at batch 2
    ref = sr_hu_batch(model, hu, SCALE)
    for batch in (1, 2, 4):
        out = np.stack(list(sr_hu_volume(model, iter(hu), SCALE, batch=batch, fast=False)))
        np.testing.assert_allclose(out, ref, atol=1e-3)
    assert _retaining[0] == 0  # the allocator settings are restored once the stream ends
    with pytest.raises(ValueError, match="batch"):
        next(sr_hu_volume(model, iter(hu), SCALE, batch=0))
