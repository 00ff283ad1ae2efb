"""IDMAN's ablations trained: Tables 1-4 and Fig. 6 (weight normalisation and convergence).

The variants are :data:`paperlib.experiments.idman.architecture.ABLATIONS` (model options; the paper's PSNR under
the same keys in :mod:`paperlib.paper_values`). Every variant is trained by
:func:`paperlib.train.train` (cached, resumable, one manifest per run) at x2 on the same HU data,
with the same batches (a training seed fixes initialisation *and* the batch sampler, so seed ``s``
of every variant sees the same patches) and the same number of iterations, for several seeds, at a
reduced IDMAN size that every table states (:data:`PLANS`). A model shared by several tables (Table
1's ``conv`` = Table 2's ``none`` = Table 3's ``neither``; Table 3's ``both`` = Table 4's ``idman``...)
is trained once: 11 distinct models.

Evaluation: PSNR/SSIM per image on the validation split (the paper's ablations are "on the
validation set"), HU through the ``ct12`` window (IDMAN's 12-bit MATLAB PSNR), grey, border crop =
scale (:func:`paperlib.evaluate.default_protocol`), cached per run by
:func:`paperlib.evaluate.evaluation_key`.

Statistics, per variant against its table's reference (:data:`REFERENCE`):

* mean PSNR over seeds, and the seed spread (max - min and SD of the per-seed mean PSNR);
* delta, its intervals and the verdict on the paper's claim "the variant improves on the reference":
  the project's one rule, :func:`paperlib.stats.paired_verdict` (per-seed paired deltas over images,
  seed paired with seed since they saw the same batches; a t-interval over seeds and one over images;
  supported / contradicted only when both exclude 0, otherwise unresolved with the reason and the
  seeds a resolution would take). Images of one patient are not independent, so the interval over
  images is optimistic; the interval over seeds is the guard.

Training in the background (resumable; the notebook then reuses the finished runs)::

    python -m paperlib.experiments.idman.ablations --profile quick --seeds 0,1,2
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ... import models
from ...data.sources import DEFAULT_HU_WINDOW
from ...errors import DatasetNotFoundError
from ...evaluate import default_protocol, evaluate_images
from ...profiles import get_profile, train_plan
from ...stats import paired_verdict, resolve_text
from ...train import TrainConfig, train
from ..common import cached_evaluation
from .architecture import ABLATION_SETTING, ABLATIONS, PAPER_ABLATIONS, PAPER_SIZE, build

SCALE = ABLATION_SETTING["scale"]

#: Training and validation data: the DeepLesion stand-in (TCGA CT slices, patient split 80/10/10).
#: ``deeplesion`` is the paper's set; its official train/val split needs the full download with DL_info.csv.
DATA_SOURCE = "tcga"

#: The variant each table's deltas are measured from: the model without the module the table adds.
REFERENCE = {"table1": "conv", "table2": "none", "table3": "neither", "table4": "without_wn"}

#: The options each table varies (every other option is the same as its reference).
VARIED = {
    "table1": ("extract",),
    "table2": ("attention",),
    "table3": ("extract", "attention"),
    "table4": ("weight_norm",),
}

TITLES = {
    "table1": "Table 1: information distillation vs Conv-ReLU-Conv (channel attention in both)",
    "table2": "Table 2: MAB branches (Conv-ReLU-Conv extraction; 'none' = channel attention)",
    "table3": "Table 3: information distillation and MAB, alone and together",
    "table4": "Table 4: weight normalisation (IDMAN without and with WN)",
}


@dataclass(frozen=True)
class StudyPlan:
    """How big the models are and how long they train under one profile.

    Args:
        size: IDMAN size (G ``n_groups``, B ``n_blocks``, ``n_feats``, ``reduction``), the same for every variant.
        overrides: profile fields for these runs (``None`` = the IDMAN paper's value: batch 10, 48x48 HR
            patches, lr 1e-4 halved every 2e5 iterations).
        seeds: training seeds per variant.
        n_images: validation images evaluated per run (``None``: all).
        smooth: moving-average window (steps) of the training loss in Fig. 6.
    """

    size: dict
    overrides: dict = field(default_factory=dict)
    seeds: tuple = (0, 1, 2)
    n_images: int | None = None
    smooth: int = 1


#: Steps at which every run of the study also saves its weights (the profile's ``snapshot_steps``), so that the
#: convergence claims can be judged by the one rule, per validation slice and per seed (:func:`collect_early`):
#: Fig. 6, "WN can accelerate the convergence of IDMAN", and Fig. 7, "the convergence speed of the IDMAN was slightly
#: faster than RCAN". Our choice (the paper plots epochs it does not define): in ``quick`` a quarter and half of its
#: 2,000 iterations; in ``paper`` 1, 10 and 100 epochs under our reading of an epoch (1,000 iterations,
#: :data:`ITERATIONS_PER_EPOCH`), the paper's Fig. 6 saying "before 100 epochs".
EARLY_STEPS = {"smoke": (2,), "quick": (500, 1000), "paper": (1_000, 10_000, 100_000)}

PLANS = {
    "smoke": StudyPlan(
        dict(n_groups=1, n_blocks=1, n_feats=8, reduction=4),
        dict(val_every=2, snapshot_steps=EARLY_STEPS["smoke"]),
        n_images=2,
    ),
    "quick": StudyPlan(
        dict(n_groups=2, n_blocks=2, n_feats=32, reduction=8),
        dict(
            iterations=2000,
            batch_size=None,
            hr_patch=None,
            lr_halve_every=None,
            val_every=200,
            n_val=4,
            ckpt_every=100,
            snapshot_steps=EARLY_STEPS["quick"],
        ),
        smooth=50,
    ),
    "paper": StudyPlan(
        dict(PAPER_SIZE),
        dict(iterations=ABLATION_SETTING["iterations"], snapshot_steps=EARLY_STEPS["paper"]),
        smooth=500,
    ),
}


def plan_for(profile: str, seeds=None) -> StudyPlan:
    """The :class:`StudyPlan` of ``profile`` (``seeds`` replaces its seeds)."""
    if profile not in PLANS:
        from ...errors import UnknownNameError

        raise UnknownNameError(f"the IDMAN ablation study has no plan for profile {profile!r}; known: {sorted(PLANS)}")
    from ...profiles import capped_study

    plan = PLANS[profile]
    seeds, n_images = capped_study(profile, plan.seeds if seeds is None else map(int, seeds), plan.n_images)
    return StudyPlan(plan.size, plan.overrides, seeds, n_images, plan.smooth)


def size_text(plan: StudyPlan) -> str:
    """The reduced size, in the paper's letters, beside the paper's own."""
    s, p = plan.size, PAPER_SIZE
    return (
        f"IDMAN at G={s['n_groups']}, B={s['n_blocks']}, {s['n_feats']} features, r={s['reduction']} "
        f"(paper: G={p['n_groups']}, B={p['n_blocks']}, {p['n_feats']} features, r={p['reduction']})"
    )


def setting_text(profile: str, plan: StudyPlan, data) -> str:
    """One sentence: size, scale, schedule, data and images, for every table's caption."""
    prof = get_profile(profile, **plan.overrides)
    tp = train_plan(prof, "idman", SCALE, len(data.train_patches))
    n = len(eval_images(data, plan))
    return (
        f"{size_text(plan)}; x{SCALE}; {tp.iterations:,} iterations of {tp.batch_size} random "
        f"{tp.hr_patch}x{tp.hr_patch} HR patches, L1, Adam lr {tp.lr:g} halved every {tp.halve_every:,}; "
        f"{len(plan.seeds)} seeds (same batches for every variant at a seed); PSNR on {n} validation slices of "
        f"{data.manifest['dataset']}, {data.intensity.data_range_note}, grey, border crop {SCALE}."
    )


