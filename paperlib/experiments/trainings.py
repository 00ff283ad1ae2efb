"""Every training a profile needs, as one list: the cost plan and the fan-out both read it.

The notebooks train through the studies' own functions (``tables.train_methods``,
``ablations.train_study``, ``compare.train_all``, ``budget.advance``); each of those builds its
:class:`~paperlib.train.TrainConfig` objects with a ``*_configs`` function, and this module lists the
same configs, as :class:`~paperlib.experiments.fanout.Training` objects, without training anything.

* :func:`profile_trainings` - the deduplicated list for a profile, in the notebooks' order.
* :mod:`paperlib.experiments.fanout` - train them: one, a submitit job array, or N local processes.
* :mod:`paperlib.experiments.plan` - FLOPs per step and the estimated hours of each training.
* :func:`paperlib.reproduce.train_ahead` - train them side by side before the notebooks run
  (``paperlib reproduce --train-jobs N``).
"""

from __future__ import annotations

from .fanout import Training, distinct

#: Profiles whose trainings are the notebooks' (Table 1, the IDMAN ablations and comparison) and those of the
#: budget studies (DRIDSR's budget study and path ablation, the 30% study).
NOTEBOOK_PROFILES = ("smoke", "quick", "paper")
BUDGET_PROFILES = ("budget", "budget30")


def _notebook_trainings(profile: str, device: str) -> list[Training]:
    from .dridsr.tables import table1_configs
    from .idman.ablations import study_configs
    from .idman.compare import compare_configs

    out = [
        Training("dridsr.table1", f"{m} x{s} seed {t}", cfg)
        for (m, s, t), cfg in table1_configs(profile, device=device).items()
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
    return distinct(items)
