"""The datasets a data root holds, written down once: folder, tables, source and layout.

Each entry names the folder under the data root (its layout is the original distribution's),
the paper tables/figures it feeds (HU sets: :data:`paperlib.data.hu_sets.HU_SETS`), where the
data comes from and, for the two with a public direct source (COVID-CT, the NIQE model), the
URL that ``paperlib data download`` fetches.  The committed manifest
``paperlib/data/manifests/<name>.csv`` (relative path, size, sha256 of every file) was made from
the complete copies on the development machines; ``paperlib data check`` verifies a data root
against it.  For the HU sets these copies are the samples described in the shared data README,
so a full original download shows many *extra* files, which the check reports but accepts.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import UnknownNameError
from .hu_sets import HU_SETS

COVID_CT_ARCHIVE = "https://github.com/UCSD-AI4H/COVID-CT/archive/refs/heads/master.zip"
NIQE_URL = "https://huggingface.co/chaofengc/IQA-PyTorch-Weights/resolve/main/niqe_modelparameters.mat"


@dataclass(frozen=True)
class Dataset:
    """One dataset folder under the data root."""

    name: str
    folder: str  # folder under the data root (manifest paths are relative to it)
    tables: tuple[str, ...]  # what can be made from it
    obtain: str  # how to get it, in words
    layout: str  # the layout to keep
    aliases: tuple[str, ...] = ()
    url: str | None = None  # public direct source (None: instructions only)
    fname: str | None = None  # name of the downloaded file (also its name under PAPERLIB_DOWNLOAD_BASE)
    archive: str = "zip"  # 'zip' (unpacked into the layout) or 'file' (copied to ``target``)
    target: str | None = None  # for archive='file': relative path in the folder
    known_hash: str | None = None  # 'sha256:...' or None (unpinned: verified by the manifest afterwards)


def _hu(name: str) -> tuple[str, ...]:
    return HU_SETS[name].tables


DATASETS: dict[str, Dataset] = {
    d.name: d
    for d in (
        Dataset(
            name="covid-ct",
            folder="covid-ct",
            aliases=("covid_ct",),
            tables=("DRIDSR Table 1", "DRIDSR Table 2", "DRIDSR Figs 5-11"),
            obtain=f"UCSD-AI4H COVID-CT, the GitHub repository's archive {COVID_CT_ARCHIVE} (research use; "
            "images belong to the preprints' authors). Unpinned: the branch can move, so the unpacked "
            "files are verified against the committed manifest instead of the archive's hash",
            layout="covid-ct/Images-processed/CT_COVID/*.png|jpg, covid-ct/Images-processed/CT_NonCOVID/*, "
            "covid-ct/Data-split/{COVID,NonCOVID}/{train,val,test}CT_*.txt, covid-ct/Meta/* "
            "(the repository's Images-processed/CT_*.zip unzipped in place)",
            url=COVID_CT_ARCHIVE,
            fname="COVID-CT-master.zip",
            archive="zip",
        ),
        Dataset(
            name="deeplesion",
            folder="deeplesion",
            tables=_hu("deeplesion"),
            obtain=HU_SETS["deeplesion"].obtain + "; the development sample is 22 slices of two series "
            "(their ids are unknown), so only a local copy can match the manifest",
            layout="deeplesion/Images_png/<patient>_<study>_<series>/<slice>.png (16-bit, HU + 32768), "
            "deeplesion/DL_info.csv",
        ),
        Dataset(
            name="lung-pet-ct-dx",
            folder="lung-pet-ct-dx",
            aliases=("lung_pet_ct_dx",),
            tables=_hu("lung_pet_ct_dx"),
            obtain=HU_SETS["lung_pet_ct_dx"].obtain + "; the development sample is patients A0001 and A0002 "
            "plus the lesion annotation XMLs",
            layout="lung-pet-ct-dx/manifest-<id>/metadata.csv and manifest-<id>/Lung-PET-CT-Dx/<Subject>/<Study>/"
            "<Series>/1-NNN.dcm exactly as the NBIA Data Retriever writes them (spaces included), "
            "lung-pet-ct-dx/Annotation/<patient>/<SOP UID>.xml",
        ),
        Dataset(
            name="tcga-ct-sample",
            folder="tcga-ct-sample",
            aliases=("tcga",),
            tables=_hu("tcga"),
            obtain=HU_SETS["tcga"].obtain + " (needs a Kaggle account)",
            layout="tcga-ct-sample/dicom_dir/ID_NNNN_AGE_NNNN_CONTRAST_N_CT.dcm",
        ),
        Dataset(
            name="covid19-ny-sbu-sample",
            folder="covid19-ny-sbu-sample",
            aliases=("covid19_ny_sbu", "covid19-ny-sbu"),
            tables=_hu("covid19_ny_sbu"),
            obtain=HU_SETS["covid19_ny_sbu"].obtain + " (NBIA Data Retriever); the development sample holds "
            "10 patients x 2 dates, its series listed in covid19-ny-sbu-sample/data-readme.md",
            layout="covid19-ny-sbu-sample/<patient>/{axial,coronal,sagittal}/<date>-<n>.dcm",
        ),
        Dataset(
            name="iqa",
            folder="iqa",
            aliases=("niqe",),
            tables=("NIQE in DRIDSR Table 1/2 and Figs",),
            obtain=f"the LIVE NIQE model as pyiqa distributes it, {NIQE_URL}",
            layout="iqa/niqe_modelparameters.mat",
            url=NIQE_URL,
            fname="niqe_modelparameters.mat",
            archive="file",
            target="niqe_modelparameters.mat",
            known_hash="sha256:fa2aa4d12dd9595c3fb6bf8b4e1a15c79d5d1469238d0901c88dead195be578d",
        ),
    )
}


def get_dataset(name: str) -> Dataset:
    """The :class:`Dataset` called ``name`` (or one of its aliases); UnknownNameError listing the names."""
    key = str(name).strip().lower()
    for d in DATASETS.values():
        if key == d.name or key in d.aliases:
            return d
    known = ", ".join(f"{d.name}" + (f" ({'/'.join(d.aliases)})" if d.aliases else "") for d in DATASETS.values())
    raise UnknownNameError(f"unknown dataset {name!r}; known: {known}")
