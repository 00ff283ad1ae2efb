"""FLOPs of a training step, counted by ``torch.utils.flop_counter`` (the bench and the cost plan use these)."""

from __future__ import annotations

import copy


def count_flops(fn) -> int:
    """FLOPs of everything ``fn()`` runs, by ``torch.utils.flop_counter.FlopCounterMode``
    (matmul/conv/bmm/attention and their backward; elementwise ops count 0)."""
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as fc:
        fn()
    return int(fc.get_total_flops())


def train_step_flops(model, lr_patch: int, batch: int, device="cpu") -> int:
    """Forward + backward FLOPs of one training step at ``batch`` (counted at batch 1, fp32, then
    multiplied: conv/matmul FLOPs are linear in the batch)."""
    import torch

    m = copy.deepcopy(model).to(device).train()
    x = torch.rand(1, 1, lr_patch, lr_patch, device=device)

    def step():
        m(x).float().abs().mean().backward()

    return count_flops(step) * batch


def model_train_step_flops(name: str, scale: int, lr_patch: int, batch: int, **options) -> tuple[int, int]:
    """``(FLOPs of one training step, parameters)`` of registry model ``name`` built with ``options``.

    Counted on the ``meta`` device where the model allows it: no weights are allocated and no arithmetic is
    done, so the count takes the same few seconds at any patch size (tested equal to a count on the CPU). A
    pre-upsampling model (MATLAB bicubic inside ``forward``, which the meta device cannot run) is counted on the
    CPU at batch 1; these models are small.
    """
    import torch

    from . import models

    with torch.device("meta"):
        net = models.create(name, scale=scale, **options)
    params = models.count_parameters(net)
    if getattr(net, "pre_upsampling", False):
        return train_step_flops(models.create(name, scale=scale, **options), lr_patch, batch, "cpu"), params
    return train_step_flops(net, lr_patch, batch, "meta"), params


def family_table(methods, scale: int = 4) -> list[dict]:
    """Per method: ``pre_upsampling`` (registry), ``skip`` (:func:`global_skip`), ``parameters`` and the
    forward ``gflops`` for one 512x512 output (FLOPs are linear in the pixel count: counted on a 64x64 output)."""
    import torch

    from .models import count_parameters, create, global_skip, model_info

    rows = []
    for m in methods:
        net = create(m, scale=scale).eval()
        x = torch.rand(1, 1, 64 // scale, 64 // scale)
        with torch.no_grad():
            f = count_flops(lambda: net(x)) * (512 / (64 // scale * scale)) ** 2
        rows.append(
            dict(method=m, pre_upsampling=model_info(m).pre_upsampling, skip=global_skip(m, scale),
                 parameters=count_parameters(net), gflops=f / 1e9)
        )  # fmt: skip
    return rows
