"""COVID-CT (UCSD-AI4H) in its original layout.

::

    covid-ct/
      Images-processed/CT_COVID/*.png            349 images
      Images-processed/CT_NonCOVID/*.{png,jpg}   397 images
      Data-split/COVID/{train,val,test}CT_COVID.txt
      Data-split/NonCOVID/{train,val,test}CT_NonCOVID.txt

Two split schemes:

* ``"official"``: the dataset's own lists (425 / 118 / 203 images);
* ``"paper"``: the DRIDSR paper's 600 / 100 / 46 train/val/test counts. The paper does not
  publish its lists, so the split is drawn from all 746 images with a seeded permutation
  (``seed`` parameter, default 0): deterministic, but not the paper's images.

Source: https://github.com/UCSD-AI4H/COVID-CT (research use; images belong to the preprints' authors).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..config import cache_root, data_root
from ..errors import DataError, DatasetNotFoundError, UnknownNameError
from .cache import Origin, Prepared, explicit_root, files_fingerprint, read_prepared, reuse_note, write_prepared
from .images import read_gray_u8
from .intensity import U8
from .patches import extract_patches_from
from .splits import check_split

CLASSES = ("COVID", "NonCOVID")
SCHEMES = ("official", "paper")
PAPER_COUNTS = {"train": 600, "val": 100, "test": 46}
SOURCE = "https://github.com/UCSD-AI4H/COVID-CT (Images-processed/ and Data-split/)"


@dataclass(frozen=True)
class ImageRef:
    """One image of a dataset: where it is and what it is."""

    path: Path
    label: str
    split: str

    @property
    def name(self) -> str:
        return self.path.name


def locate_covid_ct(root=None) -> tuple[Path, bool]:
    """(the COVID-CT folder asked for, whether it holds ``Images-processed``); ``root`` may be the data root
    or the covid-ct folder itself."""
    base = data_root(root)
    cand = base if (base / "Images-processed").is_dir() else base / "covid-ct"
    return cand, (cand / "Images-processed").is_dir()


def covid_ct_root(root=None) -> Path:
    """``<data root>/covid-ct``, checked; ``root`` may be the data root or the covid-ct folder itself."""
    cand, exists = locate_covid_ct(root)
    if not exists:
        base = data_root(root)
        raise DatasetNotFoundError(
            f"COVID-CT not found: looked for {cand / 'Images-processed'} (data root {base}, set PAPERLIB_DATA "
            f"or pass root=). Obtain it from {SOURCE}"
        )
    return cand


def _all_images(root: Path) -> list[ImageRef]:
    refs = []
    for label in CLASSES:
        folder = root / "Images-processed" / f"CT_{label}"
        if not folder.is_dir():
            raise DatasetNotFoundError(f"COVID-CT class folder missing: {folder}. Obtain it from {SOURCE}")
        for p in sorted(folder.iterdir()):
            if p.suffix.lower() in (".png", ".jpg", ".jpeg"):
                refs.append(ImageRef(p, label, ""))
    return refs


def read_split_file(path: Path) -> list[str]:
    """Names listed in one official split file (blank lines ignored)."""
    if not path.is_file():
        raise DatasetNotFoundError(f"split file missing: {path}. Obtain Data-split/ from {SOURCE}")
    names = [ln.strip() for ln in path.read_text(encoding="utf-8", errors="replace").splitlines() if ln.strip()]
    if not names:
        raise DataError(f"{path}: split file is empty")
    return names


def covid_ct_split(
    split: str = "test", scheme: str = "official", seed: int = 0, root=None, limit: int | None = None
) -> list[ImageRef]:
    """Image references of one split.

    Args:
        split: ``"train"``, ``"val"``, ``"test"`` or ``"all"``.
        scheme: ``"official"`` lists or the ``"paper"``'s 600/100/46 counts drawn with ``seed``.
        seed: only for ``scheme="paper"``.
        root: data root (or the covid-ct folder); default :func:`paperlib.config.data_root`.
        limit: keep the first ``limit`` images (smoke runs); ``None`` keeps all.
    """
    if scheme not in SCHEMES:
        raise UnknownNameError(f"unknown COVID-CT split scheme {scheme!r}; known: {list(SCHEMES)}")
    check_split(split)
    r = covid_ct_root(root)
    images = _all_images(r)
    if split == "all":
        out = images
    elif scheme == "paper":
        order = np.random.default_rng(seed).permutation(len(images))
        start = {"train": 0, "val": 600, "test": 700}[split]
        out = [ImageRef(images[i].path, images[i].label, split) for i in order[start : start + PAPER_COUNTS[split]]]
    else:
        by_name = {(ref.label, ref.name): ref for ref in images}
        out = []
        for label in CLASSES:
            f = r / "Data-split" / label / f"{split}CT_{label}.txt"
            for name in read_split_file(f):
                ref = by_name.get((label, name))
                if ref is None:
                    raise DataError(
                        f"{f}: entry {name!r} names an image that does not exist in "
                        f"{r / 'Images-processed' / ('CT_' + label)}"
                    )
                out.append(ImageRef(ref.path, label, split))
    return out[:limit] if limit is not None else out


# ----------------------------------------------------------------- the prepared set (format: paperlib.data.cache)

CACHE_VERSION = 1


def cache_path(scheme: str, seed: int, patch: int, cache=None) -> Path:
    return cache_root(cache) / f"covid-ct_{scheme}_seed{seed}_p{patch}_v{CACHE_VERSION}.npz"


def _source_files(src: Path) -> list[Path]:
    """The files a prepared set depends on: every image and every existing ``Data-split`` list."""
    files = [r.path for r in _all_images(src)]
    for label in CLASSES:
        for split in ("train", "val", "test"):
            f = src / "Data-split" / label / f"{split}CT_{label}.txt"
            if f.is_file():
                files.append(f)
    return sorted(files)


def source_fingerprint(src, content: bool = True) -> dict:
    """:func:`files_fingerprint` of a COVID-CT folder's images and split lists."""
    return files_fingerprint(src, _source_files(Path(src)), content)


