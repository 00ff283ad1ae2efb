"""The one statistical rule for every claim this project judges: paired over images, paired over seeds.

Every comparison of two methods (a DRIDSR table row, a budget-study margin, an IDMAN ablation delta, an
IDMAN-versus-baseline row, a claims-ledger entry) goes through :func:`paired_verdict`:

1. **Per-seed paired deltas.** For each training seed both sides have, the per-image difference
   ``a - b`` on the same test images (seeds pair by index: a seed draws the same batches for every
   model). A side trained once (``deterministic``: bicubic) is paired with every seed of the other.
2. **Interval over seeds**: a Student-t interval of the per-seed mean deltas (needs >= 2 seeds). It
   says whether another training run would likely give the same sign.
3. **Interval over images**: a Student-t interval of the per-image deltas averaged over seeds. It says
   whether another draw of test images would likely give the same sign.
4. **Verdict** on the claim "a is better than b": ``supported`` when both intervals lie above 0,
   ``contradicted`` when both lie below 0, otherwise ``unresolved`` with the reason (one seed; which
   interval includes 0) and, when the seed interval is the obstacle, the number of seeds a t-interval
   with the measured seed SD would need to exclude 0 at this margin (:func:`seeds_needed`).

``higher_is_better=False`` (NIQE) flips the direction of "better". The margin is always ``a - b`` in
the metric's units.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

CONFIDENCE = 0.95
#: Methods with no training randomness: one evaluation stands for every seed.
DETERMINISTIC = ("bicubic", "Bicubic")
#: Beyond this many seeds an "unresolved" margin is reported as not worth resolving by seeds alone.
MAX_SEEDS_NEEDED = 100
VERDICTS = ("supported", "contradicted", "unresolved")


def t_interval(x, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Student-t interval of the mean of ``x`` (NaN, NaN with fewer than 2 finite values; a point when SD is 0)."""
    from scipy import stats

    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    if len(x) < 2:
        return float("nan"), float("nan")
    mean, sd = float(x.mean()), float(x.std(ddof=1))
    half = float(stats.t.ppf(0.5 + confidence / 2, len(x) - 1) * sd / np.sqrt(len(x)))
    return mean - half, mean + half


def seeds_needed(
    margin: float, seed_sd: float, confidence: float = CONFIDENCE, limit: int = MAX_SEEDS_NEEDED
) -> int | None:
    """Smallest number of seeds n >= 2 whose t-interval (half-width ``t(n-1) * sd / sqrt(n)``) excludes 0 at
    ``margin``, assuming the measured per-seed SD holds; ``None`` when more than ``limit`` or not estimable."""
    from scipy import stats

    if not (np.isfinite(margin) and np.isfinite(seed_sd)) or margin == 0:
        return None
    if seed_sd == 0:
        return 2
    for n in range(2, limit + 1):
        if stats.t.ppf(0.5 + confidence / 2, n - 1) * seed_sd / np.sqrt(n) < abs(margin):
            return n
    return None


@dataclass(frozen=True)
class PairedVerdict:
    """What :func:`paired_verdict` measured, one row of any claims table (``as_row``)."""

    a: str
    b: str
    metric: str
    n_images: int
    n_seeds: int
    margin: float  # mean of a - b over seeds and images, metric units
    image_ci_low: float
    image_ci_high: float
    seed_ci_low: float
    seed_ci_high: float
    seed_sd: float  # SD of the per-seed mean deltas
    per_seed: tuple  # per-seed mean deltas, in seed order
    verdict: str
    why: str
    seeds_needed: int | None

    def as_row(self) -> dict:
        row = asdict(self)
        row["per_seed"] = ", ".join(f"{d:+.4f}" for d in self.per_seed)
        return row


