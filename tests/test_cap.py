"""PAPERLIB_CAP: a profile at its own shapes for a few iterations, seeds and images, kept apart from real results."""

from __future__ import annotations

import pytest

from paperlib.experiments.idman import ablations as ab
from paperlib.experiments.idman import compare as cmp
from paperlib.profiles import CAP_ENV, get_profile
from paperlib.results import output_dir
from paperlib.train import TrainConfig


@pytest.fixture
def capped(monkeypatch):
    monkeypatch.setenv(CAP_ENV, "iterations=3,seeds=1,images=2")


def test_paper_profile_capped_keeps_its_shapes(capped, monkeypatch):
    p = get_profile("paper")
    assert (p.iterations, p.n_test, p.meaningful) == (3, 2, False) and CAP_ENV in p.note
    assert p.n_val == 2  # the periodic validation is an evaluation too: capped like the test images
    assert (p.batch_size, p.hr_patch) == (None, None)  # batch and patch still the papers' own
    cfg = TrainConfig.make("dridsr", 4, "paper")
    assert cfg.resolved_profile().iterations == 3
    # an override (IDMAN's ablations: 2e5 iterations) is capped too, and smoke is left alone
    assert get_profile("paper", iterations=200_000).iterations == 3
    assert get_profile("smoke") == get_profile("smoke", **{}) and get_profile("smoke").meaningful is False
    monkeypatch.delenv(CAP_ENV)
    assert get_profile("paper").n_val == 10


def test_capped_runs_and_outputs_never_mix_with_real_ones(capped, tmp_path, monkeypatch):
    from dataclasses import asdict

    capped_profile = asdict(get_profile("paper"))
    assert output_dir("dridsr", "paper", tmp_path) == tmp_path / "dridsr" / "paper-capped"
    monkeypatch.delenv(CAP_ENV)
    assert asdict(get_profile("paper")) != capped_profile  # the profile is part of a run's key
    assert output_dir("dridsr", "paper", tmp_path) == tmp_path / "dridsr" / "paper"


def test_idman_plans_take_fewer_seeds_and_images(capped):
    assert ab.plan_for("paper").seeds == (0,) and ab.plan_for("paper").n_images == 2
    assert cmp.plan_for("paper").seeds == (0,) and cmp.plan_for("paper").n_images == 2
    assert ab.plan_for("smoke") == ab.PLANS["smoke"]  # smoke is already tiny: never capped


@pytest.mark.parametrize("bad", ["iterations", "iterations=0", "epochs=2", "iterations=2;seeds=1"])
def test_a_malformed_cap_names_the_variable(monkeypatch, bad):
    monkeypatch.setenv(CAP_ENV, bad)
    with pytest.raises(ValueError, match=CAP_ENV):
        get_profile("paper")


def test_crop_centres_every_evaluated_slice_and_leaves_smoke_whole(monkeypatch):
    import numpy as np

    from paperlib.profiles import capped_slices

    img = np.arange(300 * 260).reshape(300, 260)
    monkeypatch.setenv(CAP_ENV, "iterations=2,crop=216")
    (name, label, out), small = capped_slices([("a", "p", img), ("b", "p", img[:100, :100])], "paper")
    # centre crop by hand: top (300 - 216) // 2 = 42, left (260 - 216) // 2 = 22
    assert (name, label, out.shape) == ("a", "p", (216, 216)) and out[0, 0] == 42 * 260 + 22
    assert small[2].shape == (100, 100)  # already smaller: left whole
    assert capped_slices([("a", "p", img)], "smoke")[0][2] is img
    monkeypatch.setenv(CAP_ENV, "iterations=2")
    assert capped_slices([("a", "p", img)], "paper")[0][2] is img


@pytest.mark.parametrize("bad", ["crop=192", "crop=250"])
def test_a_crop_too_small_for_niqe_or_not_a_multiple_of_12_is_refused(monkeypatch, bad):
    monkeypatch.setenv(CAP_ENV, bad)
    with pytest.raises(ValueError, match="crop must be a multiple of 12"):
        get_profile("paper")
