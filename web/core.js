/* core.js — the page's namespace (window.RG) and what every module shares:
 * number formatting, the colour scales, thread states, and DOM building.
 *
 * Every string that comes from the profiled program is data, never markup:
 * DOM text goes through textContent / createTextNode (RG.el does that),
 * canvas text through fillText. Nothing here or elsewhere uses innerHTML. */
(function (RG) {
  'use strict';

  // ---- formatting -------------------------------------------------------

  // X to DIGITS significant digits, without trailing zeros after a decimal
  // point: 810, 1.5, 0.25.
  function trimNum(x, digits) {
    const s = x.toPrecision(digits);
    if (s.indexOf('e') >= 0) return String(Number(s));
    return s.indexOf('.') >= 0 ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
  }

  function fmtSeconds(s) {
    if (s === null || s === undefined || !isFinite(s)) return '\u2014';
    const a = Math.abs(s);
    if (a === 0) return '0 s';
    if (a < 1e-3) return trimNum(s * 1e6, 3) + ' \u00b5s';
    if (a < 1) return trimNum(s * 1e3, 3) + ' ms';
    if (a < 60) return trimNum(s, 3) + ' s';
    // round to the unit shown first, so 59.6 s is "1 min 00 s", not "0 min 60 s"
    const secs = Math.round(a);
    if (secs < 3600) {
      const m = Math.floor(secs / 60);
      return (s < 0 ? '-' : '') + m + ' min ' + String(secs - m * 60).padStart(2, '0') + ' s';
    }
    const mins = Math.round(a / 60);
    const h = Math.floor(mins / 60);
    return (s < 0 ? '-' : '') + h + ' h ' + String(mins - h * 60).padStart(2, '0') + ' min';
  }

  const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

  function fmtBytes(b) {
    if (b === null || b === undefined || !isFinite(b)) return '\u2014';
    let v = Math.abs(b);
    let u = 0;
    while (v >= 1024 && u < BYTE_UNITS.length - 1) { v /= 1024; u++; }
    if (u === 0) return (b < 0 ? '-' : '') + Math.round(v) + ' B';
    return (b < 0 ? '-' : '') + trimNum(v, 3) + ' ' + BYTE_UNITS[u];
  }

  function fmtPct(fraction) {
    if (!isFinite(fraction)) return '\u2014';
    const p = fraction * 100;
    if (p === 0) return '0%';
    if (Math.abs(p) < 0.01) return '<0.01%';
    if (Math.abs(p) < 10) return trimNum(p, 2) + '%';
    return p.toFixed(1).replace(/\.0$/, '') + '%';
  }

  function fmtCount(n) {
    if (n === null || n === undefined || !isFinite(n)) return '\u2014';
    // Not toLocaleString: its first call loads locale data, ~20 ms.
    const s = String(Math.round(Math.abs(n)));
    let out = '';
    for (let i = s.length; i > 0; i -= 3) out = s.slice(Math.max(0, i - 3), i) + (out ? ',' + out : '');
    return (n < 0 ? '-' : '') + out;
  }

  // A value of a tree (samples or bytes) in the tree's unit.
  function fmtValue(v, unit, interval) {
    if (unit === 'bytes') return fmtBytes(v);
    if (unit === 'samples') return fmtCount(v) + (Math.abs(v) === 1 ? ' sample' : ' samples');
    return fmtSeconds(v * interval);
  }

  // Time-axis ticks: a "nice" step (1, 2, 5 x 10^k) giving about `count` ticks.
  function niceStep(span, count) {
    const raw = span / Math.max(1, count);
    const p = Math.pow(10, Math.floor(Math.log10(raw)));
    const m = raw / p;
    return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
  }

  // A tick label for a time in milliseconds, with as many decimals as the
  // step needs: "4.5 s", "120 ms", "0.25 ms".
  function fmtTick(ms, stepMs) {
    if (Math.abs(ms) >= 1000 || stepMs >= 1000) {
      return (ms / 1000).toFixed(Math.max(0, Math.ceil(-Math.log10(stepMs / 1000) - 1e-9))) + ' s';
    }
    return ms.toFixed(Math.max(0, Math.ceil(-Math.log10(stepMs) - 1e-9))) + ' ms';
  }

  // ---- colours ----------------------------------------------------------

  // Frames are coloured by their share of the whole tree: pale yellow for a
  // sliver, deep red for everything. sqrt spreads the common small shares
  // (1% is already visibly warmer than 0.01%).
  const LEVELS = 48;

  function heatLevel(share) {
    const t = Math.sqrt(Math.max(0, Math.min(1, share)));
    return Math.min(LEVELS - 1, Math.round(t * (LEVELS - 1)));
  }

  function makePalette(fn) {
    const fill = [];
    const text = [];
    for (let i = 0; i < LEVELS; i++) {
      const c = fn(i / (LEVELS - 1));
      fill.push('hsl(' + c[0].toFixed(1) + ',' + c[1].toFixed(1) + '%,' + c[2].toFixed(1) + '%)');
      text.push(c[2] < 52 ? '#ffffff' : '#1d2330');
    }
    return { fill: fill, text: text };
  }

  const PALETTES = {
    // running / computing: yellow -> orange -> red
    warm: makePalette(function (t) { return [54 - 54 * t, 92 - 10 * t, 80 - 38 * t]; }),
    // waiting: pale blue -> deep blue
    cool: makePalette(function (t) { return [205 + 15 * t, 50 + 15 * t, 84 - 40 * t]; }),
    // comparisons: grew (pale to deep red), shrank (pale to deep blue),
    // unchanged (one grey)
    grew: makePalette(function (t) { return [8 - 4 * t, 30 + 55 * t, 91 - 47 * t]; }),
    shrank: makePalette(function (t) { return [212 + 8 * t, 30 + 45 * t, 91 - 47 * t]; }),
    same: makePalette(function () { return [220, 10, 88]; }),
  };

  const MATCH_FILL = '#c01fa8';
  const MATCH_TEXT = '#ffffff';

  // Thread states, indexed by raw_state_t (docs/internals.md section 2).
  const STATES = [
    { name: 'running', color: '#2f9e44' },
    { name: 'waiting', color: '#adb5bd' },
    { name: 'gil', color: '#9c36b5' },
    { name: 'lock', color: '#e03131' },
    { name: 'sleep', color: '#74c0fc' },
    { name: 'disk', color: '#0c8599' },
    { name: 'network', color: '#3b5bdb' },
    { name: 'poll', color: '#91a7ff' },
    { name: 'child', color: '#f08c00' },
    { name: 'cpu', color: '#e64980' },
  ];

  function stateInfo(code) {
    return STATES[code] || { name: 'state ' + code, color: '#868e96' };
  }

  // ---- DOM --------------------------------------------------------------

  // el('div', {className: 'x'}, 'text', childNode, ...): children that are
  // strings become text nodes, so data can never become markup.
  function el(tag, props) {
    const node = document.createElement(tag);
    if (props) {
      for (const k of Object.keys(props)) {
        if (k === 'style') Object.assign(node.style, props.style);
        else if (k === 'dataset') Object.assign(node.dataset, props.dataset);
        else node[k] = props[k];
      }
    }
    for (let i = 2; i < arguments.length; i++) append(node, arguments[i]);
    return node;
  }

  function append(node, child) {
    if (child === null || child === undefined || child === false) return;
    if (Array.isArray(child)) { for (const c of child) append(node, c); return; }
    node.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
  }

  function basename(path) {
    const i = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
    return i >= 0 ? path.slice(i + 1) : path;
  }

  // The first index in [lo, hi) whose key is > x, keys ascending in index.
  function upperBound(lo, hi, x, key) {
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (key(mid) > x) hi = mid; else lo = mid + 1;
    }
    return lo;
  }

  Object.assign(RG, {
    fmtSeconds: fmtSeconds, fmtBytes: fmtBytes, fmtPct: fmtPct, fmtCount: fmtCount,
    fmtValue: fmtValue, fmtTick: fmtTick, niceStep: niceStep,
    heatLevel: heatLevel, PALETTES: PALETTES, LEVELS: LEVELS,
    MATCH_FILL: MATCH_FILL, MATCH_TEXT: MATCH_TEXT,
    STATES: STATES, stateInfo: stateInfo,
    el: el, append: append, basename: basename, upperBound: upperBound,
    FONT: '12px ' + 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif',
    FONT_BOLD: '600 12px ' + 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif',
  });
})(window.RG = window.RG || {});
