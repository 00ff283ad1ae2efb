"""Targets beside the measured values, and the Markdown report (tables by ``pandas.DataFrame.to_markdown``)."""

from __future__ import annotations

TARGETS = {
    "train_speedup_min": 2.0,
    "train_speedup_models": ("dridsr", "imdn", "pan"),
    "achieved_fraction_of_bf16_peak_min": 0.5,
    "dridsr_x4_infer_ms_cpu_max": 40.0,
    "dridsr_x4_infer_ms_gpu_max": 3.0,
    "dridsr_x4_infer_speedup_gpu_min": 2.5,
    "volume_slices": 300,
    "volume_seconds_max": 360.0,
    "volume_peak_rss_gb_max": 3.0,
    "volume_hu_diff_max": 1.0,
}


def _target(name, want, got, ok) -> dict:
    return {"target": name, "want": want, "got": got, "pass": bool(ok)}


def _training_targets(rows) -> list[dict]:
    out = [
        _target(
            f"train fast/plain {r['model']} x{r['scale']} {r['size']}",
            f">= {TARGETS['train_speedup_min']}x",
            round(r["speedup"], 2),
            r["speedup"] >= TARGETS["train_speedup_min"],
        )
        for r in rows
        if r["model"] in TARGETS["train_speedup_models"]
    ]
    if rows:
        best = max(rows, key=lambda r: r["fast"]["fraction_of_bf16_matmul_peak"])
        f = best["fast"]["fraction_of_bf16_matmul_peak"]
        out.append(
            _target(
                f"achieved / bf16 matmul peak (best: {best['model']} x{best['scale']} fast)",
                f">= {TARGETS['achieved_fraction_of_bf16_peak_min']}",
                round(f, 3),
                f >= TARGETS["achieved_fraction_of_bf16_peak_min"],
            )
        )
    return out


def _inference_targets(rows, cuda: bool) -> list[dict]:
    out = []
    for r in rows:
        if r["model"] == "dridsr" and r["scale"] == 4:
            lim = TARGETS["dridsr_x4_infer_ms_gpu_max" if cuda else "dridsr_x4_infer_ms_cpu_max"]
            out.append(
                _target(
                    f"DRIDSR x4 512x512 inference (fast) {r['size']}",
                    f"< {lim} ms",
                    round(r["fast_ms"], 2),
                    r["fast_ms"] < lim,
                )
            )
            if cuda:
                lim2 = TARGETS["dridsr_x4_infer_speedup_gpu_min"]
                out.append(
                    _target(
                        "DRIDSR x4 inference fast/eager", f">= {lim2}x", round(r["speedup"], 2), r["speedup"] >= lim2
                    )
                )
    return out


def _volume_targets(v) -> list[dict]:
    out = []
    t = v.get("timed")
    if t and t["slices"] >= TARGETS["volume_slices"]:
        lim, gb = TARGETS["volume_seconds_max"], TARGETS["volume_peak_rss_gb_max"]
        out.append(
            _target(
                f"{t['slices']}-slice x2 volume ({t['precision']}, batch {t['batch']})",
                f"< {lim:.0f} s",
                round(t["seconds"], 1),
                t["seconds"] < lim,
            )
        )
        out.append(
            _target(
                "volume peak RSS (sampled)",
                f"< {gb} GB",
                round(t["peak_rss_bytes"] / 1e9, 2),
                t["peak_rss_bytes"] / 1e9 < gb,
            )
        )
    a = v.get("hu_agreement")
    if a:
        out.append(
            _target(
                f"max per-slice mean abs(HU fast - HU fp32), {a['slices']} real slices",
                f"< {a['threshold_hu']} HU",
                round(a["max_per_slice_mean_abs_hu"], 3),
                a["below_threshold"],
            )
        )
    return out


def targets(result: dict) -> list[dict]:
    """Targets beside the measured values (reported, never asserted)."""
    v = result.get("volume") or {}
    return (
        _training_targets(result.get("training", []))
        + _inference_targets(result.get("inference", []), result["flags"]["device"] == "cuda")
        + (_volume_targets(v) if "skipped" not in v else [])
    )


def _mib(b):
    return f"{b / 2**20:.0f}" if b is not None else "-"


def _table(rows: list[dict]) -> str:
    import pandas as pd

    return pd.DataFrame(rows).to_markdown(index=False)


def _training_table(rows) -> str:
    def busy(d):
        return f"{d['busy']['busy_fraction']:.2f}" if "busy" in d else "-"

    return _table(
        [
            {
                "model": r["model"],
                "x": r["scale"],
                "size": r["size"],
                "params": f"{r['params']:,}",
                "GFLOP/step": f"{r['flops_per_step'] / 1e9:.1f}",
                "plain s/step": f"{r['plain']['s_per_step']:.3f}",
                "fast s/step": f"{r['fast']['s_per_step']:.3f}",
                "plain patch/s": f"{r['plain']['patches_per_s']:.1f}",
                "fast patch/s": f"{r['fast']['patches_per_s']:.1f}",
                "fast/plain": f"{r['speedup']:.2f}",
                "plain GFLOP/s": f"{r['plain']['achieved_gflops']:.1f}",
                "fast GFLOP/s": f"{r['fast']['achieved_gflops']:.1f}",
                "fast / bf16 peak": f"{r['fast']['fraction_of_bf16_matmul_peak']:.3f}",
                "fast / fp32 peak": f"{r['fast']['fraction_of_fp32_matmul_peak']:.3f}",
                "plain peak MiB": _mib(r["plain"]["peak_mem_bytes"]),
                "fast peak MiB": _mib(r["fast"]["peak_mem_bytes"]),
                "busy plain": busy(r["plain"]),
                "busy fast": busy(r["fast"]),
                "MFU": f"{r['fast']['mfu']:.3f}" if r["fast"]["mfu"] is not None else "-",
            }
            for r in rows
        ]
    )