def options(variant: dict, plan: StudyPlan) -> dict:
    """Model options of a run: the study's size plus the variant's switches."""
    return dict(plan.size) | dict(variant)


def options_key(opts: dict) -> str:
    """A canonical name of a set of options (tuples and lists alike), used to train each model once."""
    return json.dumps({k: list(v) if isinstance(v, (tuple, list)) else v for k, v in opts.items()}, sort_keys=True)


def distinct_models() -> dict:
    """``{options_key: (variant options, [(table, variant), ...])}``: which table rows share a model."""
    out: dict = {}
    for table, variants in ABLATIONS.items():
        for name, opts in variants.items():
            out.setdefault(options_key(opts), (opts, []))[1].append((table, name))
    return out


def load_data(profile: str = "quick", source: str = DATA_SOURCE, seed: int = 0, data_root=None, progress=False):
    """The HU data of the study (``source`` split with ``seed``, the default HU window: ``ct12``, IDMAN's 12-bit PSNR).

    When ``source`` is not found and ``profile == "smoke"``, the CT sample embedded in the package (same
    window) stands in, with a one-line note and ``manifest["stand_in"]``; other profiles raise.
    """
    from dataclasses import replace

    from ...data.sources import load_source
    from ...profiles import capped_slices

    try:
        data = load_source(source, seed=seed, root=data_root, window=DEFAULT_HU_WINDOW, progress=progress)
        # PAPERLIB_CAP's crop=N: the periodic validation and every evaluation on N x N centre crops
        return replace(data, val=capped_slices(data.val, profile), test=capped_slices(data.test, profile))
    except DatasetNotFoundError as err:
        if profile != "smoke":
            raise
        missing = str(err).split(":")[0]
    data = load_source("sample", seed=seed, window=DEFAULT_HU_WINDOW)
    data.manifest["stand_in"] = (
        f"{missing}; the smoke profile ran on the CT sample embedded in paperlib "
        f"({data.manifest['dataset']}) instead: {data.manifest['attribution']}"
    )
    print(f"paperlib: note: {missing}; smoke profile: using the embedded TCIA CT sample (CC BY)", file=sys.stderr)
    return data


