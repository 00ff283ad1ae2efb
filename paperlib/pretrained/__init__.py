"""Small pretrained checkpoints shipped inside the package, each with a model card.

:data:`SPECS` is the one list of what ships: for each name (``dridsr-x2-hu``...) the model, its
options, the scale, the training data, the HU window the model sees (``None``: 8-bit images), the
profile and default iterations, and the held-out test sets. ``python -m paperlib.pretrained build``
(:mod:`paperlib.pretrained.build`) trains each entry with :func:`paperlib.train.train`, evaluates it
on those test sets and writes three files into :data:`WEIGHTS_DIR` (package data):

* ``<name>.pt``: the weights, a plain fp32 ``state_dict`` (``torch.load(path, weights_only=True)``);
* ``<name>.json``: the model card, the **source of truth** for what was built: architecture and
  options, data and patient split, profile, iterations, precision, held-out metrics with their
  protocol, the weights' sha256, git commit, hardware, date, and the data's licences;
* ``<name>.md``: the same card rendered for reading (generated from the JSON, never edited).

:func:`load_pretrained` checks the weights file's sha256 against its card and the card against
:data:`SPECS` (model, scale, options), and the requested scale, before loading; any mismatch is a
one-line :class:`~paperlib.errors.CheckpointError` naming the file. ``paperlib upscale IN OUT
--model dridsr --scale 2`` uses the HU entry of that model and scale through the window its card
records; ``paperlib models --pretrained`` prints :func:`pretrained_table`.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import CheckpointError, DataError, UnknownNameError

#: Where the shipped files live (package data; tests point it elsewhere).
WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
CARD_VERSION = 1
BUILD_COMMAND = "python -m paperlib.pretrained build"


@dataclass(frozen=True)
class Spec:
    """One shipped checkpoint: what to train and how to test it.

    Args:
        name: file stem and the name users pass (``--model dridsr-x2-hu``).
        model: registry name (:func:`paperlib.models.list_models`); ``options``: its constructor options.
        scale: 2, 3 or 4.
        data: training sources (:func:`paperlib.data.sources.source_names`); several are concatenated.
        window: the HU window name the model sees (HU sources), ``None`` for 8-bit sources.
        profile: training profile (:mod:`paperlib.profiles`); ``iterations``: its default length.
        lr_halvings: the learning rate is halved this many times, evenly over the run (so the schedule
            follows ``--iterations``); ``None`` keeps the profile's own ``lr_halve_every``.
        tests: held-out evaluation, ``(source, split, at most this many images or None)`` each; the
            first is the headline number.
    """

    name: str
    model: str
    scale: int
    data: tuple[str, ...]
    window: str | None
    profile: str = "quick"
    iterations: int = 2000
    lr_halvings: int | None = 3
    options: dict = field(default_factory=dict)
    seed: int = 0
    tests: tuple = ()
    summary: str = ""

    @property
    def kind(self) -> str:
        return "u8" if self.window is None else "hu"

    def overrides(self, iterations: int | None = None) -> dict:
        """Profile fields for :meth:`paperlib.train.TrainConfig.make` (``iterations`` overrides the default)."""
        n = int(iterations or self.iterations)
        out = {"iterations": n}
        if self.lr_halvings is not None:
            out["lr_halve_every"] = max(1, math.ceil(n / (self.lr_halvings + 1)))
        return out


_HU_DATA = ("tcga", "covid19_ny_sbu")
#: Training length of the DRIDSR HU weights: x4 retrained at 20,000 iterations (10x the first build; 82 min on one
#: core of the 2-core AMD EPYC); x2 and x3 are still the first build's 2,000 (their 20,000 are the next build).
_HU_ITERATIONS = {2: 2000, 3: 2000, 4: 20000}
_HU_TESTS = (("tcga", "test", None), ("lung_pet_ct_dx", "test", 24))

#: What ships. HU entries: chest CT (TCIA TCGA lung collections + COVID-19-NY-SBU) through the lung
#: window, the one ``upscale`` shows a lung reader; tested on the held-out TCGA patients and on
#: Lung-PET-CT-Dx (never trained on). COVID-CT entries: the DRIDSR paper's 8-bit data, quick profile.
SPECS: dict[str, Spec] = {
    s.name: s
    for s in (
        *(
            Spec(
                f"dridsr-x{k}-hu",
                "dridsr",
                k,
                _HU_DATA,
                "lung",
                iterations=_HU_ITERATIONS[k],
                tests=_HU_TESTS,
                summary=f"DRIDSR x{k} for chest CT DICOM (HU through the lung window)",
            )
            for k in (2, 3, 4)
        ),
        # IDMAN at the reduced size of this project's quick studies (G=2 groups of B=2 blocks, 32 features, r=8:
        # 501,954 parameters against the paper's 85.5 M at G=10, B=20, 64 features), x2 as its ablations
        Spec(
            "idman-x2-hu",
            "idman",
            2,
            _HU_DATA,
            "lung",
            options=dict(n_groups=2, n_blocks=2, n_feats=32, reduction=8),
            tests=_HU_TESTS,
            summary="IDMAN x2 for chest CT DICOM (HU through the lung window), reduced size (G2 B2, 32 features)",
        ),
        *(
            Spec(
                f"dridsr-x{k}-covid-ct",
                "dridsr",
                k,
                ("covid-ct",),
                None,
                iterations=400,
                lr_halvings=None,
                tests=(("covid-ct", "test", None),),
                summary=f"DRIDSR x{k} on 8-bit COVID-CT figures (the paper's data), quick profile",
            )
            for k in (3, 4)
        ),
    )
}


def names() -> list[str]:
    """Every registered name, in :data:`SPECS` order."""
    return list(SPECS)


def weights_dir(folder=None) -> Path:
    """``folder``, or :data:`WEIGHTS_DIR` (read when called, so tests can point it elsewhere)."""
    return Path(folder or WEIGHTS_DIR)


def get_spec(name: str) -> Spec:
    if name not in SPECS:
        raise UnknownNameError(f"unknown pretrained model {name!r}; registered: {', '.join(SPECS)}")
    return SPECS[name]


def weights_path(name: str, folder=None) -> Path:
    return weights_dir(folder) / f"{name}.pt"


def card_path(name: str, folder=None) -> Path:
    return weights_dir(folder) / f"{name}.json"


def read_card(name: str, folder=None) -> dict | None:
    """The card of ``name`` (``None`` when it was not built)."""
    p = card_path(name, folder)
    if not p.is_file():
        return None
    try:
        return json.loads(p.read_text())
    except (OSError, json.JSONDecodeError) as e:
        raise CheckpointError(f"{p}: unreadable model card ({type(e).__name__}: {e})") from None


def shipped(folder=None) -> list[str]:
    """Names whose card and weights are present."""
    return [n for n in SPECS if card_path(n, folder).is_file() and weights_path(n, folder).is_file()]


def _shipped_text(folder=None) -> str:
    names = shipped(folder)
    if names:
        return "shipped: " + ", ".join(names)
    return f"none shipped yet (registered: {', '.join(SPECS)}; build them with `{BUILD_COMMAND}`)"


def resolve(model: str, scale: int | None = None, folder=None) -> Spec:
    """The entry for ``model``: a registered name (``dridsr-x2-hu``) or a model name (``dridsr``), whose
    HU entry at ``scale`` is taken. Raises a one-line error listing what ships when there is none."""
    if model in SPECS:
        spec = SPECS[model]
        if scale is not None and int(scale) != spec.scale:
            raise CheckpointError(
                f"{weights_path(model, folder)}: {model} is for x{spec.scale}, but x{scale} "
                f"was requested; {_shipped_text(folder)}"
            )
        return spec
    cands = [
        s for s in SPECS.values() if s.model == model and s.kind == "hu" and (scale is None or s.scale == int(scale))
    ]
    if len(cands) == 1:
        return cands[0]
    if len(cands) > 1:
        raise DataError(
            f"pretrained {model} (HU) is registered for scales {sorted(s.scale for s in cands)}: pass "
            f"--scale (scale=); {_shipped_text(folder)}"
        )
    at = f" x{scale}" if scale is not None else ""
    raise UnknownNameError(f"no pretrained {model}{at} for HU data; {_shipped_text(folder)}")


def load_pretrained(model: str, scale: int | None = None, device="cpu", folder=None):
    """``(model in eval mode, card, sha256)`` of a shipped checkpoint, after every check.

    Args:
        model: a registered name or a model name (see :func:`resolve`).
        scale: the scale the caller needs (refused when the entry is for another).
        folder: where the files are (default :data:`WEIGHTS_DIR`).
    """
    from .. import models
    from ..hashing import sha256_file
    from ..runs import load_checkpoint

    spec = resolve(model, scale, folder)
    card, path = check_card(spec, folder), weights_path(spec.name, folder)
    sha = sha256_file(path)
    if sha != card["sha256"]:
        raise CheckpointError(
            f"{path}: sha256 {sha[:16]}... does not match the registered {card['sha256'][:16]}... "
            f"({card_path(spec.name, folder).name}); the file is corrupt or was replaced; "
            f"nothing loaded"
        )
    net = models.create(spec.model, scale=spec.scale, in_channels=1, **spec.options)
    try:
        net.load_state_dict(load_checkpoint(path))
    except RuntimeError as e:
        raise CheckpointError(
            f"{path}: weights do not fit {spec.model} x{spec.scale} ({str(e).splitlines()[0].strip()}...)"
        ) from None
    return net.to(device).eval(), card, sha


def check_card(spec: Spec, folder=None) -> dict:
    """The card of ``spec``, checked to exist with its weights and to describe the same model."""
    card, path = read_card(spec.name, folder), weights_path(spec.name, folder)
    if card is None or not path.is_file():
        missing = path if card is not None else card_path(spec.name, folder)
        raise CheckpointError(
            f"{missing}: {spec.name} is registered but not built (`{BUILD_COMMAND} --only "
            f"{spec.name}`); {_shipped_text(folder)}"
        )
    want = {"model": spec.model, "scale": spec.scale, "options": dict(spec.options)}
    have = {k: card.get(k) for k in want}
    if have != want:
        raise CheckpointError(
            f"{card_path(spec.name, folder)}: card says {have}, registry says {want}; "
            f"rebuild with `{BUILD_COMMAND} --only {spec.name}`"
        )
    return card


def upscale_window(card: dict, window=None):
    """The HU window to run a shipped model through: the one its card records.

    ``window`` (a name or ``(width, level)``) is accepted only when it is that same window; an 8-bit
    model has no window of its own and takes ``window`` (default lung) like a user's run.
    """
    from ..data.hu import LUNG_WINDOW, _resolve

    trained = (card.get("intensity") or {}).get("window")
    if trained is None:
        return LUNG_WINDOW if window is None else window
    if window is not None and tuple(_resolve(window)) != tuple(trained):
        raise DataError(
            f"{card['name']} was trained through the HU window W{trained[0]:g}/L{trained[1]:g} "
            f"({card['intensity'].get('window_name') or 'unnamed'}); omit --window to use it"
        )
    return tuple(trained)


def pretrained_table(folder=None):
    """Every registered entry as a DataFrame: name, model, scale, data, window, iterations, held-out PSNR (the
    first test set's, beside bicubic's), sha256 prefix and status (``shipped`` or ``not built``: then ``-``)."""
    import pandas as pd

    rows = []
    for spec in SPECS.values():
        card = read_card(spec.name, folder) if weights_path(spec.name, folder).is_file() else None
        head = card["evaluation"][0] if card and card.get("evaluation") else None
        rows.append(
            {
                "name": spec.name,
                "model": spec.model,
                "scale": spec.scale,
                "data": "+".join(spec.data),
                "window": spec.window or "8-bit",
                "iterations": card["training"]["iterations"] if card else "-",
                "held-out PSNR (dB)": f"{head['psnr']:.2f}" if head else "-",
                "bicubic PSNR (dB)": f"{head['bicubic_psnr']:.2f}" if head else "-",
                "test set": f"{head['data']} {head['split']} ({head['n_images']})" if head else "-",
                "sha256": card["sha256"][:12] if card else "-",
                "status": "shipped" if card else "not built",
            }
        )
    return pd.DataFrame(rows)


__all__ = [
    "Spec",
    "SPECS",
    "WEIGHTS_DIR",
    "names",
    "weights_dir",
    "get_spec",
    "resolve",
    "load_pretrained",
    "read_card",
    "shipped",
    "pretrained_table",
    "upscale_window",
    "weights_path",
    "card_path",
    "check_card",
]
