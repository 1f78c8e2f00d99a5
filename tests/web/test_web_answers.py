"""The report answers at a glance (issue 14), in headless Chromium at
1400x900 and 1920x1080, on generated data (gen_data.py) and on real reports
written by build/radiograph: the reference job of the commercial profiler's
guide (jobs/reference_job.py), a NumPy + multiprocessing.Pool job
(jobs/numpy_pool_job.py) and a synthetic one-hour, 16-thread run of about
100,000 perf-tree nodes (bench/synth_raw.py).

The answers come first and fit the first screen, each a link that zooms its
flamegraph to its frame; flamegraphs are as tall as the rows one can see;
the import machinery folds into [import X] frames and a switch brings it
back; the total says it is thread time; all / computing / waiting and the
thread picker filter the flamegraph (and the timeline's lanes); a frame's
colour follows how much of its time was computing; the timeline keeps a
call one bar across state changes, sizes lanes to their stacks and shows
that more lanes are below; labels read `function · source line`; the state
colours stay apart for colour-blind readers; no console errors."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import cvd
from gen_data import DEEP_DEPTH, DEEP_SHARE, IDLE_THREAD, IMPORT_MODULES, IMPORTLIB_FILES, MEM_NAME, MEM_SRC
from gen_data import generate_from as generate

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
RADIOGRAPH = Path(os.environ.get("RADIOGRAPH_BIN", ROOT / "build" / "radiograph"))
# The screens the page is checked on: a laptop's and a desktop's.
VIEWPORTS = [{"width": 1400, "height": 900}, {"width": 1920, "height": 1080}]
VIEW_IDS = [f"{v['width']}x{v['height']}" for v in VIEWPORTS]


@pytest.fixture(scope="module")
def data():
    return generate("--memory", "--nodes", "3000", "--seed", "11")


# ---- real reports -------------------------------------------------------------

def run_report(out, argv, cwd):
    if not RADIOGRAPH.exists():
        pytest.fail("build/radiograph is missing: run 'make build' first")
    p = subprocess.run([str(RADIOGRAPH), "run", "-q", "-o", str(out)] + argv, cwd=cwd,
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    return out / "index.html"


@pytest.fixture(scope="session")
def reports(tmp_path_factory):
    """Real reports, each made once, on first use: reports(name) -> path of
    its index.html (names: reference, numpy_pool, hour16)."""
    made = {}
    base = tmp_path_factory.mktemp("real-reports")

    def get(name):
        if name in made:
            return made[name]
        if name == "reference":
            made[name] = run_report(base / "reference", [str(HERE / "jobs" / "reference_job.py"), "4000"], base)
        elif name == "numpy_pool":
            python = shutil.which("python3") or sys.executable      # what `radiograph run job.py` runs
            if subprocess.run([python, "-c", "import numpy"], capture_output=True).returncode:
                pytest.skip("numpy is not installed for " + python)
            made[name] = run_report(base / "numpy_pool", [str(HERE / "jobs" / "numpy_pool_job.py"), "20000"], base)
        elif name == "hour16":
            out = base / "hour16"
            subprocess.run([sys.executable, str(ROOT / "bench" / "synth_raw.py"), str(out), "--preset", "hour16"],
                           check=True, capture_output=True, timeout=300)
            p = subprocess.run([str(RADIOGRAPH), "report", str(out)], capture_output=True, text=True, timeout=120)
            assert p.returncode == 0, p.stderr
            made[name] = out / "index.html"
        return made[name]

    return get


# ---- helpers ------------------------------------------------------------------

def answer_links(p):
    return p.js("""[...document.querySelectorAll('#rg-answers a.rg-answer-link')].map(a => {
        const r = a.getBoundingClientRect();
        return {text: a.textContent, node: +a.dataset.node, bottom: r.bottom, top: r.top,
                kind: a.closest('.rg-answer').id};
    })""")


def wait_idle(p, view):
    p.page.wait_for_function(f"() => RG.app.{view} && !RG.app.{view}.state().animating")


def check_answers_first(p, expect_memory=True):
    """The three answers are there, in words, within the first screen."""
    assert p.js("window.scrollY") == 0
    height = p.js("window.innerHeight")
    box = p.js("(() => { const r = document.getElementById('rg-answers').getBoundingClientRect();"
               " return {top: r.top, bottom: r.bottom}; })()")
    text = p.js("document.getElementById('rg-answers').innerText")
    assert "Where the time went" in text and "What waited, and for what" in text
    assert "What held memory at the peak" in text
    assert re.search(r"of thread time \(every thread.s time added up\) in \d+ threads?", text), text
    links = answer_links(p)
    kinds = {a["kind"] for a in links}
    assert "rg-answer-time" in kinds and "rg-answer-wait" in kinds
    if expect_memory:
        assert "rg-answer-memory" in kinds
    assert box["bottom"] <= height, f"the answers end at {box['bottom']} px, below the first screen ({height} px)"
    for a in links:
        assert a["bottom"] <= height
    return text, links


def check_links_zoom(p, summary):
    """Each answer's link zooms its flamegraph to the answer's frame."""
    answers = summary["answers"]
    items = [("perf", it) for it in answers["time"]["computing"][:3] + answers["time"]["waiting"][:3]]
    if answers.get("memory"):
        items += [("memory", it) for it in answers["memory"]["holding"][:3]]
    assert len(answer_links(p)) == len(items)
    for k, (view, it) in enumerate(items):
        p.js("window.scrollTo(0, 0)")
        p.page.locator("#rg-answers a.rg-answer-link").nth(k).click()
        wait_idle(p, view)
        st = p.js(f"RG.app.{view}.state()")
        want = p.js(f"RG.app.{view}.current.toNew[{it['node']}]")
        assert st["zoom"] == want, (view, it["frame"])
        zoom = st["zoom"]
        if zoom > 0:
            assert p.js(f"RG.app.{view}.tree.frame[{zoom}]") == it["frame_id"]
        section = "rg-perf" if view == "perf" else "rg-memory"
        top = p.js(f"document.getElementById('{section}').getBoundingClientRect().top")
        assert 0 <= top < p.js("window.innerHeight") / 2, f"{section} is not in view after the link"
        r = p.js(f"RG.app.{view}.nodeRect({zoom})")
        assert r and r["w"] == pytest.approx(p.js(f"RG.app.{view}.surface.width"), abs=1.5)
        p.page.keyboard.press("Escape")
        wait_idle(p, view)


def visible_rows(p, view):
    """The rows a reader can see at the view's zoom, computed here from the
    tree: the deepest depth whose frames at least MIN_PX wide cover at least
    BOX_SHARE of the width (and BOX_PX pixels)."""
    t = p.js(f"""(() => {{ const v = RG.app.{view}, t = v.tree;
        return {{value: Array.from(t.value), depth: Array.from(t.depth), x: Array.from(t.x),
                 zoom: v.zoom, width: v.surface.width, min: RG.FlameGraphView.MIN_PX,
                 px: RG.FlameGraphView.BOX_PX, share: RG.FlameGraphView.BOX_SHARE}}; }})()""")
    z = t["zoom"]
    x0, span = t["x"][z], t["value"][z]
    scale = t["width"] / span
    cover = {}
    for i, v in enumerate(t["value"]):
        inside = x0 - 1e-9 <= t["x"][i] and t["x"][i] + v <= x0 + span + 1e-6 and t["depth"][i] >= t["depth"][z]
        if inside and v * scale >= t["min"]:
            cover[t["depth"][i]] = cover.get(t["depth"][i], 0) + v * scale
    need = max(t["px"], t["share"] * t["width"])
    seen = max([d for d, c in cover.items() if c >= need] + [t["depth"][z]])
    return seen + 1, max(cover) + 1


def check_height_bounded(p, view):
    rows, drawn = visible_rows(p, view)
    st = p.js(f"RG.app.{view}.state()")
    row = p.js("RG.FlameGraphView.ROW")
    cap = p.js("Math.max(18 * 8, window.innerHeight - 170)")
    assert st["box"] == min(cap, rows * row + 1), (st, rows)
    assert st["content"] == drawn * row + 1
    return rows, drawn


def canvas_hash(p, view):
    return p.js(f"""(() => {{ const c = RG.app.{view}.surface.canvas;
        return c.toDataURL().length + ':' + c.toDataURL().slice(-400); }})()""")


def pixel(p, view, x, y):
    return tuple(p.js(f"""(() => {{ const s = RG.app.{view}.surface; const b = s.canvas.getBoundingClientRect();
        return Array.from(s.ctx.getImageData(Math.round(({x} - b.left) * s.dpr), Math.round(({y} - b.top) * s.dpr),
          1, 1).data).slice(0, 3); }})()"""))


def tree_frames(p, view):
    return p.js(f"""(() => {{ const t = RG.app.{view}.tree; const out = [];
        for (let i = 1; i < t.n; i++) out.push([t.frames.name[t.frame[i]], t.frames.file[t.frame[i]], t.parent[i]]);
        return out; }})()""")


# ---- generated data -------------------------------------------------------------

@pytest.mark.parametrize("viewport", VIEWPORTS, ids=VIEW_IDS)
def test_answers_first_screen_and_links(open_page, data, viewport):
    p = open_page(data, viewport=viewport)
    p.shot(f"answers-{viewport['width']}")
    text, links = check_answers_first(p)
    a = data["summary"]["answers"]
    top = a["time"]["computing"][0]
    assert links[0]["text"] == p.js(f"RG.app.frames.label({top['frame_id']})")
    wait = a["time"]["waiting"][0]
    n = wait["threads"]
    assert f"{n} thread{'s' if n != 1 else ''} waited for a lock in" in text
    assert re.search(r"waited for a lock in .* \u2014 [\d.]+% of thread time", text)
    check_links_zoom(p, data["summary"])
    assert p.errors == []


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=VIEW_IDS)
def test_flamegraph_height_follows_visible_rows(open_page, data, viewport):
    p = open_page(data, viewport=viewport)
    rows, drawn = check_height_bounded(p, "perf")
    # The thin deep stack (two samples, DEEP_DEPTH frames) is drawn but
    # does not make the box tall: it scrolls inside, and a note says so.
    assert drawn >= DEEP_DEPTH and rows < DEEP_DEPTH - 10
    assert p.js("!RG.app.perf.more.hidden")
    deep = p.js(f"RG.app.perf.findNodes('recurse_{(DEEP_DEPTH - 3) % 3}').filter(i => RG.app.perf.tree.depth[i] > {rows})")
    assert deep
    node = max(deep, key=lambda i: p.js(f"RG.app.perf.tree.depth[{i}]"))
    assert p.js(f"RG.app.perf.nodeRect({node})") is None          # below the box
    p.js(f"RG.app.perf.surface.scrollTo(RG.app.perf.tree.depth[{node}] * 18 - 36); RG.app.perf.surface.drawNow()")
    assert p.js(f"RG.app.perf.nodeRect({node})") is not None      # reached by scrolling inside
    # Zoomed into the deep stack, the box grows to it.
    root = p.js("RG.app.perf.findNodes('recurse_0').find(i => RG.app.perf.tree.depth[i] === 3)")
    p.js(f"RG.app.perf.setZoom({root})")
    wait_idle(p, "perf")
    rows2, _ = check_height_bounded(p, "perf")
    assert rows2 > rows
    check_height_bounded(p, "memory")
    assert p.errors == []


def test_import_switch_changes_what_is_drawn(open_page, data):
    p = open_page(data)
    for view in ("perf", "memory"):
        frames = tree_frames(p, view)
        assert not [f for f in frames if f[1] in IMPORTLIB_FILES], f"{view}: importlib frames while folded"
        names = {f[0] for f in frames}
        for m in IMPORT_MODULES:
            assert f"[import {m}]" in names, view
        # [import numpy.core] sits inside [import numpy]
        outer = p.js(f"RG.app.{view}.findNodes('[import {IMPORT_MODULES[0]}]')")[0]
        inner = p.js(f"RG.app.{view}.findNodes('[import {IMPORT_MODULES[1]}]')")[0]
        assert p.js(f"RG.app.{view}.tree.isAncestor({outer}, {inner})")
        assert p.js(f"RG.app.{view}.nodeRect({outer})") is not None
    totals = {v: p.js(f"RG.app.{v}.tree.total") for v in ("perf", "memory")}
    nodes = p.js("RG.app.perf.tree.n")
    before = canvas_hash(p, "perf")
    p.page.locator("#rg-perf .rg-switch input").click()              # the switch: unfold
    assert p.js("RG.settings.foldImports") is False
    for view in ("perf", "memory"):
        frames = tree_frames(p, view)
        assert [f for f in frames if f[1] in IMPORTLIB_FILES], view
        assert not [f for f in frames if f[0].startswith("[import")], view
        assert p.js(f"RG.app.{view}.tree.total") == totals[view]    # nothing lost
    assert p.js("RG.app.perf.tree.n") > nodes
    node = p.js("RG.app.perf.findNodes('_find_and_load')")[0]
    assert p.js(f"RG.app.perf.nodeRect({node})") is not None
    assert canvas_hash(p, "perf") != before
    # Every switch shows the same setting.
    assert p.js("[...document.querySelectorAll('.rg-switch input')].map(b => b.checked)") == [False] * 3
    p.page.locator("#rg-memory .rg-switch input").click()
    assert p.js("RG.settings.foldImports") is True
    assert canvas_hash(p, "perf") == before
    assert p.errors == []


def leaf_sum(data, kinds, keys=None):
    """Samples of the perf leaves of KINDS, of the threads KEYS (all: None)."""
    frames, perf = data["frames"], data["perf"]
    if keys is None:
        return sum(v for i, v in enumerate(perf["value"]) if i and frames["kind"][perf["frame"][i]] in kinds)
    total = 0
    for pr in data["timeline"]["processes"]:
        for th in pr["threads"]:
            if f"{pr['pid']}:{th['tid']}" in keys:
                t = th["tally"]
                total += sum(t[k + 1] for k in range(0, len(t), 2) if frames["kind"][perf["frame"][t[k]]] in kinds)
    return total


def test_thread_time_states_and_threads(open_page, data):
    p = open_page(data)
    info = p.js("document.querySelector('#rg-perf .rg-toolbar .rg-info').textContent")
    a = data["summary"]["answers"]["time"]
    m = re.fullmatch(r"(.+) of thread time \u00b7 (\d+) threads \u00b7 (.+) wall", info)
    assert m, info
    assert int(m.group(2)) == a["threads"]
    assert p.js("RG.app.perf.rootLabel()").startswith("all threads \u00b7 ")
    total = data["perf"]["value"][0]
    assert p.js("RG.app.perf.tree.total") == total

    p.page.click("#rg-perf .rg-seg-button:text('Computing')")
    assert p.js("RG.app.perf.tree.total") == leaf_sum(data, (1,))
    assert "showing computing" in p.js("RG.app.perf.totalInfo.textContent")
    p.page.click("#rg-perf .rg-seg-button:text('Waiting')")
    assert p.js("RG.app.perf.tree.total") == leaf_sum(data, (2,))
    p.page.click("#rg-perf .rg-seg-button:text('All time')")
    assert p.js("RG.app.perf.tree.total") == total

    # Hide the threads that only waited: the idle helpers leave the
    # flamegraph and the timeline.
    threads = [(f"{pr['pid']}:{th['tid']}", th) for pr in data["timeline"]["processes"] for th in pr["threads"]]
    idle = {k for k, th in threads if th["name"] == IDLE_THREAD}
    p.page.click("#rg-perf .rg-picker > summary")
    p.page.click("#rg-perf .rg-picker-panel button:text('Hide idle threads')")
    sel = set(p.js("Array.from(RG.settings.threads)"))
    assert idle and not (idle & sel)
    busy = {k for k, th in threads if th["python"] and th["name"] != IDLE_THREAD}
    assert busy <= sel
    assert p.js("RG.app.perf.tree.total") == leaf_sum(data, (1, 2), sel)
    assert not p.js("RG.app.perf.findNodes('Queue._feed')")
    lanes = p.js("RG.app.timeline.laneLayout().map(l => l.key)")
    assert not (set(lanes) & idle) and set(lanes) == sel
    summary = p.js("document.querySelector('#rg-perf .rg-picker > summary').textContent")
    assert f"{len(sel)} of {len(threads)}" in summary
    # One thread, from its checkbox.
    p.page.click("#rg-perf .rg-picker-panel button:text('All threads')")
    assert p.js("RG.settings.threads") is None
    one = threads[0][0]
    boxes = p.page.locator("#rg-perf .rg-picker-thread input")
    for k in range(1, len(threads)):
        boxes.nth(k).uncheck()
    assert set(p.js("Array.from(RG.settings.threads)")) == {one}
    assert p.js("RG.app.perf.tree.total") == leaf_sum(data, (1, 2), {one})
    # A link to a frame the filter hides widens the filter again.
    p.page.keyboard.press("Escape")
    p.js("window.scrollTo(0, 0)")
    idle_wait = [k for k, it in enumerate(data["summary"]["answers"]["time"]["waiting"][:3])
                 if data["frames"]["name"][it["frame_id"]] == "Queue._feed"]
    assert idle_wait
    n_computing = len(data["summary"]["answers"]["time"]["computing"][:3])
    p.page.locator("#rg-answers a.rg-answer-link").nth(n_computing + idle_wait[0]).click()
    wait_idle(p, "perf")
    assert p.js("RG.settings.threads") is None
    assert p.js("RG.app.perf.tree.frames.name[RG.app.perf.tree.frame[RG.app.perf.state().zoom]]") == "Queue._feed"
    assert p.errors == []


def test_colour_follows_computing_share_and_states(open_page, data):
    p = open_page(data)
    p.js("document.getElementById('rg-perf').scrollIntoView({block: 'start'})")
    # Two frames side by side in the picture: one that only waited (the idle
    # helper's), one that computed 97% of its time.
    share = lambda i: p.js(f"RG.app.perf.tree.computeShare({i})")   # noqa: E731
    feeder = p.js("RG.app.perf.findNodes('Queue._feed')")[0]
    hot = [i for i in p.js("RG.app.perf.findNodes('DataPipeline.transform_records_with_an_unreasonably_long_method_"
                           "name_that_cannot_possibly_fit_in_its_frame_label_even_when_wide')")]
    assert share(feeder) == 0 and share(hot[0]) > 0.9
    for node, blue in ((feeder, True), (hot[0], False)):
        r = p.js(f"RG.app.perf.nodeRect({node})")
        c = pixel(p, "perf", r["x"] + 2, r["y"] + 3)
        assert (c[2] > c[0]) == blue, (node, c)
    # A frame that waited 98%: drawn with the waiting palette's end, not warm.
    assert p.js("RG.computePalette(0.02) === RG.PALETTES.cool")
    assert p.js("RG.computePalette(0.98) === RG.PALETTES.warm")
    # A state frame is its state's colour, the one of the legends.
    gil = p.js("RG.app.perf.findNodes('[waiting: gil]')")
    gil = max(gil, key=lambda i: p.js(f"RG.app.perf.tree.value[{i}]"))
    r = p.js(f"RG.app.perf.nodeRect({gil})")
    assert pixel(p, "perf", r["x"] + 2, r["y"] + 3) == cvd.rgb(p.js("RG.STATES[2].color"))
    for legend in ("#rg-perf-legend", "#rg-timeline .rg-legend"):
        swatches = p.js(f"[...document.querySelectorAll('{legend} i')].map(i => getComputedStyle(i).backgroundColor)")
        assert [cvd.rgb(c) for c in swatches] == [cvd.rgb(s) for s in p.js("RG.STATES.map(s => s.color)")]
    assert p.errors == []


def test_state_colours_stay_apart_for_colour_blind_readers(open_page):
    p = open_page(generate("--nodes", "50", "--processes", "1", "--threads", "1", "--spans", "20"))
    colors = {s["name"]: s["color"] for s in p.js("RG.STATES.map(s => ({name: s.name, color: s.color}))")}
    assert len(colors) == 10 and len(set(colors.values())) == 10
    d, vision, a, b = cvd.closest_pair(colors)
    assert d >= 12, f"{a} and {b} look alike under {vision} (CIEDE2000 {d:.1f})"


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=VIEW_IDS)
def test_timeline_reads_at_full_zoom(open_page, data, viewport):
    p = open_page(data, viewport=viewport)
    tl = "RG.app.timeline"
    p.js("document.getElementById('rg-timeline').scrollIntoView({block: 'start'})")
    p.shot(f"timeline-{viewport['width']}")
    lanes = data["timeline"]["processes"]
    names = [th["name"] for pr in lanes for th in pr["threads"]]
    assert p.js(f"{tl}.lanes.map(l => l.name)") == names       # the raw file's names
    # A call is one bar across state changes: some bar spans spans of
    # different states, and touching bars of one function in a row are
    # different calls (the row above has a boundary there).
    main = lanes[0]["threads"][0]
    spans = main["spans"]
    spanned = False
    for r in range(3):
        bars = p.js(f"{tl}.barsOf(0, {r})")
        above = p.js(f"{tl}.barsOf(0, {r - 1})") if r else []
        edges = {round(b["end"], 6) for b in above}
        for b1, b2 in zip(bars, bars[1:]):
            if b1["end"] == b2["start"] and b1["name"] == b2["name"]:
                assert r > 0 and round(b1["end"], 6) in edges
        for b in bars:
            states = {spans[k + 3] for k in range(0, len(spans), 4)
                      if spans[k] >= b["start"] and spans[k + 1] <= b["end"]}
            spanned |= len(states) > 1
    assert spanned
    # A lane is as tall as its visible stacks: the main thread's deep start
    # (DEEP_SHARE of the run) is not shown at full zoom, and is once zoomed.
    first = p.js(f"{tl}.laneLayout()[0]")
    assert first["deepest"] >= DEEP_DEPTH and first["shown"] < DEEP_DEPTH - 10
    assert first["h"] == max(34, first["shown"] * 14 + 7 + 4)
    end = data["timeline"]["end_ns"] / 1e6
    p.js(f"{tl}.setRange(0, {end * DEEP_SHARE * 1.2})")
    assert p.js(f"{tl}.laneLayout()[0].shown") >= DEEP_DEPTH - 1
    p.js(f"{tl}.reset()")
    # Every lane of every process can be reached, and the page says what
    # is below.
    assert p.js(f"{tl}.below({tl}.surface.scrollTop, {tl}.surface.height).lanes") > 0
    chips = p.js("[...document.querySelectorAll('#rg-timeline .rg-jump button')].map(b => b.textContent)")
    assert len(chips) == len(lanes)
    p.page.locator("#rg-timeline .rg-jump button").last.click()
    last_lane = sum(len(pr["threads"]) for pr in lanes[:-1])
    assert p.js(f"{tl}.laneRect({last_lane})") is not None
    for k in range(len(names)):
        p.js(f"{tl}.scrollToLane({k})")
        assert p.js(f"{tl}.laneRect({k})") is not None, names[k]
    assert p.errors == []


def test_labels_are_function_and_line(open_page, data):
    p = open_page(data)
    f = data["frames"]["name"].index(MEM_NAME)
    assert p.js(f"RG.app.frames.label({f})") == f"{MEM_NAME} \u00b7 {MEM_SRC}"
    assert p.js("RG.shortName('deepcopy_list.<locals>.<listcomp>')") == "deepcopy_list.<listcomp>"
    assert p.js("document.getElementById('rg-banners').children.length") == 0
    # Notes inform; they are not dressed as a warning.
    bg = p.js("getComputedStyle(document.getElementById('rg-notes')).backgroundColor")
    assert cvd.rgb(bg) != (0xff, 0xf4, 0xd6)
    assert p.errors == []


def test_100k_node_page(open_page):
    d = generate("--nodes", "100000", "--processes", "4", "--threads", "4", "--spans", "3000", "--seed", "3",
                 "--memory")
    p = open_page(d, name="big")
    t = p.js("RG.timing")
    print(f"\n100k-node page: first paint at {t['firstPaint']:.0f} ms, every view at {t['drawn']:.0f} ms")
    check_answers_first(p)
    check_links_zoom(p, d["summary"])
    check_height_bounded(p, "perf")
    assert p.errors == []


# ---- real reports -----------------------------------------------------------------

def summary_of(index_html):
    return json.loads((Path(index_html).parent / "summary.json").read_text())


def page_summary(p, s):
    """The page's summary, whose answers are summary.json's S plus the tree
    nodes and frame ids the links need."""
    ps = p.js("RG.app.data.summary")

    def strip(x):
        if isinstance(x, dict):
            return {k: strip(v) for k, v in x.items() if k not in ("node", "frame_id")}
        if isinstance(x, list):
            return [strip(v) for v in x]
        return x
    assert strip(ps["answers"]) == s["answers"]
    return ps


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=VIEW_IDS)
def test_reference_job_report(open_file, reports, viewport):
    path = reports("reference")
    s = summary_of(path)
    p = open_file(path, viewport)
    p.shot(f"reference-{viewport['width']}")
    text, links = check_answers_first(p)
    # The three threads' fight over the GIL, in words, as summary.json has it.
    # (the comprehension is a function of its own before 3.12, inlined since)
    ps = page_summary(p, s)
    gil = [it for it in ps["answers"]["time"]["waiting"] if it["reason"] == "gil"]
    assert gil and gil[0]["function"] in ("deepcopy_list.<locals>.<listcomp>", "deepcopy_list")
    assert gil[0]["threads"] == 3
    label = p.js(f"RG.app.frames.label({gil[0]['frame_id']})")
    assert label.endswith(" \u00b7 return [i[:] for i in l]")
    assert f"3 threads waited for the GIL in {label}" in text
    src = (HERE / "jobs" / "reference_job.py").read_text().splitlines()
    line = {text.strip(): k + 1 for k, text in enumerate(src)}
    top = [(it["function"], it["line"]) for it in s["answers"]["time"]["computing"][:3]]
    assert ("main", line["s = json.dumps(l)"]) in top, top      # json.dumps, credited to the job's line
    assert "main \u00b7 s = json.dumps(l)" in text
    held = [(it["function"], it["line"]) for it in s["answers"]["memory"]["holding"][:2]]
    assert ("main", line["l.append(list(range(i)))"]) in held, held
    assert "main \u00b7 l.append(list(range(i)))" in text
    check_links_zoom(p, ps)
    check_height_bounded(p, "perf")
    check_height_bounded(p, "memory")
    info = p.js("document.querySelector('#rg-perf .rg-toolbar .rg-info').textContent")
    assert re.fullmatch(r".+ of thread time \u00b7 4 threads \u00b7 .+ wall", info), info
    assert p.js("document.getElementById('rg-banners').children.length") == (1 if s["partial"] else 0)
    assert p.errors == []


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=VIEW_IDS)
def test_numpy_pool_job_report(open_file, reports, viewport):
    path = reports("numpy_pool")
    s = summary_of(path)
    p = open_file(path, viewport)
    p.shot(f"numpy-pool-{viewport['width']}")
    check_answers_first(p)
    check_links_zoom(p, page_summary(p, s))
    # NumPy's import folds, in the memory flamegraph at least (its modules
    # hold memory at the peak); unfolded, importlib's frames come back.
    names = {f[0] for f in tree_frames(p, "memory")}
    assert "[import numpy]" in names
    assert not [f for f in tree_frames(p, "memory") if f[1] in IMPORTLIB_FILES]
    before = canvas_hash(p, "memory")
    p.page.locator("#rg-memory .rg-switch input").click()
    assert [f for f in tree_frames(p, "memory") if f[1] in IMPORTLIB_FILES]
    assert canvas_hash(p, "memory") != before
    p.page.locator("#rg-memory .rg-switch input").click()
    check_height_bounded(p, "perf")
    # Three processes, every lane reachable.
    tl = "RG.app.timeline"
    assert p.js(f"{tl}.procs.length") == s["processes"] == 3
    for k in range(p.js(f"{tl}.lanes.length")):
        p.js(f"{tl}.scrollToLane({k})")
        assert p.js(f"{tl}.laneRect({k})") is not None
    # A banner only for data the report says is missing.
    assert p.js("document.getElementById('rg-banners').children.length") == (1 if s["partial"] else 0)
    assert p.errors == []


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=VIEW_IDS)
def test_hour16_synthetic_report(open_file, reports, viewport):
    path = reports("hour16")
    s = summary_of(path)
    p = open_file(path, viewport)
    assert p.js("RG.app.perf.tree.n") > 90000
    check_answers_first(p)
    check_links_zoom(p, page_summary(p, s))
    rows, drawn = check_height_bounded(p, "perf")
    assert rows > 8               # thousands of thin stacks together: the rows are seen
    p.js("document.getElementById('rg-timeline').scrollIntoView({block: 'start'})")
    tl = "RG.app.timeline"
    assert p.js(f"{tl}.below({tl}.surface.scrollTop, {tl}.surface.height).lanes") > 0
    for k in range(p.js(f"{tl}.lanes.length")):
        p.js(f"{tl}.scrollToLane({k})")
        assert p.js(f"{tl}.laneRect({k})") is not None
    assert p.errors == []


def test_views_screenshots(open_file, reports):
    """Every view of the reference job's report, looked at (RG_WEB_SHOTS)."""
    path = reports("reference")
    p = open_file(path)
    for section in ("rg-summary", "rg-perf", "rg-timeline", "rg-memory", "rg-memseries"):
        p.js(f"document.getElementById('{section}').scrollIntoView({{block: 'start'}})")
        p.page.wait_for_function(
            f"() => document.querySelector('#rg-nav a[href=\"#{section}\"]').getAttribute('aria-current') === 'true'")
        p.shot(f"view-{section}")
    assert p.errors == []


