"""paperlib: executable reproductions of two CT super-resolution papers (DRIDSR, IDMAN).

``import paperlib as pl`` reaches the public pieces::

    pl.models.create("dridsr", scale=4)          # model zoo (explicit registry)
    pl.data.covid_ct.covid_ct_split("test")       # datasets in their original layouts
    pl.data.degrade.matlab_imresize(img, 1/4)     # MATLAB-compatible bicubic
    pl.metrics.psnr_y(sr, hr, crop_border=4)      # metrics with an explicit protocol
    pl.train.train(pl.train.TrainConfig("dridsr", 4, "quick"))          # training with run cache and exact resume
    pl.evaluate.evaluate_images(...)              # per-image evaluation, paired statistics
    pl.upscale.upscale("series/", "out/", run)    # super-resolve PNG / DICOM to derived DICOM
    pl.upscale.upscale("series/", "out/", model="dridsr", scale=2)  # ... with the shipped weights
"""

from importlib import import_module
from pathlib import Path

__version__ = "0.1.0"

_HERE = Path(__file__).parent
#: Every module and package of paperlib, read from the folder (a hand-kept list drifts).
_SUBMODULES = frozenset(
    [p.stem for p in _HERE.glob("*.py") if not p.stem.startswith("_")]
    + [p.parent.name for p in _HERE.glob("*/__init__.py")]
)


def __getattr__(name):  # lazy: `import paperlib` stays cheap, `pl.models` imports torch on first use
    if name in _SUBMODULES:
        return import_module(f".{name}", __name__)
    raise AttributeError(f"module 'paperlib' has no attribute {name!r}")


__all__ = list(_SUBMODULES)
