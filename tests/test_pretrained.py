"""Shipped pretrained weights (paperlib.pretrained): the builder's card, the checks on loading, the CLI.

A tiny DRIDSR is built on the embedded CT sample (2 iterations, 2 test slices) into tmp, with the
registry pointed at it; nothing here reads or writes the package's own weights folder, except
:func:`test_shipped_weights_load`, which checks whatever the package ships.
"""

from __future__ import annotations

import fnmatch
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import tomllib
import torch

import paperlib.pretrained as P
from paperlib import models
from paperlib.cli import main
from paperlib.errors import CheckpointError, DataError, UnknownNameError
from paperlib.hashing import sha256_file

REGISTERED, PACKAGE_DIR = dict(P.SPECS), P.WEIGHTS_DIR  # the real registry (the fixtures patch it)
TINY = dict(n_feats=8, n_resblocks=2, distill_channels=4, merge_channels=4)
NAME = "tiny-x2-hu"
SPECS = {
    NAME: P.Spec(
        NAME,
        "dridsr",
        2,
        ("sample",),
        "lung",
        iterations=2,
        options=TINY,
        tests=(("sample", "test", 2),),
        summary="test entry",
    ),
    "tiny-x3-hu": P.Spec("tiny-x3-hu", "dridsr", 3, ("sample",), "lung", iterations=2, options=TINY),
}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The tiny entry built into tmp (registry pointed at it for the module); returns its folder."""
    from paperlib.pretrained.build import build

    out, runs = tmp_path_factory.mktemp("weights"), tmp_path_factory.mktemp("runs")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(P, "SPECS", SPECS)
        lines = []
        build([NAME], out=out, runs=runs, progress=False, report=lines.append)
        assert len(lines) == 1 and NAME in lines[0]
        mp.setattr(P, "WEIGHTS_DIR", out)
        yield out


@pytest.fixture
def copy(built, tmp_path, monkeypatch):
    """A copy of the built folder that the registry points at (to corrupt freely)."""
    dst = tmp_path / "weights"
    shutil.copytree(built, dst)
    monkeypatch.setattr(P, "WEIGHTS_DIR", dst)
    return dst


@pytest.fixture
def png(tmp_path):
    from PIL import Image

    p = tmp_path / "in.png"
    Image.fromarray((np.arange(32 * 32).reshape(32, 32) % 251).astype(np.uint8)).save(p)
    return p


def test_card_has_the_facts_and_the_weights_hash(built):
    card = json.loads((built / f"{NAME}.json").read_text())
    assert card["sha256"] == sha256_file(built / f"{NAME}.pt") and card["file"] == f"{NAME}.pt"
    assert (card["model"], card["scale"], card["options"]) == ("dridsr", 2, TINY)
    assert card["parameters"] == models.count_parameters(models.create("dridsr", scale=2, **TINY))
    assert card["intensity"]["window"] == [1500.0, -600.0] and card["intensity"]["window_name"] == "lung"
    tr = card["training"]
    assert tr["data"] == ["sample"] and tr["iterations"] == 2 and tr["profile"] == "quick"
    assert set(tr["split"]) == {"train", "val", "test"} and tr["split"]["test"]["patients"] == ["Lung_Dx-A0002"]
    assert not set(tr["split"]["train"]["patients"]) & set(tr["split"]["test"]["patients"])
    assert {"bf16_autocast", "summary"} <= set(tr["precision"]) and tr["hardware"]["cpu"] and tr["git_commit"]
    (ev,) = card["evaluation"]
    assert ev["n_images"] == 2 and np.isfinite([ev["psnr"], ev["ssim"], ev["bicubic_psnr"]]).all()
    assert "W1500/L-600" in ev["protocol"] and ev["labels"] == ["Lung_Dx-A0002"]
    assert card["built"]["date"] and card["built"]["git_commit"]
    assert card["data_terms"][0]["license"] and "not for diagnosis" in card["intended_use"]
    md = (built / f"{NAME}.md").read_text()
    assert card["sha256"] in md and "CC BY" in md and "Held-out evaluation" in md
    assert NAME in (built / "README.md").read_text()


def test_load_and_the_trained_window(built):
    net, card, sha = P.load_pretrained(NAME, scale=2)
    assert sha == card["sha256"] and not net.training
    assert P.upscale_window(card) == (1500.0, -600.0) == P.upscale_window(card, "lung")
    with pytest.raises(DataError, match=f"{NAME} was trained through the HU window W1500/L-600"):
        P.upscale_window(card, "ct12")
    assert P.resolve("dridsr", 2) is SPECS[NAME]


def test_sha_mismatch_is_refused(copy, png, tmp_path, capsys):
    w = copy / f"{NAME}.pt"
    data = bytearray(w.read_bytes())
    data[len(data) // 2] ^= 0xFF
    w.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match=rf"{NAME}\.pt: sha256 .* does not match"):
        P.load_pretrained(NAME)
    out = tmp_path / "out"
    assert main(["upscale", str(png), str(out), "--model", NAME, "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and f"{NAME}.pt" in err and "sha256" in err
    assert not out.exists()


def test_scale_mismatch_is_refused(copy, png, tmp_path, capsys):
    with pytest.raises(CheckpointError, match="is for x2, but x3 was requested"):
        P.load_pretrained(NAME, scale=3)
    with pytest.raises(UnknownNameError, match=f"no pretrained dridsr x4 .*shipped: {NAME}"):
        P.load_pretrained("dridsr", scale=4)
    # x3 weights under the x2 name, with a card that vouches for them: the shapes give them away
    w, card_file = copy / f"{NAME}.pt", copy / f"{NAME}.json"
    torch.save(models.create("dridsr", scale=3, **TINY).state_dict(), w)
    card = json.loads(card_file.read_text()) | {"sha256": sha256_file(w)}
    card_file.write_text(json.dumps(card))
    with pytest.raises(CheckpointError, match=rf"{NAME}\.pt: weights do not fit dridsr x2"):
        P.load_pretrained(NAME)
    card_file.write_text(json.dumps(card | {"scale": 3}))  # a card for another scale than the registry's
    with pytest.raises(CheckpointError, match="card says .* registry says"):
        P.load_pretrained(NAME)
    out = tmp_path / "out"
    assert main(["upscale", str(png), str(out), "--model", NAME, "--scale", "3", "--quiet"]) == 2
    assert "is for x2, but x3" in capsys.readouterr().err and not out.exists()


def test_model_and_run_are_mutually_exclusive(built, png, tmp_path):
    from paperlib.upscale import upscale

    out = tmp_path / "out"
    for args in (["--model", NAME, "--run", str(tmp_path)], []):
        with pytest.raises(SystemExit) as e:
            main(["upscale", str(png), str(out), *args])
        assert e.value.code == 2
    with pytest.raises(DataError, match="exactly one of run= .* and model="):
        upscale(png, out, run=tmp_path, model=NAME)
    assert not out.exists()


def test_missing_pretrained_lists_what_ships(built, png, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["upscale", str(png), str(out), "--model", "edsr", "--scale", "2", "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "no pretrained edsr x2" in err and f"shipped: {NAME}" in err
    assert main(["upscale", str(png), str(out), "--model", "tiny-x3-hu", "--quiet"]) == 2
    assert "registered but not built" in capsys.readouterr().err and not out.exists()


def test_upscale_with_shipped_weights(built, png, tmp_path):
    out = tmp_path / "out"
    assert main(["upscale", str(png), str(out), "--model", "dridsr", "--scale", "2", "--fp32", "--quiet"]) == 0
    import torch
    from PIL import Image

    got = np.asarray(Image.open(out / "in_x2.png"), np.int16)
    net, _, _ = P.load_pretrained("dridsr", scale=2)  # what --model dridsr --scale 2 resolves to
    with torch.inference_mode():
        sr = net(torch.from_numpy(np.asarray(Image.open(png), np.float32) / 255)[None, None])[0, 0].numpy()
    want = np.round(np.clip(sr, 0, 1) * 255).astype(np.int16)
    assert got.shape == (64, 64) == want.shape and np.abs(got - want).max() <= 1


def test_upscale_dicom_with_shipped_weights(built, shared_data, tmp_path):
    import pydicom

    src = sorted((shared_data / "lung-pet-ct-dx").rglob("*.dcm"))[0]
    out = tmp_path / "out"
    assert main(["upscale", str(src), str(out), "--model", NAME, "--fp32", "--quiet"]) == 0
    (f,) = list(out.iterdir())
    ds = pydicom.dcmread(f)
    card = P.read_card(NAME)
    assert card["sha256"] in ds.DerivationDescription and NAME in ds.SeriesDescription
    assert ds.Rows == 2 * pydicom.dcmread(src, stop_before_pixels=True).Rows
    # the written HU are the shipped net's, through the window it was trained on, rounded to whole HU
    from paperlib.data.dicom import read_dicom_hu
    from paperlib.upscale import sr_hu_batch

    net, card, _ = P.load_pretrained(NAME)
    want = sr_hu_batch(net, read_dicom_hu(src)[0][None], 2, window=P.upscale_window(card, None))[0]
    got = ds.pixel_array.astype(np.float64) * float(ds.RescaleSlope) + float(ds.RescaleIntercept)
    assert got.shape == want.shape and np.abs(got - want).max() <= 0.5 + 1e-3


def test_upscale_notes_input_outside_the_training_domain(built, shared_data, tmp_path, capsys):
    import pydicom

    from paperlib.pretrained.domain import header_facts

    src = sorted((shared_data / "lung-pet-ct-dx").rglob("*.dcm"))[0]
    facts = header_facts(pydicom.dcmread(src, stop_before_pixels=True))
    path, saved = P.card_path(NAME), P.card_path(NAME).read_text()
    card = json.loads(saved)
    assert "domain" not in card  # trained on the embedded sample: no DICOM header to read
    assert facts["body_part"] == "UNRECORDED"  # this series does not say: no claim is made about it
    card["domain"] = {"sources": ["t"], "n_slices": 1, "modality": ["MR"], "body_part": ["HEAD"],
                      "pixel_spacing_mm": [0.1, 0.2], "slice_thickness_mm": None}  # fmt: skip
    try:
        path.write_text(json.dumps(card))
        assert main(["upscale", str(src), str(tmp_path / "o"), "--model", NAME, "--fp32", "--quiet"]) == 0
    finally:
        path.write_text(saved)
    notes = [line for line in capsys.readouterr().err.splitlines() if "outside what" in line]
    assert notes == [
        f"paperlib: note: {src}: outside what {NAME} was trained on: modality 'CT' (trained: MR); "
        f"pixel spacing {facts['pixel_spacing_mm']:g} mm (trained: 0.1-0.2 mm)"
    ]


def test_outside_names_each_field_and_nothing_inside():
    from paperlib.pretrained.domain import outside

    dom = {"modality": ["CT"], "body_part": ["CHEST"], "pixel_spacing_mm": [0.5, 1.0], "slice_thickness_mm": [1, 5]}
    inside = {"modality": "CT", "body_part": "CHEST", "pixel_spacing_mm": 0.5, "slice_thickness_mm": 5.0}
    assert outside(dom, inside) == []
    assert outside(dom, inside | {"body_part": "UNRECORDED", "pixel_spacing_mm": None}) == []  # unknown: no claim
    far = outside(dom, {"modality": "MR", "body_part": "HEAD", "pixel_spacing_mm": 0.3, "slice_thickness_mm": 0.6})
    assert far == [
        "modality 'MR' (trained: CT)",
        "body part 'HEAD' (trained: CHEST)",
        "pixel spacing 0.3 mm (trained: 0.5-1 mm)",
        "slice thickness 0.6 mm (trained: 1-5 mm)",
    ]


def test_shipped_hu_cards_record_their_training_domain():
    for name, spec in REGISTERED.items():
        card = json.loads((PACKAGE_DIR / f"{name}.json").read_text())
        if spec.kind == "hu":
            d = card["domain"]
            assert d["modality"] == ["CT"] and "CHEST" in d["body_part"] and d["n_slices"] > 0
            assert 0 < d["pixel_spacing_mm"][0] <= d["pixel_spacing_mm"][1] < 2
        else:
            assert "domain" not in card


def test_models_pretrained_lists_the_entries(built, capsys):
    assert main(["models", "--pretrained"]) == 0
    text = capsys.readouterr().out
    sha = P.read_card(NAME)["sha256"][:12]
    row = next(line for line in text.splitlines() if line.strip().startswith(NAME))
    assert sha in row and "shipped" in row and " 2 " in row
    assert "tiny-x3-hu" in text and "not built" in text


def test_registry_entries_are_valid():
    from paperlib.data.hu import _resolve
    from paperlib.data.sources import source_names

    assert {(s.model, s.scale, s.kind) for s in REGISTERED.values()} >= {
        ("dridsr", 2, "hu"),
        ("dridsr", 3, "hu"),
        ("dridsr", 4, "hu"),
        ("dridsr", 3, "u8"),
        ("dridsr", 4, "u8"),
    }
    for s in REGISTERED.values():
        assert s.scale in models.model_info(s.model).scales
        assert set(s.data) | {t[0] for t in s.tests} <= set(source_names()) and s.tests
        assert s.window is None or _resolve(s.window)
        assert s.overrides(100)["iterations"] == 100


def test_shipped_weights_load(monkeypatch):
    """Whatever the package ships loads with every check (hash, card, scale)."""
    monkeypatch.setattr(P, "SPECS", REGISTERED)
    for name in P.shipped(PACKAGE_DIR):
        net, card, _ = P.load_pretrained(name, folder=PACKAGE_DIR)
        assert card["scale"] == REGISTERED[name].scale


def test_package_data_includes_the_pretrained_files():
    conf = tomllib.loads((Path(__file__).resolve().parent.parent / "pyproject.toml").read_text())
    globs = conf["tool"]["setuptools"]["package-data"]["paperlib.pretrained"]
    for f in ("weights/dridsr-x2-hu.pt", "weights/dridsr-x2-hu.json", "weights/dridsr-x2-hu.md"):
        assert any(fnmatch.fnmatch(f, g) for g in globs), f


def test_each_shipped_card_was_trained_for_its_registry_length():
    """The registry's iterations are what a plain ``build`` trains; a card trained for another length means the
    shipped weights and the registry disagree (one was changed without the other)."""
    for name in P.shipped(PACKAGE_DIR):
        card = json.loads((PACKAGE_DIR / f"{name}.json").read_text())
        assert card["training"]["iterations"] == REGISTERED[name].iterations, name
