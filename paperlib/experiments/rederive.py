"""Re-derive every saved verdict table from its saved per-image results, under the one rule (:mod:`paperlib.stats`).

The per-image CSVs (``table1_per_image``, ``ablation_per_image``, ``compare_per_image``,
``budget_per_image_per_checkpoint``) are what the runs measured; every paired table is a pure function of
them. When the rule changes, the paired tables are recomputed here by the same functions the notebooks call
(:func:`paperlib.experiments.dridsr.tables.paired_vs`, :func:`...idman.ablations.all_tables`,
:func:`...idman.compare.all_tables`, :func:`...dridsr.budget.claims`), without retraining. Each rewritten
table's JSON sidecar keeps the per-image CSV's provenance (profile, data, seeds, protocol, the commit that
measured it) and adds ``derived``: the source CSV and its sha256, and the rule.

    python -m paperlib.experiments.rederive --profile quick
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd

from ..config import figures_root
from ..hashing import sha256_file
from ..results import save_figure, save_table

RULE = (
    "paperlib.stats.paired_verdict (per-seed paired deltas; t-intervals over seeds and over images; a verdict "
    "only when both exclude 0)"
)


def _source(d: Path, name: str) -> tuple[pd.DataFrame, dict]:
    """The per-image table ``name`` in ``d`` and the sidecar the rewritten tables carry."""
    csv = d / f"{name}.csv"
    if not csv.is_file():
        raise FileNotFoundError(f"{csv}: no saved per-image results to derive from")
    meta = json.loads(csv.with_suffix(".json").read_text()) if csv.with_suffix(".json").is_file() else {}
    keep = {k: v for k, v in meta.items() if k not in ("made", "hardware", "table", "profile_settings")}
    keep["measured"] = {k: meta.get(k) for k in ("made", "git_commit", "hardware")}
    keep["derived"] = {"from": csv.name, "sha256": sha256_file(csv), "rule": RULE}
    return pd.read_csv(csv), keep


def _caption(md: Path) -> str:
    """The caption an existing table was saved with (the lines before its grid, minus the notes save_table adds)."""
    if not md.is_file():
        return ""
    head = md.read_text().split("\n|", 1)[0]
    return "\n".join(line for line in head.splitlines() if not line.startswith(">")).strip()


def dridsr_table1(profile: str, root=None) -> list[Path]:
    """``table1_paired_dridsr_vs`` (table and forest plot) from ``table1_per_image``."""
    import matplotlib.pyplot as plt

    from ..plots import paired_differences
    from .dridsr.tables import paired_vs

    d = figures_root(root) / "dridsr" / profile
    per_image, meta = _source(d, "table1_per_image")
    pairs = paired_vs(per_image, "dridsr")
    out = [save_table(pairs, "table1_paired_dridsr_vs", "dridsr", profile, meta, root)]
    fig = paired_differences(pairs, f"DRIDSR minus each method, PSNR (Y), profile {profile}")
    out.append(save_figure(fig, "table1_paired_dridsr_vs", "dridsr", profile, meta, root))
    plt.close(fig)
    return out


def idman_ablations(profile: str, root=None) -> list[Path]:
    """``ablation_table1..4`` from ``ablation_per_image`` (parameter counts at the study's size)."""
    from .idman import ablations as ab

    d = figures_root(root) / "idman" / profile
    per_image, meta = _source(d, "ablation_per_image")
    tables = ab.all_tables(per_image, ab.plan_for(profile))
    return [
        save_table(
            df, f"ablation_{t}", "idman", profile, meta, root, floatfmt=".3f", caption=_caption(d / f"ablation_{t}.md")
        )
        for t, df in tables.items()
    ]


def idman_comparison(profile: str, root=None) -> list[Path]:
    """``compare_tableN_paired`` from ``compare_per_image``."""
    from .idman import compare as cmp

    d = figures_root(root) / "idman" / profile
    per_image, meta = _source(d, "compare_per_image")
    return [
        save_table(
            paired,
            f"compare_{t}_paired",
            "idman",
            profile,
            meta,
            root,
            floatfmt=".4f",
            caption=_caption(d / f"compare_{t}_paired.md"),
        )
        for t, (_, paired) in cmp.all_tables(per_image).items()
    ]


def dridsr_budget(root=None) -> list[Path]:
    """``budget_claims`` from ``budget_per_image_per_checkpoint``."""
    from .dridsr import budget as bx

    d = figures_root(root) / "dridsr" / "budget"
    per_image, meta = _source(d, "budget_per_image_per_checkpoint")
    return [save_table(bx.claims(per_image), "budget_claims", "dridsr", "budget", meta, root)]


def rederive_all(profile: str = "quick", root=None) -> list[Path]:
    """Every derivation whose per-image source exists; returns the written paths."""
    from ..runtime import git_commit

    git_commit()  # ask before the first file is rewritten: the commit recorded is the tree as it was (cached)
    out = []
    for job in (dridsr_table1, idman_ablations, idman_comparison):
        try:
            out += job(profile, root)
        except FileNotFoundError as e:
            print(f"skipped: {e}")
    try:
        out += dridsr_budget(root)
    except FileNotFoundError as e:
        print(f"skipped: {e}")
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0], allow_abbrev=False)
    ap.add_argument("--profile", default="quick")
    args = ap.parse_args(argv)
    for p in rederive_all(args.profile):
        print(p)
    from ..results import update_readme, update_readme_budget, update_readme_idman

    update_readme("dridsr", args.profile)
    update_readme_idman(args.profile)
    update_readme_budget()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
