"""``python -m paperlib.pretrained build [--iterations N] [--only NAME ...] | list``.

``build`` trains, evaluates and writes the shipped checkpoints (:func:`paperlib.pretrained.build.build`);
``list`` prints what ships (the same table as ``paperlib models --pretrained``).
"""

from __future__ import annotations

import argparse
import sys


def build_parser() -> argparse.ArgumentParser:
    from . import SPECS, WEIGHTS_DIR

    ap = argparse.ArgumentParser(
        prog="python -m paperlib.pretrained", description=__doc__.split("\n")[0], allow_abbrev=False
    )
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser(
        "build", help="train, evaluate and write the shipped checkpoints and their cards", allow_abbrev=False
    )
    b.add_argument(
        "--only", nargs="+", metavar="NAME", default=None, help=f"entries to build (default all: {', '.join(SPECS)})"
    )
    b.add_argument(
        "--iterations",
        type=int,
        default=None,
        help="training iterations of every entry built (default: each entry's own, "
        + ", ".join(f"{n} {s.iterations}" for n, s in SPECS.items())
        + ")",
    )
    b.add_argument("--out", default=None, help=f"where weights and cards go (default: the package, {WEIGHTS_DIR})")
    b.add_argument("--runs", default=None, help="run directory root (default: $PAPERLIB_RUNS or ./runs)")
    b.add_argument("--data-root", default=None, help="data root (default: $PAPERLIB_DATA or ../shared/data)")
    b.add_argument("--device", default="cpu")
    b.add_argument("--eval-limit", type=int, default=None, help="at most this many images per test set")
    b.add_argument("--quiet", action="store_true", help="no progress bars")
    sub.add_parser("list", help="what ships", allow_abbrev=False)
    d = sub.add_parser(
        "domain",
        help="add to the HU cards what their training slices' DICOM headers say (modality, body part, spacing)",
        allow_abbrev=False,
    )
    d.add_argument("--only", nargs="+", metavar="NAME", default=None, help="cards to update (default: every HU card)")
    d.add_argument("--data-root", default=None, help="data root (default: $PAPERLIB_DATA or ../shared/data)")
    return ap


def main(argv=None) -> int:
    from ..errors import PaperlibError

    args = build_parser().parse_args(argv)
    try:
        if args.cmd == "list":
            from . import pretrained_table

            print(pretrained_table().to_string(index=False))
            return 0
        if args.cmd == "domain":
            from .domain import update_cards

            update_cards(args.only, args.data_root)
            return 0
        from .build import build

        build(
            args.only,
            args.iterations,
            args.out,
            runs=args.runs,
            data_root=args.data_root,
            device=args.device,
            progress=not args.quiet,
            eval_limit=args.eval_limit,
        )
        return 0
    except (PaperlibError, FileNotFoundError) as e:
        print(f"paperlib: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