def eval_images(data, plan: StudyPlan) -> list:
    """The validation slices every run is evaluated on."""
    return data.val if plan.n_images is None else data.val[: plan.n_images]


def study_configs(profile: str, seeds=None, device="cpu", source: str = DATA_SOURCE) -> dict:
    """``{(options key, seed): (TrainConfig, [(table, variant), ...])}``: every distinct model of the study at
    every seed, seed-major (an interrupted study has whole seeds done); data: ``source`` split with seed 0."""
    plan = plan_for(profile, seeds)
    out = {}
    for seed in plan.seeds:
        for key, (opts, rows) in distinct_models().items():
            cfg = TrainConfig.make(
                "idman",
                SCALE,
                profile,
                seed=seed,
                options=options(opts, plan),
                device=device,
                data=source,
                window=DEFAULT_HU_WINDOW,
                **plan.overrides,
            )
            out[(key, seed)] = (cfg, rows)
    return out


def train_study(profile: str, data, seeds=None, device="cpu", runs=None, progress=False) -> dict:
    """Train (or reuse) every distinct model for every seed; returns ``{(table, variant, seed): Run}``."""
    out = {}
    for (_, seed), (cfg, rows) in study_configs(profile, seeds, device, data.manifest["dataset"]).items():
        run = train(cfg, data=data, runs=runs, progress=progress)
        out.update({(table, name, seed): run for table, name in rows})
    return out


# --------------------------------------------------------------------------- evaluation


def evaluate_run(
    run, images, intensity, device="cpu", split: str = "val", with_edges: bool = False, step: int | None = None
) -> pd.DataFrame:
    """Per-image PSNR/SSIM of a finished run on ``images`` (``image, label, psnr, ssim``), cached in its folder;
    ``with_edges`` adds ``gradient_error`` (:func:`paperlib.metrics.gradient_error`, same protocol); ``step``
    evaluates the weights the run saved at that step (``snapshots/step_NNNNNN.pt``) instead of its final ones.

    Any model at any scale (both read from the run's manifest). The cache file ``eval_<split>_n<N>_<key>.csv`` is
    keyed by the weights, the images, the protocol, the metrics asked for and ``METRICS_VERSION``
    (:func:`paperlib.evaluate.evaluation_key`).
    """
    from ...errors import CheckpointError

    weights = run.path / "weights.pt" if step is None else run.path / "snapshots" / f"step_{int(step):06d}.pt"
    if step is None and not run.complete:
        raise CheckpointError(f"{run.path}: run not finished (no weights.pt); train it first")
    if not weights.is_file():
        raise CheckpointError(f"{weights}: not saved (the run's profile has no snapshot at step {step})")
    model, scale = run.manifest["config"]["model"], int(run.manifest["config"]["scale"])
    prot = default_protocol(intensity, scale)

    def compute():
        return evaluate_images(
            run.load_model(device, weights=None if step is None else weights),
            images,
            scale,
            model,
            device,
            protocol=prot,
            with_ms_ssim=False,
            with_niqe=False,
            progress=False,
            intensity=intensity,
            with_edges=with_edges,
        )[["image", "label", "psnr", "ssim"] + ["gradient_error"] * with_edges]

    stem = run.path / (f"eval_{split}_n{len(images)}" + ("" if step is None else f"_step{int(step)}"))
    edges = True if with_edges else None  # None: the key of an evaluation without edges is unchanged
    return cached_evaluation(
        stem, weights, images, prot, compute, with_ms_ssim=False, with_niqe=False, with_edges=edges
    )


