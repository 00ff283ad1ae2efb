"""Training throughput: a plain BasicSR-style loop against paperlib's own trainer on the fast path.

* **plain** (:class:`PlainArm`) - the comparison, the loop users write today: fp32 eager NCHW, a
  ``torch.utils.data.DataLoader`` whose Dataset crops, flips/rotates and MATLAB-bicubic-degrades
  every sample in numpy, Adam, L1.
* **fast** (:class:`FastArm`) - the project's one training loop: :class:`paperlib.train.Trainer`
  built from ``TrainConfig.make(model, scale, "smoke", batch_size=..., hr_patch=..., iterations=...)``
  with ``fast_path=True`` (``PatchSampler`` batches, channels_last, bf16 autocast where supported,
  the output layer in fp32), timed through ``trainer.step()``.

Both arms are built first and then timed interleaved (plain, fast, plain, fast, ...); the median
over the repeats is reported.
"""

from __future__ import annotations

import tempfile
import time

import numpy as np

from paperlib.flops import train_step_flops

from .common import RSSMonitor, configurations, median, sync

# Candidate changes to the fast path, each timed as a third arm beside plain and fast in the same
# process (`--candidates compile`); a candidate is adopted only when this comparison shows a gain.
CANDIDATES = {"compile": {"compile": True}}
CANDIDATE_ARM = {"compile": "fast+compile"}


def scales_for(name: str, scales: list[int]) -> list[int]:
    """DRIDSR is also measured at x3 by default (the paper's Table 1 scales)."""
    out = list(scales)
    if name == "dridsr" and 3 not in out and out == [4]:
        out = [3, 4]
    return out


class PlainPatchDataset:
    """BasicSR-style paired dataset: per sample, a random HR crop from the uint8 patches, a random
    flip/rotation in numpy, and the MATLAB-bicubic degradation in numpy (``matlab_imresize``)."""

    def __init__(self, patches: np.ndarray, scale: int, hr_patch: int, length: int = 10**6, seed: int = 0):
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


class PlainArm:
    """The baseline: fp32 eager NCHW model, Adam (lr 1e-4), L1, DataLoader over :class:`PlainPatchDataset`."""

    mode, bf16, channels_last, compiled = "plain", False, False, False

    def __init__(self, name, scale, options, patches, device, batch, lr_patch, workers=1, seed=0):
        import torch

        from paperlib import models

        self.device = torch.device(device)
        torch.manual_seed(seed)
        self.model = models.create(name, scale=scale, in_channels=1, **options).to(device).train()
        self.params = models.count_parameters(self.model)
        ds = PlainPatchDataset(patches, scale, lr_patch * scale, seed=seed)
        self.loader = torch.utils.data.DataLoader(
            ds,
            batch_size=batch,
            shuffle=False,
            num_workers=workers,
            drop_last=True,
            pin_memory=self.device.type == "cuda",
            persistent_workers=workers > 0,
            prefetch_factor=2 if workers > 0 else None,
        )
        self.workers, self.it = workers, iter(self.loader)
        self.opt = torch.optim.Adam([p for p in self.model.parameters() if p.requires_grad], lr=1e-4)

    def step(self) -> float:
        import torch

        lr, hr = next(self.it)
        lr, hr = lr.to(self.device, non_blocking=True), hr.to(self.device, non_blocking=True)
        loss = torch.nn.functional.l1_loss(self.model(lr), hr)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        if not torch.isfinite(loss):
            raise FloatingPointError(f"plain: loss {loss.item()}")
        return float(loss.item())

    def worker_pids(self) -> list[int]:
        """PIDs of the DataLoader worker processes (their RSS counts in the peak)."""
        return [w.pid for w in getattr(self.it, "_workers", []) if getattr(w, "pid", None)]

    def close(self):
        del self.it
        self.loader = None


