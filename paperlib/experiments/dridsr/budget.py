"""The DRIDSR budget study: test PSNR against training iterations, and what it says about the claims.

Every run of the study is trained once under the ``budget`` profile (fast path, 16 random 96x96 HR
patches per step, lr 1e-3 halved every 2,000 steps) and saves its weights at the profile's
``snapshot_steps``. The learning-rate schedule does not depend on where training stops, so the
snapshot at step k is exactly the run one would get by training for k steps (with the schedule
continued): one run gives the whole curve. Runs are advanced in *stages* (all runs to 1,000, then
all to 2,000, ...), resuming exactly, so the largest budget reached by every run grows evenly.

Each snapshot is evaluated on the 46 test images under the Table 1 protocol (Y, border crop =
scale, 8-bit LR and SR); the per-image rows are cached beside the snapshot, keyed by a hash of the
snapshot file, the test-image list, the protocol, the metric flags and
``METRICS_VERSION`` (:func:`paperlib.evaluate.evaluation_key`), so a changed input is never read from cache.

Run in the background: ``python -m paperlib.experiments.dridsr.budget --stages 1000,2000,5000,10000``.

A study longer than one machine's life (a session whose run directories do not survive, a GPU lent for an
hour) is advanced a few runs at a time: ``--seeds 0 --methods dridsr,imdn`` trains and evaluates only those runs
and takes the other runs' per-image rows from the study's committed results (:func:`committed_results`), when
those were made with the same protocol, metrics version and training configuration. A run trained here always
supersedes its committed rows.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ...config import figures_root
from ...evaluate import evaluate_images
from ...metrics import METRICS_VERSION
from ...paper_values import DISPLAY_NAMES, DRIDSR_CLAIM_BASELINES, DRIDSR_TABLE1
from ...runs import Run
from ...stats import paired_verdict, resolve_text
from ...train import TrainConfig, train
from ..common import cached_evaluation

SCALE = 4
CLAIM_BASELINES = DRIDSR_CLAIM_BASELINES
#: Comparisons that are not claims of the paper: the two readings of the RIDM wiring (models.dridsr).
WIRING_PAIRS = (("DRIDSR (side chain)", "DRIDSR (interleaved)"),)


@dataclass(frozen=True)
class BudgetRun:
    """One curve of the study: a method, its options, a seed, and a display label."""

    method: str
    seed: int = 0
    options: dict = field(default_factory=dict)
    label: str = ""
    max_steps: int | None = None  # cap for costly methods (VDSR: about 10x DRIDSR's cost per step)

    @property
    def name(self) -> str:
        return self.label or DISPLAY_NAMES.get(self.method, self.method)


#: Priority order: one seed of every method first, then the second seeds, VDSR (10x per step) last.
STUDY = (
    BudgetRun("dridsr", 0, {}, "DRIDSR (interleaved)"),
    BudgetRun("imdn", 0),
    BudgetRun("pan", 0),
    BudgetRun("espcn", 0),
    BudgetRun("srcnn", 0),
    BudgetRun("dridsr", 0, {"ridm_wiring": "side_chain"}, "DRIDSR (side chain)"),
    BudgetRun("dridsr", 1, {}, "DRIDSR (interleaved)"),
    BudgetRun("imdn", 1),
    BudgetRun("pan", 1),
    BudgetRun("dridsr", 1, {"ridm_wiring": "side_chain"}, "DRIDSR (side chain)"),
    BudgetRun("vdsr", 0, max_steps=1000),
)


#: The budget30 study (30% of the paper's HR pixels): DRIDSR against the two compact baselines the
#: paper reports closest to it (IMDN, PAN), 2 seeds each, in priority order (every method's seed 0 first);
#: then VDSR, 20x DRIDSR's FLOPs per step (it runs at HR size), to :data:`VDSR_STEPS_30` with 2 seeds.
#: 4,000 is the first snapshot of the profile past the 3,000 iterations the claims ledger asks of VDSR
#: (the old budget study stopped it at 700, where its margin was still moving +0.46 dB per 200 steps).
VDSR_STEPS_30 = 4000
SEEDS_30 = (0, 1)
STUDY_30 = tuple(
    BudgetRun(m, s, {}, "DRIDSR (interleaved)" if m == "dridsr" else "")
    for s in SEEDS_30
    for m in ("dridsr", "imdn", "pan")
) + tuple(BudgetRun("vdsr", s, max_steps=VDSR_STEPS_30) for s in SEEDS_30)

#: Which study a profile runs (smoke: :data:`SMOKE_STUDY`).
STUDIES = {"budget": STUDY, "budget30": STUDY_30}

#: A study small enough for the smoke profile (nbval): two DRIDSR readings and ESPCN, 4 steps.
SMOKE_STUDY = (
    BudgetRun("dridsr", 0, {}, "DRIDSR (interleaved)"),
    BudgetRun("dridsr", 0, {"ridm_wiring": "side_chain"}, "DRIDSR (side chain)"),
    BudgetRun("espcn", 0),
)
SMOKE_OVERRIDES = {"snapshot_steps": (2, 4)}


def study_of(profile: str) -> tuple:
    """``(runs, profile overrides)`` of the study a profile runs (smoke: :data:`SMOKE_STUDY`, a few steps)."""
    return (SMOKE_STUDY, SMOKE_OVERRIDES) if profile == "smoke" else (STUDIES.get(profile, STUDY), {})


def seconds_per_step(method: str, root=None) -> tuple[float, str] | None:
    """Measured training seconds per step of ``method`` under the budget profile (its saved run manifests), and the
    CPU that measured it; ``None`` when no finished manifest records it."""
    rates = []
    for f in sorted((figures_root(root) / "dridsr" / "budget" / "manifests").glob(f"{method}_x4_budget_*.json")):
        m = json.loads(f.read_text())
        if m.get("train_seconds") and m.get("steps"):
            rates.append((m["train_seconds"] / m["steps"], m.get("hardware", {}).get("cpu", "?")))
    runs_csv = figures_root(root) / "dridsr" / "quick" / "training_runs.csv"
    if not rates and runs_csv.is_file():  # the quick profile's x4 runs: the same batch and patch size
        t = pd.read_csv(runs_csv)
        t = t[(t["method"] == method) & (t["scale"] == 4) & (t["steps"] > 0)]
        side = runs_csv.with_suffix(".json")
        cpu = (json.loads(side.read_text()) if side.is_file() else {}).get("hardware", {}).get("cpu", "?")
        rates = [(r.train_seconds / r.steps, cpu) for r in t.itertuples()]
    return (float(np.median([r for r, _ in rates])), rates[0][1]) if rates else None


def evaluate_snapshots(
    run: Run, images, scale: int = SCALE, device="cpu", progress: bool = False, steps=None, with_edges: bool = False
) -> pd.DataFrame:
    """Per-image PSNR/SSIM (and with ``with_edges`` :func:`paperlib.metrics.gradient_error`) of the saved snapshots
    of ``run`` (all, or those in ``steps``), cached per snapshot."""
    from .tables import run_intensity, table_protocol

    method = run.manifest["config"]["model"]
    intensity = run_intensity(run)  # 8-bit for COVID-CT runs; the HU window for runs on the embedded sample
    protocol = table_protocol(intensity, scale)
    cols = ["method", "scale", "image", "label", "step", "psnr", "ssim"] + ["gradient_error"] * with_edges
    frames = []
    for snap in sorted((run.path / "snapshots").glob("step_*.pt")):
        step = int(snap.stem.split("_")[1])
        if steps is not None and step not in steps:
            continue

        def compute(snap=snap, step=step):
            df = evaluate_images(
                run.load_model(device, weights=snap),
                images,
                scale,
                method,
                device,
                protocol=protocol,
                with_ms_ssim=False,
                with_niqe=False,
                progress=progress,
                intensity=intensity,
                with_edges=with_edges,
            )
            return df.assign(step=step)[cols]

        stem = snap.with_name(f"{snap.stem}_eval")
        edges = True if with_edges else None  # None: the key of an evaluation without edges is unchanged
        frames.append(
            cached_evaluation(
                stem, snap, images, protocol, compute, with_ms_ssim=False, with_niqe=False, with_edges=edges
            )
        )
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def study_configs(study=STUDY, profile="budget", device="cpu", **overrides) -> list:
    """``[(BudgetRun, TrainConfig)]`` of every run of ``study`` (data: COVID-CT split with seed 0)."""
    return [
        (br, TrainConfig.make(br.method, SCALE, profile, seed=br.seed, options=br.options, device=device, **overrides))
        for br in study
    ]


def advance(
    stage: int, data, study=STUDY, profile="budget", device="cpu", runs=None, progress=True, jobs: int = 1, **overrides
) -> list:
    """Train every run of ``study`` up to ``stage`` steps (resuming); returns ``[(BudgetRun, Run)]``.

    ``jobs > 1`` trains them in that many local processes side by side
    (:func:`~paperlib.experiments.fanout.fan_out_locally`), balanced by each run's measured seconds per step
    (:func:`seconds_per_step`), so that the longest run gets a process of its own while the shorter ones share
    one; each process loads the study's data itself (COVID-CT split with seed 0, as the study's own) and the runs
    are the same (same keys) as trained in this process.
    """
    configs = study_configs(study, profile, device, **overrides)
    stops = [min(stage, br.max_steps or stage) for br, _ in configs]
    if jobs <= 1:
        return [
            (br, train(cfg, data=data, runs=runs, progress=progress, stop_at=stop))
            for (br, cfg), stop in zip(configs, stops)
        ]
    from ..fanout import Training, fan_out_locally

    if data.manifest.get("seed", 0) != 0:
        raise ValueError(f"jobs={jobs}: each process loads the split with seed 0, not {data.manifest['seed']}")
    todo = [
        Training("dridsr.budget", f"{br.name} seed {br.seed}", cfg, stop) for (br, cfg), stop in zip(configs, stops)
    ]

    def cost(t):  # seconds: measured per step (any CPU: only the ratios matter), else 1 s
        return (seconds_per_step(t.config.model) or (1.0, ""))[0] * t.steps

    dirs = fan_out_locally(todo, jobs, runs, cost=cost)
    return [(br, Run(Path(d))) for (br, _), d in zip(configs, dirs)]


def label_for(method: str, options: dict) -> str:
    """The curve label of a run: DRIDSR's two RIDM readings are told apart."""
    if method == "dridsr":
        return f"DRIDSR ({options.get('ridm_wiring', 'interleaved').replace('_', ' ')})"
    return DISPLAY_NAMES.get(method, method)