def collect(runs: dict, images, intensity, device="cpu") -> pd.DataFrame:
    """Tidy per-image rows ``table, variant, seed, image, label, psnr, ssim, run`` (a shared run evaluated once)."""
    done: dict = {}
    frames = []
    for (table, variant, seed), run in runs.items():
        if run.path not in done:
            done[run.path] = evaluate_run(run, images, intensity, device)
        frames.append(done[run.path].assign(table=table, variant=variant, seed=seed, run=Path(run.path).name))
    cols = ["table", "variant", "seed", "image", "label", "psnr", "ssim", "run"]
    return pd.concat(frames, ignore_index=True)[cols] if frames else pd.DataFrame(columns=cols)


def collect_early(runs: dict, images, intensity, steps, device="cpu") -> pd.DataFrame:
    """Per-image rows ``variant, seed, step, image, label, psnr, ssim, run`` of the weights each run saved at
    ``steps`` (:data:`EARLY_STEPS`), for ``runs`` = ``{(variant, seed): Run}``: what the one rule needs to judge
    "converges faster" (:func:`convergence_table`) where the training curves hold only seed means."""
    cols = ["variant", "seed", "step", "image", "label", "psnr", "ssim", "run"]
    frames = [
        evaluate_run(run, images, intensity, device, step=step).assign(
            variant=variant, seed=seed, step=int(step), run=Path(run.path).name
        )
        for (variant, seed), run in runs.items()
        for step in steps
    ]
    return pd.concat(frames, ignore_index=True)[cols] if frames else pd.DataFrame(columns=cols)


def convergence_table(early: pd.DataFrame, a: str, b: str) -> pd.DataFrame:
    """``a`` ahead of ``b`` in PSNR at every step of ``early`` (:func:`collect_early`), by the one rule
    (:func:`paperlib.stats.paired_verdict`): one row per step, with both intervals, the per-seed deltas, the
    verdict and what would resolve it."""
    rows = []
    for step, at in early.groupby("step"):
        v = paired_verdict(at, a, b, "psnr", by="variant")
        rows.append({"step": int(step)} | v.as_row() | {"to resolve": resolve_text(v)})
    return pd.DataFrame(rows)


def early_comparison(pair: dict, a: str, b: str, data, plan: StudyPlan, device="cpu") -> tuple:
    """``a`` against ``b`` (``pair`` = ``{(variant, seed): Run}``) on the validation slices at the early steps of
    ``plan``: ``(per-image rows, table)`` (:func:`collect_early`, :func:`convergence_table`). Steps past the runs'
    length are left out (a run capped by ``PAPERLIB_CAP`` stops before them); none left: two empty frames."""
    trained = min((int(r.manifest["config"]["plan"]["iterations"]) for r in pair.values()), default=0)
    steps = tuple(s for s in plan.overrides.get("snapshot_steps", ()) if s <= trained)
    early = collect_early(pair, eval_images(data, plan), data.intensity, steps, device)
    return early, convergence_table(early, a, b)


def wn_convergence(runs: dict, data, plan: StudyPlan, device="cpu") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fig. 6's claim as a measurement: IDMAN with WN against without (Table 4's runs), :func:`early_comparison`."""
    pair = {(v, s): r for (t, v, s), r in runs.items() if t == "table4"}
    return early_comparison(pair, "idman", "without_wn", data, plan, device)


def save_convergence(early: pd.DataFrame, table: pd.DataFrame, name: str, profile: str, meta: dict) -> dict:
    """An early comparison's per-image rows and table as ``<name>_per_image`` and ``<name>_paired`` under
    ``figures/idman/<profile>/`` (CSV + Markdown + JSON sidecar); returns ``{kind: path}`` (``{}`` for an empty
    table)."""
    from ...results import save_table

    if table.empty:  # no early step in these runs (capped): nothing to save
        return {}
    side = {k: meta[k] for k in ("profile", "size", "sizes", "seeds", "data", "git_commit") if k in meta}
    a, b = table["a"].iloc[0], table["b"].iloc[0]
    return {
        "per_image": save_table(early, f"{name}_per_image", "idman", profile, side),
        "paired": save_table(
            table,
            f"{name}_paired",
            "idman",
            profile,
            side,
            floatfmt=".4f",
            caption=f"{a} minus {b} in PSNR (dB) on the validation slices, at the steps where both runs saved their "
            "weights, by the one rule (paperlib.stats: intervals over seeds and over slices).",
        ),
    }


# --------------------------------------------------------------------------- statistics and tables


def seed_means(rows: pd.DataFrame, metric: str = "psnr") -> pd.Series:
    """Mean ``metric`` (PSNR) over images, per seed."""
    return rows.groupby("seed")[metric].mean()


def compare(rows: pd.DataFrame, variant: str, reference: str, metric: str = "psnr"):
    """``variant`` against ``reference`` in one table's per-image rows, by the one rule
    (:func:`paperlib.stats.paired_verdict`; the claim: ``variant`` is better)."""
    return paired_verdict(rows, variant, reference, metric, by="variant")


def describe(opts: dict) -> str:
    """A variant's options in words: extraction + attention (+ no WN)."""
    ext = "info-distill" if opts["extract"] == "distill" else "Conv-ReLU-Conv"
    att = opts["attention"]
    att = "channel attention" if isinstance(att, str) else "MAB " + "+".join(f"{k}x{k}" for k in att)
    return f"{ext} + {att}" + ("" if opts.get("weight_norm", True) else ", without WN")


