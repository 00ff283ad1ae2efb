"""IDMAN's comparison (Tables 5-8, Figs. 8-10): the paper's values against the paper's own text, the table
arithmetic on synthetic per-image numbers, the methods and sizes every run and caption states, the test sets and
their fallback, the figure display and the notebook's registration. Synthetic numbers test arithmetic only; the
notebook (nbval) runs the real thing."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from test_models import REFERENCE_COUNTS

from conftest import t95_alternating
from paperlib import models as M
from paperlib import paper_values as pv
from paperlib import reproduce as R
from paperlib.data.splits import spaced
from paperlib.errors import DatasetNotFoundError
from paperlib.experiments.idman import ablations as ab
from paperlib.experiments.idman import compare as cmp
from paperlib.experiments.idman.architecture import ABLATIONS

# ----------------------------------------------------------------------------- the paper's values


def test_paper_tables_have_every_method_scale_and_metric_in_the_paper_order():
    assert cmp.METHODS == ("bicubic", "srcnn", "fsrcnn", "vdsr", "drrn", "edsr", "mdsr", "rdn", "rcan", "idman")
    assert {t: tuple(v) for t, v in cmp.PAPER_TABLES.items()} == {
        "table5": ("psnr",),
        "table6": ("ssim",),
        "table7": ("psnr", "ssim"),
        "table8": ("psnr", "ssim"),
    }
    for t, metrics in cmp.PAPER_TABLES.items():
        for metric, rows in metrics.items():
            assert tuple(rows) == cmp.METHODS, (t, metric)
            for m, vals in rows.items():
                assert len(vals) == len(pv.IDMAN_COMPARE_SCALES) == 3, (t, metric, m)
                lo, hi = (20, 42) if metric == "psnr" else (0.68, 0.99)
                assert all(lo < v < hi for v in vals), (t, metric, m, vals)
                if metric == "psnr":  # "the reconstruction effect of the low scaling factor is better"
                    assert vals[0] > vals[1] > vals[2], (t, m)


def test_entries_read_in_the_paper():
    assert pv.IDMAN_TABLE5["psnr"]["idman"][0] == 34.056  # Table 5, IDMAN (ours), x2
    assert pv.IDMAN_TABLE6["ssim"]["mdsr"][1] == 0.9067  # Table 6, MDSR, x3
    assert pv.IDMAN_TABLE7["psnr"]["rcan"][1] == 35.608  # Table 7, RCAN, x3 PSNR
    assert pv.IDMAN_TABLE8["ssim"]["bicubic"][2] == 0.7620  # Table 8, Bicubic, x4 SSIM


#: Section 4.5's text: IDMAN's improvements, min~max over the compared methods, per scale (SSIM in %, i.e.
#: x 100). Tables 5-6: over the deep-learning methods, and over Bicubic across the three scales; Tables 7-8: over
#: every method.
TEXT_RANGES = {
    ("table5", "psnr", "deep"): {2: (0.063, 1.92), 3: (0.026, 2.081), 4: (0.013, 2.562)},
    ("table6", "ssim", "deep"): {2: (0.06, 0.98), 3: (0.01, 1.44), 4: (0, 2.46)},
    ("table7", "psnr", "all"): {2: (0.076, 14.016), 3: (0.05, 11.598), 4: (0.062, 10.456)},
    ("table7", "ssim", "all"): {2: (0.02, 16.23), 3: (0.02, 17.36), 4: (0.01, 18.36)},
    ("table8", "psnr", "all"): {2: (0.097, 16.329), 3: (0.094, 12.939), 4: (0.055, 11.09)},
    ("table8", "ssim", "all"): {2: (0.01, 14.46), 3: (0.03, 16.5), 4: (0.02, 18.45)},
}


@pytest.mark.parametrize("key", list(TEXT_RANGES))
def test_transcribed_tables_reproduce_the_margins_the_text_states(key):
    table, metric, among = key
    rows = cmp.PAPER_TABLES[table][metric]
    unit = 1.0 if metric == "psnr" else 100.0
    for i, s in enumerate(cmp.SCALES):
        others = [m for m in cmp.METHODS if m != "idman" and (among == "all" or m != "bicubic")]
        margins = [round((rows["idman"][i] - rows[m][i]) * unit, 4) for m in others]
        assert (min(margins), max(margins)) == pytest.approx(TEXT_RANGES[key][s], abs=1e-9), (key, s)


def test_text_bicubic_margins_of_tables_5_and_6():
    # "compared with Bicubic, PSNR and SSIM improved by 8.601~11.683 dB and 17.98~20.63%"
    psnr = [a - b for a, b in zip(pv.IDMAN_TABLE5["psnr"]["idman"], pv.IDMAN_TABLE5["psnr"]["bicubic"])]
    ssim = [100 * (a - b) for a, b in zip(pv.IDMAN_TABLE6["ssim"]["idman"], pv.IDMAN_TABLE6["ssim"]["bicubic"])]
    assert (min(psnr), max(psnr)) == pytest.approx((8.601, 11.683))
    assert (min(ssim), max(ssim)) == pytest.approx((17.98, 20.63))


# ----------------------------------------------------------------------------- methods and sizes


def test_every_method_is_registered_for_idman_at_every_scale():
    for m in cmp.METHODS:
        info = M.model_info(m)
        assert "idman" in info.papers, m
        assert set(cmp.SCALES) <= set(info.scales), m
    for profile, reduced in cmp.REDUCED.items():
        assert set(reduced) <= set(cmp.METHODS) - {"idman"}, profile  # IDMAN's size is the ablations'


#: Reference parameter counts of the one-channel models (tests/test_models.py, from the published architectures).
GRAY_REFERENCE = {(n, s): v for n, c, counts in REFERENCE_COUNTS if c == 1 for s, v in counts.items()} | {
    ("bicubic", s): 0 for s in (2, 3, 4)
}


@pytest.mark.parametrize("profile", ["smoke", "quick"])
def test_reduced_sizes_build_and_are_smaller_than_published(profile):
    plan = cmp.plan_for(profile)
    t = cmp.size_table(plan).set_index("Method")
    for m in cmp.METHODS:
        name = pv.DISPLAY_NAMES[m]
        for s in cmp.SCALES:
            n = cmp.n_parameters(m, plan.sizes[m], s)  # builds at every scale
            if m not in cmp.REDUCED[profile] and m != "idman" and (m, s) in GRAY_REFERENCE:
                assert n == GRAY_REFERENCE[m, s], (m, s)  # at the published size: the reference count
            else:
                assert 0 < n <= cmp.n_parameters(m, None, s) or m == "bicubic", (m, s)
        assert t.loc[name, "parameters here (x2)"] <= t.loc[name, "parameters published (x2)"], m
        assert bool(t.loc[name, "reduced"]) == (m in cmp.REDUCED[profile] or m == "idman"), m
    assert plan.sizes["idman"] == ab.options(ABLATIONS["table4"]["idman"], ab.plan_for(profile))
    # IDMAN's count without building the deep model agrees with a built one
    assert cmp.n_parameters("idman", plan.sizes["idman"]) == M.count_parameters(
        M.create("idman", scale=2, **plan.sizes["idman"])
    )


def test_paper_profile_trains_every_method_at_its_published_size():
    plan = cmp.plan_for("paper")
    assert not cmp.size_table(plan)["reduced"].any()
    assert cmp.sizes_text(plan) == "Every method at its published size."
    assert len(plan.seeds) == 3 and plan.n_images is None


def test_caption_states_every_reduced_size_and_the_seeds():
    plan = cmp.plan_for("quick")
    text = cmp.sizes_text(plan)
    for m, opts in cmp.REDUCED["quick"].items():
        assert f"{pv.DISPLAY_NAMES[m]} {', '.join(f'{k}={v}' for k, v in opts.items())} (published: " in text, m
    assert "IDMAN n_groups=2, n_blocks=2, n_feats=32, reduction=8 (published: IDMAN, G=10" in text
    assert text.endswith("At the published size: Bicubic, SRCNN, FSRCNN, VDSR.")
    assert plan.seeds == (0, 1, 2) and "an ordering, not a finding" not in cmp.seeds_text(plan)
    assert cmp.seeds_text(cmp.plan_for("smoke")) == "One seed (0): an ordering, not a finding."


def test_every_run_gets_the_plan_size_the_idman_schedule_and_the_same_batches(monkeypatch, tmp_path):
    """The configurations train_all hands to the engine (captured, nothing trained)."""
    from paperlib.data.sources import load_source
    from paperlib.train import Trainer

    seen = []
    monkeypatch.setattr(cmp, "train", lambda cfg, **kw: seen.append(cfg) or cfg)
    data = load_source("sample", window="ct12")
    runs = cmp.train_all("quick", data, seeds=[3])
    plan = cmp.plan_for("quick")
    assert set(runs) == {(m, s, 3) for m in cmp.METHODS for s in cmp.SCALES}
    for (m, s, _), cfg in runs.items():
        assert (cfg.model, cfg.scale, cfg.seed, cfg.options) == (m, s, 3, plan.sizes[m])
        assert cfg.schedule_paper() == "idman", m  # SRCNN/VDSR/Bicubic would default to DRIDSR's schedule
        assert cfg.overrides == plan.overrides and cfg.window == "ct12"
    tp = Trainer(runs["srcnn", 2, 3], data, runs=tmp_path).plan
    assert (tp.batch_size, tp.hr_patch, tp.lr, tp.iterations) == (10, 48, 1e-4, 2000)
    # IDMAN at x2 is the ablations' Table 4 model: same options and profile fields, so the same run key
    abl = ab.plan_for("quick")
    assert runs["idman", 2, 3].options == ab.options(ABLATIONS["table4"]["idman"], abl)
    assert runs["idman", 2, 3].overrides == abl.overrides


# ----------------------------------------------------------------------------- table arithmetic

EFFECT = {
    "bicubic": -3.0,
    "srcnn": -1.0,
    "fsrcnn": -0.9,
    "vdsr": -0.5,
    "drrn": -0.4,
    "edsr": -0.3,
    "mdsr": -0.3,
    "rdn": -0.2,
    "rcan": -0.1,
    "idman": 0.0,
}


def _fake(sets=("deeplesion", "nsclc", "lung_pet_ct_dx"), seeds=(0,), n_images=6, seed_shift=0.0) -> pd.DataFrame:
    """Per-image metrics: base(image) + the method's effect (+ a wiggle for non-IDMAN) + seed * seed_shift."""
    rows = []
    for st in sets:
        for m, e in EFFECT.items():
            for s in cmp.SCALES:
                for sd in seeds:
                    for i in range(n_images):
                        wiggle = 0.01 * (-1) ** i * (m != "idman")
                        rows.append(
                            {
                                "set": st,
                                "method": m,
                                "scale": s,
                                "seed": sd,
                                "image": f"im{i}",
                                "label": f"p{i % 2}",
                                "psnr": 35.0 - s + 0.2 * i + e + wiggle + sd * seed_shift,
                                "ssim": 0.9 + 0.01 * e + 0.001 * wiggle,
                                "run": f"{m}_x{s}_{sd}",
                            }
                        )
    return pd.DataFrame(rows)


