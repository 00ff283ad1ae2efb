import os

import pytest

os.environ.setdefault("TQDM_DISABLE", "1")
os.environ.setdefault("MPLBACKEND", "Agg")

from paperlib.config import data_root  # noqa: E402
from paperlib.runtime import bf16_supported  # noqa: E402

#: A test of the bf16 fast path needs a CPU with native bf16 (AVX512-BF16/AMX): elsewhere the fast path runs
#: fp32, so the test would pass without testing bf16 at all. Skipped there, never silently run in fp32.
needs_bf16 = pytest.mark.skipif(
    not bf16_supported("cpu"),
    reason="CPU without AVX512-BF16/AMX: the fast path would run fp32 here, so it would not test bf16 at all",
)


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: takes more than a few seconds")


@pytest.fixture(scope="session")
def shared_data():
    root = data_root()
    if not (root / "covid-ct").is_dir():
        pytest.skip(f"shared CT data not found at {root} (set PAPERLIB_DATA)")
    return root


def t95_alternating(delta: float, n: int = 6) -> tuple[float, float]:
    """The 95% t-interval (scipy: the golden, independent of paperlib) of ``n`` per-image deltas
    ``delta + 0.01, delta - 0.01, ...``: what the synthetic ablation and comparison tables should report."""
    import numpy as np
    from scipy import stats

    d = np.array([delta + 0.01 * (-1) ** i for i in range(n)])
    return stats.t.interval(0.95, n - 1, loc=d.mean(), scale=stats.sem(d))
