"""Lighthouse, axe-core and the Nu HTML checker over the public site, with Debian's chromium.

Serves the demo collection (``potbank demo --no-serve`` into a temporary instance, or
``--home`` to reuse one) on a free port, then for each page (home, search, ware, maker,
timeline, map, exhibition, compare), each form factor (desktop, mobile) and each language
(en, zh):

- Lighthouse 12.2.3 scores the four categories (performance, accessibility, best practices,
  SEO), bar 95 in each;
- axe-core (WCAG 2.1 A/AA rules) counts violations in chromium through Playwright, bar 0;
- the Nu HTML checker (vnu.jar, needs a Java runtime) counts errors, bar 0.

The tools are npm packages pinned in ``bench/web-audit/package.json``: run ``npm ci`` (or
``npm install``) in that folder first; Debian packages: chromium, default-jre-headless.

    python bench/bench_lighthouse.py [--quick] [--home DIR] [--pages home,ware]

``--quick`` runs desktop English only. Not part of the test suite: Lighthouse's performance
score depends on the machine, so the table says what it measured and where.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
TOOLS = ROOT / "bench" / "web-audit"
MODULES = TOOLS / "node_modules"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
BAR = 95
# This checkout's CLI (the venv's `potbank` script may belong to another checkout).
POTBANK = (sys.executable, "-c", "from web.cli import main; main()")
CHROME_FLAGS = "--headless=new --no-sandbox --disable-gpu --no-first-run --disable-sync"


def _get(url: str, language: str = "en") -> bytes:
    """A page of the local server (always http://127.0.0.1)."""
    request = urllib.request.Request(url, headers={"Accept-Language": language})  # noqa: S310
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        return response.read()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _serve(home: Path, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "POTBANK_HOME": str(home), "PYTHONPATH": str(ROOT)}
    if not (home / "potbank.sqlite3").exists():
        subprocess.run([*POTBANK, "demo", "--no-serve"], env=env, check=True)
    server = subprocess.Popen(
        [*POTBANK, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            _get(f"http://127.0.0.1:{port}/about")
            return server
        except OSError:
            time.sleep(0.5)
    server.kill()
    sys.exit("the server did not answer within 90 s")


def _pages(base: str) -> dict[str, str]:
    """The pages the issue names, with ids found from the running site's own API."""
    found = json.loads(_get(f"{base}/api/v1/search?q=blue%20and%20white"))
    ids = [hit["id"] for hit in found["results"]][:2]
    staffordshire = json.loads(_get(f"{base}/api/v1/search?q=Clews"))
    first = staffordshire["results"][0]["id"]
    maker = json.loads(_get(f"{base}/api/v1/wares/{first}"))["makers"][0]["id"]
    return {
        "home": "/",
        "search": "/?q=blue+and+white",
        "ware": f"/wares/{ids[0]}",
        "maker": f"/makers/{maker}",
        "timeline": "/timeline",
        "map": "/map",
        "exhibition": "/exhibitions/blue-and-white-jingdezhen-to-staffordshire",
        "compare": f"/compare?ids={ids[0]},{ids[1]}",
    }


def lighthouse(url: str, form_factor: str, language: str) -> dict[str, int]:
    """Lighthouse's four category scores (0-100) for one page."""
    binary = MODULES / ".bin" / "lighthouse"
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "report.json"
        command = [
            str(binary),
            url,
            "--quiet",
            "--output=json",
            f"--output-path={report}",
            f"--chrome-flags={CHROME_FLAGS} --lang={language}",
            f"--only-categories={','.join(CATEGORIES)}",
            f"--locale={'zh' if language == 'zh' else 'en'}",
            f"--extra-headers={json.dumps({'Accept-Language': language})}",
        ]
        if form_factor == "desktop":
            command.append("--preset=desktop")
        subprocess.run(
            command, check=True, env={**os.environ, "CHROME_PATH": CHROMIUM}, timeout=300
        )
        data = json.loads(report.read_text())
    return {name: round(data["categories"][name]["score"] * 100) for name in CATEGORIES}


def axe_violations(browser, url: str, form_factor: str, language: str) -> list[str]:  # type: ignore[no-untyped-def]
    """The axe-core rules a page violates (WCAG 2.0/2.1 A and AA)."""
    viewport = (
        {"width": 1280, "height": 900}
        if form_factor == "desktop"
        else {
            "width": 360,
            "height": 740,
        }
    )
    context = browser.new_context(
        viewport=viewport, extra_http_headers={"Accept-Language": language}, bypass_csp=True
    )
    page = context.new_page()
    page.goto(url)
    page.add_script_tag(path=str(MODULES / "axe-core" / "axe.min.js"))
    result = page.evaluate(
        "async () => (await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', "
        "'wcag21aa']})).violations.map(v => v.id + ' (' + v.nodes.length + ')')"
    )
    context.close()
    return list(result)


def vnu_errors(url: str, language: str) -> list[str]:
    """The Nu HTML checker's errors for a page's HTML."""
    html = _get(url, language)
    jar = MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar"
    with tempfile.NamedTemporaryFile(suffix=".html") as page:
        page.write(html)
        page.flush()
        done = subprocess.run(
            ["java", "-jar", str(jar), "--format", "json", "--exit-zero-always", page.name],
            capture_output=True,
            text=True,
            timeout=120,
        )
    messages = json.loads(done.stderr or '{"messages": []}')["messages"]
    return [m["message"] for m in messages if m.get("type") == "error"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="desktop, English only")
    parser.add_argument("--home", type=Path, default=None, help="reuse this demo instance")
    parser.add_argument("--pages", default="", help="comma-separated page names")
    parser.add_argument("--skip-lighthouse", action="store_true")
    args = parser.parse_args()
    if not MODULES.is_dir():
        print(f"skipped: run `npm ci` in {TOOLS} first")
        return
    home = args.home or Path(tempfile.mkdtemp(prefix="potbank-audit-")) / "instance"
    port = _free_port()
    server = _serve(home, port)
    base = f"http://127.0.0.1:{port}"
    from playwright.sync_api import sync_playwright

    try:
        pages = _pages(base)
        if args.pages:
            pages = {k: v for k, v in pages.items() if k in args.pages.split(",")}
        factors = ("desktop",) if args.quick else ("desktop", "mobile")
        languages = ("en",) if args.quick else ("en", "zh")
        rows = []
        with sync_playwright() as driver:
            browser = driver.chromium.launch(
                executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
            )
            for name, path in pages.items():
                for factor in factors:
                    for language in languages:
                        url = base + path
                        scores = {} if args.skip_lighthouse else lighthouse(url, factor, language)
                        axe = axe_violations(browser, url, factor, language)
                        html = vnu_errors(url, language) if factor == "desktop" else []
                        rows.append((name, factor, language, scores, axe, html))
            browser.close()
    finally:
        server.terminate()
        server.wait()
    print(f"\n{'page':<11}{'form':<8}{'lang':<5}", end="")
    print("".join(f"{c[:5]:>7}" for c in CATEGORIES) + f"{'axe':>5}{'vnu':>5}  verdict")
    failures = 0
    for name, factor, language, scores, axe, html in rows:
        low = [c for c, v in scores.items() if v < BAR]
        ok = not low and not axe and not html
        failures += not ok
        cells = "".join(f"{scores.get(c, '-'):>7}" for c in CATEGORIES)
        print(
            f"{name:<11}{factor:<8}{language:<5}{cells}{len(axe):>5}{len(html):>5}  "
            f"{'ok' if ok else 'MISSED'}"
        )
        for problem in axe + html:
            print(f"    {problem}")
    print(
        f"\nbars: Lighthouse >= {BAR} in each category, axe 0, Nu checker 0 "
        f"(desktop HTML); {failures} of {len(rows)} rows missed"
    )


if __name__ == "__main__":
    main()
