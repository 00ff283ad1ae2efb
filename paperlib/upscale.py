"""Super-resolve real files with a trained run or the shipped weights: PNG -> PNG, DICOM -> derived DICOM.

HU handling for DICOM: the model was trained on windowed [0, 1] images, so each slice is
mapped to [0, 1] with ``window`` (lung W1500/L-600 by default), super-resolved, and mapped
back to HU with the window's inverse. HU outside the window cannot come back from a
clipped input, so the model's detail is added to the MATLAB-bicubic upscaled true HU
(:func:`sr_hu_batch`) and the written HU stay on their true scale everywhere.

Volumes are processed ``batch`` slices at a time (:data:`DEFAULT_BATCH`) and written as they go,
so memory stays bounded by one batch whatever the series length. :func:`upscale` and
:func:`upscale_series` run the model on the fast path by default (its HU match fp32 to well
under 1 HU per slice; ``fast=False`` forces fp32); :func:`sr_hu_batch` takes the precision
explicitly and defaults to fp32.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from .data.degrade import imresize_torch
from .data.hu import LUNG_WINDOW, hu_unwindow, hu_window
from .errors import DataError
from .runs import load_run_model  # noqa: F401  (upscale's public API: load a run's model)

#: ``consistency`` options of :func:`sr_hu_batch`.
CONSISTENCY = ("backproject", "none")
#: slices per batch of :func:`upscale` / :func:`upscale_series`. Peak memory grows with the batch
#: while CPU throughput hardly does: DRIDSR x2 on 512 x 512 slices, fast path, batch 2 adds about
#: 1.2 GB of RSS on CPU (bench/README.md, volume section).
DEFAULT_BATCH = 2


def sr_hu_batch(
    model,
    hu: np.ndarray,
    scale: int,
    window=LUNG_WINDOW,
    device="cpu",
    fast: bool = False,
    consistency: str = "backproject",
) -> np.ndarray:
    """Super-resolve a batch of HU slices (Z, H, W) -> (Z, sH, sW) float32 HU.

    The model sees the windowed slice; its *detail* over the bicubic upscaling of that same
    windowed slice is added to the bicubic upscaling of the true HU::

        detail = unwindow(model(w)) - unwindow(bicubic(w)),   w = window(HU)
        SR_HU  = bicubic(HU) + detail

    Inside the window, away from clipped pixels, this is exactly ``unwindow(model(w))``; where
    the window clipped the input (air below, bone above a lung window) the model has nothing to
    add (``detail = 0`` there) and the true bicubic HU are kept, so no HU are lost to the window.
    A bicubic "model" therefore returns MATLAB-bicubic HU exactly (tested).

    ``consistency='backproject'`` (default) removes the low-frequency part of the detail before it
    is added: ``detail -= bicubic_up(bicubic_down(detail))`` (MATLAB bicubic, ``imresize_torch``).
    A model's output need not be consistent with its input: a small DC or low-frequency error of
    the network (bf16 features, a training-set mean unlike this series, the window's clip) shifts
    the s x s block means of the output away from the input pixel they came from, i.e. changes
    the HU of tissue, which is what a radiologist measures. Back-projection makes the detail
    (nearly) invisible after the degradation, so the output's s x s block means follow those of
    the bicubic HU, which agree with the input pixels on average (bicubic upscaling preserves the
    mean); it is smooth (no s x s block pattern, unlike subtracting each block's mean of the
    detail) and keeps the high-frequency detail the model is for. On a real Lung-PET-CT-Dx slice
    at x2, a model adding a 15 HU offset and a checkerboard moves the mean block bias from
    +14.4 HU to below 1e-6 HU, keeping the checkerboard (tested). It is applied after the detail
    is zeroed on clipped pixels, so deep inside clipped regions the output is bicubic exactly;
    within the bicubic support of their border the correction of the neighbouring detail shows.
    ``'none'`` adds the raw detail (the previous behaviour).

    ``fast`` runs the model on the :func:`paperlib.precision.fast_path` (a prepared copy: the
    caller's model is never modified; pass a model already returned by ``fast_path`` to prepare
    it once); the window, bicubic and HU arithmetic stay fp32.
    """
    from .precision import fast_path

    model, precision = fast_path(model, device, enabled=fast)
    return _sr_hu(model, precision, hu, scale, window, device, consistency)


def _sr_hu(model, precision, hu, scale, window, device, consistency):
    import torch

    from .precision import run_model

    if consistency not in CONSISTENCY:
        raise ValueError(f"consistency must be one of {CONSISTENCY}, got {consistency!r}")
    x = torch.from_numpy(np.ascontiguousarray(hu, dtype=np.float32))[:, None].to(device)
    with torch.inference_mode():
        w = hu_window(x, window)
        sr_w = run_model(model, w, precision).clamp(0, 1)
        bic_w = imresize_torch(w, scale=scale)
        bic = imresize_torch(x, scale=scale)
        detail = hu_unwindow(sr_w, window) - hu_unwindow(bic_w, window)
        saturated = (bic_w <= 0) | (bic_w >= 1)  # the window clipped everything around here
        detail = torch.where(saturated, torch.zeros_like(detail), detail)
        if consistency == "backproject":
            low = imresize_torch(imresize_torch(detail, size=tuple(x.shape[-2:])), size=tuple(detail.shape[-2:]))
            detail = detail - low
        out = bic + detail
    return out[:, 0].cpu().numpy()


def sr_hu_volume(
    model,
    slices: Iterable[np.ndarray],
    scale: int,
    window=LUNG_WINDOW,
    device="cpu",
    batch: int = DEFAULT_BATCH,
    fast: bool = True,
    consistency: str = "backproject",
) -> Iterator[np.ndarray]:
    """Super-resolve a stream of HU slices (H, W), ``batch`` at a time; yields (sH, sW) float32 HU in order.

    The streaming form of :func:`sr_hu_batch` that :func:`upscale_series` runs (same arithmetic, slice
    for slice): slices are pulled from ``slices`` only as needed, so memory is bounded by one batch
    whatever the volume's length. The model is prepared for ``fast`` once (default ``True``, as in
    :func:`upscale`). One input buffer is reused for every batch of equal shape, and on CPU freed
    memory is kept for reuse while the generator runs (:func:`_retain_freed_memory`): without it
    glibc unmaps the model's large feature maps after each batch and maps them again, zeroed, for
    the next one, and the process spent as much time in the kernel as in the model.
    """
    from .precision import fast_path

    if consistency not in CONSISTENCY:
        raise ValueError(f"consistency must be one of {CONSISTENCY}, got {consistency!r}")
    model, precision = fast_path(model, device, enabled=fast)
    buf = None
    with _retain_freed_memory(device):
        for chunk in _chunks(slices, batch):
            shape = (len(chunk), *np.shape(chunk[0]))
            if buf is None or buf.shape[1:] != shape[1:] or len(buf) < len(chunk):
                buf = np.empty(shape, np.float32)
            for i, hu in enumerate(chunk):
                buf[i] = hu
            yield from _sr_hu(model, precision, buf[: len(chunk)], scale, window, device, consistency)


def _chunks(items: Iterable, n: int) -> Iterator[list]:
    if n < 1:
        raise ValueError(f"batch must be >= 1, got {n}")
    chunk = []
    for it in items:
        chunk.append(it)
        if len(chunk) == n:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


_M_TRIM_THRESHOLD, _M_MMAP_MAX = -1, -4  # glibc mallopt parameters (malloc.h)
_retaining = [0]  # nesting depth of _retain_freed_memory


@contextmanager
def _retain_freed_memory(device="cpu"):
    """While active (CPU, glibc only; elsewhere a no-op), ``malloc`` serves every allocation from its
    heap and keeps freed memory for the next batch instead of returning it to the system.

    Sets ``M_MMAP_MAX=0`` and ``M_TRIM_THRESHOLD=INT_MAX``; on exit restores glibc's defaults
    (65536, 128 KiB) and ``malloc_trim(0)`` hands the retained memory back. Peak RSS stays that of
    one batch (what the batch needs, plus fragmentation); page faults and kernel time per batch
    nearly vanish (bench/README.md, volume section). Nested uses restore on the outermost exit.
    """
    import torch

    libc = _glibc() if torch.device(device).type == "cpu" else None
    if libc is None:
        yield
        return
    if _retaining[0] == 0:
        libc.mallopt(_M_MMAP_MAX, 0)
        libc.mallopt(_M_TRIM_THRESHOLD, 2**31 - 1)
    _retaining[0] += 1
    try:
        yield
    finally:
        _retaining[0] -= 1
        if _retaining[0] == 0:
            libc.mallopt(_M_MMAP_MAX, 65536)
            libc.mallopt(_M_TRIM_THRESHOLD, 128 * 1024)
            libc.malloc_trim(0)


def _glibc():
    """The C library through ctypes when it is glibc (``mallopt``/``malloc_trim``), else ``None``."""
    import ctypes
    import platform

    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return None
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return None
    return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None


def upscale_png(model, src: Path, dst: Path, scale: int, device="cpu", overwrite=False) -> Path:
    from PIL import Image

    from .data.images import read_gray_u8, to_float
    from .evaluate import super_resolve

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

    from .data.dicom import read_dicom_hu
    from .dicom_export import write_sr_series
    from .precision import fast_path

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

    def slices():
        hu = (read_dicom_hu(f, allow_non_ct=allow_non_ct)[0] for f in files)
        for s in sr_hu_volume(model, hu, scale, window, device, batch, fast, consistency):
            yield s
            bar.update(1)

    try:
        return write_sr_series(
            slices(),
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


def upscale(
    inp,
    out,
    run=None,
    scale: int | None = None,
    window=None,
    device="cpu",
    batch: int = DEFAULT_BATCH,
    progress: bool = True,
    overwrite: bool = False,
    fast: bool = True,
    consistency: str = "backproject",
    skip_invalid: bool = False,
    accept_modalities=(),
    report=None,
    model: str | None = None,
) -> list[Path]:
    """Super-resolve a PNG/JPG, a DICOM file, or every CT series under a folder.

    Returns the written paths. Output: a PNG for an image, a derived-CT DICOM series
    (one folder per input series) for DICOM.

    The network is either a user's trained ``run`` (directory or its ``weights.pt``) or ``model``, the
    pretrained weights shipped in the package (:mod:`paperlib.pretrained`): a model name (``"dridsr"``:
    its HU weights for ``scale``) or a pretrained name (``"dridsr-x2-hu"``); exactly one of the two
    (see :func:`load_upscaler`). ``window`` (a name or ``(width, level)``) defaults to the lung window
    for a run and to the window a shipped model was trained through, the only one it accepts.

    ``fast`` (default ``True``) runs the model on :func:`paperlib.precision.fast_path`
    (channels_last, bf16 autocast where the device supports it, the output layer and all HU
    arithmetic in fp32); ``fast=False`` (CLI ``--fp32``/``--no-fast``) forces fp32. The fast path
    is the default because its HU match fp32: on a real Lung-PET-CT-Dx series at x2 (DRIDSR)
    the per-slice mean |HU(fast) - HU(fp32)| stays under 1 HU (measured by the benchmark's
    volume section, ``bench/results``). ``batch`` slices are run at a time
    (:data:`DEFAULT_BATCH`): peak memory grows with it, throughput hardly does.

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
    from .data.dicom import stderr_report

    report = report or stderr_report
    accept = {"CT"} | {str(m).strip().upper() for m in accept_modalities}
    inp, out = Path(inp), Path(out)
    if not inp.exists():
        raise DataError(f"{inp}: input not found")
    net, name, scale, sha, window = load_upscaler(run, model, scale, window, device)
    if inp.is_file() and inp.suffix.lower() in (".png", ".jpg", ".jpeg"):
        dst = out if out.suffix.lower() == ".png" else out / f"{inp.stem}_x{scale}.png"
        return [upscale_png(net, inp, dst, scale, device, overwrite)]
    sr = {"window": window, "device": device, "fast": fast, "consistency": consistency}
    if inp.is_file():
        _note_domain(model, scale, [(inp, inp)], report)
        return [_upscale_dicom_file(net, inp, out, scale, name, sha, accept, overwrite, sr)]
    targets = _series_targets(inp, out, scale, accept, skip_invalid, report, overwrite)
    _note_domain(model, scale, [(s.files[0].parent, s.files[0]) for s, _ in targets], report)
    written = []
    for s, sub in targets:
        written += upscale_series(
            net,
            s,
            sub,
            scale,
            name,
            sha,
            batch=batch,
            progress=progress,
            overwrite=overwrite,
            allow_non_ct=s.modality.strip().upper() != "CT",
            **sr,
        )
    return written


