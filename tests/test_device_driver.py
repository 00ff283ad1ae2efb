"""The device driver of the IDMAN comparison (scripts/device_idman_compare.py) and the commit it records."""

from __future__ import annotations

import importlib.util
import subprocess
import tarfile

import pytest

from paperlib import runtime
from paperlib.config import REPO_ROOT
from paperlib.experiments.idman import compare as cmp

_spec = importlib.util.spec_from_file_location(
    "device_idman_compare", REPO_ROOT / "scripts" / "device_idman_compare.py"
)
drv = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(drv)


def test_jobs_are_the_comparison_less_bicubic_and_the_ablations_idman_x2():
    todo = drv.jobs("quick", [0, 1], "cuda")
    assert len(todo) == 2 * (len(cmp.METHODS) - 1) * len(cmp.SCALES) - 2 == 52
    keys = {(t.config.seed, t.config.scale, t.config.model) for t in todo}
    assert len(keys) == len(todo) and {t.config.device for t in todo} == {"cuda"}
    assert ("idman", 2) not in {(m, s) for _, s, m in keys} and ("idman", 3) in {(m, s) for _, s, m in keys}
    assert all(m != "bicubic" for _, _, m in keys)
    assert [t.config.seed for t in todo] == sorted(t.config.seed for t in todo)  # whole seeds first
    assert set(drv.COST_ORDER) == set(cmp.METHODS) - {"bicubic"}


def _run_dir(root, name, nbytes):
    d = root / name
    d.mkdir(parents=True)
    for f in drv.KEEP:
        (d / f).write_bytes(b"x" * nbytes)
    (d / "last.pt").write_bytes(b"optimiser state")
    return d


def test_pack_splits_by_size_keeps_only_what_a_complete_run_needs_and_unpack_refuses_to_overwrite(
    tmp_path, monkeypatch
):
    runs, out, back = tmp_path / "runs", tmp_path / "out", tmp_path / "back"
    out.mkdir()
    monkeypatch.setattr(drv, "PART_BYTES", 10_000)
    names = [_run_dir(runs, f"m{i}_x2_quick_k{i}", 1_000).name for i in range(5)]  # 4,000 bytes a run
    parts = drv.pack(runs, names, out)
    assert [p.name for p in parts] == ["runs_part0.tar", "runs_part1.tar", "runs_part2.tar"]  # 2 + 2 + 1 runs
    with tarfile.open(parts[0]) as tf:
        assert sorted(tf.getnames()) == sorted(f"{n}/{f}" for n in names[:2] for f in drv.KEEP)
    drv.unpack(out, back)
    assert sorted(p.name for p in back.iterdir()) == names and not list(back.glob("*/last.pt"))
    assert (back / names[3] / "weights.pt").read_bytes() == b"x" * 1_000
    with pytest.raises(SystemExit, match="runs_part0.tar: .* exists already"):
        drv.unpack(out, back)


def test_git_commit_is_head_or_the_sender_named_commit(monkeypatch):
    monkeypatch.delenv("PAPERLIB_COMMIT", raising=False)
    runtime._git_head.cache_clear()
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True)
    if head.returncode != 0:
        pytest.skip("not a git checkout")
    assert runtime.git_commit().removesuffix("-dirty") == head.stdout.strip()
    monkeypatch.setenv("PAPERLIB_COMMIT", "0123abc")
    assert runtime.git_commit() == "0123abc"


def test_a_commit_is_dirty_for_changed_code_not_for_results_the_project_writes(tmp_path, monkeypatch):
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-C", str(tmp_path)]
    (tmp_path / "figures").mkdir()
    for f in ("code.py", "README.md", "figures/table.csv"):
        (tmp_path / f).write_text("0\n")
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "c"], check=True)
    monkeypatch.setattr(runtime, "REPO_ROOT", tmp_path)
    monkeypatch.delenv("PAPERLIB_COMMIT", raising=False)

    def commit():
        runtime._git_head.cache_clear()
        return runtime.git_commit()

    head = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    try:
        (tmp_path / "figures" / "table.csv").write_text("1\n")  # a study's stage rewrote its table and the README
        (tmp_path / "README.md").write_text("1\n")
        assert commit() == head
        (tmp_path / "code.py").write_text("1\n")
        assert commit() == f"{head}-dirty"
    finally:
        runtime._git_head.cache_clear()  # the next caller asks this checkout again
