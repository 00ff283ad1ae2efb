"""One training as a picklable job, and the fan-out that runs many of them: in this process, as a submitit job array
(SLURM, or its local executor), or in N processes on this machine.

A :class:`Training` is one :class:`~paperlib.train.TrainConfig` with the study it belongs to, so that a worker on
another machine can load that study's data (its split seed is the study's, not the training seed) and train exactly
the run the notebook will later reuse by key. The lists of a profile's trainings are
:mod:`paperlib.experiments.trainings`'; a study that fans its own runs out (the budget study's stages, the IDMAN
capacity twins) builds :class:`Training` objects itself.

* :func:`run_training` - train one; :func:`run_trainings` - a job of the fan-out.
* :func:`job_groups` - which trainings each job runs (interleaved, or balanced by cost).
* :func:`fan_out` - submit a list as a job array through submitit; :func:`fan_out_locally` - the same in N
  processes on this machine.
"""

from __future__ import annotations

import functools
import json
from dataclasses import asdict, dataclass
from pathlib import Path


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


def distinct(trainings: list[Training]) -> list[Training]:
    """``trainings`` with each run once (by :meth:`Training.identity`), the first listing kept, in order."""
    seen, out = set(), []
    for t in trainings:
        if t.identity() not in seen:
            seen.add(t.identity())
            out.append(t)
    return out


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


def job_groups(trainings: list[Training], jobs: int, cost=None) -> list[list[int]]:
    """Which trainings each of ``jobs`` jobs runs in turn, as indices into ``trainings``.

    Without ``cost``: every ``jobs``-th in the given order (``trainings[i::jobs]``). With ``cost`` (a training's
    estimated seconds): longest first onto the job with the least work so far (LPT), so that one long run gets a
    job of its own while the short ones share another (a budget stage: DRIDSR beside IMDN then PAN)."""
    n = max(1, min(jobs, len(trainings)))
    if cost is None:
        return [list(range(i, len(trainings), n)) for i in range(n)]
    costs = [cost(t) for t in trainings]  # once each: a cost may build a model to count its parameters
    groups, load = [[] for _ in range(n)], [0.0] * n
    for i in sorted(range(len(trainings)), key=lambda i: -costs[i]):
        k = load.index(min(load))
        groups[k].append(i)
        load[k] += costs[i]
    return [g for g in groups if g]


def fan_out(
    trainings: list[Training],
    executor,
    runs=None,
    data_root=None,
    jobs: int | None = None,
    threads: int | None = None,
    cost=None,
) -> list[str]:
    """Submit ``trainings`` as one submitit job array on ``executor`` and wait; returns their run directories.

    Args:
        trainings: what to train (:func:`profile_trainings`, or a part of it).
        executor: ``submitit.AutoExecutor(folder=...)`` (SLURM on a cluster, local processes elsewhere),
            ``submitit.LocalExecutor`` or ``DebugExecutor``, its resources already set (``update_parameters``).
        runs: the runs folder every job writes to (one that every machine sees); a run already finished
            there is reused by key, whichever machine made it.
        jobs: at most this many jobs, each training its share in turn (:func:`job_groups`); ``None``: one job
            per training. submitit's local executor starts every job at once, so on one machine this is the
            number of trainings that run side by side.
        threads: ``torch.set_num_threads`` in each job.
        cost: a training's estimated seconds, to balance the jobs (:func:`job_groups`); ``None``: interleaved
            (list the costly ones first).
    """
    index = job_groups(trainings, len(trainings) if jobs is None else jobs, cost)
    n = len(index)
    groups = [[trainings[i] for i in g] for g in index]
    results = [
        j.result() for j in executor.map_array(run_trainings, groups, [runs] * n, [data_root] * n, [threads] * n)
    ]
    out = [""] * len(trainings)
    for g, dirs in zip(index, results):
        for i, d in zip(g, dirs):
            out[i] = d
    return out


def fan_out_locally(trainings: list[Training], jobs: int, runs=None, data_root=None, cost=None) -> list[str]:
    """:func:`fan_out` on this machine: ``trainings`` (each run once) in ``jobs`` processes side by side through
    submitit's local executor (job logs under ``<runs>/submitit``), each with its share of the cores, balanced by
    ``cost`` when given (:func:`job_groups`); returns the run directory of each of ``trainings``, in their order.
    On a 2-core AMD EPYC, IMDN x4 trained at 3.7 steps/s on one thread beside another one-thread training and at
    5.8 steps/s alone on both cores: two side by side did about 1.3x the work."""
    import os

    import submitit

    from ..config import runs_root

    todo = distinct(trainings)
    ex = submitit.LocalExecutor(folder=runs_root(runs) / "submitit")
    ex.update_parameters(timeout_min=24 * 60)
    threads = max(1, (os.cpu_count() or 1) // jobs)
    done = dict(zip(map(Training.identity, todo), fan_out(todo, ex, runs, data_root, jobs, threads, cost)))
    return [done[t.identity()] for t in trainings]
