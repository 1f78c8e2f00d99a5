"""Page load to first paint for a large report: a 100k-node flamegraph with
16 timeline lanes, opened from file:// in headless Chromium.

    python3 bench/page_load.py [--runs N] [--json OUT]

Prints the median of RG.timing (milliseconds since navigation start): data
parsed, first screen drawn, first paint, every view drawn.
"""
import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--json")
    a = ap.parse_args()
    from playwright.sync_api import sync_playwright
    with tempfile.TemporaryDirectory() as tmp:
        data, page_path = Path(tmp) / "data.json", Path(tmp) / "index.html"
        subprocess.run([sys.executable, str(ROOT / "tests/web/gen_data.py"), "--nodes", "100000",
                        "--processes", "4", "--threads", "4", "--spans", "3000", "--seed", "3",
                        str(data)], check=True)
        subprocess.run([sys.executable, str(ROOT / "tests/web/make_page.py"), str(data),
                        str(page_path)], check=True)
        size = page_path.stat().st_size
        timings = []
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            for _ in range(a.runs):
                page = browser.new_page(viewport={"width": 1400, "height": 900})
                page.goto(page_path.as_uri())
                page.wait_for_function("window.RG && RG.timing && RG.timing.drawn", timeout=60000)
                timings.append(page.evaluate("RG.timing"))
                page.close()
            browser.close()
    med = {k: statistics.median(t[k] for t in timings) for k in ("parsed", "firstDrawn", "firstPaint", "drawn")}
    print(f"100k-node page ({size / 1e6:.1f} MB): parsed {med['parsed']:.0f} ms, first drawn "
          f"{med['firstDrawn']:.0f} ms, first paint {med['firstPaint']:.0f} ms, all views "
          f"{med['drawn']:.0f} ms (median of {a.runs})")
    if a.json:
        Path(a.json).write_text(json.dumps({"page_bytes": size, **med}, indent=2))


if __name__ == "__main__":
    main()
