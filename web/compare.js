/* compare.js — the comparison page (`radiograph compare BASE NEW`).
 *
 * A comparison arrives as ONE tree per profile holding both sides' values
 * per node (columns parent, frame, base, new; docs/internals.md §4). A
 * DiffTree is that tree laid out by one side's values — drawn on the new
 * stacks, frames that vanished have no width; drawn on the base stacks they
 * do — and coloured by the change new - base: red grew, blue shrank, grey
 * unchanged, deeper for a larger change (relative to the largest change in
 * the tree, on the same square-root scale as the report's heat). Everything
 * else (layout, zoom, search, hit testing, import folding, labels) is the
 * report's flamegraph. Both sides' trees come from one set of columns, so a
 * node has the same index on both. */
(function (RG) {
  'use strict';

  const el = RG.el;
  const TOP = 8;             // entries per grew / shrank list

  function finite(a, i) {
    const v = a ? +a[i] : 0;
    return v > 0 && v < Infinity ? v : 0;
  }

  class DiffTree extends RG.CallTree {
    // t: {parent, frame, base, new}; unit 'seconds' (values in seconds),
    // 'samples' or 'bytes'; side: 'new' or 'base', the values it is drawn by.
    constructor(frames, t, unit, side) {
      const drawn = side === 'base' ? t.base : t.new;
      super(frames, { parent: t.parent, frame: t.frame, value: drawn && drawn.length !== undefined ? drawn : [] },
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

    // Value of node I not passed to its children, on the base and new side.
    selfOf(i) {
      let b = this.baseOf(i);
      let n = this.newOf(i);
      for (let j = i + 1; j < this.end[i]; j = this.end[j]) { b -= this.baseOf(j); n -= this.newOf(j); }
      return [Math.max(0, b), Math.max(0, n)];
    }

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
      const what = t.unit === 'bytes' ? 'memory held at the peak: '
        : t.unit === 'seconds' ? 'thread time (every thread, computing and waiting): ' : 'samples: ';
      return what + 'base ' + t.fmt(b) + ' \u2192 new ' + t.fmt(n) + ' \u00b7 ' +
        (b > 0 ? fmtPercent((n - b) / b * 100) : fmtChange(t, b, n));
    }

    describe(i) {
      const t = this.tree;
      const out = [];
      this.describeFrame(i, out);
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
      what: 'thread time (every thread\u2019s samples, computing and waiting)', nav: 'Time' },
    { key: 'memory', title: 'What changed at the peak?', sub: 'Differential peak-memory flamegraphs',
      what: 'memory held at the peak', nav: 'Memory at the peak' },
  ];

  // The stacks whose own value changed most, from the tree: for time,
  // computing ([running] leaves) and waiting apart, computing first — a GIL
  // wait that moved from one thread to another is not what the reader is
  // after. [{title, entries: [{node, base, new}]}].
  function changeLists(tree) {
    const kind = tree.frames.kind;
    const all = [];
    for (let i = 1; i < tree.n; i++) {
      const s = tree.selfOf(i);
      if (s[0] !== s[1]) all.push({ node: i, base: s[0], new: s[1], kind: kind[tree.frame[i]] });
    }
    all.sort(function (a, b) { return Math.abs(b.new - b.base) - Math.abs(a.new - a.base) || a.node - b.node; });
    const anyState = all.some(function (e) { return e.kind === RG.KIND_RUNNING || e.kind === RG.KIND_WAITING; });
    const groups = tree.unit === 'bytes' || !anyState
      ? [['Grew most', null, 1], ['Shrank most', null, -1]]
      : [['Computing: grew most', RG.KIND_RUNNING, 1], ['Computing: shrank most', RG.KIND_RUNNING, -1],
        ['Waiting: grew most', RG.KIND_WAITING, 1], ['Waiting: shrank most', RG.KIND_WAITING, -1]];
    return groups.map(function (g) {
      return {
        title: g[0],
        entries: all.filter(function (e) {
          return (g[1] === null || e.kind === g[1]) && (e.new - e.base) * g[2] > 0;
        }).slice(0, TOP),
      };
    });
  }

  // A list entry's label: the deepest frame that is not a state, and the
  // state (for time).
  function entryLabel(tree, i) {
    const k = tree.kindOf(i);
    if ((k === RG.KIND_RUNNING || k === RG.KIND_WAITING) && tree.parent[i] > 0) {
      const st = RG.stateInfo(RG.stateOfLabel(tree.frames.name[tree.frame[i]]));
      return tree.label(tree.parent[i]) + (k === RG.KIND_WAITING ? ' \u00b7 waiting: ' + st.label : '');
    }
    return tree.label(i);
  }

  function entryStack(tree, i) {
    const out = [];
    for (let a = i; a > 0; a = tree.parent[a]) out.push(tree.frames.name[tree.frame[a]]);
    return out.reverse().join('\n\u2192 ');
  }

  function topList(list, tree, onPick) {
    const ol = el('ol', { className: 'rg-top' });
    for (const e of list.entries) {
      const li = el('li', { title: entryStack(tree, e.node) },
        el('span', { className: 'rg-top-frame' }, entryLabel(tree, e.node)),
        el('span', { className: 'rg-top-change ' + (e.new > e.base ? 'rg-bad' : 'rg-good') },
          fmtChange(tree, e.base, e.new)));
      li.dataset.node = String(e.node);
      li.addEventListener('click', function () { onPick(e.node); });
      ol.appendChild(li);
    }
    if (!list.entries.length) ol.appendChild(el('li', { className: 'rg-top-none' }, 'none'));
    return el('div', { className: 'rg-top-box' }, el('h3', {}, list.title), ol);
  }

  // One before -> after figure, or null when neither side measured it.
  // NOTE says what the figure is.
  function figure(page, label, fig, fmt, note) {
    const b = fig ? fig.base : null;
    const n = fig ? fig.new : null;
    if ((b === null || b === undefined) && (n === null || n === undefined)) return null;
    const has = b !== null && b !== undefined && n !== null && n !== undefined;
    const value = has ? fmt(+b) + ' \u2192 ' + fmt(+n) : (b === null || b === undefined ? '\u2014' : fmt(+b)) +
      ' \u2192 ' + (n === null || n === undefined ? '\u2014' : fmt(+n));
    let pct = fig && fig.change_percent !== null && fig.change_percent !== undefined ? +fig.change_percent : NaN;
    if (!isFinite(pct) && has && +b > 0) pct = (n - b) / b * 100;
    const it = page.item(label, value, isFinite(pct) ? fmtPercent(pct) : 'not measured on both sides');
    const small = it.querySelector('small');
    if (isFinite(pct) && Math.abs(pct) >= 0.05) small.classList.add(pct > 0 ? 'rg-bad' : 'rg-good');
    if (note) it.querySelector('dd').appendChild(el('span', { className: 'rg-figure-note' }, note));
    return it;
  }

  function sideItem(page, label, s) {
    const argv = s && Array.isArray(s.command) ? s.command : [];
    const note = (s && s.path ? String(s.path) : '') + (s && s.start_time ? ' \u00b7 started ' + RG.fmtStart(s.start_time) : '');
    return page.item(label, argv.length ? page.shellJoin(argv) : String(s && s.path || '\u2014'), note,
      { className: 'rg-wide' });
  }

  // Sum of the [running] leaves of the tree, on both sides.
  function computingTime(tree) {
    let b = 0;
    let n = 0;
    for (let i = 1; i < tree.n; i++) {
      if (tree.kindOf(i) === RG.KIND_RUNNING) { b += tree.baseOf(i); n += tree.newOf(i); }
    }
    return { base: b, new: n, change_percent: b > 0 ? (n - b) / b * 100 : null };
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
    const nav = $('rg-nav').querySelector('nav');
    nav.replaceChildren(el('a', { href: '#rg-summary' }, 'Before \u2192 after'));
    const grid = $('rg-summary-grid');
    grid.classList.add('rg-compare-grid');
    grid.appendChild(sideItem(page, 'Base', c.base));
    grid.appendChild(sideItem(page, 'New', c.new));
    const frames = new RG.Frames(data.frames);
    const profiles = data.profiles || {};
    const perfData = profiles.performance;
    const sourceOf = function (t, unit, side) {
      return new RG.TreeSource(frames, t.parent, t.frame, [Array.isArray(t.base) ? t.base : [], Array.isArray(t.new) ? t.new : []],
        function (parent, frame, cols) {
          return new DiffTree(frames, { parent: parent, frame: frame, base: cols[0], new: cols[1] }, unit, side);
        });
    };
    const isTree = function (t) { return t && Array.isArray(t.parent) && Array.isArray(t.frame); };
    const unitOf = function (t) { return t.unit === 'bytes' || t.unit === 'samples' ? t.unit : 'seconds'; };
    const sources = {};
    for (const p of PROFILES) {
      const t = profiles[p.key];
      if (isTree(t)) sources[p.key] = { new: sourceOf(t, unitOf(t), 'new'), base: sourceOf(t, unitOf(t), 'base') };
    }
    const thread = c.performance && c.performance.unit === 'seconds' ? c.performance.total : null;
    const computing = perfData && sources.performance && unitOf(perfData) === 'seconds'
      ? computingTime(sources.performance.new.get({ foldImports: false, perfStates: 'all', threads: null }).tree) : null;
    RG.append(grid, [
      figure(page, 'Elapsed (wall)', c.elapsed_seconds, RG.fmtSeconds, 'wall-clock time of the run'),
      figure(page, 'CPU time', c.cpu_seconds, RG.fmtSeconds, 'as the kernel counted it, all processes'),
      figure(page, 'Thread time', thread, RG.fmtSeconds,
        'every thread\u2019s time added up, computing and waiting: several threads count several times ' +
        'over one second of wall time'),
      computing && computing.base + computing.new > 0
        ? figure(page, 'Computing', computing, RG.fmtSeconds, 'thread time that was computing ([running] samples)')
        : null,
      figure(page, 'Peak memory', c.peak_memory_bytes, RG.fmtBytes, 'all processes together')]);
    const notes = Array.isArray(c.notes) ? c.notes : [];
    if (notes.length) {
      const ul = $('rg-notes');
      for (const n of notes) ul.appendChild(el('li', {}, String(n)));
      ul.hidden = false;
    }
    $('rg-footer').textContent = 'radiograph ' + String(c.radiograph_version || '') +
      ' \u00b7 comparison \u00b7 this page works offline and loads nothing from the network';

    const views = { frames: frames };
    const footer = $('rg-footer');
    let any = false;
    for (const p of PROFILES) {
      const src = sources[p.key];
      if (!src) continue;
      any = true;
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
            : 'Frames are matched by function and file, not by line (edits move lines); a function ' +
              'seen at one line in the new run is labelled with that line. ') +
          'Hover for both values, click to zoom, search to highlight; click a line of the lists to ' +
          'zoom to its stack.'),
        tops,
        el('h3', { className: 'rg-view-title' }, 'Drawn on the new stacks'), newBox,
        el('h3', { className: 'rg-view-title' }, 'Drawn on the base stacks'), baseBox);
      footer.parentNode.insertBefore(section, footer);
      nav.appendChild(el('a', { href: '#' + section.id }, p.nav));
      const v = views[p.key] = {};
      v.new = page.mount(newBox.id, function (box) {
        return new DiffFlameGraphView(box, src.new, { of: 'new total' });
      });
      v.base = page.mount(baseBox.id, function (box) {
        return new DiffFlameGraphView(box, src.base, { of: 'base total' });
      });
      // A list line zooms both flamegraphs to its stack's last frame that
      // is not a state (the base one only, if it vanished).
      const pick = function (node) {
        const t = v.new ? v.new.tree : null;
        if (t && node > 0 && node < t.n && t.parent[node] > 0) {
          const k = t.kindOf(node);
          if (k === RG.KIND_RUNNING || k === RG.KIND_WAITING) node = t.parent[node];
        }
        let shown = null;
        for (const view of [v.new, v.base]) {
          if (view && view.surface && view.tree.value[node] > 0) {
            view.setZoom(node);
            view.mark = node;
            view.surface.requestOverlay();
            shown = shown || view;
          }
        }
        if (shown) shown.container.scrollIntoView({ block: 'nearest' });
      };
      const fillTops = function () {
        const tree = v.new ? v.new.tree : src.new.get(RG.settings).tree;
        tops.replaceChildren.apply(tops, changeLists(tree).map(function (l) { return topList(l, tree, pick); }));
      };
      fillTops();
      RG.onSettings(fillTops);
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
