// The live dashboard: Server-Sent Events from /events into two uPlot charts, the rules, recent
// transitions and statistics. A module script after uPlot's (no bundler, no CDN), whose global it
// uses; window.telemetryDashboard exposes its state for tests and the curious.

import type { Point, RuleView, ShownTransition, StateView, StatsView } from '../wire.js';

interface Snapshot extends StateView {
  boot: string;
  bucketMs: number;
  points: Point[];
  transitions: ShownTransition[];
}

/** What each event of /events carries. */
interface FeedEvents {
  snapshot: Snapshot;
  points: Point[];
  transitions: ShownTransition[];
  stats: StateView;
}

interface Series {
  t: number[];
  cpuAvg: number[];
  cpuMax: number[];
  ramAvg: number[];
  ramMax: number[];
}

interface DashboardState {
  bucketMs: number;
  boot: string | null;
  lastEventId: string | null;
  host: string;
  rules: RuleView[];
  transitions: ShownTransition[];
  stats: StatsView | null;
  lastSampleAt: number | null;
  /** The range shown, in seconds. */
  range: number;
  live: boolean;
  connected: boolean;
  events: number;
  points: number;
  snapshots: number;
  /** When the page saw each rule turn firing (ms, the page's clock). */
  firingAt: Record<string, number>;
}

declare global {
  interface Window {
    telemetryDashboard: { data: Series; state: DashboardState };
  }
}

