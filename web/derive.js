/* derive.js — the trees the views draw, derived from the data's trees for
 * what the page is set to show (RG.settings): the import machinery folded,
 * and, for the performance tree, the samples of some threads or of one kind
 * of state only.
 *
 * Folding: a run of importlib frames (`<frozen importlib._bootstrap>` and
 * `_bootstrap_external`) becomes one frame `[import X]`, X the module being
 * imported — from the `<module>` frame the run leads into (its file names
 * the module: .../site-packages/numpy/core/__init__.py is numpy.core), or,
 * where the run ends without one (time in the import system itself), from
 * the importing line's text (`import numpy as np`). Sibling runs that fold
 * to the same module merge, so the result is rebuilt as a trie: each node
 * of the data maps to the node of its folded path, self values are added
 * there, and the trie is written out in pre-order with siblings by name,
 * like the data. Filtering is the same rebuild with other self values
 * (the chosen threads' tallies, the chosen states' leaves), leaving out
 * what ends up with nothing. The files on disk are never folded.
 *
 * Each derived tree comes with toNew (data node -> derived node, -1 when
 * left out) and toOld (derived node -> one data node it stands for), so a
 * zoom, a link or a timeline span given in data nodes finds its frame. */
(function (RG) {
  'use strict';

  const KEY = 67108864;      // 2^26: trie keys are parent * KEY + frame, exact in a double

  function tail(path, marker) {
    const i = path.lastIndexOf(marker);
    return i >= 0 ? path.slice(i + marker.length) : null;
  }

  // {module, pkg} of a file under site-packages, dist-packages or the
  // standard library (pkg: the package a relative import in it starts
  // from), or null for the program's own files.
  function libraryModule(file) {
    let m = /^<frozen ([\w.]+)>$/.exec(file);
    if (m) return { module: m[1], pkg: m[1].replace(/\.[^.]*$/, '') };
    let rest = tail(file, '/site-packages/');
    if (rest === null) rest = tail(file, '/dist-packages/');
    if (rest === null) {
      m = /\/lib(?:64)?\/python\d+(?:\.\d+)?t?\/(.+)$/.exec(file);
      rest = m ? m[1] : null;
    }
    if (rest === null || !/\.py[cw]?$/.test(rest)) return null;
    const parts = rest.replace(/\.py[cw]?$/, '').split('/');
    const init = parts[parts.length - 1] === '__init__';
    if (init) parts.pop();
    if (!parts.length || !parts.every(function (p) { return /^\w+$/.test(p); })) return null;
    const module = parts.join('.');
    return { module: module, pkg: init ? module : parts.slice(0, -1).join('.') };
  }

  // The module an own file is: its name, or its folder's for __init__.py.
  function ownModule(file) {
    const parts = file.split(/[\\/]/);
    let base = (parts.pop() || '').replace(/\.py[cw]?$/, '');
    if (base === '__init__') base = parts.pop() || base;
    return base;
  }

  // The modules a line of source imports, as shown in [import X]: "numpy"
  // for `import numpy as np`, "json, os" for `import json, os`, "a.b" for
  // `from a.b import c`, a relative import resolved from FILE's package;
  // null when the line is not an import.
  function importedBy(src, file) {
    let m = /^\s*import\s+([\w.]+(?:\s+as\s+\w+)?(?:\s*,\s*[\w.]+(?:\s+as\s+\w+)?)*)/.exec(src);
    if (m) return m[1].split(',').map(function (s) { return s.trim().split(/\s+/)[0]; }).join(', ');
    m = /^\s*from\s+(\.*)([\w.]*)\s+import\s+\(?\s*(\w+)/.exec(src);
    if (m) {
      if (!m[1]) return m[2] || null;
      const lib = libraryModule(file);
      const base = (lib ? lib.pkg : '').split('.').filter(Boolean);
      base.length = Math.max(0, base.length - (m[1].length - 1));
      const name = m[2] || m[3];
      return base.length ? base.join('.') + '.' + name : name;
    }
    m = /(?:import_module|__import__)\(\s*['"]([\w.]+)['"]/.exec(src);
    return m ? m[1] : null;
  }

  // Self values (not passed on to children) of an inclusive column.
  function selfValues(parent, inclusive) {
    const n = parent.length;
    const self = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const v = +inclusive[i];
      self[i] = v > 0 && v < Infinity ? v : 0;
    }
    for (let i = n - 1; i > 0; i--) self[parent[i]] -= +inclusive[i] > 0 ? +inclusive[i] : 0;
    for (let i = 0; i < n; i++) if (self[i] < 0) self[i] = 0;
    return self;
  }

  function hasImportlib(frames, frame) {
    const imp = frames.importlibFrames();
    for (let i = 1; i < frame.length; i++) if (imp[frame[i]]) return true;
    return false;
  }

  // The rebuild. FRAMES: RG.Frames (gains [import X] frames); PARENT, FRAME:
  // the data tree's columns in pre-order; SELFS: self values per node, one
  // Float64Array per value column; FOLD: fold the import machinery. Returns
  // {parent, frame, values (inclusive, per column), toNew, toOld}.
  function derive(frames, parent, frame, selfs, fold) {
    const n = parent.length;
    const imp = fold ? frames.importlibFrames() : null;
    const ncol = selfs.length;
    // The trie. A node's children are a linked list; only a node that more
    // than one data node maps to (or an [import X] node, or the parent of
    // one) can be asked for a child it may already have, so only those keep
    // their children in the map too: elsewhere a data node's children have
    // distinct frames and each simply gets a new node.
    let cap = n + 16;
    let tParent = new Int32Array(cap);
    let tFrame = new Int32Array(cap);
    let tFirst = new Int32Array(cap);
    let tNext = new Int32Array(cap);
    let tShared = new Uint8Array(cap);
    let tSelf = selfs.map(function () { return new Float64Array(cap); });
    let tn = 1;
    tParent[0] = -1;
    tFrame[0] = -1;
    tFirst[0] = -1;
    const kids = new Map();
    const make = function (dp, f) {
      if (tn === cap) {
        cap *= 2;
        const grow = function (a) { const b = new a.constructor(cap); b.set(a); return b; };
        tParent = grow(tParent);
        tFrame = grow(tFrame);
        tFirst = grow(tFirst);
        tNext = grow(tNext);
        tShared = grow(tShared);
        tSelf = tSelf.map(grow);
      }
      const c = tn++;
      tParent[c] = dp;
      tFrame[c] = f;
      tFirst[c] = -1;
      tNext[c] = tFirst[dp];
      tFirst[dp] = c;
      if (tShared[dp]) kids.set(dp * KEY + f, c);
      return c;
    };
    const share = function (c) {
      if (tShared[c]) return;
      tShared[c] = 1;
      for (let k = tFirst[c]; k >= 0; k = tNext[k]) kids.set(c * KEY + tFrame[k], k);
    };
    // The child of DP for frame F: new, unless DP is shared and has it.
    const child = function (dp, f) {
      if (!tShared[dp]) return make(dp, f);
      const c = kids.get(dp * KEY + f);
      if (c === undefined) return make(dp, f);
      share(c);                              // a second data node maps to it
      return c;
    };
    const d = new Int32Array(n);           // data node -> trie node; -1 inside a run
    const runOf = new Int32Array(n).fill(-1);  // inside a run: the run's first node
    const led = new Map();                 // run's first node -> the first module it leads into
    const moduleOf = function (file) {
      const lib = libraryModule(file);
      return lib ? lib.module : ownModule(file);
    };
    if (imp) {
      for (let i = 1; i < n; i++) {
        const p = parent[i];
        const f = frame[i];
        if (imp[f]) runOf[i] = runOf[p] >= 0 ? runOf[p] : i;
        else if (runOf[p] >= 0 && !led.has(runOf[p]) && frames.name[f] === '<module>' &&
                 frames.kind[f] === RG.KIND_PYTHON) led.set(runOf[p], moduleOf(frames.file[f]));
      }
    }
    const named = new Map();               // run's first node -> the modules it imports
    const importFrame = function (x) {
      if (frames.n >= KEY) throw new Error('too many frames to fold');
      return frames.add('[import' + (x ? ' ' + x : '') + ']', '', 0, '', RG.KIND_IMPORT);
    };
    // What a run imports, for its own time: the importing line's modules,
    // else the module it leads into.
    const byImporter = function (e) {
      let x = named.get(e);
      if (x === undefined) {
        const p = parent[e];
        x = p > 0 ? importedBy(frames.src[frame[p]], frames.file[frame[p]]) : null;
        if (!x) x = led.get(e) || null;
        named.set(e, x);
      }
      return x;
    };
    // The [import X] node a run starting at E leads into through data node
    // I (a frame that is not the import machinery), or, for I -1, the one
    // for the run's own time.
    const importNode = function (e, i, create) {
      let x = byImporter(e);
      if (i >= 0) {
        const f = frame[i];
        if (frames.name[f] === '<module>' && frames.kind[f] === RG.KIND_PYTHON) {
          const lib = libraryModule(frames.file[f]);
          if (lib) x = lib.module;
          else {
            // an own module: the importing line's name for it if it has one
            const own = ownModule(frames.file[f]);
            const hit = (x || '').split(', ').filter(function (s) {
              return s === own || s.slice(-own.length - 1) === '.' + own;
            });
            x = hit.length ? hit[0] : own;
          }
        }
      }
      const dp = d[parent[e]];
      const f = importFrame(x);
      share(dp);
      let c = kids.get(dp * KEY + f);
      if (c === undefined) {
        if (!create) return -1;
        c = make(dp, f);
      }
      share(c);
      return c;
    };
    d[0] = 0;
    for (let c = 0; c < ncol; c++) tSelf[c][0] += selfs[c][0];
    for (let i = 1; i < n; i++) {
      const p = parent[i];
      const f = frame[i];
      if (runOf[i] >= 0) {
        d[i] = -1;
      } else if (runOf[p] >= 0) {
        d[i] = child(importNode(runOf[p], i, true), f);
      } else {
        d[i] = child(d[p], f);
      }
      let at = d[i];
      let any = false;
      for (let c = 0; c < ncol; c++) if (selfs[c][i] > 0) any = true;
      if (!any) continue;
      if (at < 0) at = importNode(runOf[i], -1, true);
      for (let c = 0; c < ncol; c++) tSelf[c][at] += selfs[c][i];
    }

    // Inclusive values: a trie node is always made after its parent.
    const inc = tSelf.map(function (a) { return a.slice(0, tn); });
    for (let j = tn - 1; j > 0; j--) {
      for (let c = 0; c < ncol; c++) inc[c][tParent[j]] += inc[c][j];
    }
    const keep = new Uint8Array(tn);
    for (let c = 0; c < ncol; c++) {
      const v = inc[c];
      for (let j = 0; j < tn; j++) if (v[j] > 0) keep[j] = 1;
    }
    // Children lists, then pre-order. A node's children made from one data
    // node come in the data's order, sorted by name already; only a shared
    // node's (merged, or holding [import X] frames) need sorting.
    const start = new Int32Array(tn + 1);
    for (let j = 1; j < tn; j++) if (keep[j]) start[tParent[j] + 1]++;
    for (let j = 0; j < tn; j++) start[j + 1] += start[j];
    const list = new Int32Array(start[tn]);
    const fill = start.slice(0, tn);
    for (let j = 1; j < tn; j++) if (keep[j]) list[fill[tParent[j]]++] = j;
    const names = frames.name;
    const byName = function (a, b) {
      const x = names[tFrame[a]];
      const y = names[tFrame[b]];
      return x < y ? -1 : x > y ? 1 : tFrame[a] - tFrame[b];
    };
    for (let j = 0; j < tn; j++) {
      if (tShared[j] && start[j + 1] - start[j] > 1) {
        list.set(Array.from(list.subarray(start[j], start[j + 1])).sort(byName), start[j]);
      }
    }
    const newIdx = new Int32Array(tn).fill(-1);
    const outParent = new Int32Array(start[tn] + 1);
    const outFrame = new Int32Array(start[tn] + 1);
    const stack = new Int32Array(start[tn] + 1);
    let top = 0;
    let m = 0;
    stack[top++] = 0;
    while (top) {
      const j = stack[--top];
      newIdx[j] = m;
      outParent[m] = j === 0 ? -1 : newIdx[tParent[j]];
      outFrame[m] = tFrame[j];
      m++;
      for (let k = start[j + 1] - 1; k >= start[j]; k--) stack[top++] = list[k];
    }
    const values = inc.map(function (a) {
      const out = new Float64Array(m);
      for (let j = 0; j < tn; j++) if (newIdx[j] >= 0) out[newIdx[j]] = a[j];
      return out;
    });

    const toNew = new Int32Array(n);
    const toOld = new Int32Array(m).fill(-1);
    for (let i = 0; i < n; i++) {
      let j = d[i];
      if (j < 0) j = importNode(runOf[i], -1, false);
      if (j < 0) j = d[parent[runOf[i]]];
      const k = toNew[i] = j >= 0 ? newIdx[j] : -1;
      if (k >= 0 && toOld[k] < 0) toOld[k] = i;
      if (imp && i > 0 && d[i] >= 0 && runOf[parent[i]] >= 0) {
        const up = newIdx[tParent[d[i]]];       // the [import X] node this exit hangs under
        if (up >= 0 && toOld[up] < 0) toOld[up] = runOf[parent[i]];
      }
    }
    return { parent: outParent.subarray(0, m), frame: outFrame.subarray(0, m), values: values,
      toNew: toNew, toOld: toOld };
  }

  function identity(n) {
    const a = new Int32Array(n);
    for (let i = 0; i < n; i++) a[i] = i;
    return a;
  }

  // The trees of one data tree for each setting, built on demand and kept
  // (a handful at most: fold on or off, a filter or two).
  class TreeSource {
    // frames: RG.Frames. parent, frame: the data tree's columns. columns:
    // its inclusive value columns. make(parent, frame, columns) -> a
    // CallTree. weights(settings) -> null (the data's own values) or self
    // values per node replacing the first column's (the perf filters).
    // usesFilters: whether weights depends on more than the fold switch.
    constructor(frames, parent, frame, columns, make, weights) {
      this.frames = frames;
      let n = Math.min(parent.length, frame.length);
      for (const c of columns) n = Math.min(n, c.length);
      this.parent = new Int32Array(n);
      this.frame = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        this.parent[i] = parent[i];
        this.frame[i] = frame[i];
      }
      this.columns = columns.map(function (c) { return c.slice(0, n); });
      this.make = make;
      this.weights = weights || function () { return null; };
      this.cache = new Map();
      this.selfs = null;
      this.foldable = null;
    }

    key(settings, w) {
      return (settings.foldImports ? 'F' : '-') + (w ? '|' + settings.perfStates + '|' +
        (settings.threads ? Array.from(settings.threads).sort().join(',') : '*') : '');
    }

    // {tree, toNew, toOld} for SETTINGS.
    get(settings) {
      const w = this.weights(settings);
      if (this.foldable === null) this.foldable = hasImportlib(this.frames, this.frame);
      const fold = settings.foldImports && this.foldable;
      const key = this.key({ foldImports: fold, perfStates: settings.perfStates, threads: settings.threads }, w);
      let r = this.cache.get(key);
      if (r) return r;
      const n = this.parent.length;
      if (this.error === undefined) {
        this.error = RG.checkTree(this.parent, this.frame, n, this.frames.n);
      }
      if (this.error || (!fold && !w)) {
        r = { tree: this.make(this.parent, this.frame, this.columns), toNew: identity(n), toOld: identity(n) };
      } else {
        if (!this.selfs) {
          const p = this.parent;
          this.selfs = this.columns.map(function (c) { return selfValues(p, c); });
        }
        const selfs = w ? [w].concat(this.selfs.slice(1)) : this.selfs;
        const dv = derive(this.frames, this.parent, this.frame, selfs, fold);
        r = { tree: this.make(dv.parent, dv.frame, dv.values), toNew: dv.toNew, toOld: dv.toOld };
      }
      if (this.cache.size > 6) this.cache.clear();
      this.cache.set(key, r);
      return r;
    }
  }

  // The performance tree's self values for the chosen threads and states,
  // or null for all of them. THREADS: [{key, tally: flat [node, count]}].
  function perfWeights(frames, parent, frame, value, threads, settings) {
    const sel = settings.threads;
    if (settings.perfStates === 'all' && !sel) return null;
    const n = parent.length;
    let w;
    if (!sel) {
      w = selfValues(parent, value);
    } else {
      w = new Float64Array(n);
      for (const t of threads) {
        if (!sel.has(t.key)) continue;
        const a = t.tally;
        for (let k = 0; k + 1 < a.length; k += 2) {
          const node = a[k];
          const c = +a[k + 1];
          if (node > 0 && node < n && c > 0) w[node] += c;
        }
      }
    }
    if (settings.perfStates !== 'all') {
      const want = settings.perfStates === 'computing' ? RG.KIND_RUNNING : RG.KIND_WAITING;
      for (let i = 1; i < n; i++) if (w[i] && frames.kind[frame[i]] !== want) w[i] = 0;
    }
    return w;
  }

  Object.assign(RG, {
    derive: derive, TreeSource: TreeSource, perfWeights: perfWeights, selfValues: selfValues,
    importedBy: importedBy, libraryModule: libraryModule,
  });
})(window.RG = window.RG || {});
