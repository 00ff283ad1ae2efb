"""Teaching track: the helpers behind ``notebooks/teaching/`` (one module per notebook).

Every lesson runs on real CT that ships with the package: the Lung-PET-CT-Dx slices of the embedded TCIA
sample (CC BY 4.0, :mod:`paperlib.data.sample`), which the shipped HU weights never saw in training (their
cards list Lung-PET-CT-Dx as the external test set). So the lessons run anywhere, with no data download
and no training, in minutes on two CPU cores.

* :mod:`.protocol` - how far each evaluation choice moves PSNR/SSIM (``01_protocol_sensitivity``).
* :mod:`.frequencies` - spectra, aliasing and what a model restores (``02_frequencies_and_aliasing``).
* :mod:`.degradation` - a model meets LR made another way (``03_degradation_mismatch``).
* :mod:`.viewer` - looking at CT: windows, insets, differences (``04_looking_at_ct``).
"""

from __future__ import annotations

import numpy as np

#: The sample's collection the lessons use: external to the shipped HU weights' training data.
COLLECTION = "Lung-PET-CT-Dx"


def teaching_images(n: int | None = None) -> list[tuple[str, str, np.ndarray]]:
    """``(slice id, patient, HU as float32 512x512)`` for the embedded sample's Lung-PET-CT-Dx slices (8), or
    the first ``n`` of them taken alternately from the two patients (so that two slices span both)."""
    from ..data.sample import load_sample

    meta, hu, ids = load_sample()
    rows = [(s["id"], s["patient"], hu[i].astype(np.float32)) for i, s in enumerate(meta["slices"])]
    rows = [r for r, s in zip(rows, meta["slices"]) if s["collection"] == COLLECTION]
    by_patient = {}
    for r in rows:
        by_patient.setdefault(r[1], []).append(r)
    interleaved = [r for group in zip(*by_patient.values()) for r in group]
    return interleaved if n is None else interleaved[:n]


def attribution() -> str:
    """The one-line credit of the images the lessons show."""
    from ..data.sample import load_sample

    col = load_sample(verify=False)[0]["collections"][COLLECTION]
    return f"Images: {col['short']}, from the CT sample embedded in paperlib. {col['citation']}"


def shipped_upscaler(scale: int, device="cpu"):
    """``(upscale_hu, card)``: the shipped DRIDSR HU weights at ``scale`` as a function ``f(lr_hu, scale) -> sr_hu``
    (one slice, float HU; :func:`paperlib.upscale.sr_hu_batch`, fp32, lung window as trained), and its model card."""
    from ..pretrained import load_pretrained, upscale_window
    from ..upscale import sr_hu_batch

    model, card, _ = load_pretrained("dridsr", scale, device=device)
    window = upscale_window(card)

    def upscale_hu(lr_hu: np.ndarray, s: int) -> np.ndarray:
        if s != scale:
            raise ValueError(f"these weights are x{scale}; asked for x{s}")
        return sr_hu_batch(model, np.asarray(lr_hu, np.float32)[None], scale, window=window, device=device)[0]

    return upscale_hu, card


#: Slices per lesson: two under ``smoke`` (nbval, the code path); all eight under any other profile.
N_IMAGES = {"smoke": 2}


class Lesson:
    """What every teaching notebook sets up: its images, the shipped model, a clock, and where tables are saved.

    Args:
        name: the notebook's name (tables go to ``figures/teaching/<profile>/<name>_*``).
        profile: a profile name (:data:`N_IMAGES`; the lessons train nothing, so only the number of slices
            depends on it).
        scale: the upscaling factor (the shipped HU weights exist at x2, x3 and x4).
        device: where the model runs.
    """

    def __init__(self, name: str, profile: str = "smoke", scale: int = 4, device="cpu"):
        import time

        from ..profiles import get_profile

        get_profile(profile)  # an unknown profile is refused, naming the known ones
        self.name, self.profile, self.scale, self.t0 = name, profile, scale, time.perf_counter()
        self.images = teaching_images(N_IMAGES.get(profile))
        self.upscale_hu, self.card = shipped_upscaler(scale, device)

    def describe(self) -> str:
        """A Markdown paragraph: images, model, profile."""
        ev = next((e for e in self.card["evaluation"] if e["data"] == "lung_pet_ct_dx"), None)
        never = " (its card lists Lung-PET-CT-Dx as never seen in training)" if ev else ""
        return (
            f"**Images**: {len(self.images)} real chest CT slices ({', '.join(i for i, _, _ in self.images)}). "
            f"**Model**: the shipped `{self.card['name']}` weights, {self.card['summary']}, "
            f"{self.card['parameters']:,} parameters, {self.card['training']['iterations']:,} training iterations"
            f"{never}. **Profile** `{self.profile}`.\n\n*{attribution()}*"
        )

    def save(self, df, what: str, meta: dict | None = None):
        """Save a lesson table under ``figures/teaching/<profile>/`` with its provenance; returns the path."""
        from ..results import save_table

        info = {"lesson": self.name, "scale": self.scale, "images": [i for i, _, _ in self.images]}
        info |= {"weights": self.card["name"], "weights_sha256": self.card["sha256"]} | (meta or {})
        return save_table(df, f"{self.name}_{what}", "teaching", self.profile, info)

    def figure(self, fig, what: str):
        """Save a lesson figure under ``figures/teaching/<profile>/`` (PNG + PDF + provenance), close it, and return
        an ``IPython.display.Image`` of it to display."""
        import matplotlib.pyplot as plt
        from IPython.display import Image

        from ..results import save_figure

        info = {"lesson": self.name, "scale": self.scale, "weights": self.card["name"]}
        # 90 dpi: the executed notebook embeds the PNG, and a lesson shows several full slices (the PDF beside it
        # keeps the vector version)
        png = save_figure(fig, f"{self.name}_{what}", "teaching", self.profile, info, dpi=90)
        plt.close(fig)
        return Image(str(png))

    def timing(self) -> str:
        """How long the notebook took so far, on which CPU (the last cell prints it)."""
        import time

        import torch

        from ..runtime import cpu_name

        return (
            f"This notebook ran in {time.perf_counter() - self.t0:,.0f} s under the `{self.profile}` profile on "
            f"{cpu_name()} ({torch.get_num_threads()} threads)."
        )
