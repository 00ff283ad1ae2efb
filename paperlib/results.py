"""Saving tables and figures with their provenance.

Everything lands in ``figures/<paper>/<profile>/``: a table as ``<name>.csv`` and
``<name>.md``, a figure as ``<name>.png`` and ``<name>.pdf``, each with a
``<name>.json`` sidecar (profile, data, seed, protocol, hardware, git commit, time).
A table made under a profile that is not meaningful (``smoke``) says so in its Markdown; one made
on the embedded TCIA CT sample (``meta["data"]`` is its manifest) says so, with the attribution, in
its Markdown and, for a figure, in a line under it (:func:`data_note`).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from .config import figures_root
from .runtime import git_commit, hardware_info


def output_dir(paper: str, profile: str, root=None) -> Path:
    from .profiles import active_cap

    d = figures_root(root) / paper / (f"{profile}-capped" if active_cap() and profile != "smoke" else profile)
    d.mkdir(parents=True, exist_ok=True)
    return d


def _sidecar(path: Path, meta: dict, device="cpu") -> None:
    from .profiles import get_profile

    prof = meta.get("profile")
    info = {"made": time.strftime("%Y-%m-%dT%H:%M:%S"), "git_commit": git_commit(), "hardware": hardware_info(device)}
    if isinstance(prof, str):
        info["profile_settings"] = get_profile(prof).as_dict()
    path.with_suffix(".json").write_text(json.dumps(meta | info, indent=2, default=str))


def data_note(meta: dict | None) -> str:
    """The visible line for outputs made on the embedded TCIA CT sample (``""`` for any other data).

    Read from ``meta["data"]`` (the data manifest the notebooks pass): the sample's manifest carries
    ``attribution``, and ``stand_in`` when it replaced COVID-CT (smoke profile, no COVID-CT found).
    """
    man = (meta or {}).get("data")
    if not isinstance(man, dict) or not man.get("attribution"):
        return ""
    instead = ", standing in for COVID-CT" if man.get("stand_in") else ""
    return f"made on the embedded TCIA CT sample (CC BY){instead}: {man['attribution']}"


def save_table(
    df, name: str, paper: str, profile: str, meta: dict | None = None, root=None, floatfmt=".4f", caption: str = ""
) -> Path:
    """Write ``df`` as CSV + Markdown (+ JSON provenance); returns the Markdown path."""
    from .profiles import get_profile

    meaningful = get_profile(profile).meaningful  # an unknown profile is refused before anything is written
    d = output_dir(paper, profile, root)
    df.to_csv(d / f"{name}.csv", index=False)
    note = (
        ""
        if meaningful
        else (f"> **{profile} profile: these numbers exercise the code path only and mean nothing.**\n\n")
    )
    cap = f"{caption}\n\n" if caption else ""
    if data_note(meta):
        note += f"> {data_note(meta)}\n\n"
    (d / f"{name}.md").write_text(note + cap + df.to_markdown(index=False, floatfmt=floatfmt) + "\n")
    _sidecar(d / f"{name}.json", (meta or {}) | {"profile": profile, "table": name})
    return d / f"{name}.md"


def show(df, caption: str | None = None, precision: int = 4):
    """A table as a reader should see it in a notebook or the book (a pandas ``Styler``).

    No row index; numbers at ``precision`` decimals; a text column that holds the same value on every
    row (PI "unavailable (NRQM_model.mat not found)", a method named on every row) is dropped from the
    grid and said once in the caption, so the numbers stay readable on a narrow page. Only the view
    changes: :func:`save_table` keeps every column.
    """
    const = [c for c in df.columns if len(df) and isinstance(df[c].iloc[0], str) and (df[c] == df[c].iloc[0]).all()]
    notes = [f"{c}: {df[c].iloc[0]} (every row)" for c in const]
    styler = (
        df.drop(columns=const)
        .style.hide(axis="index")
        .format(precision=precision)
        .set_table_styles(
            [{"selector": "", "props": "font-size: 0.85em"}, {"selector": "td, th", "props": "padding: 0.1em 0.45em"}]
        )
    )
    text = ". ".join(t for t in [caption, *notes] if t)
    return styler.set_caption(text) if text else styler


def save_figure(fig, name: str, paper: str, profile: str, meta: dict | None = None, root=None, dpi=150) -> Path:
    """Write a matplotlib figure as PNG + PDF (+ JSON provenance); returns the PNG path."""
    d = output_dir(paper, profile, root)
    if data_note(meta):
        fig.text(0.5, 0.0, data_note(meta), ha="center", va="top", fontsize=6, wrap=True)
    fig.savefig(d / f"{name}.png", dpi=dpi, bbox_inches="tight")
    fig.savefig(d / f"{name}.pdf", bbox_inches="tight")
    _sidecar(d / f"{name}.json", (meta or {}) | {"profile": profile, "figure": name})
    return d / f"{name}.png"


def readme_results_section(paper: str = "dridsr", profile: str = "quick", root=None) -> str:
    """The README's results section, assembled from the generated tables (never typed by hand)."""
    import pandas as pd

    d = figures_root(root) / paper / profile
    from .profiles import get_profile

    parts = [
        f"## Results ({profile} profile, generated by `make reproduce PROFILE={profile}`)\n",
        f"> **Read with care.** Profile `{profile}`: {get_profile(profile).note}. Test set: our seeded 46-image "
        "draw from COVID-CT (the paper's 46 are unpublished; bicubic PSNR alone moves by ~2 dB between random "
        "46-image subsets), so compare the paper's claims as per-image margins with confidence intervals, "
        "not as absolute values. Models converge at different speeds, so an ordering after a reduced budget "
        "is not a verdict on the paper. PI needs the NRQM model, which is not available offline.\n",
    ]
    for name, title in (
        ("table1", "DRIDSR Table 1, ours beside the paper's"),
        ("table1_paired_dridsr_vs", "DRIDSR minus each method, per image (the one rule: paperlib.stats)"),
        ("table2", "DRIDSR Table 2 (x4)"),
        ("training_runs", "Training runs"),
    ):
        md, js = d / f"{name}.md", d / f"{name}.json"
        if not md.exists():
            continue
        meta = json.loads(js.read_text()) if js.exists() else {}
        body = (
            verdict_view(pd.read_csv(md.with_suffix(".csv"))).to_markdown(index=False, disable_numparse=True)
            if "paired" in name
            else md.read_text().strip()
        )
        parts.append(
            f"### {title}\n\n{body}\n\n<sub>{_made_text(meta)}; profile settings and data in "
            f"{_md_link(md, root)} and its JSON sidecar.</sub>\n"
        )
    figs = _md_images(
        d,
        {
            "table1_paired_dridsr_vs": "DRIDSR minus each method (95% CI)",
            "fig7_ggo_x4": "Fig 7: x4 on a ground-glass-opacity patch",
        },
        root,
        sep="\n",
    )
    if figs:
        parts.append(f"### Figures\n\n{figs}\n")
    return "\n".join(parts)


