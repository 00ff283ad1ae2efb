"""The embedded CT sample: a few real CC BY TCIA slices shipped inside the package.

``ct_sample.npz`` holds int16 HU slices (512x512, axial) from two TCIA collections, both CC BY:

* **Lung-PET-CT-Dx** (CC BY 4.0): patients Lung_Dx-A0001 and Lung_Dx-A0002, one CT series each;
* **TCGA-LUAD** (CC BY 3.0): single chest slices of TCGA-17-* patients, as redistributed in the
  Kaggle "CT Medical Images" subset of TCIA's TCGA collections.

``ct_sample.json`` beside it gives, for every slice, its collection, DOI, license, patient, split,
source file (path under the data root) and the sha256 of the source file and of the stored pixels,
plus the sha256 of the ``.npz`` itself; ``README.md`` is the same in words. :func:`build_sample`
remakes all three from the data root (the archive is written with fixed zip timestamps, so the
same sources give the same bytes). COVID-CT and DeepLesion are never embedded (their terms do not
allow redistribution).

The sample lets a machine without any dataset run the smoke profile end to end: see
:func:`paperlib.data.sources.load_source` (``"sample"``) and
:func:`paperlib.experiments.dridsr.tables.load_data` (the fallback).
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

import numpy as np

from ...errors import DataError

HERE = Path(__file__).resolve().parent
NPZ_NAME, JSON_NAME, README_NAME = "ct_sample.npz", "ct_sample.json", "README.md"
#: ``manifest["dataset"]`` of the sample source.
DATASET = "ct-sample (TCIA, CC BY)"

TCIA_CITATION = (
    "Clark K, Vendt B, Smith K, Freymann J, Kirby J, Koppel P, Moore S, Phillips S, Maffitt D, "
    "Pringle M, Tarbox L, Prior F. The Cancer Imaging Archive (TCIA): Maintaining and Operating a "
    "Public Information Repository. Journal of Digital Imaging 26(6):1045-1057, 2013. "
    "https://doi.org/10.1007/s10278-013-9622-7"
)

#: The collections, as TCIA states them (the Lung-PET-CT-Dx license is the LICENSE file of its NBIA download).
COLLECTIONS = {
    "Lung-PET-CT-Dx": {
        "doi": "https://doi.org/10.7937/TCIA.2020.NNC20461",
        "license": "CC BY 4.0",
        "license_url": "https://creativecommons.org/licenses/by/4.0/",
        "citation": "Li P, Wang S, Li T, Lu J, HuangFu Y, Wang D. A Large-Scale CT and PET/CT Dataset for Lung "
        "Cancer Diagnosis (Lung-PET-CT-Dx) [Data set]. The Cancer Imaging Archive, 2020. "
        "https://doi.org/10.7937/TCIA.2020.NNC20461",
        "obtained": "TCIA Lung-PET-CT-Dx, https://doi.org/10.7937/TCIA.2020.NNC20461 (NBIA Data Retriever)",
        "short": "Lung-PET-CT-Dx (Li et al. 2020, doi:10.7937/TCIA.2020.NNC20461, CC BY 4.0)",
    },
    "TCGA-LUAD": {
        "doi": "https://doi.org/10.7937/K9/TCIA.2016.JGNIHEP5",
        "license": "CC BY 3.0",
        "license_url": "https://creativecommons.org/licenses/by/3.0/",
        "citation": "Albertina B, Watson M, Holback C, Jarosz R, Kirk S, Lee Y, Rieger-Christ K, Lemmerman J. "
        "The Cancer Genome Atlas Lung Adenocarcinoma Collection (TCGA-LUAD) [Data set]. The Cancer "
        "Imaging Archive, 2016. https://doi.org/10.7937/K9/TCIA.2016.JGNIHEP5",
        "obtained": "'CT Medical Images' sample of TCIA TCGA collections "
        "(https://www.kaggle.com/datasets/kmader/siim-medical-images, dicom_dir/); "
        "patients TCGA-17-* belong to TCGA-LUAD",
        "short": "TCGA-LUAD (Albertina et al. 2016, doi:10.7937/K9/TCIA.2016.JGNIHEP5, CC BY 3.0)",
    },
}

#: How the TCGA-17-* patients were checked to be TCGA-LUAD (the Kaggle sample names no collection): "17" is a tissue
#: source site of TCGA lung adenocarcinoma; the NCI GDC API documentation returns case TCGA-17-Z050 for project
#: TCGA-LUAD; public scripts read TCIA downloads laid out as ``TCGA-LUAD/TCGA-17-Z011/...`` and select series of
#: TCGA-17-Z054 and -Z060 "from TCIA TCGA-LUAD collection". Checked 2026-11-26; TCGA-LUAD on TCIA is CC BY 3.0.
TCGA_MEMBERSHIP_CHECK = (
    "TCGA-17-* patients as TCGA-LUAD: checked 2026-11-26 against the NCI GDC API documentation "
    "(case TCGA-17-Z050 in project TCGA-LUAD) and public TCIA download layouts "
    "(`TCGA-LUAD/TCGA-17-Z011/...`, series of TCGA-17-Z054 listed as from the TCGA-LUAD "
    "collection); tissue source site 17 contributed lung adenocarcinoma cases."
)

#: What is taken: one CT series per Lung-PET-CT-Dx patient (A0001: series 2, 5 mm; A0002: series 3, B40f kernel),
#: ``N_PER_SERIES`` slices evenly spaced over the slices whose lung area is at least 80% of the series' largest;
#: ``N_TCGA`` TCGA-17-* (TCGA-LUAD) slices whose lung area is at least 25% of the image, by file name, one per
#: distinct pixel content. Splits by patient: A0002 is the test set, the last two TCGA patients the validation set.
LUNG_SERIES = {
    "Lung_Dx-A0001": "1.3.6.1.4.1.14519.5.2.1.6655.2359.257508444832901632590301540805",
    "Lung_Dx-A0002": "1.3.6.1.4.1.14519.5.2.1.6655.2359.207154000096236603057216610983",
}
N_PER_SERIES, N_TCGA = 4, 8
TEST_PATIENTS, N_VAL_TCGA_PATIENTS = ("Lung_Dx-A0002",), 2
LUNG_HU = (-950.0, -500.0)


def _lung_fraction(hu: np.ndarray) -> float:
    return float(((hu > LUNG_HU[0]) & (hu < LUNG_HU[1])).mean())


def _to_int16(hu: np.ndarray, path) -> np.ndarray:
    if hu.min() < -32768 or hu.max() > 32767:
        raise DataError(f"{path}: HU outside the int16 range")
    return np.round(hu).astype(np.int16)


def _sha256(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


def _lung_pet_ct_dx(root: Path) -> list[dict]:
    from ..dicom import find_series, read_dicom_hu
    from ..hu_sets import dataset_folder

    folder = dataset_folder("lung_pet_ct_dx", root)
    series = {s.uid: s for s in find_series(folder, modality="CT", warn_duplicates=False, report=lambda line: None)}
    out = []
    for patient, uid in LUNG_SERIES.items():
        if uid not in series:
            raise DataError(f"{folder}: series {uid} of {patient} not found (the sample needs it)")
        files = series[uid].files
        hus = [read_dicom_hu(f)[0] for f in files]
        frac = np.array([_lung_fraction(h) for h in hus])
        cand = np.flatnonzero(frac >= 0.8 * frac.max())
        picks = cand[np.round(np.linspace(0, len(cand) - 1, N_PER_SERIES)).astype(int)]
        for k, i in enumerate(picks):
            out.append(
                {
                    "id": f"{patient}_{k}",
                    "collection": "Lung-PET-CT-Dx",
                    "patient": patient,
                    "series_uid": uid,
                    "path": files[i],
                    "hu": _to_int16(hus[i], files[i]),
                }
            )
    return out


def _tcga(root: Path) -> list[dict]:
    from ..dicom import read_dicom_hu
    from ..hu_sets import dataset_folder

    out, seen = [], set()
    for f in sorted(dataset_folder("tcga", root).glob("*.dcm")):
        hu, ds = read_dicom_hu(f)
        pid = str(ds.PatientID)
        if not pid.startswith("TCGA-17-") or _lung_fraction(hu) < 0.25:
            continue
        hu16 = _to_int16(hu, f)
        digest = _sha256(hu16.tobytes())
        if digest in seen:  # the subset stores some slices twice under two ids
            continue
        seen.add(digest)
        out.append(
            {
                "id": f"{pid}_{f.stem.split('_AGE')[0]}",
                "collection": "TCGA-LUAD",
                "patient": pid,
                "series_uid": str(ds.SeriesInstanceUID),
                "path": f,
                "hu": hu16,
            }
        )
        if len(out) == N_TCGA:
            break
    if len(out) < N_TCGA:
        raise DataError(f"only {len(out)} TCGA-17-* slices qualify for the sample (need {N_TCGA})")
    return out


def _assign_splits(slices: list[dict]) -> None:
    tcga_patients = list(dict.fromkeys(s["patient"] for s in slices if s["collection"] == "TCGA-LUAD"))
    val = set(tcga_patients[-N_VAL_TCGA_PATIENTS:])
    for s in slices:
        s["split"] = "test" if s["patient"] in TEST_PATIENTS else "val" if s["patient"] in val else "train"


def _write_npz(path: Path, arrays: dict) -> None:
    """An ``.npz`` with fixed timestamps (same arrays, same bytes), LZMA-compressed (read by ``np.load``)."""
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(tmp, "w") as z:
        for name, arr in arrays.items():
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.asarray(arr), allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_LZMA
            z.writestr(info, buf.getvalue())
    tmp.replace(path)


def build_sample(root=None, out_dir=None) -> Path:
    """Make ``ct_sample.npz``, ``ct_sample.json`` and ``README.md`` in ``out_dir`` (default: this package).

    Args:
        root: data root holding ``lung-pet-ct-dx/`` and ``tcga-ct-sample/`` (default ``$PAPERLIB_DATA``).
    Returns the ``.npz`` path.
    """
    from ...config import data_root

    root, out = data_root(root), Path(out_dir) if out_dir is not None else HERE
    slices = _lung_pet_ct_dx(root) + _tcga(root)
    _assign_splits(slices)
    out.mkdir(parents=True, exist_ok=True)
    _write_npz(
        out / NPZ_NAME, {"hu": np.stack([s["hu"] for s in slices]), "ids": np.asarray([s["id"] for s in slices])}
    )
    records = [
        {
            "id": s["id"],
            "collection": s["collection"],
            "patient": s["patient"],
            "split": s["split"],
            "doi": COLLECTIONS[s["collection"]]["doi"],
            "license": COLLECTIONS[s["collection"]]["license"],
            "series_uid": s["series_uid"],
            "source": Path(s["path"]).relative_to(root).as_posix(),
            "source_sha256": _sha256(Path(s["path"]).read_bytes()),
            "shape": list(s["hu"].shape),
            "dtype": "int16 (HU)",
            "pixels_sha256": _sha256(s["hu"].tobytes()),
        }
        for s in slices
    ]
    meta = {
        "dataset": DATASET,
        "file": NPZ_NAME,
        "sha256": _sha256((out / NPZ_NAME).read_bytes()),
        "arrays": {
            "hu": "N x 512 x 512 int16 Hounsfield units (DICOM modality LUT applied, rounded)",
            "ids": "slice ids, in the order of 'slices'",
        },
        "selection": _selection_note(),
        "attribution": attribution(),
        "collections": COLLECTIONS,
        "tcia_citation": TCIA_CITATION,
        "built_by": "paperlib.data.sample.build_sample(root)",
        "slices": records,
    }
    (out / JSON_NAME).write_text(json.dumps(meta, indent=1) + "\n")
    (out / README_NAME).write_text(_readme(meta))
    return out / NPZ_NAME


def _selection_note() -> str:
    return (
        f"Lung-PET-CT-Dx: series {', '.join(f'{p} {u}' for p, u in LUNG_SERIES.items())}, {N_PER_SERIES} slices "
        f"each, evenly spaced over the slices with at least 80% of the series' largest lung area "
        f"({LUNG_HU[0]:g} < HU < {LUNG_HU[1]:g}); TCGA-LUAD: the first {N_TCGA} distinct TCGA-17-* slices by file "
        f"name with at least 25% lung area. Split by patient: test {', '.join(TEST_PATIENTS)}, val the last "
        f"{N_VAL_TCGA_PATIENTS} TCGA patients, train the rest."
    )


def attribution() -> str:
    """One line naming every collection of the sample, its DOI and license."""
    return (
        "; ".join(c["short"] for c in COLLECTIONS.values())
        + "; The Cancer Imaging Archive (Clark et al. 2013, doi:10.1007/s10278-013-9622-7)"
    )


def _readme(meta: dict) -> str:
    lines = [
        "# Embedded CT sample (TCIA, CC BY)",
        "",
        f"`{NPZ_NAME}` (sha256 `{meta['sha256']}`): {len(meta['slices'])} axial 512x512 CT slices stored as "
        "int16 Hounsfield units, made by `paperlib.data.sample.build_sample(root)`; "
        f"`{JSON_NAME}` lists every slice with its source file and hashes. Used by the `sample` data source "
        "and, under the smoke profile only, by the DRIDSR notebooks when COVID-CT is absent.",
        "",
        "## Sources and licenses",
        "",
    ]
    for name, c in COLLECTIONS.items():
        lines += [
            f"* **{name}** ({c['license']}, {c['license_url']}): {c['citation']} (obtained from: {c['obtained']})."
        ]
    lines += [
        f"* The Cancer Imaging Archive: {TCIA_CITATION}",
        "",
        f"Collection membership: {TCGA_MEMBERSHIP_CHECK}",
        "",
        "## Slices",
        "",
        "| id | collection | patient | split | source file | license |",
        "|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {s['id']} | {s['collection']} | {s['patient']} | {s['split']} | `{s['source']}` | {s['license']} |"
        for s in meta["slices"]
    ]
    return "\n".join(lines) + "\n"


def sample_meta() -> dict:
    """The sample's JSON description (attribution, per-slice sources and hashes)."""
    return json.loads((HERE / JSON_NAME).read_text())


def load_sample(verify: bool = True) -> tuple[dict, np.ndarray, list[str]]:
    """``(meta, hu (N, 512, 512) int16, ids)``; ``verify`` checks the archive's sha256 against the JSON."""
    meta, path = sample_meta(), HERE / NPZ_NAME
    raw = path.read_bytes()
    if verify and _sha256(raw) != meta["sha256"]:
        raise DataError(
            f"{path}: sha256 {_sha256(raw)[:12]}... differs from {JSON_NAME} ({meta['sha256'][:12]}...): "
            "the embedded sample is damaged; reinstall paperlib or rebuild it with build_sample()"
        )
    with np.load(io.BytesIO(raw), allow_pickle=False) as z:
        hu, ids = z["hu"], [str(i) for i in z["ids"]]
    if ids != [s["id"] for s in meta["slices"]]:
        raise DataError(f"{path}: slice ids differ from {JSON_NAME}")
    return meta, hu, ids