def test_quality_table_means_beside_the_paper_values():
    q = cmp.quality_table(_fake(), "table7")
    assert list(q["Method"]) == [pv.DISPLAY_NAMES[m] for m in cmp.METHODS]
    assert list(q.columns) == ["Method", "images", "seeds"] + [
        f"x{s} {c}" for s in cmp.SCALES for c in ("PSNR", "paper PSNR", "SSIM", "paper SSIM")
    ]
    idman = q.set_index("Method").loc["IDMAN"]
    assert idman["x2 PSNR"] == pytest.approx(33.0 + 0.5)  # mean of 0.2 * i over 6 images
    assert idman["x4 SSIM"] == pytest.approx(0.9)
    assert idman["x3 paper PSNR"] == pv.IDMAN_TABLE7["psnr"]["idman"][1]
    assert idman["x2 paper SSIM"] == pv.IDMAN_TABLE7["ssim"]["idman"][0]
    assert (idman["images"], idman["seeds"]) == (6, 1)
    # only the table's own set and metric
    t5 = cmp.quality_table(_fake(sets=("deeplesion",)), "table5", cmp.plan_for("smoke"))
    assert "x2 SSIM" not in t5.columns and t5.columns[1] == "parameters (x2)"
    assert cmp.quality_table(_fake(sets=("nsclc",)), "table5").empty