def _made_text(meta: dict) -> str:
    """Where a table came from: made (commit, hardware); for a table re-derived from saved per-image results
    (:mod:`paperlib.experiments.rederive`), where those were measured and where the verdicts were derived."""

    def at(m):
        hw = m.get("hardware") or {}
        return (
            f"{m.get('made', '?')} at commit `{str(m.get('git_commit', '?'))[:12]}` on "
            f"{hw.get('gpu', hw.get('cpu', '?'))} ({hw.get('torch_threads', '?')} threads, "
            f"torch {hw.get('torch', '?')})"
        )

    if "derived" in meta:
        return (
            f"Measured {at(meta.get('measured', {}))}; verdicts re-derived from `{meta['derived']['from']}` {at(meta)}"
        )
    return f"Made {at(meta)}"


def verdict_view(df):
    """The reader's columns of a :func:`paperlib.stats.paired_verdict` table: who against whom, the margin, its two
    intervals, the verdict and the paper's margin (the CSV keeps every column)."""
    import pandas as pd

    def ci(lo, hi):
        return "" if pd.isna(lo) else f"[{lo:+.2f}, {hi:+.2f}]"

    out = pd.DataFrame(
        {
            "claim": [f"{r.method} > {r.baseline}" for r in df.itertuples()],
            "scale": df["scale"],
            "seeds": df["n_seeds"],
            "images": df["n_images"],
            "margin": df["margin"].map("{:+.2f}".format),
            "95% CI, images": [ci(a, b) for a, b in zip(df["image_ci_low"], df["image_ci_high"])],
            "95% CI, seeds": [ci(a, b) for a, b in zip(df["seed_ci_low"], df["seed_ci_high"])],
            "verdict": df["verdict"],
            "paper margin": df["paper_diff"].map("{:+.2f}".format),
        }
    )
    return out