def runs_on_disk(runs_root, profile: str = "budget") -> list:
    """``[(BudgetRun, Run)]`` for every x4 run of ``profile`` under ``runs_root`` (read from manifests).

    Lets a figure be made from runs trained earlier (or elsewhere, e.g. a GPU machine) without
    recomputing their keys: what each run is comes from its own manifest.
    """
    from pathlib import Path as _P

    out = []
    for d in sorted(_P(runs_root).glob(f"*_x{SCALE}_{profile}_*")):
        if not (d / "manifest.json").is_file():
            continue
        run = Run(d)
        cfg = run.manifest["config"]
        br = BudgetRun(cfg["model"], int(cfg["seed"]), dict(cfg["options"]), label_for(cfg["model"], cfg["options"]))
        out.append((br, run))
    return out


def collect(runs: list, images, device="cpu", progress=False, steps=None, with_edges: bool = False) -> pd.DataFrame:
    """Tidy per-image rows for every snapshot of every run: run label, seed, step, image, psnr, ssim (and
    ``gradient_error`` with ``with_edges``)."""
    frames = []
    for br, run in runs:
        df = evaluate_snapshots(run, images, SCALE, device, progress, steps, with_edges)
        if len(df):
            frames.append(df.assign(run=br.name, seed=br.seed, run_dir=Path(run.path).name))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


