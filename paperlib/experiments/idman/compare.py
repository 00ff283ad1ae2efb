"""IDMAN against nine methods: Tables 5-8 (PSNR/SSIM at x2, x3, x4 on three test sets) and Figs. 8-10.

The methods are the paper's rows (:data:`METHODS`: Bicubic, SRCNN, FSRCNN, VDSR, DRRN, EDSR, MDSR, RDN, RCAN,
IDMAN; the paper's values in :mod:`paperlib.paper_values`, ``IDMAN_TABLE5`` ... ``IDMAN_TABLE8``). Every learned
method is trained by :func:`paperlib.train.train` (cached, resumable, one manifest per run), one model per scale,
on the HU training data of the ablations (:func:`paperlib.experiments.idman.ablations.load_data`: the TCGA CT
slices, the DeepLesion stand-in, ``ct12`` window) with the ablations' schedule (the paper's batch, patch, lr and
L1; the profile's length) and the same batches for every method at a seed ("We set the training parameters of the
contrast algorithms (such as batch size and learning rate) as consistent with our method", section 4.2). Sizes:
:data:`REDUCED` per profile (IDMAN: the ablations' size), stated in every table.

Test sets (:data:`EVAL_SETS`), whole slices, evaluated per image (:func:`idman_ablations.evaluate_run`: grey,
``ct12`` window, border crop = scale, cached per run):

* Tables 5-6: the real DeepLesion slices of the data root (the paper's 1,000-image test split is not published);
* Table 7: NSCLC Radiogenomics stand-in, the held-out test patients of the training source (never trained on);
* Table 8: the real TCIA Lung-PET-CT-Dx series.

Statistics per table: our mean (over seeds of the mean over images) beside the paper's value, labelled; IDMAN minus
each baseline by the project's one rule (:func:`paperlib.stats.paired_verdict`: per-seed paired deltas over images,
a t-interval over seeds and one over images, "supported" / "contradicted" only when both exclude 0; with one seed,
"unresolved": an ordering, not a finding).

Training in the background (resumable; the notebook then reuses the finished runs)::

    python -m paperlib.experiments.idman.compare --profile quick
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ... import models
from ...data.sources import DEFAULT_HU_WINDOW
from ...data.splits import spaced
from ...errors import DatasetNotFoundError
from ...evaluate import default_protocol
from ...paper_values import (
    DISPLAY_NAMES,
    IDMAN_COMPARE_SCALES,
    IDMAN_COMPARISON_CAPTIONS,
    IDMAN_TABLE5,
    IDMAN_TABLE6,
    IDMAN_TABLE7,
    IDMAN_TABLE8,
)
from ...profiles import capped_slices, capped_study, get_profile, train_plan
from ...stats import paired_verdict, resolve_text
from ...train import TrainConfig, train
from . import ablations as ab
from .architecture import ABLATIONS, PAPER_SIZE, full_size_parameters

SCALES = IDMAN_COMPARE_SCALES
#: The methods, in the paper's row order; the last is IDMAN, compared with each of the others.
METHODS = tuple(IDMAN_TABLE5["psnr"])
TARGET = "idman"
#: The paper's values of each table: ``{metric: {method: (x2, x3, x4)}}``.
PAPER_TABLES = {"table5": IDMAN_TABLE5, "table6": IDMAN_TABLE6, "table7": IDMAN_TABLE7, "table8": IDMAN_TABLE8}
LABELS = {"psnr": "PSNR", "ssim": "SSIM"}

#: IDMAN as in the ablations' Table 4 (= Table 3's "both"): information distillation, the 3x3 + 5x5 MAB, WN.
IDMAN_OPTIONS = ABLATIONS["table4"]["idman"]

#: Model options per profile for the methods not trained at their published size (the registry's defaults, see
#: ``paperlib models``); the same at every scale. IDMAN's size is the ablations' (``idman_ablations.PLANS``).
#: ``quick``: the deep/wide models at the width of the reduced IDMAN (32 features); RCAN with IDMAN's reduced layout
#: (G=2 groups of B=2 blocks, r=8), EDSR/MDSR with as many residual blocks (4), RDN with D=2 blocks of C=4 convs,
#: DRRN at 32 channels and 9 recursive units (its paper's B1U9 depth); SRCNN, FSRCNN and VDSR at their published
#: size. ``smoke``: everything tiny. ``paper``: every method at its published size.
REDUCED = {
    "smoke": {
        "srcnn": dict(n1=8, n2=4),
        "fsrcnn": dict(d=8, s=4, m=1),
        "vdsr": dict(n_feats=8, depth=4),
        "drrn": dict(n_feats=8, n_units=2),
        "edsr": dict(n_resblocks=1, n_feats=8, res_scale=1.0),
        "mdsr": dict(n_resblocks=1, n_feats=8),
        "rdn": dict(g0=8, n_blocks=1, n_convs=2, growth=8),
        "rcan": dict(n_resgroups=1, n_resblocks=1, n_feats=8, reduction=4),
    },
    "quick": {
        "drrn": dict(n_feats=32, n_units=9),
        "edsr": dict(n_resblocks=4, n_feats=32, res_scale=1.0),
        "mdsr": dict(n_resblocks=4, n_feats=32),
        "rdn": dict(g0=32, n_blocks=2, n_convs=4, growth=32),
        "rcan": dict(n_resgroups=2, n_resblocks=2, n_feats=32, reduction=8),
    },
    "paper": {},
}
#: Training seeds per profile (the paper reports one run per method). Three under ``quick`` so that a margin can be
#: weighed against the seed spread (about 3 h on a 2-core CPU; about 10 minutes on one GPU with
#: ``scripts/device_idman_compare.py``).
SEEDS = {"smoke": (0,), "quick": (0, 1, 2), "paper": (0, 1, 2)}
#: Test slices per set at most (evenly spaced through the set, :func:`~paperlib.data.splits.spaced`; ``None``: all).
#: ``quick``: 24 (all 22 of the DeepLesion sample). At 12, changing only *which* 12 slices (every k-th or evenly
#: spaced with both ends) moved 3 of 81 PSNR verdicts, so 12 was too few; 24 takes about 40 minutes for 81 runs on
#: three sets on a 2-core CPU (VDSR and DRRN work at HR size).
N_IMAGES = {"smoke": 2, "quick": 24, "paper": None}


@dataclass(frozen=True)
class ComparePlan:
    """Sizes, schedule, seeds and test images of the comparison under one profile.

    Args:
        sizes: ``{method: model options}`` for every method of :data:`METHODS`.
        overrides: profile fields of every run: the ablation study's (the same schedule as Tables 1-4).
        seeds: training seeds (initialisation and batches) per method and scale.
        n_images: test slices per set at most (``None``: all).
    """

    sizes: dict
    overrides: dict
    seeds: tuple
    n_images: int | None


def plan_for(profile: str, seeds=None) -> ComparePlan:
    """The :class:`ComparePlan` of ``profile`` (``seeds`` replaces its seeds)."""
    base = ab.plan_for(profile)  # names the known profiles when ``profile`` is not one
    sizes = {m: dict(REDUCED[profile].get(m, {})) for m in METHODS}
    sizes[TARGET] = ab.options(IDMAN_OPTIONS, base)
    seeds, n_images = capped_study(profile, SEEDS[profile] if seeds is None else map(int, seeds), N_IMAGES[profile])
    return ComparePlan(sizes, dict(base.overrides), seeds, n_images)


def n_parameters(method: str, options: dict | None = None, scale: int = 2) -> int:
    """Trainable parameters of ``method`` with ``options`` (default: its published size), built on ``meta``
    (IDMAN: :func:`paperlib.experiments.idman.architecture.full_size_parameters`, which needs no deep model)."""
    import torch

    if method == TARGET:
        return full_size_parameters(scale, **(options or {}))
    with torch.device("meta"):
        return models.count_parameters(models.create(method, scale=scale, **(options or {})))


def published_size(method: str) -> str:
    """The published size of ``method`` in words (the registry's description; IDMAN's from section 4.2)."""
    if method == TARGET:
        return "IDMAN, G={n_groups} IDMAGs x B={n_blocks} IDMABs, {n_feats} features, r={reduction}".format(
            **PAPER_SIZE
        )
    return models.model_info(method).description


def size_table(plan: ComparePlan, scale: int = 2) -> pd.DataFrame:
    """Per method: the options trained here, the published size, and the parameters of both at ``scale``."""
    rows = []
    for m in METHODS:
        here, full = n_parameters(m, plan.sizes[m], scale), n_parameters(m, IDMAN_OPTIONS if m == TARGET else {}, scale)
        opts = {k: v for k, v in plan.sizes[m].items() if not (m == TARGET and k in IDMAN_OPTIONS)}
        rows.append(
            {
                "Method": DISPLAY_NAMES[m],
                "size here": ", ".join(f"{k}={v}" for k, v in opts.items()) or "published",
                "published size": published_size(m),
                f"parameters here (x{scale})": here,
                f"parameters published (x{scale})": full,
                "reduced": here != full,
            }
        )
    return pd.DataFrame(rows)


def sizes_text(plan: ComparePlan) -> str:
    """One sentence naming every reduced method with its size here and its published size."""
    t = size_table(plan)
    red = t[t["reduced"]]
    if red.empty:
        return "Every method at its published size."
    parts = [f"{r['Method']} {r['size here']} (published: {r['published size']})" for _, r in red.iterrows()]
    rest = ", ".join(t.loc[~t["reduced"], "Method"]) or "none"
    return f"Reduced sizes: {'; '.join(parts)}. At the published size: {rest}."


def seeds_text(plan: ComparePlan) -> str:
    if len(plan.seeds) == 1:
        return f"One seed ({plan.seeds[0]}): an ordering, not a finding."
    return (
        f"{len(plan.seeds)} seeds ({', '.join(map(str, plan.seeds))}); a verdict needs both the interval over "
        "seeds and the one over images to exclude 0."
    )


def setting_text(profile: str, plan: ComparePlan, data) -> str:
    """Training data, schedule, sizes and seeds: the sentence every table's caption carries."""
    tp = train_plan(get_profile(profile, **plan.overrides), "idman", SCALES[0], len(data.train_patches))
    return (
        f"Every method trained by the same engine, one model per scale, on {len(data.train_patches)} "
        f"{data.train_patches.shape[-1]}x{data.train_patches.shape[-1]} training patches of "
        f"{data.manifest['dataset']} ({data.intensity.data_range_note}): {tp.iterations:,} iterations of "
        f"{tp.batch_size} random {tp.hr_patch}x{tp.hr_patch} HR patches, L1, Adam lr {tp.lr:g} halved every "
        f"{tp.halve_every:,}, the same batches for every method at a seed. {sizes_text(plan)} {seeds_text(plan)}"
    )


