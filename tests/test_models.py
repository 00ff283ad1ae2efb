"""Tests of the model zoo: reference parameter counts, shapes, registry errors, determinism, DRIDSR
paths and edge maps, torch.compile / channels_last, and a real-patch overfit check."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from paperlib import models as M
from paperlib.errors import UnknownNameError

# Reference counts of the official/common definitions (RGB = in_channels 3 unless "1ch").
REFERENCE_COUNTS = [
    ("srcnn", 1, {2: 57_281, 3: 57_281, 4: 57_281}),
    ("fsrcnn", 1, {2: 12_809, 3: 12_809, 4: 12_809}),
    ("espcn", 1, {2: 21_284, 3: 22_729, 4: 24_752}),
    ("vdsr", 1, {2: 665_921, 3: 665_921, 4: 665_921}),
    ("drrn", 1, {2: 297_601, 3: 297_601, 4: 297_601}),
    ("edsr_baseline", 3, {2: 1_369_859, 3: 1_554_499, 4: 1_517_571}),
    ("edsr", 3, {2: 40_729_603, 3: 43_680_003, 4: 43_089_923}),
    ("rdn", 3, {2: 22_123_395, 3: 22_308_035, 4: 22_271_107}),
    ("rcan", 3, {2: 15_444_643, 3: 15_629_283, 4: 15_592_355}),
    ("imdn", 3, {2: 694_404, 3: 703_059, 4: 715_176}),
    ("imdn", 1, {2: 688_636, 3: 691_521, 4: 695_560}),
    ("pan", 3, {2: 261_403, 3: 261_403, 4: 272_419}),
    ("pan", 1, {2: 260_249, 3: 260_249, 4: 271_265}),
]

# Small options for the forward tests of the big models (full size is only counted).
SMALL = {
    "edsr": dict(n_resblocks=2, n_feats=16),
    "edsr_baseline": dict(n_resblocks=2, n_feats=16),
    "mdsr": dict(n_resblocks=2, n_feats=16),
    "rdn": dict(n_blocks=2, n_convs=2, g0=16, growth=8),
    "rcan": dict(n_resgroups=1, n_resblocks=2, n_feats=16, reduction=4),
    "idman": dict(n_groups=1, n_blocks=1, n_feats=16, reduction=4),
    "drrn": dict(n_units=3),
}


def _meta_create(name, **kw):
    """Instantiate on the meta device: exact parameter shapes, no memory, no init cost."""
    with torch.device("meta"):
        return M.create(name, **kw)


@pytest.mark.parametrize(
    "name,channels,scale,expected", [(n, c, s, v) for n, c, counts in REFERENCE_COUNTS for s, v in counts.items()]
)
def test_reference_parameter_counts(name, channels, scale, expected):
    model = _meta_create(name, scale=scale, in_channels=channels)
    assert M.count_parameters(model) == expected


def test_meta_counts_equal_real_counts():
    for name in ("pan", "dridsr", "imdn"):
        assert M.count_parameters(_meta_create(name)) == M.count_parameters(M.create(name))


def test_bicubic_has_no_parameters():
    assert M.count_parameters(M.create("bicubic")) == 0
    assert M.count_layers(M.create("bicubic")) == 0


def test_dridsr_counts_match_paper_table2():
    # Table 2 (x4): 0.52 M parameters, 32 layers.
    model = M.create("dridsr", scale=4)
    assert M.count_parameters(model) == 523_933
    assert round(M.count_parameters(model) / 1e6, 2) == 0.52
    assert M.count_layers(model) == 32  # 31 trainable convs + the fixed Sobel layer
    assert M.count_layers(model, include_fixed=False) == 31
    assert M.count_parameters(M.create("dridsr", scale=3)) == 474_345
    assert M.count_parameters(M.create("dridsr", scale=2)) == 438_925


def test_layer_counts_of_table2_baselines():
    assert M.count_layers(M.create("vdsr")) == 20
    imdn = M.create("imdn", scale=4)
    assert M.count_layers(imdn, include_attention=False) == 34
    assert M.count_layers(imdn) == 46
    # PAN: the paper says 60; the official code has 121 convolutions at x4 (documented mismatch).
    assert M.count_layers(M.create("pan", scale=4)) == 121


def _idman_expected(scale, c_in=1, G=10, B=20, C=64, r=16, branches=(3, 5), wn=True):
    """Closed-form IDMAN parameter count (weight + bias + WN gain per output channel)."""

    def p(i, o, k):
        return k * k * i * o + o + (o if wn else 0)

    dc = C // 2
    distill = 3 * p(C, dc, 1) + 3 * p(C, C, 3) + p(C, dc, 3) + p(4 * dc, C, 1)
    mab = sum(2 * p(C, C, k) + p(C, C // r, 1) + p(C // r, C, 1) for k in branches)
    group = B * (distill + mab) + p(C, C, 3)
    up = {2: p(C, 4 * C, 3), 3: p(C, 9 * C, 3), 4: 2 * p(C, 4 * C, 3)}[scale]
    return p(c_in, C, 3) + G * group + p(C, C, 3) + up + p(C, C, 3) + p(C, c_in, 3)


@pytest.mark.parametrize("scale,expected", [(2, 85_485_954), (3, 85_670_914), (4, 85_633_922)])
def test_idman_full_parameter_count(scale, expected):
    """The package's model (built on the meta device: exact shapes, no memory) against the closed form."""
    assert _idman_expected(scale) == expected
    model = _meta_create("idman", scale=scale)
    assert M.count_parameters(model) == expected
    ups = {2: 1, 3: 1, 4: 2}[scale]  # x4 upsamples in two x2 steps
    assert M.count_layers(model) == 2 + 10 * (20 * 16 + 1) + 1 + ups + 1  # 3216 at x4


