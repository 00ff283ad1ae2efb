"""paperlib performance suite: training throughput (plain BasicSR-style loop vs the fast path),
machine matmul peak, 512x512 inference latency, and volume upscaling.

Run ``python -m bench.run --help``. Prints a table, writes
``bench/results/<host-or-gpu>_<date>.json`` and a Markdown table next to it.
Every pair of configurations is measured in the same process, interleaved
(a, b, a, b, ...), and the median over ``--repeats`` is reported.
"""
from __future__ import annotations

import argparse
import copy
import json
import os
import platform
import re
import resource
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

RESULTS_DIR = Path(__file__).resolve().parent / "results"
DEFAULT_MODELS = "dridsr,imdn,pan,idman,rcan"
#: constructor options for --size quick (only the huge models are reduced; others use the registry defaults)
QUICK_OPTIONS = {"idman": dict(n_groups=2, n_blocks=4), "rcan": dict(n_resgroups=2, n_resblocks=4)}
#: LR side giving a ~512x512 output slice at each scale (x3: 171 -> 513)
INFER_LR = {2: 256, 3: 171, 4: 128}
#: dense bf16 tensor-core peak (FLOP/s) by GPU name substring, checked in order; unknown -> None
GPU_BF16_PEAK = [("H200", 989e12), ("H100 PCIe", 756e12), ("H100 NVL", 835e12), ("H100", 989e12),
                 ("A100", 312e12), ("L40S", 362e12)]
TARGETS = {"train_speedup_min": 2.0, "train_speedup_models": ("dridsr", "imdn", "pan"),
           "achieved_fraction_of_bf16_peak_min": 0.5, "dridsr_x4_infer_ms_cpu_max": 40.0,
           "dridsr_x4_infer_ms_gpu_max": 3.0, "dridsr_x4_infer_speedup_gpu_min": 2.5}


# --------------------------------------------------------------------------- helpers

def _sync(device):
    import torch

    if torch.device(device).type == "cuda":
        torch.cuda.synchronize()


def median(xs):
    return float(statistics.median(xs)) if xs else None


def model_options(name: str, size: str) -> dict:
    return dict(QUICK_OPTIONS.get(name, {})) if size == "quick" else {}


def scales_for(name: str, scales: list[int]) -> list[int]:
    """DRIDSR is also measured at x3 by default (the paper's Table 1 scales)."""
    out = list(scales)
    if name == "dridsr" and 3 not in out and out == [4]:
        out = [3, 4]
    return out


class RSSMonitor:
    """Peak resident memory while active: this process plus the given children (DataLoader workers).

    ``ru_maxrss`` is a process-lifetime maximum, so it cannot separate interleaved configurations;
    this samples the current RSS every ``interval`` seconds instead (and ``ru_maxrss`` is recorded
    once for the whole run). On CUDA, :meth:`Trainer.timed` reports ``torch.cuda.max_memory_allocated``.
    """

    def __init__(self, interval: float = 0.01, child_pids=()):
        self.pids = [os.getpid(), *child_pids]
        self.interval, self.peak, self._stop = interval, 0, threading.Event()

    def current(self) -> int:
        return sum(rss_bytes(p) for p in self.pids)

    def __enter__(self):
        self.peak = self.current()
        self._stop.clear()
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()
        return self

    def _run(self):
        while not self._stop.wait(self.interval):
            self.peak = max(self.peak, self.current())

    def __exit__(self, *exc):
        self._stop.set()
        self._t.join()
        self.peak = max(self.peak, self.current())


_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def rss_bytes(pid: int) -> int:
    """Current resident set size of ``pid`` (``/proc`` on Linux, psutil elsewhere; 0 if gone/unknown)."""
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):
        pass
    try:
        import psutil

        return int(psutil.Process(pid).memory_info().rss)
    except Exception:
        return 0


def ru_maxrss_bytes() -> int:
    r = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(r if sys.platform == "darwin" else r * 1024)


# --------------------------------------------------------------------------- FLOPs and peak

def count_flops(fn) -> int:
    """FLOPs of everything ``fn()`` runs, by ``torch.utils.flop_counter.FlopCounterMode``
    (matmul/conv/bmm/attention and their backward; elementwise ops count 0)."""
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as fc:
        fn()
    return int(fc.get_total_flops())