# --------------------------------------------------------------------------- test sets


@dataclass(frozen=True)
class EvalSet:
    """A test set of the comparison: its data source (:func:`paperlib.data.sources.load_source`, test split),
    the tables it makes, what it stands for, and what its images' labels are."""

    source: str
    tables: tuple
    role: str
    groups: str = "patient(s)"


EVAL_SETS = {
    "deeplesion": EvalSet(
        "deeplesion",
        ("table5", "table6"),
        "DeepLesion test slices (real DeepLesion; the paper's 1,000 test images of its own random "
        "split are not identified), from another source than our training data",
        "series (the sample has no patient ids)",
    ),
    "nsclc": EvalSet(
        ab.DATA_SOURCE,
        ("table7",),
        "NSCLC Radiogenomics stand-in: the held-out test patients of the training source (TCIA TCGA "
        "CT slices), never trained on (the paper: 500 random NSCLC Radiogenomics images)",
    ),
    "lung_pet_ct_dx": EvalSet(
        "lung_pet_ct_dx",
        ("table8",),
        "TCIA Lung-PET-CT-Dx CT series, both reconstruction kernels (the paper: 500 random Lung-PET-CT-Dx images)",
    ),
}


@dataclass
class EvalImages:
    """A loaded test set: the evaluated slices, every slice of the set (``pool``, for the figures), how they map
    to [0, 1], the data manifest, and a note when the embedded sample stood in (smoke only)."""

    key: str
    images: list
    pool: list
    intensity: object
    manifest: dict
    note: str = ""

    def describe(self) -> str:
        spec = EVAL_SETS[self.key]
        n, total = len(self.images), len(self.pool)
        groups = len({label for _, label, _ in self.images})
        sub = f" (of its {total}, evenly spaced)" if n < total else ""
        return f"{spec.role}. {n} slices{sub} from {groups} {spec.groups} ({self.manifest.get('dataset')})" + (
            f". {self.note}" if self.note else ""
        )


