"""Capacity: how far IDMAN's ablation variants and comparison baselines differ in size, and their size-matched twins.

A variant that wins with 3x the parameters of its reference has not shown that its *design* helps. For every
ablation variant (against its table's reference) and every comparison baseline (against IDMAN, at the profile's
sizes) this module gives the parameter ratio and, where it lies outside ``1 +- TOLERANCE``, a **twin**: an IDMAN
with its width and depth (:data:`WIDTH`, :data:`DEPTH`) changed until its parameters come closest to the other
side's. Every twin is an IDMAN, so the claim under test keeps its subject:

- an ablation variant's twin is that variant at its table's reference size: "B beats A at A's size";
- a comparison row's twin is IDMAN at the baseline's size: "IDMAN beats X at X's size". Matching IDMAN to each
  baseline (rather than each baseline to IDMAN) is this project's choice: it asks about IDMAN's design, and it is
  what a CPU can train (VDSR, DRRN and SRCNN work at HR size: grown to IDMAN's 0.5 M parameters, one of them
  costs hours a run here; IDMAN twins cost minutes).

``--ablations`` and ``--comparison`` train the twins (resumable, reused by run key) and evaluate them so that they
pair image by image and seed by seed with the studies' own results (the ledger's equal-size rows).
"""

from __future__ import annotations

import pandas as pd

from ... import models

#: Parameters within this fraction of the other side's count are "the same size".
TOLERANCE = 0.15
#: The width knob searched per method, with the step its values take (channel counts that keep every
#: divisibility the model needs: attention reductions, channel splits).
WIDTH = {
    "idman": ("n_feats", 8),
    "rcan": ("n_feats", 8),
    "edsr": ("n_feats", 4),
    "mdsr": ("n_feats", 4),
    "rdn": ("g0", 4),
    "drrn": ("n_feats", 4),
    "vdsr": ("n_feats", 4),
    "srcnn": ("n1", 4),
    "fsrcnn": ("d", 4),
}


#: A second knob searched with the width, where the width's grid alone is too coarse (IDMAN's channels move in
#: steps of 8 for its attention reduction: with 2 blocks per group, 16 -> 24 channels is +45% parameters).
DEPTH = {"idman": ("n_blocks", range(1, 7))}


def parameters(method: str, options: dict, scale: int = 2) -> int:
    return models.count_parameters(models.create(method, scale=scale, **options))


def twin(method: str, options: dict, target: int, scale: int = 2) -> tuple[dict, int]:
    """``(options, parameters)`` of ``method`` with its width (and, for :data:`DEPTH`'s models, its depth) changed
    so that its parameters come closest to ``target``; the other options are kept (RDN's growth rate follows
    ``g0``)."""
    knob, step = WIDTH[method]
    depth_knob, depths = DEPTH.get(method, (None, [None]))
    best = None
    for d in depths:
        for w in range(step, 513, step):
            opts = dict(options) | {knob: w} | ({depth_knob: d} if depth_knob else {})
            if method == "rdn":
                opts["growth"] = w
            try:
                n = parameters(method, opts, scale)
            except (ValueError, AssertionError, RuntimeError):  # a width the model refuses (divisibility)
                continue
            if best is None or abs(n - target) < abs(best[1] - target):
                best = (opts, n)
            if n > 2 * target:
                break
    if best is None:
        raise ValueError(f"{method}: no {knob} gives a model near {target:,} parameters")
    return best


def _row(kind: str, name: str, n: int, ref_name: str, ref_params: int, twin_of: str, options: dict, target: int,
         scale: int) -> dict:  # fmt: skip
    """One row of :func:`capacity_table`: ``name`` (``n`` parameters) against ``ref_name``; outside the tolerance,
    the twin of ``twin_of`` (IDMAN with ``options``) sized to ``target`` parameters."""
    row = {"study": kind, "model": name, "parameters": n, "against": ref_name, "their parameters": ref_params}
    row["ratio"] = n / ref_params
    row["same size"] = abs(row["ratio"] - 1) <= TOLERANCE
    if not row["same size"]:
        opts, tn = twin("idman", options, target, scale)
        knobs = [WIDTH["idman"][0], DEPTH["idman"][0]]
        row |= {"twin of": twin_of, "twin": ", ".join(f"{k}={opts[k]}" for k in knobs), "twin options": opts}
        row |= {"twin parameters": tn, "twin ratio": tn / target, "twin same size": abs(tn / target - 1) <= TOLERANCE}
    return row


