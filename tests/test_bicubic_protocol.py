"""The bicubic protocol search (paperlib.experiments.idman.bicubic_protocol): its baseline is our protocol, its
MaxValue arithmetic is exact where it must be, and its search table is ranked and carries the paper's values."""

import math

import numpy as np
import pytest

from paperlib.config import data_root
from paperlib.experiments.idman import bicubic_protocol as bp
from paperlib.paper_values import IDMAN_COMPARE_SCALES, IDMAN_TABLE5, IDMAN_TABLE6, IDMAN_TABLE8


@pytest.fixture(scope="module")
def deeplesion_dir():
    d = data_root() / "deeplesion"
    if not (d / "Images_png").is_dir():
        pytest.skip(f"DeepLesion slices not found under {d} (set PAPERLIB_DATA)")
    return d


@pytest.fixture(scope="module")
def padded_slice(deeplesion_dir):
    """A real slice with -3024 HU padding outside the scan field (so the ct12 window clips), read by the package."""
    slices = bp.load_deeplesion_slices(deeplesion_dir)
    name, label, hu = next(s for s in slices if s[2].min() < -1024)
    return name, label, hu


def _smooth_field(shape=(96, 96), lo=-900.0, hi=2900.0, seed=0):
    """Synthetic integer HU well inside [-1024, 3072] after bicubic over/undershoot: no window clipping anywhere."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[: shape[0], : shape[1]] / shape[0]
    f = np.sin(6 * x) * np.cos(4 * y) + 0.3 * rng.standard_normal(shape)
    f = (f - f.min()) / np.ptp(f)
    return np.round(lo + 0.15 * (hi - lo) + 0.7 * (hi - lo) * f)


@pytest.mark.parametrize("scale", [2, 3, 4])
def test_baseline_matches_an_independent_computation(deeplesion_dir, padded_slice, scale):
    """(a) Our baseline on a real slice = window, MATLAB bicubic, rounding and PSNR/SSIM written out here."""
    from PIL import Image
    from skimage.metrics import structural_similarity

    from paperlib.data.degrade import matlab_imresize

    name, _, _ = padded_slice
    hu = np.array(Image.open(deeplesion_dir / "Images_png" / name)).astype(np.float64) - 32768.0
    h, w = hu.shape
    hr_hu = hu[: h - h % scale, : w - w % scale]
    lr_hu = np.round(matlab_imresize(hr_hu, 1.0 / scale))  # LR DICOM: integer HU
    hr = np.clip((hr_hu + 1024.0) / 4096.0, 0.0, 1.0)  # W4096/L1024 -> [0, 1]
    lr = np.clip((lr_hu + 1024.0) / 4096.0, 0.0, 1.0)
    sr = np.round(np.clip(matlab_imresize(lr, scale), 0.0, 1.0) * 4096.0) / 4096.0  # saved as integer HU
    a, b = sr[scale:-scale, scale:-scale], hr[scale:-scale, scale:-scale]
    mse = np.sum((a - b) ** 2) / a.size
    expected_psnr = 10.0 * math.log10(1.0 / mse)
    expected_ssim = structural_similarity(
        b, a, data_range=1.0, gaussian_weights=True, sigma=1.5, use_sample_covariance=False
    )
    got = bp.bicubic_psnr([padded_slice], scale, "baseline").iloc[0]
    assert got["psnr"] == pytest.approx(expected_psnr, abs=1e-9)
    assert got["ssim"] == pytest.approx(expected_ssim, abs=1e-12)
    assert 30.0 < got["psnr"] < 50.0  # the baseline's level on real slices, nowhere near the paper's ~22 dB


def test_baseline_is_the_package_evaluation(padded_slice):
    """The baseline variant is exactly what paperlib.evaluate does for the bicubic model on HU (ct12)."""
    from paperlib.data.degrade import matlab_imresize
    from paperlib.data.intensity import hu_intensity
    from paperlib.evaluate import default_protocol, make_pair
    from paperlib.metrics import full_reference

    it, scale = hu_intensity("ct12"), 3
    hr, lr = make_pair(padded_slice[2], scale, it)
    ref = full_reference(it.store_sr(matlab_imresize(lr, scale)), hr, default_protocol(it, scale), with_ms_ssim=False)
    got = bp.bicubic_psnr([padded_slice], scale, "baseline").iloc[0]
    assert got["psnr"] == pytest.approx(ref["psnr"], abs=1e-9)
    assert got["ssim"] == pytest.approx(ref["ssim"], abs=1e-9)


@pytest.mark.parametrize("scale", [2, 3, 4])
def test_maxvalue_65535_adds_exactly_the_ratio_when_nothing_clips(padded_slice, scale):
    """(b) Full 16-bit values with MaxValue 65535 against HU + 1024 with MaxValue 4095, both unclipped (the
    slice's -3024 HU padding included): the same errors, so PSNR differs by exactly 20 log10(65535 / 4095)."""
    png16 = bp.bicubic_psnr([padded_slice], scale, "png16").iloc[0]["psnr"]
    hu12 = bp.bicubic_psnr([padded_slice], scale, "hu1024_4095").iloc[0]["psnr"]
    assert png16 - hu12 == pytest.approx(20.0 * math.log10(65535.0 / 4095.0), abs=1e-9)


@pytest.mark.parametrize("scale", [2, 3, 4])
def test_ct12_baseline_differs_from_png16_by_4096_not_4095_without_clipping(scale):
    """(b) Against our baseline itself the exact offset is 20 log10(65535 / 4096): ct12 is W4096 (data range 1 =
    4096 HU), not 2^12 - 1. Exact only where the window clips nothing: a synthetic HU field inside the window."""
    img = [("synthetic", "", _smooth_field())]
    base = bp.bicubic_psnr(img, scale, "baseline").iloc[0]["psnr"]
    png16 = bp.bicubic_psnr(img, scale, "png16").iloc[0]["psnr"]
    assert png16 - base == pytest.approx(20.0 * math.log10(65535.0 / 4096.0), abs=1e-9)
    assert abs(png16 - base - 20.0 * math.log10(65535.0 / 4095.0)) > 1e-3


def test_window_clipping_breaks_the_exact_offset(padded_slice):
    """On a real slice with padding, ct12 clips (HR, LR and SR) and png16 does not: the offset is not exact."""
    base = bp.bicubic_psnr([padded_slice], 2, "baseline").iloc[0]["psnr"]
    png16 = bp.bicubic_psnr([padded_slice], 2, "png16").iloc[0]["psnr"]
    assert abs(png16 - base - 20.0 * math.log10(65535.0 / 4096.0)) > 0.01


def test_unsquared_formula_and_max_value_override_are_arithmetic():
    """Eq. 19 without the square is the squared PSNR minus 10 log10(MaxValue); an overridden MaxValue shifts the
    PSNR by 20 log10 of the ratio (computed by skimage there, by paperlib otherwise)."""
    img = [("synthetic", "", _smooth_field(seed=1))]
    sq = bp.bicubic_psnr(img, 2, "png16").iloc[0]["psnr"]
    unsq = bp.bicubic_psnr(img, 2, "png16_unsquared").iloc[0]["psnr"]
    m4095 = bp.bicubic_psnr(img, 2, "png16_max4095").iloc[0]["psnr"]
    assert unsq == pytest.approx(sq - 10.0 * math.log10(65535.0), abs=1e-9)
    assert m4095 == pytest.approx(sq - 20.0 * math.log10(65535.0 / 4095.0), abs=1e-9)
    assert "skimage" in bp.VARIANTS["png16_max4095"].metric_impl()
    assert "paperlib" in bp.VARIANTS["png16"].metric_impl()


def test_search_is_sorted_by_closeness_and_carries_the_paper_values():
    """(c) The search table: the paper's Bicubic values (imported), the differences, ranked by closeness."""
    rng = np.random.default_rng(3)
    imgs = [(f"s{i}", "", _smooth_field((60, 60), seed=i) + rng.integers(-40, 40, (60, 60))) for i in range(2)]
    variants = ["baseline", "soft8_png", "png16_max255", "shift_1"]
    df = bp.search(imgs, variants=variants)
    assert set(df["variant"]) == set(variants) and len(df) == len(variants) * len(IDMAN_COMPARE_SCALES)
    for r in df.itertuples():
        i = IDMAN_COMPARE_SCALES.index(r.scale)
        assert r.paper_psnr == IDMAN_TABLE5["psnr"]["bicubic"][i]
        assert r.paper_ssim == IDMAN_TABLE6["ssim"]["bicubic"][i]
        assert r.diff_psnr == pytest.approx(r.psnr - r.paper_psnr)
        assert r.n_images == 2
    close = df.groupby("variant", sort=False)["diff_psnr"].apply(lambda d: d.abs().mean())
    assert np.allclose(df["closeness"], df["variant"].map(close))
    assert df["closeness"].is_monotonic_increasing
    assert list(dict.fromkeys(df["variant"])) == list(close.sort_values().index)
    assert df["rank"].tolist() == sorted(df["rank"].tolist()) and df["rank"].iloc[0] == 1
    t8 = bp.summarize(bp.per_image_table(imgs[:1], variants=["baseline"]), "table8")
    assert t8["paper_psnr"].tolist() == list(IDMAN_TABLE8["psnr"]["bicubic"])
    assert t8["paper_ssim"].tolist() == list(IDMAN_TABLE8["ssim"]["bicubic"])


def test_registry_variants_are_distinct_and_valid():
    names = list(bp.VARIANTS)
    assert names[0] == "baseline" and bp.VARIANTS["baseline"] == bp.BASELINE
    assert len(set(bp.VARIANTS.values())) == len(names)  # no two names for one protocol
    assert all(v.changes() != "-" for k, v in bp.VARIANTS.items() if k != "baseline")
    with pytest.raises(ValueError):
        bp.Variant(domain="nope")
    with pytest.raises(KeyError):
        bp.bicubic_psnr([np.zeros((8, 8))], 2, "nope")