def load_eval_set(key: str, profile: str, plan: ComparePlan, data, seed: int = 0, data_root=None) -> EvalImages:
    """Test set ``key`` of :data:`EVAL_SETS` (the training ``data`` itself when it is the set's source), HU through
    the training window. Missing under ``smoke``: the embedded sample's test slices, with a note; otherwise raises."""
    from ...data.sources import load_source

    spec, note = EVAL_SETS[key], ""
    try:
        d = (
            data
            if data.manifest.get("dataset") == spec.source
            else load_source(spec.source, seed=seed, root=data_root, window=DEFAULT_HU_WINDOW, progress=False)
        )
    except DatasetNotFoundError as err:
        if profile != "smoke":
            raise
        d = load_source("sample", seed=seed, window=DEFAULT_HU_WINDOW)
        note = (
            f"{str(err).split(':')[0]}; the smoke profile used the test slices of the CT sample embedded in "
            f"paperlib instead: {d.manifest['attribution']}"
        )
        print(
            f"paperlib: note: {spec.source} not found; smoke profile: its test set is the embedded TCIA sample",
            file=sys.stderr,
        )
    pool = capped_slices(d.test, profile)  # whole slices unless PAPERLIB_CAP has crop=N
    return EvalImages(key, spaced(pool, plan.n_images), pool, d.intensity, d.manifest, note)