(() => {
  const HISTORY_SECONDS = 3600;
  const STALE_SECONDS = 10;
  const MAX_TRANSITIONS = 20;
  const KEYS = ['t', 'cpuAvg', 'cpuMax', 'ramAvg', 'ramMax'] as const;

  const $ = (id: string): HTMLElement => {
    const el = document.getElementById(id);
    if (!el) throw new Error(`the page has no #${id}`);
    return el;
  };
  const css = (name: string): string => getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  const time = (ms: number): string => new Date(ms).toLocaleTimeString();
  const fixed = (v: number | null | undefined): string => (v === null || v === undefined ? '–' : v.toFixed(2));

  // t in seconds, as uPlot wants; avg and max per bucket
  const data: Series = { t: [], cpuAvg: [], cpuMax: [], ramAvg: [], ramMax: [] };
  const state: DashboardState = {
    bucketMs: 100,
    boot: null,
    lastEventId: null,
    host: '',
    rules: [],
    transitions: [],
    stats: null,
    lastSampleAt: null,
    range: 300,
    live: true,
    connected: false,
    events: 0,
    points: 0,
    snapshots: 0,
    firingAt: {},
  };
  window.telemetryDashboard = { data, state };

  const bucketOf = (seconds: number): number => Math.floor((seconds * 1000) / state.bucketMs);
  const lastT = (): number => data.t[data.t.length - 1] ?? 0;

  /** Adds points in time order; a point of a bucket already shown replaces it. */
  function addPoints(points: Point[]): void {
    for (const p of points) {
      const t = p[0] / 1000;
      const n = data.t.length;
      // where it goes: the end, nearly always; a bucket shown before is replaced by its newer state
      let i =
        n > 0 && t < lastT() && bucketOf(t) !== bucketOf(lastT())
          ? data.t.findIndex((x) => bucketOf(x) >= bucketOf(t))
          : n;
      if (i === n && n > 0 && bucketOf(t) === bucketOf(lastT())) i = n - 1;
      const values = [t, p[1], p[2], p[3], p[4]];
      if (i < n && bucketOf(data.t[i]!) === bucketOf(t)) {
        KEYS.forEach((k, j) => (data[k][i] = values[j]!));
      } else {
        KEYS.forEach((k, j) => data[k].splice(i, 0, values[j]!));
        state.points++;
      }
    }
    const cutoff = data.t.length ? lastT() - HISTORY_SECONDS : 0;
    const drop = data.t.findIndex((x) => x >= cutoff);
    if (drop > 0) for (const k of KEYS) data[k].splice(0, drop);
  }

  // ---- charts -------------------------------------------------------------------------------
  const charts = new Map<'cpu' | 'ram', uPlot>();
  let syncing = false;

  /** Threshold lines of the rules on this metric, and markers where its rules changed state. */
  function drawOverlay(metric: 'cpu' | 'ram'): (u: uPlot) => void {
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
        ctx.beginPath();
        ctx.moveTo(left, y);
        ctx.lineTo(left + width, y);
        ctx.stroke();
      }
      ctx.setLineDash([]);
      const ruleMetric = new Map(state.rules.map((r) => [r.name, r.metric]));
      for (const tr of state.transitions) {
        if (ruleMetric.get(tr.rule) !== metric) continue;
        const x = u.valToPos(tr.timestamp / 1000, 'x', true);
        if (x < left || x > left + width) continue;
        ctx.strokeStyle = css(tr.state === 'firing' ? '--firing' : '--ok');
        ctx.beginPath();
        ctx.moveTo(x, top);
        ctx.lineTo(x, top + height);
        ctx.stroke();
      }
      ctx.restore();
    };
  }

  const seriesOf = (metric: 'cpu' | 'ram'): uPlot.AlignedData =>
    metric === 'cpu' ? [data.t, data.cpuAvg, data.cpuMax] : [data.t, data.ramAvg, data.ramMax];

  function makeChart(metric: 'cpu' | 'ram', label: string, color: string): void {
    const el = $(`${metric}-chart`);
    const percent = (_: uPlot, v: number | null): string => (v === null ? '–' : `${fixed(v)}%`);
    const opts: uPlot.Options = {
      width: Math.max(300, el.clientWidth || 800),
      height: 220,
      cursor: { sync: { key: 'telemetry' }, drag: { x: true, y: false, setScale: true } },
      scales: { x: { time: true }, y: { range: [0, 100] } },
      axes: [
        { stroke: css('--muted'), grid: { stroke: css('--line') } },
        { stroke: css('--muted'), grid: { stroke: css('--line') }, values: (_, vals) => vals.map((v) => `${v}%`) },
      ],
      series: [
        {},
        { label: `${label} avg`, stroke: color, width: 1.5, value: percent },
        { label: `${label} max`, stroke: color, width: 1, dash: [3, 3], value: percent },
      ],
      hooks: {
        draw: [drawOverlay(metric)],
        setScale: [
          (u, key) => {
            if (key !== 'x' || syncing) return;
            syncing = true;
            const { min, max } = u.scales.x!;
            for (const other of charts.values()) {
              if (other !== u && min !== undefined && max !== undefined) other.setScale('x', { min, max });
            }
            syncing = false;
          },
        ],
        setSelect: [
          (u) => {
            if (u.select.width > 0) pause();
          },
        ],
      },
    };
    charts.set(metric, new uPlot(opts, seriesOf(metric), el));
  }

  function pause(): void {
    state.live = false;
    $('live').hidden = false;
    $('paused').hidden = false;
  }

  function resume(): void {
    state.live = true;
    $('live').hidden = true;
    $('paused').hidden = true;
    scheduleDraw();
  }

  let drawPending = false;
  function scheduleDraw(): void {
    if (drawPending) return;
    drawPending = true;
    requestAnimationFrame(() => {
      drawPending = false;
      draw();
    });
  }

  function label(seconds: number): string {
    return seconds >= 3600 ? `${seconds / 3600} h` : `${seconds / 60} min`;
  }

  function summarize(name: string, avg: number[], max: number[]): string {
    const n = data.t.length;
    if (n === 0) return `${name}: no samples yet`;
    const from = lastT() - state.range;
    let sum = 0;
    let count = 0;
    let top = -Infinity;
    for (let i = n - 1; i >= 0 && data.t[i]! >= from; i--) {
      sum += avg[i]!;
      count++;
      top = Math.max(top, max[i]!);
    }
    return `${name}, last ${label(state.range)}: now ${fixed(avg[n - 1])} % at ${time(lastT() * 1000)}, average ${fixed(sum / count)} %, highest ${fixed(top)} %`;
  }

  function draw(): void {
    for (const [metric, chart] of charts) {
      chart.setData(seriesOf(metric), false);
      if (state.live && data.t.length) {
        syncing = true;
        chart.setScale('x', { min: lastT() - state.range, max: lastT() });
        syncing = false;
      } else {
        chart.redraw();
      }
    }
    const shown = [
      ['cpu', 'CPU', data.cpuAvg, data.cpuMax],
      ['ram', 'RAM', data.ramAvg, data.ramMax],
    ] as const;
    for (const [metric, name, avg, max] of shown) {
      const text = summarize(name, avg, max);
      $(`${metric}-summary`).textContent = text;
      $(`${metric}-chart`).setAttribute('aria-label', `${name} usage chart. ${text}`);
    }
  }

  // ---- rules, transitions, statistics ---------------------------------------------------------
  function stateBadge(text: string): HTMLSpanElement {
    const s = document.createElement('span');
    s.className = `state state-${text}`;
    s.textContent = text;
    return s;
  }

  function bold(text: string): HTMLElement {
    const b = document.createElement('b');
    b.textContent = text;
    return b;
  }

  function renderRules(): void {
    $('rules').replaceChildren(
      ...state.rules.map((r) => {
        const li = document.createElement('li');
        li.dataset.rule = r.name;
        const rest = document.createElement('span');
        rest.textContent = ` ${r.condition} (${r.severity})${r.since ? ` since ${time(r.since)}` : ''}`;
        li.append(stateBadge(r.state), ' ', bold(r.name), rest);
        return li;
      }),
    );
  }

  function renderTransitions(): void {
    $('transitions').replaceChildren(
      ...state.transitions
        .slice(-MAX_TRANSITIONS)
        .reverse()
        .map((t) => {
          const li = document.createElement('li');
          li.append(stateBadge(t.state), ` ${time(t.timestamp)} `);
          li.append(bold(t.rule), ` value ${fixed(t.value)}${t.coalesced ? ` (+${t.coalesced} more changes)` : ''}`);
          return li;
        }),
    );
  }

  /** `cpu.avg`, `window.ram.max`: a figure of the stats, or undefined. */
  function figure(stats: StatsView, path: string): number | undefined {
    let at: unknown = stats;
    for (const k of path.split('.'))
      at = at !== null && typeof at === 'object' ? (at as Record<string, unknown>)[k] : undefined;
    return typeof at === 'number' ? at : undefined;
  }

  /** The statistics table's rows: a figure cell per aggregate, filled by renderStats(). */
  function buildStatRows(): void {
    const rows = [
      ['CPU, all time', 'cpu'],
      ['CPU, window', 'window.cpu'],
      ['RAM, all time', 'ram'],
      ['RAM, window', 'window.ram'],
    ] as const;
    $('stat-rows').replaceChildren(
      ...rows.map(([label, path]) => {
        const tr = document.createElement('tr');
        const th = document.createElement('th');
        th.scope = 'row';
        th.textContent = label;
        tr.append(th);
        for (const figure of ['avg', 'min', 'max']) {
          const td = document.createElement('td');
          td.dataset.stat = `${path}.${figure}`;
          tr.append(td);
        }
        return tr;
      }),
    );
  }

  function renderStats(): void {
    const s = state.stats;
    if (!s) return;
    for (const td of document.querySelectorAll<HTMLElement>('[data-stat]')) {
      td.textContent = fixed(figure(s, td.dataset.stat ?? ''));
    }
    const rejected = Object.entries(s.rejected)
      .filter(([k]) => k !== 'total')
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
    const rows: [string, string | number][] = [
      ['samples', s.samples],
      ['samples in the window', s.window ? s.window.samples : '–'],
      ['rejected rows', `${s.rejected.total} (${rejected})`],
      ['missed samples (seq gaps)', s.gaps],
      ['bytes not yet read', s.lagBytes],
    ];
    const rw = s.remoteWrite;
    if (rw)
      rows.push(
        ['remote_write sent', rw.sent],
        ['remote_write failed / dropped / lost', `${rw.failed} / ${rw.dropped} / ${rw.lost}`],
        ['remote_write backlog', `${rw.backlog} samples, ${rw.behindSeconds} s behind`],
      );
    $('counts').replaceChildren(
      ...rows.flatMap(([k, v]) => {
        const dt = document.createElement('dt');
        dt.textContent = k;
        const dd = document.createElement('dd');
        dd.textContent = String(v);
        dd.dataset.count = k;
        return [dt, dd];
      }),
    );
  }

  function renderFreshness(): void {
    const el = $('freshness');
    if (!state.lastSampleAt) return;
    const ago = Math.max(0, Math.round((Date.now() - state.lastSampleAt) / 1000));
    const stale = ago > STALE_SECONDS;
    el.textContent = `last sample ${ago} s ago${stale ? ' — stale: no new data' : ''}`;
    el.classList.toggle('stale', stale);
  }

  function setRules(rules: RuleView[]): void {
    const now = Date.now();
    for (const r of rules) {
      const before = state.rules.find((x) => x.name === r.name);
      if (r.state === 'firing' && before && before.state !== 'firing') state.firingAt[r.name] = now;
    }
    state.rules = rules;
    renderRules();
  }

  function applyState(s: StateView): void {
    state.host = s.host;
    $('host').textContent = s.host;
    document.title = `telemetry on ${s.host}`;
    state.stats = s.stats;
    state.lastSampleAt = s.lastSampleAt;
    setRules(s.rules);
    renderStats();
    renderFreshness();
  }

  function applyTransitions(list: ShownTransition[]): void {
    state.transitions.push(...list);
    state.transitions.splice(0, Math.max(0, state.transitions.length - 50));
    // the rule's state changes at once; the next stats event confirms it
    setRules(
      state.rules.map((r) => {
        const t = list.findLast((x) => x.rule === r.name);
        if (!t || r.state === 'flapping') return r;
        return { ...r, state: t.state === 'firing' ? 'firing' : 'ok', since: t.timestamp };
      }),
    );
    renderTransitions();
    scheduleDraw();
  }

  // ---- events ---------------------------------------------------------------------------------
  let retryMs = 500;

  function setConnection(text: string): void {
    $('connection').textContent = text;
  }

  function connect(): void {
    const url = state.lastEventId ? `/events?lastEventId=${encodeURIComponent(state.lastEventId)}` : '/events';
    const source = new EventSource(url);
    const on = <K extends keyof FeedEvents>(type: K, handle: (data: FeedEvents[K]) => void): void => {
      source.addEventListener(type, (e: MessageEvent<string>) => {
        state.events++;
        if (e.lastEventId) state.lastEventId = e.lastEventId;
        handle(JSON.parse(e.data) as FeedEvents[K]);
      });
    };
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

  const rangeButtons = document.querySelectorAll<HTMLElement>('[data-range]');
  for (const button of rangeButtons) {
    button.addEventListener('click', () => {
      state.range = Number(button.dataset.range);
      for (const b of rangeButtons) b.setAttribute('aria-pressed', String(b === button));
      resume();
    });
  }
  $('live').addEventListener('click', resume);
  window.addEventListener('resize', () => {
    for (const [metric, chart] of charts) {
      chart.setSize({ width: Math.max(300, $(`${metric}-chart`).clientWidth), height: 220 });
    }
  });

  buildStatRows();
  makeChart('cpu', 'CPU', css('--cpu'));
  makeChart('ram', 'RAM', css('--ram'));
  setInterval(renderFreshness, 1000);
  connect();
})();