def test_paired_table_deltas_intervals_and_the_one_seed_verdict():
    p = cmp.paired_table(_fake(), "table5")
    assert len(p) == 9 * 3 and set(p["metric"]) == {"PSNR"}
    r = p[(p["scale"] == 2) & (p["IDMAN minus"] == "RCAN")].iloc[0]
    assert r["delta"] == pytest.approx(0.1)
    assert (r["image_ci_low"], r["image_ci_high"]) == pytest.approx(t95_alternating(0.1), abs=1e-9)
    assert r["images"] == 6 and r["seeds"] == 1 and r["per-seed deltas"] == "+0.1000"
    assert r["verdict"] == "unresolved" and "one seed" in r["why"]
    assert r["paper delta"] == pytest.approx(34.056 - 33.993)
    assert r["same sign as paper"] == "yes"
    worse = cmp.paired_table(_fake().assign(psnr=lambda d: d["psnr"] - 5.0 * (d["method"] == "idman")), "table5")
    assert (worse["same sign as paper"] == "no").all()


def test_paired_table_with_seeds_and_a_tie_in_the_paper():
    p = cmp.paired_table(_fake(seeds=(0, 1, 2), seed_shift=0.01), "table6")
    r = p[(p["scale"] == 4) & (p["IDMAN minus"] == "RCAN")].iloc[0]
    assert r["metric"] == "SSIM" and r["delta"] == pytest.approx(0.001)
    assert r["paper delta"] == 0 and r["same sign as paper"] == "paper: tie"  # 0.8895 = 0.8895
    assert r["per-seed deltas"] == "+0.0010, +0.0010, +0.0010"
    big = cmp.paired_table(_fake(seeds=(0, 1, 2), seed_shift=0.01), "table5")
    b = big[(big["scale"] == 2) & (big["IDMAN minus"] == "Bicubic")].iloc[0]
    # every method moves by the same seed_shift: the per-seed deltas agree, the seed interval is a point
    assert b["seed_ci_low"] == pytest.approx(b["delta"]) and b["seed_ci_high"] == pytest.approx(b["delta"])
    assert b["verdict"] == "supported" and b["seeds"] == 3
    q = cmp.quality_table(_fake(seeds=(0, 1, 2), seed_shift=0.01), "table5")
    assert q["x2 PSNR seed SD"].iloc[0] == pytest.approx(0.01) and (q["seeds"] == 3).all()


