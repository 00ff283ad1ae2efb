"""``paperlib data check``: verify a data root against the committed manifests.

A manifest (``paperlib/data/manifests/<dataset>.csv``: relative path, size, sha256 of every file,
made once from the complete copies on the development machines with :func:`make_manifest`)
lists what the dataset folder must hold.  :func:`check_dataset` names the *missing* files, the
*corrupt* ones (size, or with a full check sha256, differs) and the *extra* ones (reported,
accepted: a full original download holds more than the development samples), and the report
says which paper tables can be made from what is present.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass, field
from pathlib import Path

from ..hashing import sha256_file
from .registry import DATASETS, Dataset, get_dataset

MANIFEST_DIR = Path(__file__).resolve().parent / "manifests"
LIST_AT_MOST = 20  # file names listed per category in the report


@dataclass(frozen=True)
class Entry:
    """One manifest row."""

    path: str  # relative to the dataset folder, '/' separated
    size: int
    sha256: str


@dataclass
class CheckResult:
    """What :func:`check_dataset` found for one dataset."""

    dataset: Dataset
    folder: Path
    quick: bool
    expected: int = 0
    expected_bytes: int = 0
    present: bool = False
    missing: list[str] = field(default_factory=list)
    corrupt: list[tuple[str, str]] = field(default_factory=list)  # (path, why)
    extra: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.present and not self.missing and not self.corrupt


def manifest_path(name: str) -> Path:
    return MANIFEST_DIR / f"{get_dataset(name).name}.csv"


def read_manifest(name: str) -> dict[str, Entry]:
    """``{relative path: Entry}`` of dataset ``name``'s committed manifest."""
    with open(manifest_path(name), newline="", encoding="utf-8") as f:
        return {r["path"]: Entry(r["path"], int(r["size"]), r["sha256"]) for r in csv.DictReader(f)}


def scan(folder: Path) -> dict[str, int]:
    """``{relative '/'-separated path: size}`` of every file under ``folder``."""
    found = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames.sort()
        for fn in sorted(filenames):
            p = Path(dirpath) / fn
            if p.is_file():
                found[p.relative_to(folder).as_posix()] = p.stat().st_size
    return found


def make_manifest(name: str, root: str | os.PathLike | None = None) -> Path:
    """Write ``manifests/<name>.csv`` from the (complete) copy under the data root; returns its path."""
    from ..config import data_root

    ds = get_dataset(name)
    folder = data_root(root) / ds.folder
    rows = [(rel, size, sha256_file(folder / rel)) for rel, size in scan(folder).items()]
    out = manifest_path(ds.name)
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["path", "size", "sha256"])
        w.writerows(rows)
    return out


def check_dataset(
    name: str, root: str | os.PathLike | None = None, quick: bool = False, progress: bool = False
) -> CheckResult:
    """Compare dataset ``name`` under the data root with its manifest (``quick``: sizes only)."""
    from ..config import data_root

    ds = get_dataset(name)
    manifest = read_manifest(ds.name)
    res = CheckResult(
        ds,
        data_root(root) / ds.folder,
        quick,
        expected=len(manifest),
        expected_bytes=sum(e.size for e in manifest.values()),
    )
    res.present = res.folder.is_dir()
    found = scan(res.folder) if res.present else {}
    res.missing = [p for p in manifest if p not in found]
    res.extra = [p for p in found if p not in manifest]
    same_size = []
    for p, e in manifest.items():
        if p in found and found[p] != e.size:
            res.corrupt.append((p, f"size {found[p]}, expected {e.size}"))
        elif p in found:
            same_size.append(e)
    if not quick and same_size:
        from tqdm.auto import tqdm

        with tqdm(
            total=sum(e.size for e in same_size),
            unit="B",
            unit_scale=True,
            leave=False,
            desc=f"sha256 {ds.name}",
            disable=not progress,
        ) as bar:
            res.corrupt += [
                (e.path, "sha256 differs") for e in same_size if sha256_file(res.folder / e.path, bar) != e.sha256
            ]
    res.corrupt.sort()
    return res


def check(
    names=None, root: str | os.PathLike | None = None, quick: bool = False, progress: bool = False
) -> list[CheckResult]:
    """:func:`check_dataset` for each of ``names`` (default: every dataset in the registry)."""
    datasets = [get_dataset(n) for n in names] if names else list(DATASETS.values())
    return [check_dataset(d.name, root, quick, progress) for d in datasets]


def _listing(kind: str, items: list[str]) -> list[str]:
    lines = [f"    {kind:8s} {it}" for it in items[:LIST_AT_MOST]]
    if len(items) > LIST_AT_MOST:
        lines.append(f"    {kind:8s} ... and {len(items) - LIST_AT_MOST} more")
    return lines


def _describe(r: CheckResult) -> list[str]:
    ds = r.dataset
    size = f"{r.expected} file{'s' if r.expected != 1 else ''}, " + (
        f"{r.expected_bytes / 1e6:.1f} MB" if r.expected_bytes >= 1e5 else f"{r.expected_bytes / 1e3:.1f} kB"
    )
    if not r.present:
        hint = f"paperlib data download {ds.name}" if ds.url else ds.obtain
        return [
            f"{ds.name:22s} MISSING     not found at {r.folder} ({size} expected)",
            f"    get it   {hint}",
            f"    layout   {ds.layout}",
        ]
    if r.ok:
        how = "sizes match (--quick, hashes not read)" if r.quick else "sizes and sha256 match"
        extra = f"; {len(r.extra)} extra file(s) not in the manifest (accepted)" if r.extra else ""
        return [f"{ds.name:22s} complete    {size}, {how}{extra}"] + _listing("extra", r.extra)
    counts = f"{len(r.missing)} missing, {len(r.corrupt)} corrupt, {len(r.extra)} extra"
    return (
        [f"{ds.name:22s} INCOMPLETE  {counts} (of {size}) in {r.folder}"]
        + _listing("missing", r.missing)
        + _listing("corrupt", [f"{p} ({why})" for p, why in r.corrupt])
        + _listing("extra", r.extra)
    )


def tables(results: list[CheckResult]) -> tuple[list[str], list[str]]:
    """(tables that can be made, tables that cannot: each with the dataset it lacks)."""
    can = [t for r in results if r.ok for t in r.dataset.tables]
    cannot = [f"{t} (needs {r.dataset.name})" for r in results if not r.ok for t in r.dataset.tables]
    return can, cannot


def report(results: list[CheckResult], root: str | os.PathLike | None = None) -> str:
    """The text ``paperlib data check`` prints."""
    from ..config import data_root

    lines = [f"data root: {data_root(root)}"]
    for r in results:
        lines += _describe(r)
    can, cannot = tables(results)
    lines.append("can be made: " + ("; ".join(can) if can else "nothing"))
    if cannot:
        lines.append("cannot be made: " + "; ".join(cannot))
    return "\n".join(lines)