#: The table that holds a study's per-image rows (``figures/dridsr/<profile>/<name>.csv``, sidecar ``.json``).
PER_IMAGE_TABLE = "budget_per_image_per_checkpoint"


def _comparable(key_config: dict) -> str:
    """The hash of a run's key configuration without its precision (which names the CPU or GPU that trained it),
    as :func:`paperlib.runs.config_key` hashes it (a tuple and its JSON list are the same)."""
    from ...runs import config_key

    return config_key({k: v for k, v in key_config.items() if k != "precision"})


def committed_results(profile: str, data, exclude, protocol: str, root=None) -> tuple:
    """``(rows, manifests)``: the committed per-image rows of the runs of the profile's study (:func:`study_of`)
    that are not in ``exclude`` (``(label, seed)`` pairs trained here), and those runs' committed manifests
    (``{run directory: manifest}``).

    Rows are taken only when the committed table's protocol is ``protocol``, its metrics version is
    :data:`~paperlib.metrics.METRICS_VERSION` (a table that records none was made at version 1: the version has
    been 1 since it was introduced, in commit a0b2442, before any budget table), and the run's committed manifest
    holds the same training configuration (data, plan, profile, model options, seed; not the precision, which
    names the hardware) as the study's run would have now. Anything else is left out and said on stderr: it must be
    retrained.
    """
    import sys

    from ...train import Trainer

    d = figures_root(root) / "dridsr" / profile
    csv, side = d / f"{PER_IMAGE_TABLE}.csv", d / f"{PER_IMAGE_TABLE}.json"
    if not (csv.is_file() and side.is_file()):
        return pd.DataFrame(), {}
    meta = json.loads(side.read_text())
    if meta.get("protocol") != protocol or meta.get("metrics_version", 1) != METRICS_VERSION:
        print(f"{csv}: made under another protocol or metrics version; its rows are not reused", file=sys.stderr)
        return pd.DataFrame(), {}
    study, over = study_of(profile)
    expected = {
        (br.name, br.seed): _comparable(Trainer(cfg, data).key_config)
        for br, cfg in study_configs(study, profile, **over)
        if (br.name, br.seed) not in exclude
    }
    keep, manifests = [], {}
    for run_dir, sub in pd.read_csv(csv).groupby("run_dir", sort=False):
        who = (sub["run"].iloc[0], int(sub["seed"].iloc[0]))
        if who not in expected:
            continue
        man = d / "manifests" / f"{run_dir}.json"
        m = json.loads(man.read_text()) if man.is_file() else {}
        if _comparable(m.get("config", {})) != expected[who]:
            print(
                f"{man}: not the configuration of {who[0]} seed {who[1]} now; its rows are not reused", file=sys.stderr
            )
            continue
        keep.append(sub)
        manifests[run_dir] = m
    return (pd.concat(keep, ignore_index=True) if keep else pd.DataFrame()), manifests