def save_run_records(runs: dict, paper: str, profile: str, root=None) -> Path:
    """Copy each run's manifest, loss log and validation log (not its weights) next to the figures."""
    import shutil

    d = output_dir(paper, profile, root) / "runs"
    for run in runs.values():
        sub = d / Path(run.path).name
        sub.mkdir(parents=True, exist_ok=True)
        for f in ("manifest.json", "log.csv", "val.csv"):
            if (Path(run.path) / f).exists():
                shutil.copyfile(Path(run.path) / f, sub / f)
    return d


def replace_readme_block(name: str, body: str, readme=None) -> bool:
    """Replace the README text between ``<!-- {name}:BEGIN -->`` and ``<!-- {name}:END -->``."""
    from .config import REPO_ROOT

    path = Path(readme) if readme else REPO_ROOT / "README.md"
    text = path.read_text()
    begin, end = f"<!-- {name}:BEGIN -->", f"<!-- {name}:END -->"
    if begin not in text or end not in text:
        return False
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    path.write_text(f"{head}{begin}\n{body}\n{end}{tail}")
    return True


def update_readme(paper: str = "dridsr", profile: str = "quick", readme=None) -> bool:
    """Regenerate the README's results block from ``figures/<paper>/<profile>/``."""
    return replace_readme_block("RESULTS", readme_results_section(paper, profile), readme)


def readme_budget_section(root=None, profile: str = "budget") -> str:
    """The README's block of a budget study (``budget`` or ``budget30``): the figure, the claims table and one
    sentence per claim."""
    import pandas as pd

    d = figures_root(root) / "dridsr" / profile
    claims_csv, png = d / "budget_claims.csv", d / "budget_psnr_vs_iterations.png"
    if not claims_csv.exists():
        return f"Budget study ({profile}): not run yet (`paperlib study budget --profile {profile}`)."
    meta = json.loads((d / "budget_claims.json").read_text()) if (d / "budget_claims.json").exists() else {}
    cl = pd.read_csv(claims_csv)
    lines = [f"{_md_images(d, {png.stem: 'budget study'}, root)}\n", (d / "budget_claims.md").read_text().strip(), ""]

    def moving(r) -> str:
        if pd.isna(r.trend_dB_since_prev):
            return "no earlier snapshot to compare"
        return f"the margin moved {r.trend_dB_since_prev:+.2f} dB since step {int(r.prev_step)}"

    for r in cl.itertuples():
        lines.append(
            f"* **{r.claim}**: at {int(r.step)} iterations our margin is {r.margin_dB:+.2f} dB "
            f"(images [{r.image_ci_low:+.2f}, {r.image_ci_high:+.2f}], "
            + (
                f"seeds [{r.seed_ci_low:+.2f}, {r.seed_ci_high:+.2f}]) "
                if pd.notna(r.seed_ci_low)
                else "one seed: no interval over seeds) "
            )
            + (f"(paper {r.paper_margin_dB:+.2f} dB)" if pd.notna(r.paper_margin_dB) else "(not a claim of the paper)")
            + f": "
            f"**{r.verdict_at_this_budget}** at this budget; {moving(r)}."
        )
    far_csv = d / "budget_claims_furthest.csv"  # the study advanced seed by seed: where the margins are heading
    far = pd.read_csv(far_csv) if far_csv.exists() and far_csv.read_text().strip() else pd.DataFrame()
    for r in far.itertuples():
        lines.append(
            f"* Further on, with the seeds both sides have there ({r.seeds}): **{r.claim}** at {int(r.step)} "
            f"iterations, margin {r.margin_dB:+.2f} dB (images [{r.image_ci_low:+.2f}, {r.image_ci_high:+.2f}]), "
            f"{moving(r)}: **{r.verdict_at_this_budget}** ({r.why}); a trend, not a finding."
        )
    from .paper_values import DISPLAY_NAMES, DRIDSR_CLAIM_BASELINES

    for b in DRIDSR_CLAIM_BASELINES if profile == "budget" else ("imdn", "pan"):
        name = DISPLAY_NAMES.get(b, b)
        if not cl["claim"].str.contains(f"> {name} ", regex=False).any():
            lines.append(f"* **DRIDSR > {name} (x4)**: not tested: no {name} run reached a budget in common.")
    note = f"{meta['note']}. " if meta.get("note") else _furthest_steps(d / "budget_curves.csv")
    lines.append(
        f"\n<sub>{note}Made {meta.get('made', '?')} at commit `{str(meta.get('git_commit', '?'))[:12]}`; "
        f"runs trained at {', '.join(str(c)[:12] for c in meta.get('run_commits', []))}; per-checkpoint CSV, "
        f"curves and run manifests in {_md_link(d, root)}.</sub>"
    )
    return "\n".join(lines)