def test_comparison_of_real_reports(browser, reports, tmp_path, open_file):
    """The comparison page of two runs of the reference job: totals that say
    what they are, human start times, computing first, report labels."""
    a = Path(reports("reference")).parent
    b = tmp_path / "b"
    run_report(b, [str(HERE / "jobs" / "reference_job.py"), "2500"], tmp_path)
    out = tmp_path / "cmp"
    r = subprocess.run([str(RADIOGRAPH), "compare", "-q", "-o", str(out), str(a), str(b)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    p = open_file(out / "index.html")
    p.shot("compare-reference", full_page=True)
    grid = p.js("document.getElementById('rg-summary-grid').innerText")
    assert "THREAD TIME" in grid.upper() and "every thread\u2019s time added up" in grid
    assert "wall-clock time of the run" in grid
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", grid)   # no raw ISO
    assert re.search(r"started \d{4}-\d\d-\d\d \d\d:\d\d:\d\d", grid)
    titles = p.js("[...document.querySelectorAll('#rg-performance-diff .rg-top-box h3')].map(h => h.textContent)")
    assert titles[:2] == ["Computing: grew most", "Computing: shrank most"]
    assert titles[2].startswith("Waiting")
    total = p.js("RG.app.views.performance.new.totalInfo.textContent")
    assert total.startswith("thread time (every thread, computing and waiting): base ")
    # Labels as on the report: the function and, where the new run saw it
    # at one line, that line.
    labels = p.js("""(() => { const t = RG.app.views.performance.new.tree; const out = new Set();
        for (let i = 1; i < t.n; i++) out.add(t.label(i)); return Array.from(out); })()""")
    assert {"deepcopy_list.<listcomp> \u00b7 return [i[:] for i in l]",
            "deepcopy_list \u00b7 return [i[:] for i in l]"} & set(labels)
    # A list line zooms the flamegraphs to its stack.
    p.page.locator("#rg-performance-diff .rg-top li").first.click()
    p.page.wait_for_function("() => !RG.app.views.performance.new.state().animating")
    node = int(p.js("document.querySelector('#rg-performance-diff .rg-top li').dataset.node"))
    assert p.js(f"RG.app.views.performance.new.tree.kindOf({node})") == 1            # a [running] leaf
    frame = p.js(f"RG.app.views.performance.new.tree.parent[{node}]")             # zooms to its frame
    views = p.js("[RG.app.views.performance.new.state().zoom, RG.app.views.performance.base.state().zoom]")
    assert frame in views
    assert p.errors == []