def train_step_flops(model, lr_patch: int, batch: int, device) -> int:
    """Forward + backward FLOPs of one training step at ``batch`` (counted at batch 1, fp32, then
    multiplied: conv/matmul FLOPs are linear in the batch)."""
    import torch

    m = copy.deepcopy(model).to(device).train()
    x = torch.rand(1, 1, lr_patch, lr_patch, device=device)

    def step():
        m(x).float().abs().mean().backward()

    return count_flops(step) * batch


def matmul_peak(device, n: int = 2048, repeats: int = 3, inner: int = 3) -> dict:
    """Square-matmul GFLOP/s in fp32 and bf16, interleaved, median of ``repeats``."""
    import torch

    dtypes = {"fp32": torch.float32, "bf16": torch.bfloat16}
    mats = {k: (torch.randn(n, n, device=device, dtype=d), torch.randn(n, n, device=device, dtype=d))
            for k, d in dtypes.items()}
    for a, b in mats.values():  # warm-up
        a @ b
    _sync(device)
    times = {k: [] for k in dtypes}
    for _ in range(repeats):
        for k, (a, b) in mats.items():
            _sync(device)
            t0 = time.perf_counter()
            for _ in range(inner):
                a @ b
            _sync(device)
            times[k].append((time.perf_counter() - t0) / inner)
    flops = 2.0 * n ** 3
    return {"n": n, "repeats": repeats, "inner": inner,
            **{f"{k}_gflops": flops / median(v) / 1e9 for k, v in times.items()},
            **{f"{k}_s": median(v) for k, v in times.items()}}


def gpu_bf16_peak(device) -> tuple[str | None, float | None]:
    import torch

    if torch.device(device).type != "cuda" or not torch.cuda.is_available():
        return None, None
    name = torch.cuda.get_device_name()
    for key, peak in GPU_BF16_PEAK:
        if key in name:
            return name, peak
    return name, None


# --------------------------------------------------------------------------- training: plain vs fast

class PlainPatchDataset:
    """BasicSR-style paired dataset: per sample, a random HR crop from the uint8 patches, a random
    flip/rotation in numpy, and the MATLAB-bicubic degradation in numpy (``matlab_imresize``)."""

    def __init__(self, patches: np.ndarray, scale: int, hr_patch: int, length: int = 10 ** 6, seed: int = 0):
        self.patches, self.scale, self.hr_patch, self.length, self.seed = patches, scale, hr_patch, length, seed
        self.rng = None

    def __len__(self):
        return self.length

    def __getitem__(self, i):
        import torch

        from paperlib.data.degrade import matlab_imresize
        from paperlib.data.patches import augment_np, random_crop_pair

        if self.rng is None:  # one generator per worker process
            import torch.utils.data as tud

            info = tud.get_worker_info()
            self.rng = np.random.default_rng(self.seed + (info.id if info else 0))
        rng = self.rng
        img = self.patches[int(rng.integers(len(self.patches)))]
        hr = random_crop_pair(img, self.hr_patch, rng)
        hr = augment_np(hr, bool(rng.integers(2)), int(rng.integers(4))).astype(np.float32) / 255.0
        lr = matlab_imresize(hr, scale=1.0 / self.scale).astype(np.float32)
        return torch.from_numpy(lr)[None], torch.from_numpy(hr)[None]


