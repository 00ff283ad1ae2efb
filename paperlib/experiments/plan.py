"""The cost plan of a profile: every training, its FLOPs per step, and the hours it would take.

``paperlib reproduce --profile paper --plan`` prints it. Nothing is trained or timed here: the hours
are FLOPs divided by a throughput, and both throughputs come from committed measurements:

* **GPU** (:func:`gpu_utilisation`): the only trainings this project ran on a lent GPU, the quick IDMAN
  comparison on an H200 (``figures/idman/quick/device_trainings.json``: 78 trainings, 8 and 16 at a
  time). Their FLOPs over the calls' wall time, divided by the bf16 dense peak, is the model FLOPs
  utilisation (MFU) assumed for every training. Those models are the reduced ones (32 features); the
  papers' sizes fill the GPU better, so the hours are an upper estimate at that MFU.
* **CPU** (:func:`cpu_flops_per_second`): DRIDSR's measured seconds per step under the ``budget``
  profile (the committed run manifests), with the CPU that measured them named.

FLOPs per step are counted by :func:`paperlib.flops.model_train_step_flops` (forward + backward at the
run's LR patch and batch; elementwise work counts 0, so the CPU hours of the models dominated by
elementwise work are optimistic).
"""

from __future__ import annotations

import functools
import json

import pandas as pd

from ..config import REPO_ROOT
from .fanout import Training
from .trainings import profile_trainings

#: NVIDIA's H100 SXM datasheet: 989 TFLOPS bf16 dense (1,979 with sparsity). The H200 has the same compute.
H100_BF16_DENSE_FLOPS = 989e12
DEVICE_TRAININGS = REPO_ROOT / "figures" / "idman" / "quick" / "device_trainings.json"


@functools.lru_cache(maxsize=None)
def _model_cost(model: str, scale: int, lr_patch: int, batch: int, options_json: str) -> tuple[int, int]:
    from ..flops import model_train_step_flops

    return model_train_step_flops(model, scale, lr_patch, batch, **json.loads(options_json))


