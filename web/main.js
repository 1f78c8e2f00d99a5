/* main.js — the page itself: reads the embedded data, fills in the summary
 * and the answers, and creates one view per section over the trees of
 * derive.js (the thread picker and the switches set RG.settings, every
 * view follows). Runs last, at the end of <body>.
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
    grid.appendChild(item('Elapsed (wall)', RG.fmtSeconds(elapsed), 'started ' + RG.fmtStart(s.start_time)));
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
    // Notes inform; only missing data (partial) and OOM get a banner.
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

  // The threads of the timeline with their samples: for the thread picker,
  // the perf filter and the lanes' computing shares.
  function threadModel(data, frames) {
    const procs = data.timeline && Array.isArray(data.timeline.processes) ? data.timeline.processes : [];
    const perf = data.perf || {};
    const leafFrame = Array.isArray(perf.frame) ? perf.frame : [];
    const out = [];
    const flat = [];
    for (const p of procs) {
      const threads = [];
      for (const th of (Array.isArray(p.threads) ? p.threads : [])) {
        const tally = Array.isArray(th.tally) ? th.tally : [];
        let samples = 0;
        let running = 0;
        for (let k = 0; k + 1 < tally.length; k += 2) {
          const c = +tally[k + 1] || 0;
          samples += c;
          const f = leafFrame[tally[k]];
          if (f >= 0 && frames.kind[f] === RG.KIND_RUNNING) running += c;
        }
        let share = samples > 0 ? running / samples : NaN;
        if (!(samples > 0)) {
          const sp = Array.isArray(th.spans) ? th.spans : [];
          let all = 0;
          let run = 0;
          for (let k = 0; k + 3 < sp.length; k += 4) {
            const d = sp[k + 1] - sp[k];
            if (d > 0) { all += d; if (sp[k + 3] === 0) run += d; }
          }
          share = all > 0 ? run / all : 0;
        }
        const t = {
          key: p.pid + ':' + th.tid, tally: tally, samples: samples, share: share,
          idle: !(share >= 0.01),
          label: String(th.name || 'thread ' + th.tid) + (th.main ? ' (main)' : '') + ' \u00b7 tid ' + th.tid +
            ' \u00b7 computing ' + RG.fmtPct(share || 0) +
            (samples > 0 ? ' of ' + RG.fmtSeconds(samples * (+perf.interval || 0.01)) : ''),
        };
        threads.push(t);
        flat.push(t);
      }
      if (threads.length) {
        out.push({ label: 'process ' + p.pid + ' \u00b7 ' + String(p.command || ''), threads: threads });
      }
    }
    const byKey = new Map(flat.map(function (t) { return [t.key, t]; }));
    return { procs: out, threads: flat, byKey: byKey };
  }

  // The section ids the navigation bar links to, marked as the reader
  // scrolls past them.
  function navigation() {
    const links = Array.from(document.querySelectorAll('#rg-nav a[href^="#"]'));
    const sections = links.map(function (a) { return $(a.getAttribute('href').slice(1)); });
    for (let k = 0; k < links.length; k++) {
      if (sections[k] && sections[k].hidden) links[k].hidden = true;
    }
    const mark = function () {
      const nav = $('rg-nav');
      const top = (nav ? nav.getBoundingClientRect().bottom : 0) + 40;
      let cur = 0;
      const shown = [];
      for (let k = 0; k < sections.length; k++) {
        if (!sections[k] || sections[k].hidden) continue;
        shown.push(k);
        if (sections[k].getBoundingClientRect().top <= top) cur = k;
      }
      // At the bottom of the page the last sections cannot reach the top:
      // the last one in view is the one being read.
      const doc = document.documentElement;
      if (shown.length && window.scrollY + window.innerHeight >= doc.scrollHeight - 2) {
        for (const k of shown) if (sections[k].getBoundingClientRect().top < window.innerHeight * 0.6) cur = k;
      }
      links.forEach(function (a, k) {
        if (k === cur) a.setAttribute('aria-current', 'true'); else a.removeAttribute('aria-current');
      });
    };
    let queued = false;
    window.addEventListener('scroll', function () {
      if (queued) return;
      queued = true;
      requestAnimationFrame(function () { queued = false; mark(); });
    }, { passive: true });
    mark();
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

    RG.append($('rg-perf-legend'), RG.stateLegend());
    const frames = new RG.Frames(data.frames);
    const app = RG.app = { data: data, frames: frames };
    app.threads = threadModel(data, frames);
    app.reveal = function (kind, node) {
      const view = app[kind];
      const section = $(kind === 'perf' ? 'rg-perf' : 'rg-memory');
      if (section) section.scrollIntoView({ block: 'start' });
      return !!(view && view.reveal(node));
    };
    mount('rg-answers', function (box) { RG.renderAnswers(box, summary, frames, app); });

    const interval = data.perf && data.perf.interval > 0 ? data.perf.interval : Number(summary.sample_interval_seconds);
    app.perfSource = null;
    app.perf = mount('rg-perf-view', function (box) {
      if (!isTree(data.perf)) {
        box.appendChild(el('div', { className: 'rg-empty' }, 'No performance samples in this report.'));
        return null;
      }
      const p = data.perf;
      const source = app.perfSource = new RG.TreeSource(frames, p.parent, p.frame, [p.value],
        function (parent, frame, cols) {
          return new RG.CallTree(frames, { parent: parent, frame: frame, value: cols[0] }, 'seconds', interval);
        },
        function (settings) {
          return RG.perfWeights(frames, source.parent, source.frame, p.value, app.threads.threads, settings);
        });
      const full = source.get({ foldImports: false, perfStates: 'all', threads: null }).tree.total;
      const sampled = app.threads.threads.filter(function (t) { return t.samples > 0; });
      const picker = sampled.length > 1 ? RG.threadPicker(app.threads.procs) : null;
      const elapsed = Number(summary.elapsed_seconds);
      return new RG.FlameGraphView(box, source, {
        of: 'thread time', states: true, picker: picker,
        onMissing: function () { RG.setSettings({ perfStates: 'all', threads: null }); },
        rootLabel: function (t) { return 'all threads \u00b7 ' + t.fmt(t.total); },
        totalText: function (t, st) {
          const n = st.threads ? sampled.filter(function (x) { return st.threads.has(x.key); }).length : sampled.length;
          const what = st.perfStates === 'computing' ? 'computing' : st.perfStates === 'waiting' ? 'waiting' : '';
          const head = st.threads || what
            ? 'showing ' + (what ? what + ' ' : '') + t.fmt(t.total) + ' of ' + t.fmt(full) + ' thread time'
            : t.fmt(t.total) + ' of thread time';
          return head + ' \u00b7 ' + n + (n === 1 ? ' thread' : ' threads') +
            (isFinite(elapsed) && elapsed > 0 ? ' \u00b7 ' + RG.fmtSeconds(elapsed) + ' wall' : '');
        },
      });
    });
    // The summary, the answers and the flamegraph fill the first screen:
    // paint them first, then build the views below the fold.
    performance.mark('rg-first-drawn');
    RG.timing.firstDrawn = performance.now();
    requestAnimationFrame(function () {
      setTimeout(function () {
        performance.mark('rg-first-paint');
        RG.timing.firstPaint = performance.now();
        buildRest(data, app, frames);
        navigation();
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
    navigation();
    RG.timing.firstDrawn = RG.timing.firstPaint = RG.timing.drawn = performance.now();
    onEscape(function () {
      const out = [];
      for (const k of ['performance', 'memory']) if (views[k]) out.push(views[k].new, views[k].base);
      return out;
    });
    RG.ready = true;
  }

  function buildRest(data, app, frames) {
    app.timeline = mount('rg-timeline-view', function (box) {
      if (!app.perfSource || !data.timeline) {
        box.appendChild(el('div', { className: 'rg-empty' }, 'No timeline in this report.'));
        return null;
      }
      const lanes = app.threads.threads.length;
      return new RG.TimelineView(box, data.timeline, app.perfSource, {
        picker: lanes > 1 ? RG.threadPicker(app.threads.procs) : null,
        share: function (key) { const t = app.threads.byKey.get(key); return t ? t.share : NaN; },
      });
    });

    const mem = data.memory;
    if (mem && isTree(mem.tree)) {
      $('rg-memory').hidden = false;
      const r = Number(mem.sample_bytes);
      const info = r > 0 ? 'estimated from allocations sampled every ~' + RG.fmtBytes(r) : '';
      app.memory = mount('rg-memory-view', function (box) {
        const t = mem.tree;
        const source = new RG.TreeSource(frames, t.parent, t.frame, [t.value], function (parent, frame, cols) {
          return new RG.CallTree(frames, { parent: parent, frame: frame, value: cols[0] }, 'bytes', 1);
        });
        return new RG.FlameGraphView(box, source, { of: 'peak', info: info });
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