def test_all_tables_and_the_ordering_lines():
    tables = cmp.all_tables(_fake(sets=("deeplesion", "lung_pet_ct_dx")))
    assert list(tables) == ["table5", "table6", "table8"]
    lines = cmp.ordering_lines(tables)
    assert len(lines) == 3 + 3 + 6
    assert lines[0] == (
        "table5 PSNR x2: IDMAN above 9 of 9 baselines here (0 supported by both intervals); in the paper above 9 of 9"
    )
    assert any(line.startswith("table6 SSIM x4") and line.endswith("in the paper above 8 of 9") for line in lines)


# ----------------------------------------------------------------------------- test sets and figures


def test_eval_set_describes_its_role_and_size():
    imgs = [(f"s{i}", f"P{i % 3}", None) for i in range(12)]
    ev = cmp.EvalImages("nsclc", spaced(imgs, 4), imgs, None, {"dataset": "tcga"})
    text = ev.describe()
    assert text.startswith("NSCLC Radiogenomics stand-in")
    assert "4 slices (of its 12, evenly spaced) from 3 patient(s) (tcga)" in text  # s0, s4, s7, s11
    assert cmp.table_set("table7") == "nsclc" and cmp.table_set("table6") == "deeplesion"
    assert {t for s in cmp.EVAL_SETS.values() for t in s.tables} == set(cmp.PAPER_TABLES)


def test_missing_test_sets_fall_back_under_smoke_only(tmp_path, monkeypatch, capsys):
    from paperlib.data.sources import load_source

    monkeypatch.setenv("PAPERLIB_CACHE", str(tmp_path / "cache"))
    data = load_source("sample", window="ct12")
    ev = cmp.load_eval_set("deeplesion", "smoke", cmp.plan_for("smoke"), data, data_root=tmp_path / "no-data")
    assert "embedded in paperlib" in ev.note and ev.manifest.get("attribution")
    assert len(ev.images) == 2 and ev.intensity.window_name == "ct12"
    assert "smoke profile" in capsys.readouterr().err
    with pytest.raises(DatasetNotFoundError, match="deeplesion"):
        cmp.load_eval_set("deeplesion", "quick", cmp.plan_for("quick"), data, data_root=tmp_path / "no-data")


