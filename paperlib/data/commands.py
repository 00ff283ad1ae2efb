"""The ``paperlib data check`` and ``paperlib data download`` sub-commands (parsers and handlers)."""

from __future__ import annotations

from .registry import DATASETS

_NAMES = ", ".join(DATASETS)

CHECK_DESCRIPTION = f"""\
Verify the data root against the committed manifests (relative path, size and sha256 of every file,
paperlib/data/manifests/<dataset>.csv): names missing files, corrupt files (size or sha256 differs) and
extra files (reported, accepted), then says which paper tables can be made from what is present.
Datasets: {_NAMES} (default: all). Exit status: 0 when every dataset checked is complete, 1 when a
file is missing or corrupt (or a dataset folder is absent), 2 on an error such as an unknown dataset."""

DOWNLOAD_DESCRIPTION = """\
Download a dataset that has a public direct source (covid-ct: the UCSD-AI4H GitHub archive, unpinned,
so its files are verified against the committed manifest; iqa: the NIQE model, sha256-pinned) with
pooch into a download cache ($PAPERLIB_DOWNLOAD_CACHE; interrupted downloads resume, finished ones are
reused), unpack it under the data root in the original layout, then run `data check NAME`.
$PAPERLIB_DOWNLOAD_BASE (or --url) fetches from a mirror instead. For the other datasets it prints
how to obtain them and the layout to keep, and exits 2. Exit status: 0 when the check passes, 1 when
files are missing or corrupt after the download, 2 on an error."""


def add_parsers(dsub) -> None:
    """Add ``check`` and ``download`` to the ``paperlib data`` sub-parsers."""
    q = dsub.add_parser(
        "check",
        help="verify the data root against the committed manifests (exit 1 if not)",
        description=CHECK_DESCRIPTION,
        allow_abbrev=False,
    )
    q.add_argument("name", nargs="?", default=None, help=f"dataset ({_NAMES}); default: all")
    q.add_argument("--quick", action="store_true", help="check file sizes only (no sha256)")
    q.add_argument("--data-root", default=None, help="data root (default: $PAPERLIB_DATA or ../shared/data)")
    q.add_argument("--quiet", action="store_true", help="no progress bars")
    q = dsub.add_parser(
        "download",
        help="download a dataset with a public source, unpack it, check it",
        description=DOWNLOAD_DESCRIPTION,
        allow_abbrev=False,
    )
    q.add_argument("name", help=f"dataset ({_NAMES})")
    q.add_argument("--url", default=None, help="fetch from this URL instead of the registry's")
    q.add_argument("--force", action="store_true", help="download and unpack even if the check already passes")
    q.add_argument(
        "--cache-dir",
        default=None,
        help="download cache (default: $PAPERLIB_DOWNLOAD_CACHE or the user cache folder 'paperlib')",
    )
    q.add_argument("--data-root", default=None, help="data root (default: $PAPERLIB_DATA or ../shared/data)")
    q.add_argument("--quiet", action="store_true", help="no progress bars")


def run(args) -> int:
    """Handle ``data check`` / ``data download``; the exit status."""
    if args.data_cmd == "check":
        return _check(args.name, args.data_root, args.quick, not args.quiet)
    if args.data_cmd == "download":
        return _download(args)
    raise AssertionError(args.data_cmd)


def _check(name, root, quick, progress) -> int:
    from .check import check, report

    results = check([name] if name else None, root=root, quick=quick, progress=progress)
    print(report(results, root))
    return 0 if all(r.ok for r in results) else 1


def _download(args) -> int:
    from ..errors import DataError
    from ..hashing import sha256_file
    from .check import check_dataset
    from .download import download_cache, fetch, source_url, unpack
    from .registry import get_dataset

    ds = get_dataset(args.name)
    if not ds.url:
        print(
            f"{ds.name}: no public direct source to download from.\n  obtain: {ds.obtain}\n"
            f"  layout to keep under the data root: {ds.layout}\n  then run: paperlib data check {ds.name}"
        )
        return 2
    if not args.force and check_dataset(ds.name, args.data_root, progress=not args.quiet).ok:
        print(f"{ds.name}: already complete under the data root (checked; --force downloads again)")
        return 0
    print(f"{ds.name}: fetching {source_url(ds, args.url)} into {download_cache(args.cache_dir)}")
    try:
        archive = fetch(ds.name, url=args.url, cache_dir=args.cache_dir, progress=not args.quiet)
        pinned = "pinned, verified" if ds.known_hash else "unpinned source: files verified by the manifest below"
        print(f"{archive.name}: sha256 {sha256_file(archive)} ({pinned})")
        unpack(archive, ds.name, args.data_root)
    except OSError as e:  # an unwritable data root or cache, a full disk...
        raise DataError(f"{ds.name}: {e}") from None
    return _check(ds.name, args.data_root, False, not args.quiet)
