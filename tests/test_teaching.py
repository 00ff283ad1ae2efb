"""The teaching package: its images, the protocol lesson's model path, spectra and degradations (known answers)."""

from __future__ import annotations

import numpy as np
import pytest

from paperlib import teaching
from paperlib.data.degrade import matlab_imresize, modcrop
from paperlib.experiments.idman import bicubic_protocol as bp
from paperlib.teaching import degradation as td
from paperlib.teaching import frequencies as tf
from paperlib.teaching import protocol as tp


@pytest.fixture(scope="module")
def images():
    return teaching.teaching_images(2)


def test_teaching_images_are_the_sample_s_external_collection(images):
    all8 = teaching.teaching_images()
    assert len(all8) == 8 and {p for _, p, _ in all8} == {"Lung_Dx-A0001", "Lung_Dx-A0002"}
    assert {p for _, p, _ in images} == {"Lung_Dx-A0001", "Lung_Dx-A0002"}  # two slices span both patients
    assert all(hu.shape == (512, 512) and hu.dtype == np.float32 for _, _, hu in all8)
    # the shipped HU weights never trained on this collection (their card says so)
    _, card = teaching.shipped_upscaler(4)
    assert "lung_pet_ct_dx" not in card["training"]["data"]


def test_the_model_path_with_bicubic_equals_the_stored_path_where_no_window_clips(images):
    # upscaling in HU then mapping (the lesson's path) equals mapping then upscaling (the search's path) when the
    # mapping is affine and clips nothing: MATLAB bicubic's weights sum to 1, so it commutes with x -> a x + b
    def bicubic_hu(lr_hu, s):
        return matlab_imresize(lr_hu, s)

    for name in ("hu1024_4095", "png16", "png16_max4095", "hu1024_max255", "png16_unsquared"):
        v = bp.VARIANTS[name]
        for _, _, hu in images:
            a = bp.measure(*bp.protocol_pair(hu, 4, v), 4, v)
            b = bp.measure(*bp.protocol_pair(hu, 4, v, upscale_hu=bicubic_hu), 4, v)
            assert a == pytest.approx(b, abs=1e-9), name
    # a window that clips makes the two paths differ (ct12 clips bicubic's undershoot below -1024 HU at the body's
    # edge before upscaling in one path, after it in the other)
    v = bp.VARIANTS["baseline"]
    hu = images[0][2]
    a = bp.measure(*bp.protocol_pair(hu, 4, v), 4, v)[0]
    assert a != bp.measure(*bp.protocol_pair(hu, 4, v, upscale_hu=bp.resizer_hu("matlab")), 4, v)[0]


def test_a_model_needs_the_lr_in_hu():
    with pytest.raises(ValueError, match="LR scan in HU"):
        bp.protocol_pair(np.zeros((64, 64)), 4, bp.VARIANTS["lung8_png"], upscale_hu=lambda x, s: x)


def test_y_moves_psnr_by_exactly_the_luma_range(images):
    v, y = bp.VARIANTS["baseline"], bp.VARIANTS["y"]
    hu = images[0][2]
    moved = bp.measure(*bp.protocol_pair(hu, 4, y), 4, y)[0] - bp.measure(*bp.protocol_pair(hu, 4, v), 4, v)[0]
    assert moved == pytest.approx(20 * np.log10(255 / 219), abs=1e-9) == pytest.approx(tp.y_offset_db())


def test_every_lesson_variant_is_registered_once():
    names = [v for vs in tp.LESSON_VARIANTS.values() for v in vs]
    assert len(names) == len(set(names)) and set(names) <= set(bp.VARIANTS)


def test_radial_profile_finds_a_sinusoid_at_its_frequency():
    n, f = 256, 0.1875  # 48 cycles over 256 pixels
    x = np.cos(2 * np.pi * f * np.arange(n))[None, :] * np.ones((n, 1))
    freqs, power = tf.radial_profile(x, bins=64)
    assert freqs[np.argmax(power)] == pytest.approx(f, abs=0.5 / 64)
    # an image of pitch 4 (an x4 LR) puts the same wave at a quarter of the frequency in HR cycles
    freqs4, power4 = tf.radial_profile(x, pixel_pitch=4, bins=64)
    assert freqs4[np.argmax(power4)] == pytest.approx(f / 4, abs=0.125 / 64)


def test_box_average_and_thick_slice_are_means():
    hr = np.arange(64, dtype=float).reshape(8, 8)
    lr = td.make_lr(hr, 2, "box average")
    assert lr[0, 0] == np.round((0 + 1 + 8 + 9) / 4) and lr.shape == (4, 4)
    series = np.stack([np.full((4, 4), z, float) for z in range(9)])
    assert td.thick_slice(series, 3)[0, 0] == 4.0 and td.thick_slice(series, 5)[0, 0] == 4.0
    assert td.thick_slice(series + np.arange(9)[:, None, None] ** 2, 3)[0, 0] == pytest.approx(4 + (9 + 16 + 25) / 3)


def test_noisy_degradation_is_seeded_and_has_its_noise():
    hr = np.zeros((256, 256))
    a, b = td.make_lr(hr, 4, "bicubic + noise (20 HU)", seed=3), td.make_lr(hr, 4, "bicubic + noise (20 HU)", seed=3)
    assert np.array_equal(a, b)
    assert a.std() == pytest.approx(td.NOISE_HU, rel=0.05)
    with pytest.raises(KeyError, match="unknown degradation"):
        td.make_lr(hr, 4, "nope")


def test_as_trained_degradation_scores_the_shipped_gain(images):
    # on the training degradation the shipped model beats bicubic on every slice; a sigma of 1 LR pixel of blur
    # (which it never saw) leaves it within 0.1 dB of bicubic on these slices
    up, _ = teaching.shipped_upscaler(4)
    per = td.mismatch_table(images, 4, up)
    g = per.groupby("degradation", sort=False)["gain"]
    assert (per[per["degradation"] == "bicubic (as trained)"]["gain"] > 1.0).all()
    assert abs(g.mean()["Gaussian blur (sigma 1 LR px)"]) < 0.1 < g.mean()["bicubic (as trained)"]


def test_lesson_refuses_an_unknown_profile():
    with pytest.raises(Exception, match="nope"):
        teaching.Lesson("x", "nope")


def test_the_bicubic_path_of_the_degradation_lesson_is_the_training_lr(images):
    hu = modcrop(images[0][2].astype(float), 4)
    assert np.array_equal(td.make_lr(hu, 4, "bicubic (as trained)"), np.round(matlab_imresize(hu, 1 / 4)))
