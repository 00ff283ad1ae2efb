"""Device, precision and provenance helpers shared by training, evaluation and benchmarks."""

from __future__ import annotations

import functools
import os
import platform
import subprocess
from contextlib import nullcontext
from pathlib import Path

from .config import REPO_ROOT


@functools.lru_cache(maxsize=None)
def cpu_flags() -> frozenset:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                return frozenset(line.split(":", 1)[1].split())
    except OSError:
        pass
    return frozenset()


def bf16_supported(device) -> bool:
    """bf16 autocast pays off: CUDA with bf16, or a CPU with native bf16 dot products (AVX512-BF16/AMX)."""
    import torch

    dev = torch.device(device)
    if dev.type == "cuda":
        return torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    return bool({"avx512_bf16", "amx_bf16"} & cpu_flags())


def autocast(device, enabled: bool):
    """bf16 autocast context for ``device`` when ``enabled`` (a no-op context otherwise)."""
    import torch

    if not enabled:
        return nullcontext()
    return torch.autocast(device_type=torch.device(device).type, dtype=torch.bfloat16)


def git_commit() -> str:
    """The commit this process runs: ``PAPERLIB_COMMIT`` when set (a working tree copied to a device machine carries
    no ``.git`` or a stale one, so the sender names the commit), else HEAD when the process first asked (``-dirty``
    when tracked files other than :data:`RESULT_PATHS` differed then; a long job records the code it loaded, not a
    later HEAD), else ``"unknown"``."""
    return os.environ.get("PAPERLIB_COMMIT") or _git_head()


#: What the project's own runs write into the checkout (tables and figures, the book's executed copies, bench
#: records, the README's generated blocks): a change there is a result, not a change of code, so it does not make
#: a commit ``-dirty`` (a staged study rewrites them after every stage, before its next stage starts training).
RESULT_PATHS = ("figures", "book", "bench/results", "README.md")


@functools.cache
def _git_head() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=10)
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no", "--", ".", *(f":!{p}" for p in RESULT_PATHS)],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
        return out.stdout.strip() + ("-dirty" if dirty else "") if out.returncode == 0 else "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def hardware_info(device="cpu") -> dict:
    """Provenance saved with every run, table and benchmark."""
    import numpy
    import torch

    info = {
        "device": str(device),
        "cpu": cpu_name(),
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "bf16_cpu": bf16_supported("cpu"),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "numpy": numpy.__version__,
        "platform": platform.platform(),
    }
    if torch.device(device).type == "cuda" and torch.cuda.is_available():
        info["gpu"] = torch.cuda.get_device_name()
    return info
