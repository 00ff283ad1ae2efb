import os

import pytest

os.environ.setdefault("TQDM_DISABLE", "1")
os.environ.setdefault("MPLBACKEND", "Agg")

from paperlib.config import data_root  # noqa: E402


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: takes more than a few seconds")


@pytest.fixture(scope="session")
def shared_data():
    root = data_root()
    if not (root / "covid-ct").is_dir():
        pytest.skip(f"shared CT data not found at {root} (set PAPERLIB_DATA)")
    return root
