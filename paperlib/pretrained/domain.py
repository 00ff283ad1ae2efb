"""What a shipped checkpoint was trained on, read from its training slices' DICOM headers, and the check
``upscale`` makes against it.

A card's ``domain`` (:func:`training_domain`) lists the Modality and BodyPartExamined values of the training
slices, and the range of their pixel spacing and slice thickness. :func:`outside` compares one input header
with it and returns what lies outside, so that ``upscale`` can say so in one line before it writes anything
(a note, not a refusal: a chest model on a head scan still runs, but the user should know what the weights
never saw).
"""

from __future__ import annotations

import json

#: Header fields of the domain, in the order the note names them.
FIELDS = ("modality", "body_part", "pixel_spacing_mm", "slice_thickness_mm")


def _norm(v) -> str:
    return str(v or "").strip().upper() or "UNRECORDED"


def header_facts(ds) -> dict:
    """``{modality, body_part, pixel_spacing_mm, slice_thickness_mm}`` of one DICOM header (``None`` if absent)."""
    ps = getattr(ds, "PixelSpacing", None)
    st = getattr(ds, "SliceThickness", None)
    return {
        "modality": _norm(getattr(ds, "Modality", "")),
        "body_part": _norm(getattr(ds, "BodyPartExamined", "")),
        "pixel_spacing_mm": float(ps[0]) if ps else None,
        "slice_thickness_mm": float(st) if st not in (None, "") else None,
    }


def training_domain(sources, root=None, seed: int = 0) -> dict | None:
    """The domain of the training slices of HU ``sources`` (their ``train`` split with ``seed``): the sets of
    Modality and BodyPartExamined, and the [min, max] of pixel spacing and slice thickness (mm). ``None`` when no
    source is a DICOM data set (the embedded sample, 8-bit images): there is no header to read."""
    import pydicom

    from ..data.hu_sets import HU_SETS, hu_dataset

    facts = []
    for src in (s for s in sources if s in HU_SETS):
        for ref in hu_dataset(src, "train", root, seed):
            if ref.kind == "dicom":
                facts.append(header_facts(pydicom.dcmread(ref.path, stop_before_pixels=True)))
    if not facts:
        return None

    def span(key):
        vals = [f[key] for f in facts if f[key] is not None]
        return [min(vals), max(vals)] if vals else None

    return {
        "sources": list(sources),
        "n_slices": len(facts),
        "modality": sorted({f["modality"] for f in facts}),
        "body_part": sorted({f["body_part"] for f in facts}),
        "pixel_spacing_mm": span("pixel_spacing_mm"),
        "slice_thickness_mm": span("slice_thickness_mm"),
    }


def outside(domain: dict, facts: dict) -> list[str]:
    """What of ``facts`` (:func:`header_facts`) lies outside ``domain``, one phrase each (empty: inside)."""
    out = []
    for key in ("modality", "body_part"):
        if facts[key] not in domain[key] and not (key == "body_part" and facts[key] == "UNRECORDED"):
            out.append(f"{key.replace('_', ' ')} {facts[key]!r} (trained: {', '.join(domain[key])})")
    for key in ("pixel_spacing_mm", "slice_thickness_mm"):
        lo_hi, v = domain.get(key), facts[key]
        if lo_hi and v is not None and not lo_hi[0] <= v <= lo_hi[1]:
            out.append(f"{key[:-3].replace('_', ' ')} {v:g} mm (trained: {lo_hi[0]:g}-{lo_hi[1]:g} mm)")
    return out


def domain_note(where: str, card: dict, ds) -> str | None:
    """The one-line note ``upscale`` prints for input ``where`` with header ``ds``, or ``None`` when it is inside
    (or the card records no domain)."""
    dom = card.get("domain")
    if not dom:
        return None
    far = outside(dom, header_facts(ds))
    if not far:
        return None
    return f"note: {where}: outside what {card['name']} was trained on: {'; '.join(far)}"


def update_cards(names=None, root=None, folder=None, report=print) -> list[str]:
    """Add (or refresh) the ``domain`` of the shipped HU cards ``names`` (default: all) from their training data,
    and regenerate their Markdown; the weights and every other card field are left as they are."""
    from ..runs import atomic_write_bytes
    from . import SPECS, card_path, read_card
    from .card import render

    done = []
    for name in names or [n for n, s in SPECS.items() if s.kind == "hu"]:
        spec, card = SPECS[name], read_card(name, folder)
        if card is None or spec.kind != "hu":
            continue
        card["domain"] = training_domain(spec.data, root, spec.seed)
        if card["domain"] is None:
            continue
        path = card_path(name, folder)
        atomic_write_bytes(path.with_suffix(".md"), render(card).encode())
        atomic_write_bytes(path, (json.dumps(card, indent=1) + "\n").encode())
        report(f"{name}: domain from {card['domain']['n_slices']} training slices")
        done.append(name)
    return done
