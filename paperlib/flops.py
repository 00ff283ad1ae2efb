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


#: LR sides of the two small counts that :func:`model_train_step_flops` extrapolates from.
SMALL_SIDES = (8, 16)


def model_train_step_flops(name: str, scale: int, lr_patch: int, batch: int, **options) -> tuple[int, int]:
    """``(FLOPs of one training step, parameters)`` of registry model ``name`` built with ``options``.

    A post-upsampling model's FLOPs are affine in the number of LR pixels (a convolution costs the same per
    output pixel; pooled attention adds a constant), so two counts at the small sides :data:`SMALL_SIDES`
    give them exactly at ``lr_patch`` (tested against direct counts), in a fraction of the time a large model
    takes at its real patch. A pre-upsampling model (bicubic inside ``forward``, whose resize matrices grow
    faster than the pixel count) is counted directly.
    """
    from . import models

    net = models.create(name, scale=scale, **options)
    params = models.count_parameters(net)
    if getattr(net, "pre_upsampling", False) or lr_patch <= SMALL_SIDES[1]:
        return train_step_flops(net, lr_patch, batch), params
    (s0, s1), (f0, f1) = SMALL_SIDES, [train_step_flops(net, s, 1) for s in SMALL_SIDES]
    per_pixel = (f1 - f0) // (s1**2 - s0**2)
    if per_pixel * (s1**2 - s0**2) != f1 - f0:
        raise ArithmeticError(f"{name}: FLOPs not affine in the LR pixel count; count it at its patch directly")
    return (f0 + per_pixel * (lr_patch**2 - s0**2)) * batch, params
