"""The comparison page (`radiograph compare`) in headless Chromium: written by
the real binary from two folded files, then hovered, zoomed and searched.
Needs build/radiograph (make build)."""
import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from conftest import CHROMIUM_ARGS, VIEWPORT, Page  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]
RADIOGRAPH = Path(os.environ.get("RADIOGRAPH_BIN", ROOT / "build" / "radiograph"))

HOSTILE = '</script><img src=x onerror="alert(1)">'

BASE = f"""<module> (/w/job.py:30);main (/w/job.py:20);slow (/w/job.py:7);[running] 300
<module> (/w/job.py:30);main (/w/job.py:21);steady (/w/job.py:12);[running] 100
<module> (/w/job.py:30);main (/w/job.py:22);gone (/w/job.py:40);[running] 50
<module> (/w/job.py:30);main (/w/job.py:23);[waiting: gil] 20
<module> (/w/job.py:30);{HOSTILE} (/w/job.py:50);[running] 5
"""
NEW = f"""<module> (/w/job.py:31);main (/w/job.py:20);slow (/w/job.py:8);[running] 100
<module> (/w/job.py:31);main (/w/job.py:21);steady (/w/job.py:13);[running] 100
<module> (/w/job.py:31);main (/w/job.py:22);fresh (/w/job.py:60);[running] 80
<module> (/w/job.py:31);main (/w/job.py:23);[waiting: gil] 20
<module> (/w/job.py:31);{HOSTILE} (/w/job.py:50);[running] 9
"""


