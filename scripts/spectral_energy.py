"""How much of each test image's spectral energy lies above the frequencies a downscale removes.

Why: the shipped HU models gain far more over bicubic than the COVID-CT ones (their cards: paperlib/pretrained).
One candidate is the source images themselves: a slice with little energy above the new Nyquist frequency loses
little to downscaling that a model cannot learn back. This measures it on the test images of both sets.

Per image (:func:`paperlib.spectral.share_above`: mean removed, 2-D Hann window, power spectrum; radius in cycles
per pixel, Nyquist = 0.5): the share of the energy above 0.02 cycles/pixel that lies above 1/8, 1/6 and 1/4
cycles/pixel (the Nyquist frequency after a x4, x3 and x2 downscale). HU slices through the lung window (the
window the HU models are trained and scored on), COVID-CT as its 8-bit grey images.

    python scripts/spectral_energy.py [--n 12]   ->  figures/pretrained/spectral_energy.json
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from paperlib.spectral import band_shares


def main(argv=None) -> int:
    from paperlib.data.sources import load_source
    from paperlib.experiments.dridsr import tables as ex
    from paperlib.results import figures_root
    from paperlib.runtime import git_commit

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=12, help="test images per set (the first n of each test split)")
    a = ap.parse_args(argv)
    sets = {
        "tcga (HU, lung window)": load_source("tcga", window="lung", progress=False).test,
        "covid-ct (8-bit)": ex.load_data(seed=0, progress=False, profile="quick").test,
    }
    out = {
        "what": __doc__.split("\n\n")[2].replace("\n", " "),
        "git_commit": git_commit(),
        "made": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "sets": {},
    }
    for name, images in sets.items():
        rows = [
            dict(image=f"{label}/{n}", **band_shares(im if im.ndim == 2 else im[..., 0]))
            for n, label, im in images[: a.n]
        ]
        med = {k: float(np.median([r[k] for r in rows])) for k in ("x4", "x3", "x2")}
        out["sets"][name] = {"median": med, "images": rows}
        print(f"{name:24s} median share above " + ", ".join(f"{k} Nyquist {v:.4f}" for k, v in med.items()))
    path = figures_root() / "pretrained" / "spectral_energy.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, indent=1))
    print(f"-> {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
