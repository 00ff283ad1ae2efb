"""The training loop: L1 + Adam + step schedule, a run directory per configuration, exact resume.

A run directory ``<runs>/<model>_x<scale>_<profile>_<key>/`` holds:

* ``manifest.json``: the full configuration (model and options, scale, profile, resolved plan,
  data and split, seed, fast-path settings), hardware, library versions, git commit, status;
* ``last.pt``: the resumable checkpoint (model, optimiser, scheduler, step, sampler and torch
  RNG states, the logs so far), written atomically (temporary file, ``fsync``, rename);
* ``weights.pt``: final weights only (small), written when training completes;
* ``log.csv`` (step, loss, lr, seconds) and ``val.csv`` (step, psnr, ssim on validation images),
  rewritten from the checkpoint's copy at each checkpoint so they always agree with it.

``key`` is a hash of the configuration, so a run made under other settings is never reused.
Killing the process at any moment and calling :func:`train` again resumes from ``last.pt``
and ends with the same weights as an uninterrupted run (tested with a real SIGKILL).
"""
from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .config import runs_root
from .errors import CheckpointError
from .profiles import get_profile, train_plan
from .runtime import autocast, bf16_supported, git_commit, hardware_info, keep_output_fp32

PAPER_OF_MODEL = {"idman": "idman", "edsr": "idman", "edsr_baseline": "idman", "mdsr": "idman", "rdn": "idman",
                  "rcan": "idman", "drrn": "idman", "fsrcnn": "idman"}


def distributed_context(device):
    """``(world_size, rank, device)``; initialises torch.distributed when launched by ``torchrun``.

    Multi-GPU (or multi-process CPU) training is plain DistributedDataParallel: ``torchrun
    --nproc_per_node N -m paperlib train ...``. Each rank draws ``batch / N`` patches from its
    own seeded sampler, so the global batch equals the single-process one; rank 0 alone writes
    the run directory.
    """
    import torch
    import torch.distributed as dist

    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return 1, 0, device
    if not dist.is_initialized():
        dist.init_process_group("nccl" if torch.device(device).type == "cuda" else "gloo")
    rank = dist.get_rank()
    if torch.device(device).type == "cuda":
        device = f"cuda:{int(os.environ.get('LOCAL_RANK', rank % max(1, torch.cuda.device_count())))}"
        torch.cuda.set_device(device)
    return world, rank, device


def paper_for(model_name: str) -> str:
    """Which paper's schedule trains a model by default (DRIDSR's for its own Table 1 methods)."""
    return PAPER_OF_MODEL.get(model_name, "dridsr")


def config_key(config: dict) -> str:
    return hashlib.sha256(json.dumps(config, sort_keys=True, default=str).encode()).hexdigest()[:10]


