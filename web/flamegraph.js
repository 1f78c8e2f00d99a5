/* flamegraph.js — the flamegraph view (icicle: the root on top), used for
 * both the performance tree (seconds) and the peak-memory tree (bytes).
 *
 * The view is a horizontal window [view0, view1) over the tree's value axis;
 * zooming into a node sets the window to the node's extent, so its
 * ancestors, which contain it, stay drawn full width. A redraw walks the
 * tree in pre-order and skips whole subtrees that are outside the window,
 * below the visible rows or narrower than a third of a pixel, so its cost
 * follows what is on screen, not the size of the tree. Hover only redraws
 * the overlay (the outline) over the cached frames. */
(function (RG) {
  'use strict';

  const el = RG.el;
  const ROW = 18;             // px per row
  const MIN_PX = 0.35;        // frames narrower than this are not drawn
  const LABEL_PX = 26;        // frames narrower than this get no text
  const ANIM_MS = 180;

  class FlameGraphView {
    // container: element to build into. tree: an RG.CallTree.
    // opts.of: what 100% is called in the tooltip ("total", "peak").
    // opts.info: text appended to the toolbar's total (e.g. how bytes were
    // sampled).
    constructor(container, tree, opts) {
      this.tree = tree;
      this.of = (opts && opts.of) || 'total';
      this.info = (opts && opts.info) || '';
      this.zoom = 0;
      this.view0 = 0;
      this.view1 = tree.total;
      this.hover = -1;
      this.found = null;       // result of tree.search, or null
      this.anim = 0;
      this.fitter = new RG.TextFitter(RG.FONT);

      if (tree.error || !(tree.total > 0)) {
        container.appendChild(el('div', { className: 'rg-empty' }, tree.error
          ? 'This call tree could not be drawn: ' + tree.error + '.'
          : (tree.unit === 'bytes' ? 'No memory was attributed to any callstack.'
                                   : 'No samples were recorded.')));
        this.surface = null;
        return;
      }
      this.buildToolbar(container);
      this.surface = new RG.Surface(container, {
        draw: this.draw.bind(this),
        overlay: this.drawHover.bind(this),
        maxHeight: function () { return Math.max(260, window.innerHeight * 0.72); },
      });
      this.surface.setContentHeight(this.contentHeight(0));
      this.bindPointer();
    }

    buildToolbar(container) {
      const tree = this.tree;
      this.resetButton = RG.button('Reset zoom', () => this.reset());
      this.resetButton.disabled = true;
      this.searchBox = el('input', {
        type: 'search', className: 'rg-search', placeholder: 'Search function, file or line\u2026',
        spellcheck: false, autocomplete: 'off',
      });
      this.searchBox.setAttribute('aria-label', 'Search frames');
      let timer = 0;
      this.searchBox.addEventListener('input', () => {
        clearTimeout(timer);
        timer = setTimeout(() => this.setSearch(this.searchBox.value), tree.n > 20000 ? 120 : 30);
      });
      this.searchBox.addEventListener('keydown', (ev) => {
        if (ev.key === 'Escape') {
          ev.stopPropagation();
          this.searchBox.value = '';
          this.setSearch('');
        }
      });
      this.matchInfo = el('span', { className: 'rg-match' });
      container.appendChild(el('div', { className: 'rg-toolbar' },
        this.resetButton, this.searchBox, this.matchInfo,
        el('span', { className: 'rg-spacer' }),
        el('span', { className: 'rg-info' }, this.totalText())));
    }

    // The toolbar's right-hand summary of the whole tree.
    totalText() {
      const tree = this.tree;
      return (tree.unit === 'bytes'
        ? 'total ' + RG.fmtBytes(tree.total) + ' at the peak'
        : 'total ' + tree.fmt(tree.total) + ' \u00b7 ' + RG.fmtCount(tree.total) + ' samples of ' +
          RG.fmtSeconds(tree.interval)) + (this.info ? ' \u00b7 ' + this.info : '');
    }

    // ---- state -------------------------------------------------------------

    setZoom(i) {
      const t = this.tree;
      if (i < 0 || i >= t.n || !(t.value[i] > 0)) return;
      this.zoom = i;
      this.resetButton.disabled = i === 0;
      // Grow the canvas before the animation, shrink it after.
      const h = this.contentHeight(i);
      const grow = h > this.surface.contentHeight;
      if (grow) this.surface.setContentHeight(h);
      this.animateTo(t.x[i], t.x[i] + t.value[i], grow ? null : () => this.surface.setContentHeight(h));
    }

    // Height of the rows holding frames at least 0.1% of the width when
    // zoomed into I: a deep but hair-thin stack should not leave a tall,
    // mostly empty canvas (zooming in shows it).
    contentHeight(i) {
      const t = this.tree;
      const min = t.value[i] * 0.001;
      let deepest = t.depth[i];
      for (let j = i; j < t.end[i];) {
        if (t.value[j] < min) { j = t.end[j]; continue; }
        if (t.depth[j] > deepest) deepest = t.depth[j];
        j++;
      }
      return (Math.max(deepest, 8) + 1) * ROW + 1;
    }

    reset() {
      if (!this.surface) return;
      this.setZoom(0);
    }

    setSearch(query) {
      if (!this.surface) return;
      query = query.trim();
      this.found = query ? this.tree.search(query) : null;
      if (!this.found) this.matchInfo.textContent = '';
      else if (!this.found.nodes) this.matchInfo.textContent = 'no match';
      else {
        this.matchInfo.textContent = 'matched: ' + RG.fmtPct(this.found.value / this.tree.total) +
          ' (' + this.tree.fmt(this.found.value) + ')';
      }
      this.surface.requestDraw();
    }

    animateTo(a, b, done) {
      if (this.anim) cancelAnimationFrame(this.anim);
      const from0 = this.view0;
      const from1 = this.view1;
      const reduce = window.matchMedia && window.matchMedia('(prefers-reduced-motion: reduce)').matches;
      const start = performance.now();
      const step = (now) => {
        const k = reduce ? 1 : Math.min(1, (now - start) / ANIM_MS);
        const e = 1 - Math.pow(1 - k, 3);
        this.view0 = from0 + (a - from0) * e;
        this.view1 = from1 + (b - from1) * e;
        this.surface.drawNow();
        this.anim = k < 1 ? requestAnimationFrame(step) : 0;
        if (!this.anim && done) done();
      };
      this.anim = requestAnimationFrame(step);
    }

    // ---- drawing -----------------------------------------------------------

    draw(ctx, W, H, scrollTop) {
      const t = this.tree;
      const x = t.x, value = t.value, depth = t.depth, end = t.end;
      const v0 = this.view0;
      const v1 = this.view1;
      const scale = W / (v1 - v0);
      const minV = MIN_PX / scale;
      const firstRow = Math.floor(scrollTop / ROW);
      const lastRow = Math.floor((scrollTop + H) / ROW);
      ctx.font = RG.FONT;
      ctx.textBaseline = 'middle';
      for (let i = 0; i < t.n;) {
        const d = depth[i];
        if (value[i] < minV || x[i] >= v1 || x[i] + value[i] <= v0 || d > lastRow) {
          i = end[i];
          continue;
        }
        if (d >= firstRow) {
          this.drawFrame(ctx, i, (x[i] - v0) * scale, (x[i] + value[i] - v0) * scale, d * ROW - scrollTop, W);
        }
        i++;
      }
    }

    drawFrame(ctx, i, a, b, y, W) {
      const t = this.tree;
      if (a < 0) a = 0;
      if (b > W) b = W;
      const w = b - a;
      const pal = t.paletteOf(i);
      let fill = pal.fill[t.level[i]];
      let text = pal.text[t.level[i]];
      let alpha = 1;
      if (this.found) {
        if (this.found.match[i]) { fill = RG.MATCH_FILL; text = RG.MATCH_TEXT; } else alpha = 0.32;
      }
      ctx.globalAlpha = alpha;
      ctx.fillStyle = fill;
      ctx.fillRect(a, y, w >= 2 ? w - 1 : w, ROW - 1);
      if (w >= LABEL_PX) {
        const label = this.fitter.fit(ctx, i === 0 ? 'all \u00b7 ' + t.fmt(t.total) : t.label(i), w - 8);
        if (label) {
          ctx.fillStyle = text;
          ctx.fillText(label, a + 4, y + ROW / 2);
        }
      }
      ctx.globalAlpha = 1;
    }

    drawHover(ctx, W, H, scrollTop) {
      const t = this.tree;
      const i = this.hover;
      if (i < 0) return;
      const scale = W / (this.view1 - this.view0);
      const a = Math.max(0, (t.x[i] - this.view0) * scale);
      const b = Math.min(W, (t.x[i] + t.value[i] - this.view0) * scale);
      if (b - a < MIN_PX) return;
      ctx.strokeStyle = '#1d2330';
      ctx.lineWidth = 1.5;
      ctx.strokeRect(a + 0.75, t.depth[i] * ROW - scrollTop + 0.75, Math.max(1, b - a - 2), ROW - 2.5);
    }

    // ---- pointer -----------------------------------------------------------

    nodeAt(p) {
      const t = this.tree;
      const s = this.surface;
      const d = Math.floor((p.y + s.scrollTop) / ROW);
      const scale = s.width / (this.view1 - this.view0);
      const i = t.hit(d, this.view0 + p.x / scale);
      return i >= 0 && t.value[i] * scale >= MIN_PX ? i : -1;
    }

    bindPointer() {
      const c = this.surface.canvas;
      c.addEventListener('pointermove', (ev) => {
        RG.activeView = this;
        const i = this.nodeAt(this.surface.point(ev));
        if (i !== this.hover) {
          this.hover = i;
          this.surface.requestOverlay();
          if (i >= 0) RG.tooltip.show(this, ev.clientX, ev.clientY, this.describe(i));
          else RG.tooltip.hide(this);
        } else if (i >= 0) RG.tooltip.move(ev.clientX, ev.clientY);
      });
      c.addEventListener('pointerleave', () => {
        this.hover = -1;
        RG.tooltip.hide(this);
        this.surface.requestOverlay();
      });
      c.addEventListener('click', (ev) => {
        RG.activeView = this;
        const i = this.nodeAt(this.surface.point(ev));
        if (i >= 0 && i !== this.zoom) {
          this.setZoom(i);
          RG.tooltip.show(this, ev.clientX, ev.clientY, this.describe(i));
        }
      });
    }

    // The tooltip's content for node I: DOM nodes holding text only.
    describe(i) {
      const t = this.tree;
      const f = t.frame[i];
      const fr = t.frames;
      const v = t.value[i];
      const out = [];
      if (i === 0) {
        out.push(el('div', { className: 'rg-tt-title' }, 'all'));
        out.push(el('div', { className: 'rg-tt-muted' },
          t.unit === 'bytes' ? 'every callstack holding memory at the peak'
                             : 'every sample of every thread and process'));
      } else {
        out.push(el('div', { className: 'rg-tt-title' }, fr.name[f]));
        if (fr.where(f)) out.push(el('div', { className: 'rg-tt-file' }, fr.where(f)));
        if (fr.src[f]) out.push(el('div', { className: 'rg-tt-src' }, fr.src[f]));
      }
      out.push(el('div', { className: 'rg-tt-big' },
        RG.fmtPct(v / t.total) + ' of ' + this.of + ' \u00b7 ' + t.fmt(v)));
      if (this.zoom > 0 && i !== this.zoom && t.isAncestor(this.zoom, i)) {
        out.push(el('div', { className: 'rg-tt-row' },
          RG.fmtPct(v / t.value[this.zoom]) + ' of the zoomed frame'));
      }
      if (t.unit !== 'bytes') {
        out.push(el('div', { className: 'rg-tt-muted' }, RG.fmtCount(v) + (v === 1 ? ' sample' : ' samples')));
        this.describeStates(i, out);
      } else {
        out.push(el('div', { className: 'rg-tt-muted' }, RG.fmtCount(v) + (v === 1 ? ' byte' : ' bytes') +
          ' live at the peak'));
      }
      const self = t.selfValue(i);
      if (self > 0 && t.end[i] > i + 1) {
        out.push(el('div', { className: 'rg-tt-row' },
          'in this frame itself: ' + t.fmt(self) + ' (' + RG.fmtPct(self / v) + ')'));
      }
      if (i !== this.zoom) out.push(el('div', { className: 'rg-tt-muted' }, 'click to zoom in'));
      return out;
    }

    describeStates(i, out) {
      const t = this.tree;
      const v = t.value[i];
      if (!(t.run[i] + t.wait[i] > 0)) return;
      out.push(el('div', { className: 'rg-tt-row' },
        'running ' + t.fmt(t.run[i]) + ' (' + RG.fmtPct(t.run[i] / v) + ') \u00b7 waiting ' +
        t.fmt(t.wait[i]) + ' (' + RG.fmtPct(t.wait[i] / v) + ')'));
      const reasons = t.breakdown(i).filter(function (e) { return e[0] !== '[running]'; });
      if (reasons.length > 1 || (reasons.length === 1 && reasons[0][0] !== '[waiting]')) {
        const parts = reasons.slice(0, 6).map(function (e) {
          return e[0].replace(/^\[waiting:?\s*/, '').replace(/\]$/, '') || 'unknown';
        }).map(function (name, k) { return name + ' ' + t.fmt(reasons[k][1]); });
        out.push(el('div', { className: 'rg-tt-row' }, 'waiting on: ' + parts.join(', ')));
      }
    }

    // ---- for tests and tools ---------------------------------------------

    state() {
      return {
        zoom: this.zoom, view: [this.view0, this.view1], hover: this.hover,
        animating: this.anim !== 0,
        search: this.found ? { nodes: this.found.nodes, value: this.found.value } : null,
      };
    }

    // Client-coordinate rectangle of node I as drawn now, or null.
    nodeRect(i) {
      const t = this.tree;
      const s = this.surface;
      if (!s || i < 0 || i >= t.n) return null;
      const scale = s.width / (this.view1 - this.view0);
      const a = Math.max(0, (t.x[i] - this.view0) * scale);
      const b = Math.min(s.width, (t.x[i] + t.value[i] - this.view0) * scale);
      const y = t.depth[i] * ROW - s.scrollTop;
      if (b - a < MIN_PX || y < 0 || y + ROW > s.height) return null;
      const r = s.canvas.getBoundingClientRect();
      return { x: r.left + a, y: r.top + y, w: b - a, h: ROW - 1 };
    }

    // Nodes whose frame name is NAME.
    findNodes(name) {
      const t = this.tree;
      const out = [];
      for (let i = 1; i < t.n; i++) if (t.frames.name[t.frame[i]] === name) out.push(i);
      return out;
    }
  }

  RG.FlameGraphView = FlameGraphView;
})(window.RG = window.RG || {});