def _furthest_steps(curves_csv: Path) -> str:
    """``"Furthest step with every seed: A 22,080, B 4,000. "`` from a budget study's curve table: a staged study
    advances some methods further than others, so one list of stages would misstate where each stands."""
    import pandas as pd

    if not curves_csv.exists():
        return ""
    c = pd.read_csv(curves_csv)
    full = c[c["n_seeds"] == c.groupby("run")["n_seeds"].transform("max")]
    steps = full.groupby("run", sort=False)["step"].max()
    return "Furthest step with every seed: " + ", ".join(f"{run} {int(st):,}" for run, st in steps.items()) + ". "


def update_readme_budget(readme=None, profile: str = "budget") -> bool:
    """Regenerate the README's block of a budget study from ``figures/dridsr/<profile>/`` (``BUDGET`` or
    ``BUDGET30``)."""
    return replace_readme_block(profile.upper(), readme_budget_section(profile=profile), readme)


def readme_idman_section(profile: str = "quick", root=None) -> str:
    """The README's IDMAN block, assembled from ``figures/idman/<profile>/`` (ablation and comparison CSVs, figures,
    provenance); says what is missing instead of inventing it."""
    d = figures_root(root) / "idman" / profile
    prov = {
        n: json.loads((d / f"{n}_provenance.json").read_text())
        for n in ("ablation", "comparison")
        if (d / f"{n}_provenance.json").exists()
    }
    if not prov:
        return (
            f"IDMAN {profile} results: not made yet (`python -m paperlib.experiments.idman.ablations --profile "
            f"{profile}`, `python -m paperlib.experiments.idman.compare --profile {profile}`, then "
            f"`make reproduce PROFILE={profile} ONLY=idman`)."
        )
    parts = (_readme_ablations(d, prov["ablation"], root) if "ablation" in prov else []) + (
        _readme_comparison(d, prov["comparison"], root) if "comparison" in prov else []
    )
    made = "; ".join(
        f"{n}: made at commit `{str(m.get('git_commit', '?'))[:12]}` on "
        f"{m.get('hardware', {}).get('gpu') or m.get('hardware', {}).get('cpu', '?')}, runs trained on "
        + ", ".join(sorted({r.get("gpu") or r.get("cpu") or "?" for r in m.get("runs", {}).values()}))
        for n, m in prov.items()
    )
    parts.append(
        f"<sub>Generated from {_md_link(d, root)} by `make reproduce PROFILE={profile} ONLY=idman`. {made}. "
        f"Every table's CSV, Markdown and JSON sidecar (profile, sizes, seeds, data, protocol) is there.</sub>"
    )
    return "\n".join(parts)