class Trainer:
    """One training configuration (model + Adam + data source), kept alive across interleaved repeats.

    mode 'plain': fp32 eager NCHW, ``torch.utils.data.DataLoader`` over :class:`PlainPatchDataset`.
    mode 'fast': ``PatchSampler`` batches and :func:`paperlib.precision.fast_path` (channels_last,
    bf16 autocast where supported, fp32 output layer), optional ``torch.compile``.
    """

    def __init__(self, mode, name, scale, options, patches, device, batch, lr_patch, workers=1,
                 compile=False, seed=0):
        import torch

        from paperlib import models
        from paperlib.data.patches import PatchSampler
        from paperlib.precision import fast_path

        self.mode, self.device, self.batch = mode, torch.device(device), batch
        torch.manual_seed(seed)
        model = models.create(name, scale=scale, in_channels=1, **options).to(device).train()
        self.params = models.count_parameters(model)
        self.hr_patch = lr_patch * scale
        model, self.precision = fast_path(model, device, enabled=mode == "fast")
        self.bf16 = self.precision.bf16_autocast
        self.channels_last = self.precision.channels_last
        self.compiled = mode == "fast" and compile
        if mode == "fast":
            self.sampler = PatchSampler(patches, scale, self.hr_patch, batch, seed=seed, device=device)
        else:
            ds = PlainPatchDataset(patches, scale, self.hr_patch, seed=seed)
            self.loader = torch.utils.data.DataLoader(
                ds, batch_size=batch, shuffle=False, num_workers=workers, drop_last=True,
                pin_memory=self.device.type == "cuda", persistent_workers=workers > 0,
                prefetch_factor=2 if workers > 0 else None)
            self.workers = workers
            self.it = iter(self.loader)
        self.model = model
        self.fwd = torch.compile(model) if self.compiled else model
        self.opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-4)

    def next_batch(self):
        import torch

        if self.mode == "fast":
            return self.sampler.next_batch()  # run_model puts the input in channels_last
        lr, hr = next(self.it)
        return lr.to(self.device, non_blocking=True), hr.to(self.device, non_blocking=True)

    def step(self):
        import torch

        from paperlib.precision import run_model

        lr, hr = self.next_batch()
        loss = torch.nn.functional.l1_loss(run_model(self.fwd, lr, self.precision), hr)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        return loss

    def timed(self, steps: int) -> dict:
        """Seconds per step over ``steps`` steps, and peak memory during them."""
        import torch

        cuda = self.device.type == "cuda"
        if cuda:
            torch.cuda.reset_peak_memory_stats()
        _sync(self.device)
        with RSSMonitor(child_pids=self.worker_pids()) as mon:
            t0 = time.perf_counter()
            for _ in range(steps):
                loss = self.step()
            _sync(self.device)
            dt = time.perf_counter() - t0
        if not torch.isfinite(loss):
            raise FloatingPointError(f"{self.mode}: loss {loss.item()}")
        return {"s_per_step": dt / steps,
                "peak_mem_bytes": torch.cuda.max_memory_allocated() if cuda else mon.peak}

    def worker_pids(self) -> list[int]:
        """PIDs of this configuration's DataLoader worker processes (plain mode)."""
        if self.mode != "plain":
            return []
        return [w.pid for w in getattr(self.it, "_workers", []) if getattr(w, "pid", None)]

    def close(self):
        if self.mode == "plain":
            del self.it
            self.loader = None


def busy_fraction(trainer: Trainer, steps: int = 2) -> dict:
    """Fraction of a training step's wall time spent in kernels, from the torch profiler.

    CUDA: sum of CUDA kernel self time / wall time (GPU-busy fraction).
    CPU: sum of aten op self time on the main thread / wall time (the rest is Python, data
    loading waits and framework overhead). Same code path, different activity.
    """
    import torch
    from torch.profiler import ProfilerActivity, profile

    cuda = trainer.device.type == "cuda"
    acts = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if cuda else [])
    trainer.step()  # warm
    _sync(trainer.device)
    with profile(activities=acts) as prof:
        t0 = time.perf_counter()
        for _ in range(steps):
            trainer.step()
        _sync(trainer.device)
        wall = time.perf_counter() - t0
    busy_us = 0.0
    if cuda:  # union of kernel/memcpy intervals on the device (overlapping streams counted once)
        spans = sorted((e.time_range.start, e.time_range.end) for e in prof.events()
                       if e.device_type == torch.autograd.DeviceType.CUDA)
        end = None
        for a, b in spans:
            if end is None or a > end:
                busy_us += b - a
                end = b
            elif b > end:
                busy_us += b - end
                end = b
    else:
        for e in prof.key_averages():
            if e.key.startswith("aten::"):
                busy_us += e.self_cpu_time_total
    return {"busy_fraction": min(1.0, busy_us / 1e6 / wall), "kind": "cuda kernels" if cuda else "cpu aten ops",
            "steps": steps, "wall_s": wall}


