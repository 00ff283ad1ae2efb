"""Build the shipped checkpoints: train each :data:`~paperlib.pretrained.SPECS` entry with the project's
engine (:func:`paperlib.train.train`), evaluate it on its held-out test sets
(:func:`paperlib.evaluate.evaluate_images`, fp32) beside MATLAB bicubic, and write its weights and
model card.

``python -m paperlib.pretrained build [--iterations N] [--only NAME ...] [--out DIR]`` runs
:func:`build`. Training runs live in the usual run directories (``--runs``, default ``./runs``), so
a killed build resumes where it stopped and a finished run is reused; only the evaluation and the
files are redone. For one entry the card is removed first and written last, after the weights and
the Markdown: a build stopped half way leaves the entry "not built", never a card that vouches for
other weights.
"""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import numpy as np

from ..data.splits import spaced
from ..errors import DataError
from . import Spec, card_path, get_spec, load_pretrained, weights_dir, weights_path
from . import names as registered


def combine(parts: list):
    """One :class:`~paperlib.data.cache.Prepared` set from several of the same kind (HU, same window, same
    patch): training patches, validation and test images concatenated; the manifest keeps each part's."""
    from ..data.cache import Prepared

    if len({p.intensity for p in parts}) != 1 or len({p.manifest.get("patch") for p in parts}) != 1:
        raise DataError(f"cannot combine {[p.manifest.get('dataset') for p in parts]}: different intensity or patch")
    patches = [p.train_patches for p in parts if len(p.train_patches)]
    man = {
        "dataset": "+".join(p.manifest["dataset"] for p in parts),
        "scheme": " + ".join(dict.fromkeys(p.manifest.get("scheme", "") for p in parts)),
        "seed": parts[0].manifest.get("seed"),
        "patch": parts[0].manifest.get("patch"),
        "n_train_patches": int(sum(len(x) for x in patches)),
        "parts": [p.manifest for p in parts],
    }
    val = [x for p in parts for x in p.val]
    test = [x for p in parts for x in p.test]
    return Prepared(
        np.concatenate(patches), val, test, man | {"n_val": len(val), "n_test": len(test)}, parts[0].intensity
    )


def training_data(spec: Spec, data_root=None, progress: bool = True):
    """The prepared training data of ``spec`` (its sources loaded with its seed and window, combined)."""
    from ..data.sources import load_source

    parts = [load_source(n, seed=spec.seed, root=data_root, window=spec.window, progress=progress) for n in spec.data]
    return parts[0] if len(parts) == 1 else combine(parts)


def train_config(spec: Spec, iterations: int | None = None, device="cpu"):
    """The :class:`~paperlib.train.TrainConfig` of ``spec`` (``iterations`` overrides its default)."""
    from ..data.sources import DEFAULT_HU_WINDOW
    from ..train import TrainConfig

    return TrainConfig.make(
        spec.model,
        spec.scale,
        spec.profile,
        options=dict(spec.options),
        seed=spec.seed,
        device=device,
        data="+".join(spec.data),
        window=spec.window or DEFAULT_HU_WINDOW,
        **spec.overrides(iterations),
    )


def _train_patients(source: str, root, seed: int) -> list[str] | None:
    """Patient ids of a source's training split (``None`` for COVID-CT, whose figures have no patients)."""
    from ..data.hu_sets import HU_SETS, hu_dataset

    if source in HU_SETS:
        return sorted({r.patient_id for r in hu_dataset(source, "train", root, seed)})
    if source == "sample":
        from ..data.sample import load_sample

        return sorted({s["patient"] for s in load_sample()[0]["slices"] if s["split"] == "train"})
    return None


def split_record(spec: Spec, data, root=None) -> dict:
    """What ``spec`` was trained, validated and tested on: patients (HU) or image counts (8-bit)."""
    man = data.manifest
    if spec.kind == "u8":
        note = f"{man.get('scheme')} split, seed {man.get('seed')}"
        return {
            "train": {"images": man.get("n_train_images"), "patches": man.get("n_train_patches"), "note": note},
            "val": {"images": len(data.val), "note": note},
            "test": {"images": len(data.test), "note": note},
        }
    train = sorted({p for s in spec.data for p in (_train_patients(s, root, spec.seed) or [])})
    note = "patient-level split (no patient in two splits)"
    return {
        "train": {"patients": train, "patches": int(len(data.train_patches)), "note": note},
        "val": {"patients": sorted({lab for _, lab, _ in data.val}), "images": len(data.val)},
        "test": {"patients": sorted({lab for _, lab, _ in data.test}), "images": len(data.test)},
    }


def evaluate_held_out(
    model, spec: Spec, source: str, split: str, limit: int | None, root=None, device="cpu", progress: bool = True
) -> dict:
    """Mean PSNR/SSIM of ``model`` and of MATLAB bicubic on ``source``'s ``split`` (fp32, the data's protocol)."""
    from .. import models
    from ..data.sources import load_source
    from ..evaluate import evaluate_images

    d = load_source(source, seed=spec.seed, root=root, window=spec.window, progress=progress)
    everything = d.images(split)
    imgs = spaced(everything, limit)
    if not imgs:
        raise DataError(f"{source} {split}: no images to evaluate {spec.name} on")
    res = {
        m: evaluate_images(
            net,
            imgs,
            spec.scale,
            m,
            device,
            with_ms_ssim=False,
            with_niqe=False,
            progress=progress,
            intensity=d.intensity,
        )
        for m, net in ((spec.model, model), ("bicubic", models.create("bicubic", scale=spec.scale)))
    }
    ours, bic = res[spec.model], res["bicubic"]
    role = (
        "external test set, never seen in training"
        if source not in spec.data
        else "held-out patients of a training source"
        if spec.kind == "hu"
        else "held-out images of the training source"
    )
    return {
        "data": source,
        "split": split,
        "role": role,
        "n_images": len(imgs),
        "n_available": len(everything),
        "selection": "all" if len(imgs) == len(everything) else f"{len(imgs)} evenly spaced",
        "labels": sorted({lab for _, lab, _ in imgs}),
        "label_kind": "patient" if spec.kind == "hu" else "class",
        "psnr": float(ours["psnr"].mean()),
        "ssim": float(ours["ssim"].mean()),
        "bicubic_psnr": float(bic["psnr"].mean()),
        "bicubic_ssim": float(bic["ssim"].mean()),
        "inference": "fp32",
        "protocol": ours.attrs["protocol"],
    }