def load_eval_sets(profile: str, plan: ComparePlan, data, seed: int = 0, data_root=None) -> dict:
    """``{key: EvalImages}`` for every set of :data:`EVAL_SETS`."""
    return {k: load_eval_set(k, profile, plan, data, seed, data_root) for k in EVAL_SETS}


# --------------------------------------------------------------------------- training and evaluation


def compare_configs(
    profile: str, seeds=None, device="cpu", methods=METHODS, scales=SCALES, source: str = ab.DATA_SOURCE
) -> dict:
    """``{(method, scale, seed): TrainConfig}``, seed-major, then scale (an interrupted study has whole seeds and
    scales done); data: ``source`` split with seed 0. IDMAN at x2 is the ablations' Table 4 model (same key)."""
    plan = plan_for(profile, seeds)
    return {
        (m, s, seed): TrainConfig.make(
            m,
            s,
            profile,
            seed=seed,
            options=plan.sizes[m],
            paper="idman",
            device=device,
            data=source,
            window=DEFAULT_HU_WINDOW,
            **plan.overrides,
        )
        for seed in plan.seeds
        for s in scales
        for m in methods
    }


def train_all(
    profile: str, data, seeds=None, device="cpu", runs=None, progress=False, methods=METHODS, scales=SCALES
) -> dict:
    """Train (or reuse) every method at every scale and seed; returns ``{(method, scale, seed): Run}``."""
    configs = compare_configs(profile, seeds, device, methods, scales, data.manifest["dataset"])
    return {k: train(cfg, data=data, runs=runs, progress=progress) for k, cfg in configs.items()}


def collect(runs: dict, sets: dict, device="cpu", with_edges: bool = True) -> pd.DataFrame:
    """Tidy per-image rows ``set, method, scale, seed, image, label, psnr, ssim, run`` (cached per run and set), and
    with ``with_edges`` the gradient-magnitude error (:func:`paperlib.metrics.gradient_error`), the measure of
    "clearer edges" that :func:`edges_table` judges."""
    cols = ["set", "method", "scale", "seed", "image", "label", "psnr", "ssim"] + ["gradient_error"] * with_edges
    cols += ["run"]
    frames = [
        ab.evaluate_run(run, ev.images, ev.intensity, device, split=key, with_edges=with_edges).assign(
            set=key, method=m, scale=s, seed=seed, run=Path(run.path).name
        )
        for (m, s, seed), run in runs.items()
        for key, ev in sets.items()
    ]
    return pd.concat(frames, ignore_index=True)[cols] if frames else pd.DataFrame(columns=cols)


# --------------------------------------------------------------------------- tables


