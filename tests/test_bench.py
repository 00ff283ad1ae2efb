"""The benchmark suite (bench/run.py) runs end to end with tiny settings and reports sane numbers."""
import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from bench import run as bench  # noqa: E402


def test_conv_flops_match_hand_formula():
    cin, cout, k, h, w = 3, 5, 3, 10, 12
    conv = torch.nn.Conv2d(cin, cout, k, padding=k // 2)
    x = torch.rand(1, cin, h, w)
    assert bench.count_flops(lambda: conv(x)) == 2 * cin * cout * k * k * h * w


def test_suite_tiny_cpu(tmp_path):
    patches = np.random.default_rng(0).integers(0, 256, (8, 48, 48), dtype=np.uint8)
    out = tmp_path / "bench.json"
    argv = ["--device", "cpu", "--models", "espcn", "--scales", "4", "--size", "quick", "--repeats", "1",
            "--steps", "1", "--warmup", "1", "--batch", "2", "--lr-patch", "12", "--matmul-n", "128",
            "--infer-iters", "1", "--skip-volume", "--threads", "1", "--out", str(out)]
    bench.run(argv, patches=patches, log=lambda *a: None)
    res = json.loads(out.read_text())
    assert out.with_suffix(".md").read_text().startswith("# paperlib benchmark")
    for key in ("timestamp", "hardware", "torch", "git_commit", "threads", "flags", "matmul_peak", "training",
                "inference", "targets", "ru_maxrss_bytes"):
        assert key in res, key
    assert res["threads"] == 1 and res["flags"]["steps"] == 1
    assert res["matmul_peak"]["fp32_gflops"] > 0 and res["matmul_peak"]["bf16_gflops"] > 0
    (row,) = res["training"]
    assert row["model"] == "espcn" and row["hr_patch"] == 48 and row["flops_per_step"] > 0
    for mode in ("plain", "fast"):
        r = row[mode]
        for k in ("s_per_step", "patches_per_s", "peak_mem_bytes", "achieved_gflops", "fraction_of_bf16_matmul_peak"):
            assert r[k] > 0, (mode, k)
        assert 0 < r["busy"]["busy_fraction"] <= 1
    assert row["plain"]["dataloader_workers"] == 1 and row["fast"]["channels_last"]
    assert row["speedup"] > 0
    (inf,) = res["inference"]
    assert inf["out_shape"] == [512, 512] and inf["eager_fp32_ms"] > 0 and inf["fast_ms"] > 0
    assert all({"target", "want", "got", "pass"} <= set(t) for t in res["targets"])
