"""The report page in headless Chromium: it loads cleanly, shows the summary,
and every view answers hover, zoom, search and reset; strings from the
profiled program stay text; a 100k-node flamegraph paints quickly.

The page is made from web/ directly (see conftest.py), with synthetic data
from gen_data.py, exactly as the C report builder fills the template."""

import copy
import re

import pytest

from gen_data import generate_from as generate
from gen_data import HOSTILE_FILE, HOSTILE_NAME, HOSTILE_SRC, HOSTILE_THREAD, LONG_NAME, SEARCH_NAME
from gen_data import MEM_FILE, MEM_NAME, MEM_SRC, NO_STACK

MATCH_RGB = (0xc0, 0x1f, 0xa8)   # RG.MATCH_FILL


@pytest.fixture(scope="module")
def data():
    return generate("--hostile", "--memory", "--nodes", "3000", "--seed", "7")


def node_value(data, i, p=None):
    """The data's value of node I; with P, I is a node of the page's perf
    tree (imports folded), mapped back to the data's node first."""
    if p is not None:
        i = p.js(f"RG.app.perf.current.toOld[{i}]")
    return data["perf"]["value"][i]


def find_node(p, view, name):
    nodes = p.js(f"RG.app.{view}.findNodes({name!r})")
    assert nodes, f"no node named {name!r}"
    return max(nodes, key=lambda i: p.js(f"RG.app.{view}.tree.value[{i}]"))


def rect_of(p, view, node):
    p.js("id => document.getElementById(id).scrollIntoView({block: 'start'})",
         {"perf": "rg-perf", "memory": "rg-memory"}[view])
    r = p.js(f"RG.app.{view}.nodeRect({node})")
    assert r, f"node {node} is not drawn"
    return r


def hover(p, r, fx=0.5):
    p.page.mouse.move(r["x"] + r["w"] * fx, r["y"] + r["h"] / 2)
    p.page.wait_for_function("() => !document.getElementById('rg-tooltip').hidden")
    return p.js("document.getElementById('rg-tooltip').textContent")


def wait_zoom_done(p, view="perf"):
    p.page.wait_for_function(f"() => !RG.app.{view}.state().animating")


def numbers(pattern, text):
    m = re.search(pattern, text)
    assert m, f"{pattern!r} not in {text!r}"
    return [float(g) for g in m.groups()]


def topmost_match_value(data, tree, query):
    """What a search must report: the value of every matching node that has
    no matching ancestor (pre-order: a subtree is contiguous)."""
    fr = data["frames"]
    q = query.lower()

    def hit(f):
        where = fr["file"][f] + (f":{fr['line'][f]}" if fr["line"][f] > 0 else "") if fr["file"][f] else ""
        return q in (fr["name"][f] + "\n" + where + "\n" + fr["src"][f].strip()).lower()

    parent, frame, value = tree["parent"], tree["frame"], tree["value"]
    matched_above = [False] * len(parent)
    total = 0
    for i in range(1, len(parent)):
        above = matched_above[parent[i]] if parent[i] > 0 else False
        m = hit(frame[i])
        if m and not above:
            total += value[i]
        matched_above[i] = above or m
    return total


# ---- loading and summary ----------------------------------------------------

def test_loads_cleanly_and_shows_summary(open_page, data):
    p = open_page(data)
    p.shot("summary-and-flamegraph")
    p.shot("full-page", full_page=True)
    assert p.errors == []
    assert p.dialogs == []
    grid = p.js("document.getElementById('rg-summary-grid').innerText")
    for label in ("ELAPSED", "CPU TIME", "PEAK MEMORY", "PROCESSES", "THREADS", "PYTHON", "EXIT STATUS", "SAMPLES"):
        assert label in grid.upper()
    assert "12 s" in grid                     # elapsed_seconds
    assert "3.11.7" in grid
    assert "GiB" in grid                      # peak memory
    assert "results dir/out.json" in grid     # the command, quoted by the page
    assert p.js("document.getElementById('rg-notes').hidden") is False
    assert p.js("document.getElementById('rg-banners').children.length") == 0   # not partial
    for section in ("rg-memory", "rg-memseries"):
        assert p.js(f"document.getElementById('{section}').hidden") is False
    timing = p.js("RG.timing")
    print(f"\nsmall page timing (ms since navigation): {timing}")


