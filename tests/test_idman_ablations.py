"""IDMAN ablations trained (Tables 1-4, Fig. 6): each variant differs from its table's reference only in
the stated option (as data and as built modules), the verdict rule, the table arithmetic on synthetic
per-image numbers, the Fig. 6 curves from run logs, the plans, the data fallback and the notebook's
registration. Synthetic numbers test arithmetic only; the notebook (nbval) runs the real thing."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn
from torch.nn.utils import parametrize

from conftest import t95_alternating
from paperlib import models as M
from paperlib import paper_values as pv
from paperlib import reproduce as R
from paperlib.errors import DatasetNotFoundError, UnknownNameError
from paperlib.experiments.idman import ablations as ab
from paperlib.experiments.idman import architecture as ex
from paperlib.models.idman import MAB, ChannelAttention, Distillation
from paperlib.profiles import get_profile, train_plan
from paperlib.runs import Run, write_csv

OPTION_NAMES = {"extract", "attention", "weight_norm"}


# ----------------------------------------------------------------------------- the variants


def test_each_variant_differs_from_its_reference_only_in_the_stated_options():
    for table, variants in ex.ABLATIONS.items():
        ref = variants[ab.REFERENCE[table]]
        for name, opts in variants.items():
            assert set(opts) == OPTION_NAMES, (table, name)
            differ = {k for k in OPTION_NAMES if opts[k] != ref[k]}
            assert differ <= set(ab.VARIED[table]), (table, name, differ)
            assert bool(differ) == (name != ab.REFERENCE[table]), (table, name)
    # Table 3's "both" changes both options at once; Table 4 changes nothing but WN
    assert {k for k in OPTION_NAMES if ex.ABLATIONS["table3"]["both"][k] != ex.ABLATIONS["table3"]["neither"][k]} == {
        "extract",
        "attention",
    }


def _built_options(model: nn.Module) -> dict:
    """What a built IDMAN actually is, read off its modules (not off the options it was given)."""
    blocks = [m for m in model.modules() if isinstance(m, M.idman.IDMAB)]
    kinds = {
        (
            type(b.extract),
            type(b.attention),
            tuple(br[0].kernel_size[0] for br in b.attention.branches) if isinstance(b.attention, MAB) else (),
        )
        for b in blocks
    }
    assert len(kinds) == 1  # every block of a model is the same
    ((extract, attention, kernels),) = kinds
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    wn = {parametrize.is_parametrized(c) for c in convs}
    assert len(wn) == 1  # weight normalisation on every convolution or on none
    return {
        "extract": extract,
        "attention": (attention, kernels),
        "weight_norm": wn.pop(),
        "width": model.head.out_channels,
        "blocks": len(blocks),
    }


@pytest.mark.parametrize("profile", ["smoke", "quick"])
def test_built_models_differ_from_the_reference_only_in_the_stated_modules(profile):
    plan = ab.plan_for(profile)
    for table, variants in ex.ABLATIONS.items():
        ref = _built_options(ab.build(ab.SCALE, **ab.options(variants[ab.REFERENCE[table]], plan)))
        assert ref["blocks"] == plan.size["n_groups"] * plan.size["n_blocks"]
        for name, opts in variants.items():
            got = _built_options(ab.build(ab.SCALE, **ab.options(opts, plan)))
            differ = {k for k in got if got[k] != ref[k]}
            assert differ == {k for k in OPTION_NAMES if opts[k] != variants[ab.REFERENCE[table]][k]}, (table, name)
            assert got["extract"] is (Distillation if opts["extract"] == "distill" else nn.Sequential)
            assert got["attention"][0] is (ChannelAttention if opts["attention"] == "channel" else MAB)


def test_shared_models_are_trained_once():
    distinct = ab.distinct_models()
    assert len(distinct) == 11
    rows = [r for _, rs in distinct.values() for r in rs]
    assert sorted(rows) == sorted((t, v) for t, vs in ex.ABLATIONS.items() for v in vs)  # each row exactly once
    shared = {tuple(sorted(rs)) for _, rs in distinct.values() if len(rs) > 1}
    assert (("table1", "conv"), ("table2", "none"), ("table3", "neither")) in shared
    assert (("table3", "both"), ("table4", "idman")) in shared
    assert ab.options_key({"attention": (3, 5)}) == ab.options_key({"attention": [3, 5]})


def test_plans_share_the_paper_schedule_and_state_the_size():
    for name, plan in ab.PLANS.items():
        assert len(plan.seeds) >= 3, name
        assert set(plan.size) == {"n_groups", "n_blocks", "n_feats", "reduction"}
    quick = ab.plan_for("quick")
    tp = train_plan(get_profile("quick", **quick.overrides), "idman", ab.SCALE, 300)
    # the paper's batch, HR patch, lr and halving (section 4.2); only the length is reduced
    assert (tp.batch_size, tp.hr_patch, tp.lr, tp.halve_every, tp.iterations) == (10, 48, 1e-4, 200_000, 2000)
    paper = train_plan(get_profile("paper", **ab.plan_for("paper").overrides), "idman", ab.SCALE, 10_000)
    assert paper.iterations == ex.ABLATION_SETTING["iterations"] == 200_000
    assert ab.plan_for("paper").size == ex.PAPER_SIZE
    assert "G=2, B=2, 32 features, r=8" in ab.size_text(quick) and "paper: G=10, B=20" in ab.size_text(quick)
    assert ab.plan_for("quick", [4, 5]).seeds == (4, 5)
    with pytest.raises(UnknownNameError, match="budget"):
        ab.plan_for("budget")


# ----------------------------------------------------------------------------- table arithmetic


def _fake(table: str, effects: dict, seed_offsets=(0.0, 0.1, 0.2), n_images=6) -> pd.DataFrame:
    """Per-image PSNR of the variants of ``table``: base(image) + seed offset + effect(variant, seed) + wiggle."""
    rows = []
    for variant, effect in effects.items():
        for s, off in enumerate(seed_offsets):
            for i in range(n_images):
                wiggle = 0.01 * (-1) ** i * (variant != ab.REFERENCE[table])
                e = effect[s] if isinstance(effect, (list, tuple)) else effect
                rows.append(
                    {
                        "table": table,
                        "variant": variant,
                        "seed": s,
                        "image": f"im{i}",
                        "label": f"p{i // 2}",
                        "psnr": 30.0 + 0.5 * i + off + e + wiggle,
                        "ssim": 0.9,
                        "run": f"{variant}_{s}",
                    }
                )
    return pd.DataFrame(rows)


def test_table_of_a_clear_effect():
    df = ab.ablation_table(_fake("table1", {"conv": 0.0, "info_distill": 0.5}), "table1")
    ref, var = df.iloc[0], df.iloc[1]
    assert list(df["variant"]) == ["conv", "info_distill"] and ref["verdict"] == "reference"
    assert ref["PSNR (dB)"] == pytest.approx(30.0 + 0.5 * 2.5 + 0.1)  # mean over images, then over seeds
    assert (ref["seed min"], ref["seed max"]) == pytest.approx((31.25, 31.45))
    assert ref["seed SD"] == pytest.approx(0.1)
    assert var["delta vs ref (dB)"] == pytest.approx(0.5)
    assert (var["image_ci_low"], var["image_ci_high"]) == pytest.approx(t95_alternating(0.5), abs=1e-9)  # 0.5 -+ 0.0115
    assert var["per-seed deltas (dB)"] == "+0.500, +0.500, +0.500"
    assert (var["seed_ci_low"], var["seed_ci_high"]) == pytest.approx((0.5, 0.5))  # every seed gives +0.5
    assert var["verdict"] == "supported" and var["same sign as paper"] == "yes"
    assert var["images"] == 6 and var["seeds"] == 3
    # the paper's values, labelled as the paper's, beside ours
    assert var["paper PSNR (dB)"] == pv.IDMAN_TABLE1["info_distill"]
    assert var["paper delta (dB)"] == pytest.approx(pv.IDMAN_TABLE1["info_distill"] - pv.IDMAN_TABLE1["conv"])
    assert list(df.columns) == [c for c in ab.COLUMNS if c != "parameters"]


def test_table_pairs_seeds_and_needs_the_seed_interval_too():
    # the effect differs by seed (0, 0.3, 0.6): delta 0.3, clear over images, but the per-seed deltas have SD 0.3,
    # so their t-interval 0.3 -+ 4.303 * 0.3 / sqrt(3) includes 0
    from scipy import stats as st

    df = ab.ablation_table(_fake("table4", {"without_wn": 0.0, "idman": [0.0, 0.3, 0.6]}), "table4")
    var = df.set_index("variant").loc["idman"]
    assert var["delta vs ref (dB)"] == pytest.approx(0.3)
    assert (var["image_ci_low"], var["image_ci_high"]) == pytest.approx(t95_alternating(0.3), abs=1e-9)
    assert var["per-seed deltas (dB)"] == "+0.000, +0.300, +0.600"
    assert (var["seed_ci_low"], var["seed_ci_high"]) == pytest.approx(st.t.interval(0.95, 2, 0.3, 0.3 / np.sqrt(3)))
    assert var["verdict"] == "unresolved" and "over seeds includes 0" in var["why"]
    assert "about 7 seeds" in var["to resolve"]  # t(5) = 2.571 > sqrt(6) = 2.449; t(6) = 2.447 < sqrt(7) = 2.646
    # a delta opposite to the paper's is said to be
    neg = ab.ablation_table(_fake("table4", {"without_wn": 0.0, "idman": -1.0}), "table4").iloc[1]
    assert neg["verdict"] == "contradicted" and neg["same sign as paper"] == "no"


def test_table_with_parameters_rows_in_table_order_and_missing_reference():
    fake = _fake("table2", {"3+5": 0.02, "none": 0.0, "3": 0.01})
    df = ab.ablation_table(fake, "table2", ab.plan_for("smoke"))
    assert list(df["variant"]) == ["none", "3", "3+5"]  # the paper's row order, whatever the input order
    assert df["parameters"].is_monotonic_increasing and df.columns[2] == "parameters"
    with pytest.raises(ValueError, match="reference"):
        ab.ablation_table(fake[fake["variant"] != "none"], "table2")
    tables = ab.all_tables(pd.concat([fake, _fake("table1", {"conv": 0.0, "info_distill": 0.5})]))
    assert set(tables) == {"table1", "table2"}
    lines = ab.summary_lines(tables)
    assert len(lines) == 3 and "info_distill - conv: +0.500 dB" in lines[0] and "paper: +0.046 dB" in lines[0]


# ----------------------------------------------------------------------------- Fig. 6


def _fake_run(path, losses, val_psnr, val_every=2):
    path.mkdir(parents=True)
    write_csv(
        path / "log.csv", ["step", "loss", "lr", "seconds"], [[i + 1, x, 1e-4, 0.1] for i, x in enumerate(losses)]
    )
    write_csv(
        path / "val.csv", ["step", "psnr", "ssim"], [[val_every * (i + 1), p, 0.9] for i, p in enumerate(val_psnr)]
    )
    (path / "manifest.json").write_text(json.dumps({"status": "complete"}))
    return Run(path)


def test_weight_norm_curves_and_figure(tmp_path):
    runs = {}
    for s in range(3):
        runs["table4", "idman", s] = _fake_run(tmp_path / f"wn{s}", [4.0, 2.0, 1.0, 1.0], [30.0 + s, 31.0 + s])
        runs["table4", "without_wn", s] = _fake_run(tmp_path / f"nown{s}", [4.0, 4.0, 2.0, 2.0], [29.0, 30.0])
    runs["table3", "both", 0] = runs["table4", "idman", 0]  # other tables' rows are not Fig. 6's
    loss, val = ab.weight_norm_curves(runs, smooth=2)
    wn0 = loss[(loss["variant"] == "idman") & (loss["seed"] == 0)]
    assert list(wn0["loss"]) == [4.0, 3.0, 1.5, 1.0]  # trailing moving average over 2 steps
    assert set(loss["variant"]) == {"idman", "without_wn"} and len(val) == 12
    summary = ab.curve_summary(loss, val).set_index(["step", "variant"])
    assert summary.loc[(4, "idman"), "val PSNR (mean)"] == pytest.approx(32.0)
    assert (summary.loc[(4, "idman"), "val PSNR min"], summary.loc[(4, "idman"), "val PSNR max"]) == (31.0, 33.0)
    assert summary.loc[(2, "without_wn"), "loss (mean)"] == pytest.approx(4.0)
    assert summary.loc[(2, "idman"), "seeds"] == 3
    assert summary.loc[(4, "idman"), "epoch"] == pytest.approx(4 / ab.ITERATIONS_PER_EPOCH)
    fig = ab.plot_weight_norm(loss, val)
    try:
        for ax in fig.axes:  # 3 thin seed lines + 1 mean per variant
            assert len(ax.lines) == 2 * (3 + 1)
            assert len(ax.get_legend().get_texts()) == 2
    finally:
        import matplotlib.pyplot as plt

        plt.close(fig)


def test_fig5_shows_table1_models_on_two_panels(tmp_path):
    """Real smoke runs on the embedded sample: Fig. 5's panels hold HR, the HR crop and Table 1's two models."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from paperlib.data.sources import load_source

    data = load_source("sample", window="ct12")
    plan = ab.plan_for("smoke")
    runs = ab.train_study("smoke", data, seeds=[0], runs=tmp_path)
    panels = ab.fig5(runs, data, plan, box_side=32)
    try:
        assert set(panels) == {"a", "b"}
        for panel, (fig, info) in panels.items():
            assert set(info["crop_scores"]) == set(ab.FIG5_LABELS.values())
            assert info["display_window"] == ab.FIG5_PANELS[panel]["window"] and info["seed"] == 0
            assert len([ax for ax in fig.axes if ax.images]) == 4  # HR full, HR crop, two models
        names = [t[0] for t in ab.eval_images(data, plan)]
        assert panels["a"][1]["image"] == names[0] and panels["b"][1]["image"] == names[len(names) // 2]
    finally:
        for f, _ in panels.values():
            plt.close(f)


# ----------------------------------------------------------------------------- data and registration


def test_smoke_falls_back_to_the_embedded_sample_other_profiles_raise(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PAPERLIB_CACHE", str(tmp_path / "cache"))  # no prepared TCGA cache either
    data = ab.load_data("smoke", data_root=tmp_path / "no-data")
    assert data.manifest.get("stand_in") and data.manifest.get("attribution")
    assert data.intensity.window_name == "ct12"  # the study's window, not the sample's lung default
    assert "embedded TCIA CT sample" in capsys.readouterr().err
    with pytest.raises(DatasetNotFoundError, match="tcga"):
        ab.load_data("quick", data_root=tmp_path / "no-data")


def test_notebook_is_registered_with_a_smoke_parameters_cell():
    assert R.selected("idman")[:2] == ["idman/01_architecture.ipynb", "idman/02_ablations.ipynb"]
    nb = json.loads((R.NOTEBOOK_DIR / "idman/02_ablations.ipynb").read_text())
    params = [c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(params) == 1
    src = "".join(params[0]["source"])
    assert 'profile = "smoke"' in src and "seeds = [0, 1, 2]" in src and "seed = 0" in src


def test_study_runs_train_with_the_same_batches_for_every_variant(tmp_path):
    """At one seed every variant draws the same patches (the sampler depends on the seed, not the model)."""
    from paperlib.data.sources import load_source
    from paperlib.train import TrainConfig, Trainer

    data = load_source("sample", window="ct12")
    plan = ab.plan_for("smoke")
    batches = []
    for opts in (ex.ABLATIONS["table1"]["conv"], ex.ABLATIONS["table4"]["without_wn"]):
        cfg = TrainConfig.make(
            "idman", ab.SCALE, "smoke", seed=1, options=ab.options(opts, plan), data="sample", **plan.overrides
        )
        t = Trainer(cfg, data, runs=tmp_path)
        batches.append([t.sampler.next_batch()[1].clone() for _ in range(2)])
    assert all(torch.equal(a, b) for a, b in zip(*batches))
    assert np.isfinite(batches[0][0].numpy()).all()


# ----------------------------------------------------------------------------- convergence, judged early


def _early(effects: dict, steps=(500, 1000)) -> pd.DataFrame:
    """Rows as :func:`ab.collect_early` gives them: ``effects[step]`` is idman minus without_wn (per seed or one)."""
    frames = []
    for step in steps:
        fake = _fake("table4", {"without_wn": 0.0, "idman": effects[step]})
        frames.append(fake.assign(step=step).drop(columns=["table"]))
    return pd.concat(frames, ignore_index=True)


def test_convergence_table_judges_each_early_step_by_the_one_rule():
    from scipy import stats as st

    table = ab.convergence_table(_early({500: 0.5, 1000: [0.0, 0.3, 0.6]}), "idman", "without_wn")
    assert list(table["step"]) == [500, 1000]
    first, second = table.iloc[0], table.iloc[1]
    assert first["margin"] == pytest.approx(0.5) and first["verdict"] == "supported"
    assert (first["image_ci_low"], first["image_ci_high"]) == pytest.approx(t95_alternating(0.5), abs=1e-9)
    assert (first["n_seeds"], first["n_images"]) == (3, 6) and first["to resolve"] == ""
    # at step 1,000 the seeds disagree (0, 0.3, 0.6): the interval over seeds includes 0
    assert second["margin"] == pytest.approx(0.3) and second["verdict"] == "unresolved"
    assert (second["seed_ci_low"], second["seed_ci_high"]) == pytest.approx(
        st.t.interval(0.95, 2, 0.3, 0.3 / np.sqrt(3))
    )
    assert second["per_seed"] == "+0.0000, +0.3000, +0.6000" and "about 7 seeds" in second["to resolve"]
    behind = ab.convergence_table(_early({500: -1.0}, steps=(500,)), "idman", "without_wn").iloc[0]
    assert behind["verdict"] == "contradicted"


def test_every_plan_saves_weights_early_and_the_snapshot_is_the_weights_at_that_step(tmp_path):
    """The study's runs save their weights at ``EARLY_STEPS``; what ``evaluate_run(step=...)`` reads is the model
    the engine holds at that step (a run stopped there: same seed, same batches), not the final weights."""
    from paperlib.data.sources import load_source
    from paperlib.errors import CheckpointError
    from paperlib.runs import load_checkpoint
    from paperlib.train import TrainConfig, train

    for name, plan in ab.PLANS.items():
        assert plan.overrides["snapshot_steps"] == ab.EARLY_STEPS[name]
        assert max(ab.EARLY_STEPS[name]) < train_plan(get_profile(name, **plan.overrides), "idman", 2, 100).iterations
    data, plan = load_source("sample", window="ct12"), ab.plan_for("smoke")
    opts = ab.options(ex.ABLATIONS["table4"]["idman"], plan)
    cfg = TrainConfig.make("idman", ab.SCALE, "smoke", seed=0, options=opts, data="sample", **plan.overrides)
    run = train(cfg, data=data, runs=tmp_path / "full", progress=False)
    stopped = train(cfg, data=data, runs=tmp_path / "stopped", progress=False, stop_at=2)
    snap = load_checkpoint(run.path / "snapshots" / "step_000002.pt")["model"]
    held = load_checkpoint(stopped.path / "last.pt")["model"]
    assert snap.keys() == held.keys() and all(torch.equal(snap[k], held[k]) for k in snap)
    images = ab.eval_images(data, plan)
    early = ab.evaluate_run(run, images, data.intensity, step=2)
    final = ab.evaluate_run(run, images, data.intensity)
    assert list(early["image"]) == list(final["image"]) and not np.allclose(early["psnr"], final["psnr"])
    with pytest.raises(CheckpointError, match="step_000003.pt"):
        ab.evaluate_run(run, images, data.intensity, step=3)
    # a run shorter than a planned early step (PAPERLIB_CAP stops it first) is judged at the steps it has
    longer = dataclasses.replace(plan, overrides=plan.overrides | {"snapshot_steps": (2, 1000)})
    rows, table = ab.early_comparison({("a", 0): run, ("b", 0): run}, "a", "b", data, longer)
    assert list(table["step"]) == [2] and table["margin"].iloc[0] == 0.0 and set(rows["step"]) == {2}
    none = dataclasses.replace(plan, overrides=plan.overrides | {"snapshot_steps": (1000,)})
    rows, table = ab.early_comparison({("a", 0): run, ("b", 0): run}, "a", "b", data, none)
    assert rows.empty and table.empty and ab.save_convergence(rows, table, "x", "smoke", {}) == {}
