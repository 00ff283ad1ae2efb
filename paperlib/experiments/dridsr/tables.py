"""The DRIDSR paper's experiments: Table 1, Table 2, Figs 5-11 on COVID-CT.

Data: COVID-CT with the paper's 600/100/46 counts drawn with a seed (the paper's own lists
are not published; see :mod:`paperlib.data.covid_ct`). Without COVID-CT, the smoke profile runs on
the CT sample embedded in the package (:func:`load_data`; HU through the lung window, so the models
still see [0, 1] images, and every table and figure says which data made it). Every model is
trained once per (model, options, scale, profile, data, seed) by :func:`paperlib.train.train`,
which reuses a finished run of the same configuration and never one made under other settings.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

from ...data.cache import Prepared
from ...data.covid_ct import load_prepared_covid_ct
from ...data.intensity import U8, Intensity
from ...errors import DatasetNotFoundError
from ...evaluate import evaluate_images, make_pair, summarize, super_resolve
from ...metrics import Protocol
from ...paper_values import DISPLAY_NAMES, DRIDSR_FIGURE_CAPTIONS, DRIDSR_TABLE1, DRIDSR_TABLE2
from ...profiles import capped_slices, capped_study, get_profile
from ...runs import Run
from ...stats import paired_verdict, resolve_text
from ...train import TrainConfig, train
from ..common import cached_evaluation

METHODS = ("bicubic", "srcnn", "espcn", "vdsr", "imdn", "pan", "dridsr")
SCALES = (3, 4)


def load_data(
    seed: int = 0, data_root=None, progress: bool = True, allow_other_root: bool = False, profile: str | None = None
):
    """COVID-CT prepared with the paper's 600/100/46 split drawn with ``seed`` and 192x192 HR patches.

    Notebooks pass their ``seed`` parameter here (the split is part of what the seed means).
    ``allow_other_root``: see :func:`paperlib.data.covid_ct.prepare_covid_ct`.

    When COVID-CT is not found (no folder, no prepared cache) and ``profile == "smoke"``, the CT
    sample embedded in the package is returned instead (:func:`paperlib.data.sources.load_sample_source`,
    lung window), with a one-line note to stderr and ``manifest["stand_in"]`` saying so; every other
    profile raises the :class:`~paperlib.errors.DatasetNotFoundError` naming COVID-CT.
    """
    try:
        return load_prepared_covid_ct(
            "paper", seed=seed, patch=192, root=data_root, progress=progress, allow_other_root=allow_other_root
        )
    except DatasetNotFoundError as err:
        if profile != "smoke" or _covid_ct_present(data_root):
            raise
        missing = str(err).split(" (data root")[0]
    from ...data.sources import load_sample_source

    data = load_sample_source(seed=seed, window="lung")
    data.manifest["stand_in"] = (
        f"{missing}; the smoke profile ran on the CT sample embedded in paperlib "
        f"({data.manifest['dataset']}) instead of COVID-CT: {data.manifest['attribution']}"
    )
    print(
        f"paperlib: note: {missing}; smoke profile: using the embedded TCIA CT sample (CC BY) instead",
        file=sys.stderr,
        flush=True,
    )
    return data


def _covid_ct_present(data_root) -> bool:
    from ...data.covid_ct import covid_ct_root

    try:
        covid_ct_root(data_root)
    except DatasetNotFoundError:
        return False
    return True


def intensity_of(data) -> Intensity:
    """How ``data``'s stored values map to [0, 1]: 8-bit for COVID-CT, the HU window for the sample."""
    return getattr(data, "intensity", None) or U8


def run_intensity(run) -> Intensity:
    """The intensity a run was trained with (from its manifest; 8-bit for runs that predate it)."""
    d = run.manifest.get("config", {}).get("data", {}).get("intensity")
    return Intensity.from_dict(d) if d else U8


def table_protocol(intensity: Intensity, scale: int) -> Protocol:
    """Table 1's protocol: MATLAB Y, border crop = scale, on the [0, 1] image (8-bit / 255 or the HU window)."""
    if intensity.kind == "u8":
        return Protocol(channel="y", crop_border=scale)
    return Protocol(
        channel="y", crop_border=scale, image_domain=intensity.data_range_note, degradation=intensity.lr_note
    )