def test_null_peak_memory_partial_and_no_memory(open_page):
    d = generate("--partial", "--nodes", "500", "--processes", "1", "--threads", "1", "--spans", "200")
    d["summary"]["peak_memory_bytes"] = None
    d["summary"]["exit_code"] = 137
    p = open_page(d)
    assert p.errors == []
    banners = p.js("document.getElementById('rg-banners').innerText")
    assert "partial" in banners.lower()
    peak = p.js("""[...document.querySelectorAll('#rg-summary-grid > div')]
                  .find(e => e.querySelector('dt').textContent === 'Peak memory').querySelector('dd').textContent""")
    assert peak.startswith("\u2014")
    assert "signal 9" in p.js("document.getElementById('rg-summary-grid').innerText")
    assert p.js("document.getElementById('rg-memory').hidden") is True
    assert p.js("document.getElementById('rg-memseries').hidden") is True


def test_minimal_and_empty_data(open_page):
    d = {"version": 1, "summary": {"command": ["python3", "x.py"], "exit_code": 0, "elapsed_seconds": 0.1,
                                    "cpu_seconds": None, "peak_memory_bytes": None, "processes": 1,
                                    "threads": 1, "samples": 0, "sample_interval_seconds": 0.01,
                                    "python_version": "3.11.7", "radiograph_version": "0.1.0",
                                    "dropped_samples": 0, "start_time": "2026-11-25T13:21:39Z",
                                    "partial": False, "notes": []},
         "frames": {"name": [], "file": [], "line": [], "src": [], "kind": []},
         "perf": {"parent": [-1], "frame": [-1], "value": [0], "interval": 0.01},
         "timeline": {"start_ns": 0, "end_ns": 100000000, "processes": []},
         "memory": None}
    p = open_page(d)
    assert p.errors == []
    assert "No samples" in p.js("document.getElementById('rg-perf').innerText")
    assert "No thread activity" in p.js("document.getElementById('rg-timeline').innerText")


def test_malformed_tree_is_reported_not_thrown(open_page):
    d = generate("--nodes", "300", "--processes", "1", "--threads", "1", "--spans", "100")
    d["perf"]["parent"][5] = 7          # a parent after its child: not pre-order
    p = open_page(d)
    assert p.errors == []
    text = p.js("document.getElementById('rg-perf').innerText")
    assert "could not be drawn" in text and "pre-order" in text


FORMATS = {
    "fmtSeconds(0.81)": "810 ms", "fmtSeconds(10.8)": "10.8 s", "fmtSeconds(1)": "1 s",
    "fmtSeconds(0.0005)": "500 \u00b5s", "fmtSeconds(0.04)": "40 ms", "fmtSeconds(100)": "1 min 40 s",
    "fmtSeconds(7260)": "2 h 01 min", "fmtSeconds(null)": "\u2014",
    "fmtSeconds(119.6)": "2 min 00 s", "fmtSeconds(57599)": "16 h 00 min",
    "fmtSeconds(3599.7)": "1 h 00 min", "fmtSeconds(-119.6)": "-2 min 00 s",
    "fmtBytes(1023)": "1023 B", "fmtBytes(1536)": "1.5 KiB", "fmtBytes(300 * 2**20)": "300 MiB",
    "fmtBytes(1000 * 2**20)": "1000 MiB", "fmtBytes(2**30 * 1.61)": "1.61 GiB",
    "fmtPct(0.301)": "30.1%", "fmtPct(0.05)": "5%", "fmtPct(0.0123)": "1.2%", "fmtPct(1)": "100%",
    "fmtPct(0.00001)": "<0.01%", "fmtCount(1234567)": "1,234,567", "fmtCount(12)": "12",
    "fmtTick(4500, 500)": "4.5 s", "fmtTick(2000, 1000)": "2 s", "fmtTick(250, 50)": "250 ms",
    "fmtTick(0.25, 0.05)": "0.25 ms",
}


def test_number_formats(open_page):
    p = open_page(generate("--nodes", "50", "--processes", "1", "--threads", "1", "--spans", "20"))
    got = {expr: p.js("RG." + expr) for expr in FORMATS}
    assert got == FORMATS


