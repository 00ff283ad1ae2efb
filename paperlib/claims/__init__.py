"""The claims ledger: every testable claim of both papers, the experiment that tests it, and its verdict.

``CLAIMS`` (:mod:`paperlib.claims.catalog`) holds the papers' words; :data:`EVIDENCE` names, per claim, the
evidence functions (:mod:`paperlib.claims.evidence`) that read the saved results under ``figures/`` and
judge them by the one rule (:mod:`paperlib.stats`); :data:`UNTESTED` says, for a claim no experiment here
tests yet, what would. :func:`ledger` joins them into one table (one row per comparison), each row with the
budget as a fraction of the paper's, the parameter counts of both sides, seeds, the margin, its intervals
and a verdict from {supported, contradicted, unresolved}; an unresolved row says what would resolve it.
:func:`compute_spent` (:mod:`paperlib.claims.compute`) says what each experiment behind it cost to train.
"""

from __future__ import annotations

import pandas as pd

from . import evidence as ev
from .catalog import BUDGET_QUOTES, CLAIMS
from .compute import compute_spent

D_BASE = ("imdn", "pan", "vdsr", "espcn", "srcnn", "bicubic")


def _with_twins(*comparisons: dict) -> list:
    """Each IDMAN ablation comparison as trained (variants of different sizes), then at equal size (twins)."""
    return [(ev.idman_ablation, c) for c in comparisons] + [(ev.idman_ablation_twins, c) for c in comparisons]