def _candidate_table(rows) -> str:
    """One row per (configuration, candidate arm): the candidate against today's fast path."""
    return _table(
        [
            {
                "model": r["model"],
                "x": r["scale"],
                "size": r["size"],
                "candidate": m,
                "fast s/step": f"{r['fast']['s_per_step']:.3f}",
                "candidate s/step": f"{r[m]['s_per_step']:.3f}",
                "fast/candidate": f"{r[m]['vs_fast']:.2f}",
                "candidate / bf16 peak": f"{r[m]['fraction_of_bf16_matmul_peak']:.3f}",
                "warm-up s": f"{r[m]['warmup_s']:.1f}",
            }
            for r in rows
            for m in r
            if isinstance(r[m], dict) and "vs_fast" in r[m]
        ]
    )


def _inference_table(rows) -> str:
    return _table(
        [
            {
                "model": r["model"],
                "x": r["scale"],
                "size": r["size"],
                "LR -> out": f"{r['lr_shape'][0]} -> {r['out_shape'][0]}",
                "eager fp32 ms": f"{r['eager_fp32_ms']:.1f}",
                "fast ms": f"{r['fast_ms']:.1f}",
                "fast/eager": f"{r['speedup']:.2f}",
            }
            for r in rows
        ]
    )


def _volume_section(v) -> list[str]:
    s = v["series"]
    L = [
        f"## Volume (DRIDSR x2, weights: {v['weights']}{', ' + v['run'] if v.get('run') else ''})",
        "",
        f"Real Lung-PET-CT-Dx series {s['patient']} '{s['description']}', {s['n_slices']} slices of {s['shape']}.",
        "",
    ]
    rows = []
    for key, label in (
        ("timed", "`sr_hu_volume`, real slices cycled"),
        ("upscale_series", "`upscale_series` end to end (read DICOM, SR, write DICOM)"),
    ):
        t = v.get(key)
        if t:
            rows.append(
                {
                    "run": label,
                    "precision": t.get("precision", "fast (default)"),
                    "slices": t["slices"],
                    "batch": t["batch"],
                    "s": f"{t['seconds']:.1f}",
                    "slices/s": f"{t['slices_per_s']:.2f}",
                    "user CPU s": f"{t['user_cpu_s']:.1f}",
                    "sys CPU s": f"{t['sys_cpu_s']:.1f}",
                    "peak RSS MiB": _mib(t["peak_rss_bytes"]),
                    "ru_maxrss MiB": _mib(t.get("ru_maxrss_bytes")),
                }
            )
    if rows:
        L += [_table(rows), ""]
    a = v.get("hu_agreement")
    if a:
        L += [
            (
                f"- HU, fast path vs fp32 on {a['slices']} real slices: per-slice mean |diff| max "
                f"**{a['max_per_slice_mean_abs_hu']:.3f} HU** (mean {a['mean_abs_hu']:.3f}, largest single pixel "
                f"{a['max_abs_hu']:.1f} HU): {'under' if a['below_threshold'] else 'NOT under'} "
                f"{a['threshold_hu']} HU. "
                f"The model adds {a['model_detail_mean_abs_hu']:.1f} HU of detail on average (mean |SR - bicubic|)."
            ),
            "",
        ]
    return L


def markdown(result: dict) -> str:
    hw, fl, pk = result["hardware"], result["flags"], result["matmul_peak"]
    L = [
        f"# paperlib benchmark {result['timestamp']}",
        "",
        (
            f"- device: {fl['device']} ({hw.get('gpu') or hw.get('cpu')}), threads {result['threads']}, "
            f"torch {result['torch']}, commit {result['git_commit']}"
        ),
        f"- flags: `{' '.join(result['argv'])}`",
        f"- matmul peak (n={pk['n']}): fp32 {pk['fp32_gflops']:.0f} GFLOP/s, bf16 {pk['bf16_gflops']:.0f} GFLOP/s"
        + (
            f"; card bf16 dense peak {result['gpu_bf16_peak_tflops']} TFLOP/s"
            if result.get("gpu_bf16_peak_tflops")
            else ""
        ),
        "",
    ]
    if result.get("training"):
        tr = result["training"]
        L += [
            "## Training throughput (median s/step; plain = fp32 eager NCHW + DataLoader with numpy "
            f"MATLAB-bicubic, {fl['workers']} worker(s); fast = paperlib.train.Trainer: PatchSampler + channels_last"
            + (" + bf16" if tr[0]["fast"]["bf16_autocast"] else "")
            + (" + compile" if fl["compile"] else "")
            + ")",
            "",
            _training_table(tr),
            "",
        ]
        if any("vs_fast" in v for r in tr for v in r.values() if isinstance(v, dict)):
            L += [
                "### Candidates for the fast path (timed interleaved with plain and fast; > 1 = faster)",
                "",
                _candidate_table(tr),
                "",
            ]
    if result.get("inference"):
        L += [
            "## Inference, one ~512x512 output slice (median ms, torch.utils.benchmark.Timer)",
            "",
            _inference_table(result["inference"]),
            "",
        ]
    v = result.get("volume")
    if v and "skipped" not in v:
        L += _volume_section(v)
    elif v:
        L += [f"## Volume: skipped ({v['skipped']})", ""]
    if result.get("targets"):
        L += [
            "## Targets (reported, not asserted)",
            "",
            _table(
                [
                    {"target": t["target"], "want": t["want"], "got": t["got"], "": "PASS" if t["pass"] else "MISS"}
                    for t in result["targets"]
                ]
            ),
            "",
        ]
    return "\n".join(L)