#: Column order of the ablation tables (``paper ...`` columns are the paper's values, never ours).
COLUMNS = [
    "variant",
    "options",
    "parameters",
    "seeds",
    "images",
    "PSNR (dB)",
    "seed SD",
    "seed min",
    "seed max",
    "delta vs ref (dB)",
    "image_ci_low",
    "image_ci_high",
    "seed_ci_low",
    "seed_ci_high",
    "per-seed deltas (dB)",
    "verdict",
    "why",
    "to resolve",
    "paper PSNR (dB)",
    "paper delta (dB)",
    "same sign as paper",
]


def _row(rows: pd.DataFrame, table: str, name: str, plan: StudyPlan | None) -> dict:
    ref, paper = REFERENCE[table], PAPER_ABLATIONS[table]
    opts = ABLATIONS[table][name]
    mine = rows[rows["variant"] == name]
    sv = seed_means(mine)
    out = {
        "variant": name,
        "options": describe(opts),
        "seeds": len(sv),
        "images": mine["image"].nunique(),
        "PSNR (dB)": float(sv.mean()),
        "seed SD": float(sv.std(ddof=1)) if len(sv) > 1 else np.nan,
        "seed min": float(sv.min()),
        "seed max": float(sv.max()),
        "paper PSNR (dB)": paper[name],
        "paper delta (dB)": round(paper[name] - paper[ref], 3),
    }
    if plan is not None:
        out["parameters"] = models.count_parameters(build(SCALE, **options(opts, plan)))
    if name == ref:
        return out | {"delta vs ref (dB)": 0.0, "verdict": "reference"}
    v = compare(rows, name, ref)
    return out | {
        "delta vs ref (dB)": v.margin,
        "image_ci_low": v.image_ci_low,
        "image_ci_high": v.image_ci_high,
        "seed_ci_low": v.seed_ci_low,
        "seed_ci_high": v.seed_ci_high,
        "per-seed deltas (dB)": ", ".join(f"{d:+.3f}" for d in v.per_seed),
        "verdict": v.verdict,
        "why": v.why,
        "to resolve": resolve_text(v),
        "same sign as paper": "yes" if np.sign(v.margin) == np.sign(out["paper delta (dB)"]) else "no",
    }


def ablation_table(per_image: pd.DataFrame, table: str, plan: StudyPlan | None = None) -> pd.DataFrame:
    """One row per variant of ``table`` (``table1``..``table4``) present in ``per_image``: our mean PSNR over
    seeds and its seed spread, delta vs the reference with its CI, per-seed deltas, the verdict, and the
    paper's PSNR and delta (labelled ``paper``). ``plan``: adds the parameters at the study's size."""
    rows = per_image[per_image["table"] == table]
    present = [v for v in ABLATIONS[table] if v in set(rows["variant"])]
    if REFERENCE[table] not in present:
        raise ValueError(f"{table}: no rows of the reference variant {REFERENCE[table]!r}")
    df = pd.DataFrame([_row(rows, table, name, plan) for name in present])
    return df.reindex(columns=[c for c in COLUMNS if c in df.columns])


def all_tables(per_image: pd.DataFrame, plan: StudyPlan | None = None) -> dict:
    """``{table: ablation_table(...)}`` for every table with rows."""
    return {t: ablation_table(per_image, t, plan) for t in ABLATIONS if (per_image["table"] == t).any()}