def capacity_table(profile: str = "quick", scale: int = 2) -> pd.DataFrame:
    """Every ablation variant against its table's reference, and every comparison baseline against IDMAN, at the
    sizes ``profile`` trains (``scale`` x2: the ablations' scale), with an IDMAN twin where the sizes differ by
    more than :data:`TOLERANCE` (``twin of``: the variant, or ``idman`` for a comparison row; ``twin ratio``: the
    twin's parameters over the size it is matched to)."""
    from . import ablations as ab
    from . import compare as cmp

    plan, rows = ab.plan_for(profile), []
    for table, variants in ab.ABLATIONS.items():
        ref = ab.REFERENCE[table]
        ref_params = parameters("idman", ab.options(variants[ref], plan), scale)
        for name, v in variants.items():
            if name != ref:
                opts = ab.options(v, plan)
                n = parameters("idman", opts, scale)
                rows.append(_row(table, name, n, ref, ref_params, name, opts, ref_params, scale))
    cplan = cmp.plan_for(profile)
    idman = cplan.sizes["idman"]
    target = parameters("idman", idman, scale)
    for m in cmp.METHODS:
        if m not in ("bicubic", "idman"):
            n = parameters(m, cplan.sizes[m], scale)
            rows.append(_row("comparison", m, n, "idman", target, "idman", idman, n, scale))
    out = pd.DataFrame(rows)
    out["twin parameters"] = out["twin parameters"].astype("Int64")  # a count: blank where no twin, never 1.0e5
    for col in ("same size", "twin same size"):  # yes / no ("" where no twin was needed)
        out[col] = out[col].map({True: "yes", False: "no"}).fillna("")
    return out


#: The twins ``--ablations`` trains and evaluates, per ablation table: the variants of the comparisons the paper
#: states in words (its claims; Table 4's two models are the same size). Table 2's other variants (7, 3+7, 5+7)
#: have twins in the table too, trained by ``--train``.
ABLATION_TWINS = {
    "table1": ("info_distill",),
    "table2": ("3", "5", "3+5", "3+5+7"),
    "table3": ("info_distill", "mab", "both"),
}


def twin_label(model: str) -> str:
    """How an ablation variant's twin is named in the per-image results: the variant's name and ``(twin)``."""
    return f"{model} (twin)"


def comparison_twin_label(baseline: str) -> str:
    """How IDMAN's twin at a comparison baseline's size is named in the per-image results (column ``method``)."""
    return f"idman ({baseline}'s size)"


def twin_configs(profile: str = "quick", device="cpu", only: dict | None = None, seeds=None) -> list:
    """``[(study, model, TrainConfig)]`` of every twin of :func:`capacity_table` (an IDMAN at x2, the profile's
    schedule of the IDMAN studies, every seed of the profile or ``seeds``), seed-major; ``only`` (``{study:
    models}``) keeps those rows. Twins with the same options share one run key: trained once."""
    from ...data.sources import DEFAULT_HU_WINDOW
    from ...train import TrainConfig
    from . import ablations as ab

    plan, out = ab.plan_for(profile, seeds), []
    table = capacity_table(profile)
    rows = table[table["twin"].notna()].to_dict("records")
    for seed in plan.seeds:
        for r in rows:
            if only is not None and r["model"] not in only.get(r["study"], ()):
                continue
            cfg = TrainConfig.make(
                "idman",
                2,
                profile,
                seed=seed,
                options=r["twin options"],
                paper="idman",
                device=device,
                data=ab.DATA_SOURCE,
                window=DEFAULT_HU_WINDOW,
                **plan.overrides,
            )
            out.append((r["study"], r["model"], cfg))
    return out


def ablation_twins(profile: str, data, device="cpu", runs=None, progress=False, seeds=None) -> tuple:
    """Train (or reuse by key) the twins of :data:`ABLATION_TWINS` and evaluate them on the ablation study's
    images with its protocol: per-image rows ``table, variant, seed, image, label, psnr, ssim, run`` with
    ``variant`` = :func:`twin_label` of the variant, so that they pair with ``ablation_per_image`` by image and
    seed; returns ``(rows, {(table, variant, seed): Run})``."""
    from ...train import train
    from . import ablations as ab

    twins = {}
    for study, model, cfg in twin_configs(profile, device, ABLATION_TWINS, seeds):
        twins[(study, twin_label(model), cfg.seed)] = train(cfg, data=data, runs=runs, progress=progress)
    return ab.collect(twins, ab.eval_images(data, ab.plan_for(profile)), data.intensity, device), twins


def comparison_twins(profile: str, data, sets: dict, device="cpu", runs=None, progress=False, seeds=None) -> tuple:
    """Train (or reuse by key) IDMAN at the size of every comparison baseline more than :data:`TOLERANCE` off
    IDMAN's, and evaluate it on the comparison's test ``sets`` (:func:`~.compare.load_eval_sets`) with its
    protocol: per-image rows of :func:`~.compare.collect` with ``method`` = :func:`comparison_twin_label` of the
    baseline and ``scale`` 2, so that they pair with ``compare_per_image`` by set, image and seed; returns
    ``(rows, {(label, 2, seed): Run})``."""
    from ...train import train
    from . import compare as cmp

    twins = {}
    for _, model, cfg in twin_configs(profile, device, {"comparison": tuple(cmp.METHODS)}, seeds):
        twins[(comparison_twin_label(model), 2, cfg.seed)] = train(cfg, data=data, runs=runs, progress=progress)
    return cmp.collect(twins, sets, device), twins


