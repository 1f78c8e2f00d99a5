/* timeline.js — the timeline view: one lane per thread, grouped by process,
 * time left to right. A lane is a small flame chart (the callstack over
 * time, outermost call on top) over a strip showing the thread's state.
 *
 * Each span names the perf-tree node of its deepest Python frame; its stack
 * is that node's ancestor path (in the tree the page is set to: imports
 * folded or not). Per lane and per stack row, consecutive spans are one bar
 * while the function at that depth stays the same and the bar above it
 * continues: one call, across the line it is on and across state changes
 * (the state is the strip below, as in Perfetto). Bars are built when the
 * lane is first laid out, so drawing is a binary search per row for the
 * first visible bar, then one rectangle per bar (or per pixel column, for
 * bars narrower than a pixel). A lane is as tall as the rows whose bars are
 * visible at the current zoom (at least a few pixels of bar in the window),
 * so it follows its stacks; every lane is reachable: the canvas scrolls,
 * the current process's header stays at the top, a note at the bottom says
 * what is below, and a list above jumps to a process. */
(function (RG) {
  'use strict';

  const el = RG.el;
  const AXIS_H = 24;     // time axis, always at the top of the canvas
  const PROC_H = 24;     // process header
  const ROW_H = 14;      // one stack row in a lane
  const STRIP_H = 7;     // the state strip under a lane's rows
  const LANE_MIN = 34;   // room for the lane's two label lines
  const LANE_GAP = 5;
  const PROC_GAP = 8;
  const GUTTER = 200;    // lane labels, left of the plot
  const PAD_R = 10;
  const MORE_H = 22;     // the "more below" note at the bottom
  const MIN_MS = 1e-3;   // the narrowest time window one can zoom into
  const SEEN = 0.05;     // a row is shown when its bars cover this share of the window...
  const SEEN_PX = 6;     // ...and at least this many pixels
  const FONT_SMALL = '11px ' + 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';

  // Bars of one row: columns in typed arrays that grow by doubling. A bar
  // is one call: NODE (the frame, function and line, it spent longest in)
  // from START to END, RUN ms of it computing. The last bar may be open
  // (being extended); what only an open bar needs is kept once per row.
  class Bars {
    constructor() {
      this.n = 0;
      this.cap = 0;
      this.grow(64);
      this.func = -1;          // the open bar's function
      this.lastNode = -1;      // the frame it is in now, since lastStart
      this.lastStart = 0;
      this.nodeDur = -1;       // the longest stretch in one frame so far
      this.runStart = 0;       // the lane's running ms when it opened
    }

    grow(cap) {
      const cols = [['start', Float64Array], ['end', Float64Array], ['node', Int32Array], ['run', Float32Array]];
      for (const c of cols) {
        const a = new c[1](cap);
        if (this[c[0]]) a.set(this[c[0]].subarray(0, this.n));
        this[c[0]] = a;
      }
      this.cap = cap;
    }

    // Opens a bar at S for NODE of function FUNC; R: the lane's running ms so far.
    open(s, node, func, r) {
      if (this.n === this.cap) this.grow(this.cap * 2);
      const i = this.n++;
      this.start[i] = this.end[i] = s;
      this.node[i] = node;
      this.func = func;
      this.lastNode = node;
      this.lastStart = s;
      this.nodeDur = -1;
      this.runStart = r;
    }

    // The open bar goes on from S in another frame of its function.
    switchNode(s, node) {
      if (this.lastNode === node) return;
      this.settle(s);
      this.lastNode = node;
      this.lastStart = s;
    }

    settle(t) {
      const d = t - this.lastStart;
      if (d > this.nodeDur) { this.nodeDur = d; this.node[this.n - 1] = this.lastNode; }
    }

    // Closes the open bar at E, R running ms into the lane.
    close(e, r) {
      const i = this.n - 1;
      this.settle(e);
      this.end[i] = e;
      this.run[i] = r - this.runStart;
      this.func = -1;
    }

    // A closed bar [s, e) of state CODE, joined to the last one if the same.
    addState(s, e, code) {
      const k = this.n - 1;
      if (k >= 0 && this.node[k] === code && s - this.end[k] <= 1e-6) {
        if (e > this.end[k]) this.end[k] = e;
        return;
      }
      this.open(s, code, code, 0);
      this.end[this.n - 1] = e;
      this.func = -1;
    }
  }

  class Lane {
    constructor(thread, proc) {
      this.proc = proc;
      this.tid = thread.tid;
      this.key = proc.pid + ':' + thread.tid;
      this.name = String(thread.name || ('thread ' + thread.tid));
      this.main = thread.main === true;
      this.python = thread.python !== false;
      this.loadSpans(Array.isArray(thread.spans) ? thread.spans : []);
      this.rows = null;     // built for a tree by ensureBars
      this.states = null;
      this.shown = 0;
    }

    loadSpans(flat) {
      const m = Math.floor(flat.length / 4);
      const ok = function (k) {
        const s = flat[4 * k];
        const e = flat[4 * k + 1];
        return typeof s === 'number' && typeof e === 'number' && e >= s && s > -Infinity && e < Infinity;
      };
      // Spans arrive in time order; keep valid ones, sort only if needed.
      let order = null;
      let last = -Infinity;
      for (let k = 0; k < m && !order; k++) {
        if (!ok(k) || flat[4 * k] < last) order = [];
        else last = flat[4 * k];
      }
      if (order) {
        for (let k = 0; k < m; k++) if (ok(k)) order.push(k);
        order.sort(function (a, b) { return flat[4 * a] - flat[4 * b]; });
      }
      const n = this.n = order ? order.length : m;
      this.s0 = new Float64Array(n);
      this.s1 = new Float64Array(n);
      this.node = new Int32Array(n);
      this.state = new Uint8Array(n);
      let running = 0;
      let all = 0;
      for (let j = 0; j < n; j++) {
        const k = 4 * (order ? order[j] : j);
        const s = this.s0[j] = flat[k];
        const e = this.s1[j] = flat[k + 1];
        const node = flat[k + 2];
        this.node[j] = typeof node === 'number' && node > 0 ? node : -1;
        const st = this.state[j] = flat[k + 3] >= 0 && flat[k + 3] < 256 ? flat[k + 3] : 1;
        all += e - s;
        if (st === 0) running += e - s;
      }
      this.runShare = all > 0 ? running / all : 0;
    }

    // The bars of each stack row for the tree of R ({tree, toNew}); FUNC
    // maps a frame to its function's id. Consecutive spans share most of
    // their stack, so each span only touches the rows below the deepest
    // frame it shares with the one before (found by walking both up to
    // their common ancestor); a row whose function stays the same under a
    // continuing row keeps its bar open.
    ensureBars(r, func) {
      if (this.rows && this.builtFor === r) return;
      this.builtFor = r;
      const tree = r.tree;
      const depthOf = tree.depth;
      const parent = tree.parent;
      const frame = tree.frame;
      const toNew = r.toNew;
      const leafOf = new Int32Array(this.n);
      let maxDepth = 0;
      for (let j = 0; j < this.n; j++) {
        const node = this.node[j];
        const a = leafOf[j] = node > 0 && node < toNew.length ? toNew[node] : -1;
        if (a > 0 && depthOf[a] > maxDepth) maxDepth = depthOf[a];
      }
      const rows = [];
      for (let d = 0; d < maxDepth; d++) rows.push(new Bars());
      const states = new Bars();
      const chain = new Int32Array(maxDepth + 1);   // the open stack, by depth
      const fresh = new Int32Array(maxDepth + 1);
      let open = 0;                                 // depth of the open stack
      let run = 0;                                  // running ms so far
      let prevEnd = -Infinity;
      const closeFrom = function (d, t) {           // closes rows d..open
        for (let k = open; k >= d; k--) rows[k - 1].close(t, run);
        open = d - 1;
      };
      for (let j = 0; j < this.n; j++) {
        const s = this.s0[j];
        const e = this.s1[j];
        const st = this.state[j];
        states.addState(s, e, st);
        const leaf = leafOf[j];
        if (open && (leaf <= 0 || s - prevEnd > 1e-6)) closeFrom(1, prevEnd);
        if (leaf > 0) {
          const depth = depthOf[leaf];
          let a = leaf;
          while (a > 0 && depthOf[a] > open) { fresh[depthOf[a]] = a; a = parent[a]; }
          while (a > 0 && chain[depthOf[a]] !== a) { fresh[depthOf[a]] = a; a = parent[a]; }
          const k = a > 0 ? depthOf[a] : 0;         // rows 1..k go on unchanged
          const last = Math.max(open, depth);
          let cont = true;
          for (let d = k + 1; d <= last; d++) {
            const b = d <= depth ? fresh[d] : -1;
            const bars = rows[d - 1];
            if (cont && b > 0 && d <= open && bars.func === func[frame[b]]) {
              bars.switchNode(s, b);
            } else {
              if (cont) { if (d <= open) closeFrom(d, s); cont = false; }
              if (b > 0) bars.open(s, b, func[frame[b]], run);
            }
            if (b > 0) chain[d] = b;
          }
          open = depth;
        }
        if (st === 0) run += e - s;
        prevEnd = e;
      }
      if (open) closeFrom(1, prevEnd);
      this.rows = rows;
      this.states = states;
      this.maxDepth = maxDepth;
    }

    // The depth of each span's stack in the tree of R (0: none), cached.
    depths(r) {
      if (this.depthFor === r) return this.spanDepth;
      const toNew = r.toNew;
      const depth = r.tree.depth;
      const out = this.spanDepth = new Uint16Array(this.n);
      let deepest = 0;
      for (let j = 0; j < this.n; j++) {
        const node = this.node[j];
        const a = node > 0 && node < toNew.length ? toNew[node] : -1;
        out[j] = a > 0 ? Math.min(65535, depth[a]) : 0;
        if (out[j] > deepest) deepest = out[j];
      }
      this.depthFor = r;
      this.deepest = deepest;
      return out;
    }

    // How many stack rows are covered for at least SEEN of [t0, t1) (and
    // SEEN_PX pixels at PXPERMS pixels per ms) in the tree of R. A row d
    // is covered wherever a span's stack is at least d deep, so this needs
    // only the spans in the window, not the bars.
    seenRows(r, t0, t1, pxPerMs) {
      const depth = this.depths(r);
      if (!this.deepest) return 0;
      const cover = new Float64Array(this.deepest + 2);
      const s0 = this.s0;
      let j = Math.max(0, RG.upperBound(0, this.n, t0, function (k) { return s0[k]; }) - 1);
      for (; j < this.n && this.s0[j] < t1; j++) {
        const d = Math.min(t1, this.s1[j]) - Math.max(t0, this.s0[j]);
        if (d > 0) cover[depth[j]] += d;
      }
      const need = Math.max(SEEN * (t1 - t0), SEEN_PX / pxPerMs);
      let sum = 0;
      for (let d = this.deepest; d > 0; d--) {
        sum += cover[d];
        if (sum >= need) return d;
      }
      return 0;
    }

    // Index of the span covering time T, or -1.
    spanAt(t) {
      const s0 = this.s0;
      const k = RG.upperBound(0, this.n, t, function (j) { return s0[j]; }) - 1;
      return k >= 0 && t < this.s1[k] ? k : -1;
    }
  }

  class TimelineView {
    // timeline: the data's timeline. source: the perf tree's RG.TreeSource
    // (the timeline draws its tree for the fold setting, all threads and
    // states). opts.picker: a thread picker for the toolbar; opts.share(key):
    // a thread's computing share from its samples (else its spans').
    constructor(container, timeline, source, opts) {
      this.source = source;
      this.opts = opts || {};
      this.current = source.get(this.treeSettings());
      this.tree = this.current.tree;
      this.fitter = new RG.TextFitter(RG.FONT);
      this.smallFitter = new RG.TextFitter(FONT_SMALL);
      this.procs = [];
      this.lanes = [];
      this.load(timeline);
      if (!this.lanes.length) {
        container.appendChild(el('div', { className: 'rg-empty' }, 'No thread activity was recorded.'));
        this.surface = null;
        return;
      }
      this.t0 = this.T0;
      this.t1 = this.T1;
      this.hover = null;      // {lane, time, row, bar}
      this.drag = null;       // {x0, x1} in canvas px while selecting
      this.cap = 'auto';
      this.func = this.functions();
      this.buildToolbar(container);
      this.surface = new RG.Surface(container, {
        draw: this.draw.bind(this),
        overlay: this.drawOverlay.bind(this),
        heights: (W) => {
          this.layout(W);
          return [AXIS_H + this.contentY + MORE_H, this.boxHeight()];
        },
        cursor: 'crosshair',
      });
      this.surface.scroll.addEventListener('scroll', () => this.updateJump(), { passive: true });
      this.relayout();
      this.bindPointer();
      this.updateInfo();
      RG.onSettings(() => this.applySettings());
    }

    // The tallest the canvas gets: the window less the page's header and
    // the toolbar.
    boxHeight() { return Math.max(300, (window.innerHeight || 800) - 150); }

    treeSettings() {
      return { foldImports: RG.settings.foldImports, perfStates: 'all', threads: null };
    }

    // Per frame of the tree: an id shared by frames of one function (same
    // name and file), so a call is one bar whatever line it is on.
    functions() {
      const fr = this.tree.frames;
      const ids = new Map();
      const out = new Int32Array(fr.n);
      for (let f = 0; f < fr.n; f++) {
        const k = fr.kind[f] + '\u0000' + fr.name[f] + '\u0000' + fr.file[f];
        let id = ids.get(k);
        if (id === undefined) { id = ids.size; ids.set(k, id); }
        out[f] = id;
      }
      return out;
    }

    applySettings() {
      if (!this.surface) return;
      const r = this.source.get(this.treeSettings());
      if (r !== this.current) {
        this.current = r;
        this.tree = r.tree;
        this.func = this.functions();
        this.fitter = new RG.TextFitter(RG.FONT);
        this.smallFitter = new RG.TextFitter(FONT_SMALL);
      }
      this.hover = null;
      RG.tooltip.hide(this);
      this.relayout();
      this.updateInfo();
    }

    // Lays the lanes out again (heights follow the zoom) and redraws.
    relayout() {
      this.surface.refit();
      this.updateJump();
    }

    load(tl) {
      let lo = Infinity;
      let hi = -Infinity;
      const procs = tl && Array.isArray(tl.processes) ? tl.processes : [];
      for (const p of procs) {
        const proc = {
          pid: p.pid, ppid: p.ppid, command: String(p.command || ''), ended: String(p.ended || ''),
          lanes: [],
        };
        for (const th of (Array.isArray(p.threads) ? p.threads : [])) {
          const lane = new Lane(th, proc);
          proc.lanes.push(lane);
          this.lanes.push(lane);
          if (lane.n) {
            lo = Math.min(lo, lane.s0[0]);
            for (let j = 0; j < lane.n; j++) if (lane.s1[j] > hi) hi = lane.s1[j];
          }
        }
        this.procs.push(proc);
      }
      let T0 = tl && isFinite(tl.start_ns) ? tl.start_ns / 1e6 : lo;
      let T1 = tl && isFinite(tl.end_ns) ? tl.end_ns / 1e6 : hi;
      if (isFinite(lo)) { T0 = Math.min(T0, lo); T1 = Math.max(T1, hi); }
      if (!isFinite(T0)) T0 = 0;
      if (!isFinite(T1) || T1 <= T0) T1 = T0 + 1;
      this.T0 = T0;
      this.T1 = T1;
    }

    buildToolbar(container) {
      this.resetButton = RG.button('Reset zoom', () => this.reset());
      this.resetButton.disabled = true;
      const caps = ['auto', 4, 8, 12, 16, 24, 'all'];
      const select = el('select', {},
        caps.map((c) => el('option', { value: String(c), selected: c === this.cap },
          c === 'auto' ? 'as deep as visible' : c === 'all' ? 'every row' : 'at most ' + c)));
      select.setAttribute('aria-label', 'Stack rows per lane');
      select.addEventListener('change', () => {
        const v = select.value;
        this.cap = v === 'auto' || v === 'all' ? v : Number(v);
        this.relayout();
      });
      const rows = el('label', {}, 'rows per lane ', select);
      this.info = el('span', { className: 'rg-info' });
      const legend = el('div', { className: 'rg-legend' }, RG.stateLegend());
      const controls = [this.resetButton];
      if (this.opts.picker) controls.push(this.opts.picker);
      if (this.source.foldable) controls.push(RG.foldSwitch());
      controls.push(rows, this.info);
      container.appendChild(el('div', { className: 'rg-toolbar' }, controls,
        el('span', { className: 'rg-spacer' }), legend));
      this.jump = el('div', { className: 'rg-jump' });
      container.appendChild(this.jump);
    }

    // The lanes the thread picker lets through.
    visible(lane) {
      const sel = RG.settings.threads;
      return !sel || sel.has(lane.key);
    }

    // Vertical placement of process headers and lanes, in content px below
    // the axis, for canvas width W; each lane as tall as its rows visible in
    // [t0, t1).
    layout(W) {
      const items = [];
      const pxPerMs = Math.max(1, W - GUTTER - PAD_R) / (this.t1 - this.t0);
      // "As deep as visible" stops where a lane would not fit the canvas.
      const fit = Math.max(1, Math.floor((this.boxHeight() - AXIS_H - PROC_H - MORE_H - STRIP_H - 6) / ROW_H));
      let y = 0;
      this.hidden = 0;
      for (const p of this.procs) {
        const lanes = p.lanes.filter((l) => this.visible(l));
        this.hidden += p.lanes.length - lanes.length;
        p.item = null;
        if (!lanes.length) continue;
        p.item = { proc: p, lane: null, y: y, h: PROC_H, shownLanes: lanes.length };
        items.push(p.item);
        y += PROC_H + 2;
        for (const lane of lanes) {
          lane.depths(this.current);
          const deep = lane.deepest;
          const rows = this.cap === 'all' ? deep : this.cap === 'auto'
            ? Math.min(fit, lane.seenRows(this.current, this.t0, this.t1, pxPerMs)) : Math.min(deep, this.cap);
          lane.shown = rows;
          const h = Math.max(LANE_MIN, rows * ROW_H + STRIP_H + 4);
          items.push({ proc: p, lane: lane, y: y, h: h });
          y += h + LANE_GAP;
        }
        y += PROC_GAP;
      }
      this.items = items;
      this.contentY = y;
    }

    // The process list above the canvas: where each process is, which one
    // is in view; a click scrolls to it.
    updateJump() {
      const shown = this.procs.filter(function (p) { return p.item; });
      if (shown.length < 2) {
        if (this.jump.childNodes.length) this.jump.replaceChildren();
        this.jump.hidden = true;
        return;
      }
      this.jump.hidden = false;
      const top = this.surface.scrollTop;
      const bottom = top + this.surface.height - AXIS_H;
      const key = shown.map(function (p) { return p.pid + ':' + p.item.y + ':' + p.item.shownLanes; }).join(',') +
        '|' + Math.round(top) + '|' + this.surface.height;
      if (key === this.jumpKey) return;
      this.jumpKey = key;
      const chips = shown.map((p, k) => {
        const next = k + 1 < shown.length ? shown[k + 1].item.y : Infinity;
        const inView = p.item.y < bottom && next > top;
        const b = el('button', { type: 'button', className: 'rg-chip-button' + (inView ? ' rg-in-view' : '') },
          'process ' + p.pid + ' \u00b7 ' + p.item.shownLanes + (p.item.shownLanes === 1 ? ' thread' : ' threads'));
        b.title = p.command;
        b.addEventListener('click', () => { this.surface.scrollTo(p.item.y); });
        return b;
      });
      this.jump.replaceChildren(el('span', { className: 'rg-jump-label' }, 'Processes:'));
      RG.append(this.jump, chips);
    }

    // ---- zoom ---------------------------------------------------------------

    plotWidth() { return Math.max(1, (this.surface ? this.surface.width : 800) - GUTTER - PAD_R); }
    xOf(t) { return GUTTER + (t - this.t0) / (this.t1 - this.t0) * this.plotWidth(); }
    tOf(x) { return this.t0 + (x - GUTTER) / this.plotWidth() * (this.t1 - this.t0); }

    setRange(a, b) {
      let span = Math.max(MIN_MS, Math.min(this.T1 - this.T0, b - a));
      a = Math.max(this.T0, Math.min(a, this.T1 - span));
      this.t0 = a;
      this.t1 = a + span;
      this.hover = null;
      RG.tooltip.hide(this);
      this.resetButton.disabled = this.t0 <= this.T0 && this.t1 >= this.T1;
      this.updateInfo();
      if (this.cap === 'auto') this.relayout(); else this.surface.requestDraw();
    }

    reset() {
      if (this.surface) this.setRange(this.T0, this.T1);
    }

    updateInfo() {
      const full = this.t0 <= this.T0 && this.t1 >= this.T1;
      const shown = this.lanes.length - (this.hidden || 0);
      this.info.textContent = (full
        ? shown + (shown === 1 ? ' thread' : ' threads') + ' in ' +
          this.procs.length + (this.procs.length === 1 ? ' process' : ' processes') + ' \u00b7 ' +
          RG.fmtSeconds((this.T1 - this.T0) / 1000)
        : 'showing ' + RG.fmtSeconds((this.t0 - this.T0) / 1000) + ' \u2013 ' +
          RG.fmtSeconds((this.t1 - this.T0) / 1000) + ' (' + RG.fmtSeconds((this.t1 - this.t0) / 1000) + ')') +
        (this.hidden ? ' \u00b7 ' + this.hidden + ' hidden' : '');
    }

    // ---- drawing ------------------------------------------------------------

    draw(ctx, W, H, scrollTop) {
      const step = RG.niceStep(this.t1 - this.t0, this.plotWidth() / 110);
      ctx.save();
      ctx.beginPath();
      ctx.rect(0, AXIS_H, W, H - AXIS_H);
      ctx.clip();
      this.drawGrid(ctx, step, H);
      let first = null;
      for (const it of this.items) {
        const y = AXIS_H + it.y - scrollTop;
        if (y + it.h < AXIS_H || y > H) continue;
        if (!first) first = it;
        if (it.lane) this.drawLane(ctx, it.lane, y, it.h, W);
        else this.drawProcess(ctx, it.proc, y, W);
      }
      // The header of the process in view stays at the top.
      if (first && first.lane && first.proc.item) {
        this.drawProcess(ctx, first.proc, Math.min(AXIS_H, AXIS_H + this.nextHeaderY(first.proc) - scrollTop - PROC_H), W);
      }
      this.drawMore(ctx, W, H, scrollTop);
      ctx.restore();
      this.drawAxis(ctx, step, W);
    }

    // Content y of the process header after P's (Infinity if none).
    nextHeaderY(p) {
      let after = false;
      for (const q of this.procs) {
        if (q === p) after = true;
        else if (after && q.item) return q.item.y;
      }
      return Infinity;
    }

    // What lies below the visible part: lanes and processes, in words.
    below(scrollTop, H) {
      const limit = scrollTop + H - AXIS_H - MORE_H;
      let lanes = 0;
      const procs = new Set();
      for (const it of this.items) {
        if (it.lane && it.y + it.h / 2 > limit) { lanes++; procs.add(it.proc); }
      }
      return { lanes: lanes, procs: procs.size };
    }

    drawMore(ctx, W, H, scrollTop) {
      const b = this.below(scrollTop, H);
      if (!b.lanes) return;
      const y = H - MORE_H;
      ctx.fillStyle = 'rgba(231, 236, 244, 0.96)';
      ctx.fillRect(0, y, W, MORE_H);
      ctx.fillStyle = '#c9ced6';
      ctx.fillRect(0, y, W, 1);
      ctx.font = RG.FONT_BOLD;
      ctx.textBaseline = 'middle';
      ctx.fillStyle = '#1d2330';
      ctx.fillText('\u25be ' + b.lanes + ' more ' + (b.lanes === 1 ? 'lane' : 'lanes') + ' below' +
        (b.procs > 1 ? ', in ' + b.procs + ' processes' : '') + ' \u2014 scroll down here, or pick a process above',
        10, y + MORE_H / 2 + 1);
    }

    drawGrid(ctx, step, H) {
      ctx.fillStyle = '#eef0f3';
      for (let t = Math.ceil(this.t0 / step) * step; t <= this.t1; t += step) {
        ctx.fillRect(Math.round(this.xOf(t)), AXIS_H, 1, H - AXIS_H);
      }
    }

    drawAxis(ctx, step, W) {
      ctx.fillStyle = '#ffffff';
      ctx.fillRect(0, 0, W, AXIS_H);
      ctx.fillStyle = '#c9ced6';
      ctx.fillRect(0, AXIS_H - 1, W, 1);
      ctx.font = FONT_SMALL;
      ctx.textBaseline = 'middle';
      ctx.fillStyle = '#5b6475';
      ctx.fillText('time since start', 8, AXIS_H / 2);
      ctx.save();
      ctx.beginPath();
      ctx.rect(GUTTER - 4, 0, W - GUTTER + 4, AXIS_H);
      ctx.clip();
      for (let t = Math.ceil(this.t0 / step) * step; t <= this.t1 + step * 1e-9; t += step) {
        const x = Math.round(this.xOf(t));
        ctx.fillStyle = '#9aa1ad';
        ctx.fillRect(x, AXIS_H - 6, 1, 5);
        const label = RG.fmtTick(t - this.T0, step);
        if (x + 3 + this.smallFitter.width(ctx, label) > W - 2) continue;
        ctx.fillStyle = '#1d2330';
        ctx.fillText(label, x + 3, AXIS_H / 2 - 2);
      }
      ctx.restore();
    }

    drawProcess(ctx, p, y, W) {
      ctx.fillStyle = '#e7ecf4';
      ctx.fillRect(0, y, W, PROC_H);
      ctx.fillStyle = '#c9d1de';
      ctx.fillRect(0, y + PROC_H - 1, W, 1);
      ctx.font = RG.FONT_BOLD;
      ctx.textBaseline = 'middle';
      ctx.fillStyle = '#1d2330';
      const head = 'process ' + p.pid;
      ctx.fillText(head, 8, y + PROC_H / 2);
      const x = 16 + this.fitter.width(ctx, head);
      ctx.font = RG.FONT;
      ctx.fillStyle = '#3d4657';
      const shown = p.item ? p.item.shownLanes : 0;
      const rest = [p.command, p.ended, p.ppid !== undefined && p.ppid !== null ? 'parent ' + p.ppid : '',
        shown < p.lanes.length ? shown + ' of ' + p.lanes.length + ' threads shown' : '']
        .filter(Boolean).join('  \u00b7  ');
      const s = this.fitter.fit(ctx, rest, W - x - 8);
      if (s) ctx.fillText(s, x, y + PROC_H / 2);
    }

    drawLane(ctx, lane, y, h, W) {
      lane.ensureBars(this.current, this.func);
      const pw = this.plotWidth();
      ctx.fillStyle = '#fafbfc';
      ctx.fillRect(GUTTER, y, pw, h);
      this.drawLaneLabel(ctx, lane, y, h);
      ctx.save();
      ctx.beginPath();
      ctx.rect(GUTTER, y, pw, h);
      ctx.clip();
      ctx.font = FONT_SMALL;
      ctx.textBaseline = 'middle';
      for (let r = 0; r < lane.shown; r++) this.drawRow(ctx, lane.rows[r], y + r * ROW_H, ROW_H - 1, false);
      // No stack rows (a native thread, or nothing visible here): the state gets a band.
      if (lane.shown) this.drawRow(ctx, lane.states, y + lane.shown * ROW_H + 1, STRIP_H, true);
      else this.drawRow(ctx, lane.states, y + 8, h - 16, true);
      ctx.restore();
    }

    laneShare(lane) {
      const s = this.opts.share ? this.opts.share(lane.key) : NaN;
      return isFinite(s) ? s : lane.runShare;
    }

    drawLaneLabel(ctx, lane, y, h) {
      ctx.font = RG.FONT_BOLD;
      ctx.textBaseline = 'middle';
      ctx.fillStyle = '#1d2330';
      const name = this.fitter.fit(ctx, lane.name + (lane.main && lane.name !== 'MainThread' ? ' (main)' : ''),
        GUTTER - 24);
      ctx.fillText(name, 14, y + 9);
      ctx.font = FONT_SMALL;
      ctx.fillStyle = '#5b6475';
      const sub = 'tid ' + lane.tid + (lane.python ? '' : ' \u00b7 native') +
        (lane.n ? ' \u00b7 ' + Math.round(this.laneShare(lane) * 100) + '% computing' : '');
      ctx.fillText(this.smallFitter.fit(ctx, sub, GUTTER - 24), 14, y + 23);
      if (lane.shown < lane.deepest && h >= 44) {
        ctx.fillStyle = '#8a93a3';
        ctx.fillText(this.smallFitter.fit(ctx, (lane.deepest - lane.shown) + ' deeper rows not shown', GUTTER - 24),
          14, y + 35);
      }
    }

    // One row of bars H px high: a stack row, or the state strip when STRIP.
    drawRow(ctx, bars, y, h, strip) {
      if (!bars || !bars.n) return;
      const tree = this.tree;
      const end = bars.end;
      let k = RG.upperBound(0, bars.n, this.t0, function (j) { return end[j]; });
      let lastPx = -1;
      let lastFill = '';
      for (; k < bars.n && bars.start[k] < this.t1; k++) {
        let a = this.xOf(bars.start[k]);
        let b = this.xOf(bars.end[k]);
        if (b - a < 1) {
          // Sub-pixel bars: one per pixel column is enough.
          const px = Math.floor(a);
          if (px === lastPx) continue;
          lastPx = px;
          a = px;
          b = px + 1;
        }
        const node = bars.node[k];
        let fill;
        let pal = null;
        if (strip) fill = RG.stateInfo(node).color;
        else {
          pal = RG.computePalette(bars.run[k] / Math.max(1e-9, bars.end[k] - bars.start[k]));
          fill = pal.fill[tree.level[node]];
        }
        if (fill !== lastFill) { ctx.fillStyle = fill; lastFill = fill; }
        const w = b - a;
        ctx.fillRect(a, y, w > 3 ? w - 1 : w, h);
        if (!strip && w > 34) {
          const x0 = Math.max(a, GUTTER);
          const label = this.smallFitter.fit(ctx, tree.label(node), Math.min(b, GUTTER + this.plotWidth()) - x0 - 6);
          if (label) {
            ctx.fillStyle = lastFill = pal.text[tree.level[node]];
            ctx.fillText(label, x0 + 3, y + ROW_H / 2);
          }
        }
      }
    }

    // ---- pointer --------------------------------------------------------------

    // What is under canvas point P: {item, lane, row (-1: strip or label),
    // time, span, bar}.
    pick(p) {
      const cy = p.y - AXIS_H + this.surface.scrollTop;
      if (p.y < AXIS_H) return null;
      let item = null;
      for (const it of this.items) {
        if (cy >= it.y && cy < it.y + it.h) { item = it; break; }
      }
      if (!item || !item.lane || p.x < GUTTER) return null;
      const lane = item.lane;
      lane.ensureBars(this.current, this.func);
      const time = this.tOf(p.x);
      const span = lane.spanAt(time);
      const row = Math.floor((cy - item.y) / ROW_H);
      let bar = -1;
      if (row < lane.shown) {
        const bars = lane.rows[row];
        const k = RG.upperBound(0, bars.n, time, function (j) { return bars.start[j]; }) - 1;
        if (k >= 0 && time < bars.end[k]) bar = k;
      }
      return { item: item, lane: lane, time: time, span: span, row: row < lane.shown ? row : -1, bar: bar };
    }

    bindPointer() {
      const c = this.surface.canvas;
      c.addEventListener('pointerdown', (ev) => {
        if (ev.button !== 0) return;
        RG.activeView = this;
        const p = this.surface.point(ev);
        if (p.x < GUTTER) return;
        c.setPointerCapture(ev.pointerId);
        this.drag = { x0: p.x, x1: p.x, moved: false };
      });
      c.addEventListener('pointermove', (ev) => {
        RG.activeView = this;
        const p = this.surface.point(ev);
        if (this.drag) {
          this.drag.x1 = Math.max(GUTTER, Math.min(p.x, GUTTER + this.plotWidth()));
          if (Math.abs(this.drag.x1 - this.drag.x0) > 4) this.drag.moved = true;
          if (this.drag.moved) RG.tooltip.hide(this);
        }
        this.hover = this.pick(p);
        if (this.hover && !(this.drag && this.drag.moved)) {
          RG.tooltip.show(this, ev.clientX, ev.clientY, this.describe(this.hover));
        } else if (!this.hover) RG.tooltip.hide(this);
        this.surface.requestOverlay();
      });
      c.addEventListener('pointerup', (ev) => {
        const d = this.drag;
        this.drag = null;
        if (!d) return;
        if (d.moved) {
          const a = this.tOf(Math.min(d.x0, d.x1));
          const b = this.tOf(Math.max(d.x0, d.x1));
          this.setRange(a, b);
        } else {
          const h = this.pick(this.surface.point(ev));
          if (h && h.bar >= 0) {
            const bars = h.lane.rows[h.row];
            const s = bars.start[h.bar];
            const e = bars.end[h.bar];
            const pad = (e - s) * 0.02;
            this.setRange(Math.max(this.T0, s - pad), Math.min(this.T1, e + pad));
          }
        }
        this.surface.requestOverlay();
      });
      c.addEventListener('pointercancel', () => { this.drag = null; this.surface.requestOverlay(); });
      c.addEventListener('pointerleave', () => {
        if (this.drag) return;
        this.hover = null;
        RG.tooltip.hide(this);
        this.surface.requestOverlay();
      });
      c.addEventListener('wheel', (ev) => this.onWheel(ev), { passive: false });
    }

    // Over the drawn lanes: the time cursor, the hovered bar, the range
    // being selected.
    drawOverlay(ctx, W, H, scrollTop) {
      const h = this.hover;
      if (h) {
        const x = Math.round(this.xOf(h.time));
        ctx.fillStyle = 'rgba(29, 35, 48, 0.55)';
        ctx.fillRect(x, AXIS_H, 1, H - AXIS_H);
        if (h.bar >= 0) {
          const bars = h.lane.rows[h.row];
          const a = Math.max(GUTTER, this.xOf(bars.start[h.bar]));
          const b = Math.min(GUTTER + this.plotWidth(), this.xOf(bars.end[h.bar]));
          const y = AXIS_H + h.item.y + h.row * ROW_H - scrollTop;
          if (y >= AXIS_H) {
            ctx.strokeStyle = '#1d2330';
            ctx.lineWidth = 1.5;
            ctx.strokeRect(a + 0.75, y + 0.75, Math.max(1, b - a - 1.5), ROW_H - 2.5);
          }
        }
      }
      const d = this.drag;
      if (d && d.moved) {
        const a = Math.min(d.x0, d.x1);
        const b = Math.max(d.x0, d.x1);
        ctx.fillStyle = 'rgba(59, 91, 219, 0.14)';
        ctx.fillRect(a, AXIS_H, b - a, H - AXIS_H);
        ctx.fillStyle = 'rgba(59, 91, 219, 0.8)';
        ctx.fillRect(a, AXIS_H, 1, H - AXIS_H);
        ctx.fillRect(b - 1, AXIS_H, 1, H - AXIS_H);
        ctx.font = RG.FONT_BOLD;
        ctx.textBaseline = 'middle';
        const label = RG.fmtSeconds((this.tOf(b) - this.tOf(a)) / 1000);
        ctx.fillStyle = 'rgba(59, 91, 219, 1)';
        ctx.fillText(label, Math.min(b + 5, W - 60), AXIS_H + 12);
      }
    }

    onWheel(ev) {
      const p = this.surface.point(ev);
      const unit = ev.deltaMode === 1 ? 16 : ev.deltaMode === 2 ? 400 : 1;
      if (ev.ctrlKey || ev.metaKey) {
        ev.preventDefault();
        const t = Math.max(this.t0, Math.min(this.t1, this.tOf(Math.max(p.x, GUTTER))));
        const k = Math.exp(ev.deltaY * unit * 0.0025);
        this.setRange(t - (t - this.t0) * k, t + (this.t1 - t) * k);
      } else if (ev.shiftKey || Math.abs(ev.deltaX) > Math.abs(ev.deltaY)) {
        ev.preventDefault();
        const dx = (ev.deltaX || ev.deltaY) * unit;
        const dt = dx / this.plotWidth() * (this.t1 - this.t0);
        this.setRange(this.t0 + dt, this.t1 + dt);
      }
    }

    // The tree node of span J's stack at depth D (or -1).
    nodeAtDepth(lane, j, d) {
      const toNew = this.current.toNew;
      const leaf = lane.node[j];
      let a = leaf > 0 && leaf < toNew.length ? toNew[leaf] : -1;
      while (a > 0 && this.tree.depth[a] > d) a = this.tree.parent[a];
      return a > 0 && this.tree.depth[a] === d ? a : -1;
    }

    describe(h) {
      const lane = h.lane;
      const tree = this.tree;
      const out = [];
      const bars = h.bar >= 0 ? lane.rows[h.row] : null;
      if (bars) {
        const k = h.bar;
        const here = h.span >= 0 ? this.nodeAtDepth(lane, h.span, h.row + 1) : -1;
        const node = here > 0 ? here : bars.node[k];
        const f = tree.frame[node];
        out.push(el('div', { className: 'rg-tt-title' }, tree.frames.name[f]));
        if (tree.frames.where(f)) out.push(el('div', { className: 'rg-tt-file' }, tree.frames.where(f)));
        if (tree.frames.src[f]) out.push(el('div', { className: 'rg-tt-src' }, tree.frames.src[f]));
        const d = (bars.end[k] - bars.start[k]) / 1000;
        out.push(el('div', { className: 'rg-tt-big' },
          'this call: ' + RG.fmtSeconds(d) + ', from ' + RG.fmtSeconds((bars.start[k] - this.T0) / 1000) +
          ' to ' + RG.fmtSeconds((bars.end[k] - this.T0) / 1000)));
        out.push(el('div', { className: 'rg-tt-row' },
          'computing ' + RG.fmtPct(bars.run[k] / Math.max(1e-9, bars.end[k] - bars.start[k])) + ' of it'));
      }
      out.push(el('div', { className: bars ? 'rg-tt-row' : 'rg-tt-title' },
        lane.name + ' (tid ' + lane.tid + ') \u00b7 process ' + lane.proc.pid));
      out.push(el('div', { className: 'rg-tt-row' }, 'at ' + RG.fmtSeconds((h.time - this.T0) / 1000)));
      if (h.span < 0) {
        out.push(el('div', { className: 'rg-tt-muted' }, 'no sample here'));
        return out;
      }
      const st = RG.stateInfo(lane.state[h.span]);
      out.push(el('div', { className: 'rg-tt-row' },
        el('span', { className: 'rg-tt-state', style: { background: st.color } }),
        st.name === 'running' ? 'running' : 'waiting: ' + st.label));
      const stack = [];
      const leaf = lane.node[h.span];
      const toNew = this.current.toNew;
      for (let a = leaf > 0 && leaf < toNew.length ? toNew[leaf] : -1; a > 0; a = tree.parent[a]) stack.push(a);
      if (!stack.length) {
        out.push(el('div', { className: 'rg-tt-muted' }, lane.python ? 'no Python frame' : 'native thread'));
        return out;
      }
      const here = bars ? this.nodeAtDepth(lane, h.span, h.row + 1) : -1;
      const shown = stack.slice(0, 24);
      out.push(el('div', { className: 'rg-tt-muted' }, 'stack, innermost first:'));
      out.push(el('ul', { className: 'rg-tt-stack' }, shown.map(function (a) {
        const f = tree.frame[a];
        const where = tree.frames.where(f);
        return el('li', { className: a === here ? 'rg-tt-here' : '' },
          (a === here ? '\u25b8 ' : '') + tree.frames.name[f] + (where ? '  ' + RG.basename(where) : ''));
      }), stack.length > shown.length
        ? el('li', { className: 'rg-tt-muted' }, '\u2026 ' + (stack.length - shown.length) + ' more')
        : null));
      return out;
    }

    // ---- for tests and tools ---------------------------------------------

    state() {
      return {
        view: [this.t0, this.t1], full: [this.T0, this.T1],
        hover: this.hover ? { tid: this.hover.lane.tid, time: this.hover.time, span: this.hover.span } : null,
        lanes: this.lanes.length,
        shownLanes: this.items ? this.items.filter(function (i) { return i.lane; }).length : 0,
      };
    }

    // Lanes as laid out: {key, name, rows shown, deepest row, y, h}.
    laneLayout() {
      return this.items.filter(function (i) { return i.lane; }).map(function (i) {
        return { key: i.lane.key, name: i.lane.name, shown: i.lane.shown, deepest: i.lane.deepest, y: i.y, h: i.h };
      });
    }

    // Bars of lane K's row R in [t0, t1): [{start, end, label}].
    barsOf(k, r) {
      const lane = this.lanes[k];
      lane.ensureBars(this.current, this.func);
      const bars = lane.rows && lane.rows[r];
      const out = [];
      if (!bars) return out;
      for (let i = 0; i < bars.n; i++) {
        if (bars.end[i] <= this.t0 || bars.start[i] >= this.t1) continue;
        out.push({ start: bars.start[i], end: bars.end[i], label: this.tree.label(bars.node[i]),
          name: this.tree.frames.name[this.tree.frame[bars.node[i]]] });
      }
      return out;
    }

    // Scrolls lane K into view (for tests and the process list).
    scrollToLane(k) {
      const lane = this.lanes[k];
      const it = this.items.find(function (i) { return i.lane === lane; });
      if (it) this.surface.scrollTo(it.y - PROC_H);
      this.surface.drawNow();
    }

    // Client rectangle of lane K's plot area, or null when scrolled away.
    laneRect(k) {
      const lane = this.lanes[k];
      const it = this.items.find(function (i) { return i.lane === lane; });
      if (!it || !this.surface) return null;
      const y = AXIS_H + it.y - this.surface.scrollTop;
      if (y < AXIS_H || y + it.h > this.surface.height) return null;
      const r = this.surface.canvas.getBoundingClientRect();
      return { x: r.left + GUTTER, y: r.top + y, w: this.plotWidth(), h: it.h, rows: lane.shown };
    }
  }

  TimelineView.ROW_H = ROW_H;
  RG.TimelineView = TimelineView;
})(window.RG = window.RG || {});
