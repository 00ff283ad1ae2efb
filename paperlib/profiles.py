"""Training profiles and the papers' schedules, defined once for every notebook and the CLI.

* ``smoke``: seconds on a CPU, for CI and nbval. Numbers are meaningless and every table made
  under it says so.
* ``quick``: an honest reduced run for a 2-core CPU: real data, minutes per model, all models
  given the same number of iterations and the same batches (budgets equalised by iterations,
  not wall time), smaller HR patches. Results are early-training results.
* ``paper``: the papers' own schedules (meant for a GPU).

A profile scales iterations, batch, patch and test-set size. It never changes an
architecture: model options come from the notebook/CLI and are part of the run key.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

from .errors import UnknownNameError


@dataclass(frozen=True)
class PaperSchedule:
    """A paper's optimisation recipe, as data."""

    lr: float
    batch_size: int
    hr_patch: int | None = None  # HR patch side (DRIDSR states HR)
    lr_patch: int | None = None  # LR patch side (HR = lr_patch * scale); IDMAN's 48 is read as HR, see SCHEDULES
    halve_every_epochs: int | None = None
    halve_every_iters: int | None = None
    epochs: int | None = None
    iterations: int | None = None
    min_lr: float = 0.0
    n_pairs: int | None = None
    betas: tuple = (0.9, 0.999)
    eps: float = 1e-8
    loss: str = "l1"  # the training loss, used by paperlib.train (both papers: L1)


#: DRIDSR (sec. 4.2): Adam, lr 1e-3 halved every 30 epochs down to 1e-5, 200 epochs, batch 64,
#: 192x192 HR patches, 1498 pairs. IDMAN (sec. 4.2): Adam, lr 1e-4 halved every 2e5 iterations,
#: batch 10, 48x48 patches, see the note beside its entry.
SCHEDULES = {
    "dridsr": PaperSchedule(
        lr=1e-3, batch_size=64, hr_patch=192, halve_every_epochs=30, epochs=200, min_lr=1e-5, n_pairs=1498
    ),
    # IDMAN patch: 48x48 *HR* (LR 24/16/12 at x2/x3/x4). Section 4.2 says only "We take the LR image and
    # corresponding HR image as the input and crop the patch with the size of 48x48". With 48x48 LR patches
    # (RCAN's convention), batch 10, G=10, B=20, the fp32 activations the model as built saves for backward
    # are 15.7-16.1 GB (x2-x4; 17.7-18.1 GB with weights, gradients and Adam state), beyond the paper's
    # 11 GB GTX 1080 Ti; with 48x48 HR patches they are 3.9 GB at x2 (6.0 GB in all), which fits, and the
    # paper's remark that "the MAB can only have at most two branches ... due to the limitation of GPU"
    # fits this reading too (3+5+7 branches: 8.5 GB at x2). Measured by
    # ``paperlib.experiments.idman.architecture.activation_memory_gb`` / ``memory_table`` (notebooks/idman/01).
    # Length: the paper never states its total iterations (nor its model size); 1e6 is RCAN's code
    # default (1000 epochs x 1000 iterations; "Most of our parameters refer to RCAN"), whose lr_decay of
    # 200 epochs is the paper's halving every 2e5 iterations. EDSR's code default is 3e5 (300 epochs).
    "idman": PaperSchedule(lr=1e-4, batch_size=10, hr_patch=48, halve_every_iters=200_000, iterations=1_000_000),
}


