"""Training runs on disk: the run directory, its manifest, atomic writes, checkpoints.

A run directory ``<runs>/<model>_x<scale>_<profile>_<key>/`` holds:

* ``manifest.json``: the full configuration (model and options, scale, profile, resolved plan,
  data, seed, precision actually applied), hardware, library versions, git commit, status;
  written by :meth:`Run.write_manifest` only;
* ``last.pt``: the resumable checkpoint (model, optimiser, scheduler, step, sampler and torch
  RNG states, the logs so far), written atomically (temporary file, ``fsync``, rename);
* ``weights.pt``: final weights only (small), written when training completes;
* ``snapshots/step_NNNNNN.pt``: weights at the profile's ``snapshot_steps`` (budget study);
* ``log.csv`` (step, loss, lr, seconds) and ``val.csv`` (step, psnr, ssim on validation images).

``key`` is a hash of the configuration, so a run made under other settings is never reused.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from dataclasses import dataclass
from pathlib import Path

from .config import runs_root
from .errors import CheckpointError
from .hashing import sha256_file


def config_key(config: dict) -> str:
    """10 hex digits of the sha256 of the configuration (sorted JSON)."""
    return hashlib.sha256(json.dumps(config, sort_keys=True, default=str).encode()).hexdigest()[:10]


def run_dir_for(config: dict, runs=None) -> Path:
    """Where the run of ``config`` lives."""
    name = config["profile"]["name"] if isinstance(config["profile"], dict) else config["profile"]
    return runs_root(runs) / f"{config['model']}_x{config['scale']}_{name}_{config_key(config)}"


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file, fsync and rename: never a half file."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def atomic_torch_save(obj, path: Path) -> None:
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
        raise CheckpointError(
            f"{path}: checkpoint is corrupt or truncated ({type(e).__name__}: {e}). "
            "It was left in place; delete it (or pass restart=True) to train from scratch"
        ) from e


def write_csv(path: Path, header: list[str], rows: list) -> None:
    lines = [",".join(header)] + [",".join(f"{v:.6g}" if isinstance(v, float) else str(v) for v in r) for r in rows]
    atomic_write_bytes(path, ("\n".join(lines) + "\n").encode())


@dataclass
class Run:
    """A training run on disk."""

    path: Path

    @property
    def manifest(self) -> dict:
        return json.loads((self.path / "manifest.json").read_text())

    def write_manifest(self, manifest: dict) -> None:
        """The one writer of ``manifest.json`` (atomic)."""
        self.path.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(self.path / "manifest.json", json.dumps(manifest, indent=2, default=str).encode())

    def record(self) -> dict:
        """The manifest plus what training has done so far, for a run that a staged study has not finished:
        ``steps_trained`` and ``train_seconds`` summed from ``log.csv`` (cumulative across resumes: the log is
        restored from the checkpoint). A finished run's own ``steps`` / ``train_seconds`` are kept as they are."""
        m = self.manifest
        if "train_seconds" not in m and (self.path / "log.csv").is_file():
            log = self.log()
            m |= {"steps_trained": len(log), "train_seconds": float(log["seconds"].sum())}
        return m

    @property
    def complete(self) -> bool:
        return (
            (self.path / "manifest.json").is_file()
            and (self.path / "weights.pt").is_file()
            and self.manifest.get("status") == "complete"
        )

    def build_model(self):
        """A fresh (untrained) model of this run's architecture and options."""
        from . import models

        cfg = self.manifest["config"]
        return models.create(cfg["model"], scale=cfg["scale"], in_channels=1, **cfg["options"])

    def load_model(self, device="cpu", weights: Path | None = None):
        """The trained model (from ``weights.pt``, or another weights file of this run) in eval mode."""
        model = self.build_model()
        w = Path(weights) if weights is not None else self.path / "weights.pt"
        if w.is_file():
            model.load_state_dict(load_checkpoint(w)["model"])
        elif sum(p.numel() for p in model.parameters()) > 0:
            raise CheckpointError(f"{self.path}: run has no {w.name} (training not finished)")
        return model.to(device).eval()

    def log(self):
        import pandas as pd

        return pd.read_csv(self.path / "log.csv")

    def val_log(self):
        import pandas as pd

        p = self.path / "val.csv"
        return pd.read_csv(p) if p.exists() else pd.DataFrame(columns=["step", "psnr", "ssim"])


def load_run_model(run_or_path, scale: int | None = None, device="cpu"):
    """(model, manifest, weights sha256) from a run directory (or its ``weights.pt``).

    Raises CheckpointError when the run is unfinished/corrupt or trained for another scale.
    """
    p = Path(run_or_path)
    run_dir = p.parent if p.is_file() else p
    if not (run_dir / "manifest.json").is_file():
        raise CheckpointError(f"{run_dir}: not a paperlib run directory (no manifest.json)")
    run = Run(run_dir)
    trained_scale = run.manifest["config"]["scale"]
    if scale is not None and int(scale) != int(trained_scale):
        raise CheckpointError(f"{run_dir}: checkpoint is for x{trained_scale}, but x{scale} was requested")
    model = run.load_model(device)
    w = run_dir / "weights.pt"
    return model, run.manifest, (sha256_file(w) if w.exists() else "none")