# ---- performance flamegraph -----------------------------------------------------

def test_flamegraph_hover_shows_untruncated_details(open_page, data):
    p = open_page(data)
    node = find_node(p, "perf", LONG_NAME)
    r = rect_of(p, "perf", node)
    label_w = p.js(f"""(() => {{ const v = RG.app.perf; const c = v.surface.ctx; c.font = RG.FONT;
                       return v.fitter.width(c, v.tree.label({node})); }})()""")
    assert label_w > r["w"], "the test wants a frame whose label is cut on the canvas"
    text = hover(p, r)
    p.shot("flamegraph-hover")
    assert LONG_NAME in text                                    # untruncated name
    assert "/home/ana/project/pipeline/stages.py:212" in text   # file:line
    assert "records = [self._transform_one(r, schema=self.schema) for r in batch]" in text   # source line
    total = node_value(data, 0)
    value = node_value(data, node, p)
    pct, secs = numbers(r"([\d.]+)% of thread time \u00b7 ([\d.]+) s", text)
    assert abs(pct - 100.0 * value / total) < 0.1
    assert abs(secs - value * data["perf"]["interval"]) < 0.05
    assert "computing" in text and "waiting" in text            # the state split
    assert p.js("RG.app.perf.state().hover") == node

    # A frame under a second is given in milliseconds.
    small = p.js("""(() => { const v = RG.app.perf, t = v.tree;
        for (let i = 1; i < t.n; i++) { const r = v.nodeRect(i);
          if (t.value[i] >= 20 && t.value[i] < 100 && r && r.w > 6) return i; } return -1; })()""")
    assert small > 0
    p.page.mouse.move(0, 0)
    text = hover(p, p.js(f"RG.app.perf.nodeRect({small})"))
    pct, ms = numbers(r"([\d.]+)% of thread time \u00b7 ([\d.]+) ms", text)
    assert abs(ms - node_value(data, small, p) * data["perf"]["interval"] * 1000) < 0.5
    assert p.errors == []


def test_flamegraph_click_zooms_and_reset(open_page, data):
    p = open_page(data)
    node = find_node(p, "perf", LONG_NAME)
    r = rect_of(p, "perf", node)
    assert p.js("RG.app.perf.resetButton.disabled") is True
    p.page.mouse.click(r["x"] + r["w"] / 2, r["y"] + r["h"] / 2)
    wait_zoom_done(p)
    p.shot("flamegraph-zoomed")
    st = p.js("RG.app.perf.state()")
    x = p.js(f"RG.app.perf.tree.x[{node}]")
    assert st["zoom"] == node
    assert st["view"] == pytest.approx([x, x + node_value(data, node, p)])
    zoomed = p.js(f"RG.app.perf.nodeRect({node})")
    width = p.js("RG.app.perf.surface.width")
    assert zoomed["w"] == pytest.approx(width, abs=1)        # the frame is now full width
    assert zoomed["w"] > 2 * r["w"]
    root = p.js("RG.app.perf.nodeRect(0)")
    assert root and root["w"] == pytest.approx(width, abs=1)  # ancestors stay drawn

    # Hover inside the zoom: share of total and of the zoomed frame.
    text = hover(p, zoomed, 0.3)
    assert "of the zoomed frame" in text or LONG_NAME in text

    p.page.click("#rg-perf .rg-button:text('Reset zoom')")
    wait_zoom_done(p)
    st = p.js("RG.app.perf.state()")
    assert st["zoom"] == 0
    assert st["view"] == pytest.approx([0, node_value(data, 0)])
    assert p.js("RG.app.perf.resetButton.disabled") is True

    # Esc resets too.
    r = rect_of(p, "perf", node)
    p.page.mouse.click(r["x"] + r["w"] / 2, r["y"] + r["h"] / 2)
    wait_zoom_done(p)
    assert p.js("RG.app.perf.state().zoom") == node
    p.page.keyboard.press("Escape")
    wait_zoom_done(p)
    assert p.js("RG.app.perf.state().zoom") == 0
    assert p.errors == []