@dataclass(frozen=True)
class Profile:
    """How much of a paper's schedule to run.

    Args:
        name: ``smoke``, ``quick`` or ``paper``.
        iterations: optimiser steps per model (``None``: from the paper's schedule).
        batch_size: patches per step (``None``: the paper's).
        hr_patch: HR patch side (``None``: the paper's); rounded down to a multiple of the scale.
        lr_halve_every: steps between learning-rate halvings (``None``: the paper's).
        n_test: test images evaluated (``None``: the whole split).
        n_train_patches: cap on stored training patches used (``None``: all).
        val_every: steps between validation PSNR/SSIM logs; ``ckpt_every``: between checkpoints.
        n_val: validation images used for the periodic log.
        fast_path: channels_last + bf16 autocast where supported (reconstruction kept in fp32).
        fp32_models: models trained in fp32 even when ``fast_path`` is on, because the measured
            parity (``python -m bench.parity``, ``bench/results/parity_quick.*``)
            put them outside 0.05 dB of their fp32 twin.
        snapshot_steps: steps at which the weights are also saved to ``snapshots/step_NNNNNN.pt``
            (the budget study evaluates them on the test set).
        meaningful: ``False`` marks every table made under this profile as not a result.
    """

    name: str
    iterations: int | None
    batch_size: int | None
    hr_patch: int | None
    lr_halve_every: int | None
    n_test: int | None
    n_train_patches: int | None = None
    val_every: int = 100
    ckpt_every: int = 50
    n_val: int = 4
    fast_path: bool = True
    fp32_models: tuple = ()
    snapshot_steps: tuple = ()
    meaningful: bool = True
    note: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


#: Models trained in fp32 even under the fast path. Empty since the multi-seed parity
#: (``python -m bench.parity --seeds 0,1,2``, ``bench/results/parity_quick.md``; quick,
#: x4, 46 test images, Intel Xeon with AMX): fast - fp32 = +0.039 dB for DRIDSR and -0.010 dB for
#: IMDN (means over 3 training seeds, each paired over images with identical batches), while two
#: fp32 runs of different seeds land up to 0.24 dB (DRIDSR) and 0.11 dB (IMDN) apart. The fast
#: path's difference sits inside the seed spread, so it costs nothing measurable. (An earlier
#: one-seed run had put DRIDSR's difference at +0.26 dB; one seed could not tell precision from
#: trajectory noise.)
FP32_MODELS: tuple = ()

PROFILES = {
    "smoke": Profile(
        "smoke",
        iterations=4,
        batch_size=2,
        hr_patch=48,
        lr_halve_every=1000,
        n_test=2,
        n_train_patches=16,
        val_every=1000,
        ckpt_every=2,
        n_val=1,
        meaningful=False,
        note="seconds on a CPU; exercises the code path only, numbers are meaningless",
    ),
    "quick": Profile(
        "quick",
        iterations=400,
        batch_size=16,
        hr_patch=96,
        lr_halve_every=150,
        n_test=46,
        val_every=100,
        ckpt_every=50,
        n_val=4,
        fp32_models=FP32_MODELS,
        note="reduced CPU run: 400 iterations x 16 random 96x96 HR patches per model (lr 1e-3 halved "
        "every 150), the same batches for every model; early training, not converged",
    ),
    "budget": Profile(
        "budget",
        iterations=10_000,
        batch_size=16,
        hr_patch=96,
        lr_halve_every=2000,
        n_test=46,
        val_every=500,
        ckpt_every=250,
        n_val=4,
        snapshot_steps=(100, 200, 300, 500, 700, 1000, 1500, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 10_000),
        note="budget study: up to 10,000 iterations x 16 random 96x96 HR patches (lr 1e-3 halved every "
        "2,000, a learning-rate schedule independent of where training stops, so every snapshot "
        "is a prefix of the longest run); fast path for every model",
    ),
    "paper": Profile(
        "paper",
        iterations=None,
        batch_size=None,
        hr_patch=None,
        lr_halve_every=None,
        n_test=None,
        fp32_models=FP32_MODELS,
        val_every=500,
        ckpt_every=500,
        n_val=10,
        note="the paper's schedule; meant for a GPU",
    ),
}


def get_profile(name, **overrides) -> Profile:
    """A profile by name (or a Profile), with optional field overrides, then the cap of ``PAPERLIB_CAP`` if set."""
    if isinstance(name, Profile):
        prof = name
    else:
        if name not in PROFILES:
            raise UnknownNameError(f"unknown profile {name!r}; known: {sorted(PROFILES)}")
        prof = PROFILES[name]
    prof = replace(prof, **overrides) if overrides else prof
    return _capped(prof) if active_cap() and prof.name != "smoke" else prof