#: claim id -> [(evidence function, keyword arguments)]: the experiments that test it.
EVIDENCE = {
    "dridsr.psnr_margins_x3": [(ev.dridsr_table1, dict(metric="psnr", scale=3, baselines=D_BASE))],
    "dridsr.psnr_margins_x4": [
        (ev.dridsr_table1, dict(metric="psnr", scale=4, baselines=D_BASE)),
        (ev.dridsr_budget, {}),
        (ev.dridsr_budget, dict(profile="budget30", baselines=("IMDN", "PAN", "VDSR"))),
    ],
    "dridsr.bicubic_x3": [(ev.dridsr_bicubic_row, dict(scale=3))],
    "dridsr.bicubic_x4": [(ev.dridsr_bicubic_row, dict(scale=4))],
    "dridsr.ssim_best": [(ev.dridsr_table1, dict(metric="ssim", baselines=D_BASE))],
    "dridsr.msssim_pi_best": [
        (ev.dridsr_table1, dict(metric="ms_ssim", baselines=D_BASE)),
        (ev.dridsr_table1, dict(metric="niqe", baselines=D_BASE)),
    ],
    "dridsr.params": [(ev.dridsr_params, {})],
    "dridsr.params_ordering": [(ev.dridsr_params, {})],
    "dridsr.runtime": [(ev.dridsr_time, {})],
    "dridsr.abstract_params_time_reduced": [(ev.dridsr_params, {}), (ev.dridsr_time, {})],
    "dridsr.all_scales_all_datasets": [(ev.dridsr_table1, dict(metric="psnr", baselines=D_BASE))],
    "dridsr.gradient_path_convergence": [
        (ev.dridsr_path_ablation, dict(variant="DRIDSR (no gradient path)", step="early"))
    ],
    "dridsr.gradient_path_quality": [(ev.dridsr_path_ablation, dict(variant="DRIDSR (no gradient path)"))],
    "dridsr.sobel_vs_canny": [(ev.dridsr_path_ablation, dict(variant="DRIDSR (Canny)"))],
    "dridsr.frequency_separation": [(ev.dridsr_frequency, {})],
    "dridsr.edges_visual": [(ev.dridsr_edges, {})],
    "dridsr.simple_idb": [(ev.dridsr_path_ablation, dict(variant="DRIDSR (original IDB)"))],
    "dridsr.two_paths_better": [(ev.dridsr_path_ablation, dict(variant="DRIDSR (no low-frequency path)"))],
    "dridsr.ridm_refines_hf": [(ev.dridsr_path_ablation, dict(variant="DRIDSR (no IDBs, 9 blocks)"))],
    # "simple models can achieve good results": the paper's size against twice its parameters decides (a wider DRIDSR
    # significantly better contradicts it); against 0.42x is context (whether size matters below the paper's)
    "dridsr.simple_models_suffice": [
        (ev.dridsr_path_ablation, dict(variant="DRIDSR (width 72)", family="size_family")),
        (ev.dridsr_path_ablation, dict(variant="DRIDSR (width 24)", family="size_family", decides=False)),
    ],
    "idman.abstract_outperforms": [
        (ev.idman_compare_summary, {}),
        (ev.idman_compare_twins, dict(table="table5")),
        (ev.idman_compare_twins, dict(table="table7", summary=True)),
        (ev.idman_compare_twins, dict(table="table8", summary=True)),
    ],
    "idman.deeplesion_margin_x2": [
        (ev.idman_compare, dict(table="table5", scales=(2,), baselines=("RCAN", "SRCNN"))),
        (ev.idman_compare_twins, dict(table="table5", baselines=("RCAN", "SRCNN"))),
    ],
    "idman.deeplesion_margin_x3_x4": [(ev.idman_compare, dict(table="table5", scales=(3, 4)))],
    "idman.deeplesion_ssim_best": [(ev.idman_compare_summary, dict(tables=("table6",), metric="SSIM"))],
    "idman.bicubic_deeplesion": [(ev.idman_bicubic_protocol, dict(set_name="deeplesion"))],
    "idman.nsclc_best": [
        (ev.idman_compare, dict(table="table7", scales=(2,), baselines=("RDN",))),
        (ev.idman_compare, dict(table="table7", scales=(3, 4))),
        (ev.idman_compare_twins, dict(table="table7", baselines=("RDN",))),
    ],
    "idman.lungpet_best": [
        (ev.idman_compare, dict(table="table8")),
        (ev.idman_compare_twins, dict(table="table8", summary=True)),
    ],
    "idman.bicubic_external": [(ev.idman_bicubic_protocol, dict(set_name="lung_pet_ct_dx"))],
    "idman.lower_scale_better": [(ev.idman_scale_order, {})],
    "idman.srcnn_worst_deep": [(ev.idman_srcnn_worst, {})],
    "idman.info_distill_ablation": _with_twins(dict(table="table1", a="info_distill")),
    "idman.mab_single_branch_convs": _with_twins(dict(table="table2", a="3")),
    "idman.mab_multi_branch": _with_twins(dict(table="table2", a="3+5", b="3"), dict(table="table2", a="3+5", b="5")),
    "idman.mab_three_branch_best": _with_twins(dict(table="table2", a="3+5+7", b="3+5")),
    "idman.modules_combined_best": _with_twins(
        dict(table="table3", a="both", b="mab"), dict(table="table3", a="both", b="info_distill")
    ),
    "idman.wn_psnr": [(ev.idman_ablation, dict(table="table4", a="idman"))],
    "idman.wn_convergence": [(ev.idman_curves, dict(fig="fig6", a="idman", b="without_wn"))],
    "idman.convergence_vs_rcan": [(ev.idman_curves, dict(fig="fig7", a="idman", b="rcan"))],
    "idman.large_slow": [(ev.idman_size, {})],
    "idman.visual_edges": [(ev.idman_edges, {})],
}

#: claim id -> what experiment would test a claim nothing here tests yet (none at present: every claim has one).
UNTESTED: dict[str, str] = {}


def claim(claim_id: str) -> dict:
    """The catalogue entry of ``claim_id`` (KeyError naming the known ids otherwise)."""
    for c in CLAIMS:
        if c["id"] == claim_id:
            return c
    raise KeyError(f"unknown claim {claim_id!r}; known: {', '.join(c['id'] for c in CLAIMS)}")


