/* calltree.js — the frame table and the call-tree model shared by the
 * flamegraph views and the timeline.
 *
 * A tree arrives as columns (parent, frame, value) in pre-order, node 0 the
 * root (docs/internals.md section 2). It is laid out once into typed arrays:
 * x (left edge, in value units), depth, and end (one past the last node of
 * the subtree: pre-order keeps a subtree contiguous, so "skip this subtree"
 * is i = end[i]). Nodes of one depth, taken in pre-order, are already
 * sorted by x; rowNodes lists them per depth so a hit test is a binary
 * search in one row. */
(function (RG) {
  'use strict';

  const KIND_PYTHON = 0;
  const KIND_RUNNING = 1;
  const KIND_WAITING = 2;
  const KIND_LABEL = 3;      // [no Python stack], [allocator rounding]
  const KIND_IMPORT = 4;     // [import X]: a folded run of importlib frames (derive.js)

  const IMPORTLIB_FILES = ['<frozen importlib._bootstrap>', '<frozen importlib._bootstrap_external>'];

  // A qualified name as a label shows it: "deepcopy_list.<locals>.<listcomp>"
  // reads "deepcopy_list.<listcomp>".
  function shortName(name) {
    return name.indexOf('.<locals>.') >= 0 ? name.split('.<locals>.').join('.') : name;
  }

  function column(obj, key, n, fallback) {
    const a = obj && Array.isArray(obj[key]) ? obj[key] : [];
    const out = new Array(n);
    for (let i = 0; i < n; i++) out[i] = a[i] === undefined || a[i] === null ? fallback : a[i];
    return out;
  }

  class Frames {
    constructor(f) {
      const n = f && Array.isArray(f.name) ? f.name.length : 0;
      this.n = n;
      this.name = column(f, 'name', n, '?').map(String);
      this.file = column(f, 'file', n, '').map(String);
      this.line = Int32Array.from(column(f, 'line', n, 0), Number);
      this.src = column(f, 'src', n, '').map(function (s) { return String(s).trim(); });
      this.kind = Uint8Array.from(column(f, 'kind', n, 0), Number);
      this.labels = new Array(n);
      this.haystacks = null;
      this.importlib = null;    // per frame: 1 for the import machinery, built on first use
      this.added = new Map();   // frames added by add(): key -> index
    }

    // Appends a frame that is not in the data (an [import X] frame) or
    // returns the one already added with these columns.
    add(name, file, line, src, kind) {
      const key = kind + '\u0000' + name + '\u0000' + file + '\u0000' + line;
      const had = this.added.get(key);
      if (had !== undefined) return had;
      const f = this.n++;
      this.name.push(name);
      this.file.push(file);
      this.src.push(src);
      const grow = function (a, v) { const b = new a.constructor(a.length + 1); b.set(a); b[a.length] = v; return b; };
      this.line = grow(this.line, line);
      this.kind = grow(this.kind, kind);
      if (this.importlib) this.importlib = grow(this.importlib, 0);
      this.haystacks = null;
      this.added.set(key, f);
      return f;
    }

    // 1 for each frame of the import machinery (importlib's frozen modules).
    importlibFrames() {
      if (!this.importlib) {
        const a = this.importlib = new Uint8Array(this.n);
        for (let f = 0; f < this.n; f++) {
          a[f] = this.kind[f] === KIND_PYTHON && IMPORTLIB_FILES.indexOf(this.file[f]) >= 0 ? 1 : 0;
        }
      }
      return this.importlib;
    }

    // "file:line", or "" for frames without a file.
    where(f) {
      if (!this.file[f]) return '';
      return this.line[f] > 0 ? this.file[f] + ':' + this.line[f] : this.file[f];
    }

    // What a frame shows on the canvas: "function · source line" when the
    // line's text is known, else "function (file:line)" with the file's
    // basename; a state or label frame its name. The same on the report and
    // the comparison page.
    label(f) {
      let s = this.labels[f];
      if (s === undefined) {
        if (this.src[f]) s = shortName(this.name[f]) + ' \u00b7 ' + this.src[f];
        else if (this.file[f]) {
          s = shortName(this.name[f]) + ' (' + RG.basename(this.file[f]) +
              (this.line[f] > 0 ? ':' + this.line[f] : '') + ')';
        } else s = this.name[f];
        this.labels[f] = s;
      }
      return s;
    }

    // Frames whose name, file:line or source line contains QUERY (any case).
    search(query) {
      if (!this.haystacks) {
        this.haystacks = new Array(this.n);
        for (let f = 0; f < this.n; f++) {
          this.haystacks[f] = (this.name[f] + '\n' + this.where(f) + '\n' + this.src[f]).toLowerCase();
        }
      }
      const q = query.toLowerCase();
      const hit = new Uint8Array(this.n);
      for (let f = 0; f < this.n; f++) hit[f] = this.haystacks[f].indexOf(q) >= 0 ? 1 : 0;
      return hit;
    }
  }

  // Why columns PARENT, FRAME (N nodes) are not a tree in pre-order over
  // NFRAMES frames, or '': parents must come before their children, every
  // node must sit in its parent's subtree as pre-order requires, frames
  // must exist.
  function checkTree(parent, frame, n, nframes) {
    if (!(n > 0)) return 'the tree is empty';
    const stack = new Int32Array(n);
    let top = 0;
    stack[0] = 0;
    for (let i = 1; i < n; i++) {
      const p = parent[i];
      const f = frame[i];
      if (!(f >= 0 && f < nframes)) return 'node ' + i + ' names frame ' + f + ', which does not exist';
      while (top >= 0 && stack[top] !== p) top--;
      if (top < 0) return 'node ' + i + ' is not in pre-order under its parent ' + p;
      stack[++top] = i;
    }
    return '';
  }

  class CallTree {
    // frames: a Frames. t: {parent, frame, value}. unit: 'seconds' (values
    // are samples of `interval` seconds) or 'bytes'.
    constructor(frames, t, unit, interval) {
      this.frames = frames;
      this.unit = unit;
      this.interval = unit === 'bytes' ? 1 : (interval > 0 ? interval : 0.01);
      const n = Math.min(t.parent.length, t.frame.length, t.value.length);
      this.n = n;
      const parent = this.parent = new Int32Array(n);
      const frame = this.frame = new Int32Array(n);
      const value = this.value = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        parent[i] = t.parent[i];
        frame[i] = t.frame[i];
        const v = +t.value[i];
        value[i] = v > 0 && v < Infinity ? v : 0;
      }
      this.error = n > 0 ? this.check() : 'the tree is empty';
      if (this.error) this.n = n > 0 ? 1 : 0;
      this.total = this.n ? this.value[0] : 0;
      this.layout();
      this.classify();
      this.breakdownCache = new Map();
    }

    check() { return checkTree(this.parent, this.frame, this.n, this.frames.n); }

    layout() {
      const n = this.n;
      const parent = this.parent;
      const value = this.value;
      const x = this.x = new Float64Array(n);
      const depth = this.depth = new Int32Array(n);
      const end = this.end = new Int32Array(n);
      const next = new Float64Array(n);   // where the next child of a node goes
      let maxDepth = 0;
      for (let i = 1; i < n; i++) {
        const p = parent[i];
        x[i] = next[p];
        next[p] += value[i];
        next[i] = x[i];
        const d = depth[p] + 1;
        depth[i] = d;
        if (d > maxDepth) maxDepth = d;
      }
      for (let i = 0; i < n; i++) end[i] = i + 1;
      for (let i = n - 1; i > 0; i--) if (end[i] > end[parent[i]]) end[parent[i]] = end[i];
      this.maxDepth = maxDepth;

      const rowStart = this.rowStart = new Int32Array(maxDepth + 2);
      for (let i = 0; i < n; i++) rowStart[depth[i] + 1]++;
      for (let d = 0; d <= maxDepth; d++) rowStart[d + 1] += rowStart[d];
      const fill = rowStart.slice(0, maxDepth + 1);
      const rowNodes = this.rowNodes = new Int32Array(n);
      for (let i = 0; i < n; i++) rowNodes[fill[depth[i]]++] = i;
    }

    // Per node: how much of its value ended in [running] / [waiting...]
    // frames, and its colour: a state frame its state's colour; any other
    // frame a shade (level) by its share of the total, in the palette of
    // the share of its time that was computing (RG.computePalette) — all
    // warm in a memory tree, which has no states.
    classify() {
      const n = this.n;
      const kind = this.frames.kind;
      const run = this.run = new Float64Array(n);
      const wait = this.wait = new Float64Array(n);
      for (let i = n - 1; i > 0; i--) {
        const k = kind[this.frame[i]];
        if (k === KIND_RUNNING) run[i] += this.value[i];
        else if (k === KIND_WAITING) wait[i] += this.value[i];
        const p = this.parent[i];
        run[p] += run[i];
        wait[p] += wait[i];
      }
      const level = this.level = new Uint8Array(n);
      const pal = this.pal = new Array(n);
      const total = this.total || 1;
      const warm = RG.PALETTES.warm;
      for (let i = 0; i < n; i++) {
        level[i] = RG.heatLevel(this.value[i] / total);
        const k = i > 0 ? kind[this.frame[i]] : KIND_PYTHON;
        if (k === KIND_RUNNING || k === KIND_WAITING) {
          pal[i] = RG.stateInfo(RG.stateOfLabel(this.frames.name[this.frame[i]])).palette;
        } else {
          const timed = run[i] + wait[i];
          pal[i] = timed > 0 ? RG.computePalette(run[i] / timed) : warm;
        }
      }
    }

    // The palette node I is drawn in (its shade is level[i]).
    paletteOf(i) { return this.pal[i]; }

    // The share of node I's time that was computing (NaN without states).
    computeShare(i) {
      const t = this.run[i] + this.wait[i];
      return t > 0 ? this.run[i] / t : NaN;
    }

    kindOf(i) { return i > 0 ? this.frames.kind[this.frame[i]] : KIND_PYTHON; }

    label(i) {
      return i === 0 ? 'all' : this.frames.label(this.frame[i]);
    }

    // The node at depth D whose extent contains X, or -1.
    hit(d, x) {
      if (d < 0 || d > this.maxDepth) return -1;
      const lo = this.rowStart[d];
      const hi = this.rowStart[d + 1];
      const rowNodes = this.rowNodes;
      const xs = this.x;
      const k = RG.upperBound(lo, hi, x, function (j) { return xs[rowNodes[j]]; }) - 1;
      if (k < lo) return -1;
      const i = rowNodes[k];
      return x < xs[i] + this.value[i] ? i : -1;
    }

    isAncestor(a, i) { return a <= i && i < this.end[a]; }

    // Value not passed on to children.
    selfValue(i) {
      let sum = 0;
      for (let j = i + 1; j < this.end[i]; j = this.end[j]) sum += this.value[j];
      return Math.max(0, this.value[i] - sum);
    }

    // Where a node's time went, by state frame: [[label, value], ...],
    // largest first. Walks the subtree once per node, then cached.
    breakdown(i) {
      let r = this.breakdownCache.get(i);
      if (r) return r;
      const by = new Map();
      const kind = this.frames.kind;
      const stop = this.end[i];
      for (let j = i; j < stop; j++) {
        const k = j > 0 ? kind[this.frame[j]] : KIND_PYTHON;
        if (k === KIND_RUNNING || k === KIND_WAITING) {
          const name = this.frames.name[this.frame[j]];
          by.set(name, (by.get(name) || 0) + this.value[j]);
        }
      }
      r = Array.from(by.entries()).sort(function (a, b) { return b[1] - a[1]; });
      if (this.breakdownCache.size > 200) this.breakdownCache.clear();
      this.breakdownCache.set(i, r);
      return r;
    }

    // Search: per node 1 if its frame matches. `value` counts each matched
    // subtree once (a match inside a match is not added again).
    search(query) {
      const hitFrame = this.frames.search(query);
      const n = this.n;
      const match = new Uint8Array(n);
      let any = 0;
      for (let i = 1; i < n; i++) if (hitFrame[this.frame[i]]) { match[i] = 1; any++; }
      let value = 0;
      for (let i = 1; i < n;) {
        if (match[i]) { value += this.value[i]; i = this.end[i]; } else i++;
      }
      return { match: match, nodes: any, value: value };
    }

    fmt(v) { return RG.fmtValue(v, this.unit, this.interval); }
  }

  Object.assign(RG, {
    Frames: Frames, CallTree: CallTree, shortName: shortName, checkTree: checkTree,
    KIND_PYTHON: KIND_PYTHON, KIND_RUNNING: KIND_RUNNING, KIND_WAITING: KIND_WAITING,
    KIND_LABEL: KIND_LABEL, KIND_IMPORT: KIND_IMPORT,
  });
})(window.RG = window.RG || {});
