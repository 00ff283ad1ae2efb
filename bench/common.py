"""Helpers shared by the benchmark sections: model sizes, medians, CPU/CUDA sync, memory and CPU time."""

from __future__ import annotations

import os
import resource
import statistics
import sys
import threading

#: constructor options for --size quick (only the huge models are reduced; others use the registry defaults)
QUICK_OPTIONS = {"idman": dict(n_groups=2, n_blocks=4), "rcan": dict(n_resgroups=2, n_resblocks=4)}


def sync(device) -> None:
    import torch

    if torch.device(device).type == "cuda":
        torch.cuda.synchronize()


def median(xs):
    return float(statistics.median(xs)) if xs else None


def model_options(name: str, size: str) -> dict:
    return dict(QUICK_OPTIONS.get(name, {})) if size == "quick" else {}


def configurations(args, scales_of):
    """``(model, scale, size, options)`` for every measured configuration; ``quick`` is skipped where it
    equals ``paper`` and both are asked for (measured once)."""
    for name in args.models:
        for scale in scales_of(name):
            for size in args.sizes:
                opts = model_options(name, size)
                if size == "quick" and not opts and "paper" in args.sizes:
                    continue
                yield name, scale, size, opts


_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def rss_bytes(pid: int) -> int:
    """Current resident set size of ``pid`` (``/proc`` on Linux, psutil elsewhere; 0 if gone/unknown)."""
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):
        pass
    try:
        import psutil

        return int(psutil.Process(pid).memory_info().rss)
    except Exception:
        return 0


def ru_maxrss_bytes() -> int:
    """This process's lifetime peak RSS (``getrusage().ru_maxrss``) in bytes."""
    r = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(r if sys.platform == "darwin" else r * 1024)


class CPUTimes:
    """User and system CPU seconds of this process between ``__enter__`` and ``__exit__``
    (``resource.getrusage``); system time that rivals user time is memory being mapped and unmapped."""

    def __enter__(self):
        r = resource.getrusage(resource.RUSAGE_SELF)
        self._u, self._s = r.ru_utime, r.ru_stime
        return self

    def __exit__(self, *exc):
        r = resource.getrusage(resource.RUSAGE_SELF)
        self.user_s, self.sys_s = r.ru_utime - self._u, r.ru_stime - self._s

    def as_dict(self) -> dict:
        return {"user_cpu_s": self.user_s, "sys_cpu_s": self.sys_s}


class RSSMonitor:
    """Peak resident memory while active: this process plus the given children (DataLoader workers).

    ``ru_maxrss`` is a process-lifetime maximum, so it cannot separate interleaved configurations;
    this samples the current RSS every ``interval`` seconds instead (and ``ru_maxrss`` is recorded
    once for the whole run).
    """

    def __init__(self, interval: float = 0.01, child_pids=()):
        self.pids = [os.getpid(), *child_pids]
        self.interval, self.peak, self._stop = interval, 0, threading.Event()

    def current(self) -> int:
        return sum(rss_bytes(p) for p in self.pids)

    def __enter__(self):
        self.peak = self.current()
        self._stop.clear()
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()
        return self

    def _run(self):
        while not self._stop.wait(self.interval):
            self.peak = max(self.peak, self.current())

    def __exit__(self, *exc):
        self._stop.set()
        self._t.join()
        self.peak = max(self.peak, self.current())
