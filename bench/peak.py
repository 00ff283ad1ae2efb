"""Machine peak: square-matmul GFLOP/s in fp32 and bf16 (``torch.utils.benchmark.Timer``), and the
dense bf16 tensor-core peak of known GPUs (for MFU)."""

from __future__ import annotations

from .common import median

#: dense bf16 tensor-core peak (FLOP/s) by GPU name substring, checked in order; unknown -> None
GPU_BF16_PEAK = [
    ("H200", 989e12),
    ("H100 PCIe", 756e12),
    ("H100 NVL", 835e12),
    ("H100", 989e12),
    ("A100", 312e12),
    ("L40S", 362e12),
]


def matmul_peak(device, n: int = 2048, repeats: int = 3, inner: int = 3) -> dict:
    """Square ``n x n`` matmul GFLOP/s in fp32 and bf16: one ``Timer.timeit(inner)`` per dtype per
    repeat, the dtypes interleaved, the median of ``repeats`` reported."""
    import torch
    from torch.utils.benchmark import Timer

    dtypes = {"fp32": torch.float32, "bf16": torch.bfloat16}
    timers = {}
    for k, d in dtypes.items():
        a, b = (torch.randn(n, n, device=device, dtype=d) for _ in range(2))
        timers[k] = Timer(
            "a @ b", globals={"a": a, "b": b}, num_threads=torch.get_num_threads(), label="matmul", sub_label=k
        )
        timers[k].timeit(1)  # warm-up
    times = {k: [] for k in dtypes}
    for _ in range(repeats):
        for k, t in timers.items():
            times[k].append(t.timeit(inner).median)
    flops = 2.0 * n**3
    return {
        "n": n,
        "repeats": repeats,
        "inner": inner,
        "timer": "torch.utils.benchmark.Timer",
        **{f"{k}_gflops": flops / median(v) / 1e9 for k, v in times.items()},
        **{f"{k}_s": median(v) for k, v in times.items()},
    }


def gpu_bf16_peak(device) -> tuple[str | None, float | None]:
    """``(GPU name, dense bf16 FLOP/s)`` of a CUDA device (peak ``None`` when the card is unknown)."""
    import torch

    if torch.device(device).type != "cuda" or not torch.cuda.is_available():
        return None, None
    name = torch.cuda.get_device_name()
    for key, peak in GPU_BF16_PEAK:
        if key in name:
            return name, peak
    return name, None