def curve_table(per_image: pd.DataFrame) -> pd.DataFrame:
    """Mean test PSNR/SSIM per (run label, seed, step), then mean and range over seeds per (label, step)."""
    by_seed = per_image.groupby(["run", "seed", "step"])[["psnr", "ssim"]].mean().reset_index()
    g = by_seed.groupby(["run", "step"])
    out = g[["psnr", "ssim"]].mean()
    out["psnr_min"], out["psnr_max"] = g["psnr"].min(), g["psnr"].max()
    out["n_seeds"] = g.size()
    return out.reset_index()


def common_step(per_image: pd.DataFrame, label: str, baseline: str) -> int | None:
    """The largest snapshot step that both labels reached with all their seeds."""
    steps = []
    for lab in (label, baseline):
        sub = per_image[per_image["run"] == lab]
        if sub.empty:
            return None
        seeds = sub["seed"].unique()
        reached = [set(sub.loc[sub["seed"] == s, "step"]) for s in seeds]
        steps.append(set.intersection(*reached))
    both = steps[0] & steps[1]
    return max(both) if both else None


def claims(
    per_image: pd.DataFrame, target: str = "DRIDSR (interleaved)", baselines=CLAIM_BASELINES, extra_pairs=WIRING_PAIRS
) -> pd.DataFrame:
    """Per claim (``target`` beats a baseline at x4): the one rule at the largest common budget.

    :func:`paperlib.stats.paired_verdict` on the per-image PSNR of both labels at their largest common
    snapshot step (per-seed paired deltas; intervals over seeds and over images; a verdict only when
    both exclude 0). ``trend`` is the change of the margin since the previous common snapshot (a margin
    still moving says the verdict may change). ``extra_pairs`` adds comparisons that are not claims of
    the paper (the two RIDM readings), with no paper margin.
    """
    return pd.DataFrame(_claim_rows(per_image, target, baselines, extra_pairs, _paired_row))


def furthest(
    per_image: pd.DataFrame, target: str = "DRIDSR (interleaved)", baselines=CLAIM_BASELINES, extra_pairs=WIRING_PAIRS
) -> pd.DataFrame:
    """Per claim, the same rule at the furthest snapshot both labels reached with the seeds they share there, when
    that is beyond :func:`claims`' step (a study advanced seed by seed): where the margin is heading. With one seed
    the verdict is *unresolved* by the rule (no interval over seeds): a trend, never a finding."""
    return pd.DataFrame(_claim_rows(per_image, target, baselines, extra_pairs, furthest_row))


def paper_margin(method: str) -> float:
    """The paper's Table 1 PSNR of DRIDSR minus ``method``'s at x4 (NaN when the table has no such row)."""
    return DRIDSR_TABLE1[("dridsr", SCALE)][0] - DRIDSR_TABLE1.get((method, SCALE), (np.nan,))[0]


