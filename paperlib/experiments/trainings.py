"""Every training a profile needs, as one list: the cost plan and the fan-out both read it.

The notebooks train through the studies' own functions (``tables.train_methods``,
``ablations.train_study``, ``compare.train_all``, ``budget.advance``); each of those builds its
:class:`~paperlib.train.TrainConfig` objects with a ``*_configs`` function, and this module lists the
same configs without training anything. A :class:`Training` is one such config with the study it
belongs to, so that a worker on another machine can load that study's data (its split seed is the
study's, not the training seed) and train exactly the run the notebook will later reuse by key.

* :func:`profile_trainings` - the deduplicated list for a profile, in the notebooks' order.
* :func:`run_training` - train one; :func:`run_trainings` - a job of the fan-out.
* :func:`fan_out` - submit a list as a job array through submitit (SLURM, or its local executor);
  :func:`fan_out_locally` - the same in N processes on this machine.
* :mod:`paperlib.experiments.plan` - FLOPs per step and the estimated hours of each training.
"""

from __future__ import annotations

import functools
import json
from dataclasses import asdict, dataclass
from pathlib import Path

#: Profiles whose trainings are the notebooks' (Table 1, the IDMAN ablations and comparison) and those of the
#: budget studies (DRIDSR's budget study and path ablation, the 30% study).
NOTEBOOK_PROFILES = ("smoke", "quick", "paper")
BUDGET_PROFILES = ("budget", "budget30")


@dataclass(frozen=True)
class Training:
    """One training of a profile.

    Args:
        study: which study it belongs to (a key of :data:`LOADERS`): says how its data is loaded.
        label: a short human name (``idman x2 seed 1``).
        config: the run's :class:`~paperlib.train.TrainConfig` (its key is the run directory's).
        stop_at: the step the study stops it at (``None``: the profile's iterations).
    """

    study: str
    label: str
    config: object
    stop_at: int | None = None

    @property
    def plan(self):
        """The run's :class:`~paperlib.profiles.TrainPlan` (iterations, batch, HR patch, learning rate)."""
        from ..profiles import SCHEDULES, train_plan

        cfg, paper = self.config, self.config.schedule_paper()
        return train_plan(cfg.resolved_profile(), paper, cfg.scale, SCHEDULES[paper].n_pairs or 1)

    @property
    def steps(self) -> int:
        """Steps the study trains it for."""
        n = self.plan.iterations
        return n if self.stop_at is None else min(n, self.stop_at)

    def identity(self) -> str:
        """What makes two trainings the same run (the config without its device and compile flags)."""
        d = asdict(self.config)
        d.pop("device"), d.pop("compile")
        d["paper"] = self.config.schedule_paper()  # None and the model's own paper are the same run
        d["profile"] = d["profile"] if isinstance(d["profile"], str) else d["profile"]["name"]
        return json.dumps([d, self.stop_at], sort_keys=True, default=str)


def _load_covid_ct(profile: str, data_root=None):
    from .dridsr.tables import load_data

    return load_data(seed=0, data_root=data_root, progress=False, profile=profile)


def _load_hu(profile: str, data_root=None):
    from .idman.ablations import load_data

    return load_data(profile, seed=0, data_root=data_root)


#: How each study loads the data its runs are keyed on (every study splits with seed 0).
LOADERS = {
    "dridsr.table1": _load_covid_ct,
    "dridsr.budget": _load_covid_ct,
    "dridsr.path_ablation": _load_covid_ct,
    "idman.ablations": _load_hu,
    "idman.compare": _load_hu,
    "idman.capacity": _load_hu,
}


def _notebook_trainings(profile: str, device: str) -> list[Training]:
    from .dridsr.tables import table1_configs
    from .idman.ablations import study_configs
    from .idman.compare import compare_configs

    out = [
        Training("dridsr.table1", f"{m} x{s}", cfg)
        for (m, s), cfg in table1_configs(profile, device=device).items()
        if m != "bicubic"
    ]
    out += [
        Training("idman.ablations", f"idman ({key}) x2 seed {seed}", cfg)
        for (key, seed), (cfg, _) in study_configs(profile, device=device).items()
    ]
    out += [
        Training("idman.compare", f"{m} x{s} seed {seed}", cfg)
        for (m, s, seed), cfg in compare_configs(profile, device=device).items()
        if m != "bicubic"
    ]
    return out


