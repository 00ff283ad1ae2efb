"""``paperlib data check`` / ``data download``: manifests, corrupt-file detection, downloads from a local server.

No test touches the internet: downloads come from an http.server on 127.0.0.1 (with HTTP Range support,
so resuming is tested too) through ``PAPERLIB_DOWNLOAD_BASE``.
"""

from __future__ import annotations

import csv
import http.server
import io
import shutil
import threading
import zipfile
from pathlib import Path

import pytest

from paperlib.cli import main
from paperlib.data import check as check_mod
from paperlib.data.check import check, check_dataset, read_manifest
from paperlib.data.registry import DATASETS, get_dataset


def test_every_dataset_has_a_manifest():
    for name in DATASETS:
        rows = read_manifest(name)
        assert rows and all(len(e.sha256) == 64 and e.size > 0 for e in rows.values()), name


def test_shared_data_is_complete(shared_data, capsys):
    results = check(root=shared_data)
    assert [r.dataset.name for r in results if not r.ok] == []
    assert main(["data", "check", "--data-root", str(shared_data), "--quick", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "DRIDSR Table 1" in out and "IDMAN Table 8" in out and "cannot be made" not in out


@pytest.fixture
def damaged_deeplesion(shared_data, tmp_path):
    """A copy of the DeepLesion sample with one file deleted, one truncated and one byte changed."""
    shutil.copytree(shared_data / "deeplesion", tmp_path / "deeplesion")
    files = sorted((tmp_path / "deeplesion").rglob("*.png"))
    deleted, truncated, flipped = files[0], files[1], files[2]
    deleted.unlink()
    truncated.write_bytes(truncated.read_bytes()[:1000])
    data = bytearray(flipped.read_bytes())
    data[500] ^= 0xFF
    flipped.write_bytes(bytes(data))
    (tmp_path / "deeplesion" / "notes.txt").write_text("not in the manifest")
    rel = lambda p: p.relative_to(tmp_path / "deeplesion").as_posix()  # noqa: E731
    return tmp_path, rel(deleted), rel(truncated), rel(flipped)


def test_check_names_deleted_truncated_and_changed_files(damaged_deeplesion, capsys):
    root, deleted, truncated, flipped = damaged_deeplesion
    r = check_dataset("deeplesion", root=root)
    assert not r.ok and r.missing == [deleted] and r.extra == ["notes.txt"]
    assert dict(r.corrupt) == {
        truncated: f"size 1000, expected {read_manifest('deeplesion')[truncated].size}",
        flipped: "sha256 differs",
    }
    assert main(["data", "check", "deeplesion", "--data-root", str(root), "--quiet"]) == 1
    out = capsys.readouterr().out
    assert all(p in out for p in (deleted, truncated, flipped, "notes.txt"))
    assert "cannot be made: IDMAN Table 5 (needs deeplesion)" in out
    # --quick reads sizes only: the same-size change goes unnoticed, the rest does not
    quick = check_dataset("deeplesion", root=root, quick=True)
    assert quick.missing == [deleted] and [p for p, _ in quick.corrupt] == [truncated]


def test_missing_dataset_folder_fails_and_says_how_to_get_it(tmp_path, capsys):
    assert main(["data", "check", "tcga", "--data-root", str(tmp_path), "--quiet"]) == 1
    out = capsys.readouterr().out
    assert "tcga-ct-sample" in out and "MISSING" in out and "kaggle" in out.lower()


def test_unknown_dataset_is_a_one_line_error(capsys):
    assert main(["data", "check", "nsclc"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("paperlib: error: unknown dataset 'nsclc'") and "\n" not in err


def test_download_without_direct_source_prints_instructions(tmp_path, capsys):
    assert main(["data", "download", "tcga", "--data-root", str(tmp_path)]) == 2
    out = capsys.readouterr().out
    assert "no public direct source" in out and "dicom_dir" in out and not any(tmp_path.iterdir())


# ------------------------------------------------------------------ local HTTP server
class _RangeHandler(http.server.BaseHTTPRequestHandler):
    """Serves ``files`` (name -> bytes); honours ``Range: bytes=N-``; records each request's Range."""

    files: dict[str, bytes] = {}
    ranges: list = []

    def do_GET(self):  # noqa: N802
        data = self.files.get(self.path.lstrip("/"))
        if data is None:
            self.send_error(404)
            return
        rng = self.headers.get("Range")
        type(self).ranges.append(rng)
        start = int(rng.split("=")[1].rstrip("-")) if rng else 0
        self.send_response(206 if rng else 200)
        if rng:
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        self.send_header("Content-Length", str(len(data) - start))
        self.end_headers()
        self.wfile.write(data[start:])

    def log_message(self, *args):
        pass


@pytest.fixture
def server(monkeypatch):
    """Start a server on 127.0.0.1; returns the handler class (set ``.files``) with PAPERLIB_DOWNLOAD_BASE set."""
    handler = type("Handler", (_RangeHandler,), {"files": {}, "ranges": []})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("PAPERLIB_DOWNLOAD_BASE", f"http://127.0.0.1:{httpd.server_address[1]}")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    yield handler
    httpd.shutdown()
    httpd.server_close()


def _covid_ct_archive(shared: Path, n: int = 3) -> tuple[bytes, list[str]]:
    """A small zip in the GitHub archive's layout: COVID-CT-master/ with Data-split/, the images in
    Images-processed/CT_COVID.zip and CT_NonCOVID.zip, and a Meta file at the top (not where the
    manifest has it, so it is found by name). Returns (bytes, manifest paths included)."""
    src = shared / "covid-ct"
    picks = {d: sorted((src / "Images-processed" / d).iterdir())[:n] for d in ("CT_COVID", "CT_NonCOVID")}
    included = [f"Images-processed/{d}/{p.name}" for d, ps in picks.items() for p in ps]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for d, ps in picks.items():
            inner = io.BytesIO()
            with zipfile.ZipFile(inner, "w") as zi:
                for p in ps:
                    zi.write(p, f"{d}/{p.name}")
            z.writestr(f"COVID-CT-master/Images-processed/{d}.zip", inner.getvalue())
        for p in sorted((src / "Data-split").rglob("*.txt")):
            rel = p.relative_to(src).as_posix()
            z.write(p, f"COVID-CT-master/{rel}")
            included.append(rel)
        z.write(src / "Meta" / "NonCOVID-CT-MetaInfo.csv", "COVID-CT-master/NonCOVID-CT-MetaInfo.csv")
        included.append("Meta/NonCOVID-CT-MetaInfo.csv")
        z.writestr("COVID-CT-master/README.md", "not part of the dataset")
    return buf.getvalue(), included


def _subset_manifest(tmp_path: Path, name: str, keep: list[str]) -> Path:
    """A manifest directory holding only ``keep`` rows of ``name``'s committed manifest."""
    out = tmp_path / "manifests"
    out.mkdir(exist_ok=True)
    rows = read_manifest(name)
    with open(out / f"{name}.csv", "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["path", "size", "sha256"])
        w.writerows([(p, rows[p].size, rows[p].sha256) for p in keep])
    return out


def test_download_covid_ct_unpacks_original_layout_and_checks(shared_data, server, tmp_path, monkeypatch, capsys):
    archive, included = _covid_ct_archive(shared_data)
    server.files["COVID-CT-master.zip"] = archive
    root, cache = tmp_path / "data", tmp_path / "cache"
    args = ["data", "download", "covid-ct", "--data-root", str(root), "--cache-dir", str(cache), "--quiet"]
    # against the full committed manifest: the placed files verify, the rest is reported missing
    assert main(args) == 1
    r = check_dataset("covid-ct", root=root)
    assert r.corrupt == [] and r.extra == [] and len(r.missing) == len(read_manifest("covid-ct")) - len(included)
    for rel in included:
        assert (root / "covid-ct" / rel).read_bytes() == (shared_data / "covid-ct" / rel).read_bytes()
    assert not (root / ".covid-ct.unpack").exists()
    assert "unpinned" in capsys.readouterr().out
    # against a manifest of just these files, with one of them deleted: unpacked again from the cached
    # archive (not downloaded again), complete, exit 0; once complete, nothing is fetched
    monkeypatch.setattr(check_mod, "MANIFEST_DIR", _subset_manifest(tmp_path, "covid-ct", included))
    (root / "covid-ct" / included[0]).unlink()
    assert main(args) == 0 and (root / "covid-ct" / included[0]).is_file()
    assert main(args) == 0 and "already complete" in capsys.readouterr().out
    assert server.ranges == [None]


def test_download_resumes_a_partial_file(shared_data, server, tmp_path):
    from paperlib.data.download import fetch

    data = (shared_data / "iqa" / "niqe_modelparameters.mat").read_bytes()
    server.files["niqe_modelparameters.mat"] = data
    (tmp_path / "niqe_modelparameters.mat.part").write_bytes(data[:3000])
    path = fetch("iqa", cache_dir=tmp_path, progress=False)
    assert server.ranges == ["bytes=3000-"] and path.read_bytes() == data
    assert not (tmp_path / "niqe_modelparameters.mat.part").exists()


def test_download_iqa_pinned_hash(shared_data, server, tmp_path, capsys):
    good = (shared_data / "iqa" / "niqe_modelparameters.mat").read_bytes()
    root = tmp_path / "data"
    args = ["data", "download", "iqa", "--data-root", str(root), "--cache-dir", str(tmp_path / "c1"), "--quiet"]
    server.files["niqe_modelparameters.mat"] = good[:-1] + b"\0"  # a wrong file: refused by the pinned sha256
    assert main(args) == 2
    assert "not the expected one" in capsys.readouterr().err and not (root / "iqa").exists()
    server.files["niqe_modelparameters.mat"] = good
    assert main(args) == 0
    assert (root / "iqa" / "niqe_modelparameters.mat").read_bytes() == good
    assert get_dataset("niqe").name == "iqa"
