"""The entry points: super-resolve real files with a trained run or the shipped weights (PNG -> PNG, DICOM ->
derived DICOM), with every setting in one frozen :class:`UpscaleOptions`.

Volumes are processed ``batch`` slices at a time and written as they go, so memory stays bounded by one batch
whatever the series length. :func:`upscale` and :func:`upscale_series` run the model on the fast path by default
(its HU match fp32 to well under 1 HU per slice; ``fast=False`` forces fp32); the HU arithmetic is
:mod:`paperlib.upscale.hu`'s.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..data.hu import LUNG_WINDOW
from ..errors import DataError
from ..runs import load_run_model
from .hu import CONSISTENCY, DEFAULT_BATCH, sr_hu_batch, sr_hu_volume
from .policy import note_domain, refuse_modality, series_targets


def upscale_png(model, src: Path, dst: Path, scale: int, device="cpu", overwrite=False) -> Path:
    from PIL import Image

    from ..data.images import read_gray_u8, to_float
    from ..evaluate import super_resolve

    if dst.exists() and not overwrite:
        raise DataError(f"{dst}: already exists; pass --overwrite to replace it")
    sr = super_resolve(model, to_float(read_gray_u8(src)), device)
    dst.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.round(np.clip(sr, 0, 1) * 255).astype(np.uint8)).save(dst)
    return dst


def upscale_series(
    model,
    series,
    out_dir: Path,
    scale: int,
    model_name: str,
    weights_sha: str,
    window=LUNG_WINDOW,
    device="cpu",
    batch: int = DEFAULT_BATCH,
    progress: bool = True,
    overwrite: bool = False,
    fast: bool = True,
    consistency: str = "backproject",
    allow_non_ct: bool = False,
) -> list[Path]:
    """Super-resolve one DICOM series (a :class:`~paperlib.data.dicom.SeriesInfo`) into ``out_dir``.

    Slices are read as they are written: :func:`upscale` runs
    :func:`~paperlib.data.dicom.validate_series` first so that a bad slice is refused before
    anything is written.  ``allow_non_ct`` reads a series whose Modality is not CT.

    The model is prepared for ``fast`` once (:func:`paperlib.precision.fast_path`, a copy) and used
    for every batch (``fast=True`` by default, as in :func:`upscale`; ``False`` forces fp32); see
    :func:`sr_hu_batch` for ``consistency``.
    """
    import pydicom
    from tqdm.auto import tqdm

    from ..data.dicom import read_dicom_hu
    from ..data.dicom_write import write_sr_series
    from ..precision import fast_path

    if consistency not in CONSISTENCY:
        raise ValueError(f"consistency must be one of {CONSISTENCY}, got {consistency!r}")
    model, _ = fast_path(model, device, enabled=fast)
    files = list(series.files)
    headers = [pydicom.dcmread(f, stop_before_pixels=True) for f in files]
    bar = tqdm(
        total=len(files),
        desc=f"upscale x{scale} {series.description or series.uid[-8:]}",
        unit="slice",
        disable=not progress,
    )

    hu = (read_dicom_hu(f, allow_non_ct=allow_non_ct)[0] for f in files)
    try:
        return write_sr_series(
            _counted(sr_hu_volume(model, hu, scale, window, device, batch, fast, consistency), bar),
            headers,
            out_dir,
            scale,
            model_name,
            weights_sha,
            series_description=f"SR x{scale} {model_name} ({series.description})"[:64],
            overwrite=overwrite,
        )
    finally:
        bar.close()


def _counted(items, bar):
    """``items`` as they come, each counted on the progress ``bar``."""
    for item in items:
        yield item
        bar.update(1)


@dataclass(frozen=True)
class UpscaleOptions:
    """How :func:`upscale` runs: every setting but the input, the output and the network.

    Args:
        window: HU window, a name or ``(width, level)``; ``None``: lung for a run, the trained one for shipped
            weights (the only one they accept).
        device: ``cpu`` or ``cuda``.
        batch: slices per batch (:data:`DEFAULT_BATCH`): peak memory grows with it, throughput hardly does.
        progress: a tqdm bar per series.
        overwrite: replace output files that exist (otherwise refused before anything is written).
        fast: the fast path (:func:`paperlib.precision.fast_path`); ``False`` forces fp32.
        consistency: ``backproject`` or ``none`` (:func:`~paperlib.upscale.hu.sr_hu_batch`).
        skip_invalid: skip unreadable ``.dcm`` files with one report line instead of refusing the input.
        accept_modalities: modalities other than CT to super-resolve anyway (e.g. ``("PT",)``).
    """

    window: object = None
    device: str = "cpu"
    batch: int = DEFAULT_BATCH
    progress: bool = True
    overwrite: bool = False
    fast: bool = True
    consistency: str = "backproject"
    skip_invalid: bool = False
    accept_modalities: tuple = ()

    def __post_init__(self):
        if self.consistency not in CONSISTENCY:
            raise ValueError(f"consistency must be one of {CONSISTENCY}, got {self.consistency!r}")
        if int(self.batch) < 1:
            raise ValueError(f"batch must be >= 1, got {self.batch}")
        object.__setattr__(self, "accept_modalities", tuple(self.accept_modalities or ()))

    @property
    def accepted(self) -> set:
        """CT and the accepted modalities, normalised."""
        return {"CT"} | {str(m).strip().upper() for m in self.accept_modalities}


def upscale(inp, out, run=None, scale: int | None = None, model: str | None = None, options=None, report=None, **kw):
    """Super-resolve a PNG/JPG, a DICOM file, or every CT series under a folder.

    Returns the written paths. Output: a PNG for an image, a derived-CT DICOM series
    (one folder per input series) for DICOM.

    The network is either a user's trained ``run`` (directory or its ``weights.pt``) or ``model``, the
    pretrained weights shipped in the package (:mod:`paperlib.pretrained`): a model name (``"dridsr"``:
    its HU weights for ``scale``) or a pretrained name (``"dridsr-x2-hu"``); exactly one of the two
    (see :func:`load_upscaler`). ``window`` (a name or ``(width, level)``) defaults to the lung window
    for a run and to the window a shipped model was trained through, the only one it accepts.

    Settings are an :class:`UpscaleOptions` (``options``), or its fields as keyword arguments (not both).

    ``fast`` (default ``True``; CLI ``--fp32``/``--no-fast`` turns it off) runs the model on
    :func:`paperlib.precision.fast_path`, the output layer and all HU arithmetic in fp32: on a real
    Lung-PET-CT-Dx series at x2 (DRIDSR) the per-slice mean |HU(fast) - HU(fp32)| stays under 1 HU
    (the benchmark's volume section, ``bench/results``).

    DICOM input policy (details in :mod:`paperlib.data.dicom`); every check is done before
    anything is written, so a refused input leaves no output behind:

    * a ``.dcm`` (or ``DICM``-magic) file that is not readable DICOM -- not DICOM, cut short,
      undecodable -- raises :class:`DataError` ``<path>: not a readable DICOM file (...)``;
      with ``skip_invalid=True`` it is skipped with one ``report`` line naming it;
    * non-image objects (RTSTRUCT, SEG, RTPLAN, SR, PR..., or no PixelData) are skipped with
      one ``report`` line per kind: ``skipped 1 non-image DICOM object (RTSTRUCT): <path>``;
    * a series (or file) whose Modality is not CT raises :class:`DataError` naming the modality,
      unless it is in ``accept_modalities`` (e.g. ``["PT"]``; ``--accept-modality PT``);
    * an output file that exists already raises unless ``overwrite``.

    ``report`` takes one line (default: ``paperlib: <line>`` on stderr).
    """
    from ..data.dicom import stderr_report

    if options is not None and kw:
        raise TypeError(f"pass options= or its fields ({sorted(kw)}), not both")
    opt = options or UpscaleOptions(**kw)
    report = report or stderr_report
    inp, out = Path(inp), Path(out)
    if not inp.exists():
        raise DataError(f"{inp}: input not found")
    net, name, scale, sha, window = load_upscaler(run, model, scale, opt.window, opt.device)
    if inp.is_file() and inp.suffix.lower() in (".png", ".jpg", ".jpeg"):
        dst = out if out.suffix.lower() == ".png" else out / f"{inp.stem}_x{scale}.png"
        return [upscale_png(net, inp, dst, scale, opt.device, opt.overwrite)]
    sr = {"window": window, "device": opt.device, "fast": opt.fast, "consistency": opt.consistency}
    if inp.is_file():
        note_domain(model, scale, [(inp, inp)], report)
        return [_upscale_dicom_file(net, inp, out, scale, name, sha, opt.accepted, opt.overwrite, sr)]
    targets = series_targets(inp, out, scale, opt.accepted, opt.skip_invalid, report, opt.overwrite)
    note_domain(model, scale, [(s.files[0].parent, s.files[0]) for s, _ in targets], report)
    written = []
    for s, sub in targets:
        allow = s.modality.strip().upper() != "CT"
        written += upscale_series(net, s, sub, scale, name, sha, batch=opt.batch, progress=opt.progress,
                                  overwrite=opt.overwrite, allow_non_ct=allow, **sr)  # fmt: skip
    return written


def load_upscaler(run=None, model: str | None = None, scale: int | None = None, window=None, device="cpu"):
    """``(network, name for the DICOM header, scale, weights sha256, HU window)`` for :func:`upscale`.

    Exactly one of ``run`` (a user's trained run: :func:`paperlib.runs.load_run_model`, window default
    lung) and ``model`` (shipped weights: :func:`paperlib.pretrained.load_pretrained`, the window its
    card records) must be given; both checks the scale when ``scale`` is given.
    """
    if (run is None) == (model is None):
        raise DataError(
            "pass exactly one of run= (--run, your trained run) and model= (--model, the shipped "
            f"pretrained weights); got {'both' if run is not None else 'neither'}"
        )
    if run is not None:
        net, manifest, sha = load_run_model(run, scale, device)
        cfg = manifest["config"]
        return net, cfg["model"], cfg["scale"], sha, LUNG_WINDOW if window is None else window
    from ..pretrained import load_pretrained, upscale_window

    net, card, sha = load_pretrained(model, scale, device)
    return net, f"{card['model']} ({card['name']})", card["scale"], sha, upscale_window(card, window)


def _upscale_dicom_file(
    model, inp: Path, out: Path, scale: int, name: str, sha: str, accept: set, overwrite: bool, sr: dict
) -> Path:
    """One DICOM slice -> one derived DICOM file (``sr``: :func:`sr_hu_batch`'s keyword arguments)."""
    from ..data.dicom import non_image_kind, read_dicom_header, read_dicom_hu
    from ..data.dicom_write import write_sr_slice

    header = read_dicom_header(inp)
    kind = non_image_kind(header)
    if kind is not None:
        raise DataError(f"{inp}: a non-image DICOM object ({kind}); there is no image to super-resolve")
    modality = str(header.get("Modality", "") or "").strip().upper()
    if modality not in accept:
        raise refuse_modality(f"{inp}: this DICOM file", [modality])
    hu, ds = read_dicom_hu(inp, allow_non_ct=modality != "CT")
    out_hu = sr_hu_batch(model, hu[None], scale, **sr)[0]
    del ds.PixelData
    dst = out if out.suffix.lower() == ".dcm" else out / f"{inp.stem}_SR_x{scale}.dcm"
    return write_sr_slice(out_hu, ds, dst, scale, name, sha, overwrite=overwrite)
