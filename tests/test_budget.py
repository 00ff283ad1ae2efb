"""Budget-study arithmetic: paired margins, the one rule's intervals and verdicts, common budgets (synthetic rows)."""

import numpy as np
import pandas as pd
import pytest

from paperlib.experiments.dridsr import budget as bx


def _rows(run, seed, step, psnrs):
    return [
        {"run": run, "seed": seed, "step": step, "image": f"im{i}", "psnr": p, "ssim": 0.0} for i, p in enumerate(psnrs)
    ]


def test_claims_margin_seed_spread_and_trend():
    base = np.array([30.0, 31.0, 29.0, 32.0])
    rows = (
        _rows("DRIDSR (interleaved)", 0, 100, base + 0.1)
        + _rows("DRIDSR (interleaved)", 1, 100, base + 0.3)
        + _rows("DRIDSR (interleaved)", 0, 200, base + 1.0 + [0.0, 0.1, 0.2, 0.1])
        + _rows("DRIDSR (interleaved)", 1, 200, base + 1.2 + [0.0, 0.1, 0.2, 0.1])
        + _rows("IMDN", 0, 100, base)
        + _rows("IMDN", 1, 100, base)
        + _rows("IMDN", 0, 200, base)
        + _rows("IMDN", 1, 200, base + 0.2)
    )
    cl = bx.claims(pd.DataFrame(rows), baselines=("imdn",)).iloc[0]
    # per image, seeds averaged: DRIDSR = base + 1.1 + d, IMDN = base + 0.1 -> margin = 1.0 + mean(d) = 1.1
    assert cl["step"] == 200 and cl["prev_step"] == 100
    assert cl["margin_dB"] == pytest.approx(1.1)
    # per-seed mean margins: seed 0: 1.1, seed 1: 1.1 (1.3 - 0.2) -> seed SD 0, the seed interval is the point 1.1
    assert cl["seed_sd_dB"] == pytest.approx(0.0, abs=1e-12)
    assert (cl["seed_ci_low"], cl["seed_ci_high"]) == pytest.approx((1.1, 1.1))
    # per image (seeds averaged): 1.0 + d = 1.0, 1.1, 1.2, 1.1 -> t-interval with 3 df
    from scipy import stats as st

    d = np.array([1.0, 1.1, 1.2, 1.1])
    assert (cl["image_ci_low"], cl["image_ci_high"]) == pytest.approx(st.t.interval(0.95, 3, d.mean(), st.sem(d)))
    # at step 100 the margin was 0.2 -> trend +0.9
    assert cl["trend_dB_since_prev"] == pytest.approx(0.9)
    assert cl["paper_margin_dB"] == pytest.approx(31.89 - 31.41)
    assert cl["verdict_at_this_budget"] == "supported"  # both intervals above 0


def test_furthest_takes_the_shared_seeds_beyond_the_common_step():
    base = np.array([30.0, 31.0, 29.0, 32.0])
    rows = [
        *_rows("DRIDSR (interleaved)", 0, 100, base + 0.1),
        *_rows("DRIDSR (interleaved)", 1, 100, base + 0.3),
        *_rows("IMDN", 0, 100, base),
        *_rows("IMDN", 1, 100, base),
    ]
    assert bx.furthest(pd.DataFrame(rows), baselines=("imdn",)).empty  # no step beyond the common one
    # seed 0 of both (and seed 1 of IMDN only) went on to step 300
    rows += _rows("DRIDSR (interleaved)", 0, 300, base + 2.0) + _rows("IMDN", 0, 300, base + [0.0, 0.2, 0.0, 0.2])
    rows += _rows("IMDN", 1, 300, base + 5.0)
    per = pd.DataFrame(rows)
    assert bx.claims(per, baselines=("imdn",)).iloc[0]["step"] == 100
    f = bx.furthest(per, baselines=("imdn",)).iloc[0]
    # seed 0 only: margins 2.0, 1.8, 2.0, 1.8 -> 1.9; IMDN's seed 1 is not paired with anything
    assert (f["step"], f["seeds"], f["prev_step"]) == (300, "1 vs 1", 100)
    assert f["margin_dB"] == pytest.approx(1.9) and f["trend_dB_since_prev"] == pytest.approx(1.9 - 0.1)
    assert f["verdict_at_this_budget"] == "unresolved" and "one seed" in f["why"]


def test_common_step_needs_every_seed():
    rows = (
        _rows("A", 0, 100, [1.0])
        + _rows("A", 0, 200, [1.0])
        + _rows("A", 1, 100, [1.0])
        + _rows("B", 0, 100, [1.0])
        + _rows("B", 0, 200, [1.0])
    )
    assert bx.common_step(pd.DataFrame(rows), "A", "B") == 100


