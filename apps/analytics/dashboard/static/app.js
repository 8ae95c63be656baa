// The live dashboard: Server-Sent Events from /events into two uPlot charts, the rules, recent
// transitions and statistics. Plain script (no build step, no CDN); window.telemetryDashboard
// exposes its state for tests and the curious.
(() => {
  'use strict';
  const HISTORY_SECONDS = 3600;
  const STALE_SECONDS = 10;
  const MAX_TRANSITIONS = 20;

  const $ = (id) => document.getElementById(id);
  const css = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  const time = (ms) => new Date(ms).toLocaleTimeString();
  const fixed = (v) => (v === null || v === undefined ? '–' : Number(v).toFixed(2));

  // t in seconds, as uPlot wants; avg and max per bucket
  const data = { t: [], cpuAvg: [], cpuMax: [], ramAvg: [], ramMax: [] };
  const state = { bucketMs: 100, boot: null, lastEventId: null, host: '', rules: [], transitions: [], stats: null, lastSampleAt: null, range: 300, live: true, connected: false, events: 0, points: 0, snapshots: 0, firingAt: {} };
  window.telemetryDashboard = { data, state };

  const bucketOf = (seconds) => Math.floor((seconds * 1000) / state.bucketMs);

  /** Adds points [ms, cpuAvg, cpuMax, ramAvg, ramMax] in time order; a point of a bucket already shown replaces it. */
  function addPoints(points) {
    for (const p of points) {
      const t = p[0] / 1000;
      const n = data.t.length;
      // where it goes: the end, nearly always; a bucket shown before is replaced by its newer state
      let i = n > 0 && t < data.t[n - 1] && bucketOf(t) !== bucketOf(data.t[n - 1]) ? data.t.findIndex((x) => bucketOf(x) >= bucketOf(t)) : n;
      if (i === n && n > 0 && bucketOf(t) === bucketOf(data.t[n - 1])) i = n - 1;
      const values = [t, p[1], p[2], p[3], p[4]];
      const keys = ['t', 'cpuAvg', 'cpuMax', 'ramAvg', 'ramMax'];
      if (i < n && bucketOf(data.t[i]) === bucketOf(t)) {
        keys.forEach((k, j) => (data[k][i] = values[j]));
      } else {
        keys.forEach((k, j) => data[k].splice(i, 0, values[j]));
        state.points++;
      }
    }
    const cutoff = data.t.length ? data.t[data.t.length - 1] - HISTORY_SECONDS : 0;
    const drop = data.t.findIndex((x) => x >= cutoff);
    if (drop > 0) for (const k of Object.keys(data)) data[k].splice(0, drop);
  }

  // ---- charts -------------------------------------------------------------------------------
  const charts = {};
  let syncing = false;

  /** Threshold lines of the rules on this metric, and markers where its rules changed state. */
  function drawOverlay(metric) {
    return (u) => {
      const ctx = u.ctx;
      const { left, top, width, height } = u.bbox;
      ctx.save();
      ctx.lineWidth = 1 * devicePixelRatio;
      for (const r of state.rules) {
        if (r.metric !== metric || r.threshold === null) continue;
        const y = u.valToPos(r.threshold, 'y', true);
        if (y < top || y > top + height) continue;
        ctx.strokeStyle = css(r.state === 'firing' ? '--firing' : '--pending');
        ctx.setLineDash([6 * devicePixelRatio, 4 * devicePixelRatio]);
        ctx.beginPath(); ctx.moveTo(left, y); ctx.lineTo(left + width, y); ctx.stroke();
      }
      ctx.setLineDash([]);
      const ruleMetric = new Map(state.rules.map((r) => [r.name, r.metric]));
      for (const tr of state.transitions) {
        if (ruleMetric.get(tr.rule) !== metric) continue;
        const x = u.valToPos(tr.timestamp / 1000, 'x', true);
        if (x < left || x > left + width) continue;
        ctx.strokeStyle = css(tr.state === 'firing' ? '--firing' : '--ok');
        ctx.beginPath(); ctx.moveTo(x, top); ctx.lineTo(x, top + height); ctx.stroke();
      }
      ctx.restore();
    };
  }

  function makeChart(metric, label, color) {
    const el = $(`${metric}-chart`);
    const opts = {
      width: Math.max(300, el.clientWidth || 800),
      height: 220,
      cursor: { sync: { key: 'telemetry' }, drag: { x: true, y: false, setScale: true } },
      scales: { x: { time: true }, y: { range: [0, 100] } },
      axes: [{ stroke: css('--muted'), grid: { stroke: css('--line') } }, { stroke: css('--muted'), grid: { stroke: css('--line') }, values: (u, vals) => vals.map((v) => `${v}%`) }],
      series: [
        {},
        { label: `${label} avg`, stroke: color, width: 1.5, value: (u, v) => (v === null ? '–' : `${fixed(v)}%`) },
        { label: `${label} max`, stroke: color, width: 1, dash: [3, 3], value: (u, v) => (v === null ? '–' : `${fixed(v)}%`) },
      ],
      hooks: {
        draw: [drawOverlay(metric)],
        setScale: [(u, key) => {
          if (key !== 'x' || syncing) return;
          syncing = true;
          for (const other of Object.values(charts)) if (other !== u) other.setScale('x', { min: u.scales.x.min, max: u.scales.x.max });
          syncing = false;
        }],
        setSelect: [(u) => {
          if (u.select.width > 0) pause();
        }],
      },
    };
    const series = metric === 'cpu' ? [data.t, data.cpuAvg, data.cpuMax] : [data.t, data.ramAvg, data.ramMax];
    charts[metric] = new uPlot(opts, series, el);
  }

  function pause() {
    state.live = false;
    $('live').hidden = false;
    $('paused').hidden = false;
  }

  function resume() {
    state.live = true;
    $('live').hidden = true;
    $('paused').hidden = true;
    scheduleDraw();
  }

  let drawPending = false;
  function scheduleDraw() {
    if (drawPending) return;
    drawPending = true;
    requestAnimationFrame(() => {
      drawPending = false;
      draw();
    });
  }

  function summarize(name, avg, max) {
    const n = data.t.length;
    if (n === 0) return `${name}: no samples yet`;
    const from = data.t[n - 1] - state.range;
    let sum = 0, count = 0, top = -Infinity;
    for (let i = n - 1; i >= 0 && data.t[i] >= from; i--) { sum += avg[i]; count++; top = Math.max(top, max[i]); }
    return `${name}, last ${label(state.range)}: now ${fixed(avg[n - 1])} % at ${time(data.t[n - 1] * 1000)}, average ${fixed(sum / count)} %, highest ${fixed(top)} %`;
  }

  function label(seconds) {
    return seconds >= 3600 ? `${seconds / 3600} h` : `${seconds / 60} min`;
  }

  function draw() {
    const cpu = charts.cpu;
    const ram = charts.ram;
    cpu.setData([data.t, data.cpuAvg, data.cpuMax], false);
    ram.setData([data.t, data.ramAvg, data.ramMax], false);
    if (state.live && data.t.length) {
      const max = data.t[data.t.length - 1];
      syncing = true;
      cpu.setScale('x', { min: max - state.range, max });
      ram.setScale('x', { min: max - state.range, max });
      syncing = false;
    } else {
      cpu.redraw(); ram.redraw();
    }
    for (const [metric, name, avg, max] of [['cpu', 'CPU', data.cpuAvg, data.cpuMax], ['ram', 'RAM', data.ramAvg, data.ramMax]]) {
      const text = summarize(name, avg, max);
      $(`${metric}-summary`).textContent = text;
      $(`${metric}-chart`).setAttribute('aria-label', `${name} usage chart. ${text}`);
    }
  }

  // ---- rules, transitions, statistics ---------------------------------------------------------
  function renderRules() {
    const list = $('rules');
    list.replaceChildren(...state.rules.map((r) => {
      const li = document.createElement('li');
      li.dataset.rule = r.name;
      const s = document.createElement('span');
      s.className = `state state-${r.state}`;
      s.textContent = r.state;
      const name = document.createElement('b');
      name.textContent = r.name;
      const rest = document.createElement('span');
      rest.textContent = ` ${r.condition} (${r.severity})${r.since ? ` since ${time(r.since)}` : ''}`;
      li.append(s, ' ', name, rest);
      return li;
    }));
  }

  function renderTransitions() {
    $('transitions').replaceChildren(...state.transitions.slice(-MAX_TRANSITIONS).reverse().map((t) => {
      const li = document.createElement('li');
      const s = document.createElement('span');
      s.className = `state state-${t.state}`;
      s.textContent = t.state;
      li.append(s, ` ${time(t.timestamp)} `);
      const name = document.createElement('b');
      name.textContent = t.rule;
      li.append(name, ` value ${fixed(t.value)}${t.coalesced ? ` (+${t.coalesced} more changes)` : ''}`);
      return li;
    }));
  }

  function get(obj, path) {
    return path.split('.').reduce((o, k) => (o === null || o === undefined ? o : o[k]), obj);
  }

  function renderStats() {
    const s = state.stats;
    if (!s) return;
    for (const td of document.querySelectorAll('[data-stat]')) td.textContent = fixed(get(s, td.dataset.stat));
    const rejected = Object.entries(s.rejected).filter(([k]) => k !== 'total').map(([k, v]) => `${k} ${v}`).join(', ');
    const rows = [['samples', s.samples], ['samples in the window', s.window ? s.window.samples : '–'], ['rejected rows', `${s.rejected.total} (${rejected})`], ['missed samples (seq gaps)', s.gaps], ['bytes not yet read', s.lagBytes]];
    $('counts').replaceChildren(...rows.flatMap(([k, v]) => {
      const dt = document.createElement('dt');
      dt.textContent = k;
      const dd = document.createElement('dd');
      dd.textContent = String(v);
      dd.dataset.count = k;
      return [dt, dd];
    }));
  }

  function renderFreshness() {
    const el = $('freshness');
    if (!state.lastSampleAt) return;
    const ago = Math.max(0, Math.round((Date.now() - state.lastSampleAt) / 1000));
    const stale = ago > STALE_SECONDS;
    el.textContent = `last sample ${ago} s ago${stale ? ' — stale: no new data' : ''}`;
    el.classList.toggle('stale', stale);
  }

  function setRules(rules) {
    const now = Date.now();
    for (const r of rules) {
      const before = state.rules.find((x) => x.name === r.name);
      if (r.state === 'firing' && before && before.state !== 'firing') state.firingAt[r.name] = now;
    }
    state.rules = rules;
    renderRules();
  }

  function applyState(s) {
    state.host = s.host;
    $('host').textContent = s.host;
    document.title = `telemetry on ${s.host}`;
    state.stats = s.stats;
    state.lastSampleAt = s.lastSampleAt;
    setRules(s.rules);
    renderStats();
    renderFreshness();
  }

  function applyTransitions(list) {
    state.transitions.push(...list);
    state.transitions.splice(0, Math.max(0, state.transitions.length - 50));
    // the rule's state changes at once; the next stats event confirms it
    setRules(state.rules.map((r) => {
      const t = list.findLast((x) => x.rule === r.name);
      if (!t || r.state === 'flapping') return r;
      return { ...r, state: t.state === 'firing' ? 'firing' : 'ok', since: t.timestamp };
    }));
    renderTransitions();
    scheduleDraw();
  }

  // ---- events ---------------------------------------------------------------------------------
  let source = null;
  let retryMs = 500;

  function setConnection(text) {
    $('connection').textContent = text;
  }

  function connect() {
    const url = state.lastEventId ? `/events?lastEventId=${encodeURIComponent(state.lastEventId)}` : '/events';
    source = new EventSource(url);
    const on = (type, handle) => source.addEventListener(type, (e) => {
      state.events++;
      if (e.lastEventId) state.lastEventId = e.lastEventId;
      handle(JSON.parse(e.data));
    });
    on('snapshot', (s) => {
      state.snapshots++;
      state.boot = s.boot;
      state.bucketMs = s.bucketMs;
      // merged, not replaced: after an analytics restart the page keeps the history it has
      addPoints(s.points);
      state.transitions = s.transitions.slice();
      applyState(s);
      renderTransitions();
      scheduleDraw();
    });
    on('points', (points) => {
      addPoints(points);
      scheduleDraw();
    });
    on('transitions', applyTransitions);
    on('stats', applyState);
    source.onopen = () => {
      retryMs = 500;
      state.connected = true;
      setConnection('live');
    };
    source.onerror = () => {
      state.connected = false;
      setConnection('connection lost; reconnecting…');
      // the browser retries by itself after a network error, but not after a non-200 answer
      if (source.readyState === EventSource.CLOSED) {
        source.close();
        setTimeout(connect, retryMs);
        retryMs = Math.min(retryMs * 2, 10_000);
      }
    };
  }

  for (const button of document.querySelectorAll('[data-range]')) {
    button.addEventListener('click', () => {
      state.range = Number(button.dataset.range);
      for (const b of document.querySelectorAll('[data-range]')) b.setAttribute('aria-pressed', String(b === button));
      resume();
    });
  }
  $('live').addEventListener('click', resume);
  window.addEventListener('resize', () => {
    for (const [metric, chart] of Object.entries(charts)) chart.setSize({ width: Math.max(300, $(`${metric}-chart`).clientWidth), height: 220 });
  });

  makeChart('cpu', 'CPU', css('--cpu'));
  makeChart('ram', 'RAM', css('--ram'));
  setInterval(renderFreshness, 1000);
  connect();
})();