def _claim_rows(per_image: pd.DataFrame, target: str, baselines, extra_pairs, row_of) -> list:
    """``row_of(per_image, a, b, paper margin)`` for ``target`` against each baseline, then each extra pair."""
    pairs = [(target, DISPLAY_NAMES.get(b, b), paper_margin(b)) for b in baselines]
    pairs += [(a, b, float("nan")) for a, b in extra_pairs]
    return [row for a, b, paper in pairs if (row := row_of(per_image, a, b, paper))]


def furthest_row(per_image: pd.DataFrame, target: str, blabel: str, paper: float) -> dict | None:
    """One row of :func:`furthest`: ``target`` minus ``blabel`` on their shared seeds at their furthest common
    step; ``None`` when that is no further than :func:`common_step`."""
    seeds_at = per_image.groupby(["run", "step"])["seed"].apply(set)
    shared = {
        step: seeds_at[target, step] & seeds_at[blabel, step]
        for (run, step) in seeds_at.index
        if run == target and (blabel, step) in seeds_at.index
    }
    reached = [step for step, seeds in shared.items() if seeds]
    if not reached or max(reached) <= (common_step(per_image, target, blabel) or 0):
        return None
    step, seeds = max(reached), shared[max(reached)]
    sub = per_image[per_image["run"].isin([target, blabel]) & per_image["seed"].isin(seeds)]
    return _paired_row(sub, target, blabel, paper, step)


def verdict_at(per_image: pd.DataFrame, step: int, target: str, baseline: str):
    """The one rule on ``target`` against ``baseline`` at snapshot ``step``."""
    return paired_verdict(per_image[per_image["step"] == step], target, baseline, "psnr", by="run")


def margin_trend(per_image: pd.DataFrame, step: int, target: str, baseline: str, margin: float) -> tuple:
    """``(change of ``margin``, the margin at ``step``, since the previous snapshot both labels reached, that
    step)``; NaN and ``None`` when ``step`` is the first (a margin still moving says the verdict may change)."""
    common = set(per_image.loc[per_image["run"] == target, "step"]) & set(
        per_image.loc[per_image["run"] == baseline, "step"]
    )
    prev = sorted(s for s in common if s < step)
    if not prev:
        return np.nan, None
    return margin - verdict_at(per_image, prev[-1], target, baseline).margin, prev[-1]


def _paired_row(per_image: pd.DataFrame, target: str, blabel: str, paper: float, step=None) -> dict | None:
    """One row of :func:`claims`: ``target`` minus ``blabel`` at ``step`` (default: their largest common step)."""
    step = common_step(per_image, target, blabel) if step is None else step
    if step is None:
        return None
    v = verdict_at(per_image, step, target, blabel)
    trend, prev = margin_trend(per_image, step, target, blabel, v.margin)
    seeds = per_image[per_image["step"] == step].groupby("run")["seed"].nunique()
    name = f"{target.replace(' (interleaved)', '')} > {blabel} (x{SCALE})"
    return {
        "claim": name,
        "step": step,
        "n_images": v.n_images,
        "seeds": f"{seeds[target]} vs {seeds[blabel]}",
        "margin_dB": v.margin,
        "image_ci_low": v.image_ci_low,
        "image_ci_high": v.image_ci_high,
        "seed_ci_low": v.seed_ci_low,
        "seed_ci_high": v.seed_ci_high,
        "seed_sd_dB": v.seed_sd,
        "trend_dB_since_prev": trend,
        "prev_step": prev,
        "paper_margin_dB": paper,
        "verdict_at_this_budget": v.verdict,
        "why": v.why,
        "to resolve": resolve_text(v),
    }


def _staggered(ys, gap: float, lo: float, hi: float) -> list:
    """Label heights for lines at ``ys`` (any order): each as close to its line as it can be while
    every two labels are at least ``gap`` apart and all stay within ``[lo, hi]`` when they fit."""
    order = sorted(range(len(ys)), key=lambda i: ys[i])
    pos = [float(ys[i]) for i in order]
    for k in range(len(pos)):  # push up from the lowest
        pos[k] = max(pos[k], lo, pos[k - 1] + gap if k else lo)
    for k in range(len(pos) - 1, -1, -1):  # then down from the top, if the top one left the axes
        pos[k] = min(pos[k], hi if k == len(pos) - 1 else pos[k + 1] - gap)
    out = [0.0] * len(ys)
    for k, i in enumerate(order):
        out[i] = pos[k]
    return out


