"""Check the built book (``make book-check``): every TOC page was built, no broken image, and a
headless-Chromium screenshot of a results page.

    python book/check_site.py [--site book/_build/html] [--page executed/quick/dridsr/03_table1_quality]
                              [--out figures/book/table_page.png] [--width 1200] [--height 1000] [--scroll-to table]

Images: every ``<img src>`` of every built page must be a ``data:`` URI that decodes, or a local file
that exists, is not empty and is a valid PNG/JPEG/GIF (Pillow verifies it) or SVG (XML whose root is
``<svg>``); remote images are listed, not fetched. Chromium then renders the page (``--dump-dom``: the
DOM after scripts ran must hold the page's images and, for a table page, a ``<table>``) and takes the
screenshot, saved as an optimised PNG. Exit status 0 when all is well, 1 when a check fails, 2 when
the site or Chromium is missing. Needs Debian's ``chromium`` (``apt-get install chromium``).
"""

from __future__ import annotations

import argparse
import base64
import io
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

BOOK = Path(__file__).resolve().parent
ROOT = BOOK.parent
TABLE1 = "executed/quick/dridsr/03_table1_quality"
TABLE2 = "executed/quick/dridsr/04_table2_complexity"


class _Images(HTMLParser):
    def __init__(self):
        super().__init__()
        self.srcs: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.srcs.append(dict(attrs).get("src") or "")


def img_srcs(html: str) -> list[str]:
    """The ``src`` of every ``<img>`` in ``html`` (an empty string for an ``<img>`` without one)."""
    p = _Images()
    p.feed(html)
    return p.srcs


def image_problem(data: bytes, name: str) -> str | None:
    """Why ``data`` is not a usable image (``None``: it is one)."""
    if not data:
        return "empty file"
    if name.lower().endswith(".svg") or data.lstrip()[:5] in (b"<?xml", b"<svg "):
        try:
            root = ET.fromstring(data)
        except ET.ParseError as e:
            return f"not valid SVG ({e})"
        return None if root.tag.rsplit("}", 1)[-1] == "svg" else f"XML root is <{root.tag}>, not <svg>"
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as im:
            im.verify()
    except Exception as e:  # Pillow raises several types for truncated or foreign data
        return f"not a valid image ({type(e).__name__}: {e})"
    return None


def check_page_images(page: Path, site: Path) -> list[str]:
    """Problems with the images of one built page (paths relative to ``site`` in the messages)."""
    problems, rel = [], page.relative_to(site)
    for src in img_srcs(page.read_text(errors="replace")):
        if not src:
            problems.append(f"{rel}: <img> without src")
        elif src.startswith("data:"):
            head, _, payload = src.partition(",")
            try:
                data = base64.b64decode(payload) if head.endswith(";base64") else unquote(payload).encode()
            except ValueError as e:
                problems.append(f"{rel}: data: URI does not decode ({e})")
                continue
            why = image_problem(data, "x.svg" if "svg" in head else "x")
            if why:
                problems.append(f"{rel}: data: URI {why}")
        elif urlsplit(src).scheme in ("http", "https") or src.startswith("//"):
            print(f"  note: {rel} loads a remote image {src} (not checked)")
        else:
            path = (page.parent / unquote(urlsplit(src).path)).resolve()
            why = "missing" if not path.is_file() else image_problem(path.read_bytes(), path.name)
            if why:
                problems.append(f"{rel}: {src}: {why}")
    return problems


def pages(site: Path) -> list[Path]:
    """The built pages, without the theme's own templates under ``_static``."""
    return sorted(p for p in site.rglob("*.html") if "_static" not in p.relative_to(site).parts)


def toc_files(toc: Path) -> list[str]:
    """The ``file:`` and ``root:`` entries of ``_toc.yml`` (no YAML library needed)."""
    return re.findall(r"^\s*(?:-\s*)?(?:file|root):\s*(\S+)\s*$", toc.read_text(), flags=re.M)


def check_site(site: Path, toc: Path) -> tuple[list[str], int]:
    """(problems, number of images checked) over the whole site."""
    problems = [
        f"{f}: in {toc.name} but {f}.html was not built" for f in toc_files(toc) if not (site / f"{f}.html").is_file()
    ]
    n = 0
    for page in pages(site):
        n += len(img_srcs(page.read_text(errors="replace")))
        problems += check_page_images(page, site)
    return problems, n


def chromium() -> str | None:
    return next((shutil.which(c) for c in ("chromium", "chromium-browser", "google-chrome") if shutil.which(c)), None)


def _run_chromium(exe: str, *args: str, timeout: int = 120) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory() as profile:
        cmd = [
            exe,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--no-first-run",
            f"--user-data-dir={profile}",
            "--virtual-time-budget=5000",
            *args,
        ]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def check_rendered(exe: str, page: Path) -> list[str]:
    """Chromium's DOM after scripts ran: the page's images are there; a table page shows a table."""
    dom = _run_chromium(exe, "--dump-dom", page.as_uri()).stdout
    problems = [] if dom.strip() else [f"{page.name}: chromium --dump-dom printed nothing"]
    want = len(img_srcs(page.read_text(errors="replace")))
    if len(img_srcs(dom)) < want:
        problems.append(f"{page.name}: rendered DOM has {len(img_srcs(dom))} <img>, the file {want}")
    if "Outputs pending" in dom:
        print(f"  note: {page.name} is a placeholder (outputs pending)")
    elif "table" in page.stem and "<table" not in dom:
        problems.append(f"{page.name}: rendered DOM has no <table>")
    return problems