def bench_training(args, patches, peak: dict, log=print) -> list[dict]:
    import torch

    rows = []
    gpu_name, gpu_peak = gpu_bf16_peak(args.device)
    for name in args.models:
        for scale in scales_for(name, args.scales):
            for size in args.sizes:
                opts = model_options(name, size)
                if size == "quick" and not opts and "paper" in args.sizes:
                    continue  # quick == paper for this model; measured once
                trainers = {m: Trainer(m, name, scale, opts, patches, args.device, args.batch, args.lr_patch,
                                       workers=args.workers, compile=args.compile) for m in ("plain", "fast")}
                flops = train_step_flops(trainers["plain"].model, args.lr_patch, args.batch, args.device)
                for t in trainers.values():  # warm-up (DataLoader start, compile, allocator)
                    for _ in range(args.warmup):
                        t.step()
                res = {m: [] for m in trainers}
                for _ in range(args.repeats):
                    for m, t in trainers.items():
                        res[m].append(t.timed(args.steps))
                row = {"model": name, "scale": scale, "size": size, "options": opts,
                       "params": trainers["plain"].params, "batch": args.batch, "lr_patch": args.lr_patch,
                       "hr_patch": args.lr_patch * scale, "flops_per_step": flops}
                for m, t in trainers.items():
                    sps = median([r["s_per_step"] for r in res[m]])
                    ach = flops / sps / 1e9
                    row[m] = {"s_per_step": sps, "patches_per_s": args.batch / sps,
                              "s_per_step_all": [r["s_per_step"] for r in res[m]],
                              "peak_mem_bytes": max(r["peak_mem_bytes"] for r in res[m]),
                              "achieved_gflops": ach,
                              "fraction_of_bf16_matmul_peak": ach / peak["bf16_gflops"],
                              "fraction_of_fp32_matmul_peak": ach / peak["fp32_gflops"],
                              "mfu": (ach * 1e9 / gpu_peak) if gpu_peak else None,
                              "bf16_autocast": t.bf16, "channels_last": t.channels_last, "compiled": t.compiled}
                    if m == "plain":
                        row[m]["dataloader_workers"] = args.workers
                row["speedup"] = row["plain"]["s_per_step"] / row["fast"]["s_per_step"]
                if args.busy:
                    for m, t in trainers.items():
                        row[m]["busy"] = busy_fraction(t, steps=max(1, min(args.steps, 3)))
                for t in trainers.values():
                    t.close()
                del trainers
                rows.append(row)
                log(f"  train {name} x{scale} {size}: plain {row['plain']['s_per_step']:.3f} s/step, "
                    f"fast {row['fast']['s_per_step']:.3f} s/step, x{row['speedup']:.2f}")
                if args.device == "cuda":
                    torch.cuda.empty_cache()
    return rows


# --------------------------------------------------------------------------- inference

def fast_model(model, device, compile: bool = False):
    """``paperlib.precision.fast_path`` copy of ``model`` (+ compile); ``inference_time(fast=True)``
    uses a prepared (or prepared-then-compiled) model as is."""
    import torch

    from paperlib.precision import fast_path

    m, _ = fast_path(model, device)
    return torch.compile(m) if compile else m


def bench_inference(args, log=print) -> list[dict]:
    import torch

    from paperlib import models
    from paperlib.evaluate import inference_time
    from paperlib.runtime import bf16_supported

    rows = []
    for name in args.models:
        scales = [2, 3, 4] if name == "dridsr" else [4]
        for scale in scales:
            for size in args.sizes:
                opts = model_options(name, size)
                if size == "quick" and not opts and "paper" in args.sizes:
                    continue
                torch.manual_seed(0)
                base = models.create(name, scale=scale, in_channels=1, **opts).to(args.device).eval()
                variants = {"eager_fp32": (base, False), "fast": (fast_model(base, args.device, args.compile), True)}
                lr = INFER_LR[scale]
                for m, f in variants.values():  # warm-up (and compile)
                    inference_time(m, (lr, lr), args.device, repeats=1, warmup=max(1, args.warmup), fast=f)
                times = {k: [] for k in variants}
                for _ in range(args.repeats):
                    for k, (m, f) in variants.items():
                        times[k].append(inference_time(m, (lr, lr), args.device, repeats=args.infer_iters,
                                                       warmup=0, fast=f)["median_s"])
                row = {"model": name, "scale": scale, "size": size, "options": opts, "lr_shape": [lr, lr],
                       "out_shape": [lr * scale, lr * scale], "bf16_autocast": bf16_supported(args.device),
                       "compiled": args.compile, "iters_per_repeat": args.infer_iters}
                for k in variants:
                    row[f"{k}_ms"] = 1e3 * median(times[k])
                row["speedup"] = row["eager_fp32_ms"] / row["fast_ms"]
                rows.append(row)
                log(f"  infer {name} x{scale} {size} {lr}->{lr * scale}: eager {row['eager_fp32_ms']:.1f} ms, "
                    f"fast {row['fast_ms']:.1f} ms")
    return rows