def table_set(table: str) -> str:
    """The test set (key of :data:`EVAL_SETS`) a table is made on."""
    return next(k for k, spec in EVAL_SETS.items() if table in spec.tables)


def quality_table(per_image: pd.DataFrame, table: str, plan: ComparePlan | None = None) -> pd.DataFrame:
    """One row per method (the paper's order): per scale and metric our mean (over seeds of the mean over images;
    the seed SD with several seeds) beside the paper's value (``x2 paper PSNR``...). ``plan``: adds the parameters."""
    rows = per_image[per_image["set"] == table_set(table)]
    out = []
    for m in [m for m in METHODS if (rows["method"] == m).any()]:
        mine = rows[rows["method"] == m]
        r = {"Method": DISPLAY_NAMES[m]}
        if plan is not None:
            r["parameters (x2)"] = n_parameters(m, plan.sizes[m])
        r |= {"images": mine["image"].nunique(), "seeds": mine["seed"].nunique()}
        for s in [s for s in SCALES if (mine["scale"] == s).any()]:
            at = mine[mine["scale"] == s]
            for metric, paper in PAPER_TABLES[table].items():
                sm, lab = ab.seed_means(at, metric), LABELS[metric]
                r[f"x{s} {lab}"] = float(sm.mean())
                if len(sm) > 1:
                    r[f"x{s} {lab} seed SD"] = float(sm.std(ddof=1))
                r[f"x{s} paper {lab}"] = paper[m][SCALES.index(s)]
        out.append(r)
    return pd.DataFrame(out)


def _paired_row(rows: pd.DataFrame, baseline: str, metric: str, scale: int, paper: dict) -> dict:
    v = ab.compare(rows, TARGET, baseline, metric)
    i = SCALES.index(scale)
    paper_delta = round(paper[TARGET][i] - paper[baseline][i], 4)
    same = "paper: tie" if paper_delta == 0 else ("yes" if np.sign(v.margin) == np.sign(paper_delta) else "no")
    return {
        "metric": LABELS[metric],
        "scale": scale,
        "IDMAN minus": DISPLAY_NAMES[baseline],
        "delta": v.margin,
        "image_ci_low": v.image_ci_low,
        "image_ci_high": v.image_ci_high,
        "seed_ci_low": v.seed_ci_low,
        "seed_ci_high": v.seed_ci_high,
        "images": v.n_images,
        "seeds": v.n_seeds,
        "per-seed deltas": ", ".join(f"{d:+.4f}" for d in v.per_seed),
        "verdict": v.verdict,
        "why": v.why,
        "to resolve": resolve_text(v),
        "paper delta": paper_delta,
        "same sign as paper": same,
    }


def paired_table(per_image: pd.DataFrame, table: str) -> pd.DataFrame:
    """IDMAN minus each baseline, per metric and scale, paired over the images of the table's set (each method's
    metric averaged over seeds per image first), with the ablations' verdict and the paper's margin beside it."""
    rows = per_image[per_image["set"] == table_set(table)].rename(columns={"method": "variant"})
    out = []
    for metric, paper in PAPER_TABLES[table].items():
        for s in SCALES:
            at = rows[rows["scale"] == s]
            if not (at["variant"] == TARGET).any():
                continue
            out += [_paired_row(at, b, metric, s, paper) for b in METHODS if b != TARGET and (at["variant"] == b).any()]
    return pd.DataFrame(out)


#: The columns of :func:`edges_table` taken from the one rule's verdict (:class:`paperlib.stats.PairedVerdict`).
_EDGE_COLUMNS = (
    "margin",
    "image_ci_low",
    "image_ci_high",
    "seed_ci_low",
    "seed_ci_high",
    "n_images",
    "n_seeds",
    "per_seed",
    "verdict",
    "why",
)


