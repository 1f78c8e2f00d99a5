/* main.js — the page itself: reads the embedded data, fills in the summary
 * and creates one view per section. Runs last, at the end of <body>.
 *
 * Exposes window.RG.app (the data and the views, for tests and for poking
 * around in the console) and RG.timing: milliseconds since navigation start
 * at which the data was parsed (parsed), the first screen was drawn
 * (firstDrawn) and painted (firstPaint), and every view was drawn (drawn,
 * when RG.ready becomes true). */
(function (RG) {
  'use strict';

  const el = RG.el;

  function $(id) { return document.getElementById(id); }

  function banner(kind, title, text) {
    $('rg-banners').appendChild(el('div', { className: 'rg-banner' + (kind === 'error' ? ' rg-error' : '') },
      el('strong', {}, title), text));
  }

  // argv as one line a shell would accept: arguments with spaces or shell
  // characters in single quotes.
  function shellJoin(argv) {
    return argv.map(function (a) {
      a = String(a);
      if (a !== '' && /^[\w@%+=:,./-]+$/.test(a)) return a;
      return "'" + a.replace(/'/g, "'\\''") + "'";
    }).join(' ');
  }

  function count(v) {
    if (Array.isArray(v)) return v.length;
    return typeof v === 'number' ? v : null;
  }

  function fmtStart(iso) {
    if (!iso) return '\u2014';
    const d = new Date(iso);
    if (isNaN(d.getTime())) return String(iso);
    const pad = function (x) { return String(x).padStart(2, '0'); };
    return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + ' ' +
      pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds());
  }

  function exitStatus(s) {
    const code = s.exit_code;
    if (s.signal) return { text: 'signal ' + s.signal, note: 'killed by signal ' + s.signal, bad: true };
    if (code === null || code === undefined) return { text: 'unknown', note: 'no exit status recorded', bad: true };
    if (code === 0) return { text: '0', note: 'success', bad: false };
    if (code > 128 && code < 160) return { text: String(code), note: 'probably killed by signal ' + (code - 128), bad: true };
    return { text: String(code), note: 'failure', bad: true };
  }

  function item(label, value, note, extra) {
    return el('div', extra || {}, el('dt', {}, label), el('dd', {}, value, note ? el('small', {}, note) : null));
  }

  function renderSummary(s) {
    const grid = $('rg-summary-grid');
    const argv = Array.isArray(s.command) ? s.command : (s.command ? [s.command] : []);
    const cmd = shellJoin(argv);
    $('rg-title').textContent = cmd || document.title;

    const elapsed = Number(s.elapsed_seconds);
    const cpu = Number(s.cpu_seconds);
    const cores = elapsed > 0 && isFinite(cpu) ? cpu / elapsed : NaN;
    const exit = exitStatus(s);
    const samples = Number(s.samples);
    const dropped = Number(s.dropped_samples) || 0;
    const peak = s.peak_memory_bytes;

    grid.appendChild(item('Command', cmd || '\u2014', null, { className: 'rg-wide' }));
    grid.appendChild(item('Elapsed (wall)', RG.fmtSeconds(elapsed), 'started ' + fmtStart(s.start_time)));
    grid.appendChild(item('CPU time', RG.fmtSeconds(cpu),
      isFinite(cores) ? 'on average ' + cores.toFixed(2) + (cores >= 0.995 && cores < 1.005 ? ' core' : ' cores') + ' busy' : null));
    let peakNote = 'not measured';
    if (peak !== null && peak !== undefined) {
      if (s.peak_memory_source === 'rss') peakNote = 'largest resident set size (RSS)';
      else {
        peakNote = (isFinite(Number(s.peak_memory_seconds)) && s.peak_memory_seconds !== null
          ? 'at ' + RG.fmtSeconds(Number(s.peak_memory_seconds)) + ' \u00b7 ' : '') + 'all processes together';
      }
      if (s.oom) peakNote = 'out of memory \u00b7 ' + peakNote;
    }
    const peakItem = item('Peak memory', peak === null || peak === undefined ? '\u2014' : RG.fmtBytes(Number(peak)),
      peakNote);
    if (s.oom) peakItem.querySelector('dd').classList.add('rg-bad');
    grid.appendChild(peakItem);
    const exitItem = item('Exit status', exit.text, exit.note);
    if (exit.bad) exitItem.querySelector('dd').classList.add('rg-bad');
    grid.appendChild(exitItem);
    grid.appendChild(item('Processes', RG.fmtCount(count(s.processes)), null));
    grid.appendChild(item('Threads', RG.fmtCount(count(s.threads)), null));
    grid.appendChild(item('Python', s.python_version ? String(s.python_version) : '\u2014', null));
    grid.appendChild(item('Samples', RG.fmtCount(samples),
      (s.sample_interval_seconds ? 'every ' + RG.fmtSeconds(Number(s.sample_interval_seconds)) + ' \u00b7 ' : '') +
      RG.fmtCount(dropped) + ' dropped' + (dropped > 0 && samples > 0 ? ' (' + RG.fmtPct(dropped / (samples + dropped)) + ')' : '')));

    if (s.oom) {
      banner('error', 'Out of memory (OOM).',
        'A process ran out of memory: an allocation failed, or memory was nearly exhausted. The ' +
        'peak-memory flamegraph below shows the callstacks that held memory at that moment; the notes ' +
        'in the summary say which process.');
    }
    if (s.partial) {
      banner('warn', 'This report is partial.',
        'Some of the raw data was missing or cut short (for example a process was killed before it ' +
        'could finish writing), so the figures below may undercount. See the notes in the summary.');
    }
    const notes = Array.isArray(s.notes) ? s.notes : [];
    if (notes.length) {
      const ul = $('rg-notes');
      for (const n of notes) ul.appendChild(el('li', {}, String(n)));
      ul.hidden = false;
    }
    $('rg-footer').textContent = 'radiograph ' + (s.radiograph_version ? String(s.radiograph_version) : '') +
      ' \u00b7 this page works offline and loads nothing from the network';
  }

  function isTree(t) {
    return t && Array.isArray(t.parent) && Array.isArray(t.frame) && Array.isArray(t.value);
  }

  // Builds one view; a failure shows in its section instead of taking the
  // whole page down (and is logged, so it is not silent).
  function mount(containerId, build) {
    const box = $(containerId);
    try {
      return build(box);
    } catch (e) {
      box.replaceChildren(el('div', { className: 'rg-empty' }, 'This view could not be drawn: ' + e));
      console.error(e);
      return null;
    }
  }

  function boot() {
    performance.mark('rg-script-start');
    let data;
    try {
      data = JSON.parse($('rg-data').textContent);
    } catch (e) {
      data = e;
    }
    if (!data || typeof data !== 'object' || data instanceof Error) {
      banner('error', 'This report\u2019s data could not be read.', String(data));
      return;
    }
    performance.mark('rg-data-parsed');
    RG.timing = { parsed: performance.now() };
    if (data.version !== 1) {
      banner('warn', 'Unexpected data version ' + data.version + '.',
        'This page was made for version 1; some parts may be missing.');
    }
    if (data.kind === 'comparison') {
      bootComparison(data);
      return;
    }
    const summary = data.summary || {};
    if (data.memory && data.memory.oom === true) summary.oom = true;
    renderSummary(summary);

    const frames = new RG.Frames(data.frames);
    const app = RG.app = { data: data, frames: frames };
    const interval = data.perf && data.perf.interval > 0 ? data.perf.interval : Number(summary.sample_interval_seconds);
    let perfTree = null;
    app.perf = mount('rg-perf-view', function (box) {
      if (!isTree(data.perf)) {
        box.appendChild(el('div', { className: 'rg-empty' }, 'No performance samples in this report.'));
        return null;
      }
      perfTree = new RG.CallTree(frames, data.perf, 'seconds', interval);
      return new RG.FlameGraphView(box, perfTree, { of: 'total' });
    });
    // The summary and the flamegraph fill the first screen: paint them
    // first, then build the views below the fold.
    performance.mark('rg-first-drawn');
    RG.timing.firstDrawn = performance.now();
    requestAnimationFrame(function () {
      setTimeout(function () {
        performance.mark('rg-first-paint');
        RG.timing.firstPaint = performance.now();
        buildRest(data, app, perfTree, frames);
        performance.mark('rg-drawn');
        RG.timing.drawn = performance.now();
        RG.ready = true;
      }, 0);
    });

    onEscape(function () { return [app.perf, app.timeline, app.memory]; });
  }

  // Escape (outside a text field) resets the view under the pointer last,
  // or every view ALL() returns.
  function onEscape(all) {
    document.addEventListener('keydown', function (ev) {
      if (ev.key !== 'Escape' || ev.defaultPrevented) return;
      const t = ev.target;
      if (t && (t.tagName === 'INPUT' || t.tagName === 'SELECT' || t.tagName === 'TEXTAREA')) return;
      RG.tooltip.hide();
      const views = RG.activeView ? [RG.activeView] : all();
      for (const v of views) if (v && v.reset) v.reset();
    });
  }

  // The comparison page (compare.js builds it with this file's helpers).
  function bootComparison(data) {
    const views = RG.renderComparison(data, { item: item, banner: banner, mount: mount, shellJoin: shellJoin });
    RG.app = { data: data, views: views };
    RG.timing.firstDrawn = RG.timing.firstPaint = RG.timing.drawn = performance.now();
    onEscape(function () {
      const out = [];
      for (const k of ['performance', 'memory']) if (views[k]) out.push(views[k].new, views[k].base);
      return out;
    });
    RG.ready = true;
  }

  function buildRest(data, app, perfTree, frames) {
    app.timeline = mount('rg-timeline-view', function (box) {
      if (!perfTree || !data.timeline) {
        box.appendChild(el('div', { className: 'rg-empty' }, 'No timeline in this report.'));
        return null;
      }
      return new RG.TimelineView(box, data.timeline, perfTree);
    });

    const mem = data.memory;
    if (mem && isTree(mem.tree)) {
      $('rg-memory').hidden = false;
      const r = Number(mem.sample_bytes);
      const info = r > 0 ? 'estimated from allocations sampled every ~' + RG.fmtBytes(r) : '';
      app.memory = mount('rg-memory-view', function (box) {
        return new RG.FlameGraphView(box, new RG.CallTree(frames, mem.tree, 'bytes', 1),
          { of: 'peak', info: info });
      });
    }
    const reserved = data.summary && Array.isArray(data.summary.reserved) ? data.summary.reserved : [];
    if (mem && isTree(mem.tree) && reserved.length) {
      // Address space reserved but not used at the peak: not in the peak,
      // listed so that nothing is hidden.
      const ul = el('ul', { className: 'rg-notes rg-reserved' });
      for (const r of reserved) {
        const stack = Array.isArray(r.stack) ? r.stack.map(String) : [];
        ul.appendChild(el('li', {}, el('b', {}, RG.fmtBytes(Number(r.bytes))), ' \u00b7 ', stack.join(' \u203a ')));
      }
      $('rg-memory').appendChild(el('div', {},
        el('h3', {}, 'Reserved, not used: ' + RG.fmtBytes(Number(data.summary.reserved_bytes))),
        el('p', { className: 'rg-help' }, 'Large mappings and blocks whose pages were mostly never ' +
          'touched at the peak (address space reserved, not memory used): not part of the peak above. ' +
          'Largest first, with the callstack that made each.'),
        ul));
    }
    if (mem && mem.series) {
      $('rg-memseries').hidden = false;
      const endNs = data.timeline ? Number(data.timeline.end_ns) : NaN;
      app.memseries = mount('rg-memseries-view', function (box) {
        return new RG.MemoryChartView(box, mem.series, mem.peak, { endMs: endNs / 1e6 });
      });
    }
  }

  boot();
})(window.RG = window.RG || {});