def test_search_highlights_matches_and_shows_share(open_page, data):
    p = open_page(data)
    p.js("document.getElementById('rg-perf').scrollIntoView({block: 'start'})")
    box = p.page.locator("#rg-perf .rg-search")
    box.fill(SEARCH_NAME.upper())                 # case-insensitive
    p.page.wait_for_function("() => RG.app.perf.state().search !== null")
    st = p.js("RG.app.perf.state()")
    expected = topmost_match_value(data, data["perf"], SEARCH_NAME)
    # The nested match (search_fn inside search_fn) must not count twice.
    assert st["search"]["value"] == expected
    nodes = p.js(f"RG.app.perf.findNodes({SEARCH_NAME!r})")
    assert st["search"]["nodes"] == len(nodes) >= 3
    assert expected < sum(node_value(data, i, p) for i in nodes)
    info = p.js("document.querySelector('#rg-perf .rg-match').textContent")
    total = node_value(data, 0)
    pct, secs = numbers(r"matched: ([\d.]+)% \(([\d.]+) s\)", info)
    assert abs(pct - 100.0 * expected / total) < 0.1
    assert abs(secs - expected * data["perf"]["interval"]) < 0.05
    p.shot("flamegraph-search")

    # A matched frame is drawn in the highlight colour, an unmatched one faded.
    node = find_node(p, "perf", SEARCH_NAME)
    r = rect_of(p, "perf", node)
    rgb = p.js("""([x, y]) => { const v = RG.app.perf.surface; const b = v.canvas.getBoundingClientRect();
                   const d = v.dpr; return Array.from(v.ctx.getImageData(Math.round((x - b.left) * d),
                   Math.round((y - b.top) * d), 1, 1).data).slice(0, 3); }""", [r["x"] + 1.5, r["y"] + 2])
    assert tuple(rgb) == MATCH_RGB

    box.fill("no such frame anywhere")
    p.page.wait_for_function("() => document.querySelector('#rg-perf .rg-match').textContent === 'no match'")
    box.press("Escape")
    p.page.wait_for_function("() => RG.app.perf.state().search === null")
    assert p.errors == []


def test_high_dpi_and_resize(open_page, data):
    p = open_page(data, scale=2)
    for view in ("perf", "timeline", "memory", "memseries"):
        w, cw = p.js(f"[RG.app.{view}.surface.width, RG.app.{view}.surface.canvas.width]")
        assert cw == 2 * w, view                       # drawn at device resolution
    before = p.js("RG.app.perf.surface.width")
    p.page.set_viewport_size({"width": 900, "height": 700})
    p.page.wait_for_function(f"() => RG.app.perf.surface.width < {before} - 300")
    for view in ("perf", "timeline"):
        w, cw = p.js(f"[RG.app.{view}.surface.width, RG.app.{view}.surface.canvas.width]")
        assert cw == 2 * w, view
    node = find_node(p, "perf", LONG_NAME)
    assert LONG_NAME in hover(p, rect_of(p, "perf", node))
    p.shot("narrow-hidpi")
    assert p.errors == []


# ---- timeline -----------------------------------------------------------------