def ledger(root=None) -> pd.DataFrame:
    """One row per (claim, comparison): the claim's words, the evidence and its verdict (module docstring)."""
    rows = []
    for c in CLAIMS:
        base = {"paper": c["paper"], "claim": c["id"], "where": c["where"], "statement": c["claim"]}
        found = [r for fn, kw in EVIDENCE.get(c["id"], []) for r in fn(root=root, **kw)]
        if not found:
            found = [
                {
                    "comparison": "(no experiment yet)",
                    "verdict": "unresolved",
                    "why": "not tested here",
                    "to_resolve": UNTESTED.get(c["id"], "an experiment designed for it"),
                }
            ]
        rows += [base | r for r in found]
    cols = [
        "paper",
        "claim",
        "comparison",
        "verdict",
        "decides",
        "margin",
        "unit",
        "image_ci",
        "seed_ci",
        "seeds",
        "images",
        "params",
        "budget",
        "pixel_fraction",
        "iteration_fraction",
        "paper_margin",
        "why",
        "to_resolve",
        "experiment",
        "source",
        "where",
        "statement",
    ]
    df = pd.DataFrame(rows)
    # a context row (e.g. IDMAN at a baseline's size) asks a stronger question than the paper's: shown, not deciding
    df["decides"] = df["decides"].fillna(True).astype(bool) if "decides" in df else True
    return df.reindex(columns=cols + [c for c in df.columns if c not in cols])


def deciding(rows: pd.DataFrame) -> pd.DataFrame:
    """The rows of one claim that decide its verdict: all but the context rows (``decides`` False)."""
    return rows[rows["decides"].astype(bool)] if "decides" in rows and rows["decides"].astype(bool).any() else rows


def claim_verdict(verdicts) -> str:
    """A claim's verdict from its rows: supported when every row is, contradicted when any row is, else unresolved
    (a claim that something holds everywhere falls with one counter-example): :func:`evidence.verdict_of_all`."""
    return ev.verdict_of_all(verdicts)


def _ci(ci) -> str:
    return "" if not isinstance(ci, tuple) or pd.isna(ci[0]) else f"[{ci[0]:+.3g}, {ci[1]:+.3g}]"


def strongest(rows: pd.DataFrame) -> pd.Series:
    """The row a reader is shown for a claim: the largest budget (fraction of the paper's HR pixels), then the most
    seeds (the 30% study's 2 seeds over Table 1's 3 at half a percent); the first row when none has either."""
    budget = rows["pixel_fraction"].astype(float).fillna(0)
    seeds = rows["seeds"].astype(float).fillna(0)
    if not (budget > 0).any() and not (seeds > 0).any():
        return rows.iloc[0]
    order = pd.DataFrame({"budget": budget, "seeds": seeds}).sort_values(["budget", "seeds"], ascending=False)
    return rows.loc[order.index[0]]


def summary(led: pd.DataFrame) -> pd.DataFrame:
    """One row per claim for a reader: the paper's words (shortened), the verdict, the deciding comparison (among the
    contradicted rows if any, else the unresolved ones, else all: :func:`strongest`), its margin and intervals
    beside the paper's margin, seeds, parameter counts, the budget as a fraction of the paper's, and what would
    resolve it."""
    out = []
    for (paper, cid), everything in led.groupby(["paper", "claim"], sort=False):
        g = deciding(everything)
        verdict = claim_verdict(g["verdict"])
        key = g[g["verdict"] == "contradicted"] if verdict == "contradicted" else g[g["verdict"] == "unresolved"]
        key = key if len(key) else g
        r = strongest(key)
        quote = claim(cid)["quote"]
        counts = g["verdict"].value_counts()
        context = len(everything) - len(g)
        out.append(
            {
                "paper": paper,
                "claim": cid,
                "the paper says": quote if len(quote) <= 110 else quote[:107] + "...",
                "verdict": verdict,
                "rows": ", ".join(f"{n} {k}" for k, n in counts.items()) + (f"; {context} context" if context else ""),
                "deciding comparison": r["comparison"],
                "margin": "" if pd.isna(r.get("margin")) else f"{r['margin']:+.3g}",
                "95% CI images": _ci(r.get("image_ci")),
                "95% CI seeds": _ci(r.get("seed_ci")),
                "paper's margin": "" if pd.isna(r.get("paper_margin")) else f"{r['paper_margin']:+.3g}",
                "seeds": "" if pd.isna(r.get("seeds")) else int(r["seeds"]),
                "parameters (ours)": r.get("params") if isinstance(r.get("params"), str) else "",
                "budget (of the paper's HR pixels)": ""
                if pd.isna(r.get("pixel_fraction"))
                else f"{100 * r['pixel_fraction']:.2g}%",
                "to resolve": r.get("to_resolve") if isinstance(r.get("to_resolve"), str) else "",
            }
        )
    return pd.DataFrame(out)