def test_labels_tell_the_ridm_readings_apart():
    assert bx.label_for("dridsr", {}) == "DRIDSR (interleaved)"
    assert bx.label_for("dridsr", {"ridm_wiring": "side_chain"}) == "DRIDSR (side chain)"
    assert bx.label_for("imdn", {}) == "IMDN"


def test_wiring_comparison_is_a_row_without_a_paper_margin():
    base = np.array([30.0, 31.0, 29.0, 32.0])
    rows = (
        _rows("DRIDSR (interleaved)", 0, 100, base)
        + _rows("DRIDSR (side chain)", 0, 100, base - 0.5 + [0.0, 0.1, -0.1, 0.05])
        + _rows("DRIDSR (interleaved)", 1, 100, base + 0.2)
        + _rows("DRIDSR (interleaved)", 0, 200, base)
        + _rows("DRIDSR (interleaved)", 1, 200, base)
    )
    cl = bx.claims(pd.DataFrame(rows), baselines=())
    assert list(cl["claim"]) == ["DRIDSR (side chain) > DRIDSR (interleaved) (x4)"]
    row = cl.iloc[0]
    # the side chain reached only step 100 with seed 0: compared there with interleaved seed 0 (seeds pair by
    # index; they saw the same batches) -> margin -0.5 + mean(0, 0.1, -0.1, 0.05) = -0.4875
    assert row["step"] == 100 and row["seeds"] == "1 vs 2"
    assert row["margin_dB"] == pytest.approx(-0.4875) and np.isnan(row["paper_margin_dB"])
    assert row["verdict_at_this_budget"] == "unresolved" and "one seed" in row["why"]


def test_readme_sentences_name_the_wiring_row_as_no_claim_of_the_paper(tmp_path):
    from paperlib import results

    d = tmp_path / "figures" / "dridsr" / "budget"
    d.mkdir(parents=True)
    cols = [
        "claim",
        "step",
        "n_images",
        "seeds",
        "margin_dB",
        "image_ci_low",
        "image_ci_high",
        "seed_ci_low",
        "seed_ci_high",
        "trend_dB_since_prev",
        "prev_step",
        "paper_margin_dB",
        "verdict_at_this_budget",
    ]
    rows = [
        ["DRIDSR > IMDN (x4)", 10000, 46, "2 vs 2", -0.2, -0.25, -0.15, -0.3, -0.1, 0.05, 7000, 0.48, "contradicted"],
        [
            "DRIDSR (side chain) > DRIDSR (interleaved) (x4)",
            10000,
            46,
            "1 vs 2",
            -0.1,
            -0.2,
            0.0,
            np.nan,
            np.nan,
            np.nan,
            np.nan,
            np.nan,
            "unresolved",
        ],
    ]
    pd.DataFrame(rows, columns=cols).to_csv(d / "budget_claims.csv", index=False)
    (d / "budget_claims.md").write_text("| table |")
    (d / "budget_psnr_vs_iterations.png").write_bytes(b"")
    text = results.readme_budget_section(tmp_path / "figures")
    assert "(paper +0.48 dB): **contradicted**" in text
    assert (
        "(images [-0.20, +0.00], one seed: no interval over seeds) (not a claim of the paper): **unresolved** at "
        "this budget; no earlier snapshot" in text
    )
    assert "nan" not in text.split("<sub>")[0]
    assert "* **DRIDSR > VDSR (x4)**: not tested" in text


def test_study_meta_names_every_commit_that_trained_a_staged_run(tmp_path):
    """A run resumed across sessions was trained at several commits: the provenance lists each of them once."""
    from types import SimpleNamespace

    from paperlib.experiments.dridsr.budget import study_meta
    from paperlib.runs import Run

    run = Run(tmp_path / "dridsr_x4_budget30_k")
    sessions = [{"git_commit": c, "from_step": s} for c, s in (("aaa", 0), ("bbb", 1000), ("ccc", 2000))]
    run.write_manifest({"git_commit": "ccc", "sessions": sessions})
    other = Run(tmp_path / "imdn_x4_budget30_k")
    other.write_manifest({"git_commit": "ddd"})  # a run from before sessions were recorded
    meta = study_meta(SimpleNamespace(manifest={"dataset": "covid-ct"}), 0, [1000, 2000], [(None, run), (None, other)])
    assert meta["run_commits"] == ["aaa", "bbb", "ccc", "ddd"]


