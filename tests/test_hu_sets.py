"""HU set registry and deterministic patient-level splits."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from paperlib.config import REPO_ROOT, data_root
from paperlib.data.hu_sets import HU_SETS, SliceRef, hu_dataset, load_hu, patient_split
from paperlib.data.splits import SPLITS
from paperlib.errors import DatasetNotFoundError, UnknownNameError

ROOT = data_root()
needs_data = pytest.mark.skipif(
    not (ROOT / "tcga-ct-sample").is_dir(), reason=f"shared CT data not found under {ROOT} (set PAPERLIB_DATA)"
)


def test_patient_split_deterministic_and_disjoint():
    ids = [f"P{i:03d}" for i in range(57)]
    a = patient_split(ids, seed=0)
    assert a == patient_split(list(reversed(ids)) + ids[:5], seed=0)
    assert [len(a[k]) for k in SPLITS] == [45, 6, 6]  # 45.6/5.7/5.7 by largest remainder
    assert sorted(sum(a.values(), [])) == ids
    assert patient_split(ids, seed=1) != a
    # stable across Python processes (no hash() randomisation)
    code = (
        "from paperlib.data.hu_sets import patient_split;"
        "print(patient_split([f'P{i:03d}' for i in range(57)], seed=0)['test'])"
    )
    env = {**os.environ, "PYTHONHASHSEED": "123"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env, cwd=str(REPO_ROOT)
    )
    assert out.stdout.strip() == str(a["test"])


def test_patient_split_small_and_zero_fractions():
    s = patient_split(["a", "b", "c"], (0.8, 0.1, 0.1))
    assert all(len(s[k]) == 1 for k in SPLITS)
    s = patient_split(["a", "b", "c", "d"], (0.0, 0.0, 1.0))
    assert s["test"] == ["a", "b", "c", "d"] and not s["train"]
    with pytest.raises(ValueError):
        patient_split(["a"], (0, 0, 0))


def test_unknown_name():
    with pytest.raises(UnknownNameError, match="tcga"):
        hu_dataset("nsclc", "test")
    with pytest.raises(UnknownNameError, match="train"):
        hu_dataset("tcga", "testing")


def test_missing_dataset_folder(tmp_path):
    with pytest.raises(DatasetNotFoundError) as exc:
        hu_dataset("lung_pet_ct_dx", "test", root=tmp_path)
    msg = str(exc.value)
    assert "lung_pet_ct_dx" in msg and str(tmp_path) in msg and "10.7937/TCIA.2020.NNC20461" in msg
    with pytest.raises(DatasetNotFoundError, match="nihcc.app.box.com"):
        hu_dataset("deeplesion", "test", root=tmp_path)


@needs_data
def test_real_sets_splits():
    counts = {}
    for name in HU_SETS:
        parts = {sp: hu_dataset(name, sp) for sp in SPLITS}
        pats = {sp: {r.patient_id for r in refs} for sp, refs in parts.items()}
        assert (
            not (pats["train"] & pats["val"])
            and not (pats["train"] & pats["test"])
            and not (pats["val"] & pats["test"])
        )
        allrefs = hu_dataset(name, "all")
        assert sum(len(v) for v in parts.values()) == len(allrefs)
        assert parts == {sp: hu_dataset(name, sp) for sp in SPLITS}  # deterministic
        counts[name] = {sp: len(v) for sp, v in parts.items()}
    assert counts["deeplesion"] == {"train": 0, "val": 0, "test": 22}
    assert counts["lung_pet_ct_dx"] == {"train": 0, "val": 0, "test": 188}
    assert sum(counts["tcga"].values()) == 95  # 100 files, 5 exact duplicates (same SOPInstanceUID)
    assert all(counts["tcga"][sp] > 0 for sp in SPLITS)
    assert sum(counts["covid19_ny_sbu"].values()) == 20  # axial only: 10 patients x 2 dates


@needs_data
def test_load_hu_refs():
    for name in ("deeplesion", "tcga"):
        ref = hu_dataset(name, "all")[0]
        assert isinstance(ref, SliceRef)
        hu = load_hu(ref)
        assert hu.dtype == np.float32 and hu.ndim == 2 and hu.min() < -900
    tcga = hu_dataset("tcga", "all")
    assert all(r.patient_id.startswith("TCGA-") for r in tcga)


def test_deeplesion_with_dl_info_csv(tmp_path):
    """With DL_info.csv the official Train_Val_Test split and DICOM_windows are used, series by series."""
    from PIL import Image

    from paperlib.data.deeplesion import DeepLesion

    root = tmp_path / "deeplesion"
    rows = []
    for folder, code in (("000001_01_01", 1), ("000002_01_01", 3), ("000003_02_01", 2)):
        d = root / "Images_png" / folder
        d.mkdir(parents=True)
        for sl in (9, 10, 11):  # key slice 10 plus context slices
            Image.fromarray(np.full((8, 8), 32768 - 1000, np.uint16)).save(d / f"{sl:03d}.png")
        rows.append(f'{folder}_010.png,{int(folder[:6])},{code},"-175, 275"')
    (root / "DL_info.csv").write_text("File_name,Patient_index,Train_Val_Test,DICOM_windows\n" + "\n".join(rows) + "\n")
    dl = DeepLesion(root)
    assert dl.has_info
    assert [s.series for s in dl.slices("train")] == ["000001_01_01"] * 3
    assert [s.path.name for s in dl.slices("train")] == ["009.png", "010.png", "011.png"]
    assert {s.series for s in dl.slices("test")} == {"000002_01_01"}
    assert {s.series for s in dl.slices("val")} == {"000003_02_01"}
    assert dl.slices("test")[0].window == (450.0, 50.0) and dl.slices("test")[0].patient_id == "2"
    assert float(dl.load(0)[0, 0]) == -1000.0
    refs = hu_dataset("deeplesion", "test", root=tmp_path)
    assert len(refs) == 3 and refs[0].kind == "deeplesion_png"


def test_spaced_takes_exactly_n_including_both_ends():
    from paperlib.data.splits import spaced

    assert spaced(list(range(188)), 12) == list(range(0, 188, 17))  # 187 = 11 x 17: exact steps
    # 21/11 steps of 1.909..., rounded: 0 1.91 3.82 5.73 7.64 9.55 11.45 13.36 15.27 17.18 19.09 21
    assert spaced(list(range(22)), 12) == [0, 2, 4, 6, 8, 10, 11, 13, 15, 17, 19, 21]
    assert spaced(list(range(5)), 12) == list(range(5)) and spaced(list(range(5)), None) == list(range(5))
    with pytest.raises(ValueError):
        spaced(list(range(5)), 0)