class FastArm:
    """paperlib's training loop: a :class:`paperlib.train.Trainer` on the fast path, stepped by ``step()``.

    The run directory goes to ``runs`` (a temporary folder); nothing is checkpointed. The trainer
    uses the schedule's loss and learning rate of the model's paper (Adam either way).
    """

    mode = "fast"

    def __init__(self, name, scale, options, patches, device, batch, lr_patch, runs, compile=False, seed=0):
        import torch

        from paperlib import models
        from paperlib.data.cache import Prepared
        from paperlib.train import TrainConfig, Trainer

        cfg = TrainConfig.make(
            name,
            scale,
            "smoke",
            options=dict(options),
            seed=seed,
            device=device,
            compile=compile,
            fast_path=True,
            batch_size=batch,
            hr_patch=lr_patch * scale,
            iterations=10**9,
            n_train_patches=None,
        )
        data = Prepared(np.asarray(patches), [], [], {"dataset": "bench", "n_train_patches": len(patches)})
        self.trainer = Trainer(cfg, data, runs=runs)
        self.device = torch.device(device)
        self.params = models.count_parameters(self.trainer.model)
        p = self.trainer.precision
        self.bf16, self.channels_last, self.compiled = p.bf16_autocast, p.channels_last, compile

    def step(self) -> float:
        return self.trainer.step()

    def worker_pids(self) -> list[int]:
        return []

    def close(self):
        self.trainer = None


def timed(arm, steps: int) -> dict:
    """Seconds per step over ``steps`` steps, and peak memory during them (CUDA: max allocated)."""
    import torch

    cuda = arm.device.type == "cuda"
    if cuda:
        torch.cuda.reset_peak_memory_stats()
    sync(arm.device)
    with RSSMonitor(child_pids=arm.worker_pids()) as mon:
        t0 = time.perf_counter()
        for _ in range(steps):
            arm.step()
        sync(arm.device)
        dt = time.perf_counter() - t0
    return {"s_per_step": dt / steps, "peak_mem_bytes": torch.cuda.max_memory_allocated() if cuda else mon.peak}


def busy_fraction(arm, steps: int = 2) -> dict:
    """Fraction of a training step's wall time spent in kernels, from the torch profiler.

    CUDA: union of CUDA kernel intervals / wall time (GPU-busy fraction).
    CPU: sum of aten op self time on the main thread / wall time (the rest is Python, data
    loading waits and framework overhead). Same code path, different activity.
    """
    from torch.profiler import ProfilerActivity, profile

    cuda = arm.device.type == "cuda"
    acts = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if cuda else [])
    arm.step()  # warm
    sync(arm.device)
    with profile(activities=acts) as prof:
        t0 = time.perf_counter()
        for _ in range(steps):
            arm.step()
        sync(arm.device)
        wall = time.perf_counter() - t0
    busy_us = (
        _cuda_busy_us(prof)
        if cuda
        else sum(e.self_cpu_time_total for e in prof.key_averages() if e.key.startswith("aten::"))
    )
    return {
        "busy_fraction": min(1.0, busy_us / 1e6 / wall),
        "kind": "cuda kernels" if cuda else "cpu aten ops",
        "steps": steps,
        "wall_s": wall,
    }


def _cuda_busy_us(prof) -> float:
    """Union of the device-side event intervals (overlapping streams counted once), in us."""
    import torch

    spans = sorted(
        (e.time_range.start, e.time_range.end) for e in prof.events() if e.device_type == torch.autograd.DeviceType.CUDA
    )
    busy, end = 0.0, None
    for a, b in spans:
        if end is None or a > end:
            busy, end = busy + b - a, b
        elif b > end:
            busy, end = busy + b - end, b
    return busy


