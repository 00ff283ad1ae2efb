"""Model zoo: the two papers' networks and their baselines, behind an explicit registry.

>>> from paperlib import models
>>> net = models.create("dridsr", scale=4)          # 1-channel CT by default
>>> models.count_parameters(net), models.count_layers(net)
(523933, 32)

Every model takes and returns ``N x C x H x W`` float tensors in [0, 1] (the output is not clamped).
Pre-upsampling models (bicubic, SRCNN, VDSR, DRRN) take the *LR* image and do the MATLAB-compatible
bicubic upscaling inside ``forward``, so all models share one interface.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from torch import nn

from paperlib.errors import UnknownNameError

from .bicubic import Bicubic
from .blocks import Attention, FixedFilter
from .dridsr import DRIDSR, canny_edges, sobel_edges
from .drrn import DRRN
from .edsr import EDSR
from .espcn import ESPCN
from .fsrcnn import FSRCNN
from .idman import IDMAN
from .imdn import IMDN
from .mdsr import MDSR
from .pan import PAN, PAConv
from .rcan import RCAN
from .rdn import RDN
from .srcnn import SRCNN
from .vdsr import VDSR


@dataclass(frozen=True)
class ModelInfo:
    """Registry entry.

    Attributes:
        name: registry name.
        factory: ``factory(scale=..., in_channels=..., **options) -> nn.Module``.
        family: 'paper' (DRIDSR, IDMAN) or 'baseline'.
        pre_upsampling: the model upscales its LR input by bicubic interpolation first.
        scales: supported scale factors.
        papers: which paper's comparison uses it ('dridsr', 'idman').
        defaults: options passed to ``factory`` unless overridden in :func:`create`.
        description: one line.
    """

    name: str
    factory: Callable[..., nn.Module]
    family: str
    pre_upsampling: bool
    scales: tuple[int, ...] = (2, 3, 4)
    papers: tuple[str, ...] = ()
    defaults: dict = field(default_factory=dict)
    description: str = ""


_REGISTRY: dict[str, ModelInfo] = {}


def _register(info: ModelInfo) -> None:
    _REGISTRY[info.name] = info


_register(
    ModelInfo(
        "bicubic",
        Bicubic,
        "baseline",
        True,
        papers=("dridsr", "idman"),
        description="MATLAB-compatible bicubic interpolation (no parameters)",
    )
)
_register(
    ModelInfo("srcnn", SRCNN, "baseline", True, papers=("dridsr", "idman"), description="SRCNN 9-5-5, 64/32 filters")
)
_register(ModelInfo("fsrcnn", FSRCNN, "baseline", False, papers=("idman",), description="FSRCNN d=56 s=12 m=4"))
_register(
    ModelInfo("espcn", ESPCN, "baseline", False, papers=("dridsr",), description="ESPCN 64-32 tanh, sub-pixel conv")
)
_register(
    ModelInfo("vdsr", VDSR, "baseline", True, papers=("dridsr", "idman"), description="VDSR, 20 layers, 64 channels")
)
_register(ModelInfo("drrn", DRRN, "baseline", True, papers=("idman",), description="DRRN B1U25, 128 channels"))
_register(
    ModelInfo(
        "edsr_baseline",
        EDSR,
        "baseline",
        False,
        papers=("idman",),
        defaults=dict(n_resblocks=16, n_feats=64, res_scale=1.0),
        description="EDSR baseline, 16 blocks x 64 channels",
    )
)
_register(
    ModelInfo(
        "edsr",
        EDSR,
        "baseline",
        False,
        papers=("idman",),
        defaults=dict(n_resblocks=32, n_feats=256, res_scale=0.1),
        description="EDSR, 32 blocks x 256 channels, res_scale 0.1",
    )
)
_register(
    ModelInfo(
        "mdsr",
        MDSR,
        "baseline",
        False,
        papers=("idman",),
        description="MDSR, 80 blocks x 64 channels, x2/x3/x4 heads and tails",
    )
)
_register(ModelInfo("rdn", RDN, "baseline", False, papers=("idman",), description="RDN, D=16 C=8 G=64"))
_register(ModelInfo("rcan", RCAN, "baseline", False, papers=("idman",), description="RCAN, 10 groups x 20 RCABs, r=16"))
_register(
    ModelInfo(
        "imdn", IMDN, "baseline", False, papers=("dridsr",), description="IMDN (official code), 6 IMDBs x 64 channels"
    )
)
_register(
    ModelInfo(
        "pan",
        PAN,
        "baseline",
        False,
        papers=("dridsr",),
        description="PAN (official code), nf 40, unf 24, 16 SCPA blocks",
    )
)
_register(
    ModelInfo(
        "dridsr",
        DRIDSR,
        "paper",
        False,
        papers=("dridsr",),
        description="DRIDSR double-path residual information distillation network (2022)",
    )
)
_register(
    ModelInfo(
        "idman",
        IDMAN,
        "paper",
        False,
        papers=("idman",),
        description="IDMAN information distillation + multi-scale attention network (2021)",
    )
)


def list_models() -> list[str]:
    """Registry names, sorted."""
    return sorted(_REGISTRY)


def model_info(name: str) -> ModelInfo:
    """The :class:`ModelInfo` of ``name``; :class:`~paperlib.errors.UnknownNameError` if unknown."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise UnknownNameError(f"unknown model {name!r}; available: {', '.join(list_models())}") from None


