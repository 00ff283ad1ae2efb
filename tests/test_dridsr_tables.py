"""experiments.dridsr.tables: figure specs (Figs. 7-11), PI with NRQM, Table 2 layer counts."""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import torch

from paperlib import metrics
from paperlib import models as M
from paperlib.experiments.dridsr import tables as ex
from paperlib.paper_values import DRIDSR_FIGURE_CAPTIONS

ROOT = Path(__file__).resolve().parents[1]
PAPER = ROOT.parent / "shared" / "papers" / "DRIDSR_lung_CT_SR_2022.txt"
NB06 = ROOT / "notebooks" / "dridsr" / "06_figs7_11_visual_comparison.ipynb"


# ------------------------------------------------------------------ Figs. 7-11
def _caption_class(caption: str) -> str:
    if "GGO" in caption:
        return "COVID"  # ground-glass opacity: the COVID sign the paper shows in Fig. 7
    return "NonCOVID" if "Non-COVID" in caption else "COVID"


def test_figure_captions_are_the_papers():
    if not PAPER.is_file():
        pytest.skip(f"paper text not found at {PAPER}")
    text = PAPER.read_text()
    found = {
        f"fig{n}": re.sub(r"\$\\times (\d)\$", r"x\1", cap).strip()
        for n, cap in re.findall(r"^Fig\. (\d+)\. (Visual comparison.*)$", text, flags=re.M)
    }
    assert found == DRIDSR_FIGURE_CAPTIONS


@pytest.mark.parametrize("fig", ["fig7", "fig8", "fig9", "fig10", "fig11"])
def test_figure_specs_follow_captions(fig):
    cap, spec = DRIDSR_FIGURE_CAPTIONS[fig], ex.FIGURES[fig]
    assert spec["scale"] == int(re.search(r"x(\d)", cap).group(1))
    assert spec["label"] == _caption_class(cap)
    tag = "ggo" if "GGO" in cap else spec["label"].lower()
    assert spec["name"] == f"{fig}_{tag}_x{spec['scale']}"


def test_fig10_is_noncovid_and_fig11_covid_at_x4():
    # the swap this file guards against: Fig. 10 = x4 Non-COVID, Fig. 11 = x4 COVID
    assert (ex.FIGURES["fig10"]["label"], ex.FIGURES["fig10"]["scale"]) == ("NonCOVID", 4)
    assert (ex.FIGURES["fig11"]["label"], ex.FIGURES["fig11"]["scale"]) == ("COVID", 4)


