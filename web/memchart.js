/* memchart.js — "memory over time": tracked memory and RSS against time as
 * a line chart with the peak marked; hover shows the values at a time.
 * series = {t_ms: [], tracked: [], rss: []} (ms from the run's start; rss
 * null where no reading exists yet), peak = {t_ms, bytes}.
 *
 * Each series is a step function: a value holds from its point until the
 * next one (the report sums processes that way), so it is drawn as steps,
 * and hover shows the point in effect at the pointer: the last one at or
 * before it. The time axis starts at the run's start (0), like the
 * timeline's, and runs to the end of the run when opts.endMs says where. */
(function (RG) {
  'use strict';

  const el = RG.el;
  const HEIGHT = 260;
  const M = { left: 76, right: 18, top: 18, bottom: 28 };
  const TRACKED = '#d9480f';
  const RSS = '#5c677d';

  function numbers(a, n) {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const x = Array.isArray(a) ? a[i] : null;
      const v = x === null || x === undefined ? NaN : Number(x);   // null: no reading
      out[i] = isFinite(v) ? v : NaN;
    }
    return out;
  }

  // A tick step that reads well in binary units: 256 MiB, not 268 MB.
  function niceBytesStep(max, count) {
    let u = 1;
    while (max / u >= 1024) u *= 1024;
    return RG.niceStep(max / u, count) * u;
  }

  class MemoryChartView {
    constructor(container, series, peak, opts) {
      const n = series && Array.isArray(series.t_ms) ? series.t_ms.length : 0;
      this.n = n;
      this.t = numbers(series && series.t_ms, n);
      this.tracked = numbers(series && series.tracked, n);
      this.rss = numbers(series && series.rss, n);
      this.hasRss = this.rss.some(isFinite);
      this.peak = peak && isFinite(peak.t_ms) && isFinite(peak.bytes) ? peak : null;
      this.hover = -1;
      if (n < 1) {
        container.appendChild(el('div', { className: 'rg-empty' }, 'No memory samples were recorded.'));
        this.surface = null;
        return;
      }
      const endMs = opts && isFinite(opts.endMs) ? Number(opts.endMs) : -Infinity;
      this.t0 = Math.min(0, this.t[0]);
      this.t1 = Math.max(this.t[n - 1], endMs, this.peak ? this.peak.t_ms : -Infinity);
      if (!(this.t1 > this.t0)) this.t1 = this.t0 + 1;
      let max = this.peak ? this.peak.bytes : 0;
      for (let i = 0; i < n; i++) {
        if (this.tracked[i] > max) max = this.tracked[i];
        if (this.rss[i] > max) max = this.rss[i];
      }
      this.yStep = niceBytesStep(max > 0 ? max : 1, 4);
      this.yMax = Math.max(this.yStep, Math.ceil(max * 1.08 / this.yStep) * this.yStep);
      this.buildLegend(container);
      this.surface = new RG.Surface(container, {
        draw: this.draw.bind(this), maxHeight: function () { return HEIGHT; }, cursor: 'crosshair',
      });
      this.surface.setContentHeight(HEIGHT);
      this.bindPointer();
    }

    buildLegend(container) {
      const items = [el('span', {}, el('i', { style: { background: TRACKED } }), 'tracked by radiograph')];
      if (this.hasRss) items.push(el('span', {}, el('i', { style: { background: RSS } }), 'RSS (resident set size)'));
      if (this.peak) {
        items.push(el('span', {}, el('i', { style: { background: '#1d2330' } }),
          'peak ' + RG.fmtBytes(this.peak.bytes) + ' at ' + RG.fmtSeconds(this.peak.t_ms / 1000)));
      }
      container.appendChild(el('div', { className: 'rg-toolbar' }, el('div', { className: 'rg-legend' }, items)));
    }

    xOf(t, W) { return M.left + (t - this.t0) / (this.t1 - this.t0) * (W - M.left - M.right); }
    yOf(v) { return M.top + (1 - v / this.yMax) * (HEIGHT - M.top - M.bottom); }

    draw(ctx, W) {
      ctx.font = '11px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
      ctx.textBaseline = 'middle';
      this.drawAxes(ctx, W);
      if (this.hasRss) this.drawLine(ctx, W, this.rss, RSS, [5, 4], false);
      this.drawLine(ctx, W, this.tracked, TRACKED, [], true);
      if (this.peak) this.drawPeak(ctx, W);
      if (this.hover >= 0) this.drawHover(ctx, W);
    }

    drawAxes(ctx, W) {
      ctx.textAlign = 'right';
      for (let v = 0; v <= this.yMax + this.yStep * 1e-9; v += this.yStep) {
        const y = Math.round(this.yOf(v)) + 0.5;
        ctx.fillStyle = '#eef0f3';
        ctx.fillRect(M.left, y, W - M.left - M.right, 1);
        ctx.fillStyle = '#5b6475';
        ctx.fillText(RG.fmtBytes(v), M.left - 8, y);
      }
      ctx.textAlign = 'left';
      const step = RG.niceStep(this.t1 - this.t0, (W - M.left - M.right) / 110);
      for (let t = 0; t <= this.t1 - this.t0 + step * 1e-9; t += step) {
        const x = Math.round(this.xOf(this.t0 + t, W));
        ctx.fillStyle = '#c9ced6';
        ctx.fillRect(x, HEIGHT - M.bottom, 1, 5);
        const label = RG.fmtTick(t, step);
        if (x + 3 + ctx.measureText(label).width > W - 2) continue;
        ctx.fillStyle = '#5b6475';
        ctx.fillText(label, x + 3, HEIGHT - M.bottom + 13);
      }
      ctx.fillStyle = '#c9ced6';
      ctx.fillRect(M.left, HEIGHT - M.bottom, W - M.left - M.right, 1);
    }

    // Steps: each value runs flat to the next point's time, then jumps.
    drawLine(ctx, W, v, color, dash, fill) {
      ctx.beginPath();
      let started = false;
      let firstX = 0;
      let lastX = 0;
      let lastY = 0;
      for (let i = 0; i < this.n; i++) {
        if (!isFinite(v[i])) continue;
        const x = this.xOf(this.t[i], W);
        const y = this.yOf(v[i]);
        if (!started) { ctx.moveTo(x, y); firstX = x; started = true; } else {
          ctx.lineTo(x, lastY);
          ctx.lineTo(x, y);
        }
        lastX = x;
        lastY = y;
      }
      if (!started) return;
      ctx.setLineDash(dash);
      ctx.strokeStyle = color;
      ctx.lineWidth = 1.6;
      ctx.lineJoin = 'round';
      ctx.stroke();
      ctx.setLineDash([]);
      if (fill) {
        ctx.lineTo(lastX, this.yOf(0));
        ctx.lineTo(firstX, this.yOf(0));
        ctx.closePath();
        ctx.fillStyle = 'rgba(217, 72, 15, 0.10)';
        ctx.fill();
      }
    }

    drawPeak(ctx, W) {
      const x = this.xOf(this.peak.t_ms, W);
      const y = this.yOf(this.peak.bytes);
      ctx.setLineDash([3, 3]);
      ctx.strokeStyle = '#1d2330';
      ctx.lineWidth = 1;
      ctx.beginPath();
      ctx.moveTo(Math.round(x) + 0.5, M.top);
      ctx.lineTo(Math.round(x) + 0.5, HEIGHT - M.bottom);
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.fillStyle = '#1d2330';
      ctx.beginPath();
      ctx.arc(x, y, 4, 0, 2 * Math.PI);
      ctx.fill();
      const label = 'peak ' + RG.fmtBytes(this.peak.bytes);
      ctx.font = '600 12px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
      const w = ctx.measureText(label).width;
      const right = x + 8 + w < W - M.right;
      ctx.textAlign = right ? 'left' : 'right';
      const lx = right ? x + 8 : x - 8;
      const ly = Math.max(M.top + 6, y - 10);
      ctx.strokeStyle = 'rgba(255, 255, 255, 0.9)';   // a halo: legible over the lines
      ctx.lineWidth = 3;
      ctx.lineJoin = 'round';
      ctx.strokeText(label, lx, ly);
      ctx.fillText(label, lx, ly);
      ctx.textAlign = 'left';
    }

    drawHover(ctx, W) {
      const i = this.hover;
      const x = Math.round(this.xOf(this.t[i], W)) + 0.5;
      ctx.fillStyle = 'rgba(29, 35, 48, 0.45)';
      ctx.fillRect(x - 0.5, M.top, 1, HEIGHT - M.top - M.bottom);
      const dots = [[this.tracked[i], TRACKED], [this.rss[i], RSS]];
      for (const d of dots) {
        if (!isFinite(d[0])) continue;
        ctx.fillStyle = d[1];
        ctx.beginPath();
        ctx.arc(x, this.yOf(d[0]), 3.5, 0, 2 * Math.PI);
        ctx.fill();
      }
    }

    bindPointer() {
      const c = this.surface.canvas;
      c.addEventListener('pointermove', (ev) => {
        const p = this.surface.point(ev);
        const W = this.surface.width;
        const t = this.t0 + (p.x - M.left) / (W - M.left - M.right) * (this.t1 - this.t0);
        const ts = this.t;
        const i = Math.max(0, RG.upperBound(0, this.n, t, function (j) { return ts[j]; }) - 1);
        if (i !== this.hover) { this.hover = i; this.surface.requestDraw(); }
        RG.tooltip.show(this, ev.clientX, ev.clientY, this.describe(i));
      });
      c.addEventListener('pointerleave', () => {
        this.hover = -1;
        RG.tooltip.hide(this);
        this.surface.requestDraw();
      });
    }

    // The tooltip for point I: its time from the run's start and its values.
    describe(i) {
      const rows = [
        el('div', { className: 'rg-tt-title' }, 'at ' + RG.fmtSeconds(this.t[i] / 1000) + ' from the start'),
        el('div', { className: 'rg-tt-big' }, 'tracked: ' + RG.fmtBytes(this.tracked[i])),
      ];
      if (this.hasRss) {
        rows.push(el('div', { className: 'rg-tt-row' }, 'RSS: ' +
          (isFinite(this.rss[i]) ? RG.fmtBytes(this.rss[i]) : 'not read yet')));
      }
      if (this.peak && this.peak.bytes > 0 && isFinite(this.tracked[i])) {
        rows.push(el('div', { className: 'rg-tt-muted' },
          this.t[i] === this.peak.t_ms && this.tracked[i] === this.peak.bytes ? 'the peak'
            : RG.fmtPct(this.tracked[i] / this.peak.bytes) + ' of the peak'));
      }
      return rows;
    }

    // For tests: client coordinates of time T (ms) at the chart's mid-height.
    pointAt(t) {
      if (!this.surface) return null;
      const r = this.surface.canvas.getBoundingClientRect();
      return { x: r.left + this.xOf(t, this.surface.width), y: r.top + HEIGHT / 2 };
    }

    state() { return { hover: this.hover, t0: this.t0, t1: this.t1, n: this.n }; }

    reset() {}
  }

  RG.MemoryChartView = MemoryChartView;
})(window.RG = window.RG || {});
