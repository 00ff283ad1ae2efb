"""Training engine: determinism, exact resume after a real SIGKILL, corrupt checkpoints, evaluation."""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import torch

from paperlib.errors import CheckpointError
from paperlib.evaluate import _tiled, make_pair, super_resolve
from paperlib.profiles import SCHEDULES, get_profile, train_plan
from paperlib.runs import load_checkpoint
from paperlib.train import TrainConfig, train


@pytest.fixture(scope="module")
def data(shared_data):
    from paperlib.data.covid_ct import load_prepared_covid_ct

    return load_prepared_covid_ct("paper", seed=0, root=shared_data, progress=False)


def test_paper_schedule_resolution():
    plan = train_plan(get_profile("paper"), "dridsr", 4, 1470)
    # 1498 pairs / batch 64 = 23 steps per epoch; 200 epochs; halve every 30 epochs; 192 HR patch
    assert (plan.iterations, plan.halve_every, plan.batch_size, plan.hr_patch) == (200 * 23, 30 * 23, 64, 192)
    assert plan.lr == 1e-3 and plan.min_lr == 1e-5
    assert train_plan(get_profile("paper"), "dridsr", 3, 1470).hr_patch == 192
    idman = train_plan(get_profile("paper"), "idman", 3, 1470)
    assert idman.hr_patch == 48 and idman.halve_every == 200_000 and idman.batch_size == SCHEDULES["idman"].batch_size


def test_same_seed_same_weights_and_metrics(data, tmp_path):
    a = train(TrainConfig.make("espcn", 4, "smoke", iterations=6), data=data, runs=tmp_path / "a", progress=False)
    b = train(TrainConfig.make("espcn", 4, "smoke", iterations=6), data=data, runs=tmp_path / "b", progress=False)
    sa, sb = a.load_model().state_dict(), b.load_model().state_dict()
    assert all(torch.equal(sa[k], sb[k]) for k in sa)
    assert a.val_log().equals(b.val_log())
    c = train(
        TrainConfig.make("espcn", 4, "smoke", iterations=6, seed=1), data=data, runs=tmp_path / "a", progress=False
    )
    assert c.path != a.path  # other settings, other run: never silently reused
    sc = c.load_model().state_dict()
    assert not all(torch.equal(sa[k], sc[k]) for k in sa)


def test_finished_run_is_reused(data, tmp_path):
    a = train(TrainConfig.make("espcn", 3, "smoke"), data=data, runs=tmp_path, progress=False)
    mtime = (a.path / "weights.pt").stat().st_mtime_ns
    b = train(TrainConfig.make("espcn", 3, "smoke"), data=data, runs=tmp_path, progress=False)
    assert b.path == a.path and (b.path / "weights.pt").stat().st_mtime_ns == mtime


def test_a_staged_call_that_trains_nothing_leaves_the_manifest_alone(data, tmp_path):
    """A staged study asks again for stages the run has passed: no session is added, nothing is rewritten; the call
    that trains on records a second session from the step it resumed at."""
    cfg = TrainConfig.make("espcn", 4, "smoke", iterations=8)
    run = train(cfg, data=data, runs=tmp_path, progress=False, stop_at=4)
    before = (run.path / "manifest.json").read_text()
    for stage in (4, 2):
        train(cfg, data=data, runs=tmp_path, progress=False, stop_at=stage)
        assert (run.path / "manifest.json").read_text() == before
    run = train(cfg, data=data, runs=tmp_path, progress=False, stop_at=8)
    assert [s["from_step"] for s in run.manifest["sessions"]] == [0, 4] and run.complete


def _train_cmd(runs, iters):
    return [
        sys.executable,
        "-m",
        "paperlib",
        "train",
        "espcn",
        "--scale",
        "4",
        "--profile",
        "smoke",
        "--iterations",
        str(iters),
        "--runs",
        str(runs),
        "--quiet",
    ]