def _md_link(path: Path, root=None, base=None) -> str:
    """A Markdown link to ``path``, relative to ``base`` (default: the folder holding the figures root,
    which is where the README is)."""
    rel = Path(path).relative_to(base if base is not None else figures_root(root).parent)
    return f"[`{rel}`]({rel})"


def _md_images(d: Path, figures: dict, root=None, sep: str = " ") -> str:
    """Markdown images of the ``{name: alt text}`` whose PNG exists in ``d``."""
    rel = figures_root(root).parent
    return sep.join(
        f"![{t}]({(d / f'{n}.png').relative_to(rel)})" for n, t in figures.items() if (d / f"{n}.png").exists()
    )


def _readme_ablations(d: Path, m: dict, root=None) -> list:
    import pandas as pd

    rows = []
    for t in (1, 2, 3, 4):
        csv = d / f"ablation_table{t}.csv"
        for r in pd.read_csv(csv).to_dict("records") if csv.exists() else []:
            ref = r["verdict"] == "reference"
            rows.append(
                {
                    "table": t,
                    "variant": r["variant"],
                    "PSNR (dB), mean of seeds": f"{r['PSNR (dB)']:.3f}",
                    "seed SD": f"{r['seed SD']:.3f}",
                    "delta vs ref": "reference" if ref else f"{r['delta vs ref (dB)']:+.3f}",
                    "95% CI over images": "" if ref else f"[{r['image_ci_low']:+.3f}, {r['image_ci_high']:+.3f}]",
                    "95% CI over seeds": "" if ref else f"[{r['seed_ci_low']:+.3f}, {r['seed_ci_high']:+.3f}]",
                    "verdict": "" if ref else r["verdict"],
                    "paper delta": f"{r['paper delta (dB)']:+.3f}",
                }
            )
    z = m.get("size", {})
    return [
        f"### Ablations, Tables 1-4 (x2, {_n_seeds(m)})\n",
        f"IDMAN at G={z.get('n_groups')}, B={z.get('n_blocks')}, {z.get('n_feats')} features, r={z.get('reduction')} "
        f"(every variant), at {m.get('profile_settings', {}).get('iterations', '?'):,} iterations; PSNR on "
        f"{len(m.get('images', []))} validation slices of {m.get('data', {}).get('dataset', '?')} (the DeepLesion "
        f"stand-in). Verdict on the paper's claim that the variant improves on the reference, by the one rule "
        f"(`paperlib.stats`): *supported* / *contradicted* only when the interval over seeds and the one over "
        f"slices both exclude 0, else *unresolved*. `paper delta` is the paper's (full size, 2e5 iterations), "
        f"never ours.\n",
        pd.DataFrame(rows).to_markdown(index=False) if rows else "(no ablation table saved)",
        "",
        _md_images(
            d,
            {
                "fig6_weight_norm": "Fig. 6: weight normalisation",
                "fig5a_info_distill": "Fig. 5a: with and without information distillation",
            },
            root,
        ),
        "",
    ]