def create(name: str, scale: int = 4, in_channels: int = 1, **options) -> nn.Module:
    """Instantiate a registered model.

    Args:
        name: registry name (see :func:`list_models`).
        scale: upscale factor; ``ValueError`` naming model and scale if unsupported.
        in_channels: image channels (1 for CT; 3 reproduces the RGB reference parameter counts).
        **options: constructor options overriding the registry defaults (e.g. ``n_resblocks``).

    Initialisation draws from the global torch RNG: ``torch.manual_seed(s)`` before ``create``
    gives identical weights.
    """
    info = model_info(name)
    if int(scale) != scale or int(scale) not in info.scales:
        raise ValueError(f"model {name!r} does not support scale {scale!r}; supported scales: {list(info.scales)}")
    kwargs = {**info.defaults, **options}
    return info.factory(scale=int(scale), in_channels=in_channels, **kwargs)


def count_parameters(model: nn.Module, trainable_only: bool = True) -> int:
    """Number of (trainable, by default) parameter elements.

    Weight-normalised layers count their reparametrisation (``g`` and ``v``), i.e. what the
    optimiser updates. Buffers (mean shift, Sobel kernels) are not parameters.
    """
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


def _has_weight(m: nn.Module) -> bool:
    # parametrised (weight-normalised) layers keep their weight under ``parametrizations``;
    # checking the dicts avoids recomputing the weight
    return m._parameters.get("weight") is not None or "weight" in getattr(m, "parametrizations", {})


_WEIGHT_LAYERS = (nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.ConvTranspose2d, nn.Linear)

#: Gating branches that are not :class:`~paperlib.models.blocks.Attention` modules of their own:
#: ``{module class: names of children whose output only gates another path through a sigmoid}``.
#: PAN's PAConv computes ``k4(k3(x) * sigmoid(k2(x)))``: ``k2`` is its pixel-attention branch.
GATING_BRANCHES: dict[type, tuple[str, ...]] = {PAConv: ("k2",)}

#: The one definition of "Layers" used for every row of our DRIDSR Table 2 (:func:`main_path_layers`).
LAYERS_DEFINITION = (
    "weight layers on the main path: every convolution (1x1 included) and linear layer, "
    "excluding those inside attention/gating branches (IMDN's CCA, PAN's PA and PAConv k2), "
    "plus fixed filter layers (DRIDSR's Sobel) as one layer each"
)


def count_layers(model: nn.Module, include_attention: bool = True, include_fixed: bool = True) -> int:
    """Number of weight layers: ``Conv*d``/``ConvTranspose2d``/``Linear`` modules holding a weight.

    Recursive convolutions applied several times with shared weights (DRRN) count once; activations,
    pooling, pixel shuffle and normalisation are not layers.

    Args:
        include_attention: count the convolutions inside attention/gating branches: subclasses of
            :class:`~paperlib.models.blocks.Attention` (CA, CCA, PA, MAB) and the children listed in
            :data:`GATING_BRANCHES` (PAN's PAConv ``k2``). ``False`` is :data:`LAYERS_DEFINITION`.
        include_fixed: count fixed filter layers (:class:`~paperlib.models.blocks.FixedFilter`, e.g.
            DRIDSR's Sobel operator) as one layer each.

    The "Layers" column of DRIDSR's Table 2 (x4) against :data:`LAYERS_DEFINITION`
    (``include_attention=False``; all convolutions in brackets): VDSR 20 (20), IMDN 34 (46),
    DRIDSR 32 (32: 31 trainable convolutions and the Sobel layer) agree with it; PAN's 60 matches no
    counting of the official code that we found: 103 on the main path (121 with its 16 PAConv
    gates and 2 PA layers).
    """
    n = 0

    def visit(m: nn.Module, in_attention: bool) -> None:
        nonlocal n
        if isinstance(m, FixedFilter):
            n += int(include_fixed)
            return
        in_attention = in_attention or isinstance(m, Attention)
        if isinstance(m, _WEIGHT_LAYERS) and _has_weight(m):
            if include_attention or not in_attention:
                n += 1
            return
        gates = GATING_BRANCHES.get(type(m), ())
        for name, child in m.named_children():
            visit(child, in_attention or name in gates)

    visit(model, False)
    return n


def main_path_layers(model: nn.Module) -> int:
    """Layers under :data:`LAYERS_DEFINITION` (the "Layers" of every row of our Table 2)."""
    return count_layers(model, include_attention=False, include_fixed=True)


__all__ = [
    "ModelInfo",
    "create",
    "list_models",
    "model_info",
    "count_parameters",
    "count_layers",
    "main_path_layers",
    "LAYERS_DEFINITION",
    "sobel_edges",
    "canny_edges",
]


def global_skip(name: str, scale: int = 4, **options) -> str:
    """What the model adds its learned output to, measured: with the output layer's weights and biases set to zero,
    the network returns ``"bicubic"`` (the MATLAB bicubic upscaling of its input), ``"another interpolation"``
    (some other non-zero image, e.g. PAN's bilinear one) or ``"nothing"`` (zero: it predicts the image itself)."""
    import torch

    from ..data.degrade import imresize_torch

    net = create(name, scale=scale, **options).eval()
    if not getattr(net, "output_layer", None):  # bicubic itself: nothing is learned
        return "nothing"
    with torch.no_grad():
        for p in net.get_submodule(net.output_layer).parameters():
            p.zero_()
        x = torch.rand(1, 1, 16, 16, generator=torch.Generator().manual_seed(0))
        out = net(x)
    if out.abs().max() <= 1e-3:
        return "nothing"
    return "bicubic" if torch.allclose(out, imresize_torch(x, scale=scale), atol=1e-4) else "another interpolation"
