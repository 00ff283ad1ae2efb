"""The fast-path precision policy, in one place: channels_last, bf16 autocast, output layer in fp32.

Training, evaluation, ``upscale`` and the benchmarks all run a model the same way::

    fast, prec = fast_path(model, device)      # a prepared *copy*; ``model`` is left untouched
    sr = run_model(fast, lr, prec)             # fp32 output, whatever the autocast dtype inside

Policy:

* the copy is in channels_last and on ``device``;
* bf16 autocast only where :func:`~paperlib.runtime.bf16_supported` (CUDA with bf16, CPUs with
  AVX512-BF16/AMX); elsewhere the fast path is channels_last in fp32, and ``Precision`` says so;
* the model's *output layer*, named by the model's ``output_layer`` attribute (a dotted submodule
  name; ``None`` for parameter-free models such as bicubic), runs outside autocast in fp32. bf16
  keeps 8 mantissa bits: an output near 1.0 would be quantised to ~1/256, about one grey level,
  which alone costs PSNR at the 30-40 dB the papers report. There is no "last Conv2d found"
  guess: a model with parameters and no ``output_layer`` is an error.

The fp32 wrapper replaces only the layer's ``forward`` (a bound method on the instance, rebound by
``copy.deepcopy``); parameter names and ``state_dict()`` keys are those of the plain model, so a
state dict moves freely between the plain and the prepared model.

Training: ``fast_path`` deep-copies, so build the optimiser on the *returned* model's parameters
and save/evaluate the returned model (its ``state_dict()`` loads into a plain model).
"""

from __future__ import annotations

import copy
import types
from dataclasses import asdict, dataclass

from .runtime import autocast, bf16_supported

__all__ = ["Precision", "FP32", "fast_path", "run_model", "output_layer_name"]


@dataclass(frozen=True)
class Precision:
    """How a (prepared) model is run.

    Attributes:
        bf16_autocast: forward under bf16 autocast.
        channels_last: model and inputs in ``torch.channels_last``.
        fp32_output_layer: dotted name of the layer actually kept in fp32 outside autocast
            (``None``: no such layer, e.g. a parameter-free model, or the plain fp32 path).
    """

    bf16_autocast: bool
    channels_last: bool
    fp32_output_layer: str | None

    def as_dict(self) -> dict:
        return asdict(self)


FP32 = Precision(False, False, None)

_MARK = "_paperlib_precision"  # set on a prepared model: (device type, Precision)


def output_layer_name(model) -> str | None:
    """The model's declared output layer (``model.output_layer``), checked to exist.

    Raises TypeError when a model with parameters does not declare one, and ValueError when the
    declared name is not a submodule.
    """
    name = getattr(model, "output_layer", None)
    if name is None:
        if any(True for _ in model.parameters()):
            raise TypeError(
                f"{type(model).__name__}: has parameters but no `output_layer` attribute naming its "
                "output layer (a dotted submodule name); the fast path keeps that layer in fp32 and "
                "will not guess it"
            )
        return None
    try:
        model.get_submodule(name)
    except AttributeError:
        raise ValueError(f"{type(model).__name__}: output_layer {name!r} is not a submodule") from None
    return name


def _fp32_forward(self, x, *args, **kwargs):
    import torch

    with torch.autocast(device_type=x.device.type, enabled=False):
        return type(self).forward(self, x.float(), *args, **kwargs)


def _keep_fp32(layer) -> None:
    """Run ``layer`` outside autocast on an fp32 input (in place; idempotent)."""
    if getattr(layer.__dict__.get("forward"), "__func__", None) is _fp32_forward:
        return
    layer.forward = types.MethodType(_fp32_forward, layer)


def fast_path(model, device, enabled: bool = True):
    """``(prepared model, Precision)`` for the fast path on ``device``.

    The prepared model is a ``copy.deepcopy`` of ``model`` (which is never modified), moved to
    ``device`` in channels_last, with its output layer (``model.output_layer``) wrapped to run
    outside autocast in fp32. bf16 autocast is used only where ``bf16_supported(device)``.
    A model already prepared by ``fast_path`` for the same device type is returned as is (so
    callers can prepare once and pass the prepared model down).

    ``enabled=False`` returns ``(model, Precision(False, False, None))``: the plain fp32 path.
    Raises TypeError/ValueError when a model with parameters does not name a valid output layer.
    """
    import torch

    if not enabled:
        return model, FP32
    dev = torch.device(device)
    mark = getattr(model, _MARK, None)
    if mark is not None and mark[0] == dev.type:
        return model, mark[1]
    name = output_layer_name(model)
    prepared = copy.deepcopy(model).to(device=dev, memory_format=torch.channels_last)
    if name is not None:
        _keep_fp32(prepared.get_submodule(name))
    precision = Precision(bool(bf16_supported(dev)), True, name)
    setattr(prepared, _MARK, (dev.type, precision))
    return prepared, precision


def run_model(model, x, precision: Precision = FP32):
    """``model(x)`` under ``precision`` (autocast, input memory format); returns an fp32 tensor.

    Grad mode is the caller's (wrap in ``torch.inference_mode()`` for inference).
    """
    import torch

    if precision.channels_last and x.dim() == 4:
        x = x.contiguous(memory_format=torch.channels_last)
    with autocast(x.device, precision.bf16_autocast):
        return model(x).float()