def _label_paper_lines(ax, papers: list, lo: float, hi: float) -> None:
    """Label each ``(y, text, colour)`` dashed line at the right edge, outside the axes, without overlaps."""
    gap = 0.045 * (hi - lo)  # about 1.5 label heights at fontsize 7 on this axes
    for (y, text, color), at in zip(papers, _staggered([p[0] for p in papers], gap, lo, hi)):
        ax.annotate(
            text,
            xy=(1.0, y),
            xycoords=("axes fraction", "data"),
            xytext=(1.03, at),
            textcoords=("axes fraction", "data"),
            fontsize=7,
            color=color,
            ha="left",
            va="center",
            annotation_clip=False,
            arrowprops=dict(arrowstyle="-", color=color, lw=0.6, shrinkA=0, shrinkB=0),
        )


def plot_curves(curves: pd.DataFrame, title: str = ""):
    """Test PSNR (Y) against iterations, log scale; the band is the range over training seeds (min to max
    of the seeds' mean PSNR, drawn where a label has 2+ seeds); the paper's x4 values dashed, each labelled
    at the right edge, outside the axes, staggered so that no two labels overlap (a thin leader joins a
    label to its line when it had to move); the legend, outside below those labels, says the same."""
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    fig, ax = plt.subplots(figsize=(8.5, 5))
    drawn, papers = set(), []
    for i, (lab, sub) in enumerate(curves.groupby("run", sort=False)):
        color = f"C{i}"
        ax.plot(sub["step"], sub["psnr"], "-o", ms=3, color=color, label=lab)
        if (sub["n_seeds"] > 1).any():
            ax.fill_between(sub["step"], sub["psnr_min"], sub["psnr_max"], color=color, alpha=0.2)
        method = next((m for m, d in DISPLAY_NAMES.items() if lab.split(" (")[0] == d), None)
        paper = DRIDSR_TABLE1.get((method, SCALE))
        if paper and method not in drawn:  # one dashed line per method, in its first curve's colour
            drawn.add(method)
            ax.axhline(paper[0], color=color, ls="--", lw=0.8)
            papers.append((paper[0], f"paper {DISPLAY_NAMES.get(method, method)}", color))
    ax.set_xscale("log")
    lo, hi = ax.get_ylim()
    _label_paper_lines(ax, papers, lo, hi)
    ax.set_ylim(lo, hi)
    ax.set_xlabel("training iterations (16 patches of 96x96 HR each)")
    ax.set_ylabel(f"test PSNR (Y, dB), x{SCALE}, 46 images")
    ax.set_title(
        title
        or "DRIDSR budget study (x4): shaded band = range over training seeds;\n"
        "dashed = the paper's converged Table 1 values",
        fontsize=11,
    )
    ax.grid(True, which="both", alpha=0.3)
    handles, labels = ax.get_legend_handles_labels()
    handles += [Patch(color="0.5", alpha=0.3), Line2D([], [], color="0.3", ls="--", lw=0.8)]
    labels += [
        "range over training seeds\n(min-max of seed means; 2+ seeds)",
        "paper's Table 1 x4 value\n(labelled at right)",
    ]
    # outside, below the paper labels, so that it hides no curve
    ax.legend(handles, labels, fontsize=7.5, loc="lower left", bbox_to_anchor=(1.02, 0.0), borderaxespad=0.0)
    fig.tight_layout()
    return fig


def run_study(profile: str, stages, data, images, device="cpu", runs=None, progress=False) -> tuple:
    """Advance the study stage by stage and evaluate every snapshot: ``(per_image, [(BudgetRun, Run)])``.

    ``profile="smoke"`` runs :data:`SMOKE_STUDY` for a few steps (code path only).
    """
    study, over = study_of(profile)
    pairs = []
    for stage in stages:
        pairs = advance(int(stage), data, study, profile, device, runs, progress, **over)
    return collect(pairs, images, device, progress), pairs


def study_meta(data, seed: int, stages, pairs: list, earlier: dict | None = None) -> dict:
    """Provenance saved beside the study's tables: protocol, metrics version, data, split seed, stages and the
    runs behind them (``pairs`` trained here, ``earlier``: the committed manifests of runs reused from
    :func:`committed_results`)."""
    from .tables import protocol_text

    earlier = earlier or {}
    manifests = [r.manifest for _, r in pairs] + list(earlier.values())
    return {
        "protocol": protocol_text(data=data),
        "metrics_version": METRICS_VERSION,
        "data": data.manifest,
        "seed": seed,
        "stages": list(stages),
        "runs": sorted({str(r.path.name) for _, r in pairs} | set(earlier)),
        # every commit that trained some of the runs' steps (a staged run is resumed across sessions)
        "run_commits": sorted(
            {s["git_commit"] for m in manifests for s in m.get("sessions", [])}
            | {m.get("git_commit", "?") for m in manifests}
        ),
        "paper_values": "dashed lines / paper_margin_dB are the paper's Table 1 x4 values (its own 46-image split)",
    }


