"""Training: a configuration object, a small :class:`Trainer`, and :func:`train` that drives it.

The one training loop of the project (the CLI, the notebooks, the experiments and the benchmark
all use it)::

    trainer = Trainer(config, data, device=...)      # model, precision, optimiser, sampler, run dir
    trainer.resume()                                  # from last.pt if there is one
    while trainer.step_count < target:
        trainer.step()                                # one batch: forward, L1, backward, Adam, lr
        ...validate() / snapshot() / checkpoint() when due
    trainer.finish()                                  # weights.pt + manifest status "complete"

Killing the process at any moment and calling :func:`train` again resumes from ``last.pt`` and
ends with the same weights as an uninterrupted run (tested with a real SIGKILL). The run
directory and its files are described in :mod:`paperlib.runs`.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field, fields

import numpy as np

from .errors import CheckpointError, DataError
from .profiles import Profile, get_profile, train_plan
from .runs import Run, atomic_torch_save, config_key, load_checkpoint, run_dir_for, write_csv
from .runtime import git_commit, hardware_info

LOSSES = ("l1", "l2")


@dataclass(frozen=True)
class TrainConfig:
    """What defines a training run. Every field but ``device`` and ``compile`` is part of the run key.

    Args:
        model: registry name (``paperlib.models.list_models()``).
        scale: 2, 3 or 4.
        profile: ``smoke`` / ``quick`` / ``budget`` / ``paper`` or a :class:`~paperlib.profiles.Profile`.
        options: model constructor options.
        seed: seeds the data split (when :func:`train` loads the data), model initialisation and
            the batch sampler.
        paper: whose schedule (``dridsr`` or ``idman``); default: the paper the model belongs to.
        data: data source name (:func:`paperlib.data.sources.source_names`).
        window: HU window for HU sources (name or ``(width, level)``).
        fast_path: channels_last + bf16 autocast (default: the profile's setting minus its
            ``fp32_models``); bf16 only where the device supports it (:mod:`paperlib.precision`).
        overrides: profile fields to override (e.g. ``{"iterations": 50}``).
        device: ``cpu`` or ``cuda``.
        compile: ``torch.compile`` the model (same numerics to within float error).
    """

    model: str
    scale: int
    profile: str | Profile = "quick"
    options: dict = field(default_factory=dict)
    seed: int = 0
    paper: str | None = None
    data: str = "covid-ct"
    window: str | tuple = "ct12"
    fast_path: bool | None = None
    overrides: dict = field(default_factory=dict)
    device: str = "cpu"
    compile: bool = False

    @classmethod
    def make(cls, model: str, scale: int, profile="quick", **kw) -> "TrainConfig":
        """Like the constructor, but keyword arguments that are profile fields become ``overrides``."""
        own = {f.name for f in fields(cls)}
        overrides = dict(kw.pop("overrides", {})) | {k: kw.pop(k) for k in list(kw) if k not in own}
        return cls(model, scale, profile, overrides=overrides, **kw)

    def resolved_profile(self) -> Profile:
        return get_profile(self.profile, **self.overrides)

    def schedule_paper(self) -> str:
        from . import models

        return self.paper or ("dridsr" if "dridsr" in models.model_info(self.model).papers else "idman")

    def use_fast_path(self, prof: Profile) -> bool:
        if self.fast_path is not None:
            return bool(self.fast_path)
        return prof.fast_path and self.model not in prof.fp32_models


def distributed_context(device):
    """``(world_size, rank, device)``; initialises torch.distributed when launched by ``torchrun``.

    Multi-GPU (or multi-process CPU) training is plain DistributedDataParallel: ``torchrun
    --nproc_per_node N -m paperlib train ...``. Each rank draws ``batch / N`` patches from its
    own seeded sampler, so the global batch equals the single-process one; rank 0 alone writes.
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


def _loss_fn(name: str):
    import torch.nn.functional as F

    if name not in LOSSES:
        raise ValueError(f"unknown loss {name!r}; known: {list(LOSSES)}")
    return F.l1_loss if name == "l1" else F.mse_loss


