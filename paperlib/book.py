"""Publish executed notebooks into the book (``book/executed/<profile>/<paper>/<notebook>.ipynb``).

``make reproduce`` leaves papermill's executed copies in ``runs/executed/<profile>/`` (not committed).
The book (``make book``, Jupyter Book 1.x, ``execute_notebooks: off``) renders only what is committed
under ``book/executed/``: :func:`publish` copies an executed copy there byte for byte after checking
that papermill finished every cell, that it ran under the profile of the folder, that it was made from
the notebook as it is now, and that it is not too large to commit. A notebook with no executed copy
yet gets a *placeholder*: its source without outputs, with a banner saying the outputs are pending.
A published copy whose notebook has changed since it ran is kept, with a banner saying so (:func:`mark_stale`):
its outputs are what an earlier version made, and the reader should know before reading a verdict in them.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from .config import REPO_ROOT, runs_root
from .reproduce import NOTEBOOK_DIR, PROFILE_ONLY

BOOK_DIR = REPO_ROOT / "book"
#: The profile the book shows; a notebook that only a special profile makes (the budget study) is
#: shown from that profile.
BOOK_PROFILE = "quick"
#: An executed copy larger than this is refused (figures are embedded as base64 PNG).
MAX_NOTEBOOK_BYTES = 5_000_000
PENDING_KEY = "paperlib_book"
#: Tag of the banner :func:`mark_stale` puts on a published copy made by an earlier version of its notebook.
STALE_TAG = "stale-banner"


def book_profile(nb: str) -> str:
    """The profile whose executed copy of ``nb`` (``"dridsr/03_table1_quality.ipynb"``) the book shows."""
    return next((p for p, nbs in PROFILE_ONLY.items() if nb in nbs), BOOK_PROFILE)


def book_path(nb: str, book_dir=None, profile: str | None = None) -> Path:
    """Where the book keeps ``nb``: ``book/executed/<profile>/<paper>/<name>.ipynb``."""
    return Path(book_dir or BOOK_DIR) / "executed" / (profile or book_profile(nb)) / nb


def _cells(nb_json: dict) -> list[tuple[str, str]]:
    """(type, source) of every cell but papermill's injected parameters and the book's stale banner."""
    out = []
    for c in nb_json["cells"]:
        if {"injected-parameters", STALE_TAG} & set(c.get("metadata", {}).get("tags", [])):
            continue
        src = c["source"] if isinstance(c["source"], str) else "".join(c["source"])
        out.append((c["cell_type"], src.rstrip()))
    return out


def check_executed(path: Path, nb: str, profile: str, source: Path | None = None) -> str | None:
    """Why the executed copy at ``path`` cannot be published (``None``: it can)."""
    size = path.stat().st_size
    if size > MAX_NOTEBOOK_BYTES:
        return f"{size / 1e6:.1f} MB, over the {MAX_NOTEBOOK_BYTES / 1e6:.0f} MB limit (make its figures smaller)"
    try:
        nb_json = json.loads(path.read_text())
    except (OSError, ValueError) as e:
        return f"not a readable notebook ({e})"
    pm = nb_json.get("metadata", {}).get("papermill")
    if not pm:
        return "not a papermill output (no metadata.papermill)"
    if not str(pm.get("input_path", "")).replace("\\", "/").endswith(nb):
        return f"executed from {pm.get('input_path')!r}, not {nb}"
    ran = pm.get("parameters", {}).get("profile")
    if ran != profile:
        return f"executed under profile {ran!r}, not {profile!r}"
    if pm.get("exception"):
        return "papermill recorded an exception (a cell failed)"
    for i, c in enumerate(nb_json["cells"]):
        status = c.get("metadata", {}).get("papermill", {}).get("status", "completed")
        if status != "completed":
            return f"incomplete: cell {i} is {status!r} (the run was interrupted)"
    if source is not None and _cells(nb_json) != _cells(json.loads(Path(source).read_text())):
        return f"stale: {Path(source).name} changed since it was executed (run it again)"
    return None


def placeholder(nb: str, profile: str, source: Path | None = None) -> dict:
    """The source notebook without outputs, with a banner saying its outputs are pending."""
    nb_json = json.loads(Path(source or NOTEBOOK_DIR / nb).read_text())
    for c in nb_json["cells"]:
        if c["cell_type"] == "code":
            c["outputs"], c["execution_count"] = [], None
    name = Path(nb).stem
    banner = (
        "```{warning}\n**Outputs pending.** This page shows the notebook's code without outputs: it has not "
        f"yet been executed at the `{profile}` profile in this repository. To make them:\n"
        f"`make reproduce PROFILE={profile} ONLY={name}`, then `paperlib publish --only {name}`.\n```"
    )
    _title_split(nb_json)  # banner under the title
    cells = nb_json["cells"]
    cells.insert(
        1, {"cell_type": "markdown", "id": "pending-banner", "metadata": {"tags": ["pending-banner"]}, "source": banner}
    )
    nb_json["metadata"][PENDING_KEY] = {"pending": True, "profile": profile, "notebook": nb}
    return nb_json


def _title_split(nb_json: dict) -> None:
    """Split a first markdown cell ``# Title\n\nrest`` in two, so that a banner can go under the title."""
    cells, first = nb_json["cells"], nb_json["cells"][0]
    title, _, rest = "".join(first["source"]).partition("\n")
    if first["cell_type"] == "markdown" and title.startswith("# ") and rest.strip():
        first["source"] = title
        cells.insert(1, dict(first, id=f"{first.get('id', 'title')}-rest", source=rest.lstrip("\n")))


