"""paperlib.experiments.common.cached_evaluation: reused only for the same weights, images, protocol and flags."""

from __future__ import annotations

import numpy as np
import pandas as pd

from paperlib.experiments.common import cached_evaluation
from paperlib.metrics import Protocol


def test_reused_only_for_the_same_inputs(tmp_path):
    weights = tmp_path / "weights.pt"
    weights.write_bytes(b"w1")
    images = [("a.png", "x", np.zeros((4, 4), np.uint8))]
    calls = []

    def compute():
        calls.append(1)
        return pd.DataFrame({"image": ["a.png"], "psnr": [float(len(calls))]})

    prot = Protocol(channel="y", crop_border=2)
    first = cached_evaluation(tmp_path / "eval", weights, images, prot, compute, with_niqe=False)
    again = cached_evaluation(tmp_path / "eval", weights, images, prot, compute, with_niqe=False)
    assert len(calls) == 1 and again.equals(first)
    assert len(list(tmp_path.glob("eval_*.csv"))) == 1 and not list(tmp_path.glob("*.tmp"))
    # any change of input gives a new computation
    cached_evaluation(tmp_path / "eval", weights, images, prot, compute, with_niqe=True)
    cached_evaluation(tmp_path / "eval", weights, images, Protocol(channel="gray", crop_border=2), compute)
    images2 = [("a.png", "x", np.ones((4, 4), np.uint8))]
    cached_evaluation(tmp_path / "eval", weights, images2, prot, compute, with_niqe=False)
    weights.write_bytes(b"w2")
    out = cached_evaluation(tmp_path / "eval", weights, images, prot, compute, with_niqe=False)
    assert len(calls) == 5 and out["psnr"].iloc[0] == 5.0
