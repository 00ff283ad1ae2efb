"""Metric golden tests against independent implementations, on real COVID-CT pairs."""

import math

import numpy as np
import pytest
import torch

from paperlib import metrics
from paperlib.data.covid_ct import covid_ct_split
from paperlib.data.degrade import matlab_imresize, modcrop
from paperlib.data.images import read_gray_u8
from paperlib.errors import MetricUnavailableError


@pytest.fixture(scope="module")
def pair(shared_data):
    """A real HR test image and its MATLAB-bicubic x4 down-up reconstruction, in [0, 1]."""
    ref = covid_ct_split("test", root=shared_data)[1]
    hr = modcrop(read_gray_u8(ref.path), 4).astype(np.float64) / 255.0
    sr = np.clip(matlab_imresize(matlab_imresize(hr, 1 / 4), 4), 0, 1)
    return sr, hr


def test_psnr_against_skimage_and_pyiqa(pair):
    from pyiqa.archs.psnr_arch import psnr as pyiqa_psnr
    from skimage.metrics import peak_signal_noise_ratio

    sr, hr = pair
    ours = metrics.psnr(sr, hr, crop_border=4)
    sk = peak_signal_noise_ratio(hr[4:-4, 4:-4], sr[4:-4, 4:-4], data_range=1.0)
    pq = float(pyiqa_psnr(torch.from_numpy(sr[4:-4, 4:-4])[None, None], torch.from_numpy(hr[4:-4, 4:-4])[None, None]))
    assert abs(ours - sk) < 1e-4 and abs(ours - pq) < 1e-4
    assert 15 < ours < 45


def test_psnr_y_offset_for_gray_images(pair):
    sr, hr = pair
    diff = metrics.psnr_y(sr, hr, crop_border=4) - metrics.psnr(sr, hr, crop_border=4)
    assert abs(diff - 20 * math.log10(255 / 219)) < 1e-9  # 1.3241 dB, the Y-channel inflation for gray CT


def test_ssim_against_pyiqa(pair):
    from pyiqa.archs.ssim_arch import ssim as pyiqa_ssim

    sr, hr = pair
    ours = metrics.ssim(sr, hr, crop_border=4)
    ref = float(pyiqa_ssim(torch.from_numpy(sr[4:-4, 4:-4])[None, None], torch.from_numpy(hr[4:-4, 4:-4])[None, None]))
    assert abs(ours - ref) < 1e-4
    assert 0.3 < ours < 1.0


def test_ssim_matches_direct_formula_on_small_array():
    """Independent numpy SSIM (Gaussian window, valid region) on random data."""
    from scipy.signal import convolve2d

    rng = np.random.default_rng(0)
    a = rng.random((40, 37))
    b = np.clip(a + 0.1 * rng.standard_normal(a.shape), 0, 1)
    g = np.exp(-((np.arange(11) - 5) ** 2) / (2 * 1.5**2))
    win = np.outer(g, g) / np.outer(g, g).sum()
    f = lambda x: convolve2d(x, win, mode="valid")  # noqa: E731
    mu1, mu2 = f(a), f(b)
    s1, s2, s12 = f(a * a) - mu1**2, f(b * b) - mu2**2, f(a * b) - mu1 * mu2
    c1, c2 = 0.01**2, 0.03**2
    ref = np.mean((2 * mu1 * mu2 + c1) * (2 * s12 + c2) / ((mu1**2 + mu2**2 + c1) * (s1 + s2 + c2)))
    assert abs(metrics.ssim(a, b) - ref) < 1e-6


def test_ms_ssim_properties(pair):
    sr, hr = pair
    assert metrics.ms_ssim(hr, hr) == pytest.approx(1.0, abs=1e-6)
    v = metrics.ms_ssim(sr, hr, crop_border=4)
    noisy = np.clip(sr + np.random.default_rng(0).normal(0, 0.05, sr.shape), 0, 1)
    assert 0.5 < metrics.ms_ssim(noisy, hr, crop_border=4) < v < 1.0
    with pytest.raises(ValueError, match="161"):
        metrics.ms_ssim(hr[:100, :100], hr[:100, :100])


def test_niqe_offline_and_blur_increases_it(pair):
    sr, hr = pair
    a, b = metrics.niqe(hr, crop_border=4), metrics.niqe(sr, crop_border=4)
    assert np.isfinite(a) and np.isfinite(b)
    assert b > a  # bicubic-blurred image is less natural than the original


def test_niqe_refuses_images_too_small(pair):
    with pytest.raises(ValueError, match="too small for NIQE"):
        metrics.niqe(pair[1][:150, :300])


def test_pi_unavailable_is_a_typed_error(pair):
    if metrics.nrqm_available():
        pytest.skip("NRQM_model.mat is present on this machine")
    with pytest.raises(MetricUnavailableError, match="NRQM_model.mat not found"):
        metrics.perceptual_index(pair[0])


def test_contract_errors():
    with pytest.raises(ValueError, match="shapes differ"):
        metrics.psnr(np.zeros((8, 8)), np.zeros((8, 9)))
    with pytest.raises(ValueError, match="too small"):
        metrics.psnr(np.zeros((8, 8)), np.zeros((8, 8)), crop_border=4)
    assert metrics.psnr(np.ones((8, 8)), np.ones((8, 8))) == float("inf")
    assert metrics.psnr(np.zeros((4, 4)), np.full((4, 4), 25.5), data_range=255) == pytest.approx(20.0)


def test_gradient_error_of_a_step_edge_by_hand():
    """A vertical step of height 1 in an 8x8 image: Sobel ([1,2,1] x [1,0,-1] / 4) gives 1 on the two columns beside
    the step, magnitude sqrt((1 + 0) / 2); against a flat image the error is 2 x 8 x sqrt(1/2) / 64 = sqrt(2)/8. On
    MATLAB's Y channel a gray step of 1 becomes 219/255; in 0-255 units with data_range 255 the value is the same;
    a border crop of 2 leaves both edge columns in a 4x4 image: 2 x 4 x sqrt(1/2) / 16."""
    step = np.zeros((8, 8))
    step[:, 4:] = 1.0
    flat = np.zeros((8, 8))
    assert metrics.gradient_error(step, flat) == pytest.approx(math.sqrt(2) / 8, abs=1e-12)
    assert metrics.gradient_error(flat, step) == metrics.gradient_error(step, flat)
    assert metrics.gradient_error(step, step) == 0.0
    assert metrics.gradient_error(step, flat, channel="y") == pytest.approx(math.sqrt(2) / 8 * 219 / 255, abs=1e-12)
    assert metrics.gradient_error(255 * step, flat, data_range=255) == pytest.approx(math.sqrt(2) / 8, abs=1e-12)
    assert metrics.gradient_error(step, flat, crop_border=2) == pytest.approx(8 * math.sqrt(0.5) / 16, abs=1e-12)


def test_full_reference_adds_the_gradient_error_only_when_asked(pair):
    sr, hr = pair
    p = metrics.Protocol(channel="gray", crop_border=4)
    assert "gradient_error" not in metrics.full_reference(sr, hr, p, with_ms_ssim=False)
    got = metrics.full_reference(sr, hr, p, with_ms_ssim=False, with_edges=True)["gradient_error"]
    assert got == metrics.gradient_error(sr, hr, crop_border=4) and got > 0