def _budget_trainings(profile: str, device: str) -> list[Training]:
    from .dridsr import budget, path_ablation

    out = [
        Training("dridsr.budget", f"{br.name} seed {br.seed}", cfg, br.max_steps)
        for br, cfg in budget.study_configs(budget.STUDIES[profile], profile, device)
    ]
    if profile == "budget":
        out += [
            Training("dridsr.path_ablation", f"{br.name} seed {br.seed}", cfg, path_ablation.STAGES[-1])
            for br, cfg in budget.study_configs(path_ablation.STUDY, profile, device)
        ]
    return out


def profile_trainings(profile: str, device: str = "cpu") -> list[Training]:
    """Every training ``profile`` needs, in the order the notebooks (or the budget studies) train them, each once.

    Two studies may share a run (IDMAN x2 of the comparison is the ablations' Table 4 model; the path
    ablation's Sobel runs are the budget study's DRIDSR): the first listing is kept.
    """
    if profile in NOTEBOOK_PROFILES:
        items = _notebook_trainings(profile, device)
    elif profile in BUDGET_PROFILES:
        items = _budget_trainings(profile, device)
    else:
        from ..errors import UnknownNameError

        raise UnknownNameError(
            f"no trainings are listed for profile {profile!r}; known: {NOTEBOOK_PROFILES + BUDGET_PROFILES}"
        )
    seen, out = set(), []
    for t in items:
        if t.identity() not in seen:
            seen.add(t.identity())
            out.append(t)
    return out


@functools.lru_cache(maxsize=4)
def _study_data(loader, profile: str, data_root):
    return loader(profile, data_root)  # one load per worker process for every training of a study


def run_training(training: Training, runs=None, data_root=None) -> str:
    """Train (or resume, or reuse) one training with its study's data; returns the run directory.

    Needs nothing but the pickled :class:`Training`, so it runs the same in this process, in a local
    subprocess or on a cluster node.
    """
    from ..train import train

    data = _study_data(LOADERS[training.study], training.config.resolved_profile().name, data_root)
    run = train(training.config, data=data, runs=runs, progress=False, stop_at=training.stop_at)
    return str(Path(run.path).resolve())


def run_trainings(group: list[Training], runs=None, data_root=None, threads: int | None = None) -> list[str]:
    """The job function of :func:`fan_out`: :func:`run_training` for each of ``group``, in order."""
    if threads:
        import torch

        torch.set_num_threads(threads)
    return [run_training(t, runs, data_root) for t in group]


def fan_out(
    trainings: list[Training], executor, runs=None, data_root=None, jobs: int | None = None, threads: int | None = None
) -> list[str]:
    """Submit ``trainings`` as one submitit job array on ``executor`` and wait; returns their run directories.

    Args:
        trainings: what to train (:func:`profile_trainings`, or a part of it).
        executor: ``submitit.AutoExecutor(folder=...)`` (SLURM on a cluster, local processes elsewhere),
            ``submitit.LocalExecutor`` or ``DebugExecutor``, its resources already set (``update_parameters``).
        runs: the runs folder every job writes to (one that every machine sees); a run already finished
            there is reused by key, whichever machine made it.
        jobs: at most this many jobs, each training its share in turn (``trainings[i::jobs]``: list the costly
            ones first to balance them); ``None``: one job per training. submitit's local executor starts every
            job at once, so on one machine this is the number of trainings that run side by side.
        threads: ``torch.set_num_threads`` in each job.
    """
    n = len(trainings) if jobs is None else max(1, min(jobs, len(trainings)))
    groups = [trainings[i::n] for i in range(n)]
    results = [
        j.result() for j in executor.map_array(run_trainings, groups, [runs] * n, [data_root] * n, [threads] * n)
    ]
    out = [""] * len(trainings)
    for i, dirs in enumerate(results):
        out[i::n] = dirs
    return out


def fan_out_locally(trainings: list[Training], jobs: int, runs=None, data_root=None) -> list[str]:
    """:func:`fan_out` on this machine: ``trainings`` (each run once, in the given order) in ``jobs`` processes side
    by side through submitit's local executor (job logs under ``<runs>/submitit``), each with its share of the
    cores; returns the run directories. On a 2-core AMD EPYC, IMDN x4 trained at 3.7 steps/s on one thread beside
    another one-thread training and at 5.8 steps/s alone on both cores: two side by side did about 1.3x the work."""
    import os

    import submitit

    from ..config import runs_root

    seen, todo = set(), []
    for t in trainings:
        if t.identity() not in seen:
            seen.add(t.identity())
            todo.append(t)
    ex = submitit.LocalExecutor(folder=runs_root(runs) / "submitit")
    ex.update_parameters(timeout_min=24 * 60)
    return fan_out(todo, ex, runs, data_root, jobs=jobs, threads=max(1, (os.cpu_count() or 1) // jobs))
