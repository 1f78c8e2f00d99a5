/* compare.js — the comparison page (`radiograph compare BASE NEW`).
 *
 * A comparison arrives as ONE tree per profile holding both sides' values
 * per node (columns parent, frame, base, new; docs/internals.md §4). A
 * DiffTree is that tree laid out by one side's values — drawn on the new
 * stacks, frames that vanished have no width; drawn on the base stacks they
 * do — and coloured by the change new - base: red grew, blue shrank, grey
 * unchanged, deeper for a larger change (relative to the largest change in
 * the tree, on the same square-root scale as the report's heat). Everything
 * else (layout, zoom, search, hit testing) is the report's flamegraph. */
(function (RG) {
  'use strict';

  const el = RG.el;

  function finite(a, i) {
    const v = a ? +a[i] : 0;
    return v > 0 && v < Infinity ? v : 0;
  }

  class DiffTree extends RG.CallTree {
    // t: {parent, frame, base, new}; unit 'seconds' (values in seconds),
    // 'samples' or 'bytes'; side: 'new' or 'base', the values it is drawn by.
    constructor(frames, t, unit, side) {
      const drawn = side === 'base' ? t.base : t.new;
      super(frames, { parent: t.parent, frame: t.frame, value: Array.isArray(drawn) ? drawn : [] },
        unit, 1);
      this.side = side;
      const otherCol = side === 'base' ? t.new : t.base;
      const n = this.n;
      const other = this.other = new Float64Array(n);
      for (let i = 0; i < n; i++) other[i] = finite(otherCol, i);
      this.otherTotal = n ? other[0] : 0;
      this.classifyDiff();
    }

    baseOf(i) { return this.side === 'base' ? this.value[i] : this.other[i]; }
    newOf(i) { return this.side === 'base' ? this.other[i] : this.value[i]; }

    classifyDiff() {
      const n = this.n;
      const sign = this.sign = new Int8Array(n);
      let maxAbs = 0;
      for (let i = 1; i < n; i++) {
        const d = this.newOf(i) - this.baseOf(i);
        if (Math.abs(d) > maxAbs) maxAbs = Math.abs(d);
      }
      // changes below a millionth of the larger side are float noise
      const eps = Math.max(this.total, this.otherTotal) * 1e-6;
      for (let i = 0; i < n; i++) {
        const d = this.newOf(i) - this.baseOf(i);
        sign[i] = Math.abs(d) <= eps ? 0 : d > 0 ? 1 : -1;
        this.level[i] = sign[i] && maxAbs > 0 ? RG.heatLevel(Math.abs(d) / maxAbs) : 0;
      }
    }

    paletteOf(i) {
      const s = this.sign[i];
      return s > 0 ? RG.PALETTES.grew : s < 0 ? RG.PALETTES.shrank : RG.PALETTES.same;
    }
  }

  // "+0.74 s (+81%)", "vanished", "new": the change of a node in words.
  function fmtChange(tree, b, n) {
    const d = n - b;
    const sign = d > 0 ? '+' : d < 0 ? '\u2212' : '\u00b1';
    const abs = tree.fmt(Math.abs(d));
    if (b === 0 && n === 0) return 'no change';
    if (b === 0) return 'new: ' + sign + abs;
    if (n === 0) return 'vanished: ' + sign + abs;
    return sign + abs + ' (' + fmtPercent((n - b) / b * 100) + ')';
  }

  function fmtPercent(p) {
    if (p === null || p === undefined || !isFinite(p)) return '\u2014';
    const s = Math.abs(p) >= 100 ? Math.abs(p).toFixed(0) : Math.abs(p).toFixed(1);
    return (p > 0 ? '+' : p < 0 ? '\u2212' : '\u00b1') + s + '%';
  }

  class DiffFlameGraphView extends RG.FlameGraphView {
    totalText() {
      const t = this.tree;
      const b = t.side === 'base' ? t.total : t.otherTotal;
      const n = t.side === 'base' ? t.otherTotal : t.total;
      return 'base ' + t.fmt(b) + ' \u2192 new ' + t.fmt(n) + ' \u00b7 ' +
        (b > 0 ? fmtPercent((n - b) / b * 100) : fmtChange(t, b, n));
    }

    describe(i) {
      const t = this.tree;
      const fr = t.frames;
      const f = t.frame[i];
      const out = [];
      if (i === 0) {
        out.push(el('div', { className: 'rg-tt-title' }, 'all'));
      } else {
        out.push(el('div', { className: 'rg-tt-title' }, fr.name[f]));
        if (fr.where(f)) out.push(el('div', { className: 'rg-tt-file' }, fr.where(f)));
        if (fr.src[f]) out.push(el('div', { className: 'rg-tt-src' }, fr.src[f]));
      }
      const b = t.baseOf(i), n = t.newOf(i);
      out.push(el('div', { className: 'rg-tt-big' }, 'base ' + t.fmt(b) + ' \u2192 new ' + t.fmt(n)));
      out.push(el('div', { className: 'rg-tt-row' + (t.sign[i] > 0 ? ' rg-bad' : t.sign[i] < 0 ? ' rg-good' : '') },
        fmtChange(t, b, n)));
      out.push(el('div', { className: 'rg-tt-muted' },
        RG.fmtPct(t.value[i] / t.total) + ' of the ' + t.side + ' total'));
      if (this.zoom > 0 && i !== this.zoom && t.isAncestor(this.zoom, i)) {
        out.push(el('div', { className: 'rg-tt-row' },
          RG.fmtPct(t.value[i] / t.value[this.zoom]) + ' of the zoomed frame'));
      }
      if (i !== this.zoom) out.push(el('div', { className: 'rg-tt-muted' }, 'click to zoom in'));
      return out;
    }
  }

  // ---- the page ----------------------------------------------------------

  const PROFILES = [
    { key: 'performance', title: 'What changed in the time?', sub: 'Differential performance flamegraphs',
      what: 'time (every sample of every thread and process)' },
    { key: 'memory', title: 'What changed at the peak?', sub: 'Differential peak-memory flamegraphs',
      what: 'memory held at the peak' },
  ];

  // "f (job.py)" for the folded label "f (/path/job.py:12)".
  function shortLabel(s) {
    const m = /^(.*?) \((.*)\)$/.exec(s);
    return m ? m[1] + ' (' + RG.basename(m[2]) + ')' : s;
  }

  function topList(title, entries, unit, onPick) {
    const tree = { fmt: function (v) { return RG.fmtValue(v, unit, 1); } };
    const ol = el('ol', { className: 'rg-top' });
    for (const e of entries) {
      const stack = Array.isArray(e.stack) ? e.stack.map(String) : [];
      let k = stack.length - 1;
      while (k > 0 && /^\[/.test(stack[k])) k--;    // the deepest frame that is not a state
      const leaf = stack.slice(k).map(shortLabel).join(' \u00b7 ');
      const li = el('li', { title: stack.join('\n\u2192 ') },
        el('span', { className: 'rg-top-frame' }, leaf || '?'),
        el('span', { className: 'rg-top-change ' + (e.change > 0 ? 'rg-bad' : 'rg-good') },
          fmtChange(tree, +e.base || 0, +e.new || 0)));
      if (k >= 0 && stack[k]) li.addEventListener('click', function () { onPick(stack[k]); });
      ol.appendChild(li);
    }
    if (!entries.length) ol.appendChild(el('li', { className: 'rg-top-none' }, 'none'));
    return el('div', { className: 'rg-top-box' }, el('h3', {}, title), ol);
  }

  // One before -> after figure, or null when neither side measured it.
  function figure(page, label, fig, fmt, extra) {
    const b = fig ? fig.base : null;
    const n = fig ? fig.new : null;
    if ((b === null || b === undefined) && (n === null || n === undefined)) return null;
    const has = b !== null && b !== undefined && n !== null && n !== undefined;
    const value = has ? fmt(+b) + ' \u2192 ' + fmt(+n) : (b === null || b === undefined ? '\u2014' : fmt(+b)) +
      ' \u2192 ' + (n === null || n === undefined ? '\u2014' : fmt(+n));
    const pct = fig && fig.change_percent !== null && fig.change_percent !== undefined ? +fig.change_percent : NaN;
    const it = page.item(label, value, isFinite(pct) ? fmtPercent(pct) + (extra || '') : 'not measured on both sides');
    if (isFinite(pct) && Math.abs(pct) >= 0.05) it.querySelector('small').classList.add(pct > 0 ? 'rg-bad' : 'rg-good');
    return it;
  }

  function sideItem(page, label, s) {
    const argv = s && Array.isArray(s.command) ? s.command : [];
    const note = (s && s.path ? String(s.path) : '') + (s && s.start_time ? ' \u00b7 started ' + s.start_time : '');
    return page.item(label, argv.length ? page.shellJoin(argv) : String(s && s.path || '\u2014'), note,
      { className: 'rg-wide' });
  }

  // Builds the comparison page from DATA into the report's template; PAGE
  // holds main.js's helpers (item, banner, mount, shellJoin). Returns the
  // views, for tests and Escape.
  function renderComparison(data, page) {
    const c = data.comparison || {};
    const $ = function (id) { return document.getElementById(id); };
    $('rg-title').textContent = 'What changed? ' + String(c.base && c.base.path || 'base') + ' \u2192 ' +
      String(c.new && c.new.path || 'new');
    for (const id of ['rg-perf', 'rg-timeline', 'rg-memory', 'rg-memseries']) $(id).hidden = true;
    $('rg-summary').querySelector('h2').textContent = 'Before \u2192 after';
    const grid = $('rg-summary-grid');
    grid.classList.add('rg-compare-grid');
    grid.appendChild(sideItem(page, 'Base', c.base));
    grid.appendChild(sideItem(page, 'New', c.new));
    RG.append(grid, [figure(page, 'Elapsed (wall)', c.elapsed_seconds, RG.fmtSeconds),
      figure(page, 'CPU time', c.cpu_seconds, RG.fmtSeconds),
      figure(page, 'Peak memory', c.peak_memory_bytes, RG.fmtBytes)]);
    const notes = Array.isArray(c.notes) ? c.notes : [];
    if (notes.length) {
      const ul = $('rg-notes');
      for (const n of notes) ul.appendChild(el('li', {}, String(n)));
      ul.hidden = false;
    }
    $('rg-footer').textContent = 'radiograph ' + String(c.radiograph_version || '') +
      ' \u00b7 comparison \u00b7 this page works offline and loads nothing from the network';

    const frames = new RG.Frames(data.frames);
    const views = { frames: frames };
    const footer = $('rg-footer');
    const profiles = data.profiles || {};
    let any = false;
    for (const p of PROFILES) {
      const t = profiles[p.key];
      const info = c[p.key];
      if (!t || !Array.isArray(t.parent) || !Array.isArray(t.frame)) continue;
      any = true;
      const unit = t.unit === 'bytes' || t.unit === 'samples' ? t.unit : 'seconds';
      const newBox = el('div', { className: 'rg-view', id: 'rg-' + p.key + '-new-view' });
      const baseBox = el('div', { className: 'rg-view', id: 'rg-' + p.key + '-base-view' });
      const tops = el('div', { className: 'rg-tops' });
      const section = el('section', { className: 'rg-section', id: 'rg-' + p.key + '-diff' },
        el('h2', {}, p.title, ' ', el('span', { className: 'rg-sub' }, p.sub)),
        el('p', { className: 'rg-help' },
          'The same flamegraph as in a report, for ' + p.what + ', coloured by what changed from base to ' +
          'new: ', el('span', { className: 'rg-chip rg-chip-grew' }, 'red grew'), ', ',
          el('span', { className: 'rg-chip rg-chip-shrank' }, 'blue shrank'), ', ',
          el('span', { className: 'rg-chip rg-chip-same' }, 'grey unchanged'),
          '; the deeper the colour, the larger the change. The first is drawn on the new run\u2019s ' +
          'stacks (widths are the new values), the second on the base run\u2019s, so what vanished is ' +
          'still there to see. ' + (c.match === 'line' ? 'Frames are matched by function and line. '
            : 'Frames are matched by function and file, not by line (edits move lines). ') +
          'Hover for both values, click to zoom, search to highlight.'),
        tops,
        el('h3', { className: 'rg-view-title' }, 'Drawn on the new stacks'), newBox,
        el('h3', { className: 'rg-view-title' }, 'Drawn on the base stacks'), baseBox);
      footer.parentNode.insertBefore(section, footer);
      const v = views[p.key] = {};
      v.new = page.mount(newBox.id, function (box) {
        return new DiffFlameGraphView(box, new DiffTree(frames, t, unit, 'new'), { of: 'new total' });
      });
      v.base = page.mount(baseBox.id, function (box) {
        return new DiffFlameGraphView(box, new DiffTree(frames, t, unit, 'base'), { of: 'base total' });
      });
      const pick = function (label) {
        const m = /^(.*?) \(/.exec(label);
        const q = m ? m[1] : label;
        for (const view of [v.new, v.base]) {
          if (view && view.searchBox) {
            view.searchBox.value = q;
            view.setSearch(q);
          }
        }
        newBox.scrollIntoView({ block: 'nearest' });
      };
      if (info) {
        tops.appendChild(topList('Grew most', Array.isArray(info.grew) ? info.grew : [], unit, pick));
        tops.appendChild(topList('Shrank most', Array.isArray(info.shrank) ? info.shrank : [], unit, pick));
      }
    }
    if (!any) {
      page.banner('warn', 'Nothing to draw.', 'Neither profile is present on both sides of this comparison.');
    }
    return views;
  }

  Object.assign(RG, {
    DiffTree: DiffTree, DiffFlameGraphView: DiffFlameGraphView, renderComparison: renderComparison,
  });
})(window.RG = window.RG || {});