def weights_bytes(model) -> bytes:
    """The shipped file's bytes: the model's ``state_dict`` in fp32, contiguous, on the CPU."""
    import torch

    state = {
        k: (v.detach().cpu().float().contiguous() if v.is_floating_point() else v.detach().cpu())
        for k, v in model.state_dict().items()
    }
    buf = io.BytesIO()
    torch.save(state, buf)
    return buf.getvalue()


def write_entry(spec: Spec, model, run, split: dict, evaluation: list[dict], out: Path, data_root=None) -> dict:
    """Write ``<name>.pt``, ``<name>.md`` and, last, ``<name>.json`` into ``out``; returns the card."""
    import hashlib

    from .. import models
    from ..runs import atomic_write_bytes
    from .card import make_card, render

    out.mkdir(parents=True, exist_ok=True)
    card_path(spec.name, out).unlink(missing_ok=True)
    data = weights_bytes(model)
    weights = {
        "file": weights_path(spec.name, out).name,
        "sha256": hashlib.sha256(data).hexdigest(),
        "bytes": len(data),
        "parameters": models.count_parameters(model),
    }
    atomic_write_bytes(weights_path(spec.name, out), data)
    card = make_card(spec, run, weights, split, evaluation)
    from .domain import training_domain

    domain = training_domain(spec.data, data_root, spec.seed) if spec.kind == "hu" else None
    if domain:
        card["domain"] = domain
    atomic_write_bytes(out / f"{spec.name}.md", render(card).encode())
    atomic_write_bytes(card_path(spec.name, out), (json.dumps(card, indent=1) + "\n").encode())
    return card


def build_one(
    spec: Spec,
    iterations: int | None = None,
    out=None,
    runs=None,
    data_root=None,
    device="cpu",
    progress: bool = True,
    eval_limit: int | None = None,
) -> dict:
    """Train (or resume, or reuse) ``spec``'s run, evaluate it, write its files; returns the card.

    Args:
        iterations: training length (default ``spec.iterations``).
        out: where the files go (default :data:`~paperlib.pretrained.WEIGHTS_DIR`, the package).
        runs: run directory root (default ``$PAPERLIB_RUNS`` or ``./runs``).
        eval_limit: at most this many images per test set (default: each test set's own limit).
    """
    from ..train import train

    out = weights_dir(out)
    data = training_data(spec, data_root, progress)
    run = train(train_config(spec, iterations, device), data=data, runs=runs, progress=progress, data_root=data_root)
    if not run.complete:
        raise DataError(f"{run.path}: training did not finish")
    model = run.load_model(device)
    evaluation = [
        evaluate_held_out(model, spec, src, split, _limit(lim, eval_limit), data_root, device, progress)
        for src, split, lim in spec.tests
    ]
    card = write_entry(spec, model, run, split_record(spec, data, data_root), evaluation, out, data_root)
    load_pretrained(spec.name, spec.scale, folder=out)  # every check a user's load makes
    return card


def _limit(own: int | None, cap: int | None) -> int | None:
    return own if cap is None else (cap if own is None else min(own, cap))


def build(names=None, iterations: int | None = None, out=None, report=None, **kw) -> list[dict]:
    """Build the entries ``names`` (default: all of :data:`~paperlib.pretrained.SPECS`), one after the other.

    ``**kw`` goes to :func:`build_one`; ``report`` takes one line per entry (default: stdout).
    Writes an index ``README.md`` of what ``out`` holds afterwards.
    """
    from ..runs import atomic_write_bytes
    from ..runtime import git_commit
    from . import pretrained_table

    git_commit()  # pinned (cached) before this build writes into the package, whose new files would read as "dirty"
    report = report or (lambda line: print(line, file=sys.stdout, flush=True))
    specs = [get_spec(n) for n in (names or registered())]  # unknown names refused before any training
    out = weights_dir(out)
    cards = []
    for spec in specs:
        card = build_one(spec, iterations, out, **kw)
        head = card["evaluation"][0]
        report(
            f"{spec.name}: {card['training']['iterations']} iterations, {head['data']} {head['split']} PSNR "
            f"{head['psnr']:.2f} dB (bicubic {head['bicubic_psnr']:.2f}), sha256 {card['sha256'][:12]} -> "
            f"{weights_path(spec.name, out)}"
            + (" -- WARNING: below bicubic, train longer (--iterations)" if head["psnr"] < head["bicubic_psnr"] else "")
        )
        cards.append(card)
    index = [
        "# Shipped pretrained weights",
        "",
        "Generated by `python -m paperlib.pretrained build`; one model card "
        "per checkpoint (`<name>.json`, the facts; `<name>.md`, the same for reading).",
        "",
        pretrained_table(out).to_markdown(index=False),
        "",
    ]
    atomic_write_bytes(out / "README.md", "\n".join(index).encode())
    return cards