def edges_table(per_image: pd.DataFrame) -> pd.DataFrame:
    """IDMAN against each baseline in gradient-magnitude error (lower is better; in grey levels of the evaluated
    image, 255 x :func:`paperlib.metrics.gradient_error`), per test set and scale, by the one rule: the measure
    behind "IDMAN ... can reconstruct clearer edges" (the paper shows crops, Figs. 8-10, and states no measure).
    Empty when ``per_image`` has no ``gradient_error`` column."""
    if "gradient_error" not in per_image.columns:
        return pd.DataFrame()
    rows = per_image.assign(gradient_error=255 * per_image["gradient_error"]).rename(columns={"method": "variant"})
    out = []
    for (key, s), at in rows.groupby(["set", "scale"], sort=False):
        if not (at["variant"] == TARGET).any():
            continue
        for b in [b for b in METHODS if b != TARGET and (at["variant"] == b).any()]:
            v = paired_verdict(at, TARGET, b, "gradient_error", by="variant", higher_is_better=False)
            r = v.as_row()
            out.append(
                {"set": key, "scale": int(s), "IDMAN minus": DISPLAY_NAMES[b]}
                | {k: r[k] for k in _EDGE_COLUMNS}
                | {"to resolve": resolve_text(v)}
            )
    return pd.DataFrame(out)


def all_tables(per_image: pd.DataFrame, plan: ComparePlan | None = None) -> dict:
    """``{table: (quality_table, paired_table)}`` for every table whose set has rows."""
    return {
        t: (quality_table(per_image, t, plan), paired_table(per_image, t))
        for t in PAPER_TABLES
        if (per_image["set"] == table_set(t)).any()
    }


def ordering_lines(tables: dict) -> list[str]:
    """One line per table, metric and scale: how many baselines IDMAN is above here (and with an interval over
    images above 0) and in the paper."""
    lines = []
    for t, (_, paired) in tables.items():
        for (metric, s), g in paired.groupby(["metric", "scale"], sort=False):
            lines.append(
                f"{t} {metric} x{s}: IDMAN above {int((g['delta'] > 0).sum())} of {len(g)} baselines here "
                f"({int((g['verdict'] == 'supported').sum())} supported by both intervals); in the paper above "
                f"{int((g['paper delta'] > 0).sum())} of {len(g)}"
            )
    return lines


def caption(table: str, ev: EvalImages, setting: str) -> str:
    """A table's caption: the paper's caption quoted, the set (role and size), then the setting."""
    name = table.replace("table", "Table ")
    return (
        f'**{name}, ours beside the paper\'s.** The paper: "{IDMAN_COMPARISON_CAPTIONS[table]}" Columns '
        f"`paper ...` are the paper's values (trained on DeepLesion at full size, tested on its own images), "
        f"never ours. Test set: {ev.describe()}. {setting}"
    )


# --------------------------------------------------------------------------- Figs. 8-10

#: Figs. 8-10: the paper's scale and panels ("Images (a-d)" / "(a,b)", all on DeepLesion test images), and our
#: choice: one DeepLesion test slice per figure (by name) and an inset box ``(top, left, side)`` in HR pixels, chosen
#: by eye in the lung window: lung vessels and bronchi, away from the chest wall (the most detailed window by
#: :func:`paperlib.experiments.dridsr.tables.pick_box` is the body outline against air, which every method renders
#: alike).
FIGURES = {
    "fig8": dict(
        scale=2,
        paper_panels="a-d",
        image="series_b/113.png",
        box=(192, 96, 64),
        why="vessels branching from the right hilum",
    ),
    "fig9": dict(
        scale=3,
        paper_panels="a, b",
        image="series_a/062.png",
        box=(208, 160, 64),
        why="small vessels in cross-section and a bronchus of the right upper lobe (sharper series)",
    ),
    "fig10": dict(
        scale=4,
        paper_panels="a, b",
        image="series_b/108.png",
        box=(200, 128, 64),
        why="a vessel bifurcation in the right lung",
    ),
}
#: The window the figures are shown through (the metrics stay on the ``ct12`` window): chest slices, whose fine
#: detail (vessels, fissures, bronchial walls) is in the lung.
DISPLAY_WINDOW = "lung"