def test_timeline_hover_zoom_and_reset(open_page, data):
    p = open_page(data)
    p.js("document.getElementById('rg-timeline').scrollIntoView({block: 'start'})")
    tl = p.js("RG.app.timeline.state()")
    assert tl["lanes"] == sum(len(pr["threads"]) for pr in data["timeline"]["processes"])
    full = tl["full"]
    assert full == pytest.approx([0, data["timeline"]["end_ns"] / 1e6])
    lane = p.js("RG.app.timeline.laneRect(0)")
    assert lane and lane["rows"] > 0

    # Hover: time, thread, state and the stack, innermost first.
    p.page.mouse.move(lane["x"] + lane["w"] * 0.5, lane["y"] + 4)
    p.page.wait_for_function("() => !document.getElementById('rg-tooltip').hidden")
    text = p.js("document.getElementById('rg-tooltip').textContent")
    p.shot("timeline-hover")
    assert "MainThread" in text and "tid 4100" in text
    assert re.search(r"at [\d.]+ s", text)
    assert re.search(r"running|waiting", text)
    assert "stack, innermost first" in text
    st = p.js("RG.app.timeline.state()")
    assert st["hover"]["tid"] == 4100
    assert st["hover"]["time"] == pytest.approx(full[0] + 0.5 * (full[1] - full[0]), rel=0.01)

    # Drag to select 30%..60% of the time axis.
    y = lane["y"] + lane["h"] / 2
    p.page.mouse.move(lane["x"] + lane["w"] * 0.3, y)
    p.page.mouse.down()
    p.page.mouse.move(lane["x"] + lane["w"] * 0.45, y, steps=4)
    p.page.mouse.move(lane["x"] + lane["w"] * 0.6, y, steps=4)
    p.shot("timeline-selecting")
    p.page.mouse.up()
    view = p.js("RG.app.timeline.state().view")
    span = full[1] - full[0]
    assert view[0] == pytest.approx(full[0] + 0.3 * span, abs=0.01 * span)
    assert view[1] == pytest.approx(full[0] + 0.6 * span, abs=0.01 * span)
    assert p.js("RG.app.timeline.resetButton.disabled") is False
    p.page.mouse.move(lane["x"] + lane["w"] * 0.5, lane["y"] + 4)
    p.shot("timeline-zoomed")

    # Ctrl+wheel zooms in around the pointer.
    before = p.js("RG.app.timeline.state().view")
    p.page.keyboard.down("Control")
    p.page.mouse.wheel(0, -400)
    p.page.keyboard.up("Control")
    p.page.wait_for_function(f"() => RG.app.timeline.state().view[1] - RG.app.timeline.state().view[0] < {before[1] - before[0]} * 0.9")
    after = p.js("RG.app.timeline.state().view")
    mid = before[0] + 0.5 * (before[1] - before[0])
    assert after[0] <= mid <= after[1]

    # Shift+wheel pans.
    p.page.keyboard.down("Shift")
    p.page.mouse.wheel(0, 200)
    p.page.keyboard.up("Shift")
    p.page.wait_for_function(f"() => RG.app.timeline.state().view[0] > {after[0]}")

    p.page.click("#rg-timeline .rg-button:text('Reset zoom')")
    assert p.js("RG.app.timeline.state().view") == pytest.approx(full)

    # Clicking a frame zooms to it; Esc resets.
    p.page.mouse.click(lane["x"] + lane["w"] * 0.5, lane["y"] + 4)
    zoomed = p.js("RG.app.timeline.state().view")
    assert zoomed[1] - zoomed[0] < full[1] - full[0]
    p.page.keyboard.press("Escape")
    assert p.js("RG.app.timeline.state().view") == pytest.approx(full)
    assert p.errors == []


# ---- memory ------------------------------------------------------------------------

def fmt_count(n):
    return f"{n:,}"


def test_memory_flamegraph_hover_shows_bytes(open_page, data):
    p = open_page(data)
    mem = data["memory"]
    tree = mem["tree"]
    total = tree["value"][0]
    info = p.js("document.querySelector('#rg-memory .rg-info').textContent")
    assert "at the peak" in info and "sampled every ~256 KiB" in info

    node = find_node(p, "memory", MEM_NAME)
    value = tree["value"][node]
    text = hover(p, rect_of(p, "memory", node))
    p.shot("memory-flamegraph-hover")
    assert MEM_NAME in text                                  # untruncated name
    assert MEM_FILE + ":88" in text                          # file:line
    assert MEM_SRC in text                                   # the source line
    pct, amount, unit = re.search(r"([\d.]+)% of peak \u00b7 ([\d.]+) (MiB|GiB)", text).groups()
    assert abs(float(pct) - 100.0 * value / total) < 0.1
    assert abs(float(amount) * 2 ** (20 if unit == "MiB" else 30) - value) < 0.01 * value
    assert fmt_count(value) + " bytes live at the peak" in text   # exact bytes
    assert "sample" not in text.replace("sampled", "")       # no perf wording
    assert p.js("RG.app.memory.state().hover") == node

    # The root: everything at the peak.
    text = hover(p, p.js("RG.app.memory.nodeRect(0)"))
    assert "100% of peak" in text and fmt_count(total) + " bytes" in text

    # Memory allocated outside Python: one frame, no file.
    ns = p.js(f"RG.app.memory.findNodes({NO_STACK!r})")
    assert len(ns) == 1 and p.js(f"RG.app.memory.tree.parent[{ns[0]}]") == 0
    r = p.js(f"RG.app.memory.nodeRect({ns[0]})")
    if r and r["w"] > 3:
        text = hover(p, r)
        assert NO_STACK in text and "bytes live at the peak" in text
    assert p.errors == []


