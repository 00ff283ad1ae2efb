"""Inference latency: one ~512 x 512 output slice at batch 1, eager fp32 against the fast path,
each timed with ``torch.utils.benchmark.Timer`` (interleaved repeats, median reported)."""

from __future__ import annotations

from .common import configurations, median

#: LR side giving a ~512x512 output slice at each scale (x3: 171 -> 513)
INFER_LR = {2: 256, 3: 171, 4: 128}


def _timer(model, precision, lr: int, device):
    """A Timer running ``run_model(model, x, precision)`` under inference mode on a random LR slice."""
    import torch
    from torch.utils.benchmark import Timer

    x = torch.rand(1, 1, lr, lr, device=device)
    if precision.channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    from paperlib.precision import run_model

    return Timer(
        "with torch.inference_mode():\n    run_model(model, x, precision)",
        globals={"torch": torch, "run_model": run_model, "model": model, "x": x, "precision": precision},
        num_threads=torch.get_num_threads(),
    )


def _variants(name, scale, opts, device, compile: bool):
    """``{"eager_fp32": (model, FP32), "fast": (prepared [compiled] copy, its Precision)}``."""
    import torch

    from paperlib import models
    from paperlib.precision import FP32, fast_path

    torch.manual_seed(0)
    base = models.create(name, scale=scale, in_channels=1, **opts).to(device).eval()
    fast, prec = fast_path(base, device)
    return {"eager_fp32": (base, FP32), "fast": (torch.compile(fast) if compile else fast, prec)}


def bench_inference(args, log=print) -> list[dict]:
    """DRIDSR at x2/x3/x4, every other model at x4: eager fp32 vs fast median ms per slice."""
    rows = []
    for name, scale, size, opts in configurations(args, lambda n: [2, 3, 4] if n == "dridsr" else [4]):
        lr = INFER_LR[scale]
        timers = {
            k: _timer(m, p, lr, args.device)
            for k, (m, p) in _variants(name, scale, opts, args.device, args.compile).items()
        }
        for t in timers.values():  # warm-up (and compile)
            t.timeit(max(1, args.warmup))
        times = {k: [] for k in timers}
        for _ in range(args.repeats):
            for k, t in timers.items():
                times[k].append(t.timeit(args.infer_iters).median)
        row = {
            "model": name,
            "scale": scale,
            "size": size,
            "options": opts,
            "lr_shape": [lr, lr],
            "out_shape": [lr * scale, lr * scale],
            "bf16_autocast": _bf16(args.device),
            "compiled": args.compile,
            "iters_per_repeat": args.infer_iters,
            "timer": "torch.utils.benchmark.Timer",
        }
        for k in timers:
            row[f"{k}_ms"] = 1e3 * median(times[k])
        row["speedup"] = row["eager_fp32_ms"] / row["fast_ms"]
        rows.append(row)
        log(
            f"  infer {name} x{scale} {size} {lr}->{lr * scale}: eager {row['eager_fp32_ms']:.1f} ms, "
            f"fast {row['fast_ms']:.1f} ms"
        )
    return rows


def _bf16(device) -> bool:
    from paperlib.runtime import bf16_supported

    return bool(bf16_supported(device))
