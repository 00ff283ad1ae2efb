"""The IDMAN paper's experiments that need no training: Figs. 1-4 (the architecture and where its
parameters are), the ablation variants of Tables 1-4 as data, and the activation memory of training.

Everything here is a pure function of the architecture (:mod:`paperlib.models.idman`): models are
built on the ``meta`` device for counting (exact shapes, no memory), and the memory estimate runs
tiny CPU forwards of shallow, full-width models and scales them (see :func:`activation_bytes`).
"""

from __future__ import annotations

import functools

import pandas as pd
import torch
from torch import nn

from ... import models
from ...paper_values import IDMAN_TABLE1, IDMAN_TABLE2, IDMAN_TABLE3, IDMAN_TABLE4

#: Size of the paper's model (section 4.2: G = 10 IDMAGs, B = 20 IDMABs, r = 16; 64 channels as RCAN).
PAPER_SIZE = dict(n_groups=10, n_blocks=20, n_feats=64, reduction=16)

#: The setting of every ablation (Tables 1-4): x2, PSNR on the 500-image validation set after 2e5 iterations.
ABLATION_SETTING = dict(scale=2, iterations=200_000, split="validation")

_CA = "channel"  # the traditional channel attention (1x1-ReLU-1x1), "none" in Table 2


def _variant(extract="distill", attention=(3, 5), weight_norm=True) -> dict:
    return dict(extract=extract, attention=attention, weight_norm=weight_norm)


#: The model options of every variant of Tables 1-4 (switches of :class:`paperlib.models.idman.IDMAN`;
#: the paper's PSNR of each is in :mod:`paperlib.paper_values` under the same keys). The text of
#: section 4.4 fixes the other parts: Table 1 uses "the traditional channel attention", Table 2
#: "the traditional convolution operation (Conv-ReLU-Conv)" and no branch means "the traditional
#: channel attention was used (1x1-ReLU-1x1)". Every variant keeps weight normalisation except
#: Table 4's first; the distillation reading is the model's default (``distill='full_input'``).
ABLATIONS = {
    "table1": {"conv": _variant("conv", _CA), "info_distill": _variant("distill", _CA)},
    "table2": {
        "none": _variant("conv", _CA),
        "3": _variant("conv", (3,)),
        "5": _variant("conv", (5,)),
        "7": _variant("conv", (7,)),
        "3+5": _variant("conv", (3, 5)),
        "3+7": _variant("conv", (3, 7)),
        "5+7": _variant("conv", (5, 7)),
        "3+5+7": _variant("conv", (3, 5, 7)),
    },
    "table3": {
        "neither": _variant("conv", _CA),
        "info_distill": _variant("distill", _CA),
        "mab": _variant("conv", (3, 5)),
        "both": _variant("distill", (3, 5)),
    },
    "table4": {"without_wn": _variant(weight_norm=False), "idman": _variant()},
}

PAPER_ABLATIONS = {"table1": IDMAN_TABLE1, "table2": IDMAN_TABLE2, "table3": IDMAN_TABLE3, "table4": IDMAN_TABLE4}


def build(scale: int = 4, meta: bool = True, **options) -> nn.Module:
    """IDMAN at the paper's size (``PAPER_SIZE``) unless ``options`` say otherwise; on ``meta`` by default."""
    options = PAPER_SIZE | options
    if meta:
        with torch.device("meta"):
            return models.create("idman", scale=scale, **options)
    return models.create("idman", scale=scale, **options)


# --------------------------------------------------------------------------- parameters (Figs. 1-4)

#: Part names in model order (the order of tables and figures).
PARTS = (
    "head 3x3 (shallow features)",
    "distillation 1x1 (kept)",
    "distillation 3x3 (refine)",
    "distillation 3x3 (d_4)",
    "distillation 1x1 fusion",
    "Conv-ReLU-Conv 3x3",
    "MAB 3x3 convs",
    "MAB 5x5 convs",
    "MAB 7x7 convs",
    "attention 1x1s",
    "group 3x3 fusion",
    "DFES 3x3 fusion",
    "upsampler (sub-pixel)",
    "reconstruction: feedback 3x3",
    "reconstruction: final 3x3",
)

