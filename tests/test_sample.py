"""The embedded TCIA CT sample: integrity, attribution, the ``sample`` source, and the smoke fallback
on a fresh machine (no data root, no caches)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from paperlib.data import sample
from paperlib.errors import DatasetNotFoundError

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def fresh_machine(tmp_path, monkeypatch):
    """Environment of a machine without ../shared: empty data root, empty cache, runs and figures folders."""
    env = {
        "PAPERLIB_DATA": tmp_path / "data",
        "PAPERLIB_CACHE": tmp_path / "cache",
        "PAPERLIB_RUNS": tmp_path / "runs",
        "PAPERLIB_FIGURES": tmp_path / "figures",
    }
    for k, v in env.items():
        v.mkdir()
        monkeypatch.setenv(k, str(v))
    return env


def test_sample_sha256_and_pixels_match_its_json():
    meta = sample.sample_meta()
    raw = (sample.HERE / sample.NPZ_NAME).read_bytes()
    assert hashlib.sha256(raw).hexdigest() == meta["sha256"]
    assert len(raw) < 5_000_000  # a few MB in the repository
    _, hu, ids = sample.load_sample()
    assert hu.dtype == np.int16 and hu.shape == (len(meta["slices"]), 512, 512)
    for img, rec in zip(hu, meta["slices"]):
        assert hashlib.sha256(img.tobytes()).hexdigest() == rec["pixels_sha256"]
    assert ids == [r["id"] for r in meta["slices"]]
    assert -1100 < hu.min() and hu.max() <= 3072  # HU, not raw stored values


def test_every_slice_is_attributed_to_a_cc_by_tcia_collection():
    meta = sample.sample_meta()
    readme = (sample.HERE / sample.README_NAME).read_text()
    assert set(meta["collections"]) == {"Lung-PET-CT-Dx", "TCGA-LUAD"}
    for rec in meta["slices"]:
        coll = sample.COLLECTIONS[rec["collection"]]
        assert rec["license"].startswith("CC BY ") and rec["doi"] == coll["doi"]
        assert rec["source"] and len(rec["source_sha256"]) == 64
        assert rec["id"] in readme and rec["source"] in readme
        assert not rec["source"].startswith(("covid-ct", "deeplesion"))  # never redistributed
    for c in sample.COLLECTIONS.values():
        assert c["doi"] in readme and c["license"] in readme
    assert "10.1007/s10278-013-9622-7" in readme and "10.1007/s10278-013-9622-7" in sample.attribution()


def test_sample_source_is_hu_with_a_patient_split_and_the_lung_window():
    from paperlib.data.sources import load_source, source_names

    assert "sample" in source_names()
    d = load_source("sample")
    assert d.train_patches.dtype == np.int16 and d.train_patches.shape[1:] == (256, 256)
    assert d.intensity.kind == "hu" and d.intensity.window_name == "lung"
    assert d.manifest["dataset"] == sample.DATASET and d.manifest["attribution"] == sample.attribution()
    assert d.manifest["n_train_images"] + d.manifest["n_val"] + d.manifest["n_test"] == 16
    patients = {s: {lab for _, lab, _ in d.images(s)} for s in ("val", "test")}
    train = {r["patient"] for r in sample.sample_meta()["slices"] if r["split"] == "train"}
    assert patients["val"] and patients["test"]
    assert not (patients["val"] & patients["test"]) and not (train & (patients["val"] | patients["test"]))
    assert load_source("sample", window="ct12").intensity.window_name == "ct12"


def test_smoke_falls_back_to_the_sample_on_a_fresh_machine(fresh_machine, capsys):
    from paperlib.experiments.dridsr import tables as ex

    d = ex.load_data(progress=False, profile="smoke")
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "COVID-CT not found" in err and "embedded TCIA CT sample" in err
    assert d.manifest["dataset"] == sample.DATASET
    assert "COVID-CT not found" in d.manifest["stand_in"] and sample.attribution() in d.manifest["stand_in"]
    assert not list(fresh_machine["PAPERLIB_CACHE"].iterdir())  # nothing prepared, nothing written
    for profile in ("quick", "paper", None):
        with pytest.raises(DatasetNotFoundError, match="COVID-CT not found"):
            ex.load_data(progress=False, profile=profile)


def test_outputs_made_on_the_sample_carry_the_attribution(fresh_machine):
    import matplotlib.pyplot as plt
    import pandas as pd

    from paperlib import results
    from paperlib.experiments.dridsr import tables as ex

    d = ex.load_data(progress=False, profile="smoke")
    md = results.save_table(pd.DataFrame({"a": [1.0]}), "t", "dridsr", "smoke", {"data": d.manifest})
    assert "made on the embedded TCIA CT sample (CC BY), standing in for COVID-CT" in md.read_text()
    assert sample.attribution() in md.read_text()
    assert json.loads(md.with_suffix(".json").read_text())["data"]["stand_in"] == d.manifest["stand_in"]
    fig = plt.figure()
    results.save_figure(fig, "f", "dridsr", "smoke", {"data": d.manifest})
    assert any(sample.attribution() in t.get_text() for t in fig.texts)
    plt.close(fig)
    other = results.save_table(pd.DataFrame({"a": [1.0]}), "u", "dridsr", "smoke", {"data": {"dataset": "COVID-CT"}})
    assert "TCIA" not in other.read_text()
    maps = ex.edge_maps(d.test[:1], d)  # Fig 5 on HU: shown through the lung window as 8-bit
    assert next(iter(maps.values()))["image"].dtype == np.uint8


def test_build_sample_is_reproducible(tmp_path):
    from paperlib.config import data_root

    root = data_root()
    if not ((root / "lung-pet-ct-dx").is_dir() and (root / "tcga-ct-sample").is_dir()):
        pytest.skip(f"Lung-PET-CT-Dx / TCGA sample not found under {root} (set PAPERLIB_DATA)")
    sample.build_sample(root, tmp_path)
    for name in (sample.JSON_NAME, sample.README_NAME):
        assert (tmp_path / name).read_text() == (sample.HERE / name).read_text()
    assert (tmp_path / sample.NPZ_NAME).read_bytes() == (sample.HERE / sample.NPZ_NAME).read_bytes()


def test_dridsr_notebook_runs_on_the_sample_without_data(fresh_machine):
    """nbval of DRIDSR notebook 01 (Fig 5) in a subprocess whose environment has no data at all."""
    env = os.environ | {k: str(v) for k, v in fresh_machine.items()}
    nb = REPO / "notebooks" / "dridsr" / "01_fig5_sobel_vs_canny.ipynb"
    r = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval-lax", "--nbval-current-env", str(nb)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    out = fresh_machine["PAPERLIB_FIGURES"] / "dridsr" / "smoke"
    assert "stand_in" in json.loads((out / "fig5_sobel_vs_canny.json").read_text())["data"]
