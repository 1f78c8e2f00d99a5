#!/usr/bin/env python3
"""shots.py — the screenshots of the README's "Reading the report": each view
of a report (and the top of a comparison) in headless Chromium at 1400x900.

    python3 tests/web/shots.py REPORT_DIR OUT_DIR [--compare COMPARE_DIR]

Writes OUT_DIR/report-answers.png (the first screen), report-flamegraph.png,
report-timeline.png, report-memory.png and, with --compare,
compare.png. The docs/screenshots/ ones are of tests/web/jobs/reference_job.py
5000 (run as `radiograph run -o r5 reference_job.py 5000` from a copy of it),
compared with a run at 3000, then made smaller with
`pngquant --quality 70-90 --speed 1`.
"""
import argparse
import os
import sys

from playwright.sync_api import sync_playwright

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 1400, "height": 900}


def clip_of(page, selector, max_h):
    r = page.evaluate(f"""(() => {{ const r = document.querySelector('{selector}').getBoundingClientRect();
        return {{x: 0, y: r.top + window.scrollY - 8, width: window.innerWidth, height: r.height + 16}}; }})()""")
    r["height"] = min(r["height"], max_h)
    return r


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("report")
    ap.add_argument("out")
    ap.add_argument("--compare")
    a = ap.parse_args(argv)
    os.makedirs(a.out, exist_ok=True)
    chromium = os.environ.get("RG_CHROMIUM") or "/usr/bin/chromium"
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=chromium, args=ARGS)
        page = b.new_page(viewport=VIEWPORT)
        page.goto("file://" + os.path.abspath(os.path.join(a.report, "index.html")))
        page.wait_for_function("() => window.RG && RG.ready === true", timeout=60000)
        page.screenshot(path=os.path.join(a.out, "report-answers.png"))
        for name, section in (("flamegraph", "#rg-perf"), ("timeline", "#rg-timeline"),
                              ("memory", "#rg-memory")):
            page.screenshot(path=os.path.join(a.out, f"report-{name}.png"), full_page=True,
                            clip=clip_of(page, section, 900))
        if a.compare:
            page.goto("file://" + os.path.abspath(os.path.join(a.compare, "index.html")))
            page.wait_for_function("() => window.RG && RG.ready === true", timeout=60000)
            page.screenshot(path=os.path.join(a.out, "compare.png"))
        b.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
