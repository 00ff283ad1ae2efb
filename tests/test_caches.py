"""Caches keyed by what made them: evaluation results, prepared data, and the seed that picks the split."""

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from paperlib import config
from paperlib.data.cache import Prepared
from paperlib.data.covid_ct import load_prepared_covid_ct, source_fingerprint
from paperlib.errors import DataError
from paperlib.evaluate import evaluation_key
from paperlib.metrics import Protocol

POISON = 999.0


# ----------------------------------------------------------------- evaluation cache
def _synthetic(names=("a.png", "b.png"), seed=0) -> Prepared:
    rng = np.random.default_rng(seed)

    def img():
        return np.kron(rng.integers(0, 256, (16, 16)), np.ones((4, 4))).astype(np.uint8)  # 64x64, blocky

    man = {"dataset": "COVID-CT", "scheme": "paper", "seed": 0, "patch": 48, "n_train_patches": 4}
    return Prepared(
        np.zeros((4, 48, 48), np.uint8), [("v.png", "COVID", img())], [(n, "COVID", img()) for n in names], man
    )


def _poison(run_dir: Path) -> int:
    files = list(run_dir.glob("eval_test_*.csv"))
    for f in files:
        df = pd.read_csv(f)
        df["psnr"] = POISON
        df.to_csv(f, index=False)
    return len(files)


def _bicubic_run(path: Path):
    """A finished bicubic x4 run on disk (what ``train`` writes for a model with nothing to learn)."""
    import torch

    from paperlib.runs import Run

    path.mkdir(parents=True)
    (path / "manifest.json").write_text(
        json.dumps({"config": {"model": "bicubic", "scale": 4, "options": {}}, "status": "complete", "steps": 0})
    )
    torch.save({"model": {}, "key": "test"}, path / "weights.pt")
    return Run(path)


def test_evaluation_cache_keyed_by_images_protocol_and_weights(tmp_path):
    import torch

    from paperlib.experiments.dridsr.tables import evaluate_methods

    data = _synthetic()
    run = _bicubic_run(tmp_path / "bicubic_x4_smoke_test")
    runs = {("bicubic", 4): run}
    ev = lambda d=data, **kw: evaluate_methods(runs, d, "smoke", progress=False, with_niqe=False, **kw)  # noqa: E731
    first = ev()
    assert len(first) == 2 and (first["psnr"] < POISON).all()
    assert _poison(run.path) == 1
    assert (ev()["psnr"] == POISON).all()  # same inputs: the cached rows are read back

    # other test images (same count): recomputed, never the old file's numbers
    assert (ev(_synthetic(seed=1))["psnr"] < POISON).all()
    _poison(run.path)
    assert (ev(_synthetic(names=("a.png", "c.png")))["psnr"] < POISON).all()  # same pixels, other name
    # another protocol (border crop 2 instead of the scale)
    _poison(run.path)
    df = ev(protocol=Protocol(channel="y", crop_border=2))
    assert (df["psnr"] < POISON).all()
    # other weights in the same run directory
    _poison(run.path)
    state = torch.load(run.path / "weights.pt", weights_only=True)
    torch.save(state | {"retrained": True}, run.path / "weights.pt")
    assert (ev()["psnr"] < POISON).all()


def test_evaluation_key_covers_flags_and_metrics_version(tmp_path, monkeypatch):
    import paperlib.metrics
    from paperlib.experiments.dridsr import budget

    w = tmp_path / "w.pt"
    w.write_bytes(b"weights")
    imgs = _synthetic().test
    p = Protocol(channel="y", crop_border=4)
    k = evaluation_key(w, imgs, p, with_niqe=True, with_ms_ssim=True)
    assert k == evaluation_key(w, imgs, p, with_ms_ssim=True, with_niqe=True)  # order of flags irrelevant
    assert k != evaluation_key(w, imgs, p, with_niqe=False, with_ms_ssim=True)
    assert k != evaluation_key(w, imgs, Protocol(channel="gray", crop_border=4), with_niqe=True, with_ms_ssim=True)
    monkeypatch.setattr(paperlib.metrics, "METRICS_VERSION", paperlib.metrics.METRICS_VERSION + 1)
    assert k != evaluation_key(w, imgs, p, with_niqe=True, with_ms_ssim=True)
    assert not hasattr(budget, "eval_key")  # one key function, not two


# ----------------------------------------------------------------- prepared-data cache
@pytest.fixture()
def tiny_root(shared_data, tmp_path):
    """A COVID-CT layout with 6 images per class and official split lists (4 train, 1 val, 1 test)."""
    src, dst = shared_data / "covid-ct", tmp_path / "A" / "covid-ct"
    for label in ("COVID", "NonCOVID"):
        folder = src / "Images-processed" / f"CT_{label}"
        names = sorted(p.name for p in folder.iterdir() if p.suffix.lower() in (".png", ".jpg"))[:6]
        (dst / "Images-processed" / f"CT_{label}").mkdir(parents=True)
        for n in names:
            shutil.copy2(folder / n, dst / "Images-processed" / f"CT_{label}" / n)
        (dst / "Data-split" / label).mkdir(parents=True)
        for split, part in (("train", names[:4]), ("val", names[4:5]), ("test", names[5:])):
            (dst / "Data-split" / label / f"{split}CT_{label}.txt").write_text("\n".join(part) + "\n")
    return tmp_path / "A"