def test_idman_small_counts_match_formula():
    for kw in (dict(), dict(weight_norm=False), dict(attention=(3, 5, 7))):
        wn = kw.get("weight_norm", True)
        br = kw.get("attention", (3, 5))
        model = M.create("idman", scale=2, n_groups=2, n_blocks=2, n_feats=32, **kw)
        assert M.count_parameters(model) == _idman_expected(2, G=2, B=2, C=32, branches=br, wn=wn)
    # MAB pooling choice does not change the parameters
    a = M.create("idman", scale=2, n_groups=1, n_blocks=1, mab_pool="global")
    b = M.create("idman", scale=2, n_groups=1, n_blocks=1, mab_pool="local")
    assert M.count_parameters(a) == M.count_parameters(b)


@pytest.mark.parametrize("name", M.list_models())
@pytest.mark.parametrize("scale", [2, 3, 4])
def test_forward_shape(name, scale):
    torch.manual_seed(0)
    model = M.create(name, scale=scale, **SMALL.get(name, {})).eval()
    x = torch.rand(1, 1, 12, 12)
    with torch.no_grad():
        y = model(x)
    assert y.shape == (1, 1, 12 * scale, 12 * scale)
    assert y.dtype == torch.float32 and torch.isfinite(y).all()


@pytest.mark.parametrize(
    "options",
    [
        dict(extract="conv", attention="channel"),
        dict(attention=(3,)),
        dict(attention=(3, 5, 7), mab_pool="global"),
        dict(weight_norm=False),
        dict(feedback_steps=0),
    ],
)
def test_idman_ablation_variants_run(options):
    model = M.create("idman", scale=2, **{**SMALL["idman"], **options})
    assert model(torch.rand(1, 1, 8, 8)).shape == (1, 1, 16, 16)


def test_unknown_name_error_lists_models():
    with pytest.raises(UnknownNameError) as err:
        M.create("srgan")
    msg = str(err.value)
    assert msg.startswith("unknown model 'srgan'; available: ")
    assert "dridsr" in msg and "idman" in msg
    with pytest.raises(KeyError):  # UnknownNameError is a KeyError too
        M.model_info("nope")


@pytest.mark.parametrize("name", ["dridsr", "espcn", "vdsr", "bicubic"])
def test_unsupported_scale(name):
    with pytest.raises(ValueError, match=rf"{name}.*scale 5"):
        M.create(name, scale=5)
    with pytest.raises(ValueError, match=name):
        M.create(name, scale=2.5)


