"""Datasets in their original layouts, HU handling, degradation, patches and the prepared cache.

Modules: :mod:`.covid_ct` (COVID-CT folders and splits), :mod:`.deeplesion` (16-bit PNG),
:mod:`.dicom` (DICOM slices/series to HU), :mod:`.hu_sets` (which HU set feeds which IDMAN
table, patient-level splits), :mod:`.hu` (windowing), :mod:`.degrade` (MATLAB bicubic,
modcrop), :mod:`.patches` (patches, augmentation, batched sampler), :mod:`.cache`.
"""

from importlib import import_module
from pkgutil import iter_modules

# every module and subpackage of this folder, read from the folder itself (a list written by hand drifted)
_SUBMODULES = tuple(m.name for m in iter_modules(__path__))


def __getattr__(name):
    if name in _SUBMODULES:
        return import_module(f".{name}", __name__)
    raise AttributeError(f"module 'paperlib.data' has no attribute {name!r}")