def covid_origin(root=None) -> Origin:
    return Origin("COVID-CT", *locate_covid_ct(root), explicit_root(root), source_fingerprint)


def _prepare(scheme, seed, patch, root, cache, force, progress, allow_other_root) -> tuple[Path, str | None]:
    from tqdm.auto import tqdm

    out = cache_path(scheme, seed, patch, cache)
    if out.exists() and not force:
        return out, reuse_note(out, covid_origin(root), allow_other_root)
    src = covid_ct_root(root)
    fingerprint = source_fingerprint(src)
    splits = {s: covid_ct_split(s, scheme, seed, root) for s in ("train", "val", "test")}
    loaded = {}
    for s, refs in splits.items():
        loaded[s] = [
            (r.name, r.label, read_gray_u8(r.path))
            for r in tqdm(refs, desc=f"COVID-CT {s}", disable=not progress, leave=False)
        ]
    patches, src_idx, report = extract_patches_from(
        [im for _, _, im in loaded["train"]], patch, names=[n for n, _, _ in loaded["train"]]
    )
    manifest = {
        "dataset": "COVID-CT",
        "source_root": str(src),
        "scheme": scheme,
        "seed": seed,
        "patch": patch,
        "stride": patch,
        "n_train_images": len(splits["train"]),
        "n_train_patches": int(report.n_patches),
        "train_images_too_small": [str(x) for x in report.too_small],
        "n_val": len(splits["val"]),
        "n_test": len(splits["test"]),
        "cache_version": CACHE_VERSION,
        "source_fingerprint": fingerprint
        | {"what": "images of Images-processed/CT_* and Data-split lists: relative name, size, sha256 of the bytes"},
    }
    write_prepared(out, manifest, patches, loaded["val"], loaded["test"], train_src=src_idx)
    return out, None


def prepare_covid_ct(
    scheme: str = "paper",
    seed: int = 0,
    patch: int = 192,
    root=None,
    cache=None,
    force: bool = False,
    progress: bool = True,
    allow_other_root: bool = False,
) -> Path:
    """Read COVID-CT once and write the prepared ``.npz`` (skipped when it exists unless ``force``).

    An existing cache is checked against ``root`` first (:func:`check_cache_origin`): made from
    another root that is missing or differs in content, it is refused unless ``allow_other_root``.
    """
    return _prepare(scheme, seed, patch, root, cache, force, progress, allow_other_root)[0]


def load_prepared_covid_ct(
    scheme: str = "paper",
    seed: int = 0,
    patch: int = 192,
    root=None,
    cache=None,
    progress: bool = True,
    allow_other_root: bool = False,
    force: bool = False,
) -> Prepared:
    """Load (preparing first if needed) the cached COVID-CT arrays; ``.note`` says if another root was accepted."""
    p, note = _prepare(scheme, seed, patch, root, cache, force, progress, allow_other_root)
    train_patches, val, test, manifest = read_prepared(p)
    return Prepared(train_patches, val, test, manifest, U8, p, note)
