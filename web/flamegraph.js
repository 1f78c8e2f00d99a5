/* flamegraph.js — the flamegraph view (icicle: the root on top), used for
 * both the performance tree (seconds) and the peak-memory tree (bytes), and
 * by compare.js for the differential ones.
 *
 * The view draws a tree from a RG.TreeSource: the tree for the page's
 * settings (imports folded or not; for time, which threads and states), so
 * a setting change swaps the tree and keeps the zoom on the same frame. The
 * view is a horizontal window [view0, view1) over the tree's value axis;
 * zooming into a node sets the window to the node's extent, so its
 * ancestors, which contain it, stay drawn full width. A redraw walks the
 * tree in pre-order and skips whole subtrees that are outside the window,
 * below the visible rows or narrower than a third of a pixel, so its cost
 * follows what is on screen, not the size of the tree. Hover only redraws
 * the overlay (the outline) over the cached frames.
 *
 * Height: the box is as tall as the rows a reader can see at the current
 * zoom — rows whose drawn frames together cover at least BOX_SHARE of the
 * width (and BOX_PX pixels) — within the window's height; deeper rows that
 * only hold slivers (one deep stack of a sample or two) are still there,
 * below, and the box scrolls to them (a note under it says so). */
(function (RG) {
  'use strict';

  const el = RG.el;
  const ROW = 18;             // px per row
  const MIN_PX = 0.35;        // frames narrower than this are not drawn
  const BOX_PX = 10;          // a row counts for the box's height when its frames cover
  const BOX_SHARE = 0.01;     // this many pixels and this share of the width
  const LABEL_PX = 26;        // frames narrower than this get no text
  const ANIM_MS = 180;
  const MARK_MS = 1600;       // how long a revealed frame stays outlined

  class FlameGraphView {
    // container: element to build into. source: an RG.TreeSource.
    // opts.of: what 100% is called in the tooltip ("thread time", "peak").
    // opts.info: text appended to the toolbar's total. opts.states: offer
    // the all / computing / waiting switch. opts.picker: a thread picker
    // element for the toolbar. opts.totalText(tree, settings): the
    // toolbar's summary of the whole tree. opts.rootLabel(tree): the root's
    // label. opts.onMissing(): called when a frame to reveal is filtered
    // out (should widen the filters).
    constructor(container, source, opts) {
      this.source = source;
      this.opts = opts || {};
      this.of = this.opts.of || 'total';
      this.info = this.opts.info || '';
      this.current = source.get(RG.settings);
      this.tree = this.current.tree;
      this.zoom = 0;
      this.sizeZoom = 0;
      this.view0 = 0;
      this.view1 = this.tree.total;
      this.hover = -1;
      this.mark = -1;
      this.markTimer = 0;
      this.found = null;       // result of tree.search, or null
      this.query = '';
      this.anim = 0;
      this.fitter = new RG.TextFitter(RG.FONT);
      this.container = container;

      const tree = this.tree;
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
        heights: this.heights.bind(this),
      });
      this.more = el('div', { className: 'rg-more', hidden: true },
        '\u25be Deeper stacks continue below, in frames too thin to see at this zoom: scroll inside ' +
        'the flamegraph, or click a frame to zoom in.');
      container.appendChild(this.more);
      this.surface.scroll.addEventListener('scroll', () => this.updateMore(), { passive: true });
      this.surface.refit();
      this.bindPointer();
      RG.onSettings(() => this.applySettings());
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
      const controls = [];
      if (this.opts.states) controls.push(RG.segmented('Show', [
        ['all', 'All time'], ['computing', 'Computing'], ['waiting', 'Waiting']],
        function () { return RG.settings.perfStates; },
        function (v) { RG.setSettings({ perfStates: v }); }));
      if (this.opts.picker) controls.push(this.opts.picker);
      if (this.source.foldable === null) this.source.get(RG.settings);
      if (this.source.foldable) controls.push(RG.foldSwitch());
      this.totalInfo = el('span', { className: 'rg-info' }, this.totalText());
      container.appendChild(el('div', { className: 'rg-toolbar' },
        this.resetButton, this.searchBox, this.matchInfo, controls,
        el('span', { className: 'rg-spacer' }), this.totalInfo));
    }

    // The toolbar's right-hand summary of the whole tree.
    totalText() {
      const tree = this.tree;
      if (this.opts.totalText) return this.opts.totalText(tree, RG.settings) + (this.info ? ' \u00b7 ' + this.info : '');
      return (tree.unit === 'bytes'
        ? 'total ' + RG.fmtBytes(tree.total) + ' at the peak'
        : 'total ' + tree.fmt(tree.total) + ' \u00b7 ' + RG.fmtCount(tree.total) + ' samples of ' +
          RG.fmtSeconds(tree.interval)) + (this.info ? ' \u00b7 ' + this.info : '');
    }

    rootLabel() {
      const t = this.tree;
      return this.opts.rootLabel ? this.opts.rootLabel(t) : 'all \u00b7 ' + t.fmt(t.total);
    }

    // ---- state -------------------------------------------------------------

    // The tree for the current settings, keeping the zoom on the same frame
    // (or the nearest one that is still there).
    applySettings() {
      if (!this.surface) return;
      const r = this.source.get(RG.settings);
      if (r === this.current) return;
      let orig = this.current.toOld[this.zoom];
      this.current = r;
      this.tree = r.tree;
      if (this.anim) { cancelAnimationFrame(this.anim); this.anim = 0; }
      let z = orig >= 0 ? r.toNew[orig] : 0;
      while (z < 0 && orig > 0) { orig = this.source.parent[orig]; z = r.toNew[orig]; }
      this.zoom = this.sizeZoom = z > 0 && r.tree.value[z] > 0 ? z : 0;
      this.view0 = this.tree.x[this.zoom];
      this.view1 = this.view0 + (this.tree.value[this.zoom] || 1);
      this.resetButton.disabled = this.zoom === 0;
      this.hover = -1;
      this.mark = -1;
      RG.tooltip.hide(this);
      this.fitter = new RG.TextFitter(RG.FONT);
      this.found = this.query ? this.tree.search(this.query) : null;
      this.showMatch();
      this.totalInfo.textContent = this.totalText();
      this.surface.refit();
    }

    setZoom(i) {
      const t = this.tree;
      if (i < 0 || i >= t.n || !(t.value[i] > 0)) return;
      this.zoom = i;
      this.resetButton.disabled = i === 0;
      // Grow the box before the animation, shrink it after.
      const W = this.surface.width;
      const was = this.sizeZoom;
      this.sizeZoom = i;
      const grow = this.heights(W)[1] > this.surface.height || this.heights(W)[0] > this.surface.contentHeight;
      if (grow) this.surface.refit(); else this.sizeZoom = was;
      this.animateTo(t.x[i], t.x[i] + t.value[i], grow ? null : () => {
        this.sizeZoom = i;
        this.surface.refit();
      });
    }

    // [content height, box height] at canvas width W when zoomed into
    // sizeZoom: the rows holding drawn frames (at least MIN_PX wide), and
    // the rows a reader can see (see above) within the window's height.
    heights(W) {
      const t = this.tree;
      const i = this.sizeZoom < t.n ? this.sizeZoom : 0;
      const key = W + ':' + i + ':' + (window.innerHeight || 800);
      if (this.sized && this.sized.tree === t && this.sized.key === key) return this.sized.h;
      const scale = W / (t.value[i] || 1);
      const cover = new Float64Array(t.maxDepth + 1);
      let deepest = t.depth[i];
      for (let j = i; j < t.end[i];) {
        const px = t.value[j] * scale;
        if (px < MIN_PX) { j = t.end[j]; continue; }
        if (t.depth[j] > deepest) deepest = t.depth[j];
        cover[t.depth[j]] += px;
        j++;
      }
      const need = Math.max(BOX_PX, BOX_SHARE * W);
      let seen = t.depth[i];
      for (let d = deepest; d > seen; d--) if (cover[d] >= need) { seen = d; break; }
      const cap = Math.max(ROW * 8, (window.innerHeight || 800) - 170);
      const h = [(deepest + 1) * ROW + 1, Math.min(cap, (seen + 1) * ROW + 1)];
      this.sized = { tree: t, key: key, h: h };
      return h;
    }

    updateMore() {
      const more = !!this.surface && this.surface.moreBelow();
      if (this.more.hidden === more) this.more.hidden = !more;
    }

    reset() {
      if (!this.surface) return;
      this.setZoom(0);
    }

    setSearch(query) {
      if (!this.surface) return;
      this.query = query.trim();
      this.found = this.query ? this.tree.search(this.query) : null;
      this.showMatch();
      this.surface.requestDraw();
    }

    showMatch() {
      if (!this.found) this.matchInfo.textContent = '';
      else if (!this.found.nodes) this.matchInfo.textContent = 'no match';
      else {
        this.matchInfo.textContent = 'matched: ' + RG.fmtPct(this.found.value / this.tree.total) +
          ' (' + this.tree.fmt(this.found.value) + ')';
      }
    }

    // Zooms to the frame of data node ORIG (a link's target) and outlines
    // it for a moment. Returns false when the frame is not in the tree.
    reveal(orig) {
      if (!this.surface) return false;
      let z = orig >= 0 && orig < this.current.toNew.length ? this.current.toNew[orig] : -1;
      if ((z < 0 || !(this.tree.value[z] > 0)) && this.opts.onMissing) {
        this.opts.onMissing();
        z = orig >= 0 && orig < this.current.toNew.length ? this.current.toNew[orig] : -1;
      }
      if (z < 0 || !(this.tree.value[z] > 0)) return false;
      if (z !== this.zoom) this.setZoom(z);
      this.mark = z;
      clearTimeout(this.markTimer);
      this.markTimer = setTimeout(() => { this.mark = -1; this.surface.requestOverlay(); }, MARK_MS);
      // Its row in view inside the box.
      const y = this.tree.depth[z] * ROW;
      const s = this.surface;
      if (y < s.scrollTop || y + ROW > s.scrollTop + s.height) s.scrollTo(y - ROW * 2);
      s.requestOverlay();
      return true;
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
      this.updateMore();
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
        const label = this.fitter.fit(ctx, i === 0 ? this.rootLabel() : t.label(i), w - 8);
        if (label) {
          ctx.fillStyle = text;
          ctx.fillText(label, a + 4, y + ROW / 2);
        }
      }
      ctx.globalAlpha = 1;
    }

    outline(ctx, i, W, scrollTop, color, width) {
      const t = this.tree;
      const scale = W / (this.view1 - this.view0);
      const a = Math.max(0, (t.x[i] - this.view0) * scale);
      const b = Math.min(W, (t.x[i] + t.value[i] - this.view0) * scale);
      if (b - a < MIN_PX) return;
      ctx.strokeStyle = color;
      ctx.lineWidth = width;
      ctx.strokeRect(a + width / 2, t.depth[i] * ROW - scrollTop + width / 2,
        Math.max(1, b - a - width - 0.5), ROW - width - 1);
    }

    drawHover(ctx, W, H, scrollTop) {
      if (this.mark >= 0 && this.mark < this.tree.n) this.outline(ctx, this.mark, W, scrollTop, '#0b5cad', 2.5);
      if (this.hover >= 0) this.outline(ctx, this.hover, W, scrollTop, '#1d2330', 1.5);
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

    // The tooltip's title lines for node I: its name, where, the source.
    describeFrame(i, out) {
      const t = this.tree;
      const f = t.frame[i];
      const fr = t.frames;
      if (i === 0) {
        out.push(el('div', { className: 'rg-tt-title' }, this.opts.rootLabel ? this.rootLabel() : 'all'));
        out.push(el('div', { className: 'rg-tt-muted' },
          t.unit === 'bytes' ? 'every callstack holding memory at the peak'
                             : 'every sample of every thread and process' +
                               (RG.settings.threads || RG.settings.perfStates !== 'all' ? ' shown' : '')));
        return;
      }
      out.push(el('div', { className: 'rg-tt-title' }, fr.name[f]));
      if (fr.kind[f] === RG.KIND_IMPORT) {
        out.push(el('div', { className: 'rg-tt-muted' },
          'the import system (importlib) importing this module, its frames folded into one; ' +
          'untick \u201cFold imports\u201d to see them'));
      }
      if (fr.where(f)) out.push(el('div', { className: 'rg-tt-file' }, fr.where(f)));
      if (fr.src[f]) out.push(el('div', { className: 'rg-tt-src' }, fr.src[f]));
    }

    // The tooltip's content for node I: DOM nodes holding text only.
    describe(i) {
      const t = this.tree;
      const v = t.value[i];
      const out = [];
      this.describeFrame(i, out);
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
        'computing ' + t.fmt(t.run[i]) + ' (' + RG.fmtPct(t.run[i] / v) + ') \u00b7 waiting ' +
        t.fmt(t.wait[i]) + ' (' + RG.fmtPct(t.wait[i] / v) + ')'));
      const reasons = t.breakdown(i).filter(function (e) { return e[0] !== '[running]'; });
      if (reasons.length > 1 || (reasons.length === 1 && reasons[0][0] !== '[waiting]')) {
        out.push(el('div', { className: 'rg-tt-row' }, 'waiting for: ', reasons.slice(0, 6).map(function (e, k) {
          const st = RG.stateInfo(RG.stateOfLabel(e[0]));
          return el('span', { className: 'rg-tt-reason' },
            el('span', { className: 'rg-tt-state', style: { background: st.color } }),
            st.label + ' ' + t.fmt(e[1]) + (k < Math.min(6, reasons.length) - 1 ? ', ' : ''));
        })));
      }
    }

    // ---- for tests and tools ---------------------------------------------

    state() {
      return {
        zoom: this.zoom, view: [this.view0, this.view1], hover: this.hover,
        animating: this.anim !== 0,
        search: this.found ? { nodes: this.found.nodes, value: this.found.value } : null,
        zoomData: this.current.toOld[this.zoom],
        box: this.surface ? this.surface.height : 0,
        content: this.surface ? this.surface.contentHeight : 0,
      };
    }

    // The rows the box shows and the rows drawn, at the current zoom.
    rows() {
      if (!this.surface) return null;
      const [content, box] = this.heights(this.surface.width);
      return { box: Math.round((box - 1) / ROW), content: Math.round((content - 1) / ROW), row: ROW };
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

  FlameGraphView.ROW = ROW;
  FlameGraphView.BOX_PX = BOX_PX;
  FlameGraphView.BOX_SHARE = BOX_SHARE;
  FlameGraphView.MIN_PX = MIN_PX;
  RG.FlameGraphView = FlameGraphView;
})(window.RG = window.RG || {});
