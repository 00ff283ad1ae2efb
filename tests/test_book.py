"""The book (``make book``): its TOC lists every notebook, its committed notebooks are what they claim to
be, ``paperlib publish`` copies and refuses as it says, and the site check finds broken images.
Needs neither Jupyter Book nor Chromium."""

from __future__ import annotations

import base64
import importlib.util
import io
import json
from pathlib import Path

from PIL import Image

from paperlib import book
from paperlib.cli import main as cli
from paperlib.reproduce import NOTEBOOK_DIR, NOTEBOOKS

BOOK = book.BOOK_DIR


def _check_site():
    spec = importlib.util.spec_from_file_location("check_site", BOOK / "check_site.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _notebooks() -> list[str]:
    return sorted(
        p.relative_to(NOTEBOOK_DIR).as_posix()
        for p in NOTEBOOK_DIR.rglob("*.ipynb")
        if ".ipynb_checkpoints" not in p.parts
    )


def test_toc_lists_every_notebook_and_nothing_else():
    toc = _check_site().toc_files(BOOK / "_toc.yml")
    assert toc[0] == "intro" and (BOOK / "intro.md").is_file()
    want = {book.book_path(nb, BOOK).relative_to(BOOK).with_suffix("").as_posix() for nb in _notebooks()}
    missing = want - set(toc)
    assert not missing, f"book/_toc.yml does not list {sorted(missing)} (add them; then `paperlib publish`)"
    assert set(toc) - want == {"intro"}, f"book/_toc.yml lists pages that are no notebook: {set(toc) - want}"
    for page in toc[1:]:
        assert (BOOK / f"{page}.ipynb").is_file(), f"{page}.ipynb is in the TOC but not committed (`paperlib publish`)"


def test_every_notebook_is_run_by_reproduce():
    assert sorted(nb for group in NOTEBOOKS.values() for nb in group) == _notebooks()


def test_committed_book_notebooks_are_what_their_folder_says():
    found = sorted((BOOK / "executed").rglob("*.ipynb"))
    assert found, "book/executed/ holds no notebook"
    for path in found:
        rel = path.relative_to(BOOK / "executed").parts
        profile, nb = rel[0], "/".join(rel[1:])
        nb_json = json.loads(path.read_text())
        outputs = [o for c in nb_json["cells"] for o in c.get("outputs", [])]
        if book.is_pending(nb_json):
            meta = nb_json["metadata"][book.PENDING_KEY]
            assert (meta["profile"], meta["notebook"]) == (profile, nb), path
            assert not outputs, f"{path}: a placeholder has no outputs"
            assert "Outputs pending" in nb_json["cells"][1]["source"], path
        else:
            assert book.check_executed(path, nb, profile) is None, path
            src = json.loads((NOTEBOOK_DIR / nb).read_text())
            stale = book._cells(nb_json) != book._cells(src)
            banner = [c for c in nb_json["cells"] if book.STALE_TAG in c.get("metadata", {}).get("tags", [])]
            why = "made by an earlier version of its notebook, no banner says so" if stale else "a stale banner"
            assert stale == bool(banner), f"{path}: {why} (`paperlib publish` sets or clears it)"
            assert nb_json["metadata"]["papermill"]["parameters"]["profile"] == profile, path
            assert outputs, f"{path}: an executed notebook without outputs"
            assert profile == book.book_profile(nb), f"{path}: the book shows {nb} from {book.book_profile(nb)}"


def _source(path: Path) -> Path:
    cells = [
        {"cell_type": "markdown", "id": "t", "metadata": {}, "source": "# Tiny\n\nWhat it shows."},
        {
            "cell_type": "code",
            "id": "p",
            "metadata": {"tags": ["parameters"]},
            "execution_count": 1,
            "outputs": [{"output_type": "stream", "name": "stdout", "text": "old smoke output\n"}],
            "source": 'profile = "smoke"',
        },
        {
            "cell_type": "code",
            "id": "c",
            "metadata": {},
            "execution_count": None,
            "outputs": [],
            "source": "print(profile)",
        },
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    return path


def _executed(source: Path, path: Path, profile="quick", status="completed", exception=None, extra=""):
    """What papermill writes: the injected-parameters cell, outputs, per-cell status, run metadata."""
    nb_json = json.loads(source.read_text())
    nb_json["cells"].insert(
        2,
        {
            "cell_type": "code",
            "id": "i",
            "metadata": {"tags": ["injected-parameters"]},
            "execution_count": 2,
            "outputs": [],
            "source": f'profile = "{profile}"',
        },
    )
    nb_json["cells"][-1]["source"] += extra
    nb_json["cells"][-1]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": f"{profile}\n"}]
    for c in nb_json["cells"]:
        c["metadata"]["papermill"] = {"status": "completed"}
    nb_json["cells"][-1]["metadata"]["papermill"]["status"] = status
    nb_json["metadata"]["papermill"] = {
        "input_path": "notebooks/tiny/01_tiny.ipynb",
        "exception": exception,
        "parameters": {"profile": profile, "device": "cpu"},
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(nb_json, indent=1))
    return path


def test_publish_copies_keeps_and_refuses(tmp_path, monkeypatch):
    nb, src = "tiny/01_tiny.ipynb", _source(tmp_path / "notebooks" / "tiny" / "01_tiny.ipynb")
    runs, site = tmp_path / "executed", tmp_path / "book"
    run = runs / "quick" / nb

    def publish():
        return book.publish_one(nb, executed_root=runs, book_dir=site, source=src)

    status, dst = publish()  # nothing executed yet: a placeholder, outputs stripped, banner under the title
    assert (status, dst) == ("pending", site / "executed" / "quick" / nb)
    ph = json.loads(dst.read_text())
    assert book.is_pending(ph) and not [o for c in ph["cells"] for o in c.get("outputs", [])]
    assert [c["source"] for c in ph["cells"][:3:2]] == ["# Tiny", "What it shows."]
    assert "Outputs pending" in ph["cells"][1]["source"] and "ONLY=01_tiny" in ph["cells"][1]["source"]

    _executed(src, run)
    assert publish() == ("published", dst) and dst.read_bytes() == run.read_bytes()
    assert publish()[0] == "published"
    good = dst.read_bytes()
    for bad, why in [
        (dict(status="running"), "incomplete: cell 3 is 'running'"),
        (dict(exception=True), "exception"),
        (dict(profile="smoke"), "profile 'smoke', not 'quick'"),
        (dict(extra="\nprint(1)"), "stale: 01_tiny.ipynb changed"),
    ]:
        _executed(src, run, **bad)
        status, _ = publish()
        assert status.startswith("refused: ") and why in status, (bad, status)
        assert dst.read_bytes() == good, "a refused copy must leave the published one as it was"
    _executed(src, run)
    monkeypatch.setattr(book, "MAX_NOTEBOOK_BYTES", 100)
    assert "over the 0 MB limit" in publish()[0]
    run.unlink()
    assert publish() == ("kept", dst) and dst.read_bytes() == good
    # the notebook changes, nothing new is executed: the published copy stays, outputs untouched, under a banner
    edited = json.loads(src.read_text())
    edited["cells"][-1]["source"] += "\n# edited"
    src.write_text(json.dumps(edited))
    assert publish() == ("kept, from an earlier version (banner)", dst)
    marked = json.loads(dst.read_text())
    assert marked["cells"][1]["metadata"]["tags"] == [book.STALE_TAG]
    assert "earlier version" in marked["cells"][1]["source"] and "ONLY=01_tiny" in marked["cells"][1]["source"]
    assert marked["cells"][:1] + marked["cells"][2:] == json.loads(good)["cells"], "outputs and cells untouched"
    assert publish()[0].endswith("(banner)") and json.loads(dst.read_text()) == marked, "one banner, not two"
    monkeypatch.undo()  # the size limit back
    _executed(src, run)  # executed again from the edited notebook: published whole, no banner
    assert publish() == ("published", dst) and dst.read_bytes() == run.read_bytes()
    good = dst.read_bytes()
    edited["cells"][-1]["source"] = edited["cells"][-1]["source"].replace("\n# edited", "")
    src.write_text(json.dumps(edited))  # back to the first version: stale again, then current again
    run.unlink()
    assert publish()[0].endswith("(banner)")
    edited["cells"][-1]["source"] += "\n# edited"
    src.write_text(json.dumps(edited))
    assert publish() == ("kept", dst) and json.loads(dst.read_text()) == json.loads(good)
    run.write_text("{not json")
    dst.unlink()  # refused with nothing published: the placeholder stands in
    status, _ = publish()
    assert status.startswith("refused") and book.is_pending(json.loads(dst.read_text()))


def test_publish_cli_names_an_unknown_notebook(capsys):
    assert cli(["publish", "--only", "no_such_notebook"]) == 2
    assert "no_such_notebook" in capsys.readouterr().err


def test_book_profile_and_paths():
    assert book.book_profile("dridsr/03_table1_quality.ipynb") == "quick"
    assert book.book_profile("dridsr/07_budget_study.ipynb") == "budget"
    assert (
        book.book_path("idman/01_architecture.ipynb").relative_to(BOOK).as_posix()
        == "executed/quick/idman/01_architecture.ipynb"
    )


def _png(color=(200, 30, 30), size=(8, 8)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, "PNG")
    return buf.getvalue()


def test_site_check_finds_broken_images(tmp_path):
    cs = _check_site()
    site = tmp_path / "html"
    (site / "_images").mkdir(parents=True)
    (site / "_images" / "ok.png").write_bytes(_png())
    (site / "_images" / "ok.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>')
    (site / "_images" / "empty.png").write_bytes(b"")
    (site / "_images" / "cut.png").write_bytes(_png()[:30])
    (site / "_images" / "bad.svg").write_text("<svg><g></svg>")
    (site / "_images" / "html.svg").write_text("<html/>")
    data_ok = "data:image/png;base64," + base64.b64encode(_png()).decode()
    imgs = [
        "_images/ok.png",
        "_images/ok%2Esvg",
        data_ok,
        "https://example.org/x.png",
        "_images/empty.png",
        "_images/cut.png",
        "_images/bad.svg",
        "_images/html.svg",
        "_images/gone.png",
        "data:image/png;base64,AAAA",
        "",
    ]
    (site / "index.html").write_text(
        "<html><body>" + "".join(f'<img src="{s}" alt="">' for s in imgs) + "</body></html>"
    )
    (site / "page.html").write_text('<p><img alt="x" src="_images/ok.png"></p>')
    toc = tmp_path / "_toc.yml"
    toc.write_text("format: jb-book\nroot: index\nchapters:\n  - file: page\n  - file: not_built\n")
    problems, n = cs.check_site(site, toc)
    assert n == len(imgs) + 1
    text = "\n".join(problems)
    for bad in (
        "empty.png: empty file",
        "cut.png: not a valid image",
        "bad.svg: not valid SVG",
        "html.svg: XML root is <html>",
        "gone.png: missing",
        "data: URI not a valid image",
        "<img> without src",
        "not_built: in _toc.yml",
    ):
        assert bad in text, (bad, text)
    assert len(problems) == 8 and "ok." not in text and "example.org" not in text
    assert cs.toc_files(toc) == ["index", "page", "not_built"]


def test_blank_screenshot_is_detected(tmp_path):
    cs = _check_site()
    white, drawn = tmp_path / "white.png", tmp_path / "drawn.png"
    Image.new("RGB", (300, 200), "white").save(white)
    im = Image.new("RGB", (300, 200), "white")
    im.paste((0, 0, 0), (20, 20, 200, 60))
    im.save(drawn)
    assert cs.blank(white) and not cs.blank(drawn)


def test_default_screenshot_page_falls_back_while_table1_is_pending(tmp_path):
    cs = _check_site()
    nb = tmp_path / f"{cs.TABLE1}.ipynb"
    assert cs.default_page(tmp_path) == cs.TABLE2
    nb.parent.mkdir(parents=True)
    nb.write_text(json.dumps({"metadata": {book.PENDING_KEY: {"pending": True}}}))
    assert cs.default_page(tmp_path) == cs.TABLE2
    nb.write_text(json.dumps({"metadata": {"papermill": {}}}))
    assert cs.default_page(tmp_path) == cs.TABLE1
