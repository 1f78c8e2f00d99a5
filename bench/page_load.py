"""Page load to first paint for large reports, opened from file:// in
headless Chromium at 1400x900: a generated 100k-node flamegraph with 16
timeline lanes (tests/web/gen_data.py, with an import to fold, an idle
thread and per-thread tallies), and — when build/radiograph exists — the
real report of bench/synth_raw.py's one-hour 16-thread run (98k perf nodes,
its page made by the report builder).

    python3 bench/page_load.py [--runs N] [--json OUT]

Prints the median of RG.timing (milliseconds since navigation start): data
parsed, first screen drawn (summary, answers, performance flamegraph),
first paint, every view drawn.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BINARY = ROOT / "build" / "radiograph"
HOUR16 = ROOT / "build" / "bench-report" / "hour16"
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
        pages = [("100k-node generated page", page_path)]
        if os.access(BINARY, os.X_OK):
            if not (HOUR16 / "raw" / "run.info").exists():
                subprocess.run([sys.executable, str(ROOT / "bench" / "synth_raw.py"), str(HOUR16),
                                "--preset", "hour16"], check=True)
            subprocess.run([str(BINARY), "report", str(HOUR16)], check=True, stderr=subprocess.DEVNULL)
            pages.append(("hour16 report (real page, 98k nodes)", HOUR16 / "index.html"))
        results = {}
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            for name, path in pages:
                timings = []
                for _ in range(a.runs):
                    page = browser.new_page(viewport={"width": 1400, "height": 900})
                    page.goto(path.as_uri())
                    page.wait_for_function("window.RG && RG.timing && RG.timing.drawn", timeout=60000)
                    timings.append(page.evaluate("RG.timing"))
                    page.close()
                med = {k: statistics.median(t[k] for t in timings)
                       for k in ("parsed", "firstDrawn", "firstPaint", "drawn")}
                size = path.stat().st_size
                results[name] = {"page_bytes": size, **med}
                print(f"{name} ({size / 1e6:.1f} MB): parsed {med['parsed']:.0f} ms, first drawn "
                      f"{med['firstDrawn']:.0f} ms, first paint {med['firstPaint']:.0f} ms, all views "
                      f"{med['drawn']:.0f} ms (median of {a.runs})")
            browser.close()
    if a.json:
        Path(a.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