def figure(
    fig: str,
    runs: dict,
    ev: EvalImages,
    device="cpu",
    image: str | None = None,
    box=None,
    box_side: int = 64,
    window=DISPLAY_WINDOW,
):
    """Fig. 8, 9 or 10 remade on one slice of ``ev`` (first seed of ``runs``): ``(matplotlib figure, info)``.

    ``image``/``box`` override :data:`FIGURES`' choice (a given image without a box: :func:`dridsr.pick_box`); a
    named slice missing from ``ev`` (the embedded sample standing in under smoke) gives its first slice, noted."""
    from ...data.hu import rewindow
    from ..dridsr.tables import visual_comparison

    spec, want = FIGURES[fig], image or FIGURES[fig]["image"]
    match = [t for t in ev.pool if t[0] == want]
    note = "" if match else f"{want!r} is not in {ev.manifest.get('dataset')}; using its first test slice"
    img, s = (match or ev.pool)[0], spec["scale"]
    box = box if box is not None else (spec["box"] if image is None and match else None)
    (top, left, side), (h, w) = box or (0, 0, 0), img[2].shape
    if box is not None and (top + side > h or left + side > w):  # a slice cropped by PAPERLIB_CAP
        box, note = None, (note + "; " if note else "") + f"box {box} lies outside the {img[2].shape} slice: pick_box"
    seed = min(sd for _, _, sd in runs)
    at_seed = {(m, sc): r for (m, sc, sd), r in runs.items() if sd == seed}
    title = (
        f"Fig. {fig[3:]} (ours): x{s} on {ev.manifest.get('dataset')} slice {img[0]}, shown through the "
        f"{window} window; crop PSNR/SSIM on the {ev.intensity.window_name} window"
    )
    f, info = visual_comparison(
        at_seed,
        img,
        s,
        device,
        box_side,
        METHODS,
        box,
        title,
        ev.intensity,
        channel="gray",
        display=rewindow(ev.intensity, window),
    )
    info.update(
        paper_figure=fig,
        paper_caption=IDMAN_COMPARISON_CAPTIONS[fig],
        paper_panels=spec["paper_panels"],
        display_window=window,
        metric_window=ev.intensity.data_range_note,
        seed=seed,
        note=note,
        box_chosen="given" if box else "pick_box",
        why=spec["why"] if box is not None and tuple(box) == spec["box"] else "",
    )
    return f, info


# --------------------------------------------------------------------------- Fig. 7

#: Fig. 7: "the convergence curves of our proposed IDMAN and suboptimal RCAN", (a) PSNR and (b) L1 loss during
#: training; the paper does not say at which scale: we take x2, the scale of its ablations and of its Fig. 6.
FIG7_LABELS = {TARGET: "IDMAN", "rcan": "RCAN"}
FIG7_SCALE = 2


def fig7(runs: dict, smooth: int = 1):
    """Fig. 7 remade from the training logs of IDMAN and RCAN at :data:`FIG7_SCALE` (every seed of ``runs``):
    ``(matplotlib figure, summary table at the validation steps)``; the validation PSNR is the engine's, on the
    training source's validation slices."""
    picked = {(m, sd): r for (m, s, sd), r in runs.items() if m in FIG7_LABELS and s == FIG7_SCALE}
    loss, val = ab.training_curves(picked, smooth)
    f = ab.plot_curves(
        loss,
        val,
        FIG7_LABELS,
        f"Fig. 7 (ours): IDMAN and RCAN at x{FIG7_SCALE}, validation PSNR "
        f"and L1 training loss during training (thin: seeds, thick: mean)",
    )
    return f, ab.curve_summary(loss, val)


