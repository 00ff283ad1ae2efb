"""The CLI end to end on real data: train (smoke) -> eval -> upscale a real Lung-PET-CT-Dx series -> read back."""

import shutil
import subprocess
import sys

import numpy as np
import pydicom
import pytest

from conftest import needs_bf16
from paperlib.cli import main
from paperlib.data.dicom import find_series


def _cli(*args):
    return main([str(a) for a in args])


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory, shared_data):
    runs = tmp_path_factory.mktemp("runs")
    assert _cli("train", "espcn", "--scale", 2, "--profile", "smoke", "--runs", runs, "--quiet") == 0
    return next(runs.iterdir())


@pytest.fixture(scope="module")
def bicubic_run(tmp_path_factory, shared_data):
    """A x2 bicubic run: bicubic has no parameters, so 'training' it is instant."""
    runs = tmp_path_factory.mktemp("bicubic_runs")
    assert _cli("train", "bicubic", "--scale", 2, "--profile", "smoke", "--runs", runs, "--quiet") == 0
    return next(runs.iterdir())


@pytest.fixture(scope="module")
def small_series(shared_data, tmp_path_factory):
    """The first 4 slices of a real Lung-PET-CT-Dx series (copied to tmp to keep the test fast)."""
    series = min(find_series(shared_data / "lung-pet-ct-dx"), key=lambda s: s.n_slices)
    d = tmp_path_factory.mktemp("series")
    for f in series.files[:4]:
        shutil.copy(f, d / f.name)
    return d, series


def test_eval_writes_per_image_csv(trained_run, capsys):
    assert _cli("eval", trained_run, "--limit", 2, "--no-niqe", "--quiet") == 0
    out = capsys.readouterr().out
    assert "Y (MATLAB rgb2ycbcr" in out and "border crop 2px" in out
    import pandas as pd

    df = pd.read_csv(trained_run / "eval_covid-ct_test.csv")
    assert len(df) == 2 and df["psnr"].notna().all()  # the values: test_eval_psnr_equals_an_independent_computation


