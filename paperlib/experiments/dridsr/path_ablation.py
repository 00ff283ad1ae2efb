"""DRIDSR's own design claims, trained as ablations: the gradient path, the simple IDB, and a family of sizes.

The paper argues three things that it never measures:

* the Sobel gradient path rather than Canny (sec. 4.3: "there is no need to use the complex edge
  detector such as Canny"), and that the gradient residual makes "the network ... converge faster"
  (contribution 3);
* its "simple information distillation block" is "more flexible than the original IDB and improves
  the network performance" (sec. 3.4);
* "Separate reconstruction of low-frequency information and high-frequency information can obtain
  better SR results" (the low-frequency path dropped), and "the interaction between the residual
  block and the IDB" in the RIDM (the IDBs dropped, their parameters spent on residual blocks).

A second family of variants (``--family size_family``) asks the paper's discussion: "the super-resolution of CT
images does not require too complex models, and often simple models can achieve good results". It trains DRIDSR
at three RIDM widths (``n_feats`` 24 / 48 / 72, ``distill_channels`` half of it, everything else the paper's:
217,705 / 523,933 / 1,032,337 parameters, 0.42x / 1x / 2.0x) under the same profile, seeds and stages; the
paper's size is the reference, so its runs are the path ablation's reference runs (same run key).

Each variant is DRIDSR at x4 with one design changed (``edge='sobel'|'canny'|'none'``,
``idb='simple'|'original'``, ``low_path=False``, ``idb='none'`` with 9 residual blocks), trained
under the ``budget`` profile (the same batches for every run of a seed, snapshots at fixed steps) with 3
seeds, advanced in stages with exact resume like the
budget study (:func:`paperlib.experiments.dridsr.budget.advance`), and evaluated on the 46 test
images under the Table 1 protocol. Its runs were trained with rounded LR patches; the budget
study's older runs were not, so the two studies share no run.

Outputs (``figures/dridsr/budget/``, beside the budget study whose profile they share; the size family's tables
are named ``size_family_*`` instead of ``path_ablation_*`` and it has no frequency outputs):
``path_ablation_per_image`` (every snapshot of every run on the 46 test images), ``path_ablation_curves``
and its figure, ``path_ablation_claims`` (the one rule, :func:`paperlib.stats.paired_verdict`, at the last
step every run reached and at :data:`EARLY_STEP`), ``path_ablation_steps_to_psnr`` (per seed, the first
snapshot at or above :data:`CONVERGENCE_PSNR`) and ``frequency_shares`` (:func:`frequency_shares`).

Run in the background::

    python -m paperlib.experiments.dridsr.path_ablation --stages 1000,2000 --save
    python -m paperlib.experiments.dridsr.path_ablation --family size_family --stages 1000,2000 --jobs 2 --save
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd

from ...spectral import dridsr_path_contributions, lr_nyquist, share_above
from ...stats import paired_verdict, resolve_text
from .budget import SCALE, BudgetRun, advance, collect, common_step, curve_table, plot_curves

SEEDS = (0, 1, 2)
#: The stages the study is advanced through (the committed outputs are at the last).
STAGES = (1000, 2000)
#: label -> model options; the first is the paper's DRIDSR (the reference of every comparison).
VARIANTS = {
    "DRIDSR (Sobel)": {},
    "DRIDSR (no gradient path)": {"edge": "none"},
    "DRIDSR (Canny)": {"edge": "canny"},
    "DRIDSR (original IDB)": {"idb": "original"},
    # "Separate reconstruction of low-frequency information and high-frequency information can obtain better SR
    # results": the high-frequency path alone (500,529 parameters, 4.5% fewer: within the +-15% of a size match).
    "DRIDSR (no low-frequency path)": {"low_path": False},
    # "the interaction between the residual block and the IDB": a plain residual chain, every block fused by 1x1.
    # Without IDBs it has 402,613 parameters (-23%); the IDBs' parameters go into three more residual blocks
    # (9 in all: 534,229, +2.0%), so the comparison is at equal size. The choice is ours; the paper gives no ablation.
    "DRIDSR (no IDBs, 9 blocks)": {"idb": "none", "n_resblocks": 9},
}
REFERENCE = "DRIDSR (Sobel)"
#: "simple models can achieve good results": DRIDSR at three RIDM widths, the paper's (the reference) in the middle.
#: The width scales the RIDM and the features around it (``n_feats``) with ``distill_channels`` kept at half of it,
#: as in the paper (48 / 24); the merge channels (28) and everything else stay the paper's. Our choice: the paper
#: names no family of sizes.
SIZE_VARIANTS = {
    REFERENCE: {},
    "DRIDSR (width 24)": {"n_feats": 24, "distill_channels": 12},
    "DRIDSR (width 72)": {"n_feats": 72, "distill_channels": 36},
}
#: family name (the outputs' prefix) -> its variants; the first is the reference of every comparison.
FAMILIES = {"path_ablation": VARIANTS, "size_family": SIZE_VARIANTS}


def study_runs(family: str = "path_ablation", seeds=SEEDS) -> tuple:
    """The runs of a family, seed-major (every variant's seed 0 first, so a stopped study still has complete pairs)."""
    return tuple(BudgetRun("dridsr", s, opts, label) for s in seeds for label, opts in FAMILIES[family].items())


STUDY = study_runs()
SIZE_STUDY = study_runs("size_family")
SMOKE_STUDY = study_runs(seeds=(0,))
#: The convergence test: the one rule on test PSNR this early in training (3% of the way to 10,000 steps).
EARLY_STEP = 300
#: "Iterations to reach a stated PSNR": test PSNR (Y, x4, our 46 images) a DRIDSR passes within the first 1,000
#: steps; bicubic is 25.39 dB on these images.
CONVERGENCE_PSNR = 26.0


def verdict_of(per_image: pd.DataFrame, variant: str, when: str = "final"):
    """``(step, PairedVerdict)`` of the reference against ``variant`` at the last step both reached with every seed
    (``when="final"``) or at :data:`EARLY_STEP` (``"early"``); ``None`` when that step lacks either side."""
    step = common_step(per_image, REFERENCE, variant) if when == "final" else EARLY_STEP
    at = per_image[per_image["step"] == step]
    if step is None or not {REFERENCE, variant} <= set(at["run"]):
        return None
    return step, paired_verdict(at, REFERENCE, variant, "psnr", by="run")


def claims_table(per_image: pd.DataFrame, variants=VARIANTS) -> pd.DataFrame:
    """The reference against every variant by the one rule, at the last common step and at :data:`EARLY_STEP`."""
    rows = []
    for label in variants:
        if label == REFERENCE or label not in set(per_image["run"]):
            continue
        for when in ("final", "early"):
            found = verdict_of(per_image, label, when)
            if found is None:
                continue
            step, v = found
            rows.append(
                {"comparison": f"{REFERENCE} > {label}", "when": when, "step": step}
                | v.as_row()
                | {"to resolve": resolve_text(v)}
            )
    return pd.DataFrame(rows)


def steps_to_psnr(per_image: pd.DataFrame, target: float = CONVERGENCE_PSNR) -> pd.DataFrame:
    """Per run label and seed: the first snapshot step whose mean test PSNR is >= ``target`` (NaN if none)."""
    by = per_image.groupby(["run", "seed", "step"])["psnr"].mean().reset_index()
    out = []
    for (label, seed), g in by.groupby(["run", "seed"]):
        hit = g[g["psnr"] >= target]["step"]
        out.append(
            {
                "run": label,
                "seed": seed,
                "target_psnr": target,
                "first_step_at_or_above": int(hit.min()) if len(hit) else np.nan,
                "last_step": int(g["step"].max()),
            }
        )
    return pd.DataFrame(out)


def frequency_shares(runs: list, images, step: int, device="cpu") -> pd.DataFrame:
    """Per image and seed of the Sobel DRIDSR at ``step``: each path's share of its output energy above the LR
    Nyquist frequency (:mod:`paperlib.spectral`). Rows: ``path`` ('low path' / 'high path'), seed, image,
    share_above."""
    from ...evaluate import make_pair
    from .tables import run_intensity

    rows = []
    for br, run in runs:
        if br.name != REFERENCE:
            continue
        model = run.load_model(device, weights=run.path / "snapshots" / f"step_{step:06d}.pt")
        for name, label, img in images:
            _, lr = make_pair(img, SCALE, run_intensity(run))
            parts = dridsr_path_contributions(model, lr, device)
            for path in ("low", "high"):
                rows.append(
                    {
                        "path": f"{path} path",
                        "seed": br.seed,
                        "image": name,
                        "label": label,
                        "share_above": share_above(parts[path], lr_nyquist(SCALE)),
                    }
                )
    return pd.DataFrame(rows)


def frequency_figure(run, image, step: int, device="cpu"):
    """One test image: the low and high paths' parts of the SR image (colour bars in the image's units) and their
    radially averaged power spectra, with the LR Nyquist frequency marked."""
    import matplotlib.pyplot as plt

    from ...evaluate import make_pair
    from ...spectral import power_spectrum
    from .tables import run_intensity

    name, label, img = image
    _, lr = make_pair(img, SCALE, run_intensity(run))
    model = run.load_model(device, weights=run.path / "snapshots" / f"step_{step:06d}.pt")
    parts = dridsr_path_contributions(model, lr, device)
    fig, axes = plt.subplots(1, 3, figsize=(14, 4.2))
    for ax, key in zip(axes[:2], ("low", "high")):
        lim = float(np.percentile(np.abs(parts[key] - parts[key].mean()), 99)) or 1.0
        im = ax.imshow(parts[key] - parts[key].mean(), cmap="RdBu_r", vmin=-lim, vmax=lim)
        ax.set_title(
            f"{key}-frequency path's part of the SR image\n(mean removed; share above LR Nyquist "
            f"{share_above(parts[key], lr_nyquist(SCALE)):.3f})",
            fontsize=9,
        )
        ax.axis("off")
        fig.colorbar(im, ax=ax, fraction=0.046, label="intensity (image units, [0, 1] scale)")
    bins = np.linspace(0, 0.5, 41)
    for key in ("low", "high"):
        pw, r = power_spectrum(parts[key])
        idx = np.digitize(r.ravel(), bins)
        prof = [pw.ravel()[idx == i].mean() if (idx == i).any() else np.nan for i in range(1, len(bins))]
        axes[2].semilogy(0.5 * (bins[1:] + bins[:-1]), prof, label=f"{key} path")
    axes[2].axvline(lr_nyquist(SCALE), color="k", ls="--", lw=0.8, label=f"LR Nyquist (x{SCALE}): 1/{2 * SCALE}")
    axes[2].set(xlabel="radial frequency (cycles per HR pixel)", ylabel="mean power", title="radial power spectrum")
    axes[2].legend(fontsize=8)
    fig.suptitle(f"DRIDSR (Sobel) at step {step:,}, x{SCALE}, {label} test image {name}", fontsize=10)
    fig.tight_layout()
    return fig


def save_outputs(
    runs: list, images, device="cpu", profile: str = "budget", root=None, family: str = "path_ablation"
) -> dict:
    """Evaluate every snapshot (cached), then write the tables and figures above (named after ``family``);
    returns ``{name: path}``."""
    import matplotlib.pyplot as plt

    from ...results import save_figure, save_table
    from ...runtime import git_commit

    git_commit()  # the commit is read before any output is written
    per = collect(runs, images, progress=False)
    final = min(common_step(per, REFERENCE, v) or 0 for v in {br.name for br, _ in runs} if v != REFERENCE)
    manifests = {run.path.name: run.record() for _, run in runs}
    variants = FAMILIES[family]
    meta = {
        "study": f"dridsr {family.replace('_', ' ')}",
        "variants": variants,
        "seeds": sorted({br.seed for br, _ in runs}),
        "scale": SCALE,
        "test_images": len(images),
        "runs": {
            k: {
                "config": m["config"],
                "git_commit": m.get("git_commit"),
                "hardware": m.get("hardware"),
                "train_seconds": m.get("train_seconds"),
            }
            for k, m in manifests.items()
        },
        "early_step": EARLY_STEP,
        "final_step": final,
        "convergence_psnr": CONVERGENCE_PSNR,
    }
    out = {
        "per_image": save_table(per, f"{family}_per_image", "dridsr", profile, meta, root=root),
        "curves": save_table(curves := curve_table(per), f"{family}_curves", "dridsr", profile, meta, root=root),
        "claims": save_table(claims_table(per, variants), f"{family}_claims", "dridsr", profile, meta, root=root),
        "steps": save_table(steps_to_psnr(per), f"{family}_steps_to_psnr", "dridsr", profile, meta, root=root),
    }
    title = (
        f"DRIDSR {family.replace('_', ' ')}: test PSNR against iterations (band: range over {len(meta['seeds'])} seeds)"
    )
    fig = plot_curves(curves, title=title)
    out["curves_fig"] = save_figure(fig, f"{family}_psnr_vs_iterations", "dridsr", profile, meta, root=root)
    plt.close(fig)
    if family != "path_ablation":  # the frequency measure is about the paths, not the sizes
        return out
    shares = frequency_shares(runs, images, final, device=device)
    out["shares"] = save_table(shares, "frequency_shares", "dridsr", profile, meta | {"step": final}, root=root)
    ref = next(run for br, run in runs if br.name == REFERENCE and br.seed == SEEDS[0])
    fig = frequency_figure(ref, images[0], final, device)
    out["freq_fig"] = save_figure(fig, "frequency_paths_measured", "dridsr", profile, meta | {"step": final}, root=root)
    plt.close(fig)
    return out


def load_outputs(family: str = "path_ablation", profile: str = "budget", root=None) -> dict:
    """What :func:`save_outputs` saved for ``family``, read back for a reader: ``claims``, ``curves`` and ``steps``
    (DataFrames), ``figure`` (the curves' PNG), ``meta`` (their sidecar: variants, seeds, steps, runs) and
    ``budget`` (the last step's HR pixels and iterations as a share of the paper's, in words).

    Raises ``FileNotFoundError`` naming the missing file and the command that makes it."""
    import json

    from ...config import figures_root
    from ...profiles import budget, get_profile

    d = figures_root(root) / "dridsr" / profile
    want = {
        "claims": d / f"{family}_claims.csv",
        "curves": d / f"{family}_curves.csv",
        "steps": d / f"{family}_steps_to_psnr.csv",
        "figure": d / f"{family}_psnr_vs_iterations.png",
    }
    for path in want.values():
        if not path.is_file():
            how = "" if family == "path_ablation" else f" --family {family}"
            where = path.relative_to(figures_root(root).parent)
            raise FileNotFoundError(f"{where}: not saved yet (make it with `paperlib study path-ablation{how} --save`)")
    meta = json.loads(want["claims"].with_suffix(".json").read_text())
    prof = get_profile(meta.get("profile", profile))
    spent = budget("dridsr", int(meta["final_step"]), prof.batch_size, prof.hr_patch, SCALE)["budget"]
    out = {k: pd.read_csv(v) for k, v in want.items() if v.suffix == ".csv"}
    return out | {"figure": want["figure"], "meta": meta, "budget": spent}


def main(argv=None):
    from .tables import load_data, test_images

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0], allow_abbrev=False)
    ap.add_argument("--stages", default=",".join(map(str, STAGES)), help="comma-separated step targets, in order")
    ap.add_argument("--profile", default="budget")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--save", action="store_true", help="after the last stage, write the outputs under figures/")
    ap.add_argument("--family", default="path_ablation", choices=sorted(FAMILIES), help="which variants to train")
    ap.add_argument("--seeds", default=",".join(map(str, SEEDS)), help="comma-separated training seeds")
    ap.add_argument("--jobs", type=int, default=1, help="train a stage's runs in this many local processes")
    args = ap.parse_args(argv)
    study = study_runs(args.family, tuple(int(s) for s in args.seeds.split(",")))
    data = load_data()
    images = test_images(data, args.profile)
    for stage in [int(s) for s in args.stages.split(",")]:
        runs = advance(stage, data, study, profile=args.profile, device=args.device, progress=False, jobs=args.jobs)
        per = collect(runs, images, args.device, progress=False)
        print(f"== stage {stage}\n", curve_table(per).to_string(index=False), flush=True)
    if args.save:
        for name, path in save_outputs(runs, images, args.device, args.profile, family=args.family).items():
            print(f"{name}: {path}")


if __name__ == "__main__":
    main()
