"""Saving tables and figures with their provenance.

Everything lands in ``figures/<paper>/<profile>/``: a table as ``<name>.csv`` and
``<name>.md``, a figure as ``<name>.png`` and ``<name>.pdf``, each with a
``<name>.json`` sidecar (profile, data, seed, protocol, hardware, git commit, time).
A table made under a profile that is not meaningful (``smoke``) says so in its Markdown.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

from .config import figures_root
from .runtime import git_commit, hardware_info


def output_dir(paper: str, profile: str, root=None) -> Path:
    d = figures_root(root) / paper / profile
    d.mkdir(parents=True, exist_ok=True)
    return d


def _sidecar(path: Path, meta: dict, device="cpu") -> None:
    from .profiles import get_profile

    prof = meta.get("profile")
    info = {"made": time.strftime("%Y-%m-%dT%H:%M:%S"), "git_commit": git_commit(), "hardware": hardware_info(device)}
    if isinstance(prof, str):
        info["profile_settings"] = get_profile(prof).as_dict()
    path.with_suffix(".json").write_text(json.dumps(meta | info, indent=2, default=str))


def save_table(df, name: str, paper: str, profile: str, meta: dict | None = None, root=None, floatfmt=".4f",
               caption: str = "") -> Path:
    """Write ``df`` as CSV + Markdown (+ JSON provenance); returns the Markdown path."""
    from .profiles import get_profile

    d = output_dir(paper, profile, root)
    df.to_csv(d / f"{name}.csv", index=False)
    note = "" if get_profile(profile).meaningful else (
        f"> **{profile} profile: these numbers exercise the code path only and mean nothing.**\n\n")
    cap = f"{caption}\n\n" if caption else ""
    (d / f"{name}.md").write_text(note + cap + df.to_markdown(index=False, floatfmt=floatfmt) + "\n")
    _sidecar(d / f"{name}.json", (meta or {}) | {"profile": profile, "table": name})
    return d / f"{name}.md"


def save_figure(fig, name: str, paper: str, profile: str, meta: dict | None = None, root=None, dpi=150) -> Path:
    """Write a matplotlib figure as PNG + PDF (+ JSON provenance); returns the PNG path."""
    d = output_dir(paper, profile, root)
    fig.savefig(d / f"{name}.png", dpi=dpi, bbox_inches="tight")
    fig.savefig(d / f"{name}.pdf", bbox_inches="tight")
    _sidecar(d / f"{name}.json", (meta or {}) | {"profile": profile, "figure": name})
    return d / f"{name}.png"