# --------------------------------------------------------------------------- Fig. 6: weight normalisation

WN_LABELS = {"idman": "IDMAN (with WN)", "without_wn": "IDMAN without WN"}


#: What an "epoch" is on our x axes: the paper plots Figs. 6 and 7 against epochs and never defines one. We read it
#: as one pass over its DeepLesion training images, one 48x48 patch per image: 10,000 images / batch 10 = 1,000
#: iterations (so its 200-300 epochs of Fig. 7 are 2-3e5 iterations, where its learning rate first halves).
ITERATIONS_PER_EPOCH = 1000


def training_curves(runs: dict, smooth: int = 1) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``runs`` = ``{(variant, seed): Run}`` as ``(loss, val)`` long frames: ``variant, seed, step`` and the training
    loss (moving average over ``smooth`` steps, from ``log.csv``) or the validation PSNR (``val.csv``)."""
    loss, val = [], []
    for (variant, seed), run in runs.items():
        log = run.log()
        loss.append(
            pd.DataFrame(
                {
                    "variant": variant,
                    "seed": seed,
                    "step": log["step"],
                    "loss": log["loss"].rolling(smooth, min_periods=1).mean(),
                }
            )
        )
        val.append(run.val_log()[["step", "psnr"]].assign(variant=variant, seed=seed))
    return pd.concat(loss, ignore_index=True), pd.concat(val, ignore_index=True)


def weight_norm_curves(runs: dict, smooth: int = 1) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Table 4's runs of the study (``{(table, variant, seed): Run}``) as :func:`training_curves`."""
    return training_curves({(v, sd): r for (t, v, sd), r in runs.items() if t == "table4"}, smooth)


def curve_summary(loss: pd.DataFrame, val: pd.DataFrame) -> pd.DataFrame:
    """At each validation step: per variant, the smoothed loss and validation PSNR, mean and range over seeds."""
    m = val.merge(loss, on=["variant", "seed", "step"], how="left")
    g = m.groupby(["step", "variant"])
    out = g[["loss", "psnr"]].mean().rename(columns={"loss": "loss (mean)", "psnr": "val PSNR (mean)"})
    out["val PSNR min"], out["val PSNR max"], out["seeds"] = g["psnr"].min(), g["psnr"].max(), g.size()
    out = out.reset_index()
    out.insert(1, "epoch", out["step"] / ITERATIONS_PER_EPOCH)
    return out


def plot_curves(
    loss: pd.DataFrame, val: pd.DataFrame, labels: dict, title: str, iterations_per_epoch: int = ITERATIONS_PER_EPOCH
):
    """Training loss and validation PSNR against iterations (epochs on the top axis), one colour per variant of
    ``labels`` (``{variant: legend text}``): one thin line per seed, the mean over seeds thick."""
    import matplotlib.pyplot as plt

    fig, (a_loss, a_val) = plt.subplots(1, 2, figsize=(11, 4.3))
    for i, variant in enumerate(labels):
        colour = f"C{i}"
        for ax, df, col, marker in ((a_loss, loss, "loss", None), (a_val, val, "psnr", "o")):
            sub = df[df["variant"] == variant]
            if sub.empty:
                continue
            for _, s in sub.groupby("seed"):
                ax.plot(s["step"], s[col], color=colour, lw=0.7, alpha=0.4, marker=marker, ms=2)
            mean = sub.groupby("step")[col].mean()
            ax.plot(
                mean.index,
                mean.values,
                color=colour,
                lw=2.2,
                label=f"{labels[variant]} (mean of {sub['seed'].nunique()} seeds)",
            )
    a_loss.set(xlabel="iteration", ylabel="L1 training loss (moving average)", yscale="log", title="training loss")
    a_val.set(xlabel="iteration", ylabel="validation PSNR (dB)", title="validation PSNR")
    for ax in (a_loss, a_val):
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
        top = ax.secondary_xaxis(
            "top", functions=(lambda x: x / iterations_per_epoch, lambda e: e * iterations_per_epoch)
        )
        top.set_xlabel(f"epoch (our reading: {iterations_per_epoch:,} iterations)", fontsize=8)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def plot_weight_norm(loss: pd.DataFrame, val: pd.DataFrame, title: str = ""):
    """Fig. 6 remade: training loss and validation PSNR with and without WN (:func:`plot_curves`)."""
    return plot_curves(
        loss, val, WN_LABELS, title or "IDMAN with and without weight normalisation (thin: seeds, thick: mean)"
    )


