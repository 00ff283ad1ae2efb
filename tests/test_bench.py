"""The benchmark suite (bench/run.py) runs end to end with tiny settings and reports sane numbers."""

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from bench import run as bench  # noqa: E402
from paperlib.runtime import bf16_supported  # noqa: E402


def test_conv_flops_match_hand_formula():
    cin, cout, k, h, w = 3, 5, 3, 10, 12
    conv = torch.nn.Conv2d(cin, cout, k, padding=k // 2)
    x = torch.rand(1, cin, h, w)
    assert bench.count_flops(lambda: conv(x)) == 2 * cin * cout * k * k * h * w


def test_suite_tiny_cpu(tmp_path):
    patches = np.random.default_rng(0).integers(0, 256, (8, 48, 48), dtype=np.uint8)
    out = tmp_path / "bench.json"
    argv = [
        "--device",
        "cpu",
        "--models",
        "espcn",
        "--scales",
        "4",
        "--size",
        "quick",
        "--repeats",
        "1",
        "--steps",
        "1",
        "--warmup",
        "1",
        "--batch",
        "2",
        "--lr-patch",
        "12",
        "--matmul-n",
        "128",
        "--infer-iters",
        "1",
        "--skip-volume",
        "--threads",
        "1",
        "--out",
        str(out),
    ]
    bench.run(argv, patches=patches, log=lambda *a: None)
    res = json.loads(out.read_text())
    assert out.with_suffix(".md").read_text().startswith("# paperlib benchmark")
    for key in (
        "timestamp",
        "hardware",
        "torch",
        "git_commit",
        "threads",
        "flags",
        "matmul_peak",
        "training",
        "inference",
        "targets",
        "ru_maxrss_bytes",
    ):
        assert key in res, key
    assert res["threads"] == 1 and res["flags"]["steps"] == 1
    assert res["matmul_peak"]["fp32_gflops"] > 0 and res["matmul_peak"]["bf16_gflops"] > 0
    (row,) = res["training"]
    # ESPCN x4 (1->64 5x5, 64->32 3x3, 32->16 3x3) on 12x12 LR: forward F = 2 * (1*64*25 + 64*32*9 + 32*16*9) * 144
    # = 7,096,320 per sample; a training step adds grad-weight (F) and grad-input (F minus the first conv's 460,800,
    # whose input needs no gradient): 3F - 460,800 per sample, batch 2
    assert row["model"] == "espcn" and row["hr_patch"] == 48 and row["flops_per_step"] == 2 * (3 * 7_096_320 - 460_800)
    for mode in ("plain", "fast"):
        r = row[mode]
        assert r["s_per_step"] > 0 and r["peak_mem_bytes"] > 0
        assert r["patches_per_s"] == pytest.approx(2 / r["s_per_step"])
        assert r["achieved_gflops"] == pytest.approx(row["flops_per_step"] / r["s_per_step"] / 1e9)
        assert r["fraction_of_bf16_matmul_peak"] == pytest.approx(
            r["achieved_gflops"] / res["matmul_peak"]["bf16_gflops"]
        )
        assert 0 < r["busy"]["busy_fraction"] <= 1
    assert row["plain"]["dataloader_workers"] == 1 and row["fast"]["channels_last"]
    assert not row["plain"]["bf16_autocast"] and row["fast"]["bf16_autocast"] == bf16_supported("cpu")
    assert row["speedup"] == pytest.approx(row["plain"]["s_per_step"] / row["fast"]["s_per_step"])
    (inf,) = res["inference"]
    assert inf["out_shape"] == [512, 512] and inf["eager_fp32_ms"] > 0 and inf["fast_ms"] > 0
    assert all({"target", "want", "got", "pass"} <= set(t) for t in res["targets"])


def test_candidates_flag_rejects_unknown_names(capsys):
    from bench.run import parse_args

    with pytest.raises(SystemExit) as e:
        parse_args(["--candidates", "compile,fusion"])
    assert e.value.code == 2 and "--candidates: unknown fusion (known: compile)" in capsys.readouterr().err
    assert parse_args(["--candidates", "compile"]).candidates == ["compile"]


def test_candidate_table_reports_the_candidate_against_fast():
    from bench.report import _candidate_table

    row = {"model": "pan", "scale": 4, "size": "quick", "fast": {"s_per_step": 0.8}, "plain": {"s_per_step": 3.0}}
    row["fast+compile"] = {"s_per_step": 1.0, "vs_fast": 0.8, "fraction_of_bf16_matmul_peak": 0.25, "warmup_s": 41.0}
    md = _candidate_table([row])
    header, _, line = md.splitlines()
    cells = dict(zip([c.strip() for c in header.split("|")], [c.strip() for c in line.split("|")]))
    assert cells["candidate"] == "fast+compile" and float(cells["fast/candidate"]) == 0.8
    assert float(cells["fast s/step"]) == 0.8 and float(cells["candidate s/step"]) == 1.0