def test_notebook06_takes_images_and_boxes_from_its_parameters():
    nb = json.loads(NB06.read_text())
    params = next(c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", []))
    env: dict = {}
    exec("".join(params["source"]), env)  # literals only
    assert set(env["images"]) == set(env["boxes"]) == set(ex.FIGURES)
    for fig, spec in ex.FIGURES.items():  # the parameters cell states the package's choices
        assert env["images"][fig] == spec["image"]
        assert (tuple(env["boxes"][fig]) if env["boxes"][fig] else None) == spec["box"]
    code = "".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    assert "ex.FIGURES" in code and "figure_comparison" in code
    assert "fig10_covid" not in code and "fig11_noncovid" not in code


def _lung_mask(img: np.ndarray) -> np.ndarray:
    """Lungs: dark (< 100) regions not connected to the image border (air outside the body), holes filled."""
    from scipy import ndimage

    lab, n = ndimage.label(img < 100)
    border = set(np.unique(np.concatenate([lab[0], lab[-1], lab[:, 0], lab[:, -1]])))
    sizes = ndimage.sum(np.ones_like(lab), lab, range(1, n + 1))
    keep = [i for i in range(1, n + 1) if i not in border and sizes[i - 1] > 0.02 * img.size]
    return ndimage.binary_fill_holes(np.isin(lab, keep))


def test_fig7_box_is_a_ggo_region_inside_the_lung(shared_data):
    data = ex.load_data(seed=0, progress=False)
    spec = ex.figure_spec("fig7", data)
    name, label, img = spec["image"]
    assert spec["note"] == "" and label == "COVID"
    y, x, s = spec["box"]
    h, w = (d - d % 4 for d in img.shape)  # modcrop(4)
    assert min(y, x, h - y - s, w - x - s) >= s // 2  # away from the border
    assert _lung_mask(img)[y : y + s, x : x + s].mean() > 0.95  # inside the lung
    patch = img[y : y + s, x : x + s].astype(float)
    # GGO: part of the box is clearly denser than aerated lung, yet not solid tissue (< 5% saturated)
    assert (patch > 120).mean() > 0.1 and (patch > 230).mean() < 0.05


# ------------------------------------------------------------------ PI
def _per_image_setup(tmp_path):
    imgs = [
        ("a.png", "COVID", np.full((32, 32), 51, np.uint8)),
        ("b.png", "NonCOVID", np.full((32, 32), 102, np.uint8)),
    ]
    per_image = pd.DataFrame(
        {
            "method": "bicubic",
            "scale": 4,
            "image": ["a.png", "b.png"],
            "label": ["COVID", "NonCOVID"],
            "psnr": [30.0, 32.0],
            "ssim": [0.8, 0.9],
            "ms_ssim": [0.95, 0.97],
            "niqe": [5.0, 8.0],
        }
    )
    (tmp_path / "run").mkdir()
    # a finished run always has weights.pt (paperlib.runs); the Ma cache is keyed by its sha256
    torch.save(M.create("bicubic", scale=4).state_dict(), tmp_path / "run" / "weights.pt")
    run = SimpleNamespace(path=tmp_path / "run", load_model=lambda device="cpu": M.create("bicubic", scale=4))
    return per_image, {("bicubic", 4): run}, SimpleNamespace(test=imgs)


def test_table1_pi_from_injected_ma(tmp_path, monkeypatch):
    per_image, runs, data = _per_image_setup(tmp_path)
    calls = []

    def fake_ma(img, crop_border=0, data_range=1.0):
        calls.append(crop_border)
        # the SR of a constant image is that constant: a.png -> 51, b.png -> 102
        return {51: 2.0, 102: 4.0}[int(round(float(np.mean(img)) * 255))]

    monkeypatch.setattr(metrics, "nrqm_available", lambda: True)
    monkeypatch.setattr(metrics, "ma_score", fake_ma)
    t1 = ex.table1(per_image, runs=runs, data=data)
    # PI per image = ((10 - Ma) + NIQE) / 2: a (10-2+5)/2 = 6.5, b (10-4+8)/2 = 7.0; mean 6.75
    assert t1.loc[0, "PI"] == 6.75
    assert t1.loc[0, "Ma"] == 3.0
    assert calls == [4, 4]  # Ma on the same border crop (= scale) as NIQE
    # cached: a second table does not score again
    ex.table1(per_image, runs=runs, data=data)
    assert calls == [4, 4]
    scored = ex.perceptual_scores(per_image, runs, data)
    assert scored["pi"].tolist() == [6.5, 7.0]


def test_table1_pi_unavailable_without_nrqm(tmp_path, monkeypatch):
    per_image, runs, data = _per_image_setup(tmp_path)
    monkeypatch.setattr(metrics, "nrqm_available", lambda: False)
    monkeypatch.setattr(metrics, "ma_score", lambda *a, **k: pytest.fail("Ma computed without NRQM_model.mat"))
    t1 = ex.table1(per_image, runs=runs, data=data)
    assert (t1["PI"] == "unavailable (NRQM_model.mat not found)").all()
    assert "Ma" not in t1.columns


# ------------------------------------------------------------------ Table 1 training seeds
def test_table1_seeds_pair_by_seed_and_keep_the_first_seeds_run(tmp_path):
    """Two training seeds of DRIDSR on one split: the first is the run ``train_methods`` returns (same key, so
    committed single-seed runs are reused), bicubic runs once and is paired with both, and the one rule gets an
    interval over seeds from exactly the two per-seed means."""
    from scipy import stats as scipy_stats

    data = ex.load_data(seed=0, profile="smoke", progress=False)
    seeds = ex.train_seeds("smoke", (4,), ("bicubic", "dridsr"), data=data, progress=False, runs=tmp_path, seeds=(0, 1))
    assert sorted(seeds) == [("bicubic", 4, 0), ("dridsr", 4, 0), ("dridsr", 4, 1)]
    first = ex.train_methods("smoke", (4,), ("bicubic", "dridsr"), data=data, progress=False, runs=tmp_path)
    assert first[("dridsr", 4)].path == seeds[("dridsr", 4, 0)].path != seeds[("dridsr", 4, 1)].path
    per = ex.evaluate_methods(seeds, data, "smoke", progress=False, with_niqe=False)
    assert sorted(per.groupby("method")["seed"].unique().map(list).to_dict().items()) == [
        ("bicubic", [0]),
        ("dridsr", [0, 1]),
    ]
    t1 = ex.table1(per).set_index("Method")
    n = len(ex.test_images(data, "smoke"))
    assert (t1.loc["DRIDSR", "seeds"], t1.loc["Bicubic", "seeds"], t1.loc["DRIDSR", "images"]) == (2, 1, n)
    row = ex.paired_vs(per).iloc[0]
    bic = per[per["method"] == "bicubic"].set_index("image")["psnr"]
    per_seed = [(g.set_index("image")["psnr"] - bic).mean() for _, g in per[per["method"] == "dridsr"].groupby("seed")]
    half = scipy_stats.t.ppf(0.975, 1) * np.std(per_seed, ddof=1) / np.sqrt(2)  # 95%, 2 seeds: t with 1 dof
    lo, hi = np.mean(per_seed) - half, np.mean(per_seed) + half
    assert (row["n_seeds"], row["seed_ci_low"], row["seed_ci_high"]) == (2, pytest.approx(lo), pytest.approx(hi))


# ------------------------------------------------------------------ Table 2 layers
# Convention (paperlib.models.LAYERS_DEFINITION): weight layers on the main path, 1x1 convs included,
# convolutions inside attention/gating branches excluded, fixed filters counted once. Counted by hand
# from the architectures (x4):
#   VDSR:   20 3x3 convs (1 in, 18 middle, 1 out); no attention                      -> 20 (all convs 20)
#   IMDN:   fea_conv 1 + 6 IMDBs x (c1..c4 3x3 + c5 1x1 = 5) + 1x1 fusion 1 + LR_conv 1 + upsampler conv 1
#           = 1 + 30 + 3 = 34; each IMDB's CCA adds two 1x1 convs (12)                -> 34 (all convs 46)
#   PAN:    conv_first 1 + 16 SCPAs x (conv1_a, conv1_b, k1, PAConv k3, k4, conv3 = 6) + trunk_conv 1
#           + U-PA twice (upconv, HRconv = 2 each, 4) + conv_last 1 = 1 + 96 + 1 + 4 + 1 = 103; gates:
#           PAConv k2 (16) and the two PA 1x1 convs (att1, att2)                       -> 103 (all convs 121)
#   DRIDSR: low path 5x5, 3x3, 1x1 (3) + f1 (1) + RIDM: 6 residual blocks x 2 + 5 IDBs x 2 (1x1 coarse,
#           3x3 refine) + 1x1 fusion = 23 + f2 (1) + Sobel (fixed, 1) + f3 1x1 (1) + reconstruction 2
#           = 3 + 1 + 23 + 1 + 1 + 1 + 2 = 32; no attention                          -> 32 (all convs 32)
HAND = {"vdsr": (20, 20), "imdn": (34, 46), "pan": (103, 121), "dridsr": (32, 32)}


@pytest.mark.parametrize("name", list(HAND))
def test_table2_layer_counts_match_hand_derivation(name):
    model = M.create(name, scale=4)
    assert (M.main_path_layers(model), M.count_layers(model)) == HAND[name]


def test_table2_uses_one_convention_for_every_row(monkeypatch):
    import paperlib.evaluate as ev

    monkeypatch.setattr(ev, "inference_time", lambda *a, **k: {"median_s": 0.0})
    methods = tuple(HAND)
    runs = {(m, 4): SimpleNamespace(load_model=lambda device="cpu", m=m: M.create(m, scale=4)) for m in methods}
    per_image = pd.DataFrame({"method": list(methods), "scale": 4, "psnr": 30.0, "ssim": 0.8})
    t2 = ex.table2(runs, per_image, scale=4, methods=methods)
    assert t2["Layers"].tolist() == [HAND[m][0] for m in methods]
    assert t2["Layers (all convs)"].tolist() == [HAND[m][1] for m in methods]
    assert t2["paper Layers"].tolist() == [20, 34, 60, 32]
    assert "main path" in M.LAYERS_DEFINITION