#: Training seeds per Table 1 method (every seed trained on the same split, the notebook's ``seed``): the one
#: rule needs two or more for an interval over seeds, so under ``quick`` and ``paper`` each method is trained 3
#: times (as IDMAN's studies are); ``smoke`` trains once (its numbers mean nothing).
TABLE1_SEED_COUNT = {"smoke": 1, "quick": 3, "paper": 3}


def table1_seeds(profile, seed: int = 0) -> tuple:
    """The training seeds of Table 1 under ``profile``: ``seed``, ``seed + 1``, ... (the first is the figures' run,
    the one :func:`train_methods` returns), as many as :data:`TABLE1_SEED_COUNT` says and ``PAPERLIB_CAP`` allows."""
    name = profile if isinstance(profile, str) else profile.name
    n = TABLE1_SEED_COUNT.get(name, 1)
    return capped_study(name, range(seed, seed + n), None)[0]


def table1_configs(
    profile, scales=SCALES, methods=METHODS, seed: int = 0, device="cpu", options=None, seeds=None
) -> dict:
    """``{(method, scale, training seed): TrainConfig}`` of every Table 1 training (data: COVID-CT split with
    ``seed``; training seeds: ``seeds``, default :func:`table1_seeds`). A training seed other than the split's
    only changes the initialisation and the batches: the data is passed to :func:`paperlib.train.train`."""
    options = options or {}
    seeds = table1_seeds(profile, seed) if seeds is None else tuple(seeds)
    return {
        (m, s, t): TrainConfig.make(m, s, profile, seed=t, device=device, options=options.get(m) or {})
        for t in seeds
        for s in scales
        for m in methods
        if m != "bicubic" or t == seeds[0]  # no weights: one run stands for every seed (stats.DETERMINISTIC)
    }


def train_seeds(
    profile: str,
    scales=SCALES,
    methods=METHODS,
    seed: int = 0,
    device="cpu",
    data=None,
    progress: bool = True,
    options: dict | None = None,
    runs=None,
    seeds=None,
) -> dict:
    """Train (or reuse) every (method, scale, training seed) on the split drawn with ``seed``; returns
    ``{(method, scale, training seed): Run}``. ``seeds``: default :func:`table1_seeds` of the profile."""
    data = data or load_data(seed=seed, progress=progress, profile=profile if isinstance(profile, str) else None)
    configs = table1_configs(profile, scales, methods, seed, device, options, seeds)
    return {k: train(cfg, data=data, progress=progress, runs=runs) for k, cfg in configs.items()}


def train_methods(
    profile: str,
    scales=SCALES,
    methods=METHODS,
    seed: int = 0,
    device="cpu",
    data=None,
    progress: bool = True,
    options: dict | None = None,
    runs=None,
) -> dict:
    """Train (or reuse) every (method, scale) once, with training seed ``seed`` (the run the figures and Table 2
    use); returns ``{(method, scale): Run}``. :func:`train_seeds` trains the other seeds of Table 1."""
    got = train_seeds(profile, scales, methods, seed, device, data, progress, options, runs, seeds=(seed,))
    return {(m, s): r for (m, s, _), r in got.items()}


def test_images(data: Prepared, profile: str) -> list:
    """The profile's test images (whole slices unless ``PAPERLIB_CAP`` has ``crop=N``)."""
    n = get_profile(profile).n_test
    return capped_slices(data.test if n is None else data.test[:n], profile)