def test_registry_info():
    names = M.list_models()
    assert names == sorted(names)
    assert {
        "bicubic",
        "srcnn",
        "fsrcnn",
        "espcn",
        "vdsr",
        "drrn",
        "edsr_baseline",
        "edsr",
        "mdsr",
        "rdn",
        "rcan",
        "imdn",
        "pan",
        "dridsr",
        "idman",
    } == set(names)
    assert {n for n in names if M.model_info(n).family == "paper"} == {"dridsr", "idman"}
    assert {n for n in names if M.model_info(n).pre_upsampling} == {"bicubic", "srcnn", "vdsr", "drrn"}


@pytest.mark.parametrize("name", M.list_models())
def test_deterministic_init(name):
    kw = SMALL.get(name, {})
    torch.manual_seed(123)
    a = M.create(name, scale=2, **kw).state_dict()
    torch.manual_seed(123)
    b = M.create(name, scale=2, **kw).state_dict()
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), k


def test_bicubic_model_matches_imresize():
    from paperlib.data.degrade import imresize_torch

    x = torch.rand(2, 1, 10, 10)
    assert torch.allclose(M.create("bicubic", scale=3)(x), imresize_torch(x, 3))


def test_dridsr_return_paths():
    torch.manual_seed(0)
    model = M.create("dridsr", scale=3).eval()
    x = torch.rand(2, 1, 12, 10)
    with torch.no_grad():
        out = model(x, return_paths=True)
        sr = model(x)
    assert set(out) == {"sr", "low", "high"}
    assert out["sr"].shape == (2, 1, 36, 30)
    assert out["low"].shape == out["high"].shape == (2, 28, 12, 10)
    assert torch.allclose(out["sr"], sr)
    # the fused features are exactly F_L + F_H fed to the reconstruction
    assert torch.allclose(model.recon(out["low"] + out["high"]), sr)


@pytest.mark.parametrize("edge", ["sobel", "canny", "none"])
def test_dridsr_edge_options(edge):
    model = M.create("dridsr", scale=2, edge=edge)
    assert model(torch.rand(1, 1, 12, 12)).shape == (1, 1, 24, 24)
    assert M.count_layers(model) == (30 if edge == "none" else 32)  # none: no Sobel, no f2


def test_sobel_edges_step_image():
    # 0 | 1 vertical step; replicate padding; Sobel gx = [1,2,1] x (right - left) = 4 next to the
    # step, normalised by 4 -> 1; flat columns (also at the border, thanks to replicate) -> 0.
    x = torch.zeros(1, 1, 4, 4)
    x[..., 2:] = 1.0
    expected = torch.tensor([0.0, 1.0, 1.0, 0.0]).expand(4, 4)
    assert torch.allclose(M.sobel_edges(x)[0, 0], expected, atol=1e-5)
    assert torch.allclose(M.sobel_edges(x, normalize=False)[0, 0], 4 * expected, atol=1e-5)
    # a horizontal half-height step: gy only, scaled 0.5 (step height)
    y = torch.zeros(1, 2, 4, 4)
    y[:, 1, 2:, :] = 0.5
    e = M.sobel_edges(y)
    assert torch.allclose(e[0, 0], torch.zeros(4, 4), atol=1e-5)
    assert torch.allclose(e[0, 1], 0.5 * expected.t(), atol=1e-5)
    # differentiable, finite gradients even on flat regions
    z = torch.rand(1, 1, 6, 6, requires_grad=True)
    M.sobel_edges(torch.cat([z, torch.zeros_like(z)], 1)).sum().backward()
    assert torch.isfinite(z.grad).all()


def test_canny_edges_thresholds():
    img = np.zeros((32, 32), np.uint8)
    img[:, 16:] = 200
    edges = M.canny_edges(img, 60, 120)
    assert edges.dtype == np.uint8 and edges.shape == img.shape
    assert set(np.unique(edges)) <= {0, 255} and edges[:, 14:18].any() and not edges[:, :10].any()
    faint = np.zeros((32, 32), np.uint8)
    faint[:, 16:] = 10  # gradient far below the 60/120 thresholds
    assert not M.canny_edges(faint).any()
    with pytest.raises(ValueError):
        M.canny_edges(img.astype(float))