def save_outputs(per_image: pd.DataFrame, pairs: list, profile: str, meta: dict):
    """Per-checkpoint CSV, curve table, claims table, figure and run manifests under ``figures/dridsr/<profile>``.

    Returns ``(curves, claims table, figure path)``.
    """
    import matplotlib.pyplot as plt

    from ...results import output_dir, save_figure, save_table

    curves = curve_table(per_image)
    cl = claims(per_image)
    save_table(per_image, "budget_per_image_per_checkpoint", "dridsr", profile, meta)
    save_table(curves, "budget_curves", "dridsr", profile, meta)
    save_table(cl, "budget_claims", "dridsr", profile, meta)
    save_table(furthest(per_image), "budget_claims_furthest", "dridsr", profile, meta)
    fig = plot_curves(curves)
    png = save_figure(fig, "budget_psnr_vs_iterations", "dridsr", profile, meta)
    plt.close(fig)
    man_dir = output_dir("dridsr", profile) / "manifests"
    man_dir.mkdir(exist_ok=True)
    for _, run in pairs:
        (man_dir / f"{Path(run.path).name}.json").write_text(json.dumps(run.record(), indent=2, default=str))
    return curves, cl, png


def merge_committed(per_image: pd.DataFrame, pairs: list, data, profile: str, root=None) -> tuple:
    """``(per_image and the committed rows of the profile's other runs, their manifests)``
    (:func:`committed_results`; the runs in ``pairs``, trained here, are never taken from there)."""
    from .tables import protocol_text

    trained = {(br.name, br.seed) for br, _ in pairs}
    rows, earlier = committed_results(profile, data, trained, protocol_text(data=data), root)
    return pd.concat([per_image, rows], ignore_index=True) if len(rows) else per_image, earlier


