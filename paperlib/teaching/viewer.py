"""Lesson 4, looking at CT: window/level, synchronized zoomed insets, and the difference from the truth.

A CT slice holds Hounsfield units over about -1000 (air) to +3000 (dense bone); a screen shows 256 grey
levels. A *window* (width W, level L) maps [L - W/2, L + W/2] HU to black..white and clips the rest, so
the same slice looks different through each preset, and so does a super-resolution error. The viewer
shows HR, bicubic and each model side by side through one window, with the same zoomed inset in each,
and the signed difference from HR in HU.

:func:`static_view` draws one figure (what the book shows); :func:`interactive_view` wraps it in
ipywidgets (slice, preset, width/level sliders, inset position) when a live kernel is there.
"""

from __future__ import annotations

import numpy as np

from ..data.degrade import matlab_imresize, modcrop
from ..data.hu import WINDOWS

#: Window presets (width, level) in HU offered by the viewer: the package's, and a bone window.
PRESETS = {**{k: WINDOWS[k] for k in ("lung", "soft_tissue", "wide", "ct12")}, "bone": (2000.0, 400.0)}


def reconstructions(hu: np.ndarray, scale: int, upscalers: dict) -> dict:
    """``{"HR": hr, "bicubic": ..., name: ...}`` in HU: the slice cropped to a multiple of ``scale``, and each
    method's upscaling of its LR (MATLAB bicubic with antialiasing, integer HU: the shipped weights' training LR).

    ``upscalers``: ``{name: f(lr_hu, scale) -> sr_hu}``.
    """
    hr = modcrop(np.asarray(hu, np.float64), scale)
    lr = np.round(matlab_imresize(hr, 1 / scale))
    out = {"HR": hr, "bicubic": matlab_imresize(lr, scale)}
    out.update({name: np.asarray(f(lr, scale), np.float64) for name, f in upscalers.items()})
    return out


def default_box(hr: np.ndarray, side: int = 96) -> tuple[int, int, int]:
    """``(top, left, side)`` of the inset: the ``side`` x ``side`` block with the most detail (the largest standard
    deviation of HU mapped from [-1000, 1000] to [0, 1]), away from the border
    (:func:`paperlib.experiments.dridsr.tables.pick_box`)."""
    from ..experiments.dridsr.tables import pick_box

    return pick_box(np.clip((hr + 1000.0) / 2000.0, 0, 1), side)


def static_view(recs: dict, window=(1500.0, -600.0), box=None, diff_range: float = 200.0, title: str = ""):
    """One row of the full slices with the inset box drawn, one row of the insets, one row of the differences from
    HR (HU, clipped to ±``diff_range``), all through ``window`` = (width, level)."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    w, lvl = window
    lo, hi = lvl - w / 2, lvl + w / 2
    hr = recs["HR"]
    top, left, side = box or default_box(hr)
    names = list(recs)
    fig, axes = plt.subplots(3, len(names), figsize=(3.1 * len(names), 9.6), squeeze=False)
    for j, n in enumerate(names):
        img = recs[n]
        axes[0, j].imshow(img, cmap="gray", vmin=lo, vmax=hi)
        axes[0, j].add_patch(Rectangle((left, top), side, side, fill=False, ec="yellow", lw=1))
        axes[0, j].set_title(n, fontsize=10)
        axes[1, j].imshow(img[top : top + side, left : left + side], cmap="gray", vmin=lo, vmax=hi)
        axes[1, j].set_title("inset", fontsize=8)
        if n == "HR":
            axes[2, j].axis("off")
            axes[2, j].text(0.5, 0.5, "differences:\nmethod - HR (HU)", ha="center", va="center", fontsize=9)
        else:
            d = (img - hr)[top : top + side, left : left + side]
            im = axes[2, j].imshow(d, cmap="RdBu_r", vmin=-diff_range, vmax=diff_range)
            rmse = float(np.sqrt(np.mean((img - hr) ** 2)))
            axes[2, j].set_title(f"inset difference (RMSE of slice {rmse:.1f} HU)", fontsize=8)
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
    fig.colorbar(im, ax=axes[2, :].tolist(), shrink=0.8, label="HU (method - HR)")
    fig.suptitle(title or f"window W{w:g} / L{lvl:g} HU; inset [{top}, {left}, {side}]", fontsize=10)
    return fig


def interactive_view(images: list, scale: int, upscalers: dict):
    """An ipywidgets viewer over ``images`` (``(id, patient, HU)``): slice, window preset, width and level sliders,
    inset position and size; redraws :func:`static_view`. Returns the widget (display it), or ``None`` without
    ipywidgets."""
    try:
        import ipywidgets as W
    except ImportError:
        return None
    import matplotlib.pyplot as plt
    from IPython.display import display

    cache = {}

    def recs(i):
        if i not in cache:
            cache[i] = reconstructions(images[i][2], scale, upscalers)
        return cache[i]

    sl = W.IntSlider(0, 0, len(images) - 1, description="slice")
    preset = W.Dropdown(options=list(PRESETS), value="lung", description="preset")
    width = W.FloatSlider(PRESETS["lung"][0], min=50, max=4096, step=10, description="width (HU)")
    level = W.FloatSlider(PRESETS["lung"][1], min=-1200, max=1500, step=10, description="level (HU)")
    top = W.IntSlider(200, 0, 512 - 32, description="inset top")
    left = W.IntSlider(200, 0, 512 - 32, description="inset left")
    side = W.IntSlider(96, 32, 256, step=16, description="inset side")
    out = W.Output()

    def on_preset(change):
        width.value, level.value = PRESETS[change["new"]]

    preset.observe(on_preset, names="value")

    def draw(*_):
        with out:
            out.clear_output(wait=True)
            r = recs(sl.value)
            t, lft = min(top.value, r["HR"].shape[0] - side.value), min(left.value, r["HR"].shape[1] - side.value)
            fig = static_view(r, (width.value, level.value), (t, lft, side.value), title=images[sl.value][0])
            display(fig)
            plt.close(fig)

    for w in (sl, width, level, top, left, side):
        w.observe(draw, names="value")
    draw()
    return W.VBox([W.HBox([sl, preset]), W.HBox([width, level]), W.HBox([top, left, side]), out])