#: ``PAPERLIB_CAP="iterations=2,seeds=1,images=2"`` runs a profile at its own model, patch and batch sizes but for
#: a few iterations, seeds and evaluation images: a check that every notebook works at those shapes (the
#: ``paper`` profile on a CPU: ``make paper-shapes``), never a result. A capped profile is marked not meaningful,
#: its runs get other keys (the iterations are part of them) and its outputs go to ``figures/<paper>/<profile>-capped``.
#: ``crop=N`` also centre-crops every evaluated slice to N x N HR pixels (:func:`capped_slices`): the models stay at
#: the papers' sizes, but a whole 512 x 512 slice through the 85 M-parameter IDMAN takes minutes on a CPU, and its
#: comparison evaluates 29 models.
CAP_ENV = "PAPERLIB_CAP"
CAP_KEYS = ("iterations", "seeds", "images", "crop")
#: the smallest ``crop``: NIQE needs 192 px per side after a border crop of up to 4 px (x4), and a multiple of 12
#: keeps every scale (2, 3, 4) dividing the slice
MIN_CAP_CROP = 204


def active_cap() -> dict:
    """The parsed ``PAPERLIB_CAP`` (``{}`` when unset); a malformed value is a one-line error naming the variable."""
    import os

    raw = os.environ.get(CAP_ENV, "").strip()
    if not raw:
        return {}
    out = {}
    for part in raw.split(","):
        key, _, val = part.partition("=")
        if key.strip() not in CAP_KEYS or not val.strip().isdigit() or int(val) < 1:
            raise ValueError(f"{CAP_ENV}={raw!r}: expected comma-separated {'/'.join(CAP_KEYS)}=N (N >= 1), e.g. "
                             "'iterations=2,seeds=1,images=2'")  # fmt: skip
        out[key.strip()] = int(val)
    crop = out.get("crop")
    if crop is not None and (crop < MIN_CAP_CROP or crop % 12):
        raise ValueError(f"{CAP_ENV}={raw!r}: crop must be a multiple of 12 and at least {MIN_CAP_CROP} (NIQE needs "
                         "192 px per side after the border crop)")  # fmt: skip
    return out


def capped_count(n: int | None, key: str) -> int | None:
    """``n`` (``None``: all) limited by the cap's ``key`` when a cap is set."""
    c = active_cap().get(key)
    return n if c is None else (c if n is None else min(n, c))


def capped_study(profile: str, seeds, n_images: int | None) -> tuple[tuple, int | None]:
    """A study's training seeds and evaluation images under the cap (as given under ``smoke`` or without a cap)."""
    seeds = tuple(seeds)
    if profile == "smoke" or not active_cap():
        return seeds, n_images
    return seeds[: capped_count(len(seeds), "seeds")], capped_count(n_images, "images")