#: Fig. 5: "The reconstructed results of IDMAN with/without information distillation": Table 1's pair.
FIG5_LABELS = {"conv": "without info-distill (Conv-ReLU-Conv)", "info_distill": "with info-distill"}
#: Fig. 5's panels, the paper's words: "(a) A reconstructed image of clear edges; (b) A reconstructed image of
#: accurate details". Our choice: the inset of (a) is picked on the lung window (where :func:`dridsr.pick_box`'s
#: most detailed window is an organ or body outline: an edge), that of (b) on the soft-tissue window (mediastinal
#: detail); both picked by the code on the HR slice, not by eye, so neither model is favoured by the choice.
FIG5_PANELS = {"a": dict(window="lung", what="clear edges"), "b": dict(window="soft_tissue", what="accurate details")}


def fig5(runs: dict, data, plan: StudyPlan, device="cpu", images=None, box_side: int = 48) -> dict:
    """Fig. 5 remade: ``{panel: (matplotlib figure, info)}``, Table 1's models with and without information
    distillation (first seed) on validation slices (``images``: ``{panel: slice name}``; default: the first and the
    middle evaluated slice), HR with an inset and each model's crop with its crop PSNR/SSIM (on the metric window)."""
    from ...data.hu import rewindow
    from ..dridsr.tables import visual_comparison

    pool = eval_images(data, plan)
    seed = min(sd for _, _, sd in runs)
    named = {(FIG5_LABELS[v], SCALE): runs[("table1", v, seed)] for v in FIG5_LABELS}
    default = {"a": pool[0][0], "b": pool[len(pool) // 2][0]}
    out = {}
    for panel, spec in FIG5_PANELS.items():
        want = (images or {}).get(panel, default[panel])
        img = next((t for t in pool if t[0] == want), pool[0])
        title = (
            f"Fig. 5{panel} (ours): x{SCALE}, {spec['what']}; {data.manifest.get('dataset')} validation slice "
            f"{img[0]} through the {spec['window']} window; crop PSNR/SSIM on the {data.intensity.window_name} window"
        )
        # box=None: visual_comparison picks the inset (dridsr.pick_box) on the HR slice as displayed in this window
        f, info = visual_comparison(
            named,
            img,
            SCALE,
            device,
            box_side,
            tuple(FIG5_LABELS.values()),
            None,
            title,
            data.intensity,
            channel="gray",
            display=rewindow(data.intensity, spec["window"]),
        )
        info.update(panel=panel, paper_words=spec["what"], display_window=spec["window"], seed=seed)
        out[panel] = (f, info)
    return out


# --------------------------------------------------------------------------- provenance and outputs


def run_records(runs: dict) -> dict:
    """The distinct runs of ``runs`` (a run shared by several keys once): ``{"runs": {name: steps, train_seconds,
    git_commit, device, gpu, cpu}, "train_seconds_total": ...}``, for a provenance file."""
    mans = {Path(r.path).name: r.manifest for r in runs.values()}
    return {
        "runs": {
            n: {
                "steps": m.get("steps"),
                "train_seconds": m.get("train_seconds"),
                "git_commit": m.get("git_commit"),
                "device": m.get("hardware", {}).get("device"),
                "gpu": m.get("hardware", {}).get("gpu"),
                "cpu": m.get("hardware", {}).get("cpu"),
            }
            for n, m in mans.items()
        },
        "train_seconds_total": float(sum(m.get("train_seconds") or 0.0 for m in mans.values())),
    }


def provenance(profile: str, plan: StudyPlan, data, runs: dict, device="cpu") -> dict:
    """What made the tables: profile (with the study's overrides), sizes, seeds, data, images, runs, commit and
    hardware (``ablation_provenance.json``)."""
    from ...runtime import git_commit, hardware_info

    return (
        {
            "study": "IDMAN ablations, Tables 1-4 and Fig. 6",
            "profile": profile,
            "profile_settings": get_profile(profile, **plan.overrides).as_dict(),
            "scale": SCALE,
            "size": dict(plan.size),
            "paper_size": dict(PAPER_SIZE),
            "seeds": list(plan.seeds),
            "overrides": dict(plan.overrides),
            "data": data.manifest,
            "images": [f"{label}/{name}" for name, label, _ in eval_images(data, plan)],
            "protocol": default_protocol(data.intensity, SCALE).describe(),
        }
        | run_records(runs)
        | {
            "git_commit": git_commit(),
            "hardware": hardware_info(device),
            "paper_setting": dict(ABLATION_SETTING) | {"data": "DeepLesion, 500 validation images"},
        }
    )


def save_outputs(
    per_image: pd.DataFrame,
    tables: dict,
    curves: pd.DataFrame,
    fig,
    profile: str,
    meta: dict,
    setting: str,
    fig5_panels: dict | None = None,
) -> dict:
    """Tables (CSV + Markdown + JSON sidecar), Fig. 6 (PNG + PDF), Fig. 5's panels (``{panel: (figure, info)}``
    of :func:`fig5`) and ``ablation_provenance.json`` under ``figures/idman/<profile>/``; returns ``{name: path}``."""
    from ...results import save_figure, save_table

    side = {k: meta[k] for k in ("profile", "size", "seeds", "data", "protocol", "git_commit") if k in meta}
    paths = {"per_image": save_table(per_image, "ablation_per_image", "idman", profile, side)}
    for t, df in tables.items():
        paths[t] = save_table(
            df,
            f"ablation_{t}",
            "idman",
            profile,
            side,
            floatfmt=".3f",
            caption=f"**{TITLES[t]}**: ours beside the paper's (columns `paper ...`: DeepLesion "
            f"validation set, full size, 2e5 iterations). {setting}",
        )
    paths["curves"] = save_table(
        curves,
        "fig6_weight_norm_curves",
        "idman",
        profile,
        side,
        floatfmt=".4f",
        caption=f"Fig. 6 data at the validation steps. {setting}",
    )
    paths["fig6"] = save_figure(fig, "fig6_weight_norm", "idman", profile, side)
    for panel, (f, info) in (fig5_panels or {}).items():
        paths[f"fig5{panel}"] = save_figure(
            f, f"fig5{panel}_info_distill", "idman", profile, side | {"figure_info": info}
        )
    paths["provenance"] = write_provenance(meta, profile, "ablation_provenance.json")
    return paths


def write_provenance(meta: dict, profile: str, name: str) -> Path:
    """``meta`` as ``figures/idman/<profile>/<name>`` (JSON); returns the path."""
    from ...results import output_dir

    path = output_dir("idman", profile) / name
    path.write_text(json.dumps(meta, indent=2, default=str))
    return path


def study_args(argv, description: str, profiles) -> tuple[argparse.Namespace, list | None]:
    """The command line of the IDMAN studies (``--profile --seeds --source --data-root --device``): the parsed
    arguments and the seeds as a list (``None``: the profile's)."""
    ap = argparse.ArgumentParser(description=description, allow_abbrev=False)
    ap.add_argument("--profile", default="quick", choices=sorted(profiles))
    ap.add_argument("--seeds", default=None, help="comma-separated training seeds (default: the profile's)")
    ap.add_argument("--source", default=DATA_SOURCE, help="HU training data source (default: %(default)s)")
    ap.add_argument("--data-root", default=None)
    ap.add_argument("--device", default="cpu")
    args = ap.parse_args(argv)
    return args, None if args.seeds is None else [int(s) for s in args.seeds.split(",")]


def main(argv=None) -> int:
    """Train and evaluate the study (resumable), print the tables; the notebook makes the outputs."""
    args, seeds = study_args(argv, __doc__.split("\n")[0], PLANS)
    plan = plan_for(args.profile, seeds)
    data = load_data(args.profile, args.source, data_root=args.data_root, progress=True)
    runs = train_study(args.profile, data, seeds, args.device, progress=True)
    per_image = collect(runs, eval_images(data, plan), data.intensity, args.device)
    for t, df in all_tables(per_image, plan).items():
        print(f"== {TITLES[t]}\n{df.to_string(index=False)}\n", flush=True)
    return 0


def summary_lines(tables: dict) -> list[str]:
    """One sentence per non-reference variant: our delta, its two intervals, the verdict, the paper's."""
    lines = []
    for t, df in tables.items():
        ref = REFERENCE[t]
        for r in df[df["variant"] != ref].to_dict("records"):
            lines.append(
                f"{t}, {r['variant']} - {ref}: {r['delta vs ref (dB)']:+.3f} dB "
                f"(images [{r['image_ci_low']:+.3f}, {r['image_ci_high']:+.3f}], seeds "
                f"[{r['seed_ci_low']:+.3f}, {r['seed_ci_high']:+.3f}]): "
                f"**{r['verdict']}** (paper: {r['paper delta (dB)']:+.3f} dB)"
            )
    return lines


if __name__ == "__main__":
    sys.exit(main())