def test_memory_flamegraph_zoom_and_search(open_page, data):
    p = open_page(data)
    tree = data["memory"]["tree"]
    node = find_node(p, "memory", MEM_NAME)
    r = rect_of(p, "memory", node)
    p.page.mouse.click(r["x"] + r["w"] / 2, r["y"] + r["h"] / 2)
    wait_zoom_done(p, "memory")
    st = p.js("RG.app.memory.state()")
    assert st["zoom"] == node
    assert p.js(f"RG.app.memory.nodeRect({node})")["w"] == pytest.approx(p.js("RG.app.memory.surface.width"), abs=1)
    p.page.keyboard.press("Escape")
    wait_zoom_done(p, "memory")
    assert p.js("RG.app.memory.state().zoom") == 0

    p.page.locator("#rg-memory .rg-search").fill(MEM_NAME[:10])
    p.page.wait_for_function("() => RG.app.memory.state().search !== null")
    st = p.js("RG.app.memory.state()")
    assert st["search"]["value"] == topmost_match_value(data, tree, MEM_NAME[:10])
    info = p.js("document.querySelector('#rg-memory .rg-match').textContent")
    assert re.search(r"matched: [\d.]+% \([\d.]+ (MiB|GiB)\)", info), info
    assert p.errors == []


def test_memory_chart_hover_time_and_value(open_page, data):
    p = open_page(data)
    mem = data["memory"]
    peak = mem["peak"]
    st = p.js("RG.app.memseries.state()")
    assert st["t0"] == 0                                     # from the run's start
    assert st["t1"] >= data["timeline"]["end_ns"] / 1e6      # to its end
    legend = p.js("document.querySelector('#rg-memseries .rg-legend').textContent")
    assert "tracked by radiograph" in legend and "RSS" in legend
    assert re.search(r"peak [\d.]+ GiB at [\d.]+ s", legend), legend

    p.js("document.getElementById('rg-memseries').scrollIntoView({block: 'start'})")
    pt = p.js(f"RG.app.memseries.pointAt({peak['t_ms']} + 0.001)")
    p.page.mouse.move(pt["x"], pt["y"])
    p.page.wait_for_function("() => !document.getElementById('rg-tooltip').hidden")
    text = p.js("document.getElementById('rg-tooltip').textContent")
    p.shot("memory-chart-hover")
    i = mem["series"]["t_ms"].index(peak["t_ms"])
    assert p.js("RG.app.memseries.state().hover") == i
    secs = numbers(r"at ([\d.]+) s from the start", text)[0]
    assert abs(secs - peak["t_ms"] / 1000) < 0.01
    gib = numbers(r"tracked: ([\d.]+) GiB", text)[0]
    assert abs(gib * 2**30 - peak["bytes"]) < 0.01 * peak["bytes"]
    assert "RSS: " in text and "the peak" in text

    # Before the first RSS reading; and the value in effect between points
    # is the earlier point's (a step function).
    t = mem["series"]["t_ms"]
    pt = p.js(f"RG.app.memseries.pointAt({(t[1] + t[2]) / 2})")
    p.page.mouse.move(pt["x"], pt["y"])
    p.page.wait_for_function("() => RG.app.memseries.state().hover === 1")
    text = p.js("document.getElementById('rg-tooltip').textContent")
    assert "RSS: not read yet" in text
    assert "% of the peak" in text
    assert p.errors == []


def test_oom_banner(open_page):
    d = generate("--oom", "--nodes", "400", "--processes", "1", "--threads", "1", "--spans", "100")
    p = open_page(d)
    p.shot("oom-banner")
    banners = p.js("document.getElementById('rg-banners').innerText")
    assert "Out of memory" in banners and "flamegraph" in banners
    assert p.js("getComputedStyle(document.querySelector('#rg-banners .rg-banner')).display") != "none"
    peak = p.js("""[...document.querySelectorAll('#rg-summary-grid > div')]
                  .find(e => e.querySelector('dt').textContent === 'Peak memory').textContent""")
    assert "out of memory" in peak
    assert "ran out of memory" in p.js("document.getElementById('rg-notes').textContent")
    assert p.errors == []