#: Coarse categories of the parts (the pie of the figure).
CATEGORY = {
    "distillation": "information distillation",
    "Conv-ReLU": "Conv-ReLU-Conv extraction",
    "MAB": "MAB kxk convolutions",
    "attention": "attention 1x1s",
}

_DISTILL_PARTS = {
    "distill": "distillation 1x1 (kept)",
    "coarse": "distillation 3x3 (refine)",
    "last": "distillation 3x3 (d_4)",
    "fuse": "distillation 1x1 fusion",
}
_TOP_PARTS = {
    "head": PARTS[0],
    "dfes_conv": "DFES 3x3 fusion",
    "upsample": "upsampler (sub-pixel)",
    "feedback": "reconstruction: feedback 3x3",
    "tail": "reconstruction: final 3x3",
}


def _part(name: str, conv: nn.Conv2d) -> tuple[int | None, int | None, str]:
    """(group, block, part) of a convolution named ``name`` in an IDMAN (groups/blocks from 1)."""
    p = name.split(".")
    if p[0] != "groups":
        return None, None, _TOP_PARTS[p[0]]
    g = int(p[1]) + 1
    if len(p) == 4:  # groups.g.body.B: the conv after the blocks
        return g, None, "group 3x3 fusion"
    b = int(p[3]) + 1
    if p[4] == "extract":
        return g, b, _DISTILL_PARTS.get(p[5], "Conv-ReLU-Conv 3x3")
    k = conv.kernel_size[0]
    return g, b, f"MAB {k}x{k} convs" if k > 1 else "attention 1x1s"


def conv_table(model: nn.Module) -> pd.DataFrame:
    """One row per convolution: name, group, block, part, kernel, in/out channels, parameters.

    Parameters count what the optimiser updates (with weight normalisation: ``g``, ``v`` and bias).
    """
    rows = []
    for name, m in model.named_modules():
        if isinstance(m, nn.Conv2d):
            g, b, part = _part(name, m)
            rows.append(
                dict(
                    name=name,
                    group=g,
                    block=b,
                    part=part,
                    kernel=f"{m.kernel_size[0]}x{m.kernel_size[1]}",
                    in_channels=m.in_channels,
                    out_channels=m.out_channels,
                    parameters=sum(p.numel() for p in m.parameters()),
                )
            )
    return pd.DataFrame(rows)


def category(part: str) -> str:
    """Coarse category of a part: distillation, Conv-ReLU-Conv, MAB kxk, attention 1x1s or 'rest'."""
    return next((c for key, c in CATEGORY.items() if part.startswith(key)), "head, fusions, upsampler, reconstruction")


def parameter_breakdown(model: nn.Module) -> pd.DataFrame:
    """Parameters per part over the whole model: part, category, convs, parameters, percent."""
    t = conv_table(model)
    total = models.count_parameters(model)
    if t.parameters.sum() != total:  # every parameter of IDMAN is in a convolution
        raise AssertionError(f"idman: convolutions hold {t.parameters.sum()} of {total} parameters")
    df = t.groupby("part", sort=False).agg(convs=("name", "size"), parameters=("parameters", "sum")).reset_index()
    df["part"] = pd.Categorical(df["part"], PARTS, ordered=True)
    df = df.sort_values("part").reset_index(drop=True)
    df["part"] = df["part"].astype(str)
    df.insert(1, "category", df["part"].map(category))
    df["percent"] = 100.0 * df["parameters"] / total
    return df


def mab_kxk_share(model: nn.Module) -> float:
    """Percentage of the parameters in the MAB branches' kxk convolutions."""
    df = parameter_breakdown(model)
    return float(df.loc[df["category"] == CATEGORY["MAB"], "percent"].sum())