def _arm_row(arm, runs: list[dict], flops: int, batch: int, peak: dict, gpu_peak) -> dict:
    sps = median([r["s_per_step"] for r in runs])
    ach = flops / sps / 1e9
    return {
        "s_per_step": sps,
        "patches_per_s": batch / sps,
        "s_per_step_all": [r["s_per_step"] for r in runs],
        "peak_mem_bytes": max(r["peak_mem_bytes"] for r in runs),
        "achieved_gflops": ach,
        "fraction_of_bf16_matmul_peak": ach / peak["bf16_gflops"],
        "fraction_of_fp32_matmul_peak": ach / peak["fp32_gflops"],
        "mfu": (ach * 1e9 / gpu_peak) if gpu_peak else None,
        "bf16_autocast": arm.bf16,
        "channels_last": arm.channels_last,
        "compiled": arm.compiled,
    }


def measure_pair(args, name, scale, size, opts, patches, peak: dict, gpu_peak, runs) -> dict:
    """Build both arms, warm them up, time them interleaved; one result row."""
    arms = {
        "plain": PlainArm(name, scale, opts, patches, args.device, args.batch, args.lr_patch, args.workers),
        "fast": FastArm(name, scale, opts, patches, args.device, args.batch, args.lr_patch, runs, args.compile),
    }
    for cand in getattr(args, "candidates", []):
        arms[CANDIDATE_ARM[cand]] = FastArm(
            name, scale, opts, patches, args.device, args.batch, args.lr_patch, runs, **CANDIDATES[cand]
        )
    flops = train_step_flops(arms["plain"].model, args.lr_patch, args.batch, args.device)
    warm_s = {}
    for m, arm in arms.items():  # warm-up (DataLoader start, compile, allocator)
        t0 = time.perf_counter()
        for _ in range(args.warmup if m in ("plain", "fast") else max(args.warmup, 1)):  # never time a compile
            arm.step()
        warm_s[m] = time.perf_counter() - t0
    res = {m: [] for m in arms}
    for _ in range(args.repeats):
        for m, arm in arms.items():
            res[m].append(timed(arm, args.steps))
    row = {
        "model": name,
        "scale": scale,
        "size": size,
        "options": opts,
        "params": arms["plain"].params,
        "batch": args.batch,
        "lr_patch": args.lr_patch,
        "hr_patch": args.lr_patch * scale,
        "flops_per_step": flops,
    }
    for m, arm in arms.items():
        row[m] = _arm_row(arm, res[m], flops, args.batch, peak, gpu_peak)
        if args.busy:
            row[m]["busy"] = busy_fraction(arm, steps=max(1, min(args.steps, 3)))
        arm.close()
    row["plain"]["dataloader_workers"] = args.workers
    row["fast"]["loop"] = "paperlib.train.Trainer.step"
    row["speedup"] = row["plain"]["s_per_step"] / row["fast"]["s_per_step"]
    for m in arms:
        if m not in ("plain", "fast"):
            row[m]["warmup_s"] = warm_s[m]
            row[m]["vs_fast"] = row["fast"]["s_per_step"] / row[m]["s_per_step"]
    return row


def bench_training(args, patches, peak: dict, gpu_peak=None, log=print) -> list[dict]:
    """One row per (model, scale, size): plain vs fast s/step, FLOPs, fraction of peak, memory, busy."""
    import torch

    rows = []
    with tempfile.TemporaryDirectory(prefix="paperlib-bench-runs-") as runs:
        for name, scale, size, opts in configurations(args, lambda n: scales_for(n, args.scales)):
            row = measure_pair(args, name, scale, size, opts, patches, peak, gpu_peak, runs)
            rows.append(row)
            extra = "".join(
                f", {CANDIDATE_ARM[c]} {row[CANDIDATE_ARM[c]]['s_per_step']:.3f} s/step"
                for c in getattr(args, "candidates", [])
            )
            log(
                f"  train {name} x{scale} {size}: plain {row['plain']['s_per_step']:.3f} s/step, "
                f"fast {row['fast']['s_per_step']:.3f} s/step, x{row['speedup']:.2f}{extra}"
            )
            if args.device == "cuda":
                torch.cuda.empty_cache()
    return rows