def test_dridsr_channels_last_matches():
    torch.manual_seed(0)
    model = M.create("dridsr", scale=4).eval()
    x = torch.rand(2, 1, 16, 16)
    with torch.no_grad():
        ref = model(x)
        model_cl = model.to(memory_format=torch.channels_last)
        out = model_cl(x.contiguous(memory_format=torch.channels_last))
    assert torch.allclose(out, ref, atol=1e-5)


@pytest.mark.slow
def test_torch_compile_smoke():
    torch.manual_seed(0)
    model = M.create("espcn", scale=2).eval()
    x = torch.rand(1, 1, 12, 12)
    compiled = torch.compile(model)
    with torch.no_grad():
        assert torch.allclose(compiled(x), model(x), atol=1e-5)


def _real_patch(shared_data):
    from PIL import Image

    folder = shared_data / "covid-ct" / "Images-processed" / "CT_COVID"
    if not folder.is_dir():
        pytest.skip(f"COVID-CT images not found in {folder}")
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in (".png", ".jpg", ".jpeg"))
    if not files:
        pytest.skip(f"no images in {folder}")
    img = np.asarray(Image.open(files[0]).convert("L"), dtype=np.float32) / 255.0
    h, w = img.shape
    top, left = h // 2 - 24, w // 2 - 24  # central 48x48 crop: lung / mediastinum, not background
    return torch.from_numpy(img[top : top + 48, left : left + 48].copy())[None, None]


@pytest.mark.parametrize("name", ["dridsr", "espcn"])
def test_overfit_real_patch(name, shared_data):
    from paperlib.data.degrade import imresize_torch

    hr = _real_patch(shared_data)
    lr = imresize_torch(hr, 1 / 4)
    assert lr.shape == (1, 1, 12, 12)
    torch.manual_seed(0)
    model = M.create(name, scale=4)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    losses = []
    for _ in range(30):
        loss = (model(lr) - hr).abs().mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    with torch.no_grad():
        final = (model(lr) - hr).abs().mean().item()
    assert final < 0.7 * losses[0], (losses[0], final)


def test_idman_global_mab_pooling_only_uses_kernel_centre():
    # Documents the reason for the default mab_pool='local': after a global pool the kxk branch
    # convolutions see a 1x1 map, so only their centre taps get a gradient.
    torch.manual_seed(0)
    for pool, expect_off_centre in (("global", False), ("local", True)):
        model = M.create(
            "idman", scale=2, n_groups=1, n_blocks=1, n_feats=16, reduction=4, weight_norm=False, mab_pool=pool
        )
        model(torch.rand(1, 1, 8, 8)).sum().backward()
        w = model.groups[0].body[0].attention.branches[1][0].weight  # first 5x5 conv of the MAB
        off = w.grad.clone()
        off[..., 2, 2] = 0
        assert bool(off.abs().sum() > 0) == expect_off_centre, pool


def test_dridsr_original_idb_is_eq9_one_3x3_conv_split():
    """``idb='original'`` (Fig. 3a, eq. 9): each of the 5 IDBs is one 3x3 conv 96 -> 48 + 24 channels, split.
    By hand: simple IDB = 1x1 (96*48 + 48) + 3x3 (96*24*9 + 24) = 25,416; original = 96*72*9 + 72 = 62,280."""
    import torch

    from paperlib import models
    from paperlib.models.dridsr import OriginalIDB

    simple, orig = models.create("dridsr", scale=4), models.create("dridsr", scale=4, idb="original")
    assert models.count_parameters(orig) - models.count_parameters(simple) == 5 * (62_280 - 25_416)
    blk = OriginalIDB(96, 48, 24)
    x1, x2 = torch.randn(1, 48, 5, 5), torch.randn(1, 48, 5, 5)
    coarse, refined = blk(x1, x2)
    full = torch.relu(blk.body(torch.cat([x1, x2], 1)))
    assert torch.equal(coarse, full[:, :48]) and torch.equal(refined, full[:, 48:])
    with pytest.raises(ValueError, match="idb must be one of"):
        models.create("dridsr", scale=4, idb="imdb")