def evaluate_methods(
    runs: dict,
    data: Prepared,
    profile: str,
    device="cpu",
    progress: bool = True,
    with_niqe: bool = True,
    protocol: Protocol | None = None,
) -> pd.DataFrame:
    """Per-image PSNR/SSIM/MS-SSIM (Y, crop = scale) and NIQE for every run; cached in each run directory.

    ``runs``: ``{(method, scale): Run}`` or ``{(method, scale, training seed): Run}``; each row has the run's
    training ``seed`` (from the key, or from the run's manifest), so several seeds of a method pair by seed.

    ``protocol``: one protocol for every run (default: Y, border crop = the run's scale). The cache
    file ``eval_test_n<N>[_niqe]_<key>.csv`` is keyed by :func:`paperlib.evaluate.evaluation_key`
    (weights file, test images, protocol, metric flags, ``METRICS_VERSION``): a result is only
    reused for exactly the inputs that made it. Without the NIQE model file offline
    (:func:`paperlib.metrics.niqe_available`) NIQE is left out and :func:`table1` says so.
    """
    from ... import metrics

    with_niqe = with_niqe and metrics.niqe_available()
    images, intensity = test_images(data, profile), intensity_of(data)
    frames = []
    for key, run in runs.items():
        m, s, t = run_key(key, run)
        prot = protocol or table_protocol(intensity, s)
        if not (run.path / "weights.pt").is_file():
            run.load_model(device)  # raises CheckpointError naming the unfinished run

        def compute(run=run, m=m, s=s, prot=prot):
            return evaluate_images(
                run.load_model(device),
                images,
                s,
                m,
                device,
                protocol=prot,
                with_ms_ssim=True,
                with_niqe=with_niqe,
                progress=progress,
                intensity=intensity,
            )

        stem = run.path / f"eval_test_n{len(images)}{'_niqe' if with_niqe else ''}"
        frames.append(
            cached_evaluation(
                stem, run.path / "weights.pt", images, prot, compute, with_ms_ssim=True, with_niqe=with_niqe
            ).assign(seed=t)
        )
    return pd.concat(frames, ignore_index=True)


def run_key(key: tuple, run) -> tuple:
    """``(method, scale, training seed)`` of a Table 1 run dict's entry: a 2-tuple key takes the run's own seed
    (0 when its manifest has none, as :func:`paperlib.stats.paired_deltas` reads a table without seeds)."""
    if len(key) == 3:
        return key[0], int(key[1]), int(key[2])
    return key[0], int(key[1]), int(run.manifest.get("config", {}).get("seed", 0))


def protocol_text(scale_note: str = "border crop = scale", data=None) -> str:
    """The protocol sentence of the tables; ``data``: the set evaluated (default: COVID-CT, 8-bit)."""
    p = Protocol(channel="y", crop_border=0)
    intensity = intensity_of(data)
    if intensity.kind == "u8":
        images = (
            f"HR = 8-bit COVID-CT figure modcropped; LR = {p.degradation}, rounded to 8 bits; "
            "SR clipped and rounded to 8 bits"
        )
    else:
        images = (
            f"HR = HU slice modcropped, {intensity.data_range_note}; LR = {intensity.lr_note}; "
            "SR clipped and stored as integer HU"
        )
    return (
        f"PSNR/SSIM/MS-SSIM on MATLAB's Y channel (16-235; +1.32 dB over gray for gray CT), {scale_note}, "
        f"data range 1; {images}; NIQE (pyiqa, LIVE parameters) on the gray SR image, crop = scale."
    )


PI_UNAVAILABLE = "unavailable (NRQM_model.mat not found)"
NIQE_UNAVAILABLE = "unavailable (niqe_modelparameters.mat not found)"


