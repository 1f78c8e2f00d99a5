/* timeline.js — the timeline view: one lane per thread, grouped by process,
 * time left to right. A lane is a small flame chart (the callstack over
 * time, outermost call on top) over a strip showing the thread's state.
 *
 * Each span names the perf-tree node of its deepest Python frame; its stack
 * is that node's ancestor path. Per lane and per stack row, consecutive
 * spans that share the row's node (and running/waiting) are merged into one
 * bar when the lane is first drawn, so drawing is a binary search per row for
 * the first visible bar, then one rectangle per bar (or per pixel column,
 * for bars narrower than a pixel). */
(function (RG) {
  'use strict';

  const el = RG.el;
  const AXIS_H = 24;     // time axis, always at the top of the canvas
  const PROC_H = 24;     // process header
  const ROW_H = 14;      // one stack row in a lane
  const STRIP_H = 7;     // the state strip under a lane's rows
  const LANE_GAP = 5;
  const PROC_GAP = 8;
  const GUTTER = 200;    // lane labels, left of the plot
  const PAD_R = 10;
  const MIN_MS = 1e-3;   // the narrowest time window one can zoom into
  const FONT_SMALL = '11px ' + 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';

  // Bars of one row: columns in typed arrays that grow by doubling. A bar
  // that continues the previous one (same node and running/waiting, no gap)
  // extends it instead.
  class Bars {
    constructor() {
      this.n = 0;
      this.grow(64);
    }

    grow(cap) {
      const start = new Float64Array(cap);
      const end = new Float64Array(cap);
      const node = new Int32Array(cap);
      const wait = new Uint8Array(cap);
      if (this.n) {
        start.set(this.start.subarray(0, this.n));
        end.set(this.end.subarray(0, this.n));
        node.set(this.node.subarray(0, this.n));
        wait.set(this.wait.subarray(0, this.n));
      }
      this.start = start; this.end = end; this.node = node; this.wait = wait;
    }

    push(s, e, node, wait) {
      const k = this.n - 1;
      if (k >= 0 && this.node[k] === node && this.wait[k] === wait && s - this.end[k] <= 1e-6) {
        if (e > this.end[k]) this.end[k] = e;
        return;
      }
      if (this.n === this.start.length) this.grow(this.n * 2);
      this.start[this.n] = s;
      this.end[this.n] = e;
      this.node[this.n] = node;
      this.wait[this.n] = wait;
      this.n++;
    }
  }

  class Lane {
    constructor(thread, proc, tree) {
      this.proc = proc;
      this.tree = tree;
      this.tid = thread.tid;
      this.name = String(thread.name || ('thread ' + thread.tid));
      this.python = thread.python !== false;
      this.loadSpans(Array.isArray(thread.spans) ? thread.spans : [], tree);
      this.rows = null;     // built on first draw: most lanes may never be seen
      this.states = null;
    }

    loadSpans(flat, tree) {
      const m = Math.floor(flat.length / 4);
      // Spans arrive in time order; keep valid ones, sort only if needed.
      let order = null;
      let n = 0;
      let last = -Infinity;
      let sorted = true;
      for (let k = 0; k < m; k++) {
        const s = flat[4 * k];
        const e = flat[4 * k + 1];
        if (typeof s === 'number' && typeof e === 'number' && e >= s && s > -Infinity && e < Infinity) {
          if (s < last) sorted = false;
          last = s;
          n++;
        } else if (!order) order = [];
      }
      if (order || !sorted) {
        order = [];
        for (let k = 0; k < m; k++) {
          const s = flat[4 * k];
          const e = flat[4 * k + 1];
          if (typeof s === 'number' && typeof e === 'number' && e >= s && s > -Infinity && e < Infinity) order.push(k);
        }
        order.sort(function (a, b) { return flat[4 * a] - flat[4 * b]; });
        n = order.length;
      }
      this.n = n;
      this.s0 = new Float64Array(n);
      this.s1 = new Float64Array(n);
      this.node = new Int32Array(n);
      this.state = new Uint8Array(n);
      let running = 0;
      let all = 0;
      let maxDepth = 0;
      for (let j = 0; j < n; j++) {
        const k = 4 * (order ? order[j] : j);
        const s = this.s0[j] = flat[k];
        const e = this.s1[j] = flat[k + 1];
        const node = flat[k + 2];
        const ok = node > 0 && node < tree.n;
        this.node[j] = ok ? node : -1;
        if (ok && tree.depth[node] > maxDepth) maxDepth = tree.depth[node];
        const st = this.state[j] = flat[k + 3] >= 0 && flat[k + 3] < 256 ? flat[k + 3] : 1;
        all += e - s;
        if (st === 0) running += e - s;
      }
      this.maxDepth = maxDepth;
      this.runShare = all > 0 ? running / all : 0;
    }

    ensureBars() {
      if (this.rows) return;
      const tree = this.tree;
      const rows = [];
      for (let r = 0; r < this.maxDepth; r++) rows.push(new Bars());
      const states = new Bars();   // node column holds the state code
      for (let j = 0; j < this.n; j++) {
        const s = this.s0[j];
        const e = this.s1[j];
        const wait = this.state[j] === 0 ? 0 : 1;
        states.push(s, e, this.state[j], 0);
        for (let a = this.node[j]; a > 0; a = tree.parent[a]) rows[tree.depth[a] - 1].push(s, e, a, wait);
      }
      this.rows = rows;
      this.states = states;
    }

    // Index of the span covering time T, or -1.
    spanAt(t) {
      const s0 = this.s0;
      const k = RG.upperBound(0, this.n, t, function (j) { return s0[j]; }) - 1;
      return k >= 0 && t < this.s1[k] ? k : -1;
    }
  }

  class TimelineView {
    constructor(container, timeline, tree) {
      this.tree = tree;
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
      this.cap = this.defaultCap();
      this.buildToolbar(container);
      this.surface = new RG.Surface(container, {
        draw: this.draw.bind(this),
        overlay: this.drawOverlay.bind(this),
        maxHeight: function () { return Math.max(300, window.innerHeight * 0.75); },
        cursor: 'crosshair',
      });
      this.layout();
      this.bindPointer();
      this.updateInfo();
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
          const lane = new Lane(th, proc, this.tree);
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

    defaultCap() {
      const n = this.lanes.length;
      return n <= 3 ? 24 : n <= 6 ? 12 : n <= 12 ? 8 : 6;
    }

    buildToolbar(container) {
      this.resetButton = RG.button('Reset zoom', () => this.reset());
      this.resetButton.disabled = true;
      const deepest = this.lanes.reduce(function (m, l) { return Math.max(m, l.maxDepth); }, 0);
      const caps = [4, 6, 8, 12, 16, 24, 40].filter(function (c) { return c < deepest; });
      caps.push(deepest);
      if (caps.indexOf(this.cap) < 0) this.cap = Math.min(this.cap, deepest);
      if (caps.indexOf(this.cap) < 0) caps.push(this.cap);
      caps.sort(function (a, b) { return a - b; });
      let depthControl = null;
      if (deepest > 0) {
        const select = el('select', {},
          caps.map((c) => el('option', { value: String(c), selected: c === this.cap },
            c === deepest ? c + ' (all)' : String(c))));
        select.setAttribute('aria-label', 'Stack rows per lane');
        select.addEventListener('change', () => { this.cap = Number(select.value); this.layout(); });
        depthControl = el('label', {}, 'stack rows per lane ', select);
      }
      this.info = el('span', { className: 'rg-info' });
      const legend = el('div', { className: 'rg-legend' },
        RG.STATES.map(function (s) {
          return el('span', {}, el('i', { style: { background: s.color } }), s.name);
        }));
      container.appendChild(el('div', { className: 'rg-toolbar' },
        this.resetButton, depthControl, this.info,
        el('span', { className: 'rg-spacer' }), legend));
    }

    // Vertical placement of process headers and lanes, in content px below
    // the axis.
    layout() {
      const items = [];
      let y = 0;
      for (const p of this.procs) {
        items.push({ proc: p, lane: null, y: y, h: PROC_H });
        y += PROC_H + 2;
        for (const lane of p.lanes) {
          lane.shown = Math.min(lane.maxDepth, this.cap);
          const h = Math.max(32, lane.shown * ROW_H + STRIP_H + 3);
          items.push({ proc: p, lane: lane, y: y, h: h });
          y += h + LANE_GAP;
        }
        y += PROC_GAP;
      }
      this.items = items;
      this.surface.setContentHeight(AXIS_H + y);
    }

    // ---- zoom ---------------------------------------------------------------

    plotWidth() { return Math.max(1, this.surface.width - GUTTER - PAD_R); }
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
      this.surface.requestDraw();
    }

    reset() {
      if (this.surface) this.setRange(this.T0, this.T1);
    }

    updateInfo() {
      const full = this.t0 <= this.T0 && this.t1 >= this.T1;
      this.info.textContent = full
        ? this.lanes.length + (this.lanes.length === 1 ? ' thread' : ' threads') + ' in ' +
          this.procs.length + (this.procs.length === 1 ? ' process' : ' processes') + ' \u00b7 ' +
          RG.fmtSeconds((this.T1 - this.T0) / 1000)
        : 'showing ' + RG.fmtSeconds((this.t0 - this.T0) / 1000) + ' \u2013 ' +
          RG.fmtSeconds((this.t1 - this.T0) / 1000) + ' (' + RG.fmtSeconds((this.t1 - this.t0) / 1000) + ')';
    }

    // ---- drawing ------------------------------------------------------------

    draw(ctx, W, H, scrollTop) {
      const step = RG.niceStep(this.t1 - this.t0, this.plotWidth() / 110);
      ctx.save();
      ctx.beginPath();
      ctx.rect(0, AXIS_H, W, H - AXIS_H);
      ctx.clip();
      this.drawGrid(ctx, step, H);
      for (const it of this.items) {
        const y = AXIS_H + it.y - scrollTop;
        if (y + it.h < AXIS_H || y > H) continue;
        if (it.lane) this.drawLane(ctx, it.lane, y, it.h, W);
        else this.drawProcess(ctx, it.proc, y, W);
      }
      ctx.restore();
      this.drawAxis(ctx, step, W);
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
      ctx.fillStyle = '#eef1f5';
      ctx.fillRect(0, y, W, PROC_H);
      ctx.font = RG.FONT_BOLD;
      ctx.textBaseline = 'middle';
      ctx.fillStyle = '#1d2330';
      const head = 'process ' + p.pid;
      ctx.fillText(head, 8, y + PROC_H / 2);
      const x = 16 + this.fitter.width(ctx, head);
      ctx.font = RG.FONT;
      ctx.fillStyle = '#3d4657';
      const rest = [p.command, p.ended, p.ppid !== undefined && p.ppid !== null ? 'parent ' + p.ppid : '']
        .filter(Boolean).join('  \u00b7  ');
      const s = this.fitter.fit(ctx, rest, W - x - 8);
      if (s) ctx.fillText(s, x, y + PROC_H / 2);
    }

    drawLane(ctx, lane, y, h, W) {
      const pw = this.plotWidth();
      ctx.fillStyle = '#fafbfc';
      ctx.fillRect(GUTTER, y, pw, h);
      this.drawLaneLabel(ctx, lane, y);
      ctx.save();
      ctx.beginPath();
      ctx.rect(GUTTER, y, pw, h);
      ctx.clip();
      ctx.font = FONT_SMALL;
      ctx.textBaseline = 'middle';
      lane.ensureBars();
      for (let r = 0; r < lane.shown; r++) this.drawRow(ctx, lane.rows[r], y + r * ROW_H, ROW_H - 1, false);
      // No stack rows (a native thread): the state gets a full band.
      if (lane.shown) this.drawRow(ctx, lane.states, y + lane.shown * ROW_H + 1, STRIP_H, true);
      else this.drawRow(ctx, lane.states, y + 6, h - 12, true);
      ctx.restore();
    }

    drawLaneLabel(ctx, lane, y) {
      ctx.font = RG.FONT_BOLD;
      ctx.textBaseline = 'middle';
      ctx.fillStyle = '#1d2330';
      const name = this.fitter.fit(ctx, lane.name, GUTTER - 24);
      ctx.fillText(name, 14, y + 9);
      ctx.font = FONT_SMALL;
      ctx.fillStyle = '#5b6475';
      const sub = 'tid ' + lane.tid + (lane.python ? '' : ' \u00b7 native') +
        (lane.n ? ' \u00b7 running ' + Math.round(lane.runShare * 100) + '%' : '');
      ctx.fillText(this.smallFitter.fit(ctx, sub, GUTTER - 24), 14, y + 23);
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
        const pal = bars.wait[k] ? RG.PALETTES.cool : RG.PALETTES.warm;
        const fill = strip ? RG.stateInfo(node).color : pal.fill[tree.level[node]];
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
      lane.ensureBars();
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

    describe(h) {
      const lane = h.lane;
      const tree = this.tree;
      const out = [];
      const bar = h.bar >= 0 ? lane.rows[h.row] : null;
      if (bar) {
        const node = bar.node[h.bar];
        const f = tree.frame[node];
        out.push(el('div', { className: 'rg-tt-title' }, tree.frames.name[f]));
        if (tree.frames.where(f)) out.push(el('div', { className: 'rg-tt-file' }, tree.frames.where(f)));
        if (tree.frames.src[f]) out.push(el('div', { className: 'rg-tt-src' }, tree.frames.src[f]));
        const d = (bar.end[h.bar] - bar.start[h.bar]) / 1000;
        out.push(el('div', { className: 'rg-tt-big' },
          RG.fmtSeconds(d) + ' here, from ' + RG.fmtSeconds((bar.start[h.bar] - this.T0) / 1000) +
          ' to ' + RG.fmtSeconds((bar.end[h.bar] - this.T0) / 1000)));
      }
      out.push(el('div', { className: bar ? 'rg-tt-row' : 'rg-tt-title' },
        lane.name + ' (tid ' + lane.tid + ') \u00b7 process ' + lane.proc.pid));
      out.push(el('div', { className: 'rg-tt-row' }, 'at ' + RG.fmtSeconds((h.time - this.T0) / 1000)));
      if (h.span < 0) {
        out.push(el('div', { className: 'rg-tt-muted' }, 'no sample here'));
        return out;
      }
      const st = RG.stateInfo(lane.state[h.span]);
      out.push(el('div', { className: 'rg-tt-row' },
        el('span', { className: 'rg-tt-state', style: { background: st.color } }),
        st.name === 'running' ? 'running' : st.name === 'waiting' ? 'waiting' : 'waiting: ' + st.name));
      const stack = [];
      for (let a = lane.node[h.span]; a > 0; a = tree.parent[a]) stack.push(a);
      if (!stack.length) {
        out.push(el('div', { className: 'rg-tt-muted' }, lane.python ? 'no Python frame' : 'native thread'));
        return out;
      }
      const here = bar ? bar.node[h.bar] : -1;
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
      };
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
