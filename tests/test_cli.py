"""The CLI end to end on real data: train (smoke) -> eval -> upscale a real Lung-PET-CT-Dx series -> read back."""
import shutil
import subprocess
import sys

import numpy as np
import pydicom
import pytest

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

    df = pd.read_csv(trained_run / "eval_test.csv")
    assert len(df) == 2 and df["psnr"].between(5, 60).all()


def test_upscale_real_series_to_derived_dicom(trained_run, small_series, tmp_path):
    src_dir, series = small_series
    out = tmp_path / "sr"
    assert _cli("upscale", src_dir, out, "--run", trained_run, "--scale", 2, "--quiet") == 0
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
        assert hu.shape == (src_hu.shape[0] * 2, src_hu.shape[1] * 2)
    # a second run without --overwrite refuses and leaves the files intact
    before = files[0].read_bytes()
    assert _cli("upscale", src_dir, out, "--run", trained_run, "--quiet") == 2
    assert files[0].read_bytes() == before


def test_upscale_hu_fidelity_with_bicubic_run(small_series, tmp_path):
    """Through the window and its inverse, a bicubic 'model' must give MATLAB-bicubic HU (to 1 HU rounding)."""
    from paperlib.data.degrade import matlab_imresize

    src_dir, _ = small_series
    assert _cli("train", "bicubic", "--scale", 2, "--profile", "smoke", "--runs", tmp_path / "r", "--quiet") == 0
    run = next((tmp_path / "r").iterdir())
    f = sorted(src_dir.iterdir())[0]
    assert _cli("upscale", f, tmp_path / "one.dcm", "--run", run, "--quiet") == 0
    src, ds = pydicom.dcmread(f), pydicom.dcmread(tmp_path / "one.dcm")
    src_hu = src.pixel_array.astype(np.float64) * float(src.RescaleSlope) + float(src.RescaleIntercept)
    hu = ds.pixel_array.astype(np.float64) * float(ds.RescaleSlope) + float(ds.RescaleIntercept)
    expect = np.clip(np.round(matlab_imresize(src_hu, 2)), -32768 - 1024, 32767 - 1024)
    assert np.abs(hu - expect).max() <= 1.0


def test_upscale_fast_path_close_to_fp32(trained_run, small_series):
    from paperlib.data.dicom import read_dicom_hu
    from paperlib.upscale import load_run_model, sr_hu_batch

    src_dir, _ = small_series
    hu = read_dicom_hu(sorted(src_dir.iterdir())[0])[0][None, :128, :128]
    model, _, _ = load_run_model(trained_run)
    ref = sr_hu_batch(model, hu, 2)
    fast = sr_hu_batch(model, hu, 2, fast=True)
    assert fast.shape == ref.shape and fast.dtype == np.float32
    assert np.abs(fast - ref).mean() < 5.0  # HU; bf16 features, fp32 output layer and HU arithmetic


def test_upscale_png(trained_run, shared_data, tmp_path):
    from PIL import Image

    from paperlib.data.covid_ct import covid_ct_split

    src = covid_ct_split("test", root=shared_data)[0].path
    assert _cli("upscale", src, tmp_path / "x.png", "--run", trained_run) == 0
    w, h = Image.open(src).size
    assert Image.open(tmp_path / "x.png").size == (w // 1 * 2, h * 2)


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