def atomic_write_bytes(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def atomic_torch_save(obj, path: Path) -> None:
    import io

    import torch

    buf = io.BytesIO()
    torch.save(obj, buf)
    atomic_write_bytes(path, buf.getvalue())


def load_checkpoint(path: Path, map_location="cpu") -> dict:
    """``torch.load(weights_only=True)`` with a clear error for a corrupt or truncated file."""
    import torch

    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: checkpoint not found")
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except Exception as e:  # zip/pickle errors differ by torch version
        raise CheckpointError(f"{path}: checkpoint is corrupt or truncated ({type(e).__name__}: {e}). "
                              "It was left in place; delete it (or pass restart=True) to train from scratch") from e


def _write_csv(path: Path, header: list[str], rows: list) -> None:
    lines = [",".join(header)] + [",".join(f"{v:.6g}" if isinstance(v, float) else str(v) for v in r) for r in rows]
    atomic_write_bytes(path, ("\n".join(lines) + "\n").encode())


@dataclass
class Run:
    """A training run on disk."""

    path: Path

    @property
    def manifest(self) -> dict:
        return json.loads((self.path / "manifest.json").read_text())

    @property
    def complete(self) -> bool:
        return (self.path / "weights.pt").is_file() and self.manifest.get("status") == "complete"

    def load_model(self, device="cpu"):
        """The trained model (from ``weights.pt``) in eval mode."""
        from . import models

        m = self.manifest
        model = models.create(m["config"]["model"], scale=m["config"]["scale"], in_channels=1,
                              **m["config"]["options"])
        if (self.path / "weights.pt").is_file():
            state = load_checkpoint(self.path / "weights.pt")
            model.load_state_dict(state["model"])
        elif sum(p.numel() for p in model.parameters()) > 0:
            raise CheckpointError(f"{self.path}: run has no weights.pt (training not finished)")
        return model.to(device).eval()

    def log(self):
        import pandas as pd

        return pd.read_csv(self.path / "log.csv")

    def val_log(self):
        import pandas as pd

        p = self.path / "val.csv"
        return pd.read_csv(p) if p.exists() else pd.DataFrame(columns=["step", "psnr", "ssim"])


def _validate(model, val_images, scale, device, fast, protocol):
    from .evaluate import sr_metrics

    rows = [sr_metrics(model, img, scale, device, fast=fast, protocol=protocol) for _, _, img in val_images]
    return float(np.mean([r["psnr"] for r in rows])), float(np.mean([r["ssim"] for r in rows]))


def train(model_name: str, scale: int, profile="quick", *, data=None, options: dict | None = None, seed: int = 0,
          paper: str | None = None, device="cpu", fast_path: bool | None = None, compile: bool = False,
          runs=None, progress: bool = True, restart: bool = False, data_root=None, stop_at: int | None = None,
          **profile_overrides) -> Run:
    """Train (or resume, or reuse) one model and return its :class:`Run`.

    Args:
        model_name: registry name (``paperlib.models.list_models()``).
        scale: 2, 3 or 4.
        profile: ``smoke`` / ``quick`` / ``paper`` or a :class:`~paperlib.profiles.Profile`.
        data: a :class:`~paperlib.data.cache.PreparedCovidCT` (default: the paper split, prepared).
        options: model constructor options (part of the run key).
        seed: seeds model initialisation and the batch sampler.
        paper: whose schedule (``dridsr`` or ``idman``); default by model.
        device: ``cpu`` or ``cuda``.
        fast_path: bf16 autocast + channels_last (default: the profile's setting minus its
            ``fp32_models``; bf16 only where supported). The precision is part of the run key.
        compile: ``torch.compile`` the model (not part of the key: numerics are the same to within float error).
        runs: root of run directories (default ``$PAPERLIB_RUNS`` or ``<repo>/runs``).
        restart: discard an existing unfinished checkpoint of this configuration.
        stop_at: checkpoint and return after this many steps (the run stays resumable, status
            ``running``); not part of the key, since stopping early changes nothing already trained.
        **profile_overrides: fields of the profile to override (e.g. ``iterations=50``).
    """
    import torch

    from . import models
    from .data.cache import load_prepared_covid_ct
    from .data.patches import PatchSampler
    from .metrics import Protocol

    prof = get_profile(profile, **profile_overrides)
    world, rank, device = distributed_context(device)
    if data is None:
        data = load_prepared_covid_ct("paper", seed=0, root=data_root, progress=progress)
    paper = paper or paper_for(model_name)
    patches = data.train_patches if prof.n_train_patches is None else data.train_patches[: prof.n_train_patches]
    plan = train_plan(prof, paper, scale, len(patches))
    fast = (prof.fast_path and model_name not in prof.fp32_models) if fast_path is None else fast_path
    use_bf16 = bool(fast and bf16_supported(device))
    config = {"model": model_name, "scale": scale, "options": options or {}, "seed": seed, "paper": paper,
              "profile": {k: v for k, v in prof.as_dict().items() if k not in ("note", "fp32_models")}, "plan": plan.as_dict(),
              "data": {k: data.manifest[k] for k in ("dataset", "scheme", "seed", "patch", "n_train_patches")}
              | {"n_used_patches": len(patches)},
              "precision": {"bf16_autocast": use_bf16, "channels_last": bool(fast), "fp32_output_layer": True}}
    if world > 1:
        if plan.batch_size % world:
            raise ValueError(f"batch {plan.batch_size} is not divisible by the {world} processes")
        config["world_size"] = world
    key = config_key(config)
    run_dir = runs_root(runs) / f"{model_name}_x{scale}_{prof.name}_{key}"
    run = Run(run_dir)
    if (run_dir / "manifest.json").exists() and run.complete:
        return run
    writer = rank == 0
    if writer:
        run_dir.mkdir(parents=True, exist_ok=True)
    manifest = {"config": config, "key": key, "status": "running", "git_commit": git_commit(),
                "hardware": hardware_info(device), "started": time.strftime("%Y-%m-%dT%H:%M:%S")}
    if writer:
        atomic_write_bytes(run_dir / "manifest.json", json.dumps(manifest, indent=2, default=str).encode())

    torch.manual_seed(seed)
    model = models.create(model_name, scale=scale, in_channels=1, **(options or {})).to(device)
    params = [p for p in model.parameters() if p.requires_grad]
    protocol = Protocol(channel="y", crop_border=scale)
    if not params:  # bicubic: nothing to learn
        if not writer:
            return run
        atomic_torch_save({"model": model.state_dict(), "key": key}, run_dir / "weights.pt")
        manifest.update(status="complete", steps=0)
        atomic_write_bytes(run_dir / "manifest.json", json.dumps(manifest, indent=2, default=str).encode())
        _write_csv(run_dir / "log.csv", ["step", "loss", "lr", "seconds"], [])
        return run
    if fast:
        model = model.to(memory_format=torch.channels_last)
    keep_output_fp32(model)
    opt = torch.optim.Adam(params, lr=plan.lr, betas=plan.betas, eps=plan.eps)
    halve, min_factor = plan.halve_every, plan.min_lr / plan.lr
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: max(0.5 ** (s // halve), min_factor))
    sampler = PatchSampler(patches, scale, plan.hr_patch, plan.batch_size // world, seed=seed + 1_000_003 * rank,
                           device=device)
    step, log_rows, val_rows = 0, [], []

    ckpt = run_dir / "last.pt"
    if ckpt.exists() and restart:
        ckpt.rename(run_dir / f"last.pt.discarded-{int(time.time())}")
    if ckpt.exists():
        state = load_checkpoint(ckpt)
        if state.get("key") != key:
            raise CheckpointError(f"{ckpt}: made under another configuration (key {state.get('key')} != {key})")
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        sched.load_state_dict(state["scheduler"])
        sampler.load_state_dict(state["samplers"][rank] if "samplers" in state else state["sampler"])
        torch.set_rng_state(state["torch_rng"])
        step = int(state["step"])
        log_rows = [list(r) for r in state["log"]]
        val_rows = [list(r) for r in state["val"]]

    fwd = model
    if world > 1:
        from torch.nn.parallel import DistributedDataParallel

        fwd = DistributedDataParallel(model)
    fwd = torch.compile(fwd) if compile else fwd
    val_images = data.val[: prof.n_val]

    def save():
        samplers = [sampler.state_dict()]
        if world > 1:
            import torch.distributed as dist

            samplers = [None] * world
            dist.all_gather_object(samplers, sampler.state_dict())
        if not writer:
            return
        atomic_torch_save({"model": model.state_dict(), "optimizer": opt.state_dict(), "scheduler": sched.state_dict(),
                           "sampler": samplers[0], "samplers": samplers, "torch_rng": torch.get_rng_state(),
                           "step": step, "log": log_rows, "val": val_rows, "key": key}, ckpt)
        _write_csv(run_dir / "log.csv", ["step", "loss", "lr", "seconds"], log_rows)
        _write_csv(run_dir / "val.csv", ["step", "psnr", "ssim"], val_rows)

    from tqdm.auto import tqdm

    bar = tqdm(total=plan.iterations, initial=step, desc=f"{model_name} x{scale} [{prof.name}]",
               disable=not progress or not writer, dynamic_ncols=True)
    model.train()
    target = plan.iterations if stop_at is None else min(plan.iterations, int(stop_at))
    snapshots = set(prof.snapshot_steps)
    while step < target:
        t0 = time.perf_counter()
        lr_img, hr = sampler.next_batch()
        if fast:
            lr_img = lr_img.contiguous(memory_format=torch.channels_last)
        with autocast(device, use_bf16):
            sr = fwd(lr_img)
        loss = torch.nn.functional.l1_loss(sr.float(), hr)  # loss in fp32
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        cur_lr = opt.param_groups[0]["lr"]
        sched.step()
        step += 1
        if not torch.isfinite(loss):
            raise FloatingPointError(f"{model_name} x{scale}: loss became {loss.item()} at step {step}; "
                                     f"last good checkpoint kept at {ckpt}")
        log_rows.append([step, float(loss.item()), cur_lr, round(time.perf_counter() - t0, 4)])
        bar.update(1)
        bar.set_postfix(loss=f"{loss.item():.4f}", lr=f"{cur_lr:.1e}")
        if writer and (step % prof.val_every == 0 or step == plan.iterations):
            model.eval()
            p, s = _validate(model, val_images, scale, device, False, protocol)  # evaluation always fp32
            val_rows.append([step, p, s])
            model.train()
        if writer and step in snapshots:
            (run_dir / "snapshots").mkdir(exist_ok=True)
            atomic_torch_save({"model": model.state_dict(), "key": key, "step": step},
                              run_dir / "snapshots" / f"step_{step:06d}.pt")
        if step % prof.ckpt_every == 0 or step == target:
            save()
    bar.close()
    if step < plan.iterations:  # stopped early on request: resumable, not complete
        return run
    if world > 1:
        import torch.distributed as dist

        dist.barrier()
    if not writer:
        return run
    atomic_torch_save({"model": model.state_dict(), "key": key}, run_dir / "weights.pt")
    manifest.update(status="complete", steps=step, finished=time.strftime("%Y-%m-%dT%H:%M:%S"),
                    train_seconds=float(sum(r[3] for r in log_rows)))
    atomic_write_bytes(run_dir / "manifest.json", json.dumps(manifest, indent=2, default=str).encode())
    return run
