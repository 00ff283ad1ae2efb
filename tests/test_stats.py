"""The one statistical rule (paperlib.stats) on cases whose answer is worked out here, independently."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats as st

from paperlib.stats import paired_deltas, paired_verdict, resolve_text, seeds_needed, t_interval


def tidy(values: dict) -> pd.DataFrame:
    """{(method, seed): [metric per image]} -> tidy rows (images named i0, i1, ...)."""
    rows = [
        {"method": m, "seed": s, "image": f"i{k}", "psnr": v}
        for (m, s), vals in values.items()
        for k, v in enumerate(vals)
    ]
    return pd.DataFrame(rows)


# a - b per seed (rows) and image (columns), chosen so every number below can be checked by hand
D_POS = np.array([[0.5, 0.7, 0.6, 0.8], [0.4, 0.6, 0.5, 0.7], [0.6, 0.8, 0.7, 0.9]])
B = np.array([30.0, 31.0, 29.0, 32.0])


def frame(deltas: np.ndarray) -> pd.DataFrame:
    vals = {}
    for s, row in enumerate(deltas):
        vals[("b", s)] = B + 0.1 * s  # b varies by seed too: the rule must pair seeds, not pool them
        vals[("a", s)] = B + 0.1 * s + row
    return tidy(vals)


def test_supported_when_both_intervals_exclude_zero():
    v = paired_verdict(frame(D_POS), "a", "b")
    per_seed = D_POS.mean(axis=1)  # 0.65, 0.55, 0.75
    per_image = D_POS.mean(axis=0)  # 0.5, 0.7, 0.6, 0.8
    assert v.per_seed == pytest.approx(tuple(per_seed))
    assert v.margin == pytest.approx(0.65)
    assert (v.seed_ci_low, v.seed_ci_high) == pytest.approx(
        st.t.interval(0.95, 2, loc=per_seed.mean(), scale=st.sem(per_seed))
    )
    assert (v.image_ci_low, v.image_ci_high) == pytest.approx(
        st.t.interval(0.95, 3, loc=per_image.mean(), scale=st.sem(per_image))
    )
    assert v.seed_sd == pytest.approx(0.1)
    assert (v.n_seeds, v.n_images, v.verdict) == (3, 4, "supported")
    assert resolve_text(v) == ""


def test_contradicted_is_the_mirror_image():
    v = paired_verdict(frame(-D_POS), "a", "b")
    assert v.verdict == "contradicted" and v.margin == pytest.approx(-0.65)


def test_seed_interval_including_zero_is_unresolved_with_seeds_needed():
    # every image agrees within a seed, but the seeds disagree in sign: seed means +0.3, -0.1, +0.4
    d = np.array([[0.3] * 4, [-0.1] * 4, [0.4] * 4]) + np.array([0.0, 0.01, -0.01, 0.0])
    v = paired_verdict(frame(d), "a", "b")
    assert v.verdict == "unresolved"
    assert "over seeds includes 0" in v.why and "over images" not in v.why
    sd = np.std(d.mean(axis=1), ddof=1)
    # independent: smallest n with t_{0.975, n-1} * sd / sqrt(n) < margin, by brute force here
    n = next(n for n in range(2, 200) if st.t.ppf(0.975, n - 1) * sd / np.sqrt(n) < d.mean())
    assert v.seeds_needed == n
    assert str(n) in resolve_text(v)


def test_image_interval_including_zero_is_unresolved():
    # every seed agrees (mean +0.1 each) but the images disagree in sign
    d = np.tile([1.0, -0.9, 0.8, -0.5], (3, 1)) + np.array([[0.0], [0.001], [-0.001]])
    v = paired_verdict(frame(d), "a", "b")
    assert v.verdict == "unresolved"
    assert v.why.startswith("the interval over images includes 0")
    assert v.seed_ci_low > 0  # the seeds alone would have said "supported"


def test_one_seed_is_never_decided():
    v = paired_verdict(frame(D_POS[:1]), "a", "b")
    assert (v.verdict, v.n_seeds) == ("unresolved", 1)
    assert "one seed" in v.why and v.seeds_needed is None
    assert "2 more seeds" in resolve_text(v)


def test_deterministic_baseline_is_paired_with_every_seed():
    vals = {("bicubic", 0): B}
    for s, row in enumerate(D_POS):
        vals[("a", s)] = B + row
    v = paired_verdict(tidy(vals), "a", "bicubic")
    assert v.n_seeds == 3 and v.per_seed == pytest.approx(tuple(D_POS.mean(axis=1)))
    assert "deterministic" in v.why and v.verdict == "supported"


def test_lower_is_better_flips_the_claim():
    v = paired_verdict(frame(-D_POS), "a", "b", higher_is_better=False)  # a has the lower NIQE: better
    assert v.verdict == "supported" and v.margin == pytest.approx(-0.65)


def test_only_shared_images_and_seeds_are_paired():
    df = frame(D_POS)
    df = df[~((df["method"] == "a") & (df["image"] == "i3"))]  # a lacks one image
    df = df[~((df["method"] == "b") & (df["seed"] == 2))]  # b lacks one seed
    d, _ = paired_deltas(df, "a", "b")
    assert d.shape == (2, 3)
    np.testing.assert_allclose(d.to_numpy(), D_POS[:2, :3])


def test_unknown_side_is_an_error():
    with pytest.raises(KeyError, match="'c'"):
        paired_verdict(frame(D_POS), "a", "c")


def test_t_interval_and_seeds_needed_edges():
    assert np.isnan(t_interval([1.0])).all()
    assert t_interval([2.0, 2.0, 2.0]) == (2.0, 2.0)
    assert seeds_needed(0.0, 0.1) is None and seeds_needed(0.5, 0.0) == 2
    assert seeds_needed(0.001, 1.0) is None  # would need more than 100 seeds