def paired_deltas(
    df: pd.DataFrame, a: str, b: str, metric: str = "psnr", by: str = "method", deterministic=DETERMINISTIC
) -> tuple[pd.DataFrame, str]:
    """``(deltas, note)``: a seeds x images table of ``a - b`` over the seeds and images both sides have.

    ``df`` is tidy: one row per (``by``, seed, image) with the metric (a missing ``seed`` column means one
    seed, 0). A side with a single seed that is ``deterministic`` is broadcast to the other's seeds; a
    non-deterministic side with one seed is paired with the other's first seed only (``note`` says so).
    """
    if "seed" not in df.columns:
        df = df.assign(seed=0)
    sides = {}
    for name in (a, b):
        sub = df[df[by] == name]
        if sub.empty:
            raise KeyError(f"paired_deltas: no rows with {by} == {name!r}")
        sides[name] = sub.pivot_table(index="seed", columns="image", values=metric, aggfunc="mean")
    ta, tb = sides[a], sides[b]

    def every_seed(one, seeds):  # a deterministic side's single row, repeated for each of the other's seeds
        return pd.DataFrame(np.repeat(one.to_numpy(), len(seeds), axis=0), index=seeds, columns=one.columns)

    note = ""
    if len(ta) == 1 and len(tb) > 1 and a in deterministic:
        ta, note = every_seed(ta, tb.index), f"{a}: deterministic, paired with every seed"
    elif len(tb) == 1 and len(ta) > 1 and b in deterministic:
        tb, note = every_seed(tb, ta.index), f"{b}: deterministic, paired with every seed"
    seeds = ta.index.intersection(tb.index)
    if len(seeds) == 0:  # one seed each under different numbers: pair the first of each
        ta, tb = ta.iloc[:1].set_axis([0]), tb.iloc[:1].set_axis([0])
        seeds = ta.index
    images = ta.columns.intersection(tb.columns)
    d = ta.loc[seeds, images] - tb.loc[seeds, images]
    return d.dropna(axis=1, how="any"), note


def paired_verdict(
    df: pd.DataFrame,
    a: str,
    b: str,
    metric: str = "psnr",
    by: str = "method",
    higher_is_better: bool = True,
    confidence: float = CONFIDENCE,
    deterministic=DETERMINISTIC,
) -> PairedVerdict:
    """The project's one rule (module docstring) for the claim "``a`` is better than ``b`` in ``metric``"."""
    d, note = paired_deltas(df, a, b, metric, by, deterministic)
    per_seed = d.mean(axis=1).to_numpy(dtype=float)
    per_image = d.mean(axis=0).to_numpy(dtype=float)
    margin = float(per_seed.mean()) if len(per_seed) else float("nan")
    ilo, ihi = t_interval(per_image, confidence)
    slo, shi = t_interval(per_seed, confidence)
    sd = float(per_seed.std(ddof=1)) if len(per_seed) > 1 else float("nan")
    # intervals of the improvement (a better than b): as is when higher is better, negated otherwise
    imp = (lambda lo, hi: (lo, hi)) if higher_is_better else (lambda lo, hi: (-hi, -lo))  # noqa: E731
    (sl, sh), (il, ih) = imp(slo, shi), imp(ilo, ihi)
    why = []
    if len(per_seed) < 2:
        why.append("one seed: no interval over seeds")
    elif not (sl > 0 or sh < 0):  # a NaN interval excludes nothing
        why.append("the interval over seeds includes 0")
    if not (il > 0 or ih < 0):
        why.append("the interval over images includes 0")
    if not why and sl > 0 and il > 0:
        verdict = "supported"
    elif not why and sh < 0 and ih < 0:
        verdict = "contradicted"
    else:
        verdict = "unresolved"
        if not why:
            why.append("the two intervals lie on opposite sides of 0")
    need = seeds_needed(margin, sd, confidence) if verdict == "unresolved" and len(per_seed) > 1 else None
    if note:
        why.append(note)
    return PairedVerdict(
        a,
        b,
        metric,
        int(d.shape[1]),
        int(d.shape[0]),
        margin,
        ilo,
        ihi,
        slo,
        shi,
        sd,
        tuple(float(x) for x in per_seed),
        verdict,
        "; ".join(why) or "both intervals exclude 0",
        need,
    )


def resolve_text(v: PairedVerdict) -> str:
    """One sentence on what would resolve an unresolved verdict (empty for a decided one)."""
    if v.verdict != "unresolved":
        return ""
    if v.n_seeds < 2:
        return "train at least 2 more seeds of both sides (no seed SD yet), same budget"
    if "over seeds" in v.why:
        if v.seeds_needed is None:
            return (
                f"seeds alone will not do: margin {v.margin:+.3f} against a seed SD of {v.seed_sd:.3f} needs more "
                f"than {MAX_SEEDS_NEEDED} seeds; a longer budget must first move the margin"
            )
        return (
            f"about {v.seeds_needed} seeds of both sides at this budget "
            f"(seed SD {v.seed_sd:.3f}, margin {v.margin:+.3f})"
        )
    return "more test images, or a longer budget (the images disagree on the sign)"
