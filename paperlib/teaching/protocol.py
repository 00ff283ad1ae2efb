"""Lesson 1, protocol sensitivity: one image set, one model, and every evaluation choice measured.

The protocols are the registry of :mod:`paperlib.experiments.idman.bicubic_protocol` (each a
:class:`~paperlib.experiments.idman.bicubic_protocol.Variant` that changes one field of IDMAN's protocol:
HU through the ``ct12`` window, MATLAB bicubic, integer HU, grey PSNR with a border crop of the scale). Each
is applied twice to the same slices: to bicubic, and to a shipped model that replaces the bicubic upscaling
(:func:`~paperlib.experiments.idman.bicubic_protocol.protocol_pair` with ``upscale_hu``); bicubic takes the same
path (the variant's own interpolation on the LR's HU, then the domain's mapping). The table then
says how far each choice moves an absolute number, and how far it moves the model's *gain* over bicubic.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

from ..experiments.idman import bicubic_protocol as bp

#: The choices the lesson measures, by kind; every name is a variant of ``bicubic_protocol.VARIANTS``.
LESSON_VARIANTS = {
    "colour": ("y",),
    "interpolation": ("pil", "cv2", "torch", "up_torch", "up_bilinear"),
    "antialiasing": ("down_matlab_noaa", "torch_aa", "down_decimate"),
    "border crop": ("crop_none", "crop_scale+6"),
    "rounding": ("lr_float", "sr_float", "ct12_8bit"),
    "window and data range": ("lung8", "soft8", "minmax8", "png16", "hu1024_4095"),
    "MaxValue and formula": ("png16_max4095", "hu1024_max255", "png16_unsquared"),
    "alignment": ("shift_0.5", "shift_1"),
}


def kind_of(variant: str) -> str:
    return next((k for k, names in LESSON_VARIANTS.items() if variant in names), "baseline")


def _memo(upscale_hu):
    """``upscale_hu`` run once per distinct LR input (most variants change only how the output is measured)."""
    seen = {}

    def f(lr_hu, scale):
        key = (hashlib.sha1(np.ascontiguousarray(lr_hu, np.float64).tobytes()).hexdigest(), scale)
        if key not in seen:
            seen[key] = upscale_hu(lr_hu, scale)
        return seen[key]

    return f


def measure_protocols(images, scale: int, upscale_hu, variants=None, progress: bool = False) -> pd.DataFrame:
    """Per image and protocol: bicubic and model PSNR/SSIM under that protocol.

    Args:
        images: ``(id, patient, HU)`` triples (:func:`paperlib.teaching.teaching_images`).
        upscale_hu: the model, ``f(lr_hu, scale) -> sr_hu``.
        variants: variant names (default: ``baseline`` and every one of :data:`LESSON_VARIANTS`).
    """
    from tqdm.auto import tqdm

    names = ["baseline", *[v for vs in LESSON_VARIANTS.values() for v in vs]] if variants is None else variants
    model = _memo(upscale_hu)
    rows = []
    for name in tqdm(names, desc="protocols", disable=not progress):
        v = bp.VARIANTS[name]
        for img_id, patient, hu in images:
            # bicubic takes the model's path too (upscaled in HU, then mapped), so that the gain compares like with like
            bic = bp.measure(*bp.protocol_pair(hu, scale, v, upscale_hu=bp.resizer_hu(v.up)), scale, v)
            sr = bp.measure(*bp.protocol_pair(hu, scale, v, upscale_hu=model), scale, v)
            rows.append(
                dict(variant=name, kind=kind_of(name), changes=v.changes(), image=img_id, patient=patient,
                     bicubic_psnr=bic[0], bicubic_ssim=bic[1], model_psnr=sr[0], model_ssim=sr[1])
            )  # fmt: skip
    out = pd.DataFrame(rows)
    out["gain_psnr"] = out["model_psnr"] - out["bicubic_psnr"]
    return out


def sensitivity_table(per_image: pd.DataFrame) -> pd.DataFrame:
    """Per protocol: mean bicubic PSNR, model PSNR and gain, and how far each moved from the baseline (dB)."""
    m = per_image.groupby(["kind", "variant", "changes"], sort=False)[
        ["bicubic_psnr", "model_psnr", "gain_psnr", "bicubic_ssim", "model_ssim"]
    ].mean()
    base = m.xs("baseline", level="variant").iloc[0]
    m["bicubic moved (dB)"] = m["bicubic_psnr"] - base["bicubic_psnr"]
    m["model moved (dB)"] = m["model_psnr"] - base["model_psnr"]
    m["gain moved (dB)"] = m["gain_psnr"] - base["gain_psnr"]
    return m.reset_index()


def y_offset_db() -> float:
    """What the 'Y' channel adds to a grey image's PSNR: MATLAB's ``rgb2ycbcr`` maps grey [0, 1] to [16, 235]/255,
    so every error shrinks by 219/255 while the peak stays 1: ``20 log10(255 / 219)``."""
    return float(20 * np.log10(255 / 219))


def plot_sensitivity(table: pd.DataFrame, scale: int):
    """Horizontal bars: how far each protocol moves bicubic PSNR, the model's PSNR and the model's gain."""
    import matplotlib.pyplot as plt

    t = table[table["variant"] != "baseline"].iloc[::-1]
    y = np.arange(len(t))
    fig, ax = plt.subplots(figsize=(8.5, 0.32 * len(t) + 1.6))
    ax.barh(y + 0.27, t["bicubic moved (dB)"], height=0.27, label="bicubic PSNR", color="0.6")
    ax.barh(y, t["model moved (dB)"], height=0.27, label="model PSNR", color="C0")
    ax.barh(y - 0.27, t["gain moved (dB)"], height=0.27, label="model gain over bicubic", color="C3")
    ax.set_yticks(y, [f"{k}: {v}" for k, v in zip(t["kind"], t["variant"])], fontsize=8)
    ax.axvline(0, color="k", lw=0.8)
    ax.set_xscale("symlog", linthresh=1.0)
    ax.set_xlabel("change from the baseline protocol (dB; symmetric log scale beyond ±1 dB)")
    ax.set_title(f"How far one evaluation choice moves PSNR (x{scale}, same images, same model)", fontsize=10)
    ax.legend(fontsize=8, loc="lower right")
    ax.grid(True, axis="x", alpha=0.3)
    fig.tight_layout()
    return fig


def idman_case(root=None) -> pd.DataFrame:
    """The committed search for IDMAN's Bicubic rows (``figures/idman/quick/bicubic_protocol_search.csv``): the
    baseline and the three closest protocols, beside the paper's values (labelled as the paper's)."""
    from ..config import figures_root

    path = figures_root(root) / "idman" / "quick" / "bicubic_protocol_search.csv"
    if not path.is_file():
        raise FileNotFoundError(f"{path}: run python -m paperlib.experiments.idman.bicubic_protocol first")
    t = pd.read_csv(path)
    keep = ["baseline", *list(dict.fromkeys(t["variant"]))[:3]]
    t = t[t["variant"].isin(keep)]
    cols = ["rank", "variant", "scale", "n_images", "psnr", "paper_psnr", "diff_psnr", "changes"]
    return t[cols].rename(columns={"psnr": "our bicubic PSNR", "paper_psnr": "paper's bicubic PSNR"})


def what_we_see(table: pd.DataFrame) -> list[str]:
    """The lesson's observations, each with the numbers of ``table`` (never typed by hand)."""
    t = table.set_index("variant")

    def moved(v, col="bicubic moved (dB)"):
        return float(t.loc[v, col])

    base = t.loc["baseline"]
    windows = LESSON_VARIANTS["window and data range"]
    wmin, wmax = min(windows, key=moved), max(windows, key=moved)
    mismatch = [v for v in ("cv2", "torch", "down_matlab_noaa", "down_decimate") if v in t.index]
    worst = min(mismatch, key=lambda v: t.loc[v, "gain_psnr"])
    small = max(abs(moved(v)) for v in ("crop_none", "crop_scale+6", "lr_float", "sr_float", "ct12_8bit"))
    return [
        f"Under the baseline the model gains {base['gain_psnr']:+.2f} dB over bicubic "
        f"({base['bicubic_psnr']:.2f} vs {base['model_psnr']:.2f} dB).",
        f"**Y instead of grey** adds {moved('y'):+.3f} dB to every PSNR: exactly 20 log10(255/219) = "
        f"{y_offset_db():.3f} dB, because MATLAB's luma of a grey image is the image squeezed into [16, 235]. The gain "
        f"moves {moved('y', 'gain moved (dB)'):+.3f} dB: a comparison inside one protocol survives it.",
        f"**The window and data range** move absolute PSNR the most: from {moved(wmin):+.1f} dB ({wmin}) to "
        f"{moved(wmax):+.1f} dB ({wmax}). A 16-bit range puts the same errors under a 16x larger peak "
        f"(20 log10(65535/4096) = {20 * np.log10(65535 / 4096):.2f} dB); a narrow soft-tissue window magnifies them "
        "and clips the rest. Two papers that window differently cannot be compared by their PSNR.",
        f"**MaxValue** alone (255 on 12-bit values) moves PSNR by {moved('hu1024_max255'):+.1f} dB and the gain by "
        f"{moved('hu1024_max255', 'gain moved (dB)'):+.3f} dB: a difference of two PSNRs under one protocol does not "
        "depend on the peak.",
        f"**An LR made another way** changes the model's own input: with `{worst}` "
        f"({t.loc[worst, 'changes']}) its gain falls from {base['gain_psnr']:+.2f} to {t.loc[worst, 'gain_psnr']:+.2f} "
        "dB. The model learned to undo one degradation (lesson 3); this is also how a learned model ends up *below* "
        "bicubic.",
        f"**Border crop and rounding** are small here: at most {small:.2f} dB.",
        f"**Alignment**: a one-pixel shift costs bicubic {moved('shift_1'):+.2f} dB but the model "
        f"{moved('shift_1', 'model moved (dB)'):+.2f} dB: the sharper the output, the more a misregistration costs.",
    ]
