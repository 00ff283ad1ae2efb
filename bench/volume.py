"""Volume upscaling: DRIDSR x2 over a real Lung-PET-CT-Dx series, through the code ``paperlib upscale`` runs.

1. **timed**: :func:`paperlib.upscale.sr_hu_volume` (what :func:`~paperlib.upscale.upscale_series`
   runs) over ``--volume-slices`` slices, the real series' slices cycled and each output
   discarded, at ``--volume-batch`` on the ``--volume-precision`` path: wall time, user and system
   CPU time (``resource.getrusage``), peak RSS sampled during the run and ``ru_maxrss`` right after.
2. **HU agreement**: the same model on every slice of the real series (``--hu-slices`` to cap),
   fp32 vs the fast path through :func:`~paperlib.upscale.sr_hu_batch`: per-slice mean
   |HU(fast) - HU(fp32)|, its maximum over slices (the fast path is ``upscale``'s default only if
   that is under 1 HU), and the detail the model adds (mean |HU(fp32) - bicubic HU|).
3. **end to end**: one :func:`~paperlib.upscale.upscale_series` of the real series (read DICOM,
   SR, write derived DICOM) into a temporary folder with ``upscale``'s defaults.

Weights: ``--volume-run`` (a trained x2 run directory or weights.pt) or, by default, an untrained
DRIDSR x2 with seed 0 (timing does not depend on the weights; the HU agreement does, so the
output says which).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np

from .common import CPUTimes, RSSMonitor, ru_maxrss_bytes

MAX_MEAN_ABS_HU = 1.0  # the fast path may be upscale's default when every slice's mean |diff| is below this


def volume_model(run, device):
    """``(DRIDSR x2 model, description of its weights)``: a trained run, or untrained with seed 0."""
    import torch

    from paperlib import models

    if run:
        from paperlib.runs import load_run_model

        model, man, sha = load_run_model(run, 2, device)
        if man["config"]["model"] != "dridsr":
            raise SystemExit(f"--volume-run {run}: a {man['config']['model']} run, not dridsr")
        return model.eval(), {
            "weights": "trained run",
            "run": str(run),
            "sha256": sha,
            "steps": man.get("steps"),
            "data": man["config"]["data"].get("dataset"),
        }
    torch.manual_seed(0)
    return models.create("dridsr", scale=2).to(device).eval(), {"weights": "untrained, torch.manual_seed(0)"}


def load_real_series(log=print):
    """``(SeriesInfo, (Z, H, W) float32 HU)`` of the first CT series under ``<data_root>/lung-pet-ct-dx``,
    or ``(None, reason)``."""
    from paperlib.config import data_root
    from paperlib.data.dicom import find_series, read_dicom_hu

    root = data_root() / "lung-pet-ct-dx"
    if not root.is_dir():
        return None, f"{root} not found"
    series = find_series(root, warn_duplicates=False)
    if not series:
        return None, f"no CT series under {root}"
    s = series[0]
    return s, np.stack([read_dicom_hu(f)[0] for f in s.files]).astype(np.float32)


def timed_volume(model, real: np.ndarray, n: int, batch: int, fast: bool, device) -> dict:
    """``sr_hu_volume`` over ``n`` slices (``real`` cycled): time, CPU time, memory."""
    import torch

    from paperlib.upscale import sr_hu_volume

    for _ in sr_hu_volume(model, real[:batch], 2, device=device, batch=batch, fast=fast):  # warm-up
        pass
    if torch.device(device).type == "cuda":
        torch.cuda.reset_peak_memory_stats()
    with RSSMonitor(interval=0.05) as mon, CPUTimes() as cpu:
        base = mon.current()
        t0 = time.perf_counter()
        done = sum(
            1
            for _ in sr_hu_volume(
                model, (real[i % len(real)] for i in range(n)), 2, device=device, batch=batch, fast=fast
            )
        )
        dt = time.perf_counter() - t0
    return {
        "slices": done,
        "batch": batch,
        "precision": "fast" if fast else "fp32",
        "seconds": dt,
        "slices_per_s": done / dt,
        **cpu.as_dict(),
        "rss_before_bytes": base,
        "peak_rss_bytes": mon.peak,
        "peak_rss_delta_bytes": mon.peak - base,
        "ru_maxrss_bytes": ru_maxrss_bytes(),
        "gpu_peak_mem_bytes": torch.cuda.max_memory_allocated() if torch.device(device).type == "cuda" else None,
    }


def hu_agreement(model, real: np.ndarray, device, batch: int = 2) -> dict:
    """Per-slice mean |HU(fast) - HU(fp32)| of ``sr_hu_batch`` on every slice of ``real``."""
    import torch

    from paperlib.data.degrade import imresize_torch
    from paperlib.precision import fast_path
    from paperlib.upscale import sr_hu_batch

    fast_model, prec = fast_path(model, device)
    diff, worst, detail = [], [], []
    for i in range(0, len(real), batch):
        hu = real[i : i + batch]
        ref = sr_hu_batch(model, hu, 2, device=device, fast=False)
        fast = sr_hu_batch(fast_model, hu, 2, device=device, fast=True)
        with torch.inference_mode():
            bic = imresize_torch(torch.from_numpy(hu)[:, None].to(device), scale=2)[:, 0].cpu().numpy()
        d = np.abs(fast.astype(np.float64) - ref)
        diff += d.mean(axis=(1, 2)).tolist()
        worst += d.max(axis=(1, 2)).tolist()
        detail += np.abs(ref.astype(np.float64) - bic).mean(axis=(1, 2)).tolist()
    top = float(max(diff))
    return {
        "slices": len(diff),
        "per_slice_mean_abs_hu": diff,
        "max_per_slice_mean_abs_hu": top,
        "mean_abs_hu": float(np.mean(diff)),
        "max_abs_hu": float(max(worst)),
        "model_detail_mean_abs_hu": float(np.mean(detail)),
        "threshold_hu": MAX_MEAN_ABS_HU,
        "below_threshold": top < MAX_MEAN_ABS_HU,
        "precision": prec.as_dict(),
    }


def end_to_end(model, series, batch: int, device) -> dict:
    """One ``upscale_series`` (upscale's defaults: fast path) of the real series into a temporary folder."""
    from paperlib.upscale import upscale_series

    with tempfile.TemporaryDirectory() as tmp, RSSMonitor(interval=0.05) as mon, CPUTimes() as cpu:
        t0 = time.perf_counter()
        written = upscale_series(
            model, series, Path(tmp) / "out", 2, "dridsr", "bench", device=device, batch=batch, progress=False
        )
        dt = time.perf_counter() - t0
    return {
        "slices": len(written),
        "batch": batch,
        "seconds": dt,
        "slices_per_s": len(written) / dt,
        **cpu.as_dict(),
        "peak_rss_bytes": mon.peak,
    }


def bench_volume(args, log=print) -> dict:
    series, real = load_real_series()
    if series is None:
        return {"skipped": real}
    model, weights = volume_model(args.volume_run, args.device)
    res = {
        "series": {
            "patient": series.patient_id,
            "description": series.description,
            "n_slices": series.n_slices,
            "shape": list(real.shape[1:]),
        },
        "model": "dridsr",
        "scale": 2,
        **weights,
    }
    if args.volume_slices:
        t = res["timed"] = timed_volume(
            model, real, args.volume_slices, args.volume_batch, args.volume_precision == "fast", args.device
        )
        log(
            f"  volume sr_hu_volume ({t['precision']}, batch {t['batch']}): {t['slices']} slices in "
            f"{t['seconds']:.1f} s "
            f"({t['slices_per_s']:.2f} slices/s), user {t['user_cpu_s']:.0f} s, sys {t['sys_cpu_s']:.0f} s, "
            f"peak RSS {t['peak_rss_bytes'] / 2**20:.0f} MiB"
        )
    if not args.skip_hu_check:
        a = res["hu_agreement"] = hu_agreement(model, real[: args.hu_slices or None], args.device)
        log(
            f"  volume HU fast vs fp32 ({a['slices']} slices): max per-slice mean |diff| "
            f"{a['max_per_slice_mean_abs_hu']:.3f} HU ({'<' if a['below_threshold'] else '>='} {MAX_MEAN_ABS_HU} HU); "
            f"model detail {a['model_detail_mean_abs_hu']:.1f} HU"
        )
    if not args.skip_e2e:
        u = res["upscale_series"] = end_to_end(model, series, args.volume_batch, args.device)
        log(f"  volume upscale_series (read+SR+write DICOM): {u['slices']} slices in {u['seconds']:.1f} s")
    return res