def test_edges_evaluates_the_studys_runs_at_one_snapshot_with_the_gradient_error(tmp_path, monkeypatch):
    """``study edges`` reads the budget runs from disk (nothing trained), evaluates only the asked snapshot of each
    with the gradient-magnitude error beside PSNR, and its PSNR is the budget study's own for that snapshot."""
    from paperlib.cli import main
    from paperlib.experiments.dridsr import budget, edges
    from paperlib.experiments.dridsr.tables import load_data, test_images

    monkeypatch.setenv("PAPERLIB_RUNS", str(tmp_path / "runs"))
    monkeypatch.setenv("PAPERLIB_FIGURES", str(tmp_path / "figures"))
    data = load_data(seed=0, progress=False, profile="smoke")
    per, pairs = budget.run_study("smoke", [4], data, test_images(data, "smoke"))
    assert main(["study", "edges", "--profile", "smoke", "--step", "2"]) == 0
    out = pd.read_csv(tmp_path / "figures" / "dridsr" / "smoke" / "edges_per_image.csv")
    assert set(out["step"]) == {2} and set(out["run"]) == {br.name for br in budget.SMOKE_STUDY}
    assert (out["gradient_error"] > 0).all()
    mine = out.set_index(["run", "image"])["psnr"].sort_index()
    theirs = per[per["step"] == 2].set_index(["run", "image"])["psnr"].sort_index()
    assert mine.round(9).equals(theirs.round(9))
    rows, step, _ = edges.edge_per_image("smoke", 4)
    assert step == 4 and set(rows["step"]) == {4}


def test_a_study_advanced_seed_by_seed_reuses_committed_rows_only_of_the_same_configuration(
    tmp_path, monkeypatch, capsys
):
    """A new machine (no run directories) trains one run of the study; the others' per-image rows come from the
    committed table, exactly, and only while their protocol and training configuration are today's."""
    import json

    from paperlib.experiments.dridsr import budget
    from paperlib.experiments.dridsr.tables import load_data, protocol_text, test_images

    figs = tmp_path / "figures"
    monkeypatch.setenv("PAPERLIB_FIGURES", str(figs))
    monkeypatch.setenv("PAPERLIB_RUNS", str(tmp_path / "runs_first_machine"))
    data = load_data(seed=0, progress=False, profile="smoke")
    images = test_images(data, "smoke")
    per, pairs = budget.run_study("smoke", [4], data, images)
    budget.save_outputs(per, pairs, "smoke", budget.study_meta(data, 0, [4], pairs))

    monkeypatch.setenv("PAPERLIB_RUNS", str(tmp_path / "runs_second_machine"))  # the first machine's runs are gone
    espcn = tuple(br for br in budget.SMOKE_STUDY if br.method == "espcn")
    again = budget.advance(4, data, espcn, "smoke", progress=False, **budget.SMOKE_OVERRIDES)
    mine = budget.collect(again, images)
    merged, earlier = budget.merge_committed(mine, again, data, "smoke")
    dridsr_dirs = {r.path.name for br, r in pairs if br.method == "dridsr"}
    assert set(earlier) == dridsr_dirs
    key = ["run", "seed", "step", "image"]
    old = per[per["method"] == "dridsr"].sort_values(key).reset_index(drop=True)
    reused = merged[merged["method"] == "dridsr"].sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(reused[old.columns], old, check_dtype=False)
    # the run trained here is taken from here, never twice
    assert len(merged[merged["method"] == "espcn"]) == len(mine) == 2 * len(images)
    meta = budget.study_meta(data, 0, [4], again, earlier)
    assert set(meta["runs"]) == dridsr_dirs | {r.path.name for _, r in again}
    # the rerun of ESPCN against its first-machine rows: only that run, and here (same threads, same CPU) the
    # same arithmetic, so no shift at all
    md = budget.save_rerun_shift(per, earlier, merged, again, "smoke", "the first machine")
    shift = pd.read_csv(md.with_suffix(".csv"))
    assert set(shift["run"]) == {br.name for br in espcn} and (shift["n_images"] == len(images)).all()
    assert (shift["max_abs_shift_dB"] == 0).all()
    assert json.loads(md.with_suffix(".json").read_text())["before"] == {"source": "the first machine"}
    # the same training read back (a later stage of this study, or a rerun of the command): not a rerun
    same = {r.path.name: r.manifest for _, r in again}
    assert budget.save_rerun_shift(mine, same, merged, again, "smoke", "this machine") is None
    assert budget.save_rerun_shift(pd.DataFrame(), {}, merged, again, "smoke", "no table yet") is None

    # a committed run trained with another configuration is left out, and said
    side = figs / "dridsr" / "smoke" / "manifests" / f"{sorted(dridsr_dirs)[0]}.json"
    m = json.loads(side.read_text())
    m["config"]["plan"]["lr"] *= 2
    side.write_text(json.dumps(m))
    merged, earlier = budget.merge_committed(mine, again, data, "smoke")
    assert set(earlier) == dridsr_dirs - {side.stem}
    assert f"{side}: not the configuration of" in capsys.readouterr().err

    # a committed table made under another protocol gives nothing
    table = figs / "dridsr" / "smoke" / f"{budget.PER_IMAGE_TABLE}.json"
    t = json.loads(table.read_text())
    assert t["protocol"] == protocol_text(data=data) and t["metrics_version"] == 1
    table.write_text(json.dumps(t | {"protocol": "gray, no crop"}))
    merged, earlier = budget.merge_committed(mine, again, data, "smoke")
    assert earlier == {} and len(merged) == len(mine)
    assert "made under another protocol or metrics version" in capsys.readouterr().err