def perceptual_scores(per_image: pd.DataFrame, runs: dict, data, device="cpu", progress: bool = False) -> pd.DataFrame:
    """``per_image`` with Ma (NRQM) and PI = ((10 - Ma) + NIQE) / 2 per image (Blau et al. 2018, PIRM).

    Ma is measured on the same 8-bit SR image and border crop (= scale) as the NIQE column, by
    :func:`paperlib.metrics.ma_score` (pyiqa's NRQM with ``NRQM_model.mat``, offline). Ma values are
    cached in each run directory by the one cached evaluation (``ma_<key>.csv``,
    :func:`paperlib.experiments.common.cached_evaluation`: weights sha256, images, protocol, ``METRICS_VERSION``).
    Without the model file (:func:`paperlib.metrics.nrqm_available`) ``per_image`` is returned
    unchanged; a missing NIQE (image under 192 px) gives a missing PI, never an invented one.
    """
    from tqdm.auto import tqdm

    from ... import metrics

    if not metrics.nrqm_available() or per_image.empty:
        return per_image
    entry = {t[0]: t for t in data.test}  # name -> (name, label, image)
    intensity = intensity_of(data)
    frames = []
    # runs keyed (method, scale, seed) are looked up by each row's seed; runs keyed (method, scale), one per method
    by_key = {(k[0], int(k[1])) + tuple(int(x) for x in k[2:]): r for k, r in runs.items()}
    groups = ["method", "scale"] + (["seed"] if any(len(k) == 3 for k in by_key) else [])
    for key, sub in per_image.groupby(groups, sort=False):
        m, s = key[0], int(key[1])
        sub = sub.copy()
        run = by_key.get((m, s) + tuple(int(x) for x in key[2:]))
        if run is None:
            sub["ma"] = np.nan
            frames.append(sub)
            continue
        names = list(sub["image"])
        imgs = [entry[n] for n in names]

        def compute(run=run, s=int(s), names=names, m=m):
            model, vals = run.load_model(device), {}
            for name in tqdm(names, desc=f"Ma {m} x{s}", disable=not progress, leave=False):
                _, lr = make_pair(entry[name][2], s, intensity)
                vals[name] = metrics.ma_score(intensity.store_sr(super_resolve(model, lr, device)), crop_border=s)
            return pd.Series(vals, name="ma").rename_axis("image").reset_index()

        prot = table_protocol(intensity, int(s))
        ma = cached_evaluation(run.path / "ma", run.path / "weights.pt", imgs, prot, compute, ma=True)
        ma = ma.set_index("image")["ma"]
        sub["ma"] = sub["image"].map(ma).astype(float)
        frames.append(sub)
    out = pd.concat(frames)
    if per_image.index.is_unique:
        out = out.loc[per_image.index]  # the caller's row order
    out["pi"] = metrics.pi_from(out["ma"], out["niqe"] if "niqe" in out.columns else np.nan)
    return out


def table1(
    per_image: pd.DataFrame, runs: dict | None = None, data=None, device="cpu", progress: bool = False
) -> pd.DataFrame:
    """Our means (over test images and training seeds; ``seeds`` counts them) beside the paper's values (labelled
    ``paper ...``).

    PI is the mean of the per-image PI = ((10 - Ma) + NIQE) / 2 (:func:`perceptual_scores`): taken
    from ``per_image``'s ``ma``/``pi`` columns, or computed from ``runs`` and ``data`` when
    ``NRQM_model.mat`` is available; marked :data:`PI_UNAVAILABLE` when it is not.
    """
    from ... import metrics

    if "ma" not in per_image.columns and runs is not None and data is not None:
        per_image = perceptual_scores(per_image, runs, data, device=device, progress=progress)
    if "ma" in per_image.columns and "pi" not in per_image.columns:
        per_image = per_image.assign(pi=metrics.pi_from(per_image["ma"], per_image.get("niqe", np.nan)))
    s = summarize(per_image, metrics=("psnr", "ssim", "ms_ssim", "niqe", "ma", "pi"))
    s["Method"] = s["method"].map(lambda m: DISPLAY_NAMES.get(m, m))
    if "niqe" not in s.columns and not metrics.niqe_available():
        s["niqe"] = NIQE_UNAVAILABLE
    if "pi" in s.columns:
        s["PI"] = s["pi"]
    elif not metrics.nrqm_available():
        s["PI"] = PI_UNAVAILABLE
    else:
        s["PI"] = "not computed (pass runs and data to table1)"
    for i, name in enumerate(("PSNR", "SSIM", "MS-SSIM", "PI")):
        s[f"paper {name}"] = [DRIDSR_TABLE1.get((m, sc), (np.nan,) * 4)[i] for m, sc in zip(s["method"], s["scale"])]
    cols = [
        "Method",
        "scale",
        "n_images",
        "n_seeds",
        "psnr",
        "ssim",
        "ms_ssim",
        "niqe",
        "ma",
        "PI",
        "paper PSNR",
        "paper SSIM",
        "paper MS-SSIM",
        "paper PI",
    ]
    out = s[[c for c in cols if c in s.columns]].rename(
        columns={
            "psnr": "PSNR",
            "ssim": "SSIM",
            "ms_ssim": "MS-SSIM",
            "niqe": "NIQE",
            "ma": "Ma",
            "scale": "Scale",
            "n_images": "images",
            "n_seeds": "seeds",
        }
    )
    return out.sort_values(["Scale"], kind="stable").reset_index(drop=True)


