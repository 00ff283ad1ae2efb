"""Does the fast path cost quality? Train the same model, seed and batches in fp32 and in the fast
path (channels_last + bf16 autocast, output layer in fp32), evaluate both in fp32 on the COVID-CT
test images and compare per image (mean difference, 95% CI, Wilcoxon).

Both runs draw identical batches (same :class:`~paperlib.data.patches.PatchSampler` seed); the
batched torch degradation equals the numpy MATLAB port to 1e-5 (golden test), so the only
difference is arithmetic precision. The fast path is kept as the default of a profile only where
the mean PSNR difference is within ``tolerance_db`` (0.05 dB).

Run: ``python -m paperlib.experiments.parity [--profile quick] [--scale 4]``; writes
``bench/results/parity_<profile>.{json,md}``.
"""
from __future__ import annotations

import argparse
import json
import time

import pandas as pd

from ..config import REPO_ROOT
from ..evaluate import paired_comparison
from ..runtime import git_commit, hardware_info
from ..train import TrainConfig, train
from .dridsr import evaluate_methods, load_data


def precision_parity(methods=("dridsr", "imdn"), scale: int = 4, profile: str = "quick", device="cpu",
                     data=None, progress: bool = False, tolerance_db: float = 0.05, seed: int = 0) -> pd.DataFrame:
    data = data or load_data(seed=seed, progress=progress)
    rows = []
    for m in methods:
        frames = []
        runs = {}
        for label, fast in (("fast", True), ("fp32", False)):
            run = train(TrainConfig.make(m, scale, profile, seed=seed, device=device, fast_path=fast), data=data,
                        progress=progress)
            runs[label] = run
            df = evaluate_methods({(m, scale): run}, data, profile, device, progress, with_niqe=False)
            frames.append(df.assign(method=f"{m} ({label})"))
        per = pd.concat(frames, ignore_index=True)
        for metric in ("psnr", "ssim"):
            r = paired_comparison(per, f"{m} (fast)", f"{m} (fp32)", metric, scale=scale)
            r["train_s_fast"] = runs["fast"].manifest.get("train_seconds")
            r["train_s_fp32"] = runs["fp32"].manifest.get("train_seconds")
            r["within_tolerance"] = bool(abs(r["mean_diff"]) <= tolerance_db) if metric == "psnr" else None
            rows.append(r)
    return pd.DataFrame(rows)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--profile", default="quick")
    ap.add_argument("--scale", type=int, default=4)
    ap.add_argument("--methods", default="dridsr,imdn")
    ap.add_argument("--device", default="cpu")
    args = ap.parse_args(argv)
    t0 = time.time()
    df = precision_parity(tuple(args.methods.split(",")), args.scale, args.profile, args.device, progress=True)
    out = REPO_ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    meta = {"what": "fast path (bf16 autocast + channels_last, fp32 output layer) minus fp32, same seed and batches",
            "profile": args.profile, "scale": args.scale, "tolerance_db": 0.05, "git_commit": git_commit(),
            "hardware": hardware_info(args.device), "seconds": time.time() - t0,
            "evaluation": "fp32 inference; PSNR/SSIM on Y, border crop = scale; COVID-CT paper-split test images"}
    (out / f"parity_{args.profile}.json").write_text(json.dumps(meta | {"rows": df.to_dict("records")}, indent=2,
                                                                  default=str))
    (out / f"parity_{args.profile}.md").write_text(df.to_markdown(index=False, floatfmt=".4f") + "\n")
    print(df.to_string(index=False))


if __name__ == "__main__":
    main()