def test_eval_psnr_equals_an_independent_computation(bicubic_run, shared_data):
    """``paperlib eval`` of the bicubic run against numpy MATLAB-bicubic + skimage PSNR on MATLAB's Y, by hand."""
    import pandas as pd
    from skimage.metrics import peak_signal_noise_ratio

    from paperlib.data.covid_ct import covid_ct_split
    from paperlib.data.degrade import matlab_imresize
    from paperlib.data.images import read_gray_u8

    assert _cli("eval", bicubic_run, "--limit", 2, "--no-niqe", "--quiet") == 0
    df = pd.read_csv(bicubic_run / "eval_covid-ct_test.csv")
    paths = {r.name: r.path for r in covid_ct_split("test", "paper", 0, root=shared_data)}

    def q8(x):  # stored at 8 bits, as an LR figure and an SR image are
        return np.round(np.clip(x, 0, 1) * 255) / 255

    def y(x):  # MATLAB rgb2ycbcr's Y of a gray image, in [0, 1]
        return (16 + 219 * x) / 255

    assert len(df) == 2
    for row in df.itertuples():
        img = read_gray_u8(paths[row.image]).astype(np.float64) / 255
        hr = img[: img.shape[0] // 2 * 2, : img.shape[1] // 2 * 2]
        sr = q8(matlab_imresize(q8(matlab_imresize(hr, 0.5)), 2.0))
        ref = peak_signal_noise_ratio(y(hr)[2:-2, 2:-2], y(sr)[2:-2, 2:-2], data_range=1.0)
        assert row.psnr == pytest.approx(ref, abs=1e-4)


def test_upscale_real_series_to_derived_dicom(trained_run, small_series, tmp_path):
    from paperlib.upscale import load_run_model, sr_hu_batch

    src_dir, series = small_series
    out = tmp_path / "sr"
    # fp32 so that the written HU can be held against the model run here on one slice (bf16 is tested apart)
    assert _cli("upscale", src_dir, out, "--run", trained_run, "--scale", 2, "--fp32", "--quiet") == 0
    model = load_run_model(trained_run)[0]
    files = sorted(out.rglob("*.dcm"))
    assert len(files) == 4
    srcs = {pydicom.dcmread(f, stop_before_pixels=True).SOPInstanceUID: pydicom.dcmread(f) for f in src_dir.iterdir()}
    for f in files:
        ds = pydicom.dcmread(f)
        ref_uid = ds.SourceImageSequence[0].ReferencedSOPInstanceUID
        src = srcs[ref_uid]
        assert (ds.Rows, ds.Columns) == (src.Rows * 2, src.Columns * 2)
        assert np.allclose([float(v) for v in ds.PixelSpacing], [float(v) / 2 for v in src.PixelSpacing])
        assert ds.StudyInstanceUID == src.StudyInstanceUID and ds.SeriesInstanceUID != src.SeriesInstanceUID
        assert "DERIVED" in list(ds.ImageType)
        hu = ds.pixel_array.astype(np.float32) * float(ds.RescaleSlope) + float(ds.RescaleIntercept)
        src_hu = src.pixel_array.astype(np.float32) * float(src.RescaleSlope) + float(src.RescaleIntercept)
        expect = sr_hu_batch(model, src_hu[None], 2)[0]  # what the folder path must have written, before int16
        assert hu.shape == expect.shape and np.abs(hu - expect).max() <= 0.5 + 1e-3  # rounding to whole HU only
    # a second run without --overwrite refuses and leaves the files intact
    before = files[0].read_bytes()
    assert _cli("upscale", src_dir, out, "--run", trained_run, "--quiet") == 2
    assert files[0].read_bytes() == before


def test_upscale_hu_fidelity_with_bicubic_run(small_series, bicubic_run, tmp_path):
    """Through the window and its inverse, a bicubic 'model' must give MATLAB-bicubic HU (to 1 HU rounding)."""
    from paperlib.data.degrade import matlab_imresize

    src_dir, _ = small_series
    run = bicubic_run
    f = sorted(src_dir.iterdir())[0]
    assert _cli("upscale", f, tmp_path / "one.dcm", "--run", run, "--quiet") == 0
    src, ds = pydicom.dcmread(f), pydicom.dcmread(tmp_path / "one.dcm")
    src_hu = src.pixel_array.astype(np.float64) * float(src.RescaleSlope) + float(src.RescaleIntercept)
    hu = ds.pixel_array.astype(np.float64) * float(ds.RescaleSlope) + float(ds.RescaleIntercept)
    expect = np.clip(np.round(matlab_imresize(src_hu, 2)), -32768 - 1024, 32767 - 1024)
    assert np.abs(hu - expect).max() <= 1.0


@needs_bf16
def test_upscale_fast_path_close_to_fp32(trained_run, small_series):
    from paperlib.data.dicom import read_dicom_hu
    from paperlib.precision import fast_path
    from paperlib.upscale import load_run_model, sr_hu_batch

    src_dir, _ = small_series
    hu = read_dicom_hu(sorted(src_dir.iterdir())[0])[0][None, :128, :128]
    model, _, _ = load_run_model(trained_run)
    assert fast_path(model, "cpu")[1].bf16_autocast  # the fast arm really runs bf16 here
    ref = sr_hu_batch(model, hu, 2)
    fast = sr_hu_batch(model, hu, 2, fast=True)
    assert fast.shape == ref.shape and fast.dtype == np.float32
    diff = np.abs(fast - ref)
    # bf16 features, fp32 output layer and HU arithmetic: under 1 HU per slice on average (upscale's contract),
    # and not identical (identical would mean the bf16 arm did not run)
    assert 0 < diff.mean() < 1.0


def test_upscale_png(bicubic_run, shared_data, tmp_path):
    """The bicubic run's PNG against numpy MATLAB-bicubic of the same figure (an independent implementation)."""
    from PIL import Image

    from paperlib.data.covid_ct import covid_ct_split
    from paperlib.data.degrade import matlab_imresize
    from paperlib.data.images import read_gray_u8

    src = covid_ct_split("test", root=shared_data)[0].path
    assert _cli("upscale", src, tmp_path / "x.png", "--run", bicubic_run) == 0
    got = np.asarray(Image.open(tmp_path / "x.png"), np.int16)
    want = np.round(np.clip(matlab_imresize(read_gray_u8(src) / 255.0, 2.0), 0, 1) * 255).astype(np.int16)
    assert got.shape == want.shape and np.abs(got - want).max() <= 1  # float32 vs float64 at a rounding edge


def test_bad_input_one_line_errors(trained_run, small_series, tmp_path, capsys):
    src_dir, _ = small_series
    assert _cli("train", "nosuchnet", "--profile", "smoke") == 2
    assert "unknown model 'nosuchnet'" in capsys.readouterr().err
    assert _cli("upscale", src_dir, tmp_path / "o", "--run", trained_run, "--scale", 4) == 2
    assert "checkpoint is for x2, but x4 was requested" in capsys.readouterr().err
    bad = tmp_path / "bad.dcm"
    bad.write_bytes(b"\0" * 200)
    assert _cli("upscale", bad, tmp_path / "o2", "--run", trained_run) == 2
    assert "bad.dcm" in capsys.readouterr().err
    assert _cli("upscale", src_dir, tmp_path / "o3", "--run", tmp_path) == 2
    assert "not a paperlib run directory" in capsys.readouterr().err


def test_console_entry_point_runs():
    r = subprocess.run([sys.executable, "-m", "paperlib", "models"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "dridsr" in r.stdout and "523,933" in r.stdout


# ---------------------------------------------------------------- argparse: no abbreviations
def _all_parsers(ap):
    """The parser and every sub-parser below it (argparse keeps them in _SubParsersAction.choices)."""
    import argparse

    todo, seen = [ap], []
    while todo:
        p = todo.pop()
        seen.append(p)
        for a in p._actions:
            if isinstance(a, argparse._SubParsersAction):
                todo.extend(a.choices.values())
    return seen


def test_abbreviated_long_options_are_refused(capsys):
    """`--data-r X` used to be taken as `--data-root X` by prefix matching (a run trained on the wrong data)."""
    from paperlib.cli import build_parser

    parsers = _all_parsers(build_parser())
    assert len(parsers) >= 7 and all(p.allow_abbrev is False for p in parsers), [
        p.prog for p in parsers if p.allow_abbrev
    ]
    for argv, prefix in (
        (["train", "edsr", "--data-r", "X"], "--data-r"),
        (["train", "edsr", "--iter", "5"], "--iter"),
        (["eval", "runs/x", "--no-n"], "--no-n"),
        (["upscale", "a", "b", "--run", "r", "--overw"], "--overw"),
        (["data", "prepare", "--sch", "paper"], "--sch"),
    ):
        with pytest.raises(SystemExit) as e:
            build_parser().parse_args(argv)
        assert e.value.code == 2, argv
        err = capsys.readouterr().err
        assert "unrecognized arguments" in err and prefix in err, err
    # full names still work
    assert build_parser().parse_args(["train", "edsr", "--data-root", "X"]).data_root == "X"
    # and main() exits 2 before doing anything
    with pytest.raises(SystemExit) as e:
        main(["train", "edsr", "--data-r", "X", "--profile", "smoke"])
    assert e.value.code == 2


# ---------------------------------------------------------------- DICOM input policy of `upscale` on a folder
from test_dicom import _write_rtstruct  # noqa: E402  (the pixel-less DICOM builder, defined once)

MR_SOP = "1.2.840.10008.5.1.4.1.1.4"


def _ct_folder(root, src_dir, n=2):
    """``root/in/<series folder with spaces>/`` holding the first ``n`` real CT slices; returns that folder."""
    d = root / "in" / "2.000000-5mm copy 1"
    d.mkdir(parents=True)
    for f in sorted(src_dir.iterdir())[:n]:
        shutil.copy(f, d / f.name)
    return d


def _write_mr_copy(path, like):
    """A copy of a real CT slice relabelled as an MR image of a new series."""
    from pydicom.uid import generate_uid

    ds = pydicom.dcmread(like)
    ds.Modality = "MR"
    ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID = MR_SOP
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.SeriesInstanceUID = generate_uid()
    ds.save_as(path)
    return path


def _only_error_line(err, path):
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"paperlib: error: {path}: "), lines[0]
    return lines[0]


def test_upscale_folder_refuses_invalid_dcm_unless_skip_invalid(bicubic_run, small_series, tmp_path, capsys):
    import warnings

    src_dir, _ = small_series
    d = _ct_folder(tmp_path, src_dir)
    out = tmp_path / "out"
    run = ("--run", bicubic_run, "--quiet")
    # a text file named .dcm
    fake = d / "1-99.dcm"
    fake.write_text("not a DICOM file, just text\n")
    assert _cli("upscale", tmp_path / "in", out, *run) == 2
    line = _only_error_line(capsys.readouterr().err, fake)
    assert "not a readable DICOM file (" in line
    assert not out.exists()
    # a third real slice (not otherwise in the folder) whose pixel data is cut, badly and by a few bytes;
    # its header reads fine: the size check of find_series catches the first, decoding the second
    data = sorted(src_dir.iterdir())[2].read_bytes()
    fake.unlink()
    for cut in (len(data) // 2, len(data) - 10):
        trunc = d / "1-98.dcm"
        trunc.write_bytes(data[:cut])
        assert _cli("upscale", tmp_path / "in", out, *run) == 2
        assert "not a readable DICOM file (" in _only_error_line(capsys.readouterr().err, trunc)
        assert not out.exists()
    # --skip-invalid: skipped with one line naming each (no Python warning), the good slices are written
    fake.write_text("not a DICOM file, just text\n")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert _cli("upscale", tmp_path / "in", out, *run, "--skip-invalid") == 0
    assert not [w for w in caught if "1-9" in str(w.message)]
    err = capsys.readouterr().err
    skipped = [ln for ln in err.splitlines() if "skipped" in ln]
    assert len(skipped) == 2 and any(str(fake) in ln for ln in skipped) and any(str(trunc) in ln for ln in skipped)
    assert len(list(out.rglob("*.dcm"))) == 2


def test_upscale_folder_skips_rtstruct_with_one_line(bicubic_run, small_series, tmp_path, capsys):
    src_dir, _ = small_series
    d = _ct_folder(tmp_path, src_dir)
    (d.parent / "RTSTRUCT 1").mkdir()  # TCIA keeps structure sets in a series folder of their own
    rt = _write_rtstruct(d.parent / "RTSTRUCT 1" / "1-1.dcm", next(d.iterdir()))
    out = tmp_path / "out"
    assert _cli("upscale", tmp_path / "in", out, "--run", bicubic_run, "--quiet") == 0
    err = capsys.readouterr().err
    assert f"skipped 1 non-image DICOM object (RTSTRUCT): {rt}" in err.splitlines()[0], err
    files = list(out.rglob("*.dcm"))
    assert len(files) == 2 and all(pydicom.dcmread(f, stop_before_pixels=True).Modality == "CT" for f in files)


def test_upscale_folder_refuses_non_ct_series_unless_accepted(bicubic_run, small_series, tmp_path, capsys):
    src_dir, _ = small_series
    d = _ct_folder(tmp_path, src_dir)
    (tmp_path / "in" / "MR series").mkdir()
    mr = _write_mr_copy(tmp_path / "in" / "MR series" / "1-1.dcm", next(d.iterdir()))
    out = tmp_path / "out"
    assert _cli("upscale", tmp_path / "in", out, "--run", bicubic_run, "--quiet") == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("paperlib: error: "), err
    assert "'MR'" in err and "--accept-modality MR" in err and str(mr.parent) in err
    assert not out.exists()
    # a single non-CT file is refused the same way
    assert _cli("upscale", mr, tmp_path / "one.dcm", "--run", bicubic_run, "--quiet") == 2
    assert "--accept-modality MR" in _only_error_line(capsys.readouterr().err, mr)
    assert not (tmp_path / "one.dcm").exists()
    # accepted on request: both series are written
    assert _cli("upscale", tmp_path / "in", out, "--run", bicubic_run, "--quiet", "--accept-modality", "mr") == 0
    mods = sorted(pydicom.dcmread(f, stop_before_pixels=True).Modality for f in out.rglob("*.dcm"))
    assert mods == ["CT", "CT", "MR"]


def test_study_runs_a_study_by_name_and_every_name_has_a_main(tmp_path, monkeypatch):
    import importlib

    from paperlib.cli import STUDIES, main

    assert all(callable(getattr(importlib.import_module(m), "main", None)) for m in STUDIES.values())
    monkeypatch.setenv("PAPERLIB_FIGURES", str(tmp_path))
    assert main(["study", "capacity", "--profile", "smoke"]) == 0
    assert (tmp_path / "idman" / "smoke" / "capacity_twins.csv").is_file()


def test_capacity_ablations_trains_the_twins_and_saves_rows_that_pair_with_the_study(tmp_path, monkeypatch):
    """``study capacity --ablations`` at smoke: every twin the ledger needs, per seed, evaluated on the ablation
    images, labelled '<variant> (twin)', with the runs' training seconds in the sidecar."""
    import json

    import pandas as pd

    from paperlib.cli import main
    from paperlib.experiments.idman import ablations as ab
    from paperlib.experiments.idman.capacity import ABLATION_TWINS

    monkeypatch.setenv("PAPERLIB_FIGURES", str(tmp_path / "figures"))
    monkeypatch.setenv("PAPERLIB_RUNS", str(tmp_path / "runs"))
    assert main(["study", "capacity", "--profile", "smoke", "--ablations", "--seeds", "1"]) == 0  # 6 trainings
    out = tmp_path / "figures" / "idman" / "smoke" / "capacity_twins_per_image.csv"
    per = pd.read_csv(out, dtype={"variant": str})
    want = {(t, f"{m} (twin)") for t, ms in ABLATION_TWINS.items() for m in ms}
    assert set(zip(per["table"], per["variant"])) == want
    plan = ab.plan_for("smoke", [1])
    assert set(per["seed"]) == {1} and per["psnr"].notna().all()
    assert len(per) == len(want) * len(plan.seeds) * per["image"].nunique()
    meta = json.loads(out.with_suffix(".json").read_text())
    assert meta["train_seconds_total"] > 0 and len(meta["runs"]) == 6 * len(plan.seeds)  # 8 rows share 6 models


def test_capacity_comparison_trains_idman_at_each_baselines_size_and_pairs_with_the_comparison(tmp_path, monkeypatch):
    """``study capacity --comparison --jobs 2`` at smoke: one IDMAN twin per baseline of a different size, trained
    in two submitit local processes (each with half the cores), labelled "idman (<baseline>'s size)", evaluated at
    x2 on every test set of the comparison with its columns, so that the ledger pairs it with
    ``compare_per_image``; twins with the same options are one run."""
    import json
    import os

    import pandas as pd

    from paperlib.cli import main
    from paperlib.experiments.idman import capacity, compare

    monkeypatch.setenv("PAPERLIB_FIGURES", str(tmp_path / "figures"))
    monkeypatch.setenv("PAPERLIB_RUNS", str(tmp_path / "runs"))
    assert main(["study", "capacity", "--profile", "smoke", "--comparison", "--seeds", "1", "--jobs", "2"]) == 0
    out = tmp_path / "figures" / "idman" / "smoke" / "capacity_comparison_twins_per_image.csv"
    per = pd.read_csv(out)
    table = capacity.capacity_table("smoke")
    rows = table[(table["study"] == "comparison") & (table["same size"] == "no")]
    assert set(per["method"]) == {capacity.comparison_twin_label(m) for m in rows["model"]}
    assert set(per["set"]) == set(compare.EVAL_SETS) and set(per["scale"]) == {2} and set(per["seed"]) == {1}
    cols = ["set", "method", "scale", "seed", "image", "label", "psnr", "ssim", "gradient_error", "run"]
    assert list(per.columns) == cols  # compare_per_image's columns: the ledger pairs the two
    assert per["psnr"].notna().all()
    distinct = {str(sorted(o.items())) for o in rows["twin options"]}
    assert per["run"].nunique() == len(distinct) == len(json.loads(out.with_suffix(".json").read_text())["runs"])
    assert len(list((tmp_path / "runs" / "submitit").glob("*_log.out"))) == 2  # the two local jobs
    for run in set(per["run"]):  # trained in the jobs (their thread count), then reused by key here
        manifest = json.loads((tmp_path / "runs" / run / "manifest.json").read_text())
        assert manifest["hardware"]["torch_threads"] == max(1, (os.cpu_count() or 1) // 2)


def test_reproduce_records_each_notebooks_status_the_cap_and_the_commit(tmp_path, monkeypatch):
    """The driver's record (summary.json beside the executed copies): one passing and one failing notebook, the
    cap in force, the hardware and the commit; the failure stops the run and is named."""
    import json

    import nbformat

    from paperlib import reproduce as rp
    from paperlib.runtime import git_commit

    nbs = tmp_path / "notebooks"
    nbs.mkdir()
    for name, code in (("ok.ipynb", "x = 1"), ("bad.ipynb", "raise ValueError('broken on purpose')")):
        params = nbformat.v4.new_code_cell("profile = 'smoke'\ndevice = 'cpu'")
        params.metadata["tags"] = ["parameters"]
        nb = nbformat.v4.new_notebook(cells=[params, nbformat.v4.new_code_cell(code)])
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nbformat.write(nb, nbs / name)
    monkeypatch.setattr(rp, "NOTEBOOK_DIR", nbs)
    monkeypatch.setenv("PAPERLIB_CAP", "iterations=2,seeds=1,images=2")
    out = tmp_path / "executed"
    assert rp.reproduce("smoke", output_dir=out, notebooks=["ok.ipynb", "bad.ipynb", "ok.ipynb"]) == 1
    rec = json.loads((out / "summary.json").read_text())
    assert rec["passed"] is False and rec["profile"] == "smoke"
    assert [n["notebook"] for n in rec["notebooks"]] == ["ok.ipynb", "bad.ipynb"]  # stopped at the failure
    assert rec["notebooks"][0]["status"] == "ok"
    # cell 3: papermill runs its injected parameters cell after ours
    assert rec["notebooks"][1]["status"] == "FAILED in cell 3 (ValueError: broken on purpose)"
    assert rec["cap"] == {"iterations": 2, "seeds": 1, "images": 2}
    assert rec["git_commit"] == git_commit() and rec["hardware"]["cpu_count"] >= 1


@pytest.mark.parametrize("jobs", ["0", "-2", "two"])
def test_reproduce_train_jobs_must_be_one_or_more(jobs, capsys):
    with pytest.raises(SystemExit) as e:
        main(["reproduce", "--profile", "smoke", "--train-jobs", jobs])
    assert e.value.code == 2
    assert f"'{jobs}' is not a whole number of processes" in capsys.readouterr().err
