"""Does the fast path cost quality? Train the same model, seed and batches in fp32 and in the fast
path (channels_last + bf16 autocast, output layer in fp32), evaluate both in fp32 on the COVID-CT
test images and compare by the one rule (:func:`paperlib.stats.paired_verdict`).

Both runs draw identical batches (same :class:`~paperlib.data.patches.PatchSampler` seed); the
batched torch degradation equals the numpy MATLAB port to 1e-5 (golden test), so the only
difference is arithmetic precision. One seed cannot separate precision from trajectory noise, so
the comparison is repeated over training seeds, seed paired with seed (:func:`parity_table`): a model
keeps the fast path unless the verdict on "fast is better than fp32" is *contradicted* (both the
interval over seeds and the one over images below 0).

Run: ``python -m bench.parity [--profile quick] [--scale 4] [--seeds 0,1,2]``; writes
``bench/results/parity_<profile>.{json,md}``.
"""

from __future__ import annotations

import argparse
import json
import time

import pandas as pd

from paperlib.config import REPO_ROOT
from paperlib.experiments.dridsr.tables import evaluate_methods, load_data
from paperlib.runtime import git_commit, hardware_info
from paperlib.stats import paired_verdict
from paperlib.train import TrainConfig, train


def parity_per_image(
    methods=("dridsr", "imdn"),
    seeds=(0, 1, 2),
    scale: int = 4,
    profile: str = "quick",
    device="cpu",
    data=None,
    progress: bool = False,
    split_seed: int = 0,
) -> tuple[pd.DataFrame, dict]:
    """Per-image test metrics of every (method, precision, training seed) on one fixed data split.

    The split is fixed (``data``, default the ``split_seed`` paper split) so that every run is measured on
    the same 46 images; the training seed changes the initialisation and the batches. Within a
    seed the fast and fp32 runs draw identical batches.
    """
    data = data or load_data(seed=split_seed, progress=progress)
    frames, runs = [], {}
    for m in methods:
        for seed in seeds:
            for label, fast in (("fast", True), ("fp32", False)):
                cfg = TrainConfig.make(m, scale, profile, seed=seed, device=device, fast_path=fast)
                run = runs[(m, label, seed)] = train(cfg, data=data, progress=progress)
                df = evaluate_methods({(m, scale): run}, data, profile, device, progress, with_niqe=False)
                frames.append(df.assign(method=f"{m} ({label}, seed {seed})", model=m, precision=label, seed=seed))
    return pd.concat(frames, ignore_index=True), runs


def parity_table(per: pd.DataFrame, scale: int = 4) -> pd.DataFrame:
    """Per model: fast minus fp32 by the one rule (:func:`paperlib.stats.paired_verdict`: seed paired with seed,
    intervals over seeds and over images), beside how far fp32 runs of different seeds land apart.

    The fast path costs quality measurably only when the verdict on "fast is better than fp32" is
    ``contradicted`` (both intervals below 0); ``seed_pairs_fp32`` are the paired mean differences between fp32
    runs of different seeds on the same images (descriptive: trajectory noise at this budget).
    """
    rows = []
    for m in per["model"].unique():
        sub = per[(per["model"] == m) & (per["scale"] == scale)]
        v = paired_verdict(sub, "fast", "fp32", "psnr", by="precision")
        fp32 = sub[sub["precision"] == "fp32"].pivot_table(index="seed", columns="image", values="psnr")
        seeds = list(fp32.index)
        pairs = [float((fp32.loc[a] - fp32.loc[b]).mean()) for i, a in enumerate(seeds) for b in seeds[i + 1 :]]
        rows.append(
            {"model": m, "seeds": v.n_seeds, "images": v.n_images, "fast_minus_fp32_dB": v.margin}
            | {k: getattr(v, k) for k in ("image_ci_low", "image_ci_high", "seed_ci_low", "seed_ci_high")}
            | {
                "per_seed_fast_minus_fp32_dB": [round(d, 4) for d in v.per_seed],
                "fp32_seed_pair_diffs_dB": [round(d, 4) for d in pairs],
                "verdict_fast_better": v.verdict,
                "fast_path_costs_quality": v.verdict == "contradicted",
            }
        )
    return pd.DataFrame(rows)


def save(per: pd.DataFrame, profile: str, scale: int, meta: dict) -> pd.DataFrame:
    """``bench/results/parity_<profile>.{json,md}`` (and the per-image CSV) from the per-image rows."""
    df = parity_table(per, scale)
    out = REPO_ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    per.to_csv(out / f"parity_{profile}_per_image.csv", index=False)
    (out / f"parity_{profile}.json").write_text(
        json.dumps(meta | {"rows": df.to_dict("records")}, indent=2, default=str)
    )
    (out / f"parity_{profile}.md").write_text(df.to_markdown(index=False, floatfmt=".4f") + "\n")
    return df


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0], allow_abbrev=False)
    ap.add_argument("--profile", default="quick")
    ap.add_argument("--scale", type=int, default=4)
    ap.add_argument("--methods", default="dridsr,imdn")
    ap.add_argument("--seeds", default="0,1,2", help="training seeds (the data split stays the seed-0 one)")
    ap.add_argument("--device", default="cpu")
    args = ap.parse_args(argv)
    t0 = time.time()
    seeds = tuple(int(s) for s in args.seeds.split(","))
    per, _ = parity_per_image(
        tuple(args.methods.split(",")), seeds, args.scale, args.profile, args.device, progress=True
    )
    meta = {
        "what": "fast path (bf16 autocast + channels_last, fp32 output layer) minus fp32, same seed and batches, "
        "by the one rule (paperlib.stats.paired_verdict), beside the fp32-vs-fp32 differences across training seeds",
        "profile": args.profile,
        "scale": args.scale,
        "seeds": list(seeds),
        "git_commit": git_commit(),
        "hardware": hardware_info(args.device),
        "seconds": time.time() - t0,
        "evaluation": "fp32 inference; PSNR/SSIM on Y, border crop = scale; COVID-CT paper-split test images",
    }
    df = save(per, args.profile, args.scale, meta)
    print(df.to_string(index=False))


if __name__ == "__main__":
    main()