def _readme_comparison(d: Path, m: dict, root=None) -> list:
    import pandas as pd

    parts = [f"### Comparison, Tables 5-8 ({_n_seeds(m)})\n\n{m.get('reduced', '')}\n"]
    for t, metric in (("table5", "PSNR"), ("table7", "PSNR"), ("table8", "PSNR")):
        csv, paired = d / f"compare_{t}.csv", d / f"compare_{t}_paired.csv"
        if not csv.exists():
            continue
        q = pd.read_csv(csv)
        cols = ["Method"] + [
            c
            for s in (2, 3, 4)
            for c in (f"x{s} {metric}", f"x{s} {metric} seed SD", f"x{s} paper {metric}")
            if c in q.columns
        ]
        parts += [
            f"**{t.replace('table', 'Table ')}.** {_set_describe(m, t)}\n",
            q[cols].to_markdown(index=False, floatfmt=".2f"),
            "",
        ]
        if paired.exists():
            p = pd.read_csv(paired)
            p = p[p["metric"] == metric]
            counts = p["verdict"].value_counts()
            parts.append(
                f"IDMAN better than each baseline ({metric}, {len(p)} pairs of method and scale; the one "
                "rule): "
                + ", ".join(f"{v}: {n}" for v, n in counts.items())
                + f". Positive in {int((p['delta'] > 0).sum())} of {len(p)} here; in the paper, IDMAN is "
                f"above in {int((p['paper delta'] > 0).sum())} of {len(p)}. Details: "
                f"{_md_link(paired.with_suffix('.md'), root)}.\n"
            )
    parts.append(
        _md_images(
            d, {"fig7_idman_rcan_curves": "Fig. 7: IDMAN and RCAN while training", "fig8_visual_x2": "Fig. 8: x2"}, root
        )
        + "\n"
    )
    return parts


def _set_describe(meta: dict, table: str) -> str:
    """The comparison provenance's description of the test set behind ``table``."""
    return meta.get("test_sets", {}).get(meta.get("table_sets", {}).get(table), {}).get("describe", "")


def _n_seeds(meta: dict) -> str:
    n = len(meta.get("seeds", []))
    return f"{n} seed{'s' if n != 1 else ''}"


def update_readme_idman(profile: str = "quick", readme=None) -> bool:
    """Regenerate the README's IDMAN block from ``figures/idman/<profile>/``."""
    return replace_readme_block("IDMAN", readme_idman_section(profile), readme)


def readme_claims_section(profile: str = "quick", root=None) -> str:
    """The README's claims ledger: one row per claim, from ``figures/claims/<profile>/claims_summary.csv``."""
    import pandas as pd

    d = figures_root(root) / "claims" / profile
    csv = d / "claims_summary.csv"
    if not csv.exists():
        return f"Claims ledger: not made yet (`make reproduce PROFILE={profile} ONLY=claims`)."
    s, meta = pd.read_csv(csv, keep_default_na=False), json.loads(csv.with_suffix(".json").read_text())
    counts = s.groupby("paper")["verdict"].value_counts().unstack(fill_value=0)
    lines = [
        "Every testable claim of both papers (the papers' words, shortened), judged by the one rule "
        "(`paperlib.stats`: per-seed paired deltas; a verdict only when the 95% interval over seeds and the one "
        "over images both exclude 0). A claim is *contradicted* when any of its deciding comparisons is, *supported* "
        "when all are; a context comparison (IDMAN at a baseline's size: a stronger question than the paper's) is "
        "listed in the ledger but never decides. Budgets are fractions of the paper's HR pixels seen; parameter "
        "counts are ours (both sides). "
        "Every comparison, with its intervals and sources: "
        f"{_md_link(d / 'claims_ledger.md', root)}; the notebook: "
        "[`notebooks/claims.ipynb`](notebooks/claims.ipynb).\n",
        counts.to_markdown() + "\n",
        s.drop(columns=["rows"]).to_markdown(index=False, disable_numparse=True),
        "",
    ]
    cost = d / "claims_compute.csv"
    if cost.exists():
        c = pd.read_csv(cost)
        c["training_hours"] = c["training_hours"].map(lambda h: "-" if pd.isna(h) else f"{h:.2f}")
        lines += [
            "What the experiments behind it cost to train (hours from each run's own record; the hardware "
            "that measured them):\n",
            c.to_markdown(index=False, disable_numparse=True),
            "",
        ]
    lines.append(
        f"<sub>{_made_text(meta)}; made from the saved results under `figures/` (sources per row in the ledger).</sub>"
    )
    return "\n".join(lines)


def update_readme_claims(profile: str = "quick", readme=None) -> bool:
    """Regenerate the README's claims block from ``figures/claims/<profile>/``."""
    return replace_readme_block("CLAIMS", readme_claims_section(profile), readme)
