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
