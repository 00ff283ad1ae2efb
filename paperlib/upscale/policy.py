"""The DICOM input policy of ``upscale``: which series are accepted, refused or noted, all before anything is
written (details of the reading side in :mod:`paperlib.data.dicom`)."""

from __future__ import annotations

from pathlib import Path

from ..errors import DataError


def series_targets(inp: Path, out: Path, scale: int, accept: set, skip_invalid: bool, report, overwrite: bool) -> list:
    """``[(series, output folder)]`` for every accepted, fully decodable series under ``inp``.

    Refuses (DataError) other modalities, a folder without CT series and, unless ``overwrite``,
    any output file that exists already -- all before anything is written.
    """
    from ..data.dicom import find_series, validate_series

    series = find_series(inp, modality=None, skip_invalid=skip_invalid, report=report)
    refused = [s for s in series if s.modality.strip().upper() not in accept]
    if len(refused) == 1:
        raise refuse_modality(
            f"{refused[0].files[0].parent}: a series of {refused[0].n_slices} DICOM file(s)", [refused[0].modality]
        )
    if refused:
        raise refuse_modality(
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
        refuse_existing(targets, scale)
    return targets


def refuse_existing(targets, scale: int) -> None:
    from ..data.dicom_write import sr_file_name

    for s, sub in targets:
        for i in range(s.n_slices):
            if (sub / sr_file_name(scale, i)).exists():
                raise DataError(
                    f"{sub / sr_file_name(scale, i)}: already exists; pass --overwrite "
                    f"(overwrite=True) to replace the SR series in {sub}"
                )


def refuse_modality(where: str, modalities) -> DataError:
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


def note_domain(model, scale: int, inputs, report) -> None:
    """One ``report`` line per input (``(where, first DICOM file)``) whose header lies outside what the shipped
    weights ``model`` were trained on (:func:`paperlib.pretrained.domain.domain_note`); nothing for a user's run,
    whose training data has no card."""
    if model is None:
        return
    import pydicom

    from ..pretrained import read_card, resolve
    from ..pretrained.domain import domain_note

    card = read_card(resolve(model, scale).name)
    for where, f in inputs:
        note = domain_note(str(where), card, pydicom.dcmread(f, stop_before_pixels=True))
        if note:
            report(note)
