"""Golden tests: our MATLAB bicubic against two independent ports."""

import numpy as np
import pytest
import torch

from paperlib.data.covid_ct import covid_ct_split
from paperlib.data.degrade import bicubic_degrade, imresize_torch, matlab_imresize, modcrop
from paperlib.data.images import read_gray_u8


@pytest.fixture(scope="module")
def real_img(shared_data):
    ref = covid_ct_split("test", root=shared_data)[0]
    return modcrop(read_gray_u8(ref.path).astype(np.float64), 12)[:120, :132]


@pytest.mark.parametrize("scale", [1 / 2, 1 / 3, 1 / 4, 2, 3, 4])
def test_matches_pyiqa_matlab_port(real_img, scale):
    from pyiqa.matlab_utils import imresize as pyiqa_imresize

    ours = matlab_imresize(real_img, scale)
    ref = pyiqa_imresize(torch.from_numpy(real_img / 255.0)[None], scale).numpy()[0] * 255.0
    assert ours.shape == ref.shape
    # pyiqa agrees with MATLAB to ~1e-4 on a 0-255 scale
    assert np.abs(ours - ref).max() < 1e-3


@pytest.mark.parametrize("s", [2, 3, 4])
def test_matches_resize_right(real_img, s):
    from resize_right import interp_methods, resize

    for scale in (1 / s, s):
        ours = matlab_imresize(real_img, scale)
        ref = resize(
            real_img, scale_factors=scale, interp_method=interp_methods.cubic, antialiasing=True, pad_mode="symmetric"
        )
        assert ours.shape == ref.shape
        assert np.abs(ours - ref).max() < 1e-3


def test_torch_equals_numpy_and_batched(real_img):
    x = torch.from_numpy(np.stack([real_img, real_img[::-1].copy()]) / 255.0)[:, None].float()
    out = imresize_torch(x, 1 / 4)
    for i, im in enumerate((real_img, real_img[::-1])):
        np.testing.assert_allclose(out[i, 0].numpy(), matlab_imresize(im / 255.0, 1 / 4), atol=1e-5)


def test_torch_keeps_fp32_under_autocast(real_img):
    x = torch.from_numpy(real_img / 255.0)[None, None].float()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = imresize_torch(x, 1 / 3)
    assert out.dtype == torch.float32


def test_interpolate_differs_at_borders(real_img):
    """Why we do not use F.interpolate: it is not MATLAB's bicubic (several grey levels at the borders)."""
    x = torch.from_numpy(real_img)[None, None]
    ours = matlab_imresize(real_img, 4)
    theirs = torch.nn.functional.interpolate(x, scale_factor=4, mode="bicubic", align_corners=False)[0, 0].numpy()
    assert np.abs(ours - theirs)[:4].max() > 2.0


def test_constant_image_and_shape_rules():
    img = np.full((30, 45), 7.0)
    np.testing.assert_allclose(matlab_imresize(img, 1 / 3), 7.0, atol=1e-12)
    assert matlab_imresize(np.zeros((31, 45)), 1 / 3).shape == (11, 15)  # ceil, like MATLAB
    assert modcrop(np.zeros((31, 45)), 4).shape == (28, 44)
    assert bicubic_degrade(np.zeros((31, 45)), 4).shape == (7, 11)
    assert modcrop(torch.zeros(1, 1, 31, 45), 3).shape == (1, 1, 30, 45)
    with pytest.raises(ValueError):
        matlab_imresize(np.zeros((4, 4, 4, 4)), 2)