def _note_domain(model, scale: int, inputs, report) -> None:
    """One ``report`` line per input (``(where, first DICOM file)``) whose header lies outside what the shipped
    weights ``model`` were trained on (:func:`paperlib.pretrained.domain.domain_note`); nothing for a user's run,
    whose training data has no card."""
    if model is None:
        return
    import pydicom

    from .pretrained import read_card, resolve
    from .pretrained.domain import domain_note

    card = read_card(resolve(model, scale).name)
    for where, f in inputs:
        note = domain_note(str(where), card, pydicom.dcmread(f, stop_before_pixels=True))
        if note:
            report(note)


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
    from .pretrained import load_pretrained, upscale_window

    net, card, sha = load_pretrained(model, scale, device)
    return net, f"{card['model']} ({card['name']})", card["scale"], sha, upscale_window(card, window)


def _upscale_dicom_file(
    model, inp: Path, out: Path, scale: int, name: str, sha: str, accept: set, overwrite: bool, sr: dict
) -> Path:
    """One DICOM slice -> one derived DICOM file (``sr``: :func:`sr_hu_batch`'s keyword arguments)."""
    from .data.dicom import non_image_kind, read_dicom_header, read_dicom_hu
    from .dicom_export import write_sr_slice

    header = read_dicom_header(inp)
    kind = non_image_kind(header)
    if kind is not None:
        raise DataError(f"{inp}: a non-image DICOM object ({kind}); there is no image to super-resolve")
    modality = str(header.get("Modality", "") or "").strip().upper()
    if modality not in accept:
        raise _refuse_modality(f"{inp}: this DICOM file", [modality])
    hu, ds = read_dicom_hu(inp, allow_non_ct=modality != "CT")
    out_hu = sr_hu_batch(model, hu[None], scale, **sr)[0]
    del ds.PixelData
    dst = out if out.suffix.lower() == ".dcm" else out / f"{inp.stem}_SR_x{scale}.dcm"
    return write_sr_slice(out_hu, ds, dst, scale, name, sha, overwrite=overwrite)