# ---- HTML safety --------------------------------------------------------------------

def test_hostile_strings_stay_text(open_page, data):
    title = "radiograph: " + HOSTILE_NAME + " </title><script>window.__pwned=5</script>"
    # The hostile frame is also the first answer's line and its "in".
    data = copy.deepcopy(data)
    hostile = data["frames"]["name"].index(HOSTILE_NAME)
    first = data["summary"]["answers"]["time"]["computing"][0]
    first["frame_id"] = hostile
    first["in"] = dict(first, frame_id=hostile, function=HOSTILE_NAME)
    p = open_page(data, title=title)
    answers = p.js("document.getElementById('rg-answers').textContent")
    assert HOSTILE_NAME in answers and HOSTILE_SRC.strip() in answers
    # The embedded JSON reads back exactly, U+2028/2029 and all.
    assert p.js("JSON.stringify(JSON.parse(document.getElementById('rg-data').textContent))") == \
        p.js("JSON.stringify(RG.app.data)")
    assert p.js("RG.app.data.frames.src").count(HOSTILE_SRC) == 1
    assert p.js("document.title") == title

    node = find_node(p, "perf", HOSTILE_NAME)
    text = hover(p, rect_of(p, "perf", node))
    p.shot("hostile-hover")
    assert HOSTILE_NAME in text
    assert HOSTILE_FILE + ":666" in text
    assert HOSTILE_SRC in text

    summary = p.js("document.getElementById('rg-summary').textContent")
    assert HOSTILE_NAME in summary
    assert "<script>window.__pwned=4</script>" in p.js("document.getElementById('rg-notes').textContent")

    # The hostile thread's lane: hover it so its name goes through the tooltip.
    lanes = p.js("RG.app.timeline.lanes.map(l => l.name)")
    k = lanes.index(HOSTILE_THREAD)
    p.js("document.getElementById('rg-timeline').scrollIntoView({block: 'start'})")
    lane = p.js(f"RG.app.timeline.laneRect({k})")
    p.page.mouse.move(lane["x"] + lane["w"] * 0.5, lane["y"] + 5)
    p.page.wait_for_function("() => !document.getElementById('rg-tooltip').hidden")
    assert HOSTILE_THREAD.split("\u2028")[0] in p.js("document.getElementById('rg-tooltip').textContent")

    # Nothing was injected and nothing ran.
    assert p.js("document.querySelectorAll('img, svg, iframe, object, embed').length") == 0
    assert p.js("document.querySelectorAll('[onerror], [onload]').length") == 0
    assert p.js("document.querySelectorAll('script').length") == 2
    assert p.js("typeof window.__pwned") == "undefined"
    assert p.dialogs == []
    assert p.errors == []


# ---- size -----------------------------------------------------------------------------

def test_100k_node_page_first_paint(open_page):
    d = generate("--nodes", "100000", "--processes", "4", "--threads", "4", "--spans", "3000", "--seed", "3")
    n = len(d["perf"]["parent"])
    assert n >= 100000
    p = open_page(d, name="big")
    t = p.js("RG.timing")
    print(f"\n100k-node page ({n} nodes, {sum(len(pr['threads']) for pr in d['timeline']['processes'])} "
          f"lanes): data parsed at {t['parsed']:.0f} ms, first screen drawn at {t['firstDrawn']:.0f} ms, "
          f"painted at {t['firstPaint']:.0f} ms, every view drawn at {t['drawn']:.0f} ms")
    p.shot("big-page")
    assert t["firstPaint"] < 10000        # a sanity bound only; the goal is < 1 s

    # Redraws stay cheap: a full flamegraph and timeline redraw, timed.
    cost = p.js("""(() => { const out = {}; for (const k of ['perf', 'timeline']) {
        const s = RG.app[k].surface; const t0 = performance.now();
        for (let i = 0; i < 5; i++) s.drawNow();
        out[k] = (performance.now() - t0) / 5; } return out; })()""")
    print(f"full redraw: flamegraph {cost['perf']:.1f} ms, timeline {cost['timeline']:.1f} ms")
    node = p.js("RG.app.perf.tree.rowNodes[RG.app.perf.tree.rowStart[3]]")
    r = rect_of(p, "perf", node)
    hover(p, r)
    assert p.errors == []