def structure_table(model: nn.Module) -> pd.DataFrame:
    """The model stage by stage (head, each IDMAG, DFES fusion, upsampler, reconstruction), one column per
    part of the IDMAGs (summed over the group's B blocks, plus the group's 3x3 fusion), with totals."""
    t = conv_table(model)
    n_blocks = int(t["block"].max()) if t["block"].notna().any() else 0
    t["stage"] = [
        f"IDMAG {int(g)} ({n_blocks} IDMABs + 3x3)" if pd.notna(g) else part for g, part in zip(t["group"], t["part"])
    ]
    stages = list(dict.fromkeys(t["stage"]))
    wide = t.pivot_table(index="stage", columns="part", values="parameters", aggfunc="sum", fill_value=0)
    wide = wide.reindex(index=stages, columns=[p for p in PARTS if p in wide.columns])
    wide = wide.loc[:, (wide.loc[[s for s in stages if s.startswith("IDMAG")]] > 0).any()] if n_blocks else wide
    wide["total"] = t.groupby("stage")["parameters"].sum().reindex(stages)
    wide["percent"] = 100.0 * wide["total"] / wide["total"].sum()
    wide.columns.name = None
    return wide.reset_index()


def block_table(model: nn.Module, group: int = 1, block: int = 1) -> pd.DataFrame:
    """The convolutions of one IDMAB (``group``, ``block`` counted from 1)."""
    t = conv_table(model)
    t = t[(t["group"] == group) & (t["block"] == block)].copy()
    t["name"] = t["name"].str.split(".", n=4).str[-1]
    return t[["name", "part", "kernel", "in_channels", "out_channels", "parameters"]].reset_index(drop=True)


def block_schematic(model: nn.Module, group: int = 1, block: int = 1):
    """One IDMAB drawn from the model itself (:func:`block_table`): every convolution as a box (kernel, channels
    in -> out, parameters), the distillation steps top to bottom, then one column per MAB branch; box area colour
    by part. What is drawn is what is built, so a changed option changes the picture."""
    import matplotlib.pyplot as plt

    from ...plots import _arrow, _box

    t = block_table(model, group, block)
    colors = {"distillation": "#9ecae1", "MAB": "#fdae6b", "attention": "#c7e9c0"}
    cols = {}
    for _, r in t.iterrows():
        branch = r["name"].split("branches.")[1].split(".")[0] if "branches." in r["name"] else None
        col = 0 if branch is None else 1 + int(branch)
        cols.setdefault(col, []).append(r)
    height = max(len(v) for v in cols.values())
    fig, ax = plt.subplots(figsize=(3.4 * len(cols), 0.75 * height + 1.4))
    for col, items in cols.items():
        x = 3.2 * col
        title = "information distillation" if col == 0 else f"MAB branch {col}"
        ax.text(x, 0.8, title, ha="center", fontsize=9, weight="bold")
        for i, r in enumerate(items):
            y = -i
            color = next((c for k, c in colors.items() if r["part"].startswith(k)), "0.9")
            _box(ax, x, y, f"{r['name'].split('.', 1)[-1]}: {r['kernel']}, {r['in_channels']}->{r['out_channels']}"
                 f"\n{r['parameters']:,} params", color, w=2.9, h=0.6, fontsize=7)  # fmt: skip
            if i:
                _arrow(ax, x, y + 0.7, x, y + 0.3)
    ax.set_xlim(-1.7, 3.2 * (len(cols) - 1) + 1.7)
    ax.set_ylim(-height + 0.2, 1.3)
    ax.axis("off")
    total = int(t["parameters"].sum())
    ax.set_title(f"One IDMAB (group {group}, block {block}) as built: {len(t)} convolutions, {total:,} parameters; "
                 "blue: distillation, orange: MAB kxk, green: attention 1x1s", fontsize=9)  # fmt: skip
    fig.tight_layout()
    return fig


