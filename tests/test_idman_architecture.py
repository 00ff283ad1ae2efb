"""IDMAN without training: the two distillation readings, the parameter breakdown (Figs. 1-4), the
activation-memory estimate behind the paper schedule's patch, the ablation variants (Tables 1-4) and
the reproduce driver's empty-group error."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from paperlib import models as M
from paperlib import paper_values as pv
from paperlib import reproduce as R
from paperlib.errors import UnknownNameError
from paperlib.experiments.idman import architecture as ex
from paperlib.models.idman import Distillation, SplitDistillation

# The small configuration used below: G=1, B=1, C=16, r=4, MAB (3, 5), x2, no weight normalisation.
TINY = dict(n_groups=1, n_blocks=1, n_feats=16, reduction=4, weight_norm=False)


def p(i, o, k):
    """Parameters of a k x k convolution i -> o with bias."""
    return k * k * i * o + o


def test_distillation_parameter_counts_by_hand():
    # full_input, dc = 16/2 = 8: 3 x 1x1 16->8 (3 * 136 = 408), 3 x 3x3 16->16 (3 * 2320 = 6960),
    # d_4 3x3 16->8 (1160), fuse 1x1 32->16 (528): 9056.
    assert (
        M.count_parameters(Distillation(16))
        == 3 * p(16, 8, 1) + 3 * p(16, 16, 3) + p(16, 8, 3) + p(32, 16, 1)
        == 408 + 6960 + 1160 + 528
        == 9056
    )
    # channel_split, dc = 16/4 = 4: 3 x 1x1 4->4 (3 * 20 = 60); 3x3 on the rest 12->12 (1308), 8->8 (584),
    # 4->4 (148); d_4 3x3 4->4 (148); fuse 1x1 16->16 (272): 2520.
    assert (
        M.count_parameters(SplitDistillation(16))
        == 3 * p(4, 4, 1) + p(12, 12, 3) + p(8, 8, 3) + p(4, 4, 3) + p(4, 4, 3) + p(16, 16, 1)
        == 60 + 2040 + 148 + 272
        == 2520
    )


def test_distill_readings_build_run_and_differ():
    # Rest of the TINY model: head 1->16 (160); MAB 3x3 branch 2 * 2320 + 1x1s 16->4 (68) + 4->16 (80) = 4788;
    # 5x5 branch 2 * 6416 + 148 = 12980; group 3x3 (2320); DFES 3x3 (2320); x2 upsampler 16->64 (9280);
    # feedback 3x3 (2320); tail 16->1 (145): 34,313. Plus the distillation: 9056 or 2520.
    rest = 160 + 4788 + 12980 + 2320 + 2320 + 9280 + 2320 + 145
    assert rest == 34_313
    x = torch.rand(2, 1, 8, 8)
    out = {}
    for distill, expected in (("full_input", rest + 9056), ("channel_split", rest + 2520)):
        torch.manual_seed(0)
        model = M.create("idman", scale=2, distill=distill, **TINY)
        assert M.count_parameters(model) == expected
        y = model(x)
        assert y.shape == (2, 1, 16, 16) and torch.isfinite(y).all()
        y.mean().backward()  # trains: every parameter gets a gradient
        assert all(q.grad is not None for q in model.parameters())
        out[distill] = (model, y.detach())
    assert M.count_parameters(M.create("idman", scale=2, **TINY)) == 43_369  # the default is full_input
    split = out["channel_split"][0].groups[0].body[0].extract
    assert isinstance(split, SplitDistillation) and split.distill[0].in_channels == 4
    assert [c.in_channels for c in split.coarse] == [12, 8, 4]
    assert not torch.allclose(out["full_input"][1], out["channel_split"][1])


def test_distill_option_errors():
    with pytest.raises(ValueError, match="distill"):
        M.create("idman", scale=2, distill="halves", **TINY)
    with pytest.raises(ValueError, match="channel_split"):
        SplitDistillation(16, distill_channels=6)  # 16 - 3 * 6 < 1


def test_parameter_breakdown_and_structure():
    model = ex.build(4, n_groups=2, n_blocks=3)  # meta device, full width
    total = M.count_parameters(model)
    bd = ex.parameter_breakdown(model)
    assert bd["parameters"].sum() == total and abs(bd["percent"].sum() - 100) < 1e-9
    parts = dict(zip(bd["part"], bd["parameters"]))
    # with WN each conv also has one gain per output channel: 3x3 64->64 = 36864 + 64 + 64
    assert parts["MAB 3x3 convs"] == 2 * 3 * 2 * 36_992
    assert parts["MAB 5x5 convs"] == 2 * 3 * 2 * (102_400 + 128)
    assert parts["distillation 3x3 (refine)"] == 2 * 3 * 3 * 36_992
    assert parts["upsampler (sub-pixel)"] == 2 * (9 * 64 * 256 + 512)
    st = ex.structure_table(model)
    assert list(st["stage"][:3]) == [
        "head 3x3 (shallow features)",
        "IDMAG 1 (3 IDMABs + 3x3)",
        "IDMAG 2 (3 IDMABs + 3x3)",
    ]
    assert st["total"].sum() == total and len(st) == 1 + 2 + 4
    assert len(ex.block_table(model, 2, 3)) == 8 + 8  # 8 distillation + 2 x (2 kxk + 2 1x1) MAB convs


def test_mab_kxk_share_at_the_paper_size():
    # 200 blocks x (2 x 3x3 + 2 x 5x5) weight-normalised 64->64 convs over the x4 total (test_models' formula)
    kxk = 200 * 2 * (36_992 + 102_528)
    assert ex.full_size_parameters(4) == 85_633_922
    assert ex.mab_kxk_share(ex.build(4)) == pytest.approx(100 * kxk / 85_633_922)  # 65.17%, the full model (meta)
    small = ex.build(4, n_groups=1, n_blocks=2)
    assert ex.mab_kxk_share(small) == pytest.approx(100 * 2 * 2 * (36_992 + 102_528) / M.count_parameters(small))


def test_full_size_parameters_matches_a_real_build():
    opts = dict(n_groups=3, n_blocks=2, n_feats=32, reduction=8, distill="channel_split", attention=(3, 7))
    assert ex.full_size_parameters(3, **opts) == M.count_parameters(ex.build(3, **opts))


def test_saved_tensor_bytes_counts_each_storage_once():
    model = nn.Sequential(nn.Conv2d(2, 3, 3, padding=1, bias=False), nn.ReLU())
    x = torch.rand(1, 2, 5, 5)
    # conv saves its input (2*25 floats) and weight (3*2*9); ReLU saves its output (3*25)
    assert ex.saved_tensor_bytes(model, x) == 4 * (50 + 54 + 75)
    # x saved twice (by both convs) counts once
    two = nn.ModuleList([nn.Conv2d(2, 1, 1, bias=False), nn.Conv2d(2, 1, 1, bias=False)])
    assert ex.saved_tensor_bytes(lambda t: two[0](t) + two[1](t), x) == 4 * (50 + 2 + 2)


def test_activation_bytes_extrapolation_equals_a_direct_measurement():
    opts = dict(n_groups=2, n_blocks=3, n_feats=16, reduction=4, attention=(3, 5))
    b = ex.activation_bytes(2, **opts)
    torch.manual_seed(0)
    model = M.create("idman", scale=2, **opts)
    for side, batch in ((8, 1), (12, 3)):
        direct = ex.saved_tensor_bytes(model, torch.rand(batch, 1, side, side))
        assert direct == pytest.approx(b["constant"] + batch * (b["per_image"] + b["per_lr_pixel"] * side**2))


def test_activation_memory_of_the_paper_setting():
    # The reason SCHEDULES["idman"] reads the 48x48 patch as HR: batch 10 at G=10, B=20 does not fit
    # the paper's 11 GB GTX 1080 Ti with 48x48 LR patches, and fits with 48x48 HR patches.
    lr48 = ex.activation_memory_gb(48, 10, 2)
    hr48 = ex.activation_memory_gb(24, 10, 2)
    assert lr48 > 11 > hr48 and hr48 == pytest.approx(lr48 / 4)
    assert 15 < lr48 < 17  # 15.7 GB measured (fp32, torch 2.x saved tensors)
    assert ex.activation_memory_gb(24, 20, 2) == pytest.approx(2 * hr48)


def test_paper_schedule_uses_48_hr_patches():
    from paperlib.profiles import SCHEDULES, get_profile, train_plan

    assert SCHEDULES["idman"].hr_patch == 48 and SCHEDULES["idman"].lr_patch is None
    for scale in (2, 3, 4):
        plan = train_plan(get_profile("paper"), "idman", scale, 10_000)
        assert (plan.hr_patch, plan.batch_size, plan.iterations, plan.halve_every) == (48, 10, 1_000_000, 200_000)


def test_ablation_variants_match_the_paper_tables():
    assert set(ex.ABLATIONS) == set(ex.PAPER_ABLATIONS) == {"table1", "table2", "table3", "table4"}
    for table, variants in ex.ABLATIONS.items():
        assert set(variants) == set(ex.PAPER_ABLATIONS[table]), table
    assert pv.IDMAN_TABLE3["both"] == pv.IDMAN_TABLE4["idman"] == 34.022
    assert pv.IDMAN_TABLE2["3+5"] == pv.IDMAN_TABLE3["mab"]


@pytest.mark.parametrize("table,variant", [(t, v) for t, vs in ex.ABLATIONS.items() for v in vs])
def test_every_ablation_variant_builds_and_runs(table, variant):
    opts = ex.ABLATIONS[table][variant]
    model = M.create("idman", scale=2, n_groups=1, n_blocks=2, n_feats=16, reduction=4, **opts)
    assert model(torch.rand(1, 1, 8, 8)).shape == (1, 1, 16, 16)


def _small(opts):
    with torch.device("meta"):
        return M.create("idman", scale=2, n_groups=1, n_blocks=2, n_feats=16, reduction=4, **opts)


def _mab_kernels(model):
    block = model.groups[0].body[0]
    if not isinstance(block.attention, M.idman.MAB):
        return ()
    return tuple(br[0].kernel_size[0] for br in block.attention.branches)


def test_ablation_variants_differ_as_they_should():
    n = {t: {v: M.count_parameters(_small(o)) for v, o in vs.items()} for t, vs in ex.ABLATIONS.items()}
    # Table 1: distillation replaces Conv-ReLU-Conv (different parameters and modules), same attention
    t1 = {v: _small(o).groups[0].body[0] for v, o in ex.ABLATIONS["table1"].items()}
    assert isinstance(t1["info_distill"].extract, Distillation) and isinstance(t1["conv"].extract, nn.Sequential)
    assert n["table1"]["conv"] != n["table1"]["info_distill"]
    # Table 2: the MAB has exactly the listed branches; "none" is channel attention; each branch adds two kxk
    t2 = ex.ABLATIONS["table2"]
    for v, o in t2.items():
        assert _mab_kernels(_small(o)) == (() if v == "none" else tuple(int(k) for k in v.split("+"))), v

    def pw(i, o, k):  # with the weight-normalisation gain per output channel
        return p(i, o, k) + o

    kxk = {k: 2 * 2 * pw(16, 16, k) for k in (3, 5, 7)}  # 2 blocks x 2 convs per branch
    one_by_one = 2 * (pw(16, 4, 1) + pw(4, 16, 1))  # a branch's bottleneck, as in channel attention
    for v in t2:
        ks = () if v == "none" else [int(k) for k in v.split("+")]
        extra = sum(kxk[k] for k in ks) + max(len(ks) - 1, 0) * one_by_one
        assert n["table2"][v] == n["table2"]["none"] + extra, v
    # Table 3: four different models; "neither" is Table 1's conv, "both" is IDMAN
    assert len(set(n["table3"].values())) == 4
    assert n["table3"]["neither"] == n["table1"]["conv"] and n["table3"]["both"] == n["table4"]["idman"]
    # Table 4: the same convolutions, without the WN gain (one per output channel)
    wn, plain = _small(ex.ABLATIONS["table4"]["idman"]), _small(ex.ABLATIONS["table4"]["without_wn"])
    assert M.count_layers(wn) == M.count_layers(plain)
    gains = sum(m.out_channels for m in plain.modules() if isinstance(m, nn.Conv2d))
    assert n["table4"]["idman"] - n["table4"]["without_wn"] == gains


def test_reproduce_idman_group_has_the_architecture_notebook():
    assert R.selected("idman")[0] == "idman/01_architecture.ipynb"
    assert (R.NOTEBOOK_DIR / "idman/01_architecture.ipynb").is_file()


def test_empty_group_is_an_error(monkeypatch, capsys):
    monkeypatch.setitem(R.NOTEBOOKS, "idman", [])
    with pytest.raises(UnknownNameError) as err:
        R.selected("idman")
    msg = str(err.value)
    assert "'idman'" in msg and "no notebooks yet" in msg and "\n" not in msg
    from paperlib.cli import main

    assert main(["reproduce", "--only", "idman", "--output-dir", "/nonexistent/never-made"]) == 2
    assert "no notebooks yet" in capsys.readouterr().err


def test_profile_that_keeps_no_notebook_of_the_group_is_an_error():
    with pytest.raises(UnknownNameError, match="budget"):
        R.selected("idman", "budget")


def test_the_budget_study_runs_only_under_profiles_with_snapshots():
    # under quick or paper the study would train and find no snapshot to evaluate (found by make paper-shapes)
    for profile in ("quick", "paper"):
        assert "dridsr/07_budget_study.ipynb" not in R.selected("all", profile)
        with pytest.raises(UnknownNameError, match="not profile"):
            R.selected("07_budget", profile)
    for profile in ("smoke", "budget", "budget30"):
        assert "dridsr/07_budget_study.ipynb" in R.selected("dridsr", profile)


def test_block_schematic_draws_every_convolution_of_the_block():
    from matplotlib.patches import FancyBboxPatch

    model = ex.build(2, n_groups=1, n_blocks=2, n_feats=16, reduction=4)
    fig = ex.block_schematic(model, block=2)
    boxes = [p for p in fig.axes[0].patches if isinstance(p, FancyBboxPatch)]
    assert len(boxes) == len(ex.block_table(model, block=2)) == 16
    assert f"{int(ex.block_table(model, block=2)['parameters'].sum()):,} parameters" in fig.axes[0].get_title()


def test_twin_finds_the_width_that_gives_a_known_count():
    from paperlib.experiments.idman import capacity

    # a model built at a width on the search grid: the search must find that width and its exact count
    target = capacity.parameters("vdsr", {"n_feats": 40})
    opts, n = capacity.twin("vdsr", {}, target)
    assert opts == {"n_feats": 40} and n == target
    rcan = {"n_resgroups": 2, "n_resblocks": 2, "n_feats": 32, "reduction": 8}
    opts, n = capacity.twin("rcan", rcan, capacity.parameters("rcan", rcan | {"n_feats": 48}))
    assert opts == rcan | {"n_feats": 48}


def test_capacity_table_flags_every_pair_outside_the_tolerance():
    from paperlib.experiments.idman import capacity

    t = capacity.capacity_table("smoke")
    outside = (t["ratio"] - 1).abs() > capacity.TOLERANCE
    assert (t.loc[outside, "same size"] == "no").all() and (t.loc[~outside, "same size"] == "yes").all()
    assert t.loc[outside, "twin"].notna().all() and t.loc[~outside, "twin"].isna().all()


def test_a_comparison_twin_is_idman_at_the_baselines_size():
    """The comparison's twins change IDMAN (its width and depth only), never the baseline: at quick each is an IDMAN
    within 15% of its baseline's parameters, except FSRCNN (12,809), below the smallest IDMAN of this design."""
    from paperlib.experiments.idman import capacity, compare

    t = capacity.capacity_table("quick")
    idman = compare.plan_for("quick").sizes["idman"]
    rows = t[t["study"] == "comparison"].set_index("model")
    assert (rows["twin of"] == "idman").all()
    for m, r in rows.iterrows():
        opts = r["twin options"]
        assert {k: v for k, v in opts.items() if k not in ("n_feats", "n_blocks")} == {
            k: v for k, v in idman.items() if k not in ("n_feats", "n_blocks")
        }
        assert capacity.parameters("idman", opts) == r["twin parameters"]
        assert r["twin ratio"] == r["twin parameters"] / r["parameters"]
    assert rows.loc[rows["twin same size"] == "no"].index.tolist() == ["fsrcnn"]
