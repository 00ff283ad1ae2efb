"""CPU memory while a volume streams through a model: keep freed memory for the next batch (glibc only)."""

from __future__ import annotations

from contextlib import contextmanager

_M_TRIM_THRESHOLD, _M_MMAP_MAX = -1, -4  # glibc mallopt parameters (malloc.h)
_retaining = [0]  # nesting depth of retain_freed_memory


@contextmanager
def retain_freed_memory(device="cpu"):
    """While active (CPU, glibc only; elsewhere a no-op), ``malloc`` serves every allocation from its
    heap and keeps freed memory for the next batch instead of returning it to the system.

    Sets ``M_MMAP_MAX=0`` and ``M_TRIM_THRESHOLD=INT_MAX``; on exit restores glibc's defaults
    (65536, 128 KiB) and ``malloc_trim(0)`` hands the retained memory back. Peak RSS stays that of
    one batch (what the batch needs, plus fragmentation); page faults and kernel time per batch
    nearly vanish (bench/README.md, volume section). Nested uses restore on the outermost exit.
    """
    import torch

    libc = _glibc() if torch.device(device).type == "cpu" else None
    if libc is None:
        yield
        return
    if _retaining[0] == 0:
        libc.mallopt(_M_MMAP_MAX, 0)
        libc.mallopt(_M_TRIM_THRESHOLD, 2**31 - 1)
    _retaining[0] += 1
    try:
        yield
    finally:
        _retaining[0] -= 1
        if _retaining[0] == 0:
            libc.mallopt(_M_MMAP_MAX, 65536)
            libc.mallopt(_M_TRIM_THRESHOLD, 128 * 1024)
            libc.malloc_trim(0)


def _glibc():
    """The C library through ctypes when it is glibc (``mallopt``/``malloc_trim``), else ``None``."""
    import ctypes
    import platform

    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return None
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return None
    return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None
