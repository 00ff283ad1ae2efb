"""The one list of a profile's trainings, the cost plan built on it, and the fan-out through submitit."""

from __future__ import annotations

import pytest

from paperlib.experiments import fanout, plan, trainings
from paperlib.experiments.idman.ablations import distinct_models
from paperlib.flops import model_train_step_flops


def test_espcn_step_flops_match_the_conv_formula():
    # forward 2*Cin*Cout*k^2*H*W per conv; backward = grad of weights (every conv) + grad of inputs (all but the
    # first: the LR patch needs none), each the size of the forward
    p, batch = 24, 16
    f = [2 * 1 * 64 * 25 * p * p, 2 * 64 * 32 * 9 * p * p, 2 * 32 * 16 * 9 * p * p]
    assert model_train_step_flops("espcn", 4, p, batch) == (batch * (3 * sum(f) - f[0]), 24_752)


@pytest.mark.parametrize(
    "name, options",
    [
        ("dridsr", {}),
        ("imdn", {}),
        ("pan", {}),
        ("idman", dict(n_groups=2, n_blocks=2, n_feats=32, reduction=8)),
        ("rcan", dict(n_resgroups=1, n_resblocks=2, n_feats=16, reduction=4)),
        ("rdn", dict(g0=16, n_blocks=2, n_convs=2, growth=16)),
    ],
)
def test_meta_counts_equal_a_cpu_count(name, options):
    from paperlib import models
    from paperlib.flops import train_step_flops

    direct = train_step_flops(models.create(name, scale=2, **options), 24, 3)
    assert model_train_step_flops(name, 2, 24, 3, **options)[0] == direct


def test_quick_lists_every_study_once():
    items = trainings.profile_trainings("quick")
    by_study = {s: sum(t.study == s for t in items) for s in fanout.LOADERS}
    n_seeds = 3
    assert by_study["dridsr.table1"] == 6 * 2 * n_seeds  # six learned methods at x3 and x4, 3 training seeds
    assert by_study["idman.ablations"] == len(distinct_models()) * n_seeds
    # nine learned methods x 3 scales x 3 seeds, less IDMAN x2 (the ablations' Table 4 run, listed there)
    assert by_study["idman.compare"] == 9 * 3 * n_seeds - n_seeds
    assert len({t.identity() for t in items}) == len(items)


def test_steps_follow_the_schedules():
    (t,) = [t for t in trainings.profile_trainings("paper") if t.label == "dridsr x4 seed 0"]
    assert t.steps == 200 * (1498 // 64)  # DRIDSR: 200 epochs of its 1,498 training pairs at batch 64
    b30 = trainings.profile_trainings("budget30")
    steps = sorted((t.label.split()[0], t.steps) for t in b30)  # VDSR stops at 4,000 (budget.VDSR_STEPS_30)
    assert steps == sorted([(m, 22_080) for m in ("DRIDSR", "IMDN", "PAN") for _ in (0, 1)] + [("VDSR", 4000)] * 2)
    # 30% of the paper's HR pixels: 22,080 x 16 x 96^2 >= 0.3 x 4,600 x 64 x 192^2 > 22,079 x 16 x 96^2
    assert 22_080 * 16 * 96**2 >= 0.3 * 4600 * 64 * 192**2 > 22_079 * 16 * 96**2


def test_unknown_profile_is_named():
    with pytest.raises(Exception, match="'nope'"):
        trainings.profile_trainings("nope")


def test_cost_table_hours_scale_with_the_assumed_mfu():
    a, b = plan.cost_table("smoke", mfu=0.5), plan.cost_table("smoke", mfu=0.25)
    assert (b["H100 hours"] / a["H100 hours"]).round(12).eq(2).all()
    totals = plan.summary(a)
    assert totals.loc["all", "trainings"] == len(a)


@pytest.mark.slow
def test_fan_out_on_submitit_local_executor_trains_the_same_runs(tmp_path, monkeypatch):
    submitit = pytest.importorskip("submitit")
    monkeypatch.setenv("PAPERLIB_DATA", str(tmp_path / "no-data"))  # the smoke profile's embedded sample
    monkeypatch.setenv("PAPERLIB_CACHE", str(tmp_path / "cache"))
    items = [t for t in trainings.profile_trainings("smoke") if t.study == "dridsr.table1"][:2]
    ex = submitit.LocalExecutor(folder=tmp_path / "jobs")
    ex.update_parameters(timeout_min=10)
    dirs = fanout.fan_out(items, ex, runs=tmp_path / "runs")
    assert len(dirs) == 2 and len(set(dirs)) == 2
    # the same trainings in this process land in the same run directories, already finished (reused by key)
    # one job training both in turn: the same runs, reported in the order given
    assert (
        fanout.fan_out(items, submitit.DebugExecutor(folder=tmp_path / "debug"), runs=tmp_path / "runs", jobs=1) == dirs
    )
    from pathlib import Path

    from paperlib.runs import Run

    for t, d in zip(items, dirs):
        before = (Path(d) / "weights.pt").stat().st_mtime_ns
        assert fanout.run_training(t, runs=tmp_path / "runs") == d
        assert Run(Path(d)).manifest["status"] == "complete"
        assert (Path(d) / "weights.pt").stat().st_mtime_ns == before  # not trained again


def test_job_groups_give_the_longest_training_a_job_of_its_own():
    """LPT by cost: DRIDSR (2.3 h) alone, IMDN and PAN (1.2 h each) in turn on the other job: 2.4 h of wall time,
    where the interleaved order (DRIDSR then PAN on one job) would take 3.5 h."""
    items = ["dridsr", "imdn", "pan"]
    hours = {"dridsr": 2.3, "imdn": 1.2, "pan": 1.2}
    assert fanout.job_groups(items, 2) == [[0, 2], [1]]
    assert fanout.job_groups(items, 2, cost=hours.get) == [[0], [1, 2]]
    assert fanout.job_groups(items, 5, cost=hours.get) == [[0], [1], [2]]  # never more jobs than trainings
    assert fanout.job_groups(items[:1], 2) == [[0]]


def test_train_ahead_trains_the_selected_groups_runs_longest_first(monkeypatch):
    """``reproduce --train-jobs``: only the selected notebooks' trainings go to the fan-out, with a cost that puts
    VDSR x4 (20 layers at the HR size) above DRIDSR x4 (its layers at the LR size) by more than 10x in FLOPs."""
    got = {}

    def fake(todo, jobs, runs=None, cost=None):
        got.update(todo=todo, jobs=jobs, cost=cost)
        return ["run"] * len(todo)

    monkeypatch.setattr(fanout, "fan_out_locally", fake)
    from paperlib.reproduce import train_ahead

    assert train_ahead("quick", {"dridsr"}, 2) == ["run"] * 36
    assert {t.study for t in got["todo"]} == {"dridsr.table1"} and got["jobs"] == 2
    one = {t.label: t for t in got["todo"]}
    assert got["cost"](one["vdsr x4 seed 1"]) > 10 * got["cost"](one["dridsr x4 seed 1"])
    assert train_ahead("quick", {"teaching"}, 2) == []  # no trainings: nothing started


def test_reproduce_train_jobs_refuses_a_budget_profile():
    from paperlib.errors import UnknownNameError
    from paperlib.reproduce import reproduce

    with pytest.raises(UnknownNameError, match="study budget --jobs"):
        reproduce("budget30", train_jobs=2)
