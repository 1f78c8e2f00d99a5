/* answers.js — "the answers first": under the summary, the three answers
 * a report is opened for, in words — where the time went, what waited and
 * for what, what held memory at the peak — each line a link that zooms its
 * flamegraph to the frame. The answers are computed by the report builder
 * (report/answers.c) and arrive in summary.answers, the same as
 * summary.json's; this module only words them. */
(function (RG) {
  'use strict';

  const el = RG.el;
  const SHOWN = 3;           // lines per answer

  function items(list) {
    const a = Array.isArray(list) ? list : [];
    return a.filter(function (it) { return it && typeof it === 'object'; }).slice(0, SHOWN);
  }

  // The label of an answer's frame as the flamegraph shows it.
  function frameLabel(frames, it) {
    const f = +it.frame_id;
    if (f >= 0 && f < frames.n && Number.isInteger(f)) return frames.label(f);
    return String(it.function || it.frame || '?');
  }

  function countWord(n, one, many) { return n + ' ' + (n === 1 ? one : many); }

  // One answer line: TEXT parts around a link to the frame, and its "in".
  function line(frames, it, before, after, go) {
    const link = el('a', { href: '#', className: 'rg-answer-link' }, frameLabel(frames, it));
    link.dataset.node = String(it.node);
    link.addEventListener('click', function (ev) {
      ev.preventDefault();
      go(+it.node);
    });
    const li = el('li', {}, before, link, after);
    if (it.in && typeof it.in === 'object') {
      li.appendChild(el('div', { className: 'rg-answer-in' }, 'mostly in ', el('span', { className: 'rg-answer-code' },
        frameLabel(frames, it.in))));
    }
    return li;
  }

  function block(id, title, lead, lis, empty) {
    return el('div', { className: 'rg-answer', id: id },
      el('h3', {}, title),
      lead ? el('p', { className: 'rg-answer-lead' }, lead) : null,
      lis.length ? el('ol', {}, lis) : el('p', { className: 'rg-answer-none' }, empty));
  }

  // Fills BOX with the answers. APP.reveal(kind, node) follows a link;
  // SUMMARY gives the run's wall time and peak time for the leads.
  function renderAnswers(box, summary, frames, app) {
    const a = summary.answers;
    if (!a || typeof a !== 'object') {
      box.hidden = true;
      return;
    }
    const time = a.time && typeof a.time === 'object' ? a.time : {};
    const total = +time.thread_seconds || 0;
    const threads = +time.threads || 0;
    const computing = +time.computing_seconds || 0;
    const waiting = +time.waiting_seconds || 0;
    const wall = +summary.elapsed_seconds;
    const goPerf = function (n) { app.reveal('perf', n); };
    const goMem = function (n) { app.reveal('memory', n); };

    const lead = total > 0
      ? RG.fmtSeconds(total) + ' of thread time (every thread\u2019s time added up) in ' +
        countWord(threads, 'thread', 'threads') + (isFinite(wall) && wall > 0 ? ', over ' + RG.fmtSeconds(wall) + ' of wall time' : '') +
        ': ' + RG.fmtPct(computing / total) + ' computing, ' + RG.fmtPct(waiting / total) + ' waiting.'
      : '';
    const comp = items(time.computing).map(function (it) {
      return line(frames, it, '', ' computed ' + RG.fmtSeconds(+it.seconds) + ', ' + RG.fmtPct(+it.share) +
        ' of thread time' + (+it.threads > 1 ? ' (' + countWord(+it.threads, 'thread', 'threads') + ')' : ''), goPerf);
    });

    const reasons = time.waiting_by_reason && typeof time.waiting_by_reason === 'object'
      ? Object.keys(time.waiting_by_reason).map(function (k) { return [k, +time.waiting_by_reason[k]]; })
        .filter(function (e) { return e[1] > 0; }).sort(function (x, y) { return y[1] - x[1]; }) : [];
    const waitLead = total > 0 && waiting > 0
      ? [RG.fmtSeconds(waiting) + ' waiting: ', reasons.slice(0, 5).map(function (e, k) {
        const st = RG.stateInfo(RG.stateOfLabel(e[0] === 'unknown' ? '[waiting]' : '[waiting: ' + e[0] + ']'));
        return [k ? ' \u00b7 ' : '', el('span', { className: 'rg-answer-reason' },
          el('i', { style: { background: st.color } }), st.label + ' ' + RG.fmtSeconds(e[1]))];
      })] : '';
    const wait = items(time.waiting).map(function (it) {
      const st = RG.stateInfo(RG.stateOfLabel(it.reason === 'unknown' ? '[waiting]' : '[waiting: ' + it.reason + ']'));
      const who = +it.threads === 1 ? '1 thread' : countWord(+it.threads || 0, 'thread', 'threads');
      return line(frames, it, who + ' waited ' + (RG.WAIT_WORDS[st.name] || 'for ' + st.label) + ' in ',
        ' \u2014 ' + RG.fmtPct(+it.share) + ' of thread time (' + RG.fmtSeconds(+it.seconds) + ')', goPerf);
    });

    const mem = a.memory && typeof a.memory === 'object' ? a.memory : null;
    let memBlock;
    if (mem) {
      const peakAt = summary.peak_memory_seconds;
      const memLead = RG.fmtBytes(+mem.bytes) + ' at the peak' +
        (peakAt !== null && peakAt !== undefined && isFinite(+peakAt) ? ', ' + RG.fmtSeconds(+peakAt) + ' into the run' : '') +
        (+summary.processes > 1 ? ', all processes together' : '') + '.';
      const held = items(mem.holding).map(function (it) {
        return line(frames, it, '', ' held ' + RG.fmtBytes(+it.bytes) + ', ' + RG.fmtPct(+it.share) + ' of the peak', goMem);
      });
      memBlock = block('rg-answer-memory', 'What held memory at the peak', memLead, held,
        'No memory was attributed to any callstack.');
    } else {
      memBlock = block('rg-answer-memory', 'What held memory at the peak',
        summary.peak_memory_source === 'rss' ? 'Allocations were not tracked (--no-memory): the peak resident set ' +
          'size was ' + RG.fmtBytes(+summary.peak_memory_bytes) + '.' : '', [], 'Memory was not tracked in this run.');
    }
    box.replaceChildren(
      block('rg-answer-time', 'Where the time went', lead, comp, total > 0 ? 'Nothing computed.' : 'No samples were recorded.'),
      block('rg-answer-wait', 'What waited, and for what', waitLead, wait,
        total > 0 ? 'Nothing waited: every sample was computing.' : 'No samples were recorded.'),
      memBlock);
    box.hidden = false;
  }

  RG.renderAnswers = renderAnswers;
})(window.RG = window.RG || {});
