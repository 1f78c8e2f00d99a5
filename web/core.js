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

  // An ISO 8601 instant as local date and time, "2026-11-25 14:21:39".
  function fmtStart(iso) {
    if (!iso) return '\u2014';
    const d = new Date(iso);
    if (isNaN(d.getTime())) return String(iso);
    const pad = function (x) { return String(x).padStart(2, '0'); };
    return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + ' ' +
      pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds());
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

  // Frames are coloured by their share of the whole tree: pale for a
  // sliver, deep for everything. sqrt spreads the common small shares (1% is
  // already visibly warmer than 0.01%).
  const LEVELS = 48;

  function heatLevel(share) {
    const t = Math.sqrt(Math.max(0, Math.min(1, share)));
    return Math.min(LEVELS - 1, Math.round(t * (LEVELS - 1)));
  }

  function hslToRgb(h, s, l) {
    s /= 100;
    l /= 100;
    const k = function (n) { return (n + h / 30) % 12; };
    const a = s * Math.min(l, 1 - l);
    const f = function (n) { return l - a * Math.max(-1, Math.min(k(n) - 3, Math.min(9 - k(n), 1))); };
    return [255 * f(0), 255 * f(8), 255 * f(4)];
  }

  function rgbCss(c) {
    return 'rgb(' + Math.round(c[0]) + ',' + Math.round(c[1]) + ',' + Math.round(c[2]) + ')';
  }

  // Dark text on light fills, white on dark ones (relative luminance).
  function textOn(c) {
    const lin = function (v) { v /= 255; return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    const y = 0.2126 * lin(c[0]) + 0.7152 * lin(c[1]) + 0.0722 * lin(c[2]);
    return y > 0.22 ? '#1d2330' : '#ffffff';
  }

  function hexRgb(h) {
    return [parseInt(h.slice(1, 3), 16), parseInt(h.slice(3, 5), 16), parseInt(h.slice(5, 7), 16)];
  }

  // A palette: LEVELS fills (and their text colours) from fn(t), t in [0, 1]
  // returning [r, g, b].
  function makePalette(fn) {
    const fill = [];
    const text = [];
    for (let i = 0; i < LEVELS; i++) {
      const c = fn(i / (LEVELS - 1));
      fill.push(rgbCss(c));
      text.push(textOn(c));
    }
    return { fill: fill, text: text };
  }

  function hslPalette(fn) {
    return makePalette(function (t) { const c = fn(t); return hslToRgb(c[0], c[1], c[2]); });
  }

  function flatPalette(hex) {
    const c = hexRgb(hex);
    return makePalette(function () { return c; });
  }

  // Computing: yellow -> orange -> red as the share grows. Waiting: pale to
  // deep slate blue. A frame that both computed and waited is drawn in
  // proportion to the share of its time that was computing: warm, fading
  // to grey at half and half, then cooling to blue (COMPUTE_STEPS + 1
  // palettes) — through a greyish tint, not purple, so a mixed frame is
  // never taken for a lock or GIL wait. A frame that waited 98% of its time looks like
  // waiting, not like hot code.
  const warmAt = function (t) { return [50 - 46 * t, 92 - 8 * t, 78 - 34 * t]; };
  const coolAt = function (t) { return [212 + 6 * t, 30 + 26 * t, 84 - 38 * t]; };
  const COMPUTE_STEPS = 10;
  const COMPUTE = [];
  for (let k = 0; k <= COMPUTE_STEPS; k++) {
    const c = k / COMPUTE_STEPS;
    COMPUTE.push(hslPalette(function (t) {
      const w = warmAt(t);
      const b = coolAt(t);
      const l = b[2] + (w[2] - b[2]) * c;
      // a tint stays at half and half, so a mixed frame is not the grey of [waiting]
      return c >= 0.5 ? [w[0], Math.max(16, w[1] * (2 * c - 1)), l] : [b[0], Math.max(16, b[1] * (1 - 2 * c)), l];
    }));
  }

  // The palette of a frame that computed FRACTION of its time.
  function computePalette(fraction) {
    const k = Math.round(Math.max(0, Math.min(1, fraction)) * COMPUTE_STEPS);
    return COMPUTE[isFinite(k) ? k : COMPUTE_STEPS];
  }

  const PALETTES = {
    warm: COMPUTE[COMPUTE_STEPS],
    cool: COMPUTE[0],
    // comparisons: grew (pale to deep red), shrank (pale to deep blue),
    // unchanged (one grey)
    grew: hslPalette(function (t) { return [8 - 4 * t, 30 + 55 * t, 91 - 47 * t]; }),
    shrank: hslPalette(function (t) { return [212 + 8 * t, 30 + 45 * t, 91 - 47 * t]; }),
    same: hslPalette(function () { return [220, 10, 88]; }),
  };

  const MATCH_FILL = '#c01fa8';
  const MATCH_TEXT = '#ffffff';

  // Thread states, indexed by raw_state_t (docs/internals.md section 2): one
  // colour each, the same in every view and legend. Ten colours that stay
  // apart for readers with protanopia, deuteranopia and tritanopia too (from
  // Okabe & Ito's and Paul Tol's colour-blind-safe sets; the smallest
  // CIEDE2000 difference between any two, under each simulated vision
  // deficiency (Machado et al. 2009), is 13). Running is the orange of
  // computing frames; a thread queued for a CPU, which wanted to compute,
  // the pale sand beside it.
  const STATES = [
    { name: 'running', label: 'running', color: '#E69F00' },
    { name: 'waiting', label: 'waiting (unknown why)', color: '#BBBBBB' },
    { name: 'gil', label: 'GIL', color: '#EE3377' },
    { name: 'lock', label: 'lock', color: '#AA4499' },
    { name: 'sleep', label: 'sleep', color: '#99DDFF' },
    { name: 'disk', label: 'disk', color: '#117733' },
    { name: 'network', label: 'network', color: '#332288' },
    { name: 'poll', label: 'poll/select', color: '#009988' },
    { name: 'child', label: 'child process', color: '#444444' },
    { name: 'cpu', label: 'CPU (queued)', color: '#EEDD88' },
  ];
  for (const st of STATES) {
    st.palette = flatPalette(st.color);
    st.text = st.palette.text[0];
  }

  // Words for a wait: "for the GIL", "on a lock".
  const WAIT_WORDS = {
    waiting: 'for an unknown reason', gil: 'for the GIL', lock: 'for a lock', sleep: 'in sleep',
    disk: 'for the disk', network: 'for the network', poll: 'in poll/select',
    child: 'for a child process', cpu: 'for a CPU (other processes had them)',
  };

  function stateInfo(code) {
    return STATES[code] || { name: 'state ' + code, label: 'state ' + code, color: '#868e96',
      palette: flatPalette('#868e96'), text: '#ffffff' };
  }

  // The state of a state frame's name: "[running]" 0, "[waiting]" 1,
  // "[waiting: gil]" 2, ...; -1 for other names.
  function stateOfLabel(name) {
    if (name === '[running]') return 0;
    if (name === '[waiting]') return 1;
    const m = /^\[waiting: (\w+)\]$/.exec(name);
    if (!m) return -1;
    for (let i = 2; i < STATES.length; i++) if (STATES[i].name === m[1]) return i;
    return 1;
  }

  // The states' colour legend: one swatch and name each.
  function stateLegend() {
    return STATES.map(function (st) {
      return el('span', {}, el('i', { style: { background: st.color } }), st.label);
    });
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

  // ---- settings shared by the views ---------------------------------------

  // What every view shows: foldImports (runs of importlib frames as one
  // [import X] frame), perfStates ('all', 'computing' or 'waiting': which
  // samples the performance flamegraph counts) and threads (null for every
  // thread, else a Set of thread keys "pid:tid"). Views subscribe with
  // onSettings(fn) and are called with the new settings after each change.
  const settings = { foldImports: true, perfStates: 'all', threads: null };
  const listeners = [];

  function onSettings(fn) { listeners.push(fn); }

  function setSettings(patch) {
    let changed = false;
    for (const k of Object.keys(patch)) {
      if (settings[k] !== patch[k]) { settings[k] = patch[k]; changed = true; }
    }
    if (!changed) return;
    for (const fn of listeners.slice()) {
      try {
        fn(settings);
      } catch (e) {
        console.error(e);
      }
    }
  }

  Object.assign(RG, {
    settings: settings, onSettings: onSettings, setSettings: setSettings,
    fmtSeconds: fmtSeconds, fmtBytes: fmtBytes, fmtPct: fmtPct, fmtCount: fmtCount,
    fmtValue: fmtValue, fmtTick: fmtTick, niceStep: niceStep, fmtStart: fmtStart,
    heatLevel: heatLevel, PALETTES: PALETTES, LEVELS: LEVELS, computePalette: computePalette,
    MATCH_FILL: MATCH_FILL, MATCH_TEXT: MATCH_TEXT,
    STATES: STATES, stateInfo: stateInfo, stateLegend: stateLegend, stateOfLabel: stateOfLabel, WAIT_WORDS: WAIT_WORDS,
    el: el, append: append, basename: basename, upperBound: upperBound,
    FONT: '12px ' + 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif',
    FONT_BOLD: '600 12px ' + 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif',
  });
})(window.RG = window.RG || {});