def fan_out_twins(configs: list, jobs: int) -> list[str]:
    """Train ``configs`` (``[(study, model, TrainConfig)]`` of :func:`twin_configs`) in ``jobs`` local processes
    side by side (:func:`~..fanout.fan_out_locally`), balanced by parameter count (a twin's cost per step grows
    with it); returns the run directory of each config, in their order."""
    from ..fanout import Training, fan_out_locally

    todo = [Training("idman.capacity", f"idman twin ({model}) seed {cfg.seed}", cfg) for _, model, cfg in configs]
    return fan_out_locally(todo, jobs, cost=lambda t: parameters("idman", t.config.options))


def save_comparison_twins(profile: str, seeds=None) -> str:
    """Train (or reuse) and evaluate the comparison twins; write ``capacity_comparison_twins_per_image`` with the
    comparison's provenance; returns what :func:`~paperlib.results.save_table` says."""
    from ...results import save_table
    from . import ablations as ab
    from . import compare as cmp

    data, plan = ab.load_data(profile), cmp.plan_for(profile, seeds)
    sets = cmp.load_eval_sets(profile, plan, data)
    per, twins = comparison_twins(profile, data, sets, progress=True, seeds=seeds)
    side = cmp.provenance(profile, plan, data, sets, twins) | {
        "study": "IDMAN at each comparison baseline's size (equal-size twins)",
        "scales": [2],
    }
    return save_table(per, "capacity_comparison_twins_per_image", "idman", profile, side)


def main(argv=None) -> int:
    """Write ``figures/idman/<profile>/capacity_twins`` (the table, with provenance); ``--train`` trains every
    twin, ``--ablations`` / ``--comparison`` train and evaluate one study's twins (resumable; seed-major) with the
    IDMAN studies' data and write their per-image results."""
    import argparse

    from ...results import save_table
    from ...train import train
    from . import ablations as ab

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0], allow_abbrev=False)
    ap.add_argument("--profile", default="quick", choices=sorted(ab.PLANS))
    ap.add_argument("--train", action="store_true", help="train every twin (CPU hours at quick)")
    ap.add_argument("--seeds", default=None, help="comma-separated training seeds (default: the profile's)")
    ap.add_argument(
        "--ablations",
        action="store_true",
        help="train and evaluate the ablation tables' twins; write capacity_twins_per_image (the ledger's "
        "equal-size rows)",
    )
    ap.add_argument(
        "--comparison",
        action="store_true",
        help="train IDMAN at every comparison baseline's size and evaluate it on the comparison's test sets at x2; "
        "write capacity_comparison_twins_per_image (the ledger's equal-size comparison rows)",
    )
    ap.add_argument(
        "--jobs",
        type=int,
        default=1,
        help="train the twins of --ablations / --comparison in this many local processes side by side first "
        "(submitit's local executor), then evaluate",
    )
    args = ap.parse_args(argv)
    seeds = None if args.seeds is None else [int(x) for x in args.seeds.split(",")]
    if args.jobs > 1:
        from . import compare as cmp

        only = ({"comparison": tuple(cmp.METHODS)} if args.comparison else {}) | (
            ABLATION_TWINS if args.ablations else {}
        )
        print(f"{len(fan_out_twins(twin_configs(args.profile, only=only, seeds=seeds), args.jobs))} twins trained")
    table = capacity_table(args.profile)
    meta = {"tolerance": TOLERANCE, "twin_knobs": [WIDTH["idman"][0], DEPTH["idman"][0]], "scale": 2}
    print(save_table(table.drop(columns=["twin options"], errors="ignore"), "capacity_twins", "idman", args.profile,
                     meta, floatfmt=".3f"))  # fmt: skip
    if args.train:
        data = ab.load_data(args.profile)
        for _, _, cfg in twin_configs(args.profile, seeds=seeds):
            print(train(cfg, data=data, progress=True).path, flush=True)
    if args.ablations:
        data = ab.load_data(args.profile)
        per, twins = ablation_twins(args.profile, data, progress=True, seeds=seeds)
        plan = ab.plan_for(args.profile, seeds)
        side = ab.provenance(args.profile, plan, data, twins) | {"study": "IDMAN ablation twins (equal size)"}
        print(save_table(per, "capacity_twins_per_image", "idman", args.profile, side))
    if args.comparison:
        print(save_comparison_twins(args.profile, seeds))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