def _series_targets(inp: Path, out: Path, scale: int, accept: set, skip_invalid: bool, report, overwrite: bool) -> list:
    """``[(series, output folder)]`` for every accepted, fully decodable series under ``inp``.

    Refuses (DataError) other modalities, a folder without CT series and, unless ``overwrite``,
    any output file that exists already -- all before anything is written.
    """
    from .data.dicom import find_series, validate_series

    series = find_series(inp, modality=None, skip_invalid=skip_invalid, report=report)
    refused = [s for s in series if s.modality.strip().upper() not in accept]
    if len(refused) == 1:
        raise _refuse_modality(
            f"{refused[0].files[0].parent}: a series of {refused[0].n_slices} DICOM file(s)", [refused[0].modality]
        )
    if refused:
        raise _refuse_modality(
            f"{inp}: {len(refused)} series (the first in {refused[0].files[0].parent})", [s.modality for s in refused]
        )
    checked = []
    for s in series:  # decode every slice once: nothing is written if one is bad
        s = validate_series(
            s, allow_non_ct=s.modality.strip().upper() != "CT", skip_invalid=skip_invalid, report=report
        )
        if s is not None:
            checked.append(s)
    if not checked:
        raise DataError(f"{inp}: no CT DICOM series found")
    targets = [(s, out / f"{s.patient_id}_{s.series_number or ''}_{s.uid[-12:]}_SRx{scale}") for s in checked]
    if not overwrite:
        _refuse_existing(targets, scale)
    return targets


def _refuse_existing(targets, scale: int) -> None:
    from .dicom_export import sr_file_name

    for s, sub in targets:
        for i in range(s.n_slices):
            if (sub / sr_file_name(scale, i)).exists():
                raise DataError(
                    f"{sub / sr_file_name(scale, i)}: already exists; pass --overwrite "
                    f"(overwrite=True) to replace the SR series in {sub}"
                )


def _refuse_modality(where: str, modalities) -> DataError:
    """The one-line error for input whose Modality is not CT, naming the flag that accepts it."""
    mods = sorted({str(m or "").strip().upper() for m in modalities})
    named = ", ".join(repr(m) if m else "no Modality" for m in mods)
    acceptable = [m for m in mods if m]
    how = (
        f"pass {' '.join('--accept-modality ' + m for m in acceptable)} (accept_modalities={acceptable!r}) "
        f"to super-resolve it anyway"
        if acceptable
        else "an image without a Modality cannot be accepted"
    )
    return DataError(
        f"{where} has modality {named}, not CT (Hounsfield units, and the models' training, are CT-only); {how}"
    )