def _load(root, cache, **kw):
    return load_prepared_covid_ct("official", seed=0, patch=32, root=root, cache=cache, progress=False, **kw)


def test_prepared_cache_records_source(tiny_root, tmp_path):
    d = _load(tiny_root, tmp_path / "cache")
    man = d.manifest
    assert man["source_root"] == str((tiny_root / "covid-ct").resolve())
    fp = man["source_fingerprint"]
    assert (
        fp["files"] == 12 + 6 and fp["content_sha256"] == source_fingerprint(tiny_root / "covid-ct")["content_sha256"]
    )
    assert d.note is None and len(d.test) == 2
    assert _load(tiny_root, tmp_path / "cache").note is None  # same root: reused quietly


# One provenance policy for every prepared set: each case runs on COVID-CT and on an HU set
# (DeepLesion's PNG layout, copied from the shared data).
@pytest.fixture(params=["covid-ct", "deeplesion"])
def origin_case(request, shared_data, tmp_path):
    """(data root, loader(root, **kw) -> Prepared, the data set's folder under the root)."""
    from paperlib.data.sources import load_source

    if request.param == "covid-ct":
        root = request.getfixturevalue("tiny_root")
    else:
        root = tmp_path / "A"
        shutil.copytree(shared_data / "deeplesion", root / "deeplesion")

    def load(r, **kw):
        return load_source(
            request.param,
            root=r,
            cache=tmp_path / "cache",
            progress=False,
            **({"scheme": "official", "patch": 32} if request.param == "covid-ct" else {}),
            **kw,
        )

    return root, load, root / request.param


def _first_data_file(folder: Path) -> Path:
    return sorted(f for f in folder.rglob("*") if f.suffix.lower() in (".png", ".jpg"))[0]


def test_cache_refused_when_requested_root_is_missing(origin_case, tmp_path):
    root, load, _ = origin_case
    assert load(root).note is None and load(root).note is None  # made, then reused quietly
    missing = tmp_path / "nowhere"
    with pytest.raises(DataError) as e:
        load(missing)
    msg = str(e.value)
    assert "\n" not in msg and str(origin_case[2]) in msg and str(missing) in msg and "does not exist" in msg
    assert "allow_other_root" in msg and "--allow-cache-from-other-root" in msg
    d = load(missing, allow_other_root=True)
    assert d.note and str(missing) in d.note and len(d.test) == len(load(root).test)


def test_cache_used_from_a_copy_with_the_same_files(origin_case, tmp_path, capsys):
    root, load, _ = origin_case
    load(root)
    copy = tmp_path / "B"
    shutil.copytree(root, copy)
    capsys.readouterr()
    d = load(copy)
    assert d.note and "same" in d.note
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "same" in err[0]


def test_cache_refused_when_other_root_has_other_files(origin_case, tmp_path):
    root, load, folder = origin_case
    load(root)
    copy = tmp_path / "B"
    shutil.copytree(root, copy)
    img = _first_data_file(copy / folder.relative_to(root))
    raw = bytearray(img.read_bytes())
    raw[-1] ^= 0xFF  # same name, same size, other bytes: only the content hash sees it
    img.write_bytes(bytes(raw))
    with pytest.raises(DataError, match="holds other files"):
        load(copy)
    assert load(copy, allow_other_root=True).note


def test_cache_refused_when_its_own_root_changed(origin_case):
    root, load, folder = origin_case
    load(root)
    first = _first_data_file(folder)
    shutil.copy2(first, first.with_name("extra" + first.suffix))
    with pytest.raises(DataError, match="changed since"):
        load(root)


def test_cache_used_with_note_when_no_data_is_configured(origin_case, tmp_path, monkeypatch):
    """A GPU machine that received the repository's cache/ but no data root."""
    root, load, _ = origin_case
    n = len(load(root).test)
    monkeypatch.delenv("PAPERLIB_DATA", raising=False)
    monkeypatch.setattr(config, "REPO_ROOT", tmp_path / "repo-without-data")
    assert not config.data_root().exists()
    d = load(None)
    assert d.note and "data here" in d.note and len(d.test) == n
    monkeypatch.setenv("PAPERLIB_DATA", str(tmp_path / "repo-without-data"))  # asked for explicitly: refused
    with pytest.raises(DataError, match="does not exist"):
        load(None)


