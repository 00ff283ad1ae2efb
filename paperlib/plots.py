"""Figure helpers shared by the notebooks: comparison grids with zoomed insets, curves, maps."""

from __future__ import annotations

import numpy as np


def _plt():
    import matplotlib.pyplot as plt

    return plt


def image_row(images: dict, cmap="gray", size=3.0, suptitle: str | None = None):
    """One row of labelled grayscale images (``{title: HxW array}``)."""
    plt = _plt()
    fig, axes = plt.subplots(1, len(images), figsize=(size * len(images), size), squeeze=False)
    for ax, (title, img) in zip(axes[0], images.items()):
        ax.imshow(img, cmap=cmap)
        ax.set_title(title, fontsize=9)
        ax.axis("off")
    if suptitle:
        fig.suptitle(suptitle, fontsize=10)
    fig.tight_layout()
    return fig


def comparison_grid(
    hr: np.ndarray,
    outputs: dict,
    box: tuple[int, int, int],
    scores: dict | None = None,
    suptitle: str | None = None,
    cols: int = 4,
    size: float = 2.6,
):
    """HR with the inset box drawn, then each method's crop with its crop PSNR/SSIM.

    Args:
        hr: HR image (H x W, [0, 1]).
        outputs: ``{method: SR image}`` (same size as ``hr``).
        box: ``(y, x, side)`` of the zoomed square, in HR pixels.
        scores: ``{method: (psnr, ssim)}`` measured on the crop.
    """
    from matplotlib.patches import Rectangle

    plt = _plt()
    y, x, s = box
    panels = [("HR", hr)] + list(outputs.items())
    n = len(panels) + 1
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(size * cols, size * rows), squeeze=False)
    ax0 = axes[0, 0]
    ax0.imshow(hr, cmap="gray", vmin=0, vmax=1)
    ax0.add_patch(Rectangle((x, y), s, s, fill=False, edgecolor="red", linewidth=1.5))
    ax0.set_title("HR (full)", fontsize=9)
    for i, (name, img) in enumerate(panels, start=1):
        ax = axes.flat[i]
        ax.imshow(img[y : y + s, x : x + s], cmap="gray", vmin=0, vmax=1, interpolation="nearest")
        title = name
        if scores and name in scores:
            title += f"\n{scores[name][0]:.2f} dB / {scores[name][1]:.4f}"
        ax.set_title(title, fontsize=8)
    for ax in axes.flat:
        ax.axis("off")
    if suptitle:
        fig.suptitle(suptitle, fontsize=10)
    fig.tight_layout()
    return fig


def training_curves(curves: dict, val: dict | None = None, smooth: int = 10):
    """Loss per step (moving average) and validation PSNR per method."""
    plt = _plt()
    fig, axes = plt.subplots(1, 2 if val else 1, figsize=(11 if val else 6, 3.6), squeeze=False)
    for name, df in curves.items():
        if len(df):
            axes[0, 0].plot(df["step"], df["loss"].rolling(smooth, min_periods=1).mean(), label=name)
    axes[0, 0].set(xlabel="iteration", ylabel="L1 loss (moving avg.)", yscale="log", title="training loss")
    axes[0, 0].legend(fontsize=7)
    if val:
        for name, df in val.items():
            if len(df):
                axes[0, 1].plot(df["step"], df["psnr"], marker="o", label=name)
        axes[0, 1].set(xlabel="iteration", ylabel="validation PSNR (dB, Y)", title="validation")
        axes[0, 1].legend(fontsize=7)
    fig.tight_layout()
    return fig


def paired_differences(df, title: str = ""):
    """Forest plot of paired margins with their 95% interval over images (``paperlib.stats.paired_verdict`` rows:
    ``margin``, ``image_ci_low``, ``image_ci_high``; the verdict beside each label)."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6, 0.45 * len(df) + 1.2))
    labels = [f"{r.method} - {r.baseline} (x{r.scale}): {r.verdict}" for r in df.itertuples()]
    yy = np.arange(len(df))
    ax.errorbar(
        df["margin"],
        yy,
        xerr=[df["margin"] - df["image_ci_low"], df["image_ci_high"] - df["margin"]],
        fmt="o",
        capsize=3,
    )
    if "paper_diff" in df:
        ax.scatter(df["paper_diff"], yy, marker="x", color="red", label="paper's margin (its own split)")
        ax.legend(fontsize=7)
    ax.axvline(0, color="gray", lw=0.8)
    ax.set_yticks(yy, labels, fontsize=8)
    ax.set_xlabel("mean per-image PSNR difference (dB), 95% interval over images")
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig


def _box(ax, x, y, text, color, w=1.5, h=0.55, fontsize=8):
    from matplotlib.patches import FancyBboxPatch

    ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0.04", fc=color, ec="0.3", lw=0.8))
    ax.text(x, y, text, ha="center", va="center", fontsize=fontsize)


def _arrow(ax, x0, y0, x1, y1):
    ax.annotate("", xy=(x1, y1), xytext=(x0, y0), arrowprops=dict(arrowstyle="->", color="0.3", lw=0.9))


def model_families(rows):
    """Where each model upsamples and what it learns, drawn from measured facts.

    ``rows``: dicts with ``method``, ``pre_upsampling``, ``skip`` (what the network returns with its output layer
    zeroed: what it learns a correction to), ``parameters``, ``gflops`` (forward GFLOPs for one 512x512 output) -
    :func:`paperlib.flops.family_table` makes them.
    """
    plt = _plt()
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(13, 4.2), gridspec_kw={"width_ratios": [1.25, 1]})
    ax.set_xlim(0, 10), ax.set_ylim(0, 4.2), ax.axis("off")
    for y, pre in ((3.1, True), (1.1, False)):
        names = ", ".join(r["method"] for r in rows if r["pre_upsampling"] == pre)
        steps = (
            [("LR", "0.9"), ("bicubic x s", "#f4d58d"), ("CNN at HR size", "#9ecae1"), ("SR", "0.9")]
            if pre
            else [("LR", "0.9"), ("CNN at LR size", "#9ecae1"), ("learned upsampler x s", "#f4d58d"), ("SR", "0.9")]
        )
        for i, (t, c) in enumerate(steps):
            _box(ax, 1 + 2.6 * i, y, t, c, w=2.2, fontsize=7.5)
            if i:
                _arrow(ax, 1 + 2.6 * (i - 1) + 1.1, y, 1 + 2.6 * i - 1.1, y)
        res = [f"{r['method']} ({r['skip']})" for r in rows if r["pre_upsampling"] == pre and r["skip"] != "nothing"]
        label = "pre-upsampling" if pre else "post-upsampling"
        ax.text(0.1, y + 0.62, f"{label}: {names}", fontsize=9, weight="bold")
        if res:
            ax.text(
                0.1, y - 0.7, f"learn a correction to an upscaled input (global skip): {', '.join(res)}", fontsize=8
            )
    ax.set_title("Where the upsampling happens", fontsize=10)
    order = sorted(rows, key=lambda r: r["gflops"])
    bx.barh([r["method"] for r in order], [r["gflops"] for r in order],
            color=["#f4d58d" if r["pre_upsampling"] else "#9ecae1" for r in order])  # fmt: skip
    for i, r in enumerate(order):
        bx.text(r["gflops"], i, f"  {r['parameters'] / 1e3:,.0f}k params", va="center", fontsize=7)
    bx.set_xscale("log")
    bx.set_xlabel("forward GFLOPs for one 512x512 output (log scale)")
    bx.set_title("Cost: a pre-upsampling network runs every layer on s² more pixels", fontsize=10)
    fig.tight_layout()
    return fig