def parameter_figure(breakdown: pd.DataFrame, title: str = ""):
    """Bar chart of the parts (percent of all parameters) and a pie of the categories."""
    import matplotlib.pyplot as plt

    cats = list(dict.fromkeys(breakdown["category"]))
    colours = {c: plt.get_cmap("tab10")(i) for i, c in enumerate(cats)}
    fig, (ax, pie) = plt.subplots(1, 2, figsize=(12, 4.8), gridspec_kw={"width_ratios": [1.6, 1]})
    y = range(len(breakdown))[::-1]
    ax.barh(list(y), breakdown["percent"], color=[colours[c] for c in breakdown["category"]])
    ax.set_yticks(list(y), breakdown["part"], fontsize=8)
    for yi, pct in zip(y, breakdown["percent"]):
        ax.text(pct + 0.4, yi, f"{pct:.1f}%" if pct >= 0.1 else f"{pct:.3f}%", va="center", fontsize=7)
    ax.set_xlim(0, 1.15 * breakdown["percent"].max())
    ax.set_xlabel("share of all parameters (%)")
    by_cat = breakdown.groupby("category", sort=False)["parameters"].sum()
    wedges, _ = pie.pie(by_cat.values, colors=[colours[c] for c in by_cat.index], startangle=90, counterclock=False)
    pie.legend(
        wedges,
        [f"{c}: {100 * v / by_cat.sum():.1f}%" for c, v in by_cat.items()],
        fontsize=8,
        loc="upper center",
        bbox_to_anchor=(0.5, 0.02),
        frameon=False,
    )
    fig.suptitle(title or f"IDMAN: where the {breakdown['parameters'].sum():,} parameters are")
    fig.tight_layout()
    return fig


def full_size_parameters(scale: int = 4, **options) -> int:
    """Parameter count of a (possibly very deep) IDMAN without building it: the count is
    ``base + G * (group + B * block)``, read off three shallow models of the same width."""
    opts = PAPER_SIZE | options
    G, B = opts.pop("n_groups"), opts.pop("n_blocks")

    def n(g, b):
        return models.count_parameters(build(scale, n_groups=g, n_blocks=b, **opts))

    a, b2, g2 = n(1, 1), n(1, 2), n(2, 1)
    block = b2 - a
    group = g2 - a - block
    return a - group - block + G * (group + B * block)


def ablation_table(scale: int | None = None) -> pd.DataFrame:
    """Every variant of Tables 1-4 at the paper's size: options, parameters, and the paper's PSNR."""
    scale = scale or ABLATION_SETTING["scale"]
    rows = []
    for table, variants in ABLATIONS.items():
        for name, opts in variants.items():
            rows.append(
                dict(
                    table=table,
                    variant=name,
                    extract=opts["extract"],
                    attention=str(opts["attention"]),
                    weight_norm=opts["weight_norm"],
                    parameters=full_size_parameters(scale, **opts),
                    **{"paper PSNR (dB)": PAPER_ABLATIONS[table][name]},
                )
            )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- activation memory


def saved_tensor_bytes(model: nn.Module, x: torch.Tensor) -> int:
    """Bytes of the tensors autograd saves for backward during ``model(x)`` (each storage once)."""
    storages: dict[int, int] = {}

    def pack(t):
        s = t.untyped_storage()
        if s.nbytes():
            storages[s.data_ptr()] = s.nbytes()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        y = model(x)
    del y
    return sum(storages.values())


def activation_bytes(scale: int, **model_opts) -> dict:
    """See :func:`_activation_bytes` (cached per configuration)."""
    key = tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in model_opts.items()))
    return dict(_activation_bytes(scale, key))


@functools.lru_cache(maxsize=64)
def _activation_bytes(scale: int, model_opts: tuple) -> tuple:
    """Saved-for-backward bytes of IDMAN (fp32) as ``batch * (per_image + per_lr_pixel * lr_patch**2)``
    plus a ``constant`` (weights saved by weight normalisation and the convolutions).

    Measured, not modelled: forwards on LR inputs of 8x8 and 16x16 (batch 1 and 2) of three shallow
    models of the full width (G, B) = (1, 1), (1, 2), (2, 1); every block, group and the rest are
    identical, so the totals scale exactly as ``rest + G * (group + B * block)``.
    """
    opts = PAPER_SIZE | dict(model_opts)
    G, B = opts.pop("n_groups"), opts.pop("n_blocks")
    meas, threads = {}, torch.get_num_threads()
    torch.set_num_threads(1)  # tiny tensors: one thread is faster, and fair to a busy machine
    try:
        with torch.random.fork_rng():
            torch.manual_seed(0)
            for g, b in ((1, 1), (1, 2), (2, 1)):
                model = build(scale, meta=False, n_groups=g, n_blocks=b, **opts).train()
                for side, batch in ((8, 1), (16, 1), (8, 2)):
                    meas[g, b, side, batch] = saved_tensor_bytes(model, torch.rand(batch, 1, side, side))
    finally:
        torch.set_num_threads(threads)

    def depth(side, batch):
        a, b2, g2 = meas[1, 1, side, batch], meas[1, 2, side, batch], meas[2, 1, side, batch]
        block, group = b2 - a, g2 - b2
        return a - group - block + G * (group + B * block)

    per_pixel = (depth(16, 1) - depth(8, 1)) / (16**2 - 8**2)
    per_image = depth(8, 2) - depth(8, 1) - 64 * per_pixel
    return (
        ("per_lr_pixel", per_pixel),
        ("per_image", per_image),
        ("constant", depth(8, 1) - per_image - 64 * per_pixel),
    )


