"""COVID-CT loader, patches and cache on the real shared data, plus bad input."""

import shutil

import numpy as np
import pytest
import torch
from PIL import Image

from paperlib.data.covid_ct import covid_ct_split, load_prepared_covid_ct
from paperlib.data.images import read_gray_u8
from paperlib.data.patches import PatchSampler, augment_batch, augment_np, grid_patches, random_crop_pair
from paperlib.errors import DataError, DatasetNotFoundError, UnknownNameError


def test_official_split_counts(shared_data):
    counts = {s: len(covid_ct_split(s, "official", root=shared_data)) for s in ("train", "val", "test")}
    assert counts == {"train": 425, "val": 118, "test": 203}
    assert len(covid_ct_split("all", root=shared_data)) == 746


def test_paper_split_is_deterministic_and_disjoint(shared_data):
    a = {s: [r.path for r in covid_ct_split(s, "paper", seed=0, root=shared_data)] for s in ("train", "val", "test")}
    b = [r.path for r in covid_ct_split("test", "paper", seed=0, root=shared_data)]
    c = [r.path for r in covid_ct_split("test", "paper", seed=1, root=shared_data)]
    assert [len(v) for v in a.values()] == [600, 100, 46]
    assert a["test"] == b and a["test"] != c
    assert not (set(a["train"]) & set(a["test"])) and not (set(a["val"]) & set(a["test"]))


def test_reads_every_mode_to_gray_u8(shared_data, tmp_path):
    ref = covid_ct_split("test", root=shared_data)[0]
    g = read_gray_u8(ref.path)
    assert g.dtype == np.uint8 and g.ndim == 2
    rgb = np.stack([g, g, g], -1)
    Image.fromarray(rgb).save(tmp_path / "rgb.png")
    Image.fromarray(np.dstack([rgb, np.full_like(g, 255)])).save(tmp_path / "rgba.png")
    for name in ("rgb.png", "rgba.png"):
        np.testing.assert_array_equal(read_gray_u8(tmp_path / name), g)


def test_bad_images_name_file_and_problem(shared_data, tmp_path):
    src = covid_ct_split("test", root=shared_data)[0].path
    data = src.read_bytes()
    (tmp_path / "trunc.png").write_bytes(data[: len(data) // 3])
    with pytest.raises(DataError, match="trunc.png"):
        read_gray_u8(tmp_path / "trunc.png")
    Image.fromarray(np.zeros((20, 20), np.uint16) + 1000).save(tmp_path / "sixteen.png")
    with pytest.raises(DataError, match=r"sixteen.png.*16-bit"):
        read_gray_u8(tmp_path / "sixteen.png")
    with pytest.raises(DataError, match="not found"):
        read_gray_u8(tmp_path / "nope.png")


def _copy_layout(shared_data, tmp_path):
    root = tmp_path / "covid-ct"
    shutil.copytree(shared_data / "covid-ct" / "Data-split", root / "Data-split")
    (root / "Images-processed").symlink_to(shared_data / "covid-ct" / "Images-processed")
    return root


def test_missing_empty_and_wrong_split_files(shared_data, tmp_path):
    root = _copy_layout(shared_data, tmp_path)
    f = root / "Data-split" / "COVID" / "testCT_COVID.txt"
    f.write_text("")
    with pytest.raises(DataError, match="testCT_COVID.txt.*empty"):
        covid_ct_split("test", root=tmp_path)
    f.write_text("no_such_image.png\n")
    with pytest.raises(DataError, match="no_such_image.png"):
        covid_ct_split("test", root=tmp_path)
    f.unlink()
    with pytest.raises(DatasetNotFoundError, match="testCT_COVID.txt"):
        covid_ct_split("test", root=tmp_path)
    with pytest.raises(DatasetNotFoundError, match="COVID-CT not found"):
        covid_ct_split("test", root=tmp_path / "elsewhere")
    with pytest.raises(UnknownNameError, match="scheme"):
        covid_ct_split("test", scheme="mine", root=shared_data)


def test_patches_and_too_small():
    img = np.arange(500 * 400, dtype=np.int64).reshape(500, 400) % 251
    p = grid_patches(img.astype(np.uint8), 192)
    assert p.shape == (2 * 2, 192, 192)
    np.testing.assert_array_equal(p[1], img[:192, 192:384])
    assert len(grid_patches(np.zeros((100, 300), np.uint8), 192)) == 0
    with pytest.raises(DataError, match="smaller than the 192x192 patch"):
        random_crop_pair(np.zeros((100, 300)), 192, np.random.default_rng(0), name="tiny.png")


def test_augment_torch_matches_numpy():
    x = torch.arange(2 * 5 * 5, dtype=torch.float32).reshape(2, 1, 5, 5)
    g = torch.Generator().manual_seed(3)
    out = augment_batch(x, g)
    # every output is one of the 8 dihedral transforms of its input
    for i in range(2):
        variants = [augment_np(x[i, 0].numpy(), f, r) for f in (0, 1) for r in range(4)]
        assert any(np.array_equal(out[i, 0].numpy(), v) for v in variants)


def test_prepared_cache_and_sampler(shared_data, tmp_path):
    d = load_prepared_covid_ct("paper", seed=0, patch=192, root=shared_data, progress=False)
    assert d.manifest["n_train_images"] == 600 and len(d.test) == 46
    assert d.train_patches.shape[1:] == (192, 192) and d.train_patches.dtype == np.uint8
    # the paper reports 1,498 pairs from its 600 images; the grid on our seeded split is close
    assert d.manifest["n_train_patches"] == len(d.train_patches)
    from PIL import Image

    from paperlib.data.covid_ct import covid_ct_split

    sizes = [Image.open(r.path).size for r in covid_ct_split("train", "paper", 0, root=shared_data)]
    assert len(d.train_patches) == sum((w // 192) * (h // 192) for w, h in sizes)  # non-overlapping 192 grid
    name, label, img = d.test[0]
    assert img.dtype == np.uint8 and label in ("COVID", "NonCOVID")
    s = PatchSampler(d.train_patches[:32], scale=4, patch=96, batch_size=4, seed=0)
    lr, hr = s.next_batch()
    assert lr.shape == (4, 1, 24, 24) and hr.shape == (4, 1, 96, 96)
    s2 = PatchSampler(d.train_patches[:32], scale=4, patch=96, batch_size=4, seed=0)
    torch.testing.assert_close(s2.next_batch()[0], lr)