@pytest.fixture
def comparison(tmp_path):
    if not RADIOGRAPH.exists():
        pytest.fail("build/radiograph is missing: run 'make build' first")
    (tmp_path / "base.folded").write_text(BASE)
    (tmp_path / "new.folded").write_text(NEW)
    out = tmp_path / "cmp"
    p = subprocess.run([str(RADIOGRAPH), "compare", "-q", "-o", str(out), "base.folded", "new.folded"],
                       cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    return out


@pytest.fixture
def open_cmp(browser, comparison):
    ctx = browser.new_context(viewport=VIEWPORT)
    p = Page(ctx.new_page(), str(comparison / "index.html")).open()
    yield p
    ctx.close()


def node(p, side, name):
    nodes = p.js(f"RG.app.views.performance.{side}.findNodes({name!r})")
    assert nodes, f"no node {name!r} on the {side} side"
    return nodes[0]


def hover(p, side, i):
    p.js(f"document.getElementById('rg-performance-{side}-view').scrollIntoView({{block: 'start'}})")
    r = p.js(f"RG.app.views.performance.{side}.nodeRect({i})")
    assert r, f"node {i} not drawn on the {side} side"
    p.page.mouse.move(r["x"] + r["w"] / 2, r["y"] + r["h"] / 2)
    p.page.wait_for_function("() => !document.getElementById('rg-tooltip').hidden")
    return p.js("document.getElementById('rg-tooltip').textContent")


def test_comparison_page_loads_with_both_sides(open_cmp):
    p = open_cmp
    p.shot("compare-page", full_page=True)
    assert p.errors == [] and p.dialogs == []
    assert p.js("document.getElementById('rg-perf').hidden") is True
    assert p.js("!!RG.app.views.performance.new.surface && !!RG.app.views.performance.base.surface")
    text = p.js("document.getElementById('rg-main').textContent")
    # Computing first, then the waits.
    titles = p.js("[...document.querySelectorAll('#rg-performance-diff .rg-top-box h3')].map(h => h.textContent)")
    assert titles == ["Computing: grew most", "Computing: shrank most", "Waiting: grew most", "Waiting: shrank most"]
    assert "fresh (job.py)" in text and "slow (job.py)" in text
    # folded inputs have no elapsed/CPU/peak figures: not shown
    assert "Elapsed" not in text and "Peak memory" not in text
    # the hostile frame name is text, nowhere markup
    assert p.js("document.querySelectorAll('img').length") == 0
    assert HOSTILE in text


def test_vanished_frames_are_only_on_the_base_side(open_cmp):
    p = open_cmp
    gone_new = node(p, "new", "gone")
    gone_base = node(p, "base", "gone")
    assert p.js(f"RG.app.views.performance.new.tree.value[{gone_new}]") == 0
    assert p.js(f"RG.app.views.performance.new.nodeRect({gone_new})") is None
    assert p.js(f"RG.app.views.performance.base.tree.value[{gone_base}]") == 50
    fresh = node(p, "base", "fresh")
    assert p.js(f"RG.app.views.performance.base.tree.value[{fresh}]") == 0


def test_colours_follow_the_change(open_cmp):
    p = open_cmp
    sign = lambda side, name: p.js(f"RG.app.views.performance.{side}.tree.sign[{node(p, side, name)}]")
    assert sign("new", "slow") == -1 and sign("base", "slow") == -1
    assert sign("new", "fresh") == 1
    assert sign("base", "gone") == -1
    assert sign("new", "steady") == 0 and sign("new", "[waiting: gil]") == 0
    fill = lambda side, name: p.js(
        f"(() => {{ const t = RG.app.views.performance.{side}.tree, i = {node(p, side, name)};"
        f" return t.paletteOf(i).fill[t.level[i]]; }})()")
    rgb = lambda css: [float(x) for x in re.match(r"rgb\(([\d.]+),([\d.]+),([\d.]+)\)", css).groups()]  # noqa: E731
    r, g, b = rgb(fill("new", "fresh"))
    assert r > g and r > b                         # red
    r, g, b = rgb(fill("new", "slow"))
    assert b > r and b > g                         # blue
    # slow shrank by 200 samples, the largest change: the deepest blue
    level = lambda side, name: p.js(f"RG.app.views.performance.{side}.tree.level[{node(p, side, name)}]")
    assert level("new", "slow") > level("new", "fresh") > 0


def test_hover_gives_both_values(open_cmp):
    p = open_cmp
    text = hover(p, "new", node(p, "new", "slow"))
    assert "base 300 samples \u2192 new 100 samples" in text
    assert "\u2212200 samples (\u221266.7%)" in text
    assert "/w/job.py" in text
    p.page.mouse.move(0, 0)
    text = hover(p, "base", node(p, "base", "gone"))
    assert "vanished" in text and "base 50 samples \u2192 new 0 samples" in text
    assert p.errors == []


def test_zoom_search_and_top_list_click(open_cmp):
    p = open_cmp
    v = "RG.app.views.performance.new"
    main = node(p, "new", "main")
    p.js(f"document.getElementById('rg-performance-new-view').scrollIntoView({{block: 'start'}})")
    r = p.js(f"{v}.nodeRect({main})")
    p.page.mouse.click(r["x"] + 5, r["y"] + r["h"] / 2)
    p.page.wait_for_function(f"() => !{v}.state().animating")
    assert p.js(f"{v}.state().zoom") == main
    p.page.keyboard.press("Escape")
    p.page.wait_for_function(f"() => !{v}.state().animating && {v}.state().zoom === 0")
    # clicking a grown stack in the list zooms the flamegraphs to it; one
    # that vanished, the base one only
    p.page.click("#rg-performance-diff .rg-top li:has-text('fresh (job.py)')")
    p.page.wait_for_function(f"() => !{v}.state().animating")
    fresh = node(p, "new", "fresh")
    assert p.js(f"{v}.state().zoom") == fresh
    p.page.keyboard.press("Escape")
    p.page.click("#rg-performance-diff .rg-top li:has-text('gone (job.py)')")
    b = "RG.app.views.performance.base"
    p.page.wait_for_function(f"() => !{b}.state().animating")
    assert p.js(f"{b}.state().zoom") == node(p, "base", "gone")
    assert p.js(f"{v}.state().zoom") == 0
    assert p.errors == []


IMPORTS = "".join(f"<module> (/w/job.py:1);_find_and_load (<frozen importlib._bootstrap>:1176);"
                  f"_find_and_load_unlocked (<frozen importlib._bootstrap>:1147);<module> "
                  f"(/v/site-packages/numpy/__init__.py:10);{leaf} {n}\n" for leaf, n in (("[running]", 30),))


def test_comparison_folds_imports(tmp_path, browser):
    """Runs of importlib frames are one [import numpy] frame in the
    comparison too, and the switch brings them back."""
    (tmp_path / "base.folded").write_text(BASE + IMPORTS)
    (tmp_path / "new.folded").write_text(NEW + IMPORTS.replace(" 30", " 60"))
    out = tmp_path / "cmp"
    r = subprocess.run([str(RADIOGRAPH), "compare", "-q", "-o", str(out), "base.folded", "new.folded"],
                       cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    ctx = browser.new_context(viewport=VIEWPORT)
    p = Page(ctx.new_page(), str(out / "index.html")).open()
    v = "RG.app.views.performance.new"
    assert p.js(f"{v}.findNodes('[import numpy]').length") == 1
    assert p.js(f"{v}.findNodes('_find_and_load').length") == 0
    i = p.js(f"{v}.findNodes('[import numpy]')[0]")
    assert p.js(f"[{v}.tree.baseOf({i}), {v}.tree.newOf({i})]") == [30, 60]
    p.page.locator("#rg-performance-diff .rg-switch input").first.click()
    assert p.js(f"{v}.findNodes('[import numpy]').length") == 0
    assert p.js(f"{v}.findNodes('_find_and_load').length") == 1
    assert p.js("RG.app.views.performance.base.findNodes('_find_and_load').length") == 1
    assert p.errors == []
    ctx.close()


def test_real_reports_comparison_page(open_page, tmp_path, browser):
    """The page of two real report directories (figures and memory)."""
    if not RADIOGRAPH.exists():
        pytest.fail("build/radiograph is missing: run 'make build' first")
    job = tmp_path / "job.py"
    job.write_text("import sys\nkeep = bytearray(int(sys.argv[1]) << 20)\n"
                   "s = 0\nfor i in range(300000 * int(sys.argv[1])): s += i\n")
    for name, mb in (("a", "20"), ("b", "10")):
        p = subprocess.run([str(RADIOGRAPH), "run", "-q", "-o", str(tmp_path / name), str(job), mb],
                           capture_output=True, text=True, timeout=120)
        assert p.returncode == 0, p.stderr
    p = subprocess.run([str(RADIOGRAPH), "compare", "-q", "-o", str(tmp_path / "c"), "a", "b"],
                       cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    ctx = browser.new_context(viewport=VIEWPORT)
    pg = Page(ctx.new_page(), str(tmp_path / "c" / "index.html")).open()
    pg.shot("compare-real", full_page=True)
    assert pg.errors == []
    text = pg.js("document.getElementById('rg-summary').textContent")
    assert "Elapsed (wall)" in text and "Peak memory" in text and "\u2192" in text
    assert re.search(r"\u2212\d", text)                   # something went down
    assert pg.js("!!RG.app.views.memory.new.surface")
    c = json.loads((tmp_path / "c" / "comparison.json").read_text())
    assert c["peak_memory_bytes"]["change_percent"] < 0
    ctx.close()