def test_display_window_maps_ct12_to_the_lung_window():
    from paperlib.data.intensity import hu_intensity

    ct12 = hu_intensity("ct12")
    from paperlib.data.hu import rewindow

    show = rewindow(ct12, "lung")
    hu = np.array([-975.0, -600.0, -225.0, 1000.0])  # inside ct12's [-1024, 3072]
    assert show(ct12.to_unit(hu)) == pytest.approx([0.25, 0.5, 0.75, 1.0], abs=1e-5)


def test_figure_on_trained_smoke_runs(tmp_path):
    """Two real smoke runs (Bicubic, SRCNN at x2) on the embedded sample: the per-image rows and Fig. 8's panels."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from paperlib.data.sources import load_source

    data = load_source("sample", window="ct12")
    runs = cmp.train_all("smoke", data, methods=("bicubic", "srcnn"), scales=(2,), runs=tmp_path)
    ev = cmp.EvalImages("deeplesion", data.test[:1], data.test, data.intensity, data.manifest)
    rows = cmp.collect(runs, {"deeplesion": ev})
    assert len(rows) == 2 and set(rows["method"]) == {"bicubic", "srcnn"}
    assert list(tmp_path.glob("bicubic_x2_smoke_*/eval_deeplesion_n1_*.csv"))
    fig, info = cmp.figure("fig8", runs, ev, box_side=32)
    try:
        assert "not in" in info["note"] and info["box_chosen"] == "pick_box"  # the sample has no series_b/113.png
        assert set(info["crop_scores"]) == {"Bicubic", "SRCNN"} and info["display_window"] == "lung"
        assert len([ax for ax in fig.axes if ax.images]) == 1 + 1 + 2  # HR full, HR crop, two methods
    finally:
        plt.close(fig)
    _, given = cmp.figure("fig8", runs, ev, box=[10, 20, 32])
    plt.close(_)
    assert given["box"] == [10, 20, 32] and given["box_chosen"] == "given"
    # the figure's own slice, cropped smaller than its box (PAPERLIB_CAP's crop=N): the box is picked instead
    name, label, img = data.test[0]
    small = [(cmp.FIGURES["fig8"]["image"], label, img[:120, :120])]
    f, cropped = cmp.figure("fig8", runs, cmp.EvalImages("deeplesion", small, small, data.intensity, data.manifest))
    plt.close(f)
    assert cropped["box_chosen"] == "pick_box" and "lies outside the (120, 120) slice" in cropped["note"]


def test_fig7_takes_idman_and_rcan_at_x2_over_every_seed(tmp_path):
    from test_idman_ablations import _fake_run

    runs = {}
    for sd in range(2):
        runs["idman", 2, sd] = _fake_run(tmp_path / f"i{sd}", [2.0, 1.0, 1.0, 0.5], [30.0 + sd, 31.0 + sd], 1000)
        runs["rcan", 2, sd] = _fake_run(tmp_path / f"r{sd}", [3.0, 3.0, 1.0, 1.0], [29.0, 29.5], 1000)
        runs["rcan", 3, sd] = _fake_run(tmp_path / f"r3{sd}", [9.0] * 4, [20.0, 20.0], 1000)  # another scale
        runs["edsr", 2, sd] = _fake_run(tmp_path / f"e{sd}", [9.0] * 4, [20.0, 20.0], 1000)  # another method
    fig, summary = cmp.fig7(runs, smooth=1)
    try:
        assert set(summary["variant"]) == {"idman", "rcan"} and set(summary["seeds"]) == {2}
        at = summary.set_index(["step", "variant"])
        assert at.loc[(2000, "idman"), "val PSNR (mean)"] == pytest.approx(31.5)
        assert at.loc[(2000, "idman"), "epoch"] == pytest.approx(2.0)  # 1,000 iterations an epoch, our reading
        assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == [
            "IDMAN (mean of 2 seeds)",
            "RCAN (mean of 2 seeds)",
        ]
    finally:
        import matplotlib.pyplot as plt

        plt.close(fig)


# ----------------------------------------------------------------------------- registration


def test_notebook_is_registered_with_a_smoke_parameters_cell():
    assert R.selected("idman")[-1] == "idman/03_comparison.ipynb"
    nb = json.loads((R.NOTEBOOK_DIR / "idman/03_comparison.ipynb").read_text())
    params = [c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(params) == 1
    src = "".join(params[0]["source"])
    assert 'profile = "smoke"' in src and "seeds = None" in src and "seed = 0" in src


def test_readme_idman_block_is_assembled_from_the_saved_tables(tmp_path):
    """The README's IDMAN block: numbers formatted from the CSVs, verdict counts from the paired CSV, the run hardware
    from the provenance; and a plain 'not made yet' when nothing was saved."""
    import json

    from paperlib import results

    assert "not made yet" in results.readme_idman_section("quick", root=tmp_path)
    d = tmp_path / "idman" / "quick"
    d.mkdir(parents=True)
    (d / "ablation_provenance.json").write_text(
        json.dumps(
            {
                "seeds": [0, 1, 2],
                "size": {"n_groups": 2, "n_blocks": 2, "n_feats": 32, "reduction": 8},
                "profile_settings": {"iterations": 2000},
                "images": ["a", "b"],
                "data": {"dataset": "tcga"},
                "git_commit": "abcdef1234567890",
                "hardware": {"cpu": "Some CPU"},
                "runs": {"r": {"cpu": "Some CPU"}},
            }
        )
    )
    pd.DataFrame(
        [
            {
                "variant": "without_wn",
                "PSNR (dB)": 40.0,
                "seed SD": 0.01,
                "delta vs ref (dB)": 0.0,
                "image_ci_low": None,
                "image_ci_high": None,
                "seed_ci_low": None,
                "seed_ci_high": None,
                "verdict": "reference",
                "paper delta (dB)": 0.0,
            },
            {
                "variant": "idman",
                "PSNR (dB)": 40.1234,
                "seed SD": 0.02,
                "delta vs ref (dB)": 0.1234,
                "image_ci_low": 0.1,
                "image_ci_high": 0.15,
                "seed_ci_low": 0.05,
                "seed_ci_high": 0.2,
                "verdict": "supported",
                "paper delta (dB)": 0.003,
            },
        ]
    ).to_csv(d / "ablation_table4.csv", index=False)
    (d / "comparison_provenance.json").write_text(
        json.dumps(
            {
                "seeds": [0],
                "reduced": "Reduced sizes: ...",
                "git_commit": "1234567890abcdef",
                "hardware": {"cpu": "Some CPU"},
                "test_sets": {"nsclc": {"describe": "held-out TCGA patients"}},
                "table_sets": {"table7": "nsclc"},
                "runs": {"a": {"gpu": "NVIDIA H200"}, "b": {"cpu": "Some CPU"}},
            }
        )
    )
    pd.DataFrame([{"Method": "IDMAN", "x2 PSNR": 41.0, "x2 paper PSNR": 38.81}]).to_csv(
        d / "compare_table7.csv", index=False
    )
    pd.DataFrame(
        [
            {"metric": "PSNR", "scale": 2, "delta": 0.5, "verdict": "supported", "paper delta": 0.1},
            {"metric": "PSNR", "scale": 2, "delta": -0.2, "verdict": "unresolved", "paper delta": 0.2},
            {"metric": "SSIM", "scale": 2, "delta": -0.2, "verdict": "unresolved", "paper delta": 0.2},
        ]
    ).to_csv(d / "compare_table7_paired.csv", index=False)
    text = results.readme_idman_section("quick", root=tmp_path)
    assert "### Ablations, Tables 1-4 (x2, 3 seeds)" in text and "G=2, B=2, 32 features, r=8" in text
    assert (
        "| +0.123         | [+0.100, +0.150]     | [+0.050, +0.200]    | supported |" in text
        and "2,000 iterations" in text
    )
    assert "### Comparison, Tables 5-8 (1 seed)" in text and "**Table 7.** held-out TCGA patients" in text
    assert "| IDMAN    |     41.00 |           38.81 |" in text
    assert (
        "IDMAN better than each baseline (PSNR, 2 pairs of method and scale; the one rule): supported: 1, "
        "unresolved: 1. "
        "Positive in 1 of 2 here; in the paper, IDMAN is above in 2 of 2."
    ) in text
    assert "runs trained on NVIDIA H200, Some CPU" in text and "commit `abcdef123456`" in text
