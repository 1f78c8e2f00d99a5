/* renderer.js — the shared canvas renderer every view draws through.
 *
 * A Surface is a canvas that stays in view (position: sticky) inside a
 * vertically scrolling box whose scroll height is the view's content height,
 * so a view with thousands of rows scrolls natively while the canvas only
 * ever holds what is visible. The Surface owns devicePixelRatio, resizing
 * and requestAnimationFrame coalescing; a view supplies one draw function
 * drawing the rows between scrollTop and scrollTop + height.
 *
 * Also here: the one tooltip of the page and text fitting with ellipsis. */
(function (RG) {
  'use strict';

  const el = RG.el;

  class Surface {
    // parent: element to append to. opts.draw(ctx, width, height, scrollTop)
    // draws the content in CSS pixels; opts.overlay(ctx, ...) if given draws
    // what changes with the pointer (hover outline, cursor line) over a
    // cached copy of the content, so a pointer move costs one image copy.
    // opts.maxHeight() returns the tallest the visible part may be (CSS px);
    // or opts.heights(width) returns [content height, tallest visible part]
    // for that width, when both follow what fits across (a flamegraph's rows
    // depend on how wide its frames are drawn).
    // opts.cursor: 'pointer' (default) | 'crosshair' | 'plain'.
    constructor(parent, opts) {
      this.drawFn = opts.draw;
      this.overlayFn = opts.overlay || null;
      this.maxHeight = opts.maxHeight || function () { return 600; };
      this.heightsFn = opts.heights || null;
      this.scroll = el('div', { className: 'rg-canvas-scroll' });
      if (opts.cursor === 'crosshair') this.scroll.classList.add('rg-crosshair');
      if (opts.cursor === 'plain') this.scroll.classList.add('rg-plain');
      this.canvas = el('canvas');
      this.spacer = el('div');
      this.scroll.appendChild(this.canvas);
      this.scroll.appendChild(this.spacer);
      parent.appendChild(this.scroll);
      this.ctx = this.canvas.getContext('2d');
      if (this.overlayFn) {
        this.base = document.createElement('canvas');
        this.baseCtx = this.base.getContext('2d');
      }
      this.contentHeight = 1;
      this.width = 0;
      this.height = 0;
      this.dpr = 0;
      this.frame = 0;
      this.dirty = true;

      this.scroll.addEventListener('scroll', () => {
        RG.tooltip.hide();
        this.requestDraw();
      }, { passive: true });
      if (window.ResizeObserver) {
        new ResizeObserver(() => this.resize()).observe(this.scroll);
      }
      window.addEventListener('resize', () => this.resize());
    }

    get scrollTop() { return this.scroll.scrollTop; }

    // Recomputes the heights (opts.heights) and redraws.
    refit() { this.resize(true); }

    // Scrolls the content so that content y TOP is at the top of the view.
    scrollTo(top) { this.scroll.scrollTop = Math.max(0, top); }

    // Is there content below the visible part?
    moreBelow() { return this.scroll.scrollTop + this.height < this.contentHeight - 1; }

    // Sets the full height of the content (CSS px) and resizes to match.
    setContentHeight(h) {
      this.contentHeight = Math.max(1, Math.ceil(h));
      this.resize(true);
    }

    resize(force) {
      let width = this.scroll.clientWidth;
      let maxH;
      if (this.heightsFn) {
        const h = this.heightsFn(width);
        this.contentHeight = Math.max(1, Math.ceil(h[0]));
        maxH = h[1];
      } else maxH = this.maxHeight();
      const viewH = Math.max(1, Math.min(this.contentHeight, Math.floor(maxH)));
      const scrollH = viewH + 2;     // + the box's 1px borders
      if (this.scroll.style.height !== scrollH + 'px') this.scroll.style.height = scrollH + 'px';
      const spacerH = Math.max(0, this.contentHeight - viewH) + 'px';
      if (this.spacer.style.height !== spacerH) this.spacer.style.height = spacerH;
      width = this.scroll.clientWidth;   // a scroll bar may have come or gone
      const dpr = window.devicePixelRatio || 1;
      if (!force && width === this.width && viewH === this.height && dpr === this.dpr) return;
      this.width = width;
      this.height = viewH;
      this.dpr = dpr;
      for (const c of this.base ? [this.canvas, this.base] : [this.canvas]) {
        c.width = Math.max(1, Math.round(width * dpr));
        c.height = Math.max(1, Math.round(viewH * dpr));
      }
      this.canvas.style.height = viewH + 'px';
      this.drawNow();
    }

    // Redraw everything at the next animation frame.
    requestDraw() {
      this.dirty = true;
      this.schedule();
    }

    // Redraw only the overlay at the next animation frame.
    requestOverlay() {
      if (!this.overlayFn) this.dirty = true;
      this.schedule();
    }

    schedule() {
      if (!this.frame) this.frame = requestAnimationFrame(() => { this.frame = 0; this.paint(); });
    }

    drawNow() {
      this.dirty = true;
      if (this.frame) { cancelAnimationFrame(this.frame); this.frame = 0; }
      this.paint();
    }

    paint() {
      if (this.width <= 0) return;
      const w = this.width;
      const h = this.height;
      const top = this.scroll.scrollTop;
      const ctx = this.ctx;
      if (this.dirty) {
        this.dirty = false;
        const b = this.baseCtx || ctx;
        b.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
        b.clearRect(0, 0, w, h);
        this.drawFn(b, w, h, top);
      }
      if (this.overlayFn) {
        ctx.setTransform(1, 0, 0, 1, 0, 0);
        ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
        ctx.drawImage(this.base, 0, 0);
        ctx.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
        this.overlayFn(ctx, w, h, top);
      }
    }

    // The pointer's position in CSS px relative to the canvas's top left.
    point(ev) {
      const r = this.canvas.getBoundingClientRect();
      return { x: ev.clientX - r.left, y: ev.clientY - r.top };
    }
  }

  // Fits text into a width, cutting it with an ellipsis. Measurements are
  // cached per string and per (string, pixel width) since the same labels
  // are fitted on every redraw.
  class TextFitter {
    constructor(font) {
      this.font = font;
      this.widths = new Map();
      this.fitted = new Map();
    }

    width(ctx, s) {
      let w = this.widths.get(s);
      if (w === undefined) {
        if (this.widths.size > 100000) this.widths.clear();
        w = ctx.measureText(s).width;
        this.widths.set(s, w);
      }
      return w;
    }

    // ctx.font must already be this.font.
    fit(ctx, s, maxW) {
      if (maxW < 8 || !s) return '';
      if (this.width(ctx, s) <= maxW) return s;
      const key = Math.floor(maxW) + '\u0000' + s;
      let r = this.fitted.get(key);
      if (r !== undefined) return r;
      const ell = this.width(ctx, '\u2026');
      let lo = 0;
      let hi = s.length;
      while (lo < hi) {
        const mid = (lo + hi + 1) >>> 1;
        if (ctx.measureText(s.slice(0, mid)).width + ell <= maxW) lo = mid; else hi = mid - 1;
      }
      const c = s.charCodeAt(lo - 1);
      if (c >= 0xd800 && c <= 0xdbff) lo--;   // never split a surrogate pair
      r = lo > 0 ? s.slice(0, lo) + '\u2026' : '';
      if (this.fitted.size > 20000) this.fitted.clear();
      this.fitted.set(key, r);
      return r;
    }
  }

  // The page's single tooltip: content is built by the view as DOM nodes
  // (text only), placed near the pointer and kept inside the window.
  const tooltip = {
    node: null,
    owner: null,

    show(owner, clientX, clientY, children) {
      const node = this.node || (this.node = document.getElementById('rg-tooltip'));
      if (!node) return;
      this.owner = owner;
      node.replaceChildren();
      RG.append(node, children);
      node.hidden = false;
      this.move(clientX, clientY);
    },

    move(clientX, clientY) {
      const node = this.node;
      if (!node || node.hidden) return;
      const w = node.offsetWidth;
      const h = node.offsetHeight;
      const vw = document.documentElement.clientWidth;
      const vh = document.documentElement.clientHeight;
      let x = clientX + 16;
      let y = clientY + 18;
      if (x + w > vw - 8) x = Math.max(8, clientX - 16 - w);
      if (y + h > vh - 8) y = Math.max(8, clientY - 12 - h);
      node.style.left = x + 'px';
      node.style.top = y + 'px';
    },

    hide(owner) {
      if (!this.node || (owner && owner !== this.owner)) return;
      this.node.hidden = true;
      this.owner = null;
    },

    text() { return this.node && !this.node.hidden ? this.node.textContent : ''; },
  };

  // A toolbar button.
  function button(label, onClick) {
    const b = el('button', { type: 'button', className: 'rg-button' }, label);
    b.addEventListener('click', onClick);
    return b;
  }

  // A row of toggle buttons for one setting: OPTIONS [[value, label], ...],
  // GET() the current value, SET(value) on a click.
  function segmented(label, options, get, set) {
    const buttons = options.map(function (o) {
      const b = el('button', { type: 'button', className: 'rg-seg-button' }, o[1]);
      b.dataset.value = o[0];
      b.addEventListener('click', function () { set(o[0]); });
      return b;
    });
    const box = el('span', { className: 'rg-seg', role: 'group' }, buttons);
    box.setAttribute('aria-label', label);
    const update = function () {
      for (const b of buttons) b.setAttribute('aria-pressed', String(b.dataset.value === get()));
    };
    update();
    RG.onSettings(update);
    return box;
  }

  // The "Fold imports" switch: one setting for every view of the page.
  function foldSwitch() {
    const box = el('input', { type: 'checkbox', className: 'rg-fold', checked: RG.settings.foldImports });
    box.addEventListener('change', function () { RG.setSettings({ foldImports: box.checked }); });
    RG.onSettings(function (s) { box.checked = s.foldImports; });
    const label = el('label', { className: 'rg-switch', title: 'Show each run of the import system\u2019s ' +
      'frames (importlib) as one [import module] frame' }, box, 'Fold imports');
    return label;
  }

  // The thread picker: a drop-down of checkboxes, one per thread grouped
  // by process, and "all" / "hide idle threads"; it sets RG.settings.threads
  // (null: all). PROCS: [{label, threads: [{key, label, idle}]}].
  function threadPicker(procs) {
    const all = [];
    for (const p of procs) for (const t of p.threads) all.push(t);
    const summary = el('summary', { className: 'rg-button' });
    const boxes = new Map();
    const procBoxes = [];
    const panel = el('div', { className: 'rg-picker-panel' });
    const pick = function (keys) {
      RG.setSettings({ threads: keys.length === all.length ? null : new Set(keys) });
    };
    const busy = all.filter(function (t) { return !t.idle; });
    panel.appendChild(el('div', { className: 'rg-picker-actions' },
      button('All threads', function () { pick(all.map(function (t) { return t.key; })); }),
      busy.length && busy.length < all.length
        ? button('Hide idle threads', function () { pick(busy.map(function (t) { return t.key; })); })
        : null));
    for (const p of procs) {
      const pbox = el('input', { type: 'checkbox' });
      procBoxes.push([pbox, p]);
      pbox.addEventListener('change', function () {
        const keep = new Set(RG.settings.threads || all.map(function (t) { return t.key; }));
        for (const t of p.threads) { if (pbox.checked) keep.add(t.key); else keep.delete(t.key); }
        pick(Array.from(keep));
      });
      panel.appendChild(el('label', { className: 'rg-picker-proc' }, pbox, p.label));
      for (const t of p.threads) {
        const tbox = el('input', { type: 'checkbox' });
        boxes.set(t.key, tbox);
        tbox.addEventListener('change', function () {
          const keep = new Set(RG.settings.threads || all.map(function (x) { return x.key; }));
          if (tbox.checked) keep.add(t.key); else keep.delete(t.key);
          pick(Array.from(keep));
        });
        panel.appendChild(el('label', { className: 'rg-picker-thread' + (t.idle ? ' rg-idle' : '') }, tbox, t.label));
      }
    }
    const details = el('details', { className: 'rg-picker' }, summary, panel);
    const update = function () {
      const sel = RG.settings.threads;
      const n = sel ? all.filter(function (t) { return sel.has(t.key); }).length : all.length;
      summary.textContent = (n === all.length ? 'Threads: all ' : 'Threads: ' + n + ' of ') + all.length + ' \u25be';
      for (const [key, b] of boxes) b.checked = !sel || sel.has(key);
      for (const [b, p] of procBoxes) {
        const on = p.threads.filter(function (t) { return !sel || sel.has(t.key); }).length;
        b.checked = on === p.threads.length;
        b.indeterminate = on > 0 && on < p.threads.length;
      }
    };
    update();
    RG.onSettings(update);
    document.addEventListener('click', function (ev) {
      if (details.open && !details.contains(ev.target)) details.open = false;
    });
    return details;
  }

  Object.assign(RG, {
    Surface: Surface, TextFitter: TextFitter, tooltip: tooltip, button: button,
    segmented: segmented, foldSwitch: foldSwitch, threadPicker: threadPicker,
  });
})(window.RG = window.RG || {});