def test_global_skip_is_measured_from_the_built_model():
    # VDSR learns a residual over the bicubic image (Kim et al. 2016); PAN adds the bilinear upscaling of its input
    # (Zhao et al. 2020's code); ESPCN and SRCNN predict the image itself
    from paperlib.models import global_skip

    assert global_skip("vdsr", 4) == "bicubic"
    assert global_skip("pan", 4) == "another interpolation"
    assert global_skip("espcn", 4) == "nothing" and global_skip("srcnn", 3) == "nothing"


def test_family_table_counts_pre_upsampling_cost_at_hr_size():
    from paperlib.flops import family_table
    from paperlib.models import count_parameters, create

    rows = {r["method"]: r for r in family_table(["espcn", "srcnn"], scale=4)}
    # ESPCN's three convolutions at LR size (128 x 128 for a 512 x 512 output): 2 * k^2 * Cin * Cout per pixel
    espcn = 2 * 128 * 128 * (25 * 1 * 64 + 9 * 64 * 32 + 9 * 32 * 16) / 1e9
    assert rows["espcn"]["gflops"] == pytest.approx(espcn, rel=1e-9)
    # SRCNN's convolutions run at the HR size (plus its bicubic resize, a small matmul share)
    srcnn_convs = 2 * 512 * 512 * (81 * 64 + 25 * 64 * 32 + 25 * 32) / 1e9
    assert srcnn_convs <= rows["srcnn"]["gflops"] < 1.05 * srcnn_convs
    assert rows["srcnn"]["pre_upsampling"] and not rows["espcn"]["pre_upsampling"]
    assert rows["espcn"]["parameters"] == count_parameters(create("espcn", scale=4)) == 24_752


def test_dridsr_without_low_path_drops_exactly_its_convs():
    """``low_path=False``: the low-frequency path's three convs go (by hand: 5x5 1->48 = 1,248, 3x3 48->48 = 20,784,
    1x1 48->28 = 1,372; 23,404 in all) and the output is the reconstruction of F_H alone."""
    import torch

    from paperlib import models

    torch.manual_seed(0)
    full = models.create("dridsr", scale=4).eval()
    single = models.create("dridsr", scale=4, low_path=False).eval()
    assert models.count_parameters(full) - models.count_parameters(single) == 23_404
    assert single.low is None
    single.load_state_dict({k: v for k, v in full.state_dict().items() if not k.startswith("low.")})
    x = torch.rand(1, 1, 9, 7)
    with torch.no_grad():
        out = single(x, return_paths=True)
        f_high = full.f3(full.ridm(full.f1(x)) + full.f2(full.edge_filter(x)))
        assert torch.equal(out["low"], torch.zeros_like(f_high))
        torch.testing.assert_close(out["sr"], full.recon(f_high))


def test_dridsr_ridm_without_idbs_is_a_plain_chain_fused_by_1x1():
    """``idb='none'``: no IDBs; every residual block's output (6 x 48 channels) enters the 1x1 fusion. By hand:
    5 simple IDBs (5 x 25,416) and the 168 -> 48 fusion (8,112) go, a 288 -> 48 fusion (13,872) comes."""
    import torch

    from paperlib import models

    torch.manual_seed(0)
    ref, plain = models.create("dridsr", scale=4), models.create("dridsr", scale=4, idb="none")
    assert models.count_parameters(ref) - models.count_parameters(plain) == 5 * 25_416 + 8_112 - 13_872
    ridm = plain.ridm
    f0 = torch.randn(2, 48, 6, 5)
    outs, fi = [], f0
    for rb in ridm.resblocks:
        fi = rb(fi)
        outs.append(fi)
    with torch.no_grad():
        torch.testing.assert_close(ridm(f0), ridm.fuse(torch.cat(outs, 1)) + f0)