def capped_slices(images, profile: str) -> list:
    """Evaluation slices ``(name, label, HxW)`` centre-cropped to the cap's ``crop`` side when one is set (and the
    profile is not ``smoke``, never capped); as given otherwise. Slices already that small are left whole."""
    side = None if profile == "smoke" else active_cap().get("crop")
    if side is None:
        return list(images)
    out = []
    for name, label, img in images:
        top, left = max(0, (img.shape[0] - side) // 2), max(0, (img.shape[1] - side) // 2)
        out.append((name, label, img[top : top + side, left : left + side]))
    return out


def _capped(prof: Profile) -> Profile:
    import os

    # iterations None (the paper's schedule, at least as long as the cap) becomes the cap itself
    iterations = capped_count(prof.iterations, "iterations")
    note = (
        f"{prof.note}; CAPPED by {CAP_ENV}={os.environ.get(CAP_ENV)}: a check of the shapes, the numbers mean nothing"
    )
    # "images" caps every evaluation: the test images and the periodic validation (10 full slices through the
    # 85 M-parameter IDMAN take minutes on a CPU, longer than the capped training itself)
    n_test, n_val = capped_count(prof.n_test, "images"), capped_count(prof.n_val, "images")
    return replace(prof, iterations=iterations, n_test=n_test, n_val=n_val, meaningful=False, note=note)


@dataclass(frozen=True)
class TrainPlan:
    """Concrete numbers for one training run: a profile applied to a paper's schedule."""

    iterations: int
    batch_size: int
    hr_patch: int
    lr: float
    halve_every: int
    min_lr: float
    betas: tuple = (0.9, 0.999)
    eps: float = 1e-8

    def as_dict(self) -> dict:
        return asdict(self)


def train_plan(profile: Profile, paper: str, scale: int, n_train_patches: int) -> TrainPlan:
    """Resolve a profile against ``SCHEDULES[paper]`` for ``scale`` and the data size."""
    sch = SCHEDULES[paper]
    batch = profile.batch_size or sch.batch_size
    patch = profile.hr_patch or sch.hr_patch or (sch.lr_patch * scale)
    patch -= patch % scale
    steps_per_epoch = max(1, (sch.n_pairs or n_train_patches) // sch.batch_size)
    if profile.iterations is not None:
        iters = profile.iterations
    elif sch.epochs is not None:
        iters = sch.epochs * steps_per_epoch
    else:
        iters = sch.iterations
    if profile.lr_halve_every is not None:
        halve = profile.lr_halve_every
    elif sch.halve_every_epochs is not None:
        halve = sch.halve_every_epochs * steps_per_epoch
    else:
        halve = sch.halve_every_iters
    return TrainPlan(iters, batch, patch, sch.lr, halve, sch.min_lr, sch.betas, sch.eps)


def paper_plan(paper: str, scale: int):
    """The paper's schedule resolved (DRIDSR: 200 epochs of its 1,498 pairs at batch 64; IDMAN: our reading)."""
    return train_plan(get_profile("paper"), paper, scale, SCHEDULES[paper].n_pairs or 1)


def budget(
    paper: str, iterations: int, batch: int, hr_patch: int, scale: int, paper_iterations: int | None = None
) -> dict:
    """Our budget beside the paper's: iterations and HR pixels seen (iterations x batch x patch^2), and fractions."""
    pp = paper_plan(paper, scale)
    p_it = paper_iterations or pp.iterations
    ours_px, paper_px = iterations * batch * hr_patch**2, p_it * pp.batch_size * pp.hr_patch**2
    text = (
        f"{iterations:,} it x {batch} x {hr_patch}² = {100 * ours_px / paper_px:.2g}% of the paper's HR pixels "
        f"({p_it:,} it x {pp.batch_size} x {pp.hr_patch}²), {100 * iterations / p_it:.2g}% of its iterations"
    )
    return {
        "budget": text,
        "iterations": iterations,
        "paper_iterations": p_it,
        "pixel_fraction": ours_px / paper_px,
        "iteration_fraction": iterations / p_it,
    }


def steps_for_pixel_fraction(fraction: float, profile: Profile, paper: str = "dridsr", scale: int = 4) -> int:
    """Steps of ``profile`` that show ``fraction`` of the HR pixels the paper's schedule shows (iterations x
    batch x HR patch side squared), rounded up."""
    import math

    pp = train_plan(PROFILES["paper"], paper, scale, SCHEDULES[paper].n_pairs or 1)
    paper_px = pp.iterations * pp.batch_size * pp.hr_patch**2
    return math.ceil(fraction * paper_px / (profile.batch_size * profile.hr_patch**2))


#: The budget profile carried to 30% of DRIDSR's x4 paper budget in HR pixels (issue: claims at >= 30%).
#: Same batches, patch and learning-rate schedule as ``budget`` (lr halved every 2,000 steps down to the
#: schedule's floor), so its curve continues the budget study's; a separate name because the iteration
#: count is part of the run key.
_BUDGET30_STEPS = steps_for_pixel_fraction(0.30, PROFILES["budget"])
PROFILES["budget30"] = replace(
    PROFILES["budget"],
    name="budget30",
    iterations=_BUDGET30_STEPS,
    snapshot_steps=(500, 1000, 2000, *range(4000, _BUDGET30_STEPS, 2000), _BUDGET30_STEPS),
    note="the budget profile carried to 30% of DRIDSR's x4 paper budget in HR pixels (see budget); snapshots "
    "every 2,000 steps and at the end",
)
