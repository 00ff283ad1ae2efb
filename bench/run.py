"""paperlib performance suite: machine matmul peak, training throughput (a plain BasicSR-style loop
vs paperlib's Trainer on the fast path), 512x512 inference latency, and volume upscaling.

Run ``python -m bench.run --help``. Prints a table, writes
``bench/results/<host-or-gpu>_<device>_<date>.json`` and a Markdown table next to it.
Every pair of configurations is measured in the same process, interleaved
(a, b, a, b, ...), and the median over ``--repeats`` is reported.

Sections: :mod:`bench.peak`, :mod:`bench.train_speed`, :mod:`bench.inference`, :mod:`bench.volume`;
report: :mod:`bench.report`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import socket
import sys
import time
from pathlib import Path

from paperlib.flops import count_flops  # noqa: F401  (public, tested)

from .common import ru_maxrss_bytes
from .inference import bench_inference
from .peak import gpu_bf16_peak, matmul_peak
from .report import markdown, targets
from .train_speed import bench_training
from .volume import bench_volume

RESULTS_DIR = Path(__file__).resolve().parent / "results"
DEFAULT_MODELS = "dridsr,imdn,pan,idman,rcan"
NOTES = {
    "plain": "fp32 eager NCHW; torch DataLoader, per-sample numpy random crop + flip/rot + matlab_imresize "
    "degradation; Adam lr 1e-4, L1",
    "fast": "paperlib.train.Trainer (TrainConfig.make(model, scale, 'smoke', batch_size, hr_patch, fast_path=True)), "
    "timed by trainer.step(): PatchSampler (in-memory, batched torch degradation), paperlib.precision.fast_path "
    "(channels_last, bf16 autocast where paperlib.runtime.bf16_supported, the declared output layer in fp32), "
    "the paper's loss and Adam settings",
    "flops": "FlopCounterMode, forward+backward of the model only (conv/matmul), counted at batch 1 in fp32 and "
    "multiplied by the batch",
    "peak_mem": "CPU: peak RSS sampled every 10 ms during the timed steps, of this process (plain: + its DataLoader "
    "workers' RSS, which double-counts shared library pages). The main process holds both interleaved "
    "configurations, so compare plain vs fast by their difference. CUDA: torch.cuda.max_memory_allocated",
    "busy": "CUDA: kernel time / wall time of training steps (profiler); CPU: aten op self time on the main thread / "
    "wall time",
    "inference": "torch.utils.benchmark.Timer, batch 1; fast = channels_last + bf16 autocast (where supported) + fp32 "
    "output layer; x3 uses LR 171 -> 513x513",
    "volume": "paperlib.upscale.sr_hu_volume (the code upscale_series runs); user/sys CPU from resource.getrusage",
}


def default_out(device: str) -> Path:
    import torch

    if device == "cuda" and torch.cuda.is_available():
        tag = torch.cuda.get_device_name()
    else:
        tag = socket.gethostname() or platform.node() or "cpu"
    tag = re.sub(r"[^A-Za-z0-9._-]+", "-", tag).strip("-") or device
    return RESULTS_DIR / f"{tag}_{device}_{time.strftime('%Y-%m-%d_%H%M%S')}.json"


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        prog="python -m bench.run",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,
    )
    p.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    p.add_argument("--models", default=DEFAULT_MODELS, help="comma-separated registry names")
    p.add_argument("--scales", default="4", help="comma-separated training scales (DRIDSR: also x3 when this is '4')")
    p.add_argument(
        "--size",
        default="quick",
        choices=["quick", "paper", "both"],
        help="model size: paper = registry defaults; quick = IDMAN/RCAN reduced",
    )
    p.add_argument("--repeats", type=int, default=3, help="interleaved repeats; the median is reported")
    p.add_argument("--steps", type=int, default=5, help="training steps per timed measurement")
    p.add_argument("--warmup", type=int, default=2, help="untimed warm-up steps / passes per configuration")
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--lr-patch", type=int, default=48, help="LR patch side (HR = lr_patch * scale)")
    p.add_argument("--workers", type=int, default=1, help="DataLoader workers of the plain loop")
    p.add_argument("--compile", action="store_true", help="torch.compile the fast path (training and inference)")
    p.add_argument(
        "--candidates",
        default="",
        help="candidate changes to the fast path timed as extra arms in the same run (comma list: compile)",
    )
    p.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (default: torch's choice)")
    p.add_argument("--matmul-n", type=int, default=None, help="matmul side (default 2048 on CPU, 8192 on CUDA)")
    p.add_argument("--infer-iters", type=int, default=5, help="forward passes per inference repeat")
    p.add_argument("--no-busy", dest="busy", action="store_false", help="skip the profiler busy-fraction pass")
    p.add_argument("--skip-train", action="store_true")
    p.add_argument("--skip-inference", action="store_true")
    _volume_args(p)
    p.add_argument("--out", type=Path, default=None, help="JSON path (the .md goes next to it)")
    a = p.parse_args(argv)
    a.models = [m.strip() for m in a.models.split(",") if m.strip()]
    a.scales = [int(s) for s in a.scales.split(",") if s.strip()]
    a.sizes = ["quick", "paper"] if a.size == "both" else [a.size]
    a.candidates = [c.strip() for c in a.candidates.split(",") if c.strip()]
    from .train_speed import CANDIDATES

    bad = [c for c in a.candidates if c not in CANDIDATES]
    if bad:
        p.error(f"--candidates: unknown {', '.join(bad)} (known: {', '.join(CANDIDATES)})")
    if a.matmul_n is None:
        a.matmul_n = 8192 if a.device == "cuda" else 2048
    if a.compile:
        a.warmup = max(a.warmup, 1)  # never time the compilation
    return a


def _volume_args(p) -> None:
    from paperlib.upscale import DEFAULT_BATCH

    p.add_argument("--skip-volume", action="store_true")
    p.add_argument("--volume-slices", type=int, default=300, help="slices of the timed volume (0: no timed run)")
    p.add_argument(
        "--volume-batch",
        type=int,
        default=DEFAULT_BATCH,
        help=f"slices per batch (default: upscale's, {DEFAULT_BATCH})",
    )
    p.add_argument(
        "--volume-precision",
        default="fast",
        choices=["fast", "fp32"],
        help="precision of the timed volume (default fast, upscale's default)",
    )
    p.add_argument(
        "--volume-run", default=None, help="trained DRIDSR x2 run directory (or weights.pt); default: untrained, seed 0"
    )
    p.add_argument(
        "--hu-slices", type=int, default=0, help="real slices compared fast vs fp32 (default 0: the whole series)"
    )
    p.add_argument("--skip-hu-check", action="store_true", help="skip the fast-vs-fp32 HU comparison")
    p.add_argument("--skip-e2e", action="store_true", help="skip the end-to-end upscale_series (DICOM write)")


def describe(args, argv) -> dict:
    """What the result records about the run itself: time, flags, hardware, versions, notes."""
    import torch

    from paperlib.runtime import git_commit, hardware_info

    gpu_name, gpu_peak = gpu_bf16_peak(args.device)
    return {
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "argv": list(argv if argv is not None else sys.argv[1:]),
        "flags": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "hardware": hardware_info(args.device),
        "torch": torch.__version__,
        "git_commit": git_commit(),
        "threads": torch.get_num_threads(),
        "interop_threads": torch.get_num_interop_threads(),
        "hostname": socket.gethostname(),
        "gpu_name": gpu_name,
        "gpu_bf16_peak_tflops": gpu_peak / 1e12 if gpu_peak else None,
        "notes": NOTES | {"compile": bool(args.compile)},
    }


def write(result: dict, out: Path, log=print) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, default=str))
    md = markdown(result)
    out.with_suffix(".md").write_text(md + "\n")
    result["json_path"], result["md_path"] = str(out), str(out.with_suffix(".md"))
    log("")
    log(md)
    log(f"wrote {out} and {out.with_suffix('.md')} ({result['wall_s']:.0f} s)")


def run(argv=None, patches=None, log=print) -> dict:
    """Run the suite; returns the result dict (also written to JSON + Markdown).

    ``patches``: uint8 (N, H, W) HR patches (default: the prepared COVID-CT paper split).
    """
    import torch

    args = parse_args(argv)
    if args.device == "cuda" and not torch.cuda.is_available():
        raise SystemExit("--device cuda: no CUDA device available")
    if args.threads:
        torch.set_num_threads(args.threads)
    t_start = time.perf_counter()
    result = describe(args, argv)
    log(f"paperlib bench: device {args.device}, {result['threads']} threads, torch {torch.__version__}")
    pk = result["matmul_peak"] = matmul_peak(
        args.device, args.matmul_n, repeats=max(3, args.repeats), inner=20 if args.device == "cuda" else 3
    )
    log(f"  matmul {pk['n']}: fp32 {pk['fp32_gflops']:.0f} GFLOP/s, bf16 {pk['bf16_gflops']:.0f} GFLOP/s")
    if not args.skip_train:
        if patches is None:
            from paperlib.data.covid_ct import load_prepared_covid_ct

            patches = load_prepared_covid_ct("paper", seed=0, progress=False).train_patches
        result["n_train_patches"] = int(len(patches))
        result["training"] = bench_training(args, patches, pk, gpu_bf16_peak(args.device)[1], log)
    if not args.skip_inference:
        result["inference"] = bench_inference(args, log)
    if not args.skip_volume:
        result["volume"] = bench_volume(args, log)
    result["targets"] = targets(result)
    result["ru_maxrss_bytes"] = ru_maxrss_bytes()
    result["wall_s"] = time.perf_counter() - t_start
    write(result, args.out or default_out(args.device), log)
    return result


def main(argv=None):
    os.environ.setdefault("TQDM_DISABLE", "1")
    run(argv)


if __name__ == "__main__":
    main()
