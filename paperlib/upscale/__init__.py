"""Super-resolve real files with a trained run or the shipped weights: PNG -> PNG, DICOM -> derived DICOM.

* :mod:`.api` - :func:`upscale` (the entry point, settings in a frozen :class:`UpscaleOptions`),
  :func:`upscale_series`, :func:`upscale_png`, :func:`load_upscaler`;
* :mod:`.hu` - HU inference: :func:`sr_hu_batch`, :func:`sr_hu_volume` (streaming, ``batch`` slices at a time);
* :mod:`.policy` - the DICOM input policy (accepted, refused and noted input, before anything is written);
* :mod:`.memory` - CPU memory kept for the next batch while a volume streams.

DICOM reading and writing live in :mod:`paperlib.data.dicom` and :mod:`paperlib.data.dicom_write`.
"""

from ..runs import load_run_model
from .api import UpscaleOptions, load_upscaler, upscale, upscale_png, upscale_series
from .hu import CONSISTENCY, DEFAULT_BATCH, sr_hu_batch, sr_hu_volume

__all__ = [
    "CONSISTENCY",
    "DEFAULT_BATCH",
    "UpscaleOptions",
    "load_run_model",
    "load_upscaler",
    "sr_hu_batch",
    "sr_hu_volume",
    "upscale",
    "upscale_png",
    "upscale_series",
]
