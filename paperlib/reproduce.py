"""The papermill driver: execute the notebooks in dependency order and summarise.

Each notebook has one ``parameters`` cell (profile, scales, data root, device, seed, output
folder); the driver injects ``profile`` and ``device``. Executed copies go to
``runs/executed/<profile>/``; figures and tables go where the notebooks write them
(``figures/<paper>/<profile>/``). A failure stops the run and names the notebook and cell.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from .config import REPO_ROOT, runs_root

NOTEBOOK_DIR = REPO_ROOT / "notebooks"

#: Execution order: a notebook may reuse the runs trained by the ones before it.
NOTEBOOKS = {
    "dridsr": [
        "dridsr/01_fig5_sobel_vs_canny.ipynb",
        "dridsr/02_train_table1_models.ipynb",
        "dridsr/03_table1_quality.ipynb",
        "dridsr/04_table2_complexity.ipynb",
        "dridsr/05_fig6_frequency_paths.ipynb",
        "dridsr/06_figs7_11_visual_comparison.ipynb",
        "dridsr/07_budget_study.ipynb",
        # reads what `paperlib study path-ablation` saved; trains nothing
        "dridsr/08_design_ablations.ipynb",
    ],
    "idman": [
        "idman/01_architecture.ipynb",
        "idman/02_ablations.ipynb",
        "idman/03_comparison.ipynb",
    ],
    # the ledger reads what the notebooks above saved
    "claims": ["claims.ipynb"],
    # lessons for teachers: inference with the shipped weights on the embedded sample, no training
    "teaching": [
        "teaching/01_protocol_sensitivity.ipynb",
        "teaching/02_frequencies_and_aliasing.ipynb",
        "teaching/03_degradation_mismatch.ipynb",
        "teaching/04_looking_at_ct.ipynb",
    ],
}


#: Profiles that make only some notebooks, and the extra parameters they inject.
PROFILE_ONLY = {"budget": ["dridsr/07_budget_study.ipynb"], "budget30": ["dridsr/07_budget_study.ipynb"]}
#: Notebooks that run only under some profiles: the budget study needs a profile with snapshot steps (or smoke's
#: own tiny study); under quick or paper it would train its study and find no snapshot to evaluate.
ONLY_UNDER = {"dridsr/07_budget_study.ipynb": ("smoke", "budget", "budget30")}
PROFILE_PARAMETERS = {
    "budget": {"stages": [1000, 2000, 4000, 7000, 10000]},
    "budget30": {"stages": [1000, 2000, 4000, 8000, 14000, 22080]},
}


def selected(only: str = "all", profile: str = "smoke") -> list[str]:
    """Notebooks to run for ``only`` (a group, or a substring of a path) under ``profile``."""
    nbs = _selected(only)
    keep = PROFILE_ONLY.get(profile)
    if keep and not [nb for nb in nbs if nb in keep]:
        from .errors import UnknownNameError

        raise UnknownNameError(f"profile {profile!r} runs only {keep}; none of them is in {only!r}")
    nbs = [nb for nb in nbs if nb in keep] if keep else nbs
    out = [nb for nb in nbs if profile in ONLY_UNDER.get(nb, (profile,))]
    if not out:
        from .errors import UnknownNameError

        raise UnknownNameError(f"{nbs} run only under {[ONLY_UNDER[nb] for nb in nbs]}, not profile {profile!r}")
    return out


def _selected(only: str) -> list[str]:
    from .errors import UnknownNameError

    if only == "all":
        return [nb for group in NOTEBOOKS.values() for nb in group]
    if only in NOTEBOOKS:
        if not NOTEBOOKS[only]:
            raise UnknownNameError(
                f"group {only!r} has no notebooks yet; groups with notebooks: "
                f"{sorted(g for g, nbs in NOTEBOOKS.items() if nbs)}"
            )
        return list(NOTEBOOKS[only])
    hits = [nb for group in NOTEBOOKS.values() for nb in group if only in nb]
    if not hits:
        raise UnknownNameError(f"no notebook matches {only!r}; groups: {sorted(NOTEBOOKS)}")
    return hits


def update_readme_blocks(profile: str, groups: set) -> None:
    """Regenerate the README blocks of the notebook groups that ran (none under smoke; under budget, its block)."""
    from .results import update_readme, update_readme_budget, update_readme_claims, update_readme_idman

    if profile in ("budget", "budget30"):
        if update_readme_budget(profile=profile):
            print(f"README {profile} section updated from figures/dridsr/{profile}/")
        return
    from .profiles import active_cap

    if profile == "smoke" or active_cap():  # a capped run checks shapes: its numbers never reach the README
        return
    blocks = {  # group: (updater, what the README says it updated)
        "dridsr": (lambda: update_readme("dridsr", profile), f"results section updated from figures/dridsr/{profile}/"),
        "idman": (lambda: update_readme_idman(profile), f"IDMAN section updated from figures/idman/{profile}/"),
        "claims": (lambda: update_readme_claims(profile), f"claims ledger updated from figures/claims/{profile}/"),
    }
    for group in [g for g in blocks if g in groups]:
        update, said = blocks[group]
        if update():
            print(f"README {said}")


def write_summary(path: Path, profile: str, only: str, device: str, rows: list, status: int) -> None:
    """The run's record beside its executed copies: each notebook's status and seconds, the cap
    (:func:`~paperlib.profiles.active_cap`), the hardware and the commit (``make paper-shapes`` keeps it in
    ``bench/results/``: the proof that the paper profile works at the papers' shapes)."""
    import json
    from datetime import datetime, timezone

    from .profiles import active_cap
    from .runs import atomic_write_bytes
    from .runtime import git_commit, hardware_info

    record = {
        "profile": profile,
        "only": only,
        "cap": active_cap(),
        "passed": status == 0,
        "notebooks": [{"notebook": nb, "status": st, "seconds": round(secs, 1)} for nb, st, secs, _ in rows],
        "total_seconds": round(sum(r[2] for r in rows), 1),
        "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "git_commit": git_commit(),
        "hardware": hardware_info(device),
    }
    atomic_write_bytes(path, (json.dumps(record, indent=1) + "\n").encode())


def reproduce(
    profile: str = "smoke",
    only: str = "all",
    output_dir=None,
    device: str = "cpu",
    notebooks: list[str] | None = None,
    train_jobs: int | None = None,
) -> int:
    """Run the notebooks; print a summary table; return 0, or 1 naming the failing notebook and cell.

    ``train_jobs``: first train the selected notebooks' trainings in that many local processes side by side
    (:func:`train_ahead`); the notebooks then reuse the runs. On a 2-core CPU, two
    one-thread trainings side by side do about 1.3x the work of one on both cores (``fanout.fan_out_locally``).
    """
    import papermill as pm

    from .profiles import get_profile

    get_profile(profile)
    nbs = notebooks or selected(only, profile)  # an empty selection is an error, before anything is made
    if train_jobs:
        _train_notebooks_ahead(profile, nbs, train_jobs, device)
    out_dir = Path(output_dir) if output_dir else runs_root() / "executed" / profile
    out_dir.mkdir(parents=True, exist_ok=True)
    rows, status = [], 0
    params = {"profile": profile, "device": device} | PROFILE_PARAMETERS.get(profile, {})
    for nb in nbs:
        src = NOTEBOOK_DIR / nb
        dst = out_dir / nb
        dst.parent.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        try:
            pm.execute_notebook(
                str(src), str(dst), parameters=params, kernel_name="python3", progress_bar=False, cwd=str(src.parent)
            )
            rows.append((nb, "ok", time.perf_counter() - t0, str(dst)))
        except pm.PapermillExecutionError as e:
            rows.append(
                (nb, f"FAILED in cell {e.exec_count} ({e.ename}: {e.evalue})", time.perf_counter() - t0, str(dst))
            )
            status = 1
            break
        except Exception as e:  # kernel death, missing notebook...
            rows.append((nb, f"FAILED ({type(e).__name__}: {e})", time.perf_counter() - t0, str(dst)))
            status = 1
            break
    write_summary(out_dir / "summary.json", profile, only, device, rows, status)
    w = max(len(r[0]) for r in rows) if rows else 10
    print(f"\n{'notebook':{w}s}  {'time':>8s}  status / executed copy")
    for nb, st, secs, dst in rows:
        print(f"{nb:{w}s}  {secs:7.1f}s  {st}  {dst if st == 'ok' else ''}")
    if status == 0:
        update_readme_blocks(profile, {nb.split("/")[0].removesuffix(".ipynb") for nb in nbs})
    if status:
        print(f"paperlib reproduce: {rows[-1][0]} failed; see the executed copy {rows[-1][3]}", file=sys.stderr)
    return status


def _train_notebooks_ahead(profile: str, nbs: list[str], jobs: int, device: str) -> None:
    """``reproduce --train-jobs``: :func:`train_ahead` for the groups of ``nbs``; refused for a budget profile."""
    from .experiments.trainings import NOTEBOOK_PROFILES

    if profile not in NOTEBOOK_PROFILES:
        from .errors import UnknownNameError

        raise UnknownNameError(
            f"--train-jobs: profile {profile!r} trains inside its study (`paperlib study budget --jobs N`); "
            f"--train-jobs works with {', '.join(NOTEBOOK_PROFILES)}"
        )
    train_ahead(profile, {nb.split("/")[0].removesuffix(".ipynb") for nb in nbs}, jobs, device)


def train_ahead(profile: str, groups, jobs: int, device: str = "cpu", runs=None) -> list[str]:
    """Train the trainings of ``profile`` that belong to the notebook ``groups`` (``dridsr``, ``idman``) in ``jobs``
    local processes side by side (:func:`~paperlib.experiments.fanout.fan_out_locally`, each process with its
    share of the cores), the longest first onto the least loaded process (cost: FLOPs per step x steps,
    :mod:`paperlib.experiments.plan`). The notebooks then reuse every run by key. Returns the run directories; a
    training that fails raises in this process."""
    from .experiments.fanout import fan_out_locally
    from .experiments.plan import step_flops
    from .experiments.trainings import profile_trainings

    todo = [t for t in profile_trainings(profile, device) if t.study.split(".")[0] in set(groups)]
    if not todo:
        return []
    print(
        f"paperlib: training {len(todo)} runs of {profile} ({', '.join(sorted(groups))}) in {jobs} processes",
        flush=True,
    )
    return fan_out_locally(todo, jobs, runs=runs, cost=lambda t: step_flops(t) * t.steps)