def fig7_convergence(runs: dict, data, profile: str, device="cpu") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fig. 7's claim as a measurement: IDMAN against RCAN at :data:`FIG7_SCALE` on the ablations' validation slices,
    at the steps where every run saved its weights (:func:`ab.early_comparison`): ``(per-image rows, table)``."""
    pair = {(m, sd): r for (m, s, sd), r in runs.items() if m in FIG7_LABELS and s == FIG7_SCALE}
    return ab.early_comparison(pair, TARGET, "rcan", data, ab.plan_for(profile), device)


# --------------------------------------------------------------------------- provenance and outputs


def provenance(profile: str, plan: ComparePlan, data, sets: dict, runs: dict, device="cpu") -> dict:
    """What made the tables and figures (``comparison_provenance.json``)."""
    from ...runtime import git_commit, hardware_info

    ev = next(iter(sets.values()))
    return (
        {
            "study": "IDMAN comparison, Tables 5-8 and Figs. 8-10",
            "profile": profile,
            "profile_settings": get_profile(profile, **plan.overrides).as_dict(),
            "scales": list(SCALES),
            "sizes": plan.sizes,
            "reduced": sizes_text(plan),
            "seeds": list(plan.seeds),
            "overrides": dict(plan.overrides),
            "data": data.manifest,
            "test_sets": {
                k: {
                    "describe": e.describe(),
                    "dataset": e.manifest.get("dataset"),
                    "note": e.note,
                    "images": [f"{label}/{name}" for name, label, _ in e.images],
                }
                for k, e in sets.items()
            },
            "table_sets": {t: table_set(t) for t in PAPER_TABLES},
            "protocol": {f"x{s}": default_protocol(ev.intensity, s).describe() for s in SCALES},
        }
        | ab.run_records(runs)
        | {"git_commit": git_commit(), "hardware": hardware_info(device)}
    )


#: The caption of the saved edge table (:func:`edges_table`).
EDGES_CAPTION = (
    "IDMAN minus each baseline in gradient-magnitude error (grey levels, lower is better: a negative margin means "
    "IDMAN's edges are closer to the HR image's), by the one rule (paperlib.stats)."
)


def save_outputs(
    per_image: pd.DataFrame,
    tables: dict,
    figures: dict,
    profile: str,
    meta: dict,
    captions: dict,
    sizes: pd.DataFrame,
    convergence: tuple | None = None,
) -> dict:
    """Tables (CSV + Markdown + JSON), figures (PNG + PDF + JSON) and ``comparison_provenance.json`` under
    ``figures/idman/<profile>/``; ``figures``: ``{fig: (matplotlib figure, info)}``; ``convergence``: Fig. 7 as
    :func:`fig7` returns it. Returns ``{name: path}``."""
    from ...results import save_figure, save_table

    side = {k: meta[k] for k in ("profile", "sizes", "seeds", "data", "protocol", "git_commit") if k in meta}
    paths = {
        "per_image": save_table(per_image, "compare_per_image", "idman", profile, side),
        "sizes": save_table(sizes, "compare_sizes", "idman", profile, side, caption=meta.get("reduced", "")),
    }
    for t, (quality, paired) in tables.items():
        paths[t] = save_table(quality, f"compare_{t}", "idman", profile, side, floatfmt=".4f", caption=captions[t])
        paths[f"{t}_paired"] = save_table(
            paired,
            f"compare_{t}_paired",
            "idman",
            profile,
            side,
            floatfmt=".4f",
            caption=f"IDMAN minus each baseline by the one rule (paperlib.stats: intervals over seeds and images). "
            f"{captions[t]}",
        )
    for fig, (f, info) in figures.items():
        paths[fig] = save_figure(
            f, f"{fig}_visual_x{FIGURES[fig]['scale']}", "idman", profile, side | {"figure_info": info}
        )
    if convergence is not None:
        f, summary = convergence
        paths["fig7"] = save_figure(f, "fig7_idman_rcan_curves", "idman", profile, side)
        paths["fig7_curves"] = save_table(
            summary,
            "fig7_idman_rcan_curves",
            "idman",
            profile,
            side,
            floatfmt=".4f",
            caption=f"Fig. 7 data at the validation steps (x{FIG7_SCALE}).",
        )
    edges = edges_table(per_image)
    if not edges.empty:
        paths["edges"] = save_table(
            edges, "compare_edges_paired", "idman", profile, side, floatfmt=".4f", caption=EDGES_CAPTION
        )
    paths["provenance"] = ab.write_provenance(meta, profile, "comparison_provenance.json")
    return paths


def main(argv=None) -> int:
    """Train and evaluate the comparison (resumable) and print the tables; the notebook makes the outputs."""
    args, seeds = ab.study_args(argv, __doc__.split("\n")[0], REDUCED)
    plan = plan_for(args.profile, seeds)
    data = ab.load_data(args.profile, args.source, data_root=args.data_root, progress=True)
    sets = load_eval_sets(args.profile, plan, data, data_root=args.data_root)
    runs = train_all(args.profile, data, seeds, args.device, progress=True)
    for t, (quality, paired) in all_tables(collect(runs, sets, args.device), plan).items():
        print(f"== {t}\n{quality.to_string(index=False)}\n{paired.to_string(index=False)}\n", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