@pytest.mark.slow
def test_resume_after_sigkill_gives_identical_weights(shared_data, tmp_path):
    env = os.environ | {"OMP_NUM_THREADS": "1"}
    iters = 40
    subprocess.run(_train_cmd(tmp_path / "ref", iters), check=True, env=env, capture_output=True)
    proc = subprocess.Popen(
        _train_cmd(tmp_path / "killed", iters), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.time() + 120
    killed_at = None
    while time.time() < deadline and proc.poll() is None:
        ck = list((tmp_path / "killed").glob("*/last.pt"))
        if ck:
            try:
                step = load_checkpoint(ck[0])["step"]
            except CheckpointError:
                step = 0
            if step >= 10:
                proc.send_signal(signal.SIGKILL)
                killed_at = step
                break
        time.sleep(0.05)
    proc.wait()
    assert killed_at is not None and killed_at < iters, "training finished before it could be killed"
    run_dir = next((tmp_path / "killed").iterdir())
    assert not (run_dir / "weights.pt").exists()
    subprocess.run(_train_cmd(tmp_path / "killed", iters), check=True, env=env, capture_output=True)
    ref_dir = next((tmp_path / "ref").iterdir())
    assert ref_dir.name == run_dir.name
    a = load_checkpoint(ref_dir / "weights.pt")["model"]
    b = load_checkpoint(run_dir / "weights.pt")["model"]
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert (ref_dir / "log.csv").read_text().count("\n") == (run_dir / "log.csv").read_text().count("\n") == iters + 1
    assert load_checkpoint(run_dir / "last.pt")["step"] == iters
    # both sessions that trained the killed run are on record, the second from the step it resumed at
    sessions = json.loads((run_dir / "manifest.json").read_text())["sessions"]
    assert len(sessions) == 2 and sessions[0]["from_step"] == 0 and 0 < sessions[1]["from_step"] < iters
    assert len(json.loads((ref_dir / "manifest.json").read_text())["sessions"]) == 1


def test_corrupt_checkpoint_is_reported_and_kept(data, tmp_path):
    run = train(TrainConfig.make("espcn", 4, "smoke", iterations=2), data=data, runs=tmp_path, progress=False)
    (run.path / "weights.pt").unlink()
    ck = run.path / "last.pt"
    blob = ck.read_bytes()[:100]
    ck.write_bytes(blob)
    with pytest.raises(CheckpointError, match="last.pt.*corrupt or truncated"):
        train(TrainConfig.make("espcn", 4, "smoke", iterations=2), data=data, runs=tmp_path, progress=False)
    assert ck.read_bytes() == blob  # never silently overwritten
    train(TrainConfig.make("espcn", 4, "smoke", iterations=2), data=data, runs=tmp_path, progress=False, restart=True)
    assert (run.path / "weights.pt").exists()


def test_tiled_inference_equals_whole_image(data):
    from paperlib import models

    torch.manual_seed(0)
    model = models.create("espcn", scale=2).eval()
    hr, lr = make_pair(data.test[0][2], 2)
    whole = super_resolve(model, lr)
    x = torch.from_numpy(lr.astype(np.float32))[None, None]
    with torch.inference_mode():
        tiled = _tiled(model, x, tile=40, overlap=8)[0, 0].numpy()
    np.testing.assert_allclose(tiled, whole, atol=1e-5)


@pytest.mark.slow
def test_distributed_data_parallel_with_torchrun_on_cpu(shared_data, tmp_path):
    """The multi-GPU path is plain DDP under torchrun; exercised here with 2 CPU processes (gloo)."""
    env = os.environ | {"OMP_NUM_THREADS": "1"}
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--nproc_per_node",
        "2",
        "--master_port",
        "29531",
        "-m",
        "paperlib",
        "train",
        "espcn",
        "--scale",
        "4",
        "--profile",
        "smoke",
        "--iterations",
        "4",
        "--runs",
        str(tmp_path),
        "--quiet",
    ]
    r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    (run_dir,) = list(tmp_path.iterdir())
    import json

    man = json.loads((run_dir / "manifest.json").read_text())
    assert man["status"] == "complete" and man["config"]["world_size"] == 2
    ck = load_checkpoint(run_dir / "last.pt")
    assert len(ck["samplers"]) == 2 and not torch.equal(ck["samplers"][0]["generator"], ck["samplers"][1]["generator"])
    assert (run_dir / "weights.pt").exists()