def paired_vs(per_image: pd.DataFrame, target: str = "dridsr", metric: str = "psnr") -> pd.DataFrame:
    """``target`` against each other method by the one rule (:func:`paperlib.stats.paired_verdict`: per-seed paired
    deltas, intervals over seeds and over images), beside the paper's margin. NIQE counts lower as better."""
    rows = []
    for s in sorted(per_image["scale"].unique()):
        at = per_image[per_image["scale"] == s]
        for m in at["method"].unique():
            if m == target:
                continue
            v = paired_verdict(at, target, m, metric, higher_is_better=metric != "niqe")
            pt, pb = DRIDSR_TABLE1.get((target, s)), DRIDSR_TABLE1.get((m, s))
            rows.append(
                {"method": target, "baseline": m, "metric": metric, "scale": int(s)}
                | v.as_row()
                | {
                    "to resolve": resolve_text(v),
                    "paper_diff": (pt[0] - pb[0]) if (pt and pb and metric == "psnr") else np.nan,
                }
            )
    return pd.DataFrame(rows).drop(columns=["a", "b"])


def table2(
    runs: dict,
    per_image: pd.DataFrame,
    scale: int = 4,
    device="cpu",
    methods=("vdsr", "imdn", "pan", "dridsr"),
    repeats: int = 5,
) -> pd.DataFrame:
    """Parameters, weight layers, PSNR, SSIM and inference time for a 512x512 output slice at ``scale``.

    "Layers" follows one definition for every row, :data:`paperlib.models.LAYERS_DEFINITION`
    (main-path weight layers, fixed filters included, attention/gating convolutions excluded);
    "Layers (all convs)" counts every convolution, attention ones included.
    """
    from ... import models
    from ...evaluate import inference_time

    rows = []
    for m in methods:
        if (m, scale) not in runs:
            continue
        model = runs[(m, scale)].load_model(device)
        t = inference_time(model, (512 // scale, 512 // scale), device, repeats=repeats, warmup=2)
        sub = per_image[(per_image["method"] == m) & (per_image["scale"] == scale)]
        paper = DRIDSR_TABLE2.get(m, (np.nan,) * 5)
        rows.append(
            {
                "Method": DISPLAY_NAMES.get(m, m),
                "Parameters (M)": models.count_parameters(model) / 1e6,
                "Layers": models.main_path_layers(model),
                "Layers (all convs)": models.count_layers(model),
                "PSNR": sub["psnr"].mean(),
                "SSIM": sub["ssim"].mean(),
                "Time (s)": t["median_s"],
                "paper Parameters (M)": paper[0],
                "paper Layers": paper[1],
                "paper PSNR": paper[2],
                "paper SSIM": paper[3],
                "paper Time (s)": paper[4],
            }
        )
    return pd.DataFrame(rows)


def pick_box(hr: np.ndarray, side: int, margin: int | None = None) -> tuple[int, int, int]:
    """The ``side`` x ``side`` window with the most detail (largest local std), on a coarse grid.

    Windows within ``margin`` (default ``side // 2``) of the image border are skipped: the figure
    frame is high-contrast, and every model's zero padding shows there, which is not what the
    paper's insets compare.
    """
    h, w = hr.shape
    side = min(side, h, w)
    if margin is None:
        margin = side // 2
    if h - side - 2 * margin < 0 or w - side - 2 * margin < 0:
        margin = 0
    best, pos = -1.0, (margin, margin)
    step = max(4, side // 4)
    for y in range(margin, h - side - margin + 1, step):
        for x in range(margin, w - side - margin + 1, step):
            v = float(hr[y : y + side, x : x + side].std())
            if v > best:
                best, pos = v, (y, x)
    return pos[0], pos[1], side


#: The visual comparisons of Figs. 7-11: the paper's scale and image class (its captions,
#: :data:`paperlib.paper_values.DRIDSR_FIGURE_CAPTIONS`), the test image and the inset box
#: ``(top, left, side)`` in HR pixels (``None``: :func:`pick_box`). The paper's own images are not
#: identified, so the choices are ours: Fig. 7's by name and box (in the seed-0 split, chosen by eye for
#: its GGO); Figs. 8-11's (``image=None``) by the rule of :func:`figure_images`, so that the four show four
#: different images, as the paper's do. The notebook's parameters cell can override them.
FIGURES = {
    "fig7": dict(
        name="fig7_ggo_x4",
        scale=4,
        label="COVID",
        content="ground-glass opacity (GGO) patch",
        image="Ni2020_Article_CombinationOfWesternMedicineAn-p3-10%1.png",
        box=(128, 316, 72),
        why="the clearest GGO of the 19 COVID test images, chosen by eye: a hazy patch of increased "
        "attenuation in the left lung (right side of the image) through which the vessels and "
        "bronchi stay visible; the box lies inside the lung, at least 68 px from every image "
        "border, on a 285 x 457 image (large enough for x4), and holds some normal lung around "
        "the patch for contrast",
    ),
    "fig8": dict(
        name="fig8_covid_x3",
        scale=3,
        label="COVID",
        content="COVID-CT test image",
        image=None,
        box=None,
        why="the 1st COVID test image taken by the rule of figure_images (the paper's text: a clearer lung "
        "edge); inset: its most detailed window (pick_box)",
    ),
    "fig9": dict(
        name="fig9_noncovid_x3",
        scale=3,
        label="NonCOVID",
        content="Non-COVID-CT test image",
        image=None,
        box=None,
        why="the 1st NonCOVID test image taken by the rule of figure_images (the paper's text: "
        "small nodules); inset: its most detailed window (pick_box)",
    ),
    "fig10": dict(
        name="fig10_noncovid_x4",
        scale=4,
        label="NonCOVID",
        content="Non-COVID-CT test image",
        image=None,
        box=None,
        why="the 2nd NonCOVID test image taken by the rule of figure_images (not Fig. 9's; the paper's "
        "text: a clearer lung edge); inset: its most detailed window (pick_box)",
    ),
    "fig11": dict(
        name="fig11_covid_x4",
        scale=4,
        label="COVID",
        content="COVID-CT test image",
        image=None,
        box=None,
        why="the 2nd COVID test image taken by the rule of figure_images (not Fig. 8's; the "
        "paper's text: small nodules); inset: its most detailed window (pick_box)",
    ),
}

#: Smallest side (HR pixels) of a test image :func:`figure_images` takes while one is left: the HR training
#: patch (an x4 LR image of 48 px), so a 64 px inset fits away from the border.
FIGURE_MIN_SIDE = 192


def _source_figure(name: str) -> str:
    """The COVID-CT source figure of a test image: its name before the last ``%`` (``X%0.png``, ``X%1.png``
    are panels of one figure of one article, often one patient), or the whole name when it has none."""
    return name.rsplit("%", 1)[0] if "%" in name else name


def figure_images(data) -> dict:
    """Which test image each figure of :data:`FIGURES` shows on ``data``: ``{fig: (name, label, uint8)}``.

    The rule, in figure order (7, 8, 9, 10, 11): a figure with a named image takes it when it is in
    ``data.test``; every other figure takes the **first image of its class in the test list** (the
    seed-drawn order of ``data.test``) that no earlier figure took, preferring, in this order, images
    at least :data:`FIGURE_MIN_SIDE` px on both sides and from a source figure (:func:`_source_figure`)
    no earlier figure used; a preference is dropped only when no image meets it. So Figs. 8 and 11 show
    the 1st and 2nd COVID images so taken, Figs. 9 and 10 the 1st and 2nd NonCOVID ones: four different
    images. On a stand-in without COVID/NonCOVID classes (``data.manifest["stand_in"]``) the class is
    ignored, and when the test list is shorter than the figures it is reused in order. Pure: reads only the
    names, labels and array shapes of ``data.test``.
    """
    stand_in = bool(data.manifest.get("stand_in"))
    test = list(data.test)
    picks: dict = {}
    for fig, spec in FIGURES.items():
        named = [t for t in test if spec.get("image") and t[0] == spec["image"]]
        if named:
            picks[fig] = named[0]
            continue
        taken = {t[0] for t in picks.values()}
        used = {_source_figure(t[0]) for t in picks.values()}
        pool = [t for t in test if (stand_in or t[1] == spec["label"]) and t[0] not in taken]
        big = [t for t in pool if min(np.shape(t[2])[:2]) >= FIGURE_MIN_SIDE]
        fresh = [t for t in big if _source_figure(t[0]) not in used]
        choice = (fresh or big or pool)[:1]
        if not choice and stand_in and test:
            choice = [test[len(picks) % len(test)]]
        if not choice:
            raise ValueError(f"{fig}: no {spec['label']} test image left that no other figure shows")
        picks[fig] = choice[0]
    return picks


def figure_spec(fig: str, data, image: str | None = None, box=None) -> dict:
    """:data:`FIGURES` entry ``fig`` resolved on ``data``: the ``(name, label, uint8)`` test image and the box.

    The image is the one :func:`figure_images` gives ``fig`` (Fig. 7 by name; Figs. 8-11 by its rule, four
    different images). ``image`` / ``box`` override the choice. A named image must be a test image of the
    figure's class; one that is not in this split (drawn with another seed) is replaced by the rule's image,
    its box chosen by :func:`pick_box`, and ``note`` says so. On a stand-in (``data.manifest["stand_in"]``,
    the embedded sample under the smoke profile), which has no COVID/NonCOVID classes, the rule ignores the
    class.
    """
    spec = dict(FIGURES[fig])
    want = image or spec["image"]
    box = box if box is not None else (spec["box"] if image is None else None)
    note = ""
    if want is None:
        match = [figure_images(data)[fig]]
    else:
        match = [t for t in data.test if t[0] == want]
        if match and match[0][1] != spec["label"]:
            raise ValueError(f"{fig}: image {want!r} is a {match[0][1]} image, the paper's {fig} shows {spec['label']}")
        if not match:
            if not data.test:
                raise ValueError(f"{fig}: no {spec['label']} test image")
            match = [figure_images(data)[fig]]
            note = f"{want!r} is not in this test split; using {match[0][0]!r} with the most detailed window"
            box = None
    num = fig.removeprefix("fig")
    content = (
        spec["content"]
        if match[0][1] == spec["label"]
        else f"{data.manifest.get('dataset')} test image (standing in for a {spec['content']})"
    )
    spec.update(
        image=match[0],
        box=None if box is None else tuple(int(v) for v in box),
        note=note,
        caption=DRIDSR_FIGURE_CAPTIONS[fig],
        title=f"Fig. {num} (ours): x{spec['scale']} SR on a {content}, {match[0][0]}",
    )
    return spec


def figure_comparison(
    runs: dict, data, fig: str, device="cpu", box_side: int = 64, image: str | None = None, box=None, methods=METHODS
):
    """Figure ``fig`` of :data:`FIGURES` (``'fig7'`` ... ``'fig11'``): ``(matplotlib figure, info dict)``."""
    spec = figure_spec(fig, data, image, box)
    figure, info = visual_comparison(
        runs,
        spec["image"],
        spec["scale"],
        device=device,
        box_side=box_side,
        methods=methods,
        box=spec["box"],
        title=spec["title"],
        intensity=intensity_of(data),
    )
    info.update(
        paper_figure=fig,
        paper_caption=spec["caption"],
        box_chosen="given" if spec["box"] else "pick_box",
        why=spec.get("why", ""),
        note=spec["note"],
    )
    return figure, info


def visual_comparison(
    runs: dict,
    image,
    scale: int,
    device="cpu",
    box_side: int = 64,
    methods=METHODS,
    box=None,
    title: str = "",
    intensity: Intensity = U8,
    channel: str = "y",
    display=None,
):
    """Fig 7-11 style: HR with an inset box and each method's crop with its crop PSNR/SSIM (Y).

    ``box``: ``(top, left, side)`` in HR pixels, inside the (modcropped) HR image; ``None``: :func:`pick_box`
    (on the displayed image). ``intensity``: how the stored image maps to [0, 1] (:func:`intensity_of` the data).
    ``channel``: of the crop metrics (``"gray"`` for HU). ``display``: maps a [0, 1] image to what is shown
    (e.g. another HU window); the metrics stay on the [0, 1] images.
    """
    from ...metrics import psnr, ssim
    from ...plots import comparison_grid

    show = display or (lambda a: a)
    name, label, img = image
    hr, lr = make_pair(img, scale, intensity)
    box = box or pick_box(show(hr), box_side)
    y, x, s = box
    if y < 0 or x < 0 or s < 1 or y + s > hr.shape[0] or x + s > hr.shape[1]:
        raise ValueError(f"box {tuple(box)} is not inside the {hr.shape[0]}x{hr.shape[1]} HR image {name!r}")
    outs, scores = {}, {}
    for m in methods:
        if (m, scale) not in runs:
            continue
        sr = intensity.store_sr(super_resolve(runs[(m, scale)].load_model(device), lr, device))
        key = DISPLAY_NAMES.get(m, m)
        outs[key] = show(sr)
        crop = (slice(y, y + s), slice(x, x + s))
        scores[key] = (psnr(sr[crop], hr[crop], channel=channel), ssim(sr[crop], hr[crop], channel=channel))
    fig = comparison_grid(show(hr), outs, box, scores, suptitle=title or f"x{scale} on {label} test image {name}")
    return fig, {"image": name, "label": label, "scale": scale, "box": list(box), "crop_scores": scores}


def frequency_paths(run: Run, image, device="cpu", intensity: Intensity | None = None) -> dict:
    """Input, low-frequency path output, high-frequency path output and SR of a trained DRIDSR (Fig 6).

    Path outputs are feature maps (channels x H x W); each is shown as its mean over channels.
    ``intensity``: default the one the run was trained with (:func:`run_intensity`).
    """
    import torch

    name, label, img = image
    scale = run.manifest["config"]["scale"]
    hr, lr = make_pair(img, scale, intensity or run_intensity(run))
    model = run.load_model(device)
    x = torch.from_numpy(lr.astype(np.float32))[None, None].to(device)
    with torch.inference_mode():
        out = model(x, return_paths=True)
    return {
        "LR input": lr,
        "low-frequency path (mean over channels)": out["low"][0].mean(0).cpu().numpy(),
        "high-frequency path (mean over channels)": out["high"][0].mean(0).cpu().numpy(),
        "SR output": np.clip(out["sr"][0, 0].cpu().numpy(), 0, 1),
        "HR": hr,
    }


def edge_maps(images, data=None) -> dict:
    """Sobel (the paper's gradient path) and Canny 60/120 edge maps of 8-bit images (Fig 5).

    ``data``: the set the images come from; HU images (the embedded sample) are shown through its
    window as 8-bit images (:func:`as_8bit`), so the thresholds mean what they mean on COVID-CT.
    """
    import torch

    from ...models.dridsr import canny_edges, sobel_edges

    out = {}
    for name, label, img in images:
        img = as_8bit(img, intensity_of(data))
        t = torch.from_numpy(img.astype(np.float32) / 255.0)[None, None]
        out[name] = {"image": img, "Sobel": sobel_edges(t)[0, 0].numpy(), "Canny (60/120)": canny_edges(img, 60, 120)}
    return out


def as_8bit(img: np.ndarray, intensity: Intensity = U8) -> np.ndarray:
    """A stored image as uint8: unchanged when already 8-bit, else through ``intensity`` (the HU window) x 255."""
    if img.dtype == np.uint8:
        return img
    if intensity.kind == "u8":
        raise ValueError(f"expected an 8-bit image, got {img.dtype}; pass the HU data it comes from")
    return np.round(np.asarray(intensity.to_unit(img.astype(np.float64))) * 255.0).astype(np.uint8)


def curves(runs: dict, scale: int):
    """Training-loss and validation-PSNR curves of every learned method at ``scale``."""
    from ...plots import training_curves

    loss = {DISPLAY_NAMES.get(m, m): r.log() for (m, s), r in runs.items() if s == scale and m != "bicubic"}
    val = {DISPLAY_NAMES.get(m, m): r.val_log() for (m, s), r in runs.items() if s == scale and m != "bicubic"}
    return training_curves(loss, val)


def run_summary(runs: dict) -> pd.DataFrame:
    """One row per run (keys as :func:`evaluate_methods` takes): steps, training seconds, final loss, where it
    lives."""
    rows = []
    for key, r in runs.items():
        m, s, t = run_key(key, r)
        man = r.manifest
        log = r.log()
        rows.append(
            {
                "method": m,
                "scale": s,
                "seed": t,
                "steps": man.get("steps", 0),
                "train_seconds": round(man.get("train_seconds", 0.0), 1),
                "final_loss_avg20": float(log["loss"].tail(20).mean()) if len(log) else np.nan,
                "bf16": man["config"]["precision"]["bf16_autocast"],
                "run": Path(r.path).name,
            }
        )
    return pd.DataFrame(rows)