def model_cost(training: Training) -> tuple[int, int]:
    """``(forward + backward FLOPs of one step, parameters)`` of ``training`` (its model, options, LR patch and
    batch); computed once per distinct model and shape in a process."""
    cfg, plan = training.config, training.plan
    opts = json.dumps(dict(cfg.options), sort_keys=True)
    return _model_cost(cfg.model, cfg.scale, plan.hr_patch // cfg.scale, plan.batch_size, opts)


def step_flops(training: Training) -> int:
    """Forward + backward FLOPs of one step of ``training``."""
    return model_cost(training)[0]


def gpu_utilisation(path=DEVICE_TRAININGS) -> dict:
    """MFU of the committed GPU trainings: their FLOPs (steps x FLOPs per step, from the quick comparison's
    configs) over the calls' summed wall time, against the bf16 dense peak."""
    from .idman.compare import compare_configs

    d = json.loads(path.read_text())
    configs = compare_configs("quick")
    flops = 0
    for call in d["calls"]:
        for job in call["jobs"]:
            t = Training("idman.compare", job["run"], configs[(job["method"], job["scale"], job["seed"])])
            flops += step_flops(t) * t.steps
    wall = sum(c["wall_seconds"] for c in d["calls"])
    return {"mfu": flops / wall / H100_BF16_DENSE_FLOPS, "device": d["device"], "flops": flops, "wall_seconds": wall}


def cpu_flops_per_second(root=None) -> tuple[float, str]:
    """Achieved training FLOP/s on the CPU: DRIDSR x4's FLOPs per step under ``budget`` over its measured seconds
    per step (committed manifests), and the CPU that measured it."""
    from .dridsr.budget import seconds_per_step, study_configs

    measured = seconds_per_step("dridsr", root)
    if measured is None:
        raise FileNotFoundError("no committed DRIDSR budget manifest records train_seconds (figures/dridsr/budget)")
    (_, cfg), *_ = study_configs()
    return step_flops(Training("dridsr.budget", "dridsr", cfg)) / measured[0], measured[1]


def cost_table(profile: str, mfu: float | None = None, progress: bool = False) -> pd.DataFrame:
    """One row per training of ``profile``: study, run, parameters, steps, batch x HR patch, GFLOPs per step,
    PFLOPs in all, estimated H100 hours (at ``mfu``, default :func:`gpu_utilisation`) and CPU hours here."""
    from tqdm.auto import tqdm

    mfu = gpu_utilisation()["mfu"] if mfu is None else mfu
    cpu_rate, _ = cpu_flops_per_second()
    rows = []
    for t in tqdm(profile_trainings(profile), desc=f"plan {profile}", disable=not progress):
        (flops, params), steps = model_cost(t), t.steps
        rows.append(
            {
                "study": t.study,
                "training": t.label,
                "parameters": params,
                "steps": steps,
                "batch x HR patch": f"{t.plan.batch_size} x {t.plan.hr_patch}²",
                "GFLOPs/step": flops / 1e9,
                "PFLOPs": flops * steps / 1e15,
                "H100 hours": flops * steps / (H100_BF16_DENSE_FLOPS * mfu) / 3600,
                "CPU hours": flops * steps / cpu_rate / 3600,
                "profile": profile,
            }
        )
    return pd.DataFrame(rows)


def summary(table: pd.DataFrame) -> pd.DataFrame:
    """Totals per study and overall."""
    cols = ["steps", "PFLOPs", "H100 hours", "CPU hours"]
    per = table.groupby("study", sort=False)[cols].sum()
    per.insert(0, "trainings", table.groupby("study", sort=False).size())
    per.loc["all"] = [len(table), *table[cols].sum()]
    return per


def assumptions_text(mfu: float, gpu: dict, rate: float, cpu: str) -> str:
    """The sentence that says what the hours assume."""
    how = "measured" if mfu == gpu["mfu"] else "given"
    return (
        f"H100 hours = FLOPs / ({H100_BF16_DENSE_FLOPS / 1e12:,.0f} TFLOP/s bf16 dense x MFU {mfu:.2%}); the MFU is "
        f"{how} (the quick IDMAN comparison's trainings on {gpu['device']}: {gpu['mfu']:.2%} of peak over "
        f"{gpu['wall_seconds']:,.0f} s), an upper estimate for the papers' larger models. CPU hours at "
        f"{rate / 1e9:,.1f} GFLOP/s, DRIDSR's measured training rate on {cpu} (budget profile). One training at a "
        "time; the trainings are independent, so a cluster divides the wall time "
        "(`paperlib.experiments.fanout.fan_out`)."
    )


def print_plan(profile: str, mfu: float | None = None, save: bool = True) -> None:
    """Print the cost table of ``profile``, its totals and the assumptions behind the hours; with ``save``, also
    write them under ``figures/plan/<profile>/`` (``cost_plan`` and ``cost_totals``, with provenance)."""
    from ..results import save_table

    gpu = gpu_utilisation()
    mfu = gpu["mfu"] if mfu is None else mfu
    rate, cpu = cpu_flops_per_second()
    table = cost_table(profile, mfu, progress=True)
    totals = summary(table)
    note = assumptions_text(mfu, gpu, rate, cpu)
    with pd.option_context("display.width", 200, "display.max_rows", 500, "display.float_format", "{:,.3g}".format):
        print(table.drop(columns="profile").to_string(index=False))
        print(f"\nTotals, profile {profile}:\n{totals.to_string()}")
    print(f"\nAssumptions: {note}")
    if save:
        meta = {"assumptions": note, "mfu": mfu, "gpu_measurement": gpu, "cpu_flops_per_second": rate, "cpu": cpu}
        save_table(table, "cost_plan", "plan", profile, meta)
        print(save_table(totals.reset_index(), "cost_totals", "plan", profile, meta))
        if profile == "paper":
            from ..results import replace_readme_block

            if replace_readme_block("PLAN", readme_plan_section(profile)):
                print("README cost plan updated from figures/plan/paper/")


def readme_plan_section(profile: str = "paper", root=None) -> str:
    """The README's cost block: the totals of ``figures/plan/<profile>/cost_totals.csv`` and their assumptions."""
    import json

    from ..config import figures_root

    csv = figures_root(root) / "plan" / profile / "cost_totals.csv"
    if not csv.is_file():
        return f"Cost plan: not made yet (`paperlib reproduce --profile {profile} --plan`)."
    t, meta = pd.read_csv(csv), json.loads(csv.with_suffix(".json").read_text())
    t = t.rename(columns={"study": "trainings of"})
    rel = f"figures/plan/{profile}/cost_plan.csv"
    return (
        f"Every training of `PROFILE={profile}`, its FLOPs and estimated hours "
        f"(`paperlib reproduce --profile {profile} --plan`; per training: [`{rel}`]({rel}); "
        f"commit {meta.get('git_commit', '?')[:10]}):\n\n"
        + t.to_markdown(index=False, floatfmt=",.3g")
        + f"\n\n{meta['assumptions']}"
    )
