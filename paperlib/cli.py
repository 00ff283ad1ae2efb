"""Command line: ``paperlib train | eval | upscale | data prepare|check|download | reproduce | publish | models``.

Errors that paperlib raises on purpose (bad input, unknown names, corrupt checkpoints) are
printed as one line ``paperlib: error: ...`` with exit status 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def _add_common(p, seed_help="seed of the data split, model initialisation and batches"):
    p.add_argument("--data-root", default=None, help="data root (default: $PAPERLIB_DATA or ../shared/data)")
    p.add_argument("--runs", default=None, help="run directory root (default: $PAPERLIB_RUNS or ./runs)")
    p.add_argument("--device", default="cpu")
    p.add_argument("--seed", type=int, default=None, help=seed_help)
    p.add_argument("--quiet", action="store_true", help="no progress bars")


def _window(text):
    """``lung`` / ``ct12`` ... or ``WIDTH,LEVEL`` in HU."""
    if text is None or "," not in str(text):
        return text
    return tuple(float(v) for v in str(text).split(","))


def _trained_window(trained_on: dict):
    """The window a run was trained through (HU sources), so evaluation uses the same mapping."""
    w = (trained_on.get("intensity") or {}).get("window")
    return tuple(w) if w else "ct12"


def _parse_options(items):
    opts = {}
    for it in items or []:
        k, _, v = it.partition("=")
        try:
            opts[k] = json.loads(v)
        except json.JSONDecodeError:
            opts[k] = v
    return opts


UPSCALE_DESCRIPTION = """\
Super-resolve a PNG/JPG (-> PNG), one DICOM slice, or every DICOM series under a folder (any depth;
one derived-CT series written per input series). DICOM input policy, all checked before anything is
written (a refused input leaves no output): a .dcm file that is not readable DICOM (not DICOM,
truncated, undecodable) is an error naming it, exit status 2, unless --skip-invalid skips it with
one line on stderr; non-image objects (RTSTRUCT, SEG, RTPLAN, SR, PR..., or no PixelData) are skipped
with one line naming them; a series whose Modality is not CT is refused (exit 2) unless
--accept-modality MODALITY accepts it; existing output files are kept unless --overwrite."""


def build_parser() -> argparse.ArgumentParser:
    """The ``paperlib`` parser. Every parser and sub-parser has ``allow_abbrev=False``: a prefix of a long
    option (``--data-r``) is an error, never silently taken for another option (``--data-root``)."""
    ap = argparse.ArgumentParser(prog="paperlib", description=__doc__.split("\n")[0], allow_abbrev=False)
    sub = ap.add_subparsers(dest="cmd", required=True)
    _add_train_parser(sub)
    _add_eval_parser(sub)
    _add_upscale_parser(sub)
    _add_data_parser(sub)
    _add_study_parser(sub)
    p = sub.add_parser("reproduce", help="execute the notebooks headlessly with papermill", allow_abbrev=False)
    p.add_argument("--profile", default="smoke")
    p.add_argument("--only", default="all", help="all, dridsr, idman, or a notebook name")
    p.add_argument("--output-dir", default=None, help="where executed notebooks go (default runs/executed/<profile>)")
    p.add_argument("--device", default="cpu")
    p.add_argument(
        "--plan", action="store_true", help="print every training the profile needs and its estimated cost; run nothing"
    )
    p.add_argument("--mfu", type=float, default=None, help="with --plan: GPU utilisation to assume (default: measured)")
    p.add_argument(
        "--train-jobs",
        type=_at_least_one,
        default=None,
        metavar="N",
        help="first train the notebooks' runs in N local processes side by side (then the notebooks reuse them)",
    )
    p = sub.add_parser(
        "publish", help="copy executed notebooks (runs/executed/<profile>/) into book/executed/", allow_abbrev=False
    )
    p.add_argument("--only", default="all", help="all, dridsr, idman, or a notebook name")
    p = sub.add_parser("models", help="list registered models with parameter counts", allow_abbrev=False)
    p.add_argument(
        "--pretrained",
        action="store_true",
        help="list the pretrained weights shipped in the package instead (paperlib.pretrained)",
    )
    return ap


def _add_cache_flag(p) -> None:
    p.add_argument(
        "--allow-cache-from-other-root",
        dest="allow_other_root",
        action="store_true",
        help="use a prepared data cache made from another data root that is missing here or holds other "
        "files (refused by default; see paperlib.data.cache)",
    )


def _add_train_parser(sub) -> None:
    p = sub.add_parser("train", help="train (or resume) a model on COVID-CT or an HU data set", allow_abbrev=False)
    p.add_argument("model")
    p.add_argument("--data", default="covid-ct", help="data source: covid-ct or an HU set (tcga, covid19_ny_sbu, ...)")
    p.add_argument("--window", default="ct12", help="HU window for HU sources: a name (ct12, lung...) or WIDTH,LEVEL")
    p.add_argument("--scale", type=int, default=4)
    p.add_argument("--profile", default="quick")
    p.add_argument("--iterations", type=int, default=None, help="override the profile's iterations")
    p.add_argument("--option", action="append", metavar="KEY=VALUE", help="model option (JSON value)")
    p.add_argument("--restart", action="store_true", help="discard an unfinished checkpoint")
    _add_cache_flag(p)
    _add_common(p)


def _add_eval_parser(sub) -> None:
    p = sub.add_parser(
        "eval", help="evaluate a run on a data source's test images (per-image CSV + summary)", allow_abbrev=False
    )
    p.add_argument("run", help="run directory")
    p.add_argument("--data", default=None, help="data source (default: the one the run was trained on)")
    p.add_argument("--window", default=None, help="HU window (default: the one the run was trained through)")
    p.add_argument("--split", default="test")
    p.add_argument("--limit", type=int, default=None)
    p.add_argument("--out", default=None, help="CSV of per-image metrics (default: <run>/eval_<data>_<split>.csv)")
    p.add_argument("--no-niqe", action="store_true")
    _add_cache_flag(p)
    _add_common(p, seed_help="split seed (default: the run's)")


def _add_upscale_parser(sub) -> None:
    p = sub.add_parser(
        "upscale",
        help="super-resolve a PNG, a DICOM file or every CT series in a folder",
        description=UPSCALE_DESCRIPTION,
        allow_abbrev=False,
    )
    p.add_argument("input")
    p.add_argument("output")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--run", help="your trained run directory (or its weights.pt)")
    which.add_argument(
        "--model",
        help="shipped pretrained weights: a model name (dridsr: its HU weights for --scale) "
        "or a pretrained name (paperlib models --pretrained)",
    )
    p.add_argument(
        "--scale",
        type=int,
        default=None,
        help="check the run was trained for this scale; with --model, pick the weights for it",
    )
    p.add_argument(
        "--window",
        default=None,
        help="HU window name or WIDTH,LEVEL (default lung W1500/L-600; with --model, the window its "
        "weights were trained through, which is then the only one accepted)",
    )
    p.add_argument(
        "--batch",
        type=int,
        default=None,
        help="slices per batch (bounds memory; default paperlib.upscale.DEFAULT_BATCH, 2)",
    )
    p.add_argument("--overwrite", action="store_true")
    p.add_argument(
        "--fast",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="the fast path: channels_last + bf16 autocast where supported, output layer and HU arithmetic "
        "in fp32 (default; its HU match fp32 to under 1 HU per slice, see bench/README.md)",
    )
    p.add_argument("--fp32", dest="fast", action="store_false", help="force fp32 (same as --no-fast)")
    p.add_argument(
        "--skip-invalid",
        action="store_true",
        help="skip .dcm files that are not readable DICOM (one line each on stderr) instead of refusing "
        "the input with exit status 2",
    )
    p.add_argument(
        "--accept-modality",
        action="append",
        default=[],
        metavar="MODALITY",
        type=str.upper,
        help="also super-resolve series of this DICOM Modality (e.g. PT, MR); repeatable. Without it a "
        "non-CT series is refused: Hounsfield units are defined for CT only",
    )
    _add_common(p)


def _add_data_parser(sub) -> None:
    p = sub.add_parser("data", help="dataset utilities", allow_abbrev=False)
    dsub = p.add_subparsers(dest="data_cmd", required=True)
    q = dsub.add_parser("prepare", help="write the compact prepared COVID-CT cache", allow_abbrev=False)
    q.add_argument("--scheme", default="paper", choices=["paper", "official"])
    q.add_argument("--patch", type=int, default=192)
    q.add_argument("--force", action="store_true")
    _add_cache_flag(q)
    _add_common(q)
    from .data.commands import add_parsers  # data check | data download

    add_parsers(dsub)


#: ``paperlib study NAME [its options]``: the studies' own command lines, by name (``--help`` after the name).
STUDIES = {
    "budget": "paperlib.experiments.dridsr.budget",
    "edges": "paperlib.experiments.dridsr.edges",
    "path-ablation": "paperlib.experiments.dridsr.path_ablation",
    "idman-ablations": "paperlib.experiments.idman.ablations",
    "idman-compare": "paperlib.experiments.idman.compare",
    "bicubic-protocol": "paperlib.experiments.idman.bicubic_protocol",
    "capacity": "paperlib.experiments.idman.capacity",
    "rederive": "paperlib.experiments.rederive",
}


def _add_study_parser(sub) -> None:
    p = sub.add_parser(
        "study",
        help="run one study (long, resumable): " + ", ".join(STUDIES),
        description="Run a study's own command line; options after NAME go to it (`paperlib study NAME --help`).",
        allow_abbrev=False,
    )
    p.add_argument("name", choices=sorted(STUDIES))
    p.add_argument("study_args", nargs=argparse.REMAINDER, help="the study's own options")


def _cmd_study(args) -> int:
    import importlib

    return importlib.import_module(STUDIES[args.name]).main(args.study_args) or 0


def main(argv=None) -> int:
    from .errors import PaperlibError

    args = build_parser().parse_args(argv)
    try:
        return _dispatch(args)
    except (PaperlibError, FileNotFoundError) as e:
        print(f"paperlib: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("paperlib: interrupted (checkpoints already written are kept)", file=sys.stderr)
        return 130


def _dispatch(args) -> int:
    handlers = {
        "models": _cmd_models,
        "reproduce": _cmd_reproduce,
        "publish": _cmd_publish,
        "data": _cmd_data,
        "train": _cmd_train,
        "eval": _cmd_eval,
        "upscale": _cmd_upscale,
        "study": _cmd_study,
    }
    if args.cmd not in handlers:
        raise AssertionError(args.cmd)
    return handlers[args.cmd](args)


def _cmd_models(args) -> int:
    from . import models

    if args.pretrained:
        from .pretrained import BUILD_COMMAND, pretrained_table

        table = pretrained_table()
        print(table.to_string(index=False))
        if (table["status"] != "shipped").any():
            print(f"(entries 'not built' are made by `{BUILD_COMMAND}`)")
        return 0
    for name in models.list_models():
        m = models.create(name, scale=4)
        print(
            f"{name:16s} {models.count_parameters(m):>12,d} params  {models.count_layers(m):>4d} layers (x4, 1 channel)"
        )
    return 0


def _at_least_one(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of processes (1 or more)")
    return n


def _cmd_reproduce(args) -> int:
    from .reproduce import reproduce

    if args.plan:
        from .experiments.plan import print_plan

        print_plan(args.profile, args.mfu)
        return 0
    return reproduce(
        profile=args.profile,
        only=args.only,
        output_dir=args.output_dir,
        device=args.device,
        train_jobs=args.train_jobs,
    )


def _cmd_publish(args) -> int:
    from .book import publish

    return publish(only=args.only)


def _cmd_data(args) -> int:
    if args.data_cmd != "prepare":
        from .data.commands import run

        return run(args)
    from .data.covid_ct import load_prepared_covid_ct

    d = load_prepared_covid_ct(
        args.scheme,
        args.seed or 0,
        args.patch,
        root=args.data_root,
        progress=not args.quiet,
        allow_other_root=args.allow_other_root,
        force=args.force,
    )
    m = d.manifest
    print(
        f"{d.path}: {m['n_train_patches']} HR patches {args.patch}x{args.patch} from "
        f"{m['n_train_images'] - len(m['train_images_too_small'])} of {m['n_train_images']} training images "
        f"({len(m['train_images_too_small'])} too small), {m['n_val']} val and {m['n_test']} test images; "
        f"{d.path.stat().st_size / 2**20:.1f} MiB"
    )
    return 0


def _cmd_train(args) -> int:
    from . import models
    from .data.sources import check_source
    from .train import TrainConfig, train

    models.model_info(args.model)  # unknown names -> clear errors before any data is read
    check_source(args.data)
    over = {"iterations": args.iterations} if args.iterations else {}
    cfg = TrainConfig.make(
        args.model,
        args.scale,
        args.profile,
        options=_parse_options(args.option),
        seed=args.seed or 0,
        device=args.device,
        data=args.data,
        window=_window(args.window),
        **over,
    )
    run = train(
        cfg,
        runs=args.runs,
        progress=not args.quiet,
        restart=args.restart,
        data_root=args.data_root,
        allow_other_root=args.allow_other_root,
    )
    print(run.path)
    return 0


def _cmd_eval(args) -> int:
    from .data.sources import check_source, load_source
    from .evaluate import evaluate_images, summarize
    from .runs import load_run_model

    model, man, _ = load_run_model(args.run, device=args.device)
    scale, trained_on = man["config"]["scale"], man["config"]["data"]
    name = check_source(args.data or trained_on["dataset"].lower())
    kw = {"scheme": trained_on["scheme"], "patch": trained_on["patch"]} if name == "covid-ct" else {}
    d = load_source(
        name,
        seed=args.seed if args.seed is not None else trained_on["seed"],
        root=args.data_root,
        window=_window(args.window) if args.window else _trained_window(trained_on),
        progress=not args.quiet,
        allow_other_root=args.allow_other_root,
        **kw,
    )
    imgs = d.images(args.split)[: args.limit]
    df = evaluate_images(
        model,
        imgs,
        scale,
        man["config"]["model"],
        args.device,
        with_niqe=not args.no_niqe,
        progress=not args.quiet,
        intensity=d.intensity,
    )
    out = Path(args.out) if args.out else Path(args.run) / f"eval_{name}_{args.split}.csv"
    df.to_csv(out, index=False)
    print(f"protocol: {df.attrs['protocol']}")
    print(summarize(df).to_string(index=False))
    print(out)
    return 0


def _cmd_upscale(args) -> int:
    from .upscale import DEFAULT_BATCH, upscale

    paths = upscale(
        args.input,
        args.output,
        args.run,
        scale=args.scale,
        window=_window(args.window),
        device=args.device,
        batch=args.batch or DEFAULT_BATCH,
        progress=not args.quiet,
        overwrite=args.overwrite,
        fast=args.fast,
        skip_invalid=args.skip_invalid,
        accept_modalities=args.accept_modality,
        model=args.model,
    )
    print(f"wrote {len(paths)} file(s) under {Path(args.output)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