#: Writes the page y (CSS px) of the first element matching the selector into <body data-shot-y>.
_MEASURE = (
    "<script>window.addEventListener('load', () => {{ const e = document.querySelector({sel!r});"
    " if (e) document.body.dataset.shotY = Math.round(e.getBoundingClientRect().top + window.scrollY);"
    " }});</script></body>"
)


def element_y(exe: str, page: Path, selector: str, width: int = 1200) -> int | None:
    """Where the first element matching ``selector`` starts on the rendered page, in CSS pixels (through a
    temporary copy of the page beside it, so its relative links still resolve); ``None`` if there is none."""
    probe = page.with_name(f"_measure_{page.name}")
    probe.write_text(page.read_text().replace("</body>", _MEASURE.format(sel=selector), 1))
    try:
        dom = _run_chromium(exe, f"--window-size={width},1000", "--dump-dom", probe.as_uri()).stdout
    finally:
        probe.unlink()
    m = re.search(r'data-shot-y="(\d+)"', dom)
    return int(m.group(1)) if m else None


def screenshot(
    exe: str,
    page: Path,
    out: Path,
    width: int = 1200,
    height: int = 1000,
    scroll_to: str | None = None,
    margin: int = 200,
) -> Path:
    """Screenshot ``page`` at ``width`` CSS pixels into ``out`` (optimised PNG, <= 256 colours): its first
    ``height`` pixels, or ``height`` pixels from ``margin`` above the first element matching ``scroll_to``."""
    from PIL import Image

    top = max(0, (element_y(exe, page, scroll_to, width) or margin) - margin) if scroll_to else 0
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "shot.png"
        r = _run_chromium(exe, f"--screenshot={raw}", f"--window-size={width},{top + height}", page.as_uri())
        if not raw.is_file():
            raise RuntimeError(f"chromium wrote no screenshot (exit {r.returncode}): {r.stderr[-500:]}")
        out.parent.mkdir(parents=True, exist_ok=True)
        with Image.open(raw) as im:
            shot = im.convert("RGB").crop((0, top, width, top + height))
        shot.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(out, optimize=True)
    return out


def blank(png: Path) -> bool:
    """True when the screenshot is (nearly) one colour: the page did not render."""
    from PIL import Image

    with Image.open(png) as im:
        colours = im.convert("L").getcolors(maxcolors=1 << 16) or []
    return sum(n for n, _ in sorted(colours, reverse=True)[:1]) > 0.995 * im.width * im.height


def default_page(book: Path = BOOK) -> str:
    """Table 1's page once its executed notebook is published, else Table 2's."""
    import json

    nb = book / f"{TABLE1}.ipynb"
    pending = not nb.is_file() or json.loads(nb.read_text()).get("metadata", {}).get("paperlib_book")
    return TABLE2 if pending else TABLE1


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0], allow_abbrev=False)
    ap.add_argument("--site", type=Path, default=BOOK / "_build" / "html")
    ap.add_argument(
        "--page",
        default=None,
        help=f"page to screenshot, without .html (default {TABLE1}, or {TABLE2} while Table 1's outputs are pending)",
    )
    ap.add_argument("--out", type=Path, default=ROOT / "figures" / "book" / "table_page.png")
    ap.add_argument("--width", type=int, default=1200)
    ap.add_argument("--height", type=int, default=1000)
    ap.add_argument(
        "--scroll-to",
        default="table",
        help="CSS selector scrolled into view (default: the first table); '' for the top of the page",
    )
    args = ap.parse_args(argv)
    if not (args.site / "index.html").is_file():
        print(f"check_site: no built book in {args.site} (run `make book` first)", file=sys.stderr)
        return 2
    problems, n_img = check_site(args.site, BOOK / "_toc.yml")
    print(f"check_site: {len(pages(args.site))} pages, {n_img} images checked in {args.site}")
    exe = chromium()
    if exe is None:
        print("check_site: chromium not found (Debian: apt-get install chromium)", file=sys.stderr)
        return 2
    page = args.site / f"{args.page or default_page()}.html"
    if not page.is_file():
        print(f"check_site: {page} was not built", file=sys.stderr)
        return 2
    problems += check_rendered(exe, page)
    shot = screenshot(exe, page, args.out, args.width, args.height, scroll_to=args.scroll_to or None)
    print(f"check_site: screenshot of {page.relative_to(args.site)} -> {shot} ({shot.stat().st_size // 1024} KiB)")
    if blank(shot):
        problems.append(f"{page.name}: the screenshot {shot} is blank")
    for p in problems:
        print(f"  BROKEN: {p}", file=sys.stderr)
    print(f"check_site: {'FAILED, ' + str(len(problems)) + ' problem(s)' if problems else 'ok'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