def test_a_stage_fanned_out_over_two_processes_trains_the_same_runs(tmp_path, monkeypatch):
    """``advance(jobs=2)`` trains the stage in two submitit local processes; the runs are those this process would
    train (same directories, complete to the stage: trained again here, nothing is retrained)."""
    pytest.importorskip("submitit")
    from paperlib.experiments.dridsr import budget
    from paperlib.experiments.dridsr.tables import load_data

    monkeypatch.setenv("PAPERLIB_DATA", str(tmp_path / "no-data"))  # the smoke profile's embedded sample
    monkeypatch.setenv("PAPERLIB_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("PAPERLIB_RUNS", str(tmp_path / "runs"))
    data = load_data(seed=0, progress=False, profile="smoke")
    fanned = budget.advance(4, data, budget.SMOKE_STUDY, "smoke", progress=False, jobs=2, **budget.SMOKE_OVERRIDES)
    assert [br for br, _ in fanned] == list(budget.SMOKE_STUDY)
    stamps = {r.path.name: (r.path / "weights.pt").stat().st_mtime_ns for _, r in fanned}
    here = budget.advance(4, data, budget.SMOKE_STUDY, "smoke", progress=False, **budget.SMOKE_OVERRIDES)
    assert [r.path.name for _, r in here] == [r.path.name for _, r in fanned]
    assert {r.path.name: (r.path / "weights.pt").stat().st_mtime_ns for _, r in here} == stamps
    assert all(sorted(p.name for p in (r.path / "snapshots").glob("step_*.pt")) for _, r in here)


def test_a_selection_that_matches_no_run_is_refused_before_any_data_is_read(capsys, monkeypatch, tmp_path):
    from paperlib.experiments.dridsr import budget

    monkeypatch.setenv("PAPERLIB_DATA", str(tmp_path / "no-data"))
    with pytest.raises(SystemExit) as exit_info:
        budget.main(["--profile", "budget30", "--seeds", "0", "--methods", "srcnn"])
    assert exit_info.value.code == 2
    assert "--seeds '0' --methods 'srcnn': no run of the budget30 study" in capsys.readouterr().err


def test_rerun_shift_by_hand():
    """after - before per image, grouped by run, seed and step; rows only in one side are left out."""
    from paperlib.experiments.dridsr.budget import rerun_shift

    before = pd.DataFrame(
        {"run": ["A", "A", "A", "B"], "seed": 0, "step": [10, 10, 20, 10], "image": ["x", "y", "x", "x"],
         "psnr": [30.0, 31.0, 32.0, 29.0]}
    )  # fmt: skip
    after = pd.DataFrame(
        {"run": ["A", "A", "A"], "seed": 0, "step": [10, 10, 20], "image": ["x", "y", "z"], "psnr": [30.5, 30.5, 1.0]}
    )
    t = rerun_shift(before, after)
    assert t[["run", "seed", "step", "n_images"]].values.tolist() == [["A", 0, 10, 2]]
    # shifts +0.5 and -0.5: mean 0, sample SD sqrt(0.5), largest magnitude 0.5
    assert t["mean_shift_dB"].iloc[0] == 0.0 and t["max_abs_shift_dB"].iloc[0] == 0.5
    assert t["sd_dB"].iloc[0] == pytest.approx(0.5**0.5, abs=1e-12)


def test_readme_says_where_the_margin_is_heading_with_the_seeds_that_went_further(tmp_path):
    from paperlib import results

    d = tmp_path / "figures" / "dridsr" / "budget30"
    d.mkdir(parents=True)
    base = np.array([30.0, 31.0, 29.0, 32.0])
    rows = [
        r for s in (0, 1) for r in _rows("DRIDSR (interleaved)", s, 100, base + 0.1 * s) + _rows("IMDN", s, 100, base)
    ]
    rows += _rows("DRIDSR (interleaved)", 0, 300, base + 2.0) + _rows("IMDN", 0, 300, base + [0.0, 0.2, 0.0, 0.2])
    per = pd.DataFrame(rows)
    bx.claims(per, baselines=("imdn",)).to_csv(d / "budget_claims.csv", index=False)
    bx.furthest(per, baselines=("imdn",)).to_csv(d / "budget_claims_furthest.csv", index=False)
    (d / "budget_claims.md").write_text("| table |")
    text = results.readme_budget_section(tmp_path / "figures", profile="budget30")
    # seed 0 at 300: per-image margins 2.0, 1.8, 2.0, 1.8, t-interval (3 df) 1.9 +- 3.182 * 0.1 / 2; at 100: 0
    assert (
        "* Further on, with the seeds both sides have there (1 vs 1): **DRIDSR > IMDN (x4)** at 300 iterations, "
        "margin +1.90 dB (images [+1.72, +2.08]), the margin moved +1.90 dB since step 100: **unresolved** "
        "(one seed: no interval over seeds); a trend, not a finding." in text
    )
    bx.curve_table(per).to_csv(d / "budget_curves.csv", index=False)
    # IMDN and DRIDSR have both seeds at step 100 only; their seed 0 alone went on to 300
    assert "Furthest step with every seed: DRIDSR (interleaved) 100, IMDN 100. " in (
        results.readme_budget_section(tmp_path / "figures", profile="budget30")
    )
    pd.DataFrame([]).to_csv(d / "budget_claims_furthest.csv", index=False)  # every seed caught up: nothing further
    assert "Further on" not in results.readme_budget_section(tmp_path / "figures", profile="budget30")


def test_budget30_caps_vdsr_at_a_snapshot_past_the_ledgers_3000_steps():
    """VDSR stops where the profile saves a snapshot (else its last steps would be compared at an earlier one)."""
    from paperlib.experiments.dridsr import budget
    from paperlib.profiles import get_profile

    vdsr = [br for br in budget.STUDY_30 if br.method == "vdsr"]
    assert [br.seed for br in vdsr] == [0, 1] and {br.max_steps for br in vdsr} == {4000}
    assert 4000 in get_profile("budget30").snapshot_steps
    assert [br.method for br in budget.STUDY_30[:6]] == ["dridsr", "imdn", "pan"] * 2  # the costly runs last


def test_a_rerun_of_other_runs_keeps_the_earlier_measurements():
    """Seed 0's shifts (an earlier session) stay when seed 1 is measured; a new measurement of seed 0 replaces its
    own rows only; both sessions' provenance is kept."""
    from paperlib.experiments.dridsr.budget import merge_rerun_shift

    def rows(run, seed, shift):
        return [{"run": run, "seed": seed, "step": st, "mean_shift_dB": shift} for st in (500, 2000)]

    earlier = pd.DataFrame(rows("DRIDSR", 0, -0.1) + rows("IMDN", 0, -0.03))
    e_meta = {"before": {"source": "checkout a", "d0": {"t": 2}}, "after": {"d0": {"t": 1}}, "what": "x"}
    new = pd.DataFrame(rows("DRIDSR", 1, -0.2))
    n_meta = {"before": {"source": "checkout b", "d1": {"t": 2}}, "after": {"d1": {"t": 1}}, "what": "x"}
    table, meta = merge_rerun_shift(earlier, e_meta, new, n_meta)
    got = {(r, s): v for r, s, v in zip(table["run"], table["seed"], table["mean_shift_dB"])}
    assert got == {("DRIDSR", 0): -0.1, ("DRIDSR", 1): -0.2, ("IMDN", 0): -0.03} and len(table) == 6
    assert meta["before"] == {"source": "checkout a; checkout b", "d0": {"t": 2}, "d1": {"t": 2}}
    assert meta["after"] == {"d0": {"t": 1}, "d1": {"t": 1}}
    again = pd.DataFrame(rows("DRIDSR", 0, +0.05))  # seed 0 measured again: its old rows go, the others stay
    table, _ = merge_rerun_shift(earlier, e_meta, again, n_meta)
    got = {(r, s): v for r, s, v in zip(table["run"], table["seed"], table["mean_shift_dB"])}
    assert got == {("DRIDSR", 0): 0.05, ("IMDN", 0): -0.03}
    assert merge_rerun_shift(pd.DataFrame(), {}, new, n_meta) == (new, n_meta)
