"""The DRIDSR path ablation: its variants, its outputs on a smoke run, and its convergence arithmetic."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from paperlib import models
from paperlib.experiments.dridsr import path_ablation as pa
from paperlib.experiments.dridsr.budget import SMOKE_OVERRIDES, advance


def test_variants_change_one_design_each_and_study_is_seed_major():
    assert pa.VARIANTS[pa.REFERENCE] == {}
    # one option each, but the RIDM without IDBs, which spends their parameters on residual blocks
    assert all(len(o) == 1 for k, o in pa.VARIANTS.items() if k not in (pa.REFERENCE, "DRIDSR (no IDBs, 9 blocks)"))
    k = len(pa.VARIANTS)
    assert [br.seed for br in pa.STUDY[:k]] == [0] * k and len(pa.STUDY) == k * len(pa.SEEDS)
    # the gradient path removed drops f2 only (3x3 conv 1 -> 48 + bias = 480 parameters)
    n = {k: models.count_parameters(models.create("dridsr", scale=4, **o)) for k, o in pa.VARIANTS.items()}
    assert n[pa.REFERENCE] - n["DRIDSR (no gradient path)"] == 9 * 48 + 48
    assert n["DRIDSR (Canny)"] == n[pa.REFERENCE]
    # every variant but the original IDB within the +-15% of a size match (the original IDB is the paper's own
    # change of size: +35%, so its comparison is not size-matched, and says so in its parameter counts);
    # by hand, 3 extra residual blocks (2 x (48*48*9 + 48) each), 5 simple IDBs (25,416 each) gone, the fusion
    # 168 -> 48 (8,112) become 432 -> 48 (20,784)
    assert all(abs(v / n[pa.REFERENCE] - 1) <= 0.15 for k, v in n.items() if k != "DRIDSR (original IDB)")
    assert n["DRIDSR (no IDBs, 9 blocks)"] - n[pa.REFERENCE] == 3 * 41_568 - 5 * 25_416 - 8_112 + 20_784


def test_steps_to_psnr_is_the_first_snapshot_at_or_above_the_target():
    rows = [
        {"run": "A", "seed": 0, "step": s, "image": i, "psnr": p + d}
        for s, p in ((100, 25.0), (200, 25.9), (300, 26.1), (500, 26.5))
        for i, d in enumerate((-0.1, 0.1))
    ]
    rows += [{"run": "B", "seed": 0, "step": s, "image": i, "psnr": 25.0} for s in (100, 200) for i in range(2)]
    out = pa.steps_to_psnr(pd.DataFrame(rows), target=26.0).set_index("run")
    assert out.loc["A", "first_step_at_or_above"] == 300 and out.loc["A", "last_step"] == 500
    assert np.isnan(out.loc["B", "first_step_at_or_above"])


@pytest.mark.slow
def test_smoke_study_writes_every_output(tmp_path):
    from paperlib.data.sources import load_sample_source

    data = load_sample_source(seed=0, window="lung")
    runs = advance(4, data, pa.SMOKE_STUDY, "smoke", runs=tmp_path / "runs", progress=False, **SMOKE_OVERRIDES)
    images = data.test[:2]
    out = pa.save_outputs(runs, images, profile="smoke", root=tmp_path / "figures")
    d = tmp_path / "figures" / "dridsr" / "smoke"
    claims = pd.read_csv(d / "path_ablation_claims.csv")
    assert set(claims["comparison"]) == {f"{pa.REFERENCE} > {v}" for v in pa.VARIANTS if v != pa.REFERENCE}
    assert (claims["verdict"] == "unresolved").all() and (claims["n_seeds"] == 1).all()  # one seed decides nothing
    shares = pd.read_csv(d / "frequency_shares.csv")
    assert len(shares) == 2 * len(images) and set(shares["path"]) == {"low path", "high path"}
    assert shares["share_above"].between(0, 1).all()
    assert (d / "frequency_paths_measured.png").is_file() and set(out) >= {"per_image", "claims", "shares"}


def test_size_family_shares_the_reference_runs_and_scales_width_only():
    from paperlib.experiments.dridsr.budget import study_configs

    assert pa.SIZE_VARIANTS[pa.REFERENCE] == pa.VARIANTS[pa.REFERENCE] == {}
    ref = [c for br, c in study_configs(pa.SIZE_STUDY, "budget", "cpu") if br.name == pa.REFERENCE]
    path_ref = [c for br, c in study_configs(pa.STUDY, "budget", "cpu") if br.name == pa.REFERENCE]
    assert ref == path_ref and len(ref) == len(pa.SEEDS), (
        "the same configurations: the paper's size trained once for both"
    )
    for label, o in pa.SIZE_VARIANTS.items():  # distillation at half the width, as the paper's 48 / 24
        if o:
            assert set(o) == {"n_feats", "distill_channels"} and o["distill_channels"] * 2 == o["n_feats"], label
    k = len(pa.SIZE_VARIANTS)
    assert [br.seed for br in pa.SIZE_STUDY[:k]] == [0] * k and len(pa.SIZE_STUDY) == k * len(pa.SEEDS)


@pytest.mark.slow
def test_smoke_size_family_writes_its_own_tables_and_no_frequency_outputs(tmp_path):
    from paperlib.data.sources import load_sample_source

    data = load_sample_source(seed=0, window="lung")
    study = pa.study_runs("size_family", seeds=(0,))
    runs = advance(4, data, study, "smoke", runs=tmp_path / "runs", progress=False, **SMOKE_OVERRIDES)
    out = pa.save_outputs(runs, data.test[:2], profile="smoke", root=tmp_path / "figures", family="size_family")
    d = tmp_path / "figures" / "dridsr" / "smoke"
    claims = pd.read_csv(d / "size_family_claims.csv")
    assert set(claims["comparison"]) == {f"{pa.REFERENCE} > {v}" for v in pa.SIZE_VARIANTS if v != pa.REFERENCE}
    assert (claims["verdict"] == "unresolved").all()
    assert not list(d.glob("path_ablation_*")) and not (d / "frequency_shares.csv").exists()
    assert "shares" not in out and (d / "size_family_psnr_vs_iterations.png").is_file()
    # what the design notebook reads back: the saved tables, the figure, and the budget at the last step in words
    back = pa.load_outputs("size_family", profile="smoke", root=tmp_path / "figures")
    pd.testing.assert_frame_equal(back["claims"], claims)
    assert back["figure"] == d / "size_family_psnr_vs_iterations.png" and back["meta"]["final_step"] == 4
    assert back["budget"].startswith("4 it x 2 x 48² = ")  # smoke: 4 steps of 2 patches of 48²
    with pytest.raises(FileNotFoundError, match=r"path_ablation_claims\.csv: not saved yet .*path-ablation --save"):
        pa.load_outputs("path_ablation", profile="smoke", root=tmp_path / "figures")
