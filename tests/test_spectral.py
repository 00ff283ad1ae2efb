"""paperlib.spectral: shares of spectral energy against sums of sinusoids (known answers), and DRIDSR's exact split."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from paperlib import models
from paperlib.spectral import dridsr_path_contributions, lr_nyquist, share_above


def two_tones(a: float, fa: float, b: float, fb: float, n: int = 256) -> np.ndarray:
    """a*cos at fa plus b*cos at fb (cycles/px) along rows: its energy splits a^2 : b^2 between the two radii."""
    x = np.arange(n)[None, :].repeat(n, 0)
    return 7.0 + a * np.cos(2 * np.pi * fa * x) + b * np.cos(2 * np.pi * fb * x)


@pytest.mark.parametrize("a,b", [(1.0, 1.0), (2.0, 1.0), (1.0, 3.0)])
def test_share_above_splits_the_energy_of_two_tones(a, b):
    img = two_tones(a, 0.1, b, 0.35)  # one tone below x2's LR Nyquist (0.25), one above
    assert share_above(img, lr_nyquist(2)) == pytest.approx(b**2 / (a**2 + b**2), abs=2e-3)


def test_share_ignores_the_mean_and_the_floor():
    assert share_above(two_tones(1.0, 0.1, 0.0, 0.35) + 100.0, 0.25) == pytest.approx(0.0, abs=1e-3)
    assert share_above(np.full((32, 32), 5.0), 0.25) != share_above(np.full((32, 32), 5.0), 0.25)  # NaN: no energy
    with pytest.raises(ValueError, match="2-D"):
        share_above(np.zeros((2, 8, 8)), 0.25)


def test_lr_nyquist():
    assert [lr_nyquist(s) for s in (2, 3, 4)] == [0.25, 1 / 6, 0.125]


@pytest.mark.parametrize("edge", ["sobel", "none"])
def test_dridsr_output_is_exactly_low_plus_high_plus_bias(edge):
    torch.manual_seed(0)
    model = models.create("dridsr", scale=3, edge=edge).eval()
    for p in model.parameters():  # non-trivial biases, so the bias image matters
        p.data.add_(0.01 * torch.randn_like(p))
    lr = np.random.default_rng(0).random((20, 17)).astype(np.float32)
    parts = dridsr_path_contributions(model, lr)
    assert parts["sr"].shape == (60, 51)
    np.testing.assert_allclose(parts["low"] + parts["high"] + parts["bias"], parts["sr"], atol=2e-5)
    assert np.abs(parts["bias"]).max() > 1e-3 and np.abs(parts["high"]).max() > 1e-3