# --------------------------------------------------------------------------- volume

def bench_volume(args, log=print) -> dict:
    """DRIDSR x2 over a real Lung-PET-CT-Dx series: ``sr_hu_batch`` over ``--volume-slices`` slices
    (the real slices cycled, batches built on the fly, outputs discarded: memory stays bounded by a
    batch), plus one end-to-end ``upscale_series`` on the real series into a temporary folder."""
    import torch

    from paperlib import models
    from paperlib.config import data_root
    from paperlib.data.dicom import find_series, read_dicom_hu
    from paperlib.upscale import sr_hu_batch, upscale_series

    root = data_root() / "lung-pet-ct-dx"
    if not root.is_dir():
        return {"skipped": f"{root} not found"}
    series = find_series(root, warn_duplicates=False)
    if not series:
        return {"skipped": f"no CT series under {root}"}
    s = series[0]
    torch.manual_seed(0)
    model = models.create("dridsr", scale=2).to(args.device).eval()
    real = np.stack([read_dicom_hu(f)[0] for f in s.files])
    n, bs = args.volume_slices, args.volume_batch
    sr_hu_batch(model, real[:1], 2, device=args.device)  # warm-up
    with RSSMonitor() as mon:
        base = mon.current()
        if args.device == "cuda":
            torch.cuda.reset_peak_memory_stats()
        t0 = time.perf_counter()
        done = 0
        while done < n:
            k = min(bs, n - done)
            idx = [(done + j) % len(real) for j in range(k)]
            out = sr_hu_batch(model, real[idx], 2, device=args.device)
            done += k
            del out
        dt = time.perf_counter() - t0
    res = {"series": {"patient": s.patient_id, "description": s.description, "n_slices": s.n_slices,
                      "shape": list(real.shape[1:])},
           "model": "dridsr", "scale": 2, "precision": "fp32 eager (as paperlib.upscale runs it)",
           "slices": n, "batch": bs, "seconds": dt, "slices_per_s": n / dt,
           "rss_before_bytes": base, "peak_rss_bytes": mon.peak, "peak_rss_delta_bytes": mon.peak - base,
           "gpu_peak_mem_bytes": torch.cuda.max_memory_allocated() if args.device == "cuda" else None}
    log(f"  volume sr_hu_batch: {n} slices in {dt:.1f} s ({n / dt:.2f} slices/s), "
        f"peak RSS +{(mon.peak - base) / 2**20:.0f} MiB over {base / 2**20:.0f} MiB")
    if not args.skip_e2e:
        with tempfile.TemporaryDirectory() as tmp, RSSMonitor() as mon2:
            t0 = time.perf_counter()
            written = upscale_series(model, s, Path(tmp) / "out", 2, "dridsr", "bench-untrained",
                                     device=args.device, batch=bs, progress=False)
            dt2 = time.perf_counter() - t0
        res["upscale_series"] = {"slices": len(written), "seconds": dt2, "slices_per_s": len(written) / dt2,
                                 "peak_rss_bytes": mon2.peak}
        log(f"  volume upscale_series (read+SR+write DICOM): {len(written)} slices in {dt2:.1f} s")
    return res


# --------------------------------------------------------------------------- report

