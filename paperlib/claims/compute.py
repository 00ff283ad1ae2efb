"""What the ledger's experiments cost: training hours per experiment, read from what the runs saved.

Every number comes from a run's own record (``train_seconds`` in its manifest, or the study's total in its
provenance sidecar), never from an estimate; the hardware column names what measured it, so hours from
different machines are not mistaken for one another. Evaluation time is not counted (it is small beside
training, and not recorded per run).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from ..results import figures_root

__all__ = ["SOURCES", "compute_spent"]


def _manifest_runs(folder: Path) -> list[dict]:
    """``{train_seconds, hardware}`` of every run manifest saved in ``folder``."""
    out = []
    for f in sorted(folder.glob("*.json")):
        m = json.loads(f.read_text())
        out.append({"train_seconds": m.get("train_seconds"), "hardware": _hw(m.get("hardware"))})
    return out


def _hw(h) -> str:
    if not h:
        return "?"
    if isinstance(h, str):
        return h
    return h.get("gpu") or h.get("cpu") or h.get("device") or "?"


def _sidecar_runs(path: Path) -> list[dict]:
    """Runs listed in a saved table's sidecar (``runs``: ``{key: {train_seconds, hardware | cpu/gpu}}``)."""
    meta = json.loads(path.read_text())
    runs = meta.get("runs") or {}
    return [
        {"train_seconds": r.get("train_seconds"), "hardware": _hw(r.get("hardware") or r)}
        for r in (runs.values() if isinstance(runs, dict) else runs)
    ]


def _table_runs(path: Path) -> list[dict]:
    """Runs of a saved ``training_runs`` table (one row per run, ``train_seconds``), hardware from its sidecar."""
    meta = json.loads(path.with_suffix(".json").read_text())
    df = pd.read_csv(path)
    return [{"train_seconds": s, "hardware": _hw(meta.get("hardware"))} for s in df["train_seconds"]]


#: experiment -> (where its record is, relative to ``figures/``, how to read it)
SOURCES = {
    "DRIDSR Table 1 (quick)": ("dridsr/quick/training_runs.csv", _table_runs),
    "DRIDSR budget study": ("dridsr/budget/manifests", _manifest_runs),
    "DRIDSR path ablation": ("dridsr/budget/path_ablation_per_image.json", _sidecar_runs),
    # its reference runs have the path ablation's keys; trained once for both, their hours would show in both rows
    "DRIDSR size family": ("dridsr/budget/size_family_per_image.json", _sidecar_runs),
    "DRIDSR budget30 study": ("dridsr/budget30/manifests", _manifest_runs),
    "IDMAN ablations (quick)": ("idman/quick/ablation_provenance.json", _sidecar_runs),
    "IDMAN comparison (quick)": ("idman/quick/comparison_provenance.json", _sidecar_runs),
    "IDMAN ablation twins (quick)": ("idman/quick/capacity_twins_per_image.json", _sidecar_runs),
    "IDMAN comparison twins (quick)": ("idman/quick/capacity_comparison_twins_per_image.json", _sidecar_runs),
}


def compute_spent(root=None) -> pd.DataFrame:
    """One row per experiment: runs, training hours (where every run recorded them) and the hardware.

    ``hours`` is NaN when some run of the experiment did not record its training time (``runs_timed`` says
    how many did); an experiment whose record is absent is left out.
    """
    rows = []
    for name, (rel, read) in SOURCES.items():
        path = figures_root(root) / rel
        if not path.exists():
            continue
        runs = read(path)
        timed = [r["train_seconds"] for r in runs if r["train_seconds"] is not None]
        rows.append(
            {
                "experiment": name,
                "runs": len(runs),
                "runs_timed": len(timed),
                "training_hours": sum(timed) / 3600 if timed else float("nan"),
                "hardware": ", ".join(sorted({r["hardware"] for r in runs})),
                "source": f"figures/{rel}",
            }
        )
    return pd.DataFrame(rows)