def activation_memory_gb(lr_patch: int, batch: int, scale: int, **model_opts) -> float:
    """GB (1e9 bytes) of fp32 activations IDMAN saves for backward in one training step on ``batch``
    LR patches of ``lr_patch`` x ``lr_patch`` (weights, gradients and optimiser state not included)."""
    b = activation_bytes(scale, **model_opts)
    return batch * (b["per_image"] + b["per_lr_pixel"] * lr_patch**2) / 1e9


def memory_table(batch: int = 10, patch: int = 48, scales=(2, 3, 4), variants: dict | None = None) -> pd.DataFrame:
    """Training memory of the paper's setting (batch 10, 48x48 patches) for both readings of the patch
    (48x48 LR, or 48x48 HR = 48/scale LR) and model variants: fp32 activations saved for backward,
    and weights + gradients + Adam's two moments (4 x 4 bytes per parameter) beside them."""
    variants = variants or {"IDMAN as built": {}}
    rows = []
    for label, opts in variants.items():
        for scale in scales:
            b = activation_bytes(scale, **opts)
            state = 16 * full_size_parameters(scale, **opts) / 1e9
            for reading, lr in (("48x48 LR", patch), ("48x48 HR", patch // scale)):
                act = batch * (b["per_image"] + b["per_lr_pixel"] * lr**2) / 1e9
                rows.append(
                    {
                        "model": label,
                        "scale": scale,
                        "patch": reading,
                        "LR patch": lr,
                        "activations (GB)": act,
                        "weights+grads+Adam (GB)": state,
                        "saved weights (GB)": b["constant"] / 1e9,
                        "total (GB)": act + state + b["constant"] / 1e9,
                    }
                )
    return pd.DataFrame(rows)


def training_step_seconds(
    scale: int = 2, batch: int = 10, hr_patch: int = 48, steps: int = 2, threads: int = 1, **options
) -> dict:
    """Measured seconds of one training step (forward, L1, backward, Adam; bf16 autocast as the fast path) of IDMAN
    at the paper's size (or ``options``) on this CPU: the last of ``steps`` steps, with the hardware that ran it.
    What the ledger's cost of a paper-depth run is computed from; run it with a free CPU."""
    import time

    from ...runtime import hardware_info

    torch.set_num_threads(threads)
    model = build(scale, meta=False, **(PAPER_SIZE | options))
    opt = torch.optim.Adam(model.parameters(), 1e-4)
    x, y = torch.rand(batch, 1, hr_patch // scale, hr_patch // scale), torch.rand(batch, 1, hr_patch, hr_patch)
    seconds = float("nan")
    for _ in range(steps):
        t0 = time.perf_counter()
        with torch.autocast("cpu", dtype=torch.bfloat16):
            out = model(x)
        loss = (out.float() - y).abs().mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        seconds = time.perf_counter() - t0
    return {
        "seconds_per_step": seconds,
        "threads": threads,
        "scale": scale,
        "batch": batch,
        "hr_patch": hr_patch,
        "parameters": models.count_parameters(model),
        "options": PAPER_SIZE | options,
        "hardware": hardware_info("cpu"),
    }