def targets(result: dict) -> list[dict]:
    """Targets beside the measured values (reported, never asserted)."""
    out = []
    cuda = result["flags"]["device"] == "cuda"
    for r in result.get("training", []):
        if r["model"] in TARGETS["train_speedup_models"]:
            out.append({"target": f"train fast/plain {r['model']} x{r['scale']} {r['size']}",
                        "want": f">= {TARGETS['train_speedup_min']}x", "got": round(r["speedup"], 2),
                        "pass": r["speedup"] >= TARGETS["train_speedup_min"]})
    if result.get("training"):
        best = max(result["training"], key=lambda r: r["fast"]["fraction_of_bf16_matmul_peak"])
        f = best["fast"]["fraction_of_bf16_matmul_peak"]
        out.append({"target": f"achieved / bf16 matmul peak (best: {best['model']} x{best['scale']} fast)",
                    "want": f">= {TARGETS['achieved_fraction_of_bf16_peak_min']}", "got": round(f, 3),
                    "pass": f >= TARGETS["achieved_fraction_of_bf16_peak_min"]})
    for r in result.get("inference", []):
        if r["model"] == "dridsr" and r["scale"] == 4:
            lim = TARGETS["dridsr_x4_infer_ms_gpu_max" if cuda else "dridsr_x4_infer_ms_cpu_max"]
            out.append({"target": f"DRIDSR x4 512x512 inference (fast) {r['size']}", "want": f"< {lim} ms",
                        "got": round(r["fast_ms"], 2), "pass": r["fast_ms"] < lim})
            if cuda:
                lim2 = TARGETS["dridsr_x4_infer_speedup_gpu_min"]
                out.append({"target": "DRIDSR x4 inference fast/eager", "want": f">= {lim2}x",
                            "got": round(r["speedup"], 2), "pass": r["speedup"] >= lim2})
    return out


def _mib(b):
    return f"{b / 2**20:.0f}" if b is not None else "-"


def markdown(result: dict) -> str:
    hw, fl = result["hardware"], result["flags"]
    pk = result["matmul_peak"]
    L = [f"# paperlib benchmark {result['timestamp']}", "",
         f"- device: {fl['device']} ({hw.get('gpu') or hw.get('cpu')}), threads {result['threads']}, "
         f"torch {result['torch']}, commit {result['git_commit']}",
         f"- flags: `{' '.join(result['argv'])}`",
         f"- matmul peak (n={pk['n']}): fp32 {pk['fp32_gflops']:.0f} GFLOP/s, bf16 {pk['bf16_gflops']:.0f} GFLOP/s"
         + (f"; card bf16 dense peak {result['gpu_bf16_peak_tflops']} TFLOP/s" if result.get("gpu_bf16_peak_tflops") else ""),
         ""]
    if result.get("training"):
        L += ["## Training throughput (median s/step; plain = fp32 eager NCHW + DataLoader with numpy "
              f"MATLAB-bicubic, {fl['workers']} worker(s); fast = PatchSampler + channels_last"
              + (" + bf16" if result["training"][0]["fast"]["bf16_autocast"] else "")
              + (" + compile" if fl["compile"] else "") + ")", "",
              "| model | x | size | params | GFLOP/step | plain s/step | fast s/step | plain patch/s | fast patch/s "
              "| fast/plain | plain GFLOP/s | fast GFLOP/s | fast / bf16 peak | fast / fp32 peak | plain peak MiB "
              "| fast peak MiB | busy plain | busy fast | MFU |",
              "|" + "---|" * 19]
        for r in result["training"]:
            p, f = r["plain"], r["fast"]
            bz = lambda d: f"{d['busy']['busy_fraction']:.2f}" if "busy" in d else "-"  # noqa: E731
            mfu = f"{f['mfu']:.3f}" if f["mfu"] is not None else "-"
            L.append(f"| {r['model']} | {r['scale']} | {r['size']} | {r['params']:,} | {r['flops_per_step'] / 1e9:.1f} "
                     f"| {p['s_per_step']:.3f} | {f['s_per_step']:.3f} | {p['patches_per_s']:.1f} | {f['patches_per_s']:.1f} "
                     f"| {r['speedup']:.2f} | {p['achieved_gflops']:.1f} | {f['achieved_gflops']:.1f} "
                     f"| {f['fraction_of_bf16_matmul_peak']:.3f} | {f['fraction_of_fp32_matmul_peak']:.3f} "
                     f"| {_mib(p['peak_mem_bytes'])} | {_mib(f['peak_mem_bytes'])} | {bz(p)} | {bz(f)} | {mfu} |")
        L.append("")
    if result.get("inference"):
        L += ["## Inference, one ~512x512 output slice (median ms)", "",
              "| model | x | size | LR -> out | eager fp32 ms | fast ms | fast/eager |", "|---|---|---|---|---|---|---|"]
        for r in result["inference"]:
            L.append(f"| {r['model']} | {r['scale']} | {r['size']} | {r['lr_shape'][0]} -> {r['out_shape'][0]} "
                     f"| {r['eager_fp32_ms']:.1f} | {r['fast_ms']:.1f} | {r['speedup']:.2f} |")
        L.append("")
    v = result.get("volume")
    if v and "skipped" not in v:
        L += ["## Volume (DRIDSR x2, fp32 eager, untrained weights)", "",
              f"- `sr_hu_batch`: {v['slices']} slices of {v['series']['shape']} (real series of "
              f"{v['series']['n_slices']} cycled), batch {v['batch']}: {v['seconds']:.1f} s, "
              f"{v['slices_per_s']:.2f} slices/s, peak RSS {_mib(v['peak_rss_bytes'])} MiB "
              f"(+{_mib(v['peak_rss_delta_bytes'])} MiB during the run)"]
        if "upscale_series" in v:
            u = v["upscale_series"]
            L.append(f"- `upscale_series` end to end (read DICOM, SR, write derived DICOM): {u['slices']} slices "
                     f"in {u['seconds']:.1f} s ({u['slices_per_s']:.2f} slices/s), peak RSS {_mib(u['peak_rss_bytes'])} MiB")
        L.append("")
    elif v:
        L += [f"## Volume: skipped ({v['skipped']})", ""]
    if result.get("targets"):
        L += ["## Targets (reported, not asserted)", "", "| target | want | got | |", "|---|---|---|---|"]
        for t in result["targets"]:
            L.append(f"| {t['target']} | {t['want']} | {t['got']} | {'PASS' if t['pass'] else 'MISS'} |")
        L.append("")
    return "\n".join(L)