def mark_stale(path: Path, nb: str, profile: str, source: Path) -> bool:
    """Keep the published copy at ``path`` honest about its age: when ``source`` has changed since the copy
    was executed, put a banner under its title saying that its outputs come from an earlier version of the
    notebook (when it ran, and how to refresh it); when it is current again, take the banner away. The
    outputs are never touched. Returns whether the copy is stale."""
    nb_json = json.loads(path.read_text())
    stale = _cells(nb_json) != _cells(json.loads(Path(source).read_text()))
    cells = nb_json["cells"]
    has = [i for i, c in enumerate(cells) if STALE_TAG in c.get("metadata", {}).get("tags", [])]
    if stale == bool(has):
        return stale
    if has:
        del cells[has[0]]
    else:
        ran = str(nb_json.get("metadata", {}).get("papermill", {}).get("start_time") or "an earlier date")[:10]
        name = Path(nb).stem
        banner = (
            "```{warning}\n**Made by an earlier version of this notebook.** The outputs on this page were "
            f"executed on {ran}; the notebook has changed since (its text, its code or both), so a table or "
            "verdict below may differ from what it makes now. The project's current tables are in "
            f"`figures/{Path(nb).parent.as_posix()}/{profile}/`. To refresh this page: "
            f"`make reproduce PROFILE={profile} ONLY={name}`, then `paperlib publish --only {name}`.\n```"
        )
        # after the first cell, left whole: splitting it would make the copy differ from its source for good
        cells.insert(
            1, {"cell_type": "markdown", "id": "stale-banner", "metadata": {"tags": [STALE_TAG]}, "source": banner}
        )
    tmp = path.with_suffix(".ipynb.tmp")  # written whole, then renamed: never a half-written page
    tmp.write_text(json.dumps(nb_json, indent=1, ensure_ascii=False) + "\n")
    tmp.replace(path)
    return stale


def is_pending(nb_json: dict) -> bool:
    return bool(nb_json.get("metadata", {}).get(PENDING_KEY, {}).get("pending"))


def publish_one(
    nb: str, executed_root=None, book_dir=None, profile: str | None = None, source: Path | None = None
) -> tuple[str, Path]:
    """Publish ``nb``; return (status, book path). Status: ``published``, ``pending`` (placeholder
    written), ``kept`` (nothing new; the book's copy stays) or ``refused: <why>`` (the book's copy, or a
    placeholder, stays). ``executed_root`` holds ``<profile>/<paper>/<notebook>.ipynb`` (``runs/executed``)."""
    profile = profile or book_profile(nb)
    source = Path(source or NOTEBOOK_DIR / nb)
    src = Path(executed_root or runs_root() / "executed") / profile / nb
    dst = book_path(nb, book_dir, profile)
    dst.parent.mkdir(parents=True, exist_ok=True)
    why = check_executed(src, nb, profile, source) if src.is_file() else None
    if src.is_file() and why is None:
        shutil.copyfile(src, dst)
        return "published", dst
    status = f"refused: {src}: {why}" if why else "pending"
    if dst.is_file() and not is_pending(json.loads(dst.read_text())):
        status = status if why else "kept"
        return (status + ", from an earlier version (banner)" if mark_stale(dst, nb, profile, source) else status), dst
    dst.write_text(json.dumps(placeholder(nb, profile, source), indent=1, ensure_ascii=False) + "\n")
    return status, dst


def publish(only: str = "all", executed_root=None, book_dir=None) -> int:
    """Publish every selected notebook (``only``: all, a paper or a substring); print one line each;
    return 1 when an executed copy was refused, else 0."""
    from .reproduce import _selected

    status = 0
    for nb in _selected(only):
        st, dst = publish_one(nb, executed_root=executed_root, book_dir=book_dir)
        rel = dst.relative_to(REPO_ROOT) if dst.is_relative_to(REPO_ROOT) else dst
        print(f"{nb:42s} {st}  {rel}")
        status |= st.startswith("refused")
    return status
