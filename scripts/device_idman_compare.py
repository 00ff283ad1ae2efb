"""Train the IDMAN comparison runs (Tables 5-8) on a lent GPU, then pack them for the trip back.

Why this exists: on this project's 2-core CPU the quick comparison (26 trainings: nine learned methods at
x2/x3/x4, IDMAN x2 excluded) takes over an hour, and the device machine is lent for minutes. The runs are the
package's own (:func:`paperlib.experiments.idman.compare.train_all`, same configuration, same run keys: the device
is not part of a run key), so the notebook reuses them exactly as if they had been trained here. Each manifest
records the GPU as its hardware.

IDMAN x2 is left out: it is the ablations' Table 4 model (same key), trained by the ablation study.

Run on the device (the tcga prepared cache carried, ``PAPERLIB_CACHE`` pointing at it, ``PAPERLIB_COMMIT`` set
since the working tree travels without ``.git``)::

    python scripts/device_idman_compare.py --out $OUT --workers 6

Back here: ``python scripts/device_idman_compare.py --unpack DIR`` extracts the runs into ``runs/``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tarfile
import time
from pathlib import Path

#: Rough cost order (slowest first): the jobs take every workers-th training of this order, so their loads even out.
COST_ORDER = ("vdsr", "drrn", "rdn", "mdsr", "idman", "rcan", "edsr", "srcnn", "fsrcnn")
PART_BYTES = 15 * 2**20  # the trip back takes files of at most 16 MiB
KEEP = ("manifest.json", "weights.pt", "log.csv", "val.csv")  # last.pt (optimiser state) is not needed once complete


def jobs(profile, seeds, device) -> list:
    """The comparison's trainings of ``seeds`` (among the profile's) less IDMAN x2, costly first within a seed."""
    from paperlib.experiments.trainings import profile_trainings

    todo = [t for t in profile_trainings(profile, device) if t.study == "idman.compare" and t.config.seed in seeds]
    return sorted(todo, key=lambda t: (t.config.seed, COST_ORDER.index(t.config.model)))


def pack(runs_dir: Path, names: list, out: Path) -> list:
    parts, tf, size = [], None, 0
    for name in sorted(names):
        files = [runs_dir / name / f for f in KEEP if (runs_dir / name / f).is_file()]
        n = sum(f.stat().st_size for f in files)
        if tf is None or size + n > PART_BYTES:
            if tf:
                tf.close()
            parts.append(out / f"runs_part{len(parts)}.tar")
            tf, size = tarfile.open(parts[-1], "w"), 0
        for f in files:
            tf.add(f, arcname=f"{name}/{f.name}")
        size += n
    if tf:
        tf.close()
    return parts


def unpack(folder: Path, runs_dir: Path) -> None:
    for part in sorted(folder.glob("runs_part*.tar")):
        with tarfile.open(part) as tf:
            for m in tf.getmembers():
                if (runs_dir / m.name).exists():
                    sys.exit(f"{part}: {runs_dir / m.name} exists already; not overwriting a run")
            tf.extractall(runs_dir, filter="data")
        print(f"{part.name}: unpacked into {runs_dir}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--profile", default="quick")
    ap.add_argument("--seeds", default="0")
    ap.add_argument("--workers", type=int, default=6, help="trainings side by side (submitit local jobs)")
    ap.add_argument("--timeout-min", type=int, default=60)
    ap.add_argument("--threads", type=int, default=2, help="CPU threads per worker")
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--unpack", type=Path, default=None, help="extract packed runs from this folder into runs/")
    a = ap.parse_args(argv)
    from paperlib.config import runs_root

    if a.unpack:
        unpack(a.unpack, runs_root())
        return 0
    import submitit

    from paperlib.experiments.fanout import fan_out
    from paperlib.runs import Run

    todo = jobs(a.profile, [int(s) for s in a.seeds.split(",")], a.device)
    print(f"{len(todo)} trainings on {a.device} in {a.workers} submitit local jobs", flush=True)
    t0 = time.perf_counter()
    ex = submitit.LocalExecutor(folder=(a.out or runs_root()) / "submitit")
    ex.update_parameters(timeout_min=a.timeout_min, gpus_per_node=1 if a.device == "cuda" else 0)
    done = []
    for t, d in zip(todo, fan_out(todo, ex, jobs=a.workers, threads=a.threads)):
        c, m = t.config, Run(Path(d)).manifest
        done.append(dict(method=c.model, scale=c.scale, seed=c.seed, run=Path(d).name, seconds=m.get("train_seconds")))
    if a.out:
        a.out.mkdir(parents=True, exist_ok=True)
        (a.out / "timings.json").write_text(
            json.dumps(
                {"wall_seconds": round(time.perf_counter() - t0, 1), "workers": a.workers, "jobs": done}, indent=1
            )
        )
        for p in pack(runs_root(), [r["run"] for r in done], a.out):
            print(f"{p.name}: {p.stat().st_size / 2**20:.1f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
