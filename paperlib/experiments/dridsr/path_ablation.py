"""DRIDSR's own design claims, trained as an ablation: the gradient path and the simple IDB.

The paper argues three things that it never measures:

* the Sobel gradient path rather than Canny (sec. 4.3: "there is no need to use the complex edge
  detector such as Canny"), and that the gradient residual makes "the network ... converge faster"
  (contribution 3);
* its "simple information distillation block" is "more flexible than the original IDB and improves
  the network performance" (sec. 3.4).

Each variant is DRIDSR at x4 with one option changed (``edge='sobel'|'canny'|'none'``,
``idb='simple'|'original'``), trained under the ``budget`` profile (the same batches for every run
of a seed, snapshots at fixed steps) with 3 seeds, advanced in stages with exact resume like the
budget study (:func:`paperlib.experiments.dridsr.budget.advance`), and evaluated on the 46 test
images under the Table 1 protocol. The Sobel, seed-0 run is the budget study's own DRIDSR run (same
key), so the two studies share it.

Run in the background::

    python -m paperlib.experiments.dridsr.path_ablation --stages 1000,2000,3000
"""
from __future__ import annotations

import argparse

from .budget import BudgetRun, advance, collect, curve_table

SEEDS = (0, 1, 2)
#: label -> model options; the first is the paper's DRIDSR (the reference of every comparison).
VARIANTS = {
    "DRIDSR (Sobel)": {},
    "DRIDSR (no gradient path)": {"edge": "none"},
    "DRIDSR (Canny)": {"edge": "canny"},
    "DRIDSR (original IDB)": {"idb": "original"},
}
REFERENCE = "DRIDSR (Sobel)"
#: Seed-major order: every variant's seed 0 first, so a stopped study still has complete pairs.
STUDY = tuple(BudgetRun("dridsr", s, opts, label) for s in SEEDS for label, opts in VARIANTS.items())
SMOKE_STUDY = tuple(BudgetRun("dridsr", 0, opts, label) for label, opts in VARIANTS.items())


def main(argv=None):
    from .tables import load_data, test_images

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0], allow_abbrev=False)
    ap.add_argument("--stages", default="1000,2000,3000", help="comma-separated step targets, in order")
    ap.add_argument("--profile", default="budget")
    ap.add_argument("--device", default="cpu")
    args = ap.parse_args(argv)
    data = load_data()
    images = test_images(data, args.profile)
    for stage in [int(s) for s in args.stages.split(",")]:
        runs = advance(stage, data, STUDY, profile=args.profile, device=args.device, progress=False)
        per = collect(runs, images, args.device, progress=False)
        print(f"== stage {stage}\n", curve_table(per).to_string(index=False), flush=True)


if __name__ == "__main__":
    main()