def rerun_shift(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """How far a retrained run moved from its earlier result of the same configuration and seed: per run, seed and
    step, the per-image PSNR change ``after - before`` (mean, SD and largest magnitude over the images in both).

    Same configuration is not the same arithmetic: a CPU's bf16 kernels sum in an order that depends on the
    thread count (and the machine), so a rerun is another draw, like another seed. This measures how large."""
    k = ["run", "seed", "step", "image"]
    m = before[k + ["psnr"]].merge(after[k + ["psnr"]], on=k, suffixes=("_before", "_after"))
    shift = (m["psnr_after"] - m["psnr_before"]).rename("shift")
    g = pd.concat([m[k[:3]], shift, shift.abs().rename("abs")], axis=1).groupby(k[:3], sort=True)
    out = g["shift"].agg(["mean", "std", "size"]).join(g["abs"].max())
    return out.reset_index().rename(
        columns={"mean": "mean_shift_dB", "std": "sd_dB", "size": "n_images", "abs": "max_abs_shift_dB"}
    )


def _began(manifest: dict | None) -> str | None:
    """When a run's training began (its first session's start; ``None`` without a manifest)."""
    if not manifest:
        return None
    return (manifest.get("sessions") or [{}])[0].get("started") or manifest.get("started")


def merge_rerun_shift(earlier: pd.DataFrame, earlier_meta: dict, table: pd.DataFrame, meta: dict) -> tuple:
    """``(table, meta)`` with the rows and provenance of ``earlier`` (a saved ``budget_rerun_shift``) kept for every
    (run, seed) that ``table`` does not measure again: each rerun is a measurement of its own, not a state."""
    if earlier.empty:
        return table, meta
    mine = set(zip(table["run"], table["seed"]))
    keep = earlier[[(r, int(s)) not in mine for r, s in zip(earlier["run"], earlier["seed"])]]
    out = pd.concat([keep, table], ignore_index=True).sort_values(["run", "seed", "step"], kind="stable")
    merged = {
        side: {k: v for k, v in earlier_meta.get(side, {}).items() if k != "source"} | meta[side]
        for side in ("before", "after")
    }
    sources = [earlier_meta.get("before", {}).get("source"), meta["before"].get("source")]
    merged["before"]["source"] = "; ".join(dict.fromkeys(x for x in sources if x))
    return out.reset_index(drop=True), meta | merged


def save_rerun_shift(before: pd.DataFrame, before_manifests: dict, per_image: pd.DataFrame, pairs: list,
                     profile: str, source: str, root=None) -> Path | None:  # fmt: skip
    """Save :func:`rerun_shift` of the runs trained here against ``before`` (their earlier rows, from ``source``)
    as ``budget_rerun_shift``, with both sides' commits and thread counts, beside the rows an earlier rerun of
    other runs saved there (:func:`merge_rerun_shift`); ``None`` when nothing was retrained."""
    from ...results import output_dir, save_table

    # retrained here, not resumed: a resumed run keeps the start of its first session (Trainer.start's sessions)
    pairs = [(br, r) for br, r in pairs if _began(before_manifests.get(Path(r.path).name)) != _began(r.manifest)]
    mine = {(br.name, br.seed) for br, _ in pairs}
    if before.empty or not mine:  # no earlier table (a study's first run), or nothing retrained
        return None
    before = before[[(r, int(s)) in mine for r, s in zip(before["run"], before["seed"])]]
    table = rerun_shift(before, per_image)
    if table.empty:
        return None

    def sides(m: dict) -> dict:
        hw = m.get("hardware", {})
        return {"git_commit": m.get("git_commit"), "cpu": hw.get("cpu"), "torch_threads": hw.get("torch_threads")}

    retrained = set(before["run_dir"])
    meta = {
        "before": {"source": source} | {d: sides(m) for d, m in before_manifests.items() if d in retrained},
        "after": {Path(r.path).name: sides(r.manifest) for _, r in pairs},
        "what": "per-image PSNR of the same run key (configuration and seed) retrained: after - before",
    }
    saved = output_dir("dridsr", profile, root) / "budget_rerun_shift.csv"
    if saved.is_file():
        table, meta = merge_rerun_shift(pd.read_csv(saved), json.loads(saved.with_suffix(".json").read_text()),
                                        table, meta)  # fmt: skip
    caption = "A rerun of the same configuration and seed: PSNR after - before, per image (dB)."
    return save_table(table, "budget_rerun_shift", "dridsr", profile, meta, floatfmt=".3f", caption=caption, root=root)


def main(argv=None):
    """Advance the profile's study stage by stage; after each stage, evaluate and save the outputs."""
    from ...runtime import git_commit
    from .tables import load_data, protocol_text, test_images

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0], allow_abbrev=False)
    ap.add_argument("--stages", default="1000,2000,5000,10000", help="comma-separated step targets, in order")
    ap.add_argument("--profile", default="budget", choices=sorted(STUDIES))
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--seed", type=int, default=0, help="data split seed")
    ap.add_argument(
        "--jobs", type=int, default=1, help="train the runs of a stage in this many local processes side by side"
    )
    ap.add_argument("--seeds", default="", help="comma-separated training seeds to train here (default: all)")
    ap.add_argument(
        "--methods",
        default="",
        help="comma-separated methods to train here (default: all); the runs not trained here take their rows "
        "from the committed results when those were made by the same configuration (see committed_results)",
    )
    args = ap.parse_args(argv)
    study = tuple(
        br
        for br in STUDIES[args.profile]
        if (not args.seeds or br.seed in {int(x) for x in args.seeds.split(",")})
        and (not args.methods or br.method in args.methods.split(","))
    )
    if not study:
        ap.error(f"--seeds {args.seeds!r} --methods {args.methods!r}: no run of the {args.profile} study")
    data = load_data(seed=args.seed)
    images = test_images(data, args.profile)
    stages = [int(s) for s in args.stages.split(",")]
    # the committed rows of the runs about to be retrained, before the first stage overwrites them
    before, before_manifests = committed_results(args.profile, data, set(), protocol_text(data=data))
    source = f"the study's table on disk when it started (checkout {git_commit()})"
    for i, stage in enumerate(stages):
        runs = advance(stage, data, study, profile=args.profile, device=args.device, jobs=args.jobs)
        per, earlier = merge_committed(collect(runs, images, args.device, progress=True), runs, data, args.profile)
        meta = study_meta(data, args.seed, stages[: i + 1], runs, earlier)
        curves, cl, png = save_outputs(per, runs, args.profile, meta)
        save_rerun_shift(before, before_manifests, per, runs, args.profile, source)
        from ...results import update_readme_budget

        update_readme_budget(profile=args.profile)
        print(f"== stage {stage}: {png}\n", curves.to_string(index=False), "\n", cl.to_string(index=False), flush=True)


if __name__ == "__main__":
    main()