class Trainer:
    """One run: model, precision, optimiser, schedule, sampler, logs and the run directory.

    Args:
        config: the :class:`TrainConfig`.
        data: a prepared set (:class:`paperlib.data.cache.Prepared`: COVID-CT or an HU set).
        runs: root of run directories (default ``$PAPERLIB_RUNS`` or ``<repo>/runs``).
        world, rank, device: from :func:`distributed_context`.
    """

    def __init__(self, config: TrainConfig, data, runs=None, world: int = 1, rank: int = 0, device=None):
        import torch

        from . import models
        from .data.patches import PatchSampler
        from .precision import fast_path
        from .profiles import SCHEDULES

        self.config, self.data, self.world, self.rank = config, data, world, rank
        self.device = device or config.device
        self.prof = prof = config.resolved_profile()
        patches = data.train_patches if prof.n_train_patches is None else data.train_patches[: prof.n_train_patches]
        paper = config.schedule_paper()
        self.plan = plan = train_plan(prof, paper, config.scale, len(patches))
        torch.manual_seed(config.seed)
        plain = models.create(config.model, scale=config.scale, in_channels=1, **config.options).to(self.device)
        self.has_params = any(p.requires_grad for p in plain.parameters())
        if self.has_params and len(patches) == 0:
            raise DataError(
                f"data source {data.manifest.get('dataset')!r} has no training patches "
                f"(a test-only set); train on another source"
            )
        self.model, self.precision = fast_path(plain, self.device, enabled=config.use_fast_path(prof))
        self.loss_fn = _loss_fn(SCHEDULES[paper].loss)
        self.key_config = self._key_config(data, patches, paper)
        self.key = config_key(self.key_config)
        self.run = Run(run_dir_for(self.key_config, runs))
        self.writer = rank == 0
        self.step_count, self.log_rows, self.val_rows = 0, [], []
        if not self.has_params:
            return
        self.opt = torch.optim.Adam(
            [p for p in self.model.parameters() if p.requires_grad], lr=plan.lr, betas=plan.betas, eps=plan.eps
        )
        halve, min_factor = plan.halve_every, plan.min_lr / plan.lr
        self.sched = torch.optim.lr_scheduler.LambdaLR(self.opt, lambda s: max(0.5 ** (s // halve), min_factor))
        self.sampler = PatchSampler(
            patches,
            config.scale,
            plan.hr_patch,
            plan.batch_size // world,
            seed=config.seed + 1_000_003 * rank,
            device=self.device,
            intensity=getattr(data, "intensity", None),
        )
        self.fwd = self._wrap_forward()

    def _key_config(self, data, patches, paper) -> dict:
        c = self.config
        desc = data.describe()
        cfg = {
            "model": c.model,
            "scale": c.scale,
            "options": dict(c.options),
            "seed": c.seed,
            "paper": paper,
            "profile": {k: v for k, v in self.prof.as_dict().items() if k not in ("note", "fp32_models")},
            "plan": self.plan.as_dict(),
            "data": desc | {"n_used_patches": len(patches)},
            "precision": self.precision.as_dict(),
        }
        if self.world > 1:
            if self.plan.batch_size % self.world:
                raise ValueError(f"batch {self.plan.batch_size} is not divisible by the {self.world} processes")
            cfg["world_size"] = self.world
        return cfg

    def _wrap_forward(self):
        import torch

        fwd = self.model
        if self.world > 1:
            from torch.nn.parallel import DistributedDataParallel

            fwd = DistributedDataParallel(self.model)
        return torch.compile(fwd) if self.config.compile else fwd

    def start(self, restart: bool = False, target: int | None = None) -> None:
        """Write the manifest (status ``running``) and resume from ``last.pt`` when there is one.

        ``git_commit``, ``hardware`` and ``started`` name this session; ``sessions`` keeps every session that
        trained the run (commit, CPU or GPU, start time, the step it started from), so that a run resumed across
        commits or machines says so. A call that finds the run already at ``target`` (a staged study asking for a
        stage the run has passed) trains nothing: the manifest is left as it was.
        """
        prev = self.run.manifest if (self.run.path / "manifest.json").is_file() and not restart else {}
        sessions = list(prev.get("sessions", [])) if prev.get("key") == self.key else []
        hw = hardware_info(self.device)
        self.manifest = {
            "config": self.key_config,
            "key": self.key,
            "status": "running",
            "git_commit": git_commit(),
            "hardware": hw,
            "started": time.strftime("%Y-%m-%dT%H:%M:%S"),
        }
        if self.writer:
            self.run.write_manifest(self.manifest | {"sessions": sessions})
        step = self.resume(restart) if self.has_params else 0
        if prev and target is not None and self.has_params and step >= target:
            self.manifest = prev
            if self.writer:
                self.run.write_manifest(prev)
            return
        self.manifest["sessions"] = sessions + [
            {
                "git_commit": self.manifest["git_commit"],
                "hardware": hw.get("gpu") or hw.get("cpu"),
                "started": self.manifest["started"],
                "from_step": step,
            }
        ]
        if self.writer:
            self.run.write_manifest(self.manifest)

    def resume(self, restart: bool = False) -> int:
        """Load ``last.pt`` (model, optimiser, schedule, sampler, RNG, logs); returns the step reached."""
        import torch

        ckpt = self.run.path / "last.pt"
        if ckpt.exists() and restart:
            ckpt.rename(self.run.path / f"last.pt.discarded-{int(time.time())}")
        if not ckpt.exists():
            return 0
        state = load_checkpoint(ckpt)
        if state.get("key") != self.key:
            raise CheckpointError(f"{ckpt}: made under another configuration (key {state.get('key')} != {self.key})")
        self.model.load_state_dict(state["model"])
        self.opt.load_state_dict(state["optimizer"])
        self.sched.load_state_dict(state["scheduler"])
        self.sampler.load_state_dict(state["samplers"][self.rank] if "samplers" in state else state["sampler"])
        torch.set_rng_state(state["torch_rng"])
        self.step_count = int(state["step"])
        self.log_rows = [list(r) for r in state["log"]]
        self.val_rows = [list(r) for r in state["val"]]
        return self.step_count

    def step(self) -> float:
        """One optimiser step on a fresh batch; returns the loss (fp32)."""
        import torch

        from .precision import run_model

        t0 = time.perf_counter()
        lr_img, hr = self.sampler.next_batch()
        loss = self.loss_fn(run_model(self.fwd, lr_img, self.precision), hr)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        cur_lr = self.opt.param_groups[0]["lr"]
        self.sched.step()
        self.step_count += 1
        if not torch.isfinite(loss):
            raise FloatingPointError(
                f"{self.config.model} x{self.config.scale}: loss became {loss.item()} at step "
                f"{self.step_count}; last good checkpoint kept at {self.run.path / 'last.pt'}"
            )
        self.log_rows.append([self.step_count, float(loss.item()), cur_lr, round(time.perf_counter() - t0, 4)])
        return float(loss.item())

    def validate(self) -> tuple[float, float]:
        """Mean PSNR/SSIM on the profile's validation images (fp32 inference, the data's protocol)."""
        from .evaluate import sr_metrics

        if not self.writer:
            return float("nan"), float("nan")
        self.model.eval()
        intensity = getattr(self.data, "intensity", None)
        kw = {"intensity": intensity} if intensity is not None else {}
        rows = [
            sr_metrics(self.model, img, self.config.scale, self.device, **kw)
            for _, _, img in self.data.val[: self.prof.n_val]
        ]
        self.model.train()
        p, s = float(np.mean([r["psnr"] for r in rows])), float(np.mean([r["ssim"] for r in rows]))
        self.val_rows.append([self.step_count, p, s])
        return p, s

    def snapshot(self) -> None:
        """Weights at this step to ``snapshots/step_NNNNNN.pt`` (the budget study evaluates them)."""
        if self.writer:
            (self.run.path / "snapshots").mkdir(exist_ok=True)
            atomic_torch_save(
                {"model": self.model.state_dict(), "key": self.key, "step": self.step_count},
                self.run.path / "snapshots" / f"step_{self.step_count:06d}.pt",
            )

    def checkpoint(self) -> None:
        """Everything needed to resume exactly, atomically, plus the CSV logs."""
        import torch

        samplers = [self.sampler.state_dict()]
        if self.world > 1:
            import torch.distributed as dist

            samplers = [None] * self.world
            dist.all_gather_object(samplers, self.sampler.state_dict())
        if not self.writer:
            return
        atomic_torch_save(
            {
                "model": self.model.state_dict(),
                "optimizer": self.opt.state_dict(),
                "scheduler": self.sched.state_dict(),
                "sampler": samplers[0],
                "samplers": samplers,
                "torch_rng": torch.get_rng_state(),
                "step": self.step_count,
                "log": self.log_rows,
                "val": self.val_rows,
                "key": self.key,
            },
            self.run.path / "last.pt",
        )
        write_csv(self.run.path / "log.csv", ["step", "loss", "lr", "seconds"], self.log_rows)
        write_csv(self.run.path / "val.csv", ["step", "psnr", "ssim"], self.val_rows)

    def finish(self) -> Run:
        """Final weights and the manifest's status ``complete``."""
        if self.world > 1:
            import torch.distributed as dist

            dist.barrier()
        if self.writer:
            if not self.has_params:
                write_csv(self.run.path / "log.csv", ["step", "loss", "lr", "seconds"], [])
            atomic_torch_save({"model": self.model.state_dict(), "key": self.key}, self.run.path / "weights.pt")
            self.manifest.update(
                status="complete",
                steps=self.step_count,
                finished=time.strftime("%Y-%m-%dT%H:%M:%S"),
                train_seconds=float(sum(r[3] for r in self.log_rows)),
            )
            self.run.write_manifest(self.manifest)
        return self.run


def load_training_data(config: TrainConfig, data_root=None, progress: bool = True, allow_other_root: bool = False):
    """The prepared data of ``config.data`` with the config's seed (split) and window.

    ``allow_other_root``: see :func:`paperlib.data.cache.check_cache_origin`.
    """
    from .data.sources import load_source

    return load_source(
        config.data,
        seed=config.seed,
        root=data_root,
        window=config.window,
        progress=progress,
        allow_other_root=allow_other_root,
    )


def train(
    config: TrainConfig,
    *,
    data=None,
    runs=None,
    progress: bool = True,
    restart: bool = False,
    stop_at: int | None = None,
    data_root=None,
    allow_other_root: bool = False,
) -> Run:
    """Train (or resume, or reuse) the run of ``config`` and return its :class:`~paperlib.runs.Run`.

    Args:
        data: prepared data (default: ``config.data`` loaded with ``config.seed``).
        runs: root of run directories.
        restart: discard an existing unfinished checkpoint of this configuration.
        stop_at: checkpoint and return after this many steps (resumable, status ``running``);
            not part of the key, since stopping early changes nothing already trained.
        data_root, allow_other_root: where ``data`` is loaded from when not given (:func:`load_training_data`).
    """
    from tqdm.auto import tqdm

    if not isinstance(config, TrainConfig):
        raise TypeError(f"train() takes a TrainConfig, got {type(config).__name__}; use TrainConfig.make(...)")
    world, rank, device = distributed_context(config.device)
    data = data if data is not None else load_training_data(config, data_root, progress, allow_other_root)
    t = Trainer(config, data, runs, world, rank, device)
    if t.run.complete:
        return t.run
    prof, plan = t.prof, t.plan
    target = plan.iterations if stop_at is None else min(plan.iterations, int(stop_at))
    t.start(restart, target)
    bar = tqdm(
        total=target,
        initial=t.step_count,
        desc=f"{config.model} x{config.scale} [{prof.name}]",
        disable=not progress or not t.writer or not t.has_params,
        dynamic_ncols=True,
    )
    while t.has_params and t.step_count < target:
        loss = t.step()
        bar.update(1)
        bar.set_postfix(loss=f"{loss:.4f}", lr=f"{t.log_rows[-1][2]:.1e}")
        if t.step_count % prof.val_every == 0 or t.step_count == plan.iterations:
            t.validate()
        if t.step_count in prof.snapshot_steps:
            t.snapshot()
        if t.step_count % prof.ckpt_every == 0 or t.step_count == target:
            t.checkpoint()
    bar.close()
    return t.finish() if t.step_count >= plan.iterations or not t.has_params else t.run


__all__ = ["TrainConfig", "Trainer", "train", "load_training_data", "distributed_context"]