def default_out(device: str) -> Path:
    import torch

    if device == "cuda" and torch.cuda.is_available():
        tag = torch.cuda.get_device_name()
    else:
        tag = socket.gethostname() or platform.node() or "cpu"
    tag = re.sub(r"[^A-Za-z0-9._-]+", "-", tag).strip("-") or device
    return RESULTS_DIR / f"{tag}_{device}_{time.strftime('%Y-%m-%d_%H%M%S')}.json"


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    p.add_argument("--models", default=DEFAULT_MODELS, help="comma-separated registry names")
    p.add_argument("--scales", default="4", help="comma-separated training scales (DRIDSR: also x3 when this is '4')")
    p.add_argument("--size", default="quick", choices=["quick", "paper", "both"],
                   help="model size: paper = registry defaults; quick = IDMAN/RCAN reduced")
    p.add_argument("--repeats", type=int, default=3, help="interleaved repeats; the median is reported")
    p.add_argument("--steps", type=int, default=5, help="training steps per timed measurement")
    p.add_argument("--warmup", type=int, default=2, help="untimed warm-up steps / passes per configuration")
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--lr-patch", type=int, default=48, help="LR patch side (HR = lr_patch * scale)")
    p.add_argument("--workers", type=int, default=1, help="DataLoader workers of the plain loop")
    p.add_argument("--compile", action="store_true", help="torch.compile the fast path (training and inference)")
    p.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (default: torch's choice)")
    p.add_argument("--matmul-n", type=int, default=None, help="matmul side (default 2048 on CPU, 8192 on CUDA)")
    p.add_argument("--infer-iters", type=int, default=5, help="forward passes per inference repeat")
    p.add_argument("--no-busy", dest="busy", action="store_false", help="skip the profiler busy-fraction pass")
    p.add_argument("--skip-train", action="store_true")
    p.add_argument("--skip-inference", action="store_true")
    p.add_argument("--skip-volume", action="store_true")
    p.add_argument("--skip-e2e", action="store_true", help="skip the end-to-end upscale_series (DICOM write)")
    p.add_argument("--volume-slices", type=int, default=300)
    p.add_argument("--volume-batch", type=int, default=8)
    p.add_argument("--out", type=Path, default=None, help="JSON path (the .md goes next to it)")
    a = p.parse_args(argv)
    a.models = [m.strip() for m in a.models.split(",") if m.strip()]
    a.scales = [int(s) for s in a.scales.split(",") if s.strip()]
    a.sizes = ["quick", "paper"] if a.size == "both" else [a.size]
    if a.matmul_n is None:
        a.matmul_n = 8192 if a.device == "cuda" else 2048
    if a.compile:
        a.warmup = max(a.warmup, 1)  # never time the compilation
    return a


def run(argv=None, patches=None, log=print) -> dict:
    """Run the suite; returns the result dict (also written to JSON + Markdown).

    ``patches``: uint8 (N, H, W) HR patches (default: the prepared COVID-CT paper split).
    """
    import torch

    from paperlib.runtime import git_commit, hardware_info

    args = parse_args(argv)
    if args.device == "cuda" and not torch.cuda.is_available():
        raise SystemExit("--device cuda: no CUDA device available")
    if args.threads:
        torch.set_num_threads(args.threads)
    t_start = time.perf_counter()
    gpu_name, gpu_peak = gpu_bf16_peak(args.device)
    result = {"timestamp": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "argv": list(argv if argv is not None else sys.argv[1:]),
              "flags": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
              "hardware": hardware_info(args.device), "torch": torch.__version__, "git_commit": git_commit(),
              "threads": torch.get_num_threads(), "interop_threads": torch.get_num_interop_threads(),
              "hostname": socket.gethostname(), "gpu_name": gpu_name,
              "gpu_bf16_peak_tflops": gpu_peak / 1e12 if gpu_peak else None,
              "notes": {"plain": f"fp32 eager NCHW; torch DataLoader, num_workers={args.workers}, per-sample numpy "
                                 "random crop + flip/rot + matlab_imresize degradation",
                        "fast": "PatchSampler (in-memory, batched torch degradation), paperlib.precision.fast_path: "
                                "channels_last, bf16 autocast where paperlib.runtime.bf16_supported, the model's "
                                "declared output layer in fp32"
                                + (", torch.compile" if args.compile else ", no torch.compile"),
                        "flops": "FlopCounterMode, forward+backward of the model only (conv/matmul), counted at batch 1 "
                                 "in fp32 and multiplied by the batch",
                        "peak_mem": "CPU: peak RSS sampled every 10 ms during the timed steps, of this process (plain: "
                                    "+ its DataLoader workers' RSS, which double-counts shared library pages). The "
                                    "main process holds both interleaved configurations (models, optimisers, the "
                                    "patches), so compare plain vs fast by their difference, not as absolute "
                                    "footprints. CUDA: torch.cuda.max_memory_allocated",
                        "busy": "CUDA: kernel time / wall time of training steps (profiler); CPU: aten op self time "
                                "on the main thread / wall time",
                        "inference": "paperlib.evaluate.inference_time, batch 1; fast = channels_last + bf16 autocast "
                                     "(where supported) + fp32 output layer; x3 uses LR 171 -> 513x513"}}
    log(f"paperlib bench: device {args.device}, {result['threads']} threads, torch {torch.__version__}")
    result["matmul_peak"] = matmul_peak(args.device, args.matmul_n, repeats=max(3, args.repeats),
                                        inner=20 if args.device == "cuda" else 3)
    pk = result["matmul_peak"]
    log(f"  matmul {pk['n']}: fp32 {pk['fp32_gflops']:.0f} GFLOP/s, bf16 {pk['bf16_gflops']:.0f} GFLOP/s")
    if not args.skip_train:
        if patches is None:
            from paperlib.data.cache import load_prepared_covid_ct

            patches = load_prepared_covid_ct("paper", seed=0, progress=False).train_patches
        result["n_train_patches"] = int(len(patches))
        result["training"] = bench_training(args, patches, pk, log)
    if not args.skip_inference:
        result["inference"] = bench_inference(args, log)
    if not args.skip_volume:
        result["volume"] = bench_volume(args, log)
    result["targets"] = targets(result)
    result["ru_maxrss_bytes"] = ru_maxrss_bytes()
    result["wall_s"] = time.perf_counter() - t_start
    out = args.out or default_out(args.device)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, default=str))
    md = markdown(result)
    out.with_suffix(".md").write_text(md + "\n")
    result["json_path"], result["md_path"] = str(out), str(out.with_suffix(".md"))
    log("")
    log(md)
    log(f"wrote {out} and {out.with_suffix('.md')} ({result['wall_s']:.0f} s)")
    return result


def main(argv=None):
    os.environ.setdefault("TQDM_DISABLE", "1")
    run(argv)


if __name__ == "__main__":
    main()