def verdict_counts(led: pd.DataFrame) -> pd.DataFrame:
    """Per paper, how many claims got each verdict (:func:`claim_verdict`)."""
    by_claim = led.groupby(["paper", "claim"]).apply(
        lambda g: claim_verdict(deciding(g)["verdict"]), include_groups=False
    )
    return by_claim.groupby(level=0).value_counts().unstack(fill_value=0)


def flat(led: pd.DataFrame) -> pd.DataFrame:
    """The ledger with each interval as two columns (``*_low``, ``*_high``), for CSV and Markdown."""
    out = led.copy()
    for col in ("image_ci", "seed_ci"):
        pairs = [c if isinstance(c, tuple) else (float("nan"), float("nan")) for c in out[col]]
        out.insert(out.columns.get_loc(col), f"{col}_low", [a for a, _ in pairs])
        out.insert(out.columns.get_loc(col), f"{col}_high", [b for _, b in pairs])
        out = out.drop(columns=[col])
    return out


VERDICT_COLOURS = {"supported": "tab:green", "contradicted": "tab:red", "unresolved": "tab:gray"}


def plot_verdicts(led: pd.DataFrame):
    """Left: claims per verdict and paper. Right: every comparison with both intervals (seeds >= 2), as a fraction
    of its own margin's size, so PSNR and SSIM rows share an axis: a verdict needs both bars clear of 0."""
    import matplotlib.pyplot as plt
    import numpy as np

    counts = verdict_counts(led).reindex(columns=list(VERDICT_COLOURS), fill_value=0)
    both = led[[isinstance(c, tuple) and np.isfinite(c[0]) for c in led["seed_ci"]]].drop_duplicates("comparison")
    fig, (a1, a2) = plt.subplots(
        1, 2, figsize=(12, max(4, 0.22 * len(both) + 1)), gridspec_kw={"width_ratios": [1, 2.4]}
    )
    counts.plot.barh(stacked=True, ax=a1, color=[VERDICT_COLOURS[c] for c in counts.columns])
    a1.set(xlabel="claims", ylabel="", title="claims per verdict")
    a1.legend(fontsize=8, loc="lower right")
    for i, r in enumerate(both.itertuples()):
        scale = abs(r.margin) or 1.0
        colour = VERDICT_COLOURS[r.verdict]
        a2.plot(np.array(r.image_ci) / scale, [i + 0.15] * 2, color=colour, lw=3, solid_capstyle="butt")
        a2.plot(np.array(r.seed_ci) / scale, [i - 0.15] * 2, color=colour, lw=1.2)
        a2.plot([r.margin / scale], [i], "k|", ms=8)
    a2.axvline(0, color="k", lw=0.8)
    a2.set_yticks(range(len(both)), [c[:60] for c in both["comparison"]], fontsize=6)
    a2.set_xlim(-6, 6)
    a2.set(
        xlabel="95% intervals in units of |margin| (thick: over images, thin: over seeds; tick: margin = ±1)",
        title="comparisons with 2+ seeds: both intervals must clear 0",
    )
    fig.tight_layout()
    return fig


__all__ = [
    "BUDGET_QUOTES",
    "CLAIMS",
    "EVIDENCE",
    "UNTESTED",
    "claim",
    "claim_verdict",
    "compute_spent",
    "deciding",
    "ledger",
    "summary",
    "verdict_counts",
    "flat",
    "plot_verdicts",
]
