"""The fast-path precision policy (paperlib.precision) over the whole model registry.

Under the fast path every model's output is fp32, its *declared* output layer computes in fp32
(checked with a forward hook on that layer), the caller's model is untouched, state-dict keys are
those of the plain model, and the output stays close to the fp32 twin. The bf16 part needs a CPU
with native bf16 (AVX512-BF16/AMX): elsewhere it is skipped, never silently run in fp32.
"""

from __future__ import annotations

import pytest
import torch
from test_models import SMALL as _SMALL  # the small variants of the big models, defined once

from conftest import needs_bf16
from paperlib import models as M
from paperlib.precision import FP32, Precision, fast_path, output_layer_name, run_model

SMALL = _SMALL | {"vdsr": dict(depth=8)}


def _create(name, scale=4):
    torch.manual_seed(0)
    return M.create(name, scale=scale, in_channels=1, **SMALL.get(name, {})).eval()


def _snapshot(model):
    return {
        "forward": {n: "forward" in m.__dict__ for n, m in model.named_modules()},
        "channels_last": {
            n: p.is_contiguous(memory_format=torch.channels_last) and not p.is_contiguous()
            for n, p in model.named_parameters()
            if p.dim() == 4
        },
    }


@pytest.mark.parametrize("name", M.list_models())
def test_every_model_names_its_output_layer(name):
    model = _create(name)
    has_params = any(True for _ in model.parameters())
    name_ = output_layer_name(model)
    assert (name_ is not None) == has_params
    if name_ is not None:
        layer = model.get_submodule(name_)
        assert isinstance(layer, (torch.nn.Conv2d, torch.nn.ConvTranspose2d))
        assert layer.out_channels in (1, 4**2)  # the image, or its x4 sub-pixel channels (IMDN, ESPCN)


@needs_bf16
@pytest.mark.parametrize("scale", [2, 4])
@pytest.mark.parametrize("name", M.list_models())
def test_fast_path_output_fp32_caller_untouched_close_to_fp32(name, scale):
    model = _create(name, scale)
    x = torch.rand(2, 1, 24, 24, generator=torch.Generator().manual_seed(1))
    before = _snapshot(model)
    with torch.inference_mode():
        ref = model(x)
    keys = list(model.state_dict())

    fast, prec = fast_path(model, "cpu")
    assert fast is not model
    assert prec.bf16_autocast and prec.channels_last and prec.fp32_output_layer == output_layer_name(model)
    assert list(fast.state_dict()) == keys
    seen = []
    if prec.fp32_output_layer is not None:
        fast.get_submodule(prec.fp32_output_layer).register_forward_hook(lambda m, i, o: seen.append(o.dtype))
    from paperlib.runtime import autocast

    with torch.inference_mode(), autocast("cpu", prec.bf16_autocast):
        raw = fast(x.contiguous(memory_format=torch.channels_last))
    assert raw.dtype == torch.float32, f"{name}: model output is {raw.dtype} under the fast path"
    if prec.fp32_output_layer is not None:
        assert seen == [torch.float32], f"{name}: output layer {prec.fp32_output_layer} computed in {seen}"
    with torch.inference_mode():
        out = run_model(fast, x, prec)
    assert out.dtype == torch.float32 and out.shape == ref.shape
    err = float((out - ref).abs().max())
    tol = 3e-2 * float(ref.abs().max())  # bf16 features: ~1% of the output range; fp32 output layer
    assert err < tol, f"{name} x{scale}: fast vs fp32 max |diff| {err:.4g} >= {tol:.4g}"

    # the caller's model is untouched: same memory format, no patched forward, bit-identical fp32 output
    assert _snapshot(model) == before
    with torch.inference_mode():
        assert torch.equal(model(x), ref)
    # a prepared model is not prepared twice; its state dict loads into a plain model
    assert fast_path(fast, "cpu") == (fast, prec)
    plain = _create(name, scale)
    plain.load_state_dict(fast.state_dict())
    fast.load_state_dict(model.state_dict())


@needs_bf16
def test_fsrcnn_transposed_output_layer_kept_fp32():
    """FSRCNN's output layer is a ConvTranspose2d: the old "last Conv2d found" rule kept the last
    *mapping* conv in fp32 and left the reconstruction in bf16 while manifests said otherwise."""
    from paperlib.runtime import autocast

    model, prec = fast_path(_create("fsrcnn"), "cpu")
    assert prec.fp32_output_layer == "deconv"
    seen = {}
    for name, m in model.named_modules():
        if isinstance(m, (torch.nn.Conv2d, torch.nn.ConvTranspose2d)):
            m.register_forward_hook(lambda m, i, o, name=name: seen.__setitem__(name, o.dtype))
    with torch.inference_mode(), autocast("cpu", True):
        out = model(torch.rand(1, 1, 12, 12).contiguous(memory_format=torch.channels_last))
    assert seen["deconv"] == torch.float32 and out.dtype == torch.float32
    assert seen["body.0"] == torch.bfloat16  # the rest of the network does run in bf16


def test_disabled_is_the_plain_model():
    model = _create("espcn")
    same, prec = fast_path(model, "cpu", enabled=False)
    assert same is model and prec == FP32 == Precision(False, False, None)
    assert prec.as_dict() == {"bf16_autocast": False, "channels_last": False, "fp32_output_layer": None}


def test_bf16_only_where_supported(monkeypatch):
    import paperlib.precision as P

    monkeypatch.setattr(P, "bf16_supported", lambda device: False)
    fast, prec = fast_path(_create("espcn"), "cpu")
    assert prec == Precision(False, True, "body.4")
    with torch.inference_mode():
        assert run_model(fast, torch.rand(1, 1, 8, 8), prec).dtype == torch.float32


def test_model_with_parameters_must_name_its_output_layer():
    net = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3, padding=1), torch.nn.Conv2d(4, 1, 3, padding=1))
    with pytest.raises(TypeError, match="output_layer"):
        fast_path(net, "cpu")
    net.output_layer = "7"
    with pytest.raises(ValueError, match="not a submodule"):
        fast_path(net, "cpu")
    net.output_layer = "1"
    fast, prec = fast_path(net, "cpu")
    assert prec.fp32_output_layer == "1" and "forward" not in net[1].__dict__


def test_prepared_model_survives_deepcopy():
    """The fp32 wrapper is rebound by deepcopy (a copy must not call back into the original layer)."""
    import copy

    fast, prec = fast_path(_create("fsrcnn"), "cpu")
    twin = copy.deepcopy(fast)
    assert twin.deconv.forward.__self__ is twin.deconv
