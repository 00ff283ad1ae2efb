"""``paperlib data download``: fetch a dataset with a public direct source into the data root.

The file is fetched with pooch into a download cache (``$PAPERLIB_DOWNLOAD_CACHE``, default
pooch's user cache ``paperlib``): an interrupted download keeps its ``.part`` file and the next
call resumes it with an HTTP Range request; a finished download is reused.  A pinned
``known_hash`` is checked by pooch; an unpinned source (COVID-CT: a moving GitHub branch) is
verified file by file afterwards against the committed manifest by :mod:`paperlib.data.check`.
An archive is unpacked into the dataset's original layout (inner ``*.zip`` files unzipped in
place, each manifest file found by its path or, failing that, its file name), then checked.

``$PAPERLIB_DOWNLOAD_BASE`` (or ``url=``) replaces the source, e.g. a mirror or a local server:
the file is then fetched from ``<base>/<fname>``.  Datasets without a direct source raise
:class:`NoDirectSource` carrying the instructions.
"""

from __future__ import annotations

import os
import shutil
import zipfile
from pathlib import Path

from ..errors import DataError, PaperlibError
from .registry import Dataset, get_dataset


class NoDirectSource(PaperlibError):
    """The dataset has no public direct download; the message says how to obtain it."""


class ResumableDownloader:
    """A pooch downloader that resumes ``<cache>/<fname>.part`` with an HTTP Range request."""

    def __init__(self, part: Path, progress: bool = True, timeout: float = 60.0):
        self.part, self.progress, self.timeout = Path(part), progress, timeout

    def __call__(self, url, output_file, pooch=None, check_only=False):
        import requests
        from tqdm.auto import tqdm

        have = self.part.stat().st_size if self.part.exists() else 0
        headers = {"Accept-Encoding": "identity", **({"Range": f"bytes={have}-"} if have else {})}
        with requests.get(url, headers=headers, stream=True, timeout=self.timeout) as r:
            if r.status_code == 416:  # nothing left to send: the part is stale, start again
                self.part.unlink()
                return self(url, output_file, pooch)
            r.raise_for_status()
            if r.status_code != 206:  # the server ignored the range: start from zero
                have = 0
            total = have + int(r.headers.get("content-length", 0)) or None
            with (
                open(self.part, "ab" if have else "wb") as f,
                tqdm(
                    total=total,
                    initial=have,
                    unit="B",
                    unit_scale=True,
                    desc=self.part.name[:-5],
                    disable=not self.progress,
                ) as bar,
            ):
                for chunk in r.iter_content(chunk_size=1 << 16):
                    f.write(chunk)
                    bar.update(len(chunk))
        shutil.move(str(self.part), str(output_file))


def download_cache(path: str | os.PathLike | None = None) -> Path:
    """Where downloaded files are kept: ``path``, ``$PAPERLIB_DOWNLOAD_CACHE`` or pooch's user cache."""
    if path is None and os.environ.get("PAPERLIB_DOWNLOAD_CACHE"):
        path = os.environ["PAPERLIB_DOWNLOAD_CACHE"]
    if path is None:
        import pooch

        path = pooch.os_cache("paperlib")
    return Path(path).expanduser().resolve()


def source_url(ds: Dataset, url: str | None = None) -> str:
    """The URL fetched for ``ds``: ``url``, ``$PAPERLIB_DOWNLOAD_BASE/<fname>`` or the registry's."""
    if url:
        return url
    base = os.environ.get("PAPERLIB_DOWNLOAD_BASE")
    return f"{base.rstrip('/')}/{ds.fname}" if base else ds.url


def fetch(
    name: str, url: str | None = None, cache_dir=None, known_hash: str | None = None, progress: bool = True
) -> Path:
    """Download dataset ``name``'s file into the cache (resumed, reused, hash-checked); its path."""
    import pooch
    import requests

    ds = get_dataset(name)
    if not ds.url:
        raise NoDirectSource(
            f"{ds.name} has no public direct source: {ds.obtain}. Keep this layout under the data root: {ds.layout}"
        )
    cache, src = download_cache(cache_dir), source_url(ds, url)
    cache.mkdir(parents=True, exist_ok=True)
    pooch.get_logger().setLevel("WARNING")
    try:
        return Path(
            pooch.retrieve(
                src,
                known_hash=known_hash or ds.known_hash,
                fname=ds.fname,
                path=cache,
                downloader=ResumableDownloader(cache / f"{ds.fname}.part", progress),
            )
        )
    except ValueError as e:  # pooch: hash mismatch
        raise DataError(f"{ds.name}: the file downloaded from {src} is not the expected one ({e})") from None
    except requests.RequestException as e:
        raise DataError(
            f"{ds.name}: download from {src} failed ({e}); run the command again to resume "
            f"(partial file kept in {cache})"
        ) from None


def _expand_inner_zips(staging: Path) -> None:
    """Unzip every ``*.zip`` inside the unpacked archive next to itself (COVID-CT's Images-processed)."""
    for inner in sorted(staging.rglob("*.zip")):
        with zipfile.ZipFile(inner) as z:
            z.extractall(inner.parent)
        inner.unlink()


def _locate(rel: str, by_name: dict[str, list[Path]], staging: Path) -> Path | None:
    """The unpacked file for manifest path ``rel``: same relative path below one top folder, else the one
    file of that name (the one whose path shares the longest tail with ``rel`` when several)."""
    cands = by_name.get(rel.rsplit("/", 1)[-1], [])
    exact = [
        c
        for c in cands
        if c.relative_to(staging).as_posix().endswith("/" + rel) or c.relative_to(staging).as_posix() == rel
    ]
    if exact:
        return exact[0]
    if len(cands) == 1:
        return cands[0]
    return None


def unpack(archive: Path, name: str, root: str | os.PathLike | None = None) -> list[str]:
    """Unpack ``archive`` into dataset ``name``'s folder in its manifest layout; paths not found in it."""
    from ..config import data_root
    from .check import read_manifest

    ds = get_dataset(name)
    folder = data_root(root) / ds.folder
    folder.mkdir(parents=True, exist_ok=True)
    manifest = read_manifest(ds.name)
    if ds.archive == "file":
        shutil.copyfile(archive, folder / ds.target)
        return []
    staging = folder.parent / f".{ds.folder}.unpack"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        with zipfile.ZipFile(archive) as z:
            z.extractall(staging)  # zipfile drops absolute paths and '..' from member names
        _expand_inner_zips(staging)
        by_name: dict[str, list[Path]] = {}
        for p in sorted(staging.rglob("*")):
            if p.is_file() and "__MACOSX" not in p.parts:
                by_name.setdefault(p.name, []).append(p)
        not_found = []
        for rel in manifest:
            src = _locate(rel, by_name, staging)
            if src is None:
                not_found.append(rel)
                continue
            (folder / rel).parent.mkdir(parents=True, exist_ok=True)
            os.replace(src, folder / rel)
        return not_found
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def download(
    name: str,
    root: str | os.PathLike | None = None,
    url: str | None = None,
    cache_dir=None,
    known_hash: str | None = None,
    progress: bool = True,
) -> Path:
    """Fetch dataset ``name`` (see :func:`fetch`) and unpack it under the data root; the dataset folder."""
    from ..config import data_root

    archive = fetch(name, url=url, cache_dir=cache_dir, known_hash=known_hash, progress=progress)
    unpack(archive, name, root)
    return data_root(root) / get_dataset(name).folder
