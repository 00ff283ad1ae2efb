"""DICOM / DeepLesion HU reading and SR DICOM export, on the real shared data."""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest

pydicom = pytest.importorskip("pydicom")

from paperlib.config import data_root
from paperlib.data.deeplesion import DeepLesion, read_deeplesion_png
from paperlib.data.dicom import find_series, load_series, read_dicom_hu
from paperlib.data.dicom_write import shifted_position, write_sr_series
from paperlib.errors import DataError

ROOT = data_root()
LUNG = ROOT / "lung-pet-ct-dx"
TCGA = ROOT / "tcga-ct-sample" / "dicom_dir"
DL = ROOT / "deeplesion"
needs_data = pytest.mark.skipif(
    not (LUNG.is_dir() and TCGA.is_dir() and DL.is_dir()),
    reason=f"shared CT data not found under {ROOT} (set PAPERLIB_DATA)",
)
pytestmark = needs_data


@pytest.fixture(scope="module")
def lung_series():
    return find_series(LUNG)


@pytest.fixture(scope="module")
def a_lung_file(lung_series):
    return lung_series[0].files[len(lung_series[0].files) // 2]


def _hu_by_hand(ds) -> np.ndarray:
    """HU by the DICOM rescale formula, written out here (the package goes through pydicom's modality LUT)."""
    return (ds.pixel_array.astype(np.float64) * float(ds.RescaleSlope) + float(ds.RescaleIntercept)).astype(np.float32)


def _air_fraction(hu):
    inside = hu[hu > -1500]  # ignore outside-the-scan-field padding (-2048 / -3024 HU)
    return np.mean((inside > -1100) & (inside < -900)), inside


def test_read_lung_pet_ct_dx_slice(a_lung_file):
    hu, ds = read_dicom_hu(a_lung_file)
    assert hu.dtype == np.float32 and hu.shape == (512, 512)
    np.testing.assert_array_equal(hu, _hu_by_hand(pydicom.dcmread(a_lung_file)))
    assert hu.min() >= -2048 and hu.max() <= 4096
    frac, inside = _air_fraction(hu)
    assert frac > 0.1  # lots of air (outside body + lungs) near -1000 HU
    assert -1100 < np.percentile(inside, 1) < -900
    assert ds.Modality == "CT"


def test_tcga_uint16_and_int16_give_hu():
    by_rep = {}
    for f in sorted(TCGA.glob("*.dcm")):
        rep = int(pydicom.dcmread(f, stop_before_pixels=True).PixelRepresentation)
        by_rep.setdefault(rep, f)
        if len(by_rep) == 2:
            break
    assert set(by_rep) == {0, 1}, "expected both uint16 and int16 files in the TCGA sample"
    for rep, f in by_rep.items():
        hu, ds = read_dicom_hu(f)
        assert ds.pixel_array.dtype == (np.uint16 if rep == 0 else np.int16)
        assert hu.dtype == np.float32
        np.testing.assert_array_equal(hu, _hu_by_hand(pydicom.dcmread(f)))  # the sign of the stored value matters
        frac, inside = _air_fraction(hu)
        assert frac > 0.05, f
        assert -1100 < np.percentile(inside, 1) < -900, f


def test_find_series_lung_pet_ct_dx(lung_series):
    # 2 patients x 2 reconstruction kernels; 64 + 64 + 30 + 30 slices
    assert len(lung_series) == 4
    assert sorted(s.n_slices for s in lung_series) == [30, 30, 64, 64]
    assert {s.patient_id for s in lung_series} == {"Lung_Dx-A0001", "Lung_Dx-A0002"}
    for s in lung_series:
        assert s.orientation == "axial" and len(s.files) == s.n_slices
        zs = [float(pydicom.dcmread(f, stop_before_pixels=True).ImagePositionPatient[2]) for f in s.files]
        assert np.all(np.diff(zs) > 0)


def test_find_series_orientations_and_warning(tmp_path):
    cov = ROOT / "covid19-ny-sbu-sample"
    if not cov.is_dir():
        pytest.skip(f"{cov} missing")
    series = find_series(cov, warn_duplicates=False)
    orient = {s.orientation for s in series}
    assert orient == {"axial", "coronal", "sagittal"}
    # an unreadable .dcm is an error naming it, unless skip_invalid=True: then one reported line, no Python warning
    src = next(iter(sorted((cov / "A002304" / "axial").glob("*.dcm"))))
    shutil.copy(src, tmp_path / "good.dcm")
    (tmp_path / "bad.dcm").write_bytes(b"not a dicom at all")
    (tmp_path / "notes.txt").write_text("ignored quietly")
    with pytest.raises(DataError, match=r"bad.dcm: not a readable DICOM file \("):
        find_series(tmp_path)
    lines = []
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        found = find_series(tmp_path, skip_invalid=True, report=lines.append)
    assert len(found) == 1 and found[0].n_slices == 1
    assert len(lines) == 1 and str(tmp_path / "bad.dcm") in lines[0] and "notes.txt" not in lines[0]


RTSTRUCT_SOP = "1.2.840.10008.5.1.4.1.1.481.3"


def _copy_slices(lung_series, dst, n=2):
    """The first ``n`` real slices of the shortest Lung-PET-CT-Dx series, copied under ``dst`` (with spaces)."""
    s = min(lung_series, key=lambda s: s.n_slices)
    dst.mkdir(parents=True)
    for f in s.files[:n]:
        shutil.copy(f, dst / f.name)
    return [dst / f.name for f in s.files[:n]]


def _write_rtstruct(path, like, sop=RTSTRUCT_SOP, modality="RTSTRUCT"):
    """A minimal RT Structure Set (or other pixel-less object) in the study of the CT slice ``like``,
    with a proper file meta."""
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    src = pydicom.dcmread(like, stop_before_pixels=True)
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID, ds.SOPInstanceUID = sop, meta.MediaStorageSOPInstanceUID
    ds.Modality = modality
    ds.PatientID, ds.StudyInstanceUID = src.PatientID, src.StudyInstanceUID
    ds.SeriesInstanceUID = generate_uid()
    ds.StructureSetLabel = "test"
    ds.save_as(path, enforce_file_format=True)
    return path


def test_find_series_reports_non_image_objects(tmp_path, lung_series, capsys):
    """RTSTRUCT / SR objects are skipped with one line per kind naming them (default: stderr), never silently."""
    cts = _copy_slices(lung_series, tmp_path / "CT 5mm")
    rt = _write_rtstruct(tmp_path / "CT 5mm" / "rt.dcm", cts[0])
    (tmp_path / "SR").mkdir()
    sr = _write_rtstruct(
        tmp_path / "SR" / "sr.dcm", cts[0], sop="1.2.840.10008.5.1.4.1.1.88.11", modality="SR"
    )  # Basic Text SR
    lines = []
    found = find_series(tmp_path, report=lines.append)
    assert len(found) == 1 and set(found[0].files) == set(cts) and found[0].n_slices == 2
    assert sorted(lines) == sorted(
        [f"skipped 1 non-image DICOM object (RTSTRUCT): {rt}", f"skipped 1 non-image DICOM object (SR): {sr}"]
    )
    capsys.readouterr()
    find_series(tmp_path)  # default reporter: one line each on stderr
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2 and all(e.startswith("paperlib: skipped 1 non-image DICOM object (") for e in err)


def test_find_series_truncated_and_other_modality(tmp_path, lung_series):
    cts = _copy_slices(lung_series, tmp_path / "a series")
    data = cts[0].read_bytes()
    half = tmp_path / "a series" / "half.dcm"
    half.write_bytes(data[: len(data) // 2])  # the header reads fine, the pixel data is cut
    with pytest.raises(DataError, match=r"half.dcm: not a readable DICOM file \(truncated"):
        find_series(tmp_path)
    lines = []
    assert find_series(tmp_path, skip_invalid=True, report=lines.append)[0].n_slices == 2
    assert len(lines) == 1 and str(half) in lines[0]
    half.unlink()
    # a CT slice without PixelData (e.g. cut right before the pixels) is a broken image, not a non-image object
    nopix = pydicom.dcmread(cts[1])
    del nopix.PixelData
    nopix.SOPInstanceUID = pydicom.uid.generate_uid()
    nopix.save_as(tmp_path / "a series" / "nopix.dcm")
    with pytest.raises(DataError, match=r"nopix.dcm: not a readable DICOM file \(no PixelData"):
        find_series(tmp_path)
    (tmp_path / "a series" / "nopix.dcm").unlink()
    # a non-CT series: returned with modality=None, otherwise left out with one reported line
    ds = pydicom.dcmread(cts[0])
    ds.Modality, ds.SeriesInstanceUID = "MR", pydicom.uid.generate_uid()
    ds.SOPInstanceUID = pydicom.uid.generate_uid()
    (tmp_path / "mr").mkdir()
    ds.save_as(tmp_path / "mr" / "mr.dcm")
    lines = []
    assert [s.modality for s in find_series(tmp_path, report=lines.append)] == ["CT"]
    assert len(lines) == 1 and "'MR'" in lines[0] and str(tmp_path / "mr") in lines[0]
    assert sorted(s.modality for s in find_series(tmp_path, modality=None, report=lines.append)) == ["CT", "MR"]


def test_load_series_volume(lung_series):
    s = min(lung_series, key=lambda s: s.n_slices)
    vol, headers = load_series(s)
    assert vol.shape == (s.n_slices, 512, 512) and vol.dtype == np.float32
    for z, f in enumerate(s.files):  # slice z of the volume is file z of the series, in HU
        np.testing.assert_array_equal(vol[z], _hu_by_hand(pydicom.dcmread(f)))
    assert len(headers) == s.n_slices and "PixelData" not in headers[0]


# ---------------------------------------------------------------- DeepLesion
def test_deeplesion_png_to_hu():
    dl = DeepLesion(DL)
    assert len(dl) == 22
    hu = read_deeplesion_png(dl.slices()[0].path)
    assert hu.dtype == np.float32 and hu.shape == (512, 512)
    from PIL import Image

    with Image.open(dl.slices()[0].path) as im:  # DeepLesion's stated encoding: HU = PNG value - 32768
        np.testing.assert_array_equal(hu, np.asarray(im, np.int32) - 32768)
    assert hu.min() >= -3024 and hu.max() < 4000
    frac, inside = _air_fraction(hu)
    assert frac > 0.05


def test_deeplesion_bad_pngs(tmp_path):
    from PIL import Image

    p8 = tmp_path / "eight_bit.png"
    Image.fromarray(np.zeros((16, 16), np.uint8)).save(p8)
    with pytest.raises(DataError, match="eight_bit.png.*8-bit grayscale"):
        read_deeplesion_png(p8)
    prgb = tmp_path / "rgb.png"
    Image.fromarray(np.zeros((16, 16, 3), np.uint8)).save(prgb)
    with pytest.raises(DataError, match="rgb.png.*RGB"):
        read_deeplesion_png(prgb)
    src = sorted((DL / "Images_png").glob("*/*.png"))[0]
    data = src.read_bytes()
    cut = tmp_path / "truncated.png"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(DataError, match="truncated.png"):
        read_deeplesion_png(cut)


# ---------------------------------------------------------------- corrupt DICOM
def test_corrupt_dicom(tmp_path, a_lung_file):
    rnd = tmp_path / "random.dcm"
    rnd.write_bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    with pytest.raises(DataError, match="random.dcm"):
        read_dicom_hu(rnd)
    data = Path(a_lung_file).read_bytes()
    half = tmp_path / "half.dcm"
    half.write_bytes(data[: len(data) // 2])
    with pytest.raises(DataError, match="half.dcm"):
        read_dicom_hu(half)


def test_dicom_without_pixels_and_non_ct(tmp_path, a_lung_file):
    ds = pydicom.dcmread(a_lung_file)
    del ds.PixelData
    nopix = tmp_path / "nopix.dcm"
    ds.save_as(nopix)
    with pytest.raises(DataError, match="nopix.dcm.*no PixelData"):
        read_dicom_hu(nopix)
    ds = pydicom.dcmread(a_lung_file)
    ds.Modality = "MR"
    mr = tmp_path / "mr.dcm"
    ds.save_as(mr)
    with pytest.raises(DataError, match="mr.dcm.*'MR'"):
        read_dicom_hu(mr)
    hu, _ = read_dicom_hu(mr, allow_non_ct=True)
    assert hu.shape == (512, 512)
    ds = pydicom.dcmread(a_lung_file)
    ds.NumberOfFrames = 3
    mf = tmp_path / "multi.dcm"
    ds.save_as(mf)
    with pytest.raises(DataError, match="multi.dcm.*multi-frame"):
        read_dicom_hu(mf)


# ---------------------------------------------------------------- SR export
def test_write_sr_series_round_trip(tmp_path, lung_series):
    s = lung_series[0]
    srcs, his = [], []
    for f in s.files[:3]:
        hu, ds = read_dicom_hu(f)
        srcs.append(ds)
        his.append(np.kron(hu, np.ones((2, 2), np.float32)))
    out = tmp_path / "sr"
    paths = write_sr_series(iter(his), srcs, out, scale=2, model_name="kron-test", weights_sha256="ab" * 32)
    assert [p.name for p in paths] == [f"SR_x2_{i:04d}.dcm" for i in range(3)]
    back = [pydicom.dcmread(p) for p in paths]
    sops = {str(b.SOPInstanceUID) for b in back}
    assert len(sops) == 3 and not sops & {str(d.SOPInstanceUID) for d in srcs}
    assert len({str(b.SeriesInstanceUID) for b in back}) == 1
    assert str(back[0].SeriesInstanceUID) != str(srcs[0].SeriesInstanceUID)
    for b, src, hi in zip(back, srcs, his):
        assert b.file_meta.TransferSyntaxUID == pydicom.uid.ExplicitVRLittleEndian
        assert b.SOPClassUID == src.SOPClassUID == pydicom.uid.CTImageStorage
        assert b.StudyInstanceUID == src.StudyInstanceUID
        assert b.FrameOfReferenceUID == src.FrameOfReferenceUID and b.PatientID == src.PatientID
        assert (b.Rows, b.Columns) == (2 * src.Rows, 2 * src.Columns)
        np.testing.assert_allclose(
            [float(v) for v in b.PixelSpacing], [float(v) / 2 for v in src.PixelSpacing], rtol=1e-6
        )
        ps = [float(v) for v in src.PixelSpacing]
        row, col = np.array(src.ImageOrientationPatient[:3], float), np.array(src.ImageOrientationPatient[3:], float)
        expect = np.array(src.ImagePositionPatient, float) - ps[1] / 4 * row - ps[0] / 4 * col
        np.testing.assert_allclose([float(v) for v in b.ImagePositionPatient], expect, atol=1e-4)
        np.testing.assert_allclose(
            shifted_position(src.ImagePositionPatient, src.ImageOrientationPatient, ps, 2), expect
        )
        assert list(b.ImageOrientationPatient) == list(src.ImageOrientationPatient)
        assert float(b.SliceThickness) == float(src.SliceThickness)
        assert "DERIVED" in b.ImageType and b.ImageType[1] == "SECONDARY"
        assert "not for diagnosis" in b.DerivationDescription and "ab" * 32 in b.DerivationDescription
        assert b.SourceImageSequence[0].ReferencedSOPInstanceUID == src.SOPInstanceUID
        assert int(b.SeriesNumber) == int(src.SeriesNumber) + 1000
        assert (b.PixelRepresentation, b.BitsAllocated, b.BitsStored, b.HighBit) == (1, 16, 16, 15)
        hu_back, _ = read_dicom_hu(paths[0].parent / Path(b.filename).name)
        assert np.abs(hu_back - hi).max() <= 1.0

    # writing again without overwrite fails naming the file and leaves the first series intact
    before = [p.read_bytes() for p in paths]
    with pytest.raises(DataError, match="SR_x2_0000.dcm"):
        write_sr_series(his, srcs, out, scale=2, model_name="kron-test", weights_sha256="cd" * 32)
    assert [p.read_bytes() for p in paths] == before
    again = write_sr_series(his, srcs, out, scale=2, model_name="kron-test", weights_sha256="cd" * 32, overwrite=True)
    assert pydicom.dcmread(again[0]).SOPInstanceUID not in sops


def test_write_sr_series_checks(tmp_path, a_lung_file):
    hu, ds = read_dicom_hu(a_lung_file)
    with pytest.raises(DataError, match="shape"):
        write_sr_series([hu], [ds], tmp_path / "a", scale=2, model_name="m", weights_sha256="0")
    with pytest.raises(DataError, match="SR slices"):
        write_sr_series([], [ds], tmp_path / "b", scale=2, model_name="m", weights_sha256="0")