def test_cli_flag_reaches_the_cache_check(tiny_root, tmp_path, monkeypatch, capsys):
    """``--allow-cache-from-other-root``, which the refusal names, exists and lets the cache be used;
    ``--force`` re-prepares."""
    from paperlib.cli import main

    monkeypatch.setenv("PAPERLIB_CACHE", str(tmp_path / "cache"))
    args = ["data", "prepare", "--scheme", "official", "--patch", "32", "--quiet"]
    assert main([*args, "--data-root", str(tiny_root)]) == 0
    assert main([*args, "--data-root", str(tmp_path / "nowhere")]) == 2
    assert "--allow-cache-from-other-root" in capsys.readouterr().err
    assert main([*args, "--data-root", str(tmp_path / "nowhere"), "--allow-cache-from-other-root"]) == 0
    folder = tiny_root / "covid-ct" / "Images-processed" / "CT_COVID"
    first = sorted(folder.iterdir())[0]
    shutil.copy2(first, folder / ("extra" + first.suffix))  # its own root changed: refused until --force
    assert main([*args, "--data-root", str(tiny_root)]) == 2
    assert "changed since" in capsys.readouterr().err
    assert main([*args, "--data-root", str(tiny_root), "--force"]) == 0
    assert main([*args, "--data-root", str(tiny_root)]) == 0
    # train: the same flag reaches the data load (bicubic: nothing to learn, so only the data is exercised)
    train = ["train", "bicubic", "--scale", "2", "--profile", "smoke", "--runs", str(tmp_path / "runs"), "--quiet"]
    assert main([*train, "--data-root", str(tiny_root)]) == 0
    assert main([*train, "--data-root", str(tmp_path / "nowhere")]) == 2
    assert main([*train, "--data-root", str(tmp_path / "nowhere"), "--allow-cache-from-other-root"]) == 0


# ----------------------------------------------------------------- the notebook seed reaches the split
NOTEBOOKS = sorted((config.REPO_ROOT / "notebooks").rglob("*.ipynb"))


def _code(nb: Path) -> str:
    cells = json.loads(nb.read_text())["cells"]
    return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")


def _calls(code: str, func: str) -> list[str]:
    """The argument text of every call ``func(...)`` (balanced parentheses)."""
    out = []
    for m in re.finditer(rf"\b{func}\(", code):
        depth, i = 1, m.end()
        while depth and i < len(code):
            depth += {"(": 1, ")": -1}.get(code[i], 0)
            i += 1
        out.append(code[m.end() : i - 1])
    return out


LOADERS = ("load_data(", "dridsr_setup(")


@pytest.mark.parametrize("nb", [p for p in NOTEBOOKS if any(f in p.read_text() for f in LOADERS)], ids=lambda p: p.name)
def test_notebooks_pass_their_seed(nb):
    code = _code(nb)
    assert re.search(r"^seed\s*=", code, re.M), f"{nb.name}: no seed parameter"
    for func in ("load_data", "train_methods"):
        for args in _calls(code, func):
            assert re.search(r"\bseed\s*=\s*seed\b", args), f"{nb.name}: {func}({args}) does not pass seed=seed"
    for args in _calls(code, "dridsr_setup"):  # (profile, seed, data_root, progress)
        parts = [a.strip() for a in args.split(",")]
        assert parts[1] in ("seed", "seed=seed") or "seed=seed" in parts, f"{nb.name}: dridsr_setup({args})"


def test_dridsr_notebooks_checked():
    assert len([p for p in NOTEBOOKS if "dridsr" in str(p) and any(f in p.read_text() for f in LOADERS)]) >= 6


class _Stop(Exception):
    pass


def test_default_data_follows_the_seed(monkeypatch):
    from bench import parity
    from paperlib.experiments.dridsr import tables as dridsr

    seen = []

    def fake_load_data(seed=0, **kw):
        seen.append(seed)
        raise _Stop

    monkeypatch.setattr(dridsr, "load_data", fake_load_data)
    monkeypatch.setattr(parity, "load_data", fake_load_data)
    with pytest.raises(_Stop):
        dridsr.train_methods("smoke", seed=3, progress=False)
    with pytest.raises(_Stop):
        parity.parity_per_image(split_seed=5)
    assert seen == [3, 5]


@pytest.mark.slow
def test_load_data_seed_changes_the_test_list(shared_data, tmp_path, monkeypatch):
    from paperlib.data.covid_ct import covid_ct_split
    from paperlib.experiments.dridsr.tables import load_data

    monkeypatch.setenv("PAPERLIB_CACHE", str(tmp_path / "cache"))
    d1 = load_data(seed=1, data_root=shared_data, progress=False)
    names1 = [n for n, _, _ in d1.test]
    names0 = [r.name for r in covid_ct_split("test", "paper", seed=0, root=shared_data)]
    assert d1.manifest["seed"] == 1 and len(names1) == 46
    assert names1 != names0
    assert names1 == [r.name for r in covid_ct_split("test", "paper", seed=1, root=shared_data)]
