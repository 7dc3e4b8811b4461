/**
 * Plotly traces for one chart (pure; no DOM, no Plotly import): per charted run and key a
 * main line, plus a faint raw line under a smoothed one, a min-max band where the server
 * downsampled, and markers where the value was NaN or infinite (a diverged run must not look
 * like it stopped at its last finite value). Every trace carries `meta: {rid, key, role}` so
 * hover and highlight can find the run, and tests can count "main" traces.
 *
 * `buildChart` also returns one record per trace (which series it draws, how many of its points,
 * the smoothing state) so that `planAppend` can later turn points appended live into one
 * `Plotly.extendTraces` call instead of a redraw.
 */
import { emaSmoothFrom } from './smoothing.js';
import { minMaxBand } from './merge.js';

export const PALETTE = [
  '#4f46e5', '#f97316', '#10b981', '#e11d48', '#0ea5e9', '#a855f7', '#84cc16', '#f59e0b',
  '#14b8a6', '#ec4899', '#6366f1', '#ef4444', '#22c55e', '#8b5cf6', '#06b6d4', '#eab308',
];
export const DASHES = ['solid', 'dash', 'dashdot', 'longdash'];

/** Where non-finite markers sit on the hidden 0..1 axis `y3`: infinities at the edge they point to. */
export const NONFINITE_MARK = {
  NaN: { y: 0.95, symbol: 'x' },
  Infinity: { y: 0.95, symbol: 'triangle-up' },
  '-Infinity': { y: 0.05, symbol: 'triangle-down' },
};
const NONFINITE_OUTLINE = '#dc2626';

/**
 * A stable colour per result id, the same in the table swatch and every chart. The first 16
 * ids take the palette; beyond, hues step by the golden angle (neighbouring ids, which runs of
 * one sweep usually are, get far-apart hues) over three lightness and saturation levels, so a
 * chart of 100+ runs does not repeat a colour every 16 runs.
 */
export function runColor(id) {
  const n = Math.abs(Number(id) || 0);
  if (n < PALETTE.length) return PALETTE[n];
  const hue = (n * 137.508) % 360;
  const level = Math.floor(n / 7) % 3;
  return hslToHex(hue, [72, 58, 86][level], [46, 36, 56][level]);
}

function hslToHex(h, s, l) {
  const a = (s / 100) * Math.min(l / 100, 1 - l / 100);
  const f = (k) => {
    const t = (k + h / 30) % 12;
    const v = l / 100 - a * Math.max(-1, Math.min(t - 3, 9 - t, 1));
    return Math.round(v * 255).toString(16).padStart(2, '0');
  };
  return `#${f(0)}${f(8)}${f(4)}`;
}

/** Plotly renders a subset of HTML in names and titles; entities make user text literal. */
export function escapePlotly(text) {
  return String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function withAlpha(hex, alpha) {
  const n = Number.parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255},${(n >> 8) & 255},${n & 255},${alpha})`;
}

/** The keys of a chart spec with their y axis: left keys on 'y', right keys on 'y2'. */
function chartAxes(spec) {
  return [...(spec.left || []).map((k) => [k, 'y']), ...(spec.right || []).map((k) => [k, 'y2'])];
}

/** The x of the non-finite points of `nf` from index `from` on, by kind ("NaN", "Infinity", "-Infinity"). */
function nonfiniteByKind(nf, from = 0) {
  const out = new Map();
  for (let i = from; i < nf.x.length; i++) {
    const kind = NONFINITE_MARK[nf.value[i]] ? nf.value[i] : 'NaN';
    if (!out.has(kind)) out.set(kind, []);
    out.get(kind).push(nf.x[i]);
  }
  return out;
}

/**
 * runs: [{id, name}]; seriesFor(id) -> {key: {x, y, downsampled, pairedPoints, nonfinite, epoch}}
 * or undefined; spec: {left: [keys], right: [keys]}; options: {smoothing, gl, highlight (run id
 * or null), bands (draw min-max bands; a chart of many runs turns them off, they would only add
 * noise)}. Returns {traces, records, extents}: `extents` are the finite y extremes per axis.
 */
export function buildChart(runs, seriesFor, spec, { smoothing = 0, gl = false, highlight = null, bands = true } = {}) {
  const type = gl ? 'scattergl' : 'scatter';
  const axes = chartAxes(spec);
  const multiKey = axes.length > 1;
  const traces = [];
  const records = [];
  const extents = { y: null, y2: null };
  const push = (trace, record) => {
    traces.push(trace);
    records.push(record);
  };
  for (const run of runs) {
    const series = seriesFor(run.id) || {};
    const color = run.color || runColor(run.id); // a colour given by the page (colour by an arg)
    const dim = highlight !== null && highlight !== run.id;
    const strong = highlight === run.id;
    axes.forEach(([key, yaxis], i) => {
      const s = series[key];
      if (!s || (s.x.length === 0 && !s.nonfinite?.x.length)) return;
      const label = escapePlotly(multiKey ? `${run.name} · ${key}` : run.name);
      const meta = { rid: run.id, key };
      const base = { rid: run.id, key, epoch: s.epoch ?? 0, n: s.x.length };
      extents[yaxis] = widen(extents[yaxis], s.y);
      const band = bands ? minMaxBand(s) : { x: [] };
      if (band.x.length) {
        push({ type, x: band.x, y: band.lo, yaxis, mode: 'lines', line: { width: 0, color }, hoverinfo: 'skip',
          showlegend: false, meta: { ...meta, role: 'band-low' } }, { ...base, role: 'band-low' });
        push({ type, x: band.x, y: band.hi, yaxis, mode: 'lines', line: { width: 0, color }, fill: 'tonexty',
          fillcolor: withAlpha(color, dim ? 0.04 : 0.14), hoverinfo: 'skip', showlegend: false,
          meta: { ...meta, role: 'band-high' } }, { ...base, role: 'band-high' });
      }
      const smoothed = smoothing > 0;
      if (smoothed) {
        push({ type, x: s.x.slice(), y: s.y.slice(), yaxis, mode: 'lines', line: { width: 1, color },
          opacity: dim ? 0.08 : 0.25, hoverinfo: 'skip', showlegend: false, meta: { ...meta, role: 'raw' } },
        { ...base, role: 'raw' });
      }
      const ema = smoothed ? emaSmoothFrom(s.y, smoothing) : null;
      push({
        type, x: s.x.slice(), y: smoothed ? ema.out : s.y.slice(), yaxis,
        mode: s.x.length === 1 ? 'markers' : 'lines',
        // One legend entry per run (its first key); the keys differ by dash, named in the chart title.
        name: escapePlotly(run.name), legendgroup: String(run.id), showlegend: i === 0,
        line: { width: strong ? 3 : 1.6, color, dash: DASHES[i % DASHES.length] },
        marker: { color, size: 6 },
        opacity: dim ? 0.25 : 1,
        connectgaps: false,
        // The label goes through `meta`: text substituted into a template is not parsed again.
        hovertemplate: '%{y:.4g} @ %{x}<extra>%{meta.label}</extra>',
        meta: { ...meta, role: 'main', label },
      }, { ...base, role: 'main', ema: ema?.state ?? null, single: s.x.length === 1, nf: s.nonfinite?.x.length ?? 0 });
      const nf = s.nonfinite || { x: [], value: [] };
      for (const [kind, xs] of nonfiniteByKind(nf)) {
        // One trace per kind, so live appends extend x and y only (the symbol is the trace's).
        const mark = NONFINITE_MARK[kind];
        push({ type: 'scatter', x: xs, y: xs.map(() => mark.y), yaxis: 'y3', mode: 'markers', showlegend: false,
          marker: { color, size: 8, symbol: mark.symbol, line: { color: NONFINITE_OUTLINE, width: 1.5 } },
          hovertemplate: `${kind} @ %{x}<extra>%{meta.label}</extra>`,
          meta: { ...meta, role: 'nonfinite', kind, label, runName: run.name } }, { ...base, role: 'nonfinite', kind, nf: nf.x.length });
      }
    });
  }
  return { traces, records, extents };
}

function widen(extent, ys, from = 0) {
  let out = extent;
  for (let i = from; i < ys.length; i++) {
    const v = ys[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) continue;
    if (!out) out = { min: v, max: v };
    else if (v < out.min) out = { min: v, max: out.max };
    else if (v > out.max) out = { min: out.min, max: v };
  }
  return out;
}

/**
 * The y range of an axis whose every finite value is the same number, else null (autorange).
 * Plotly draws a constant series on -1..1, so lr = 0.01 would sit on the zero line; the range
 * is centred on the value instead. Log axes autorange well around a constant and are left alone.
 */
export function constantRange(extent, log = false) {
  if (!extent || extent.min !== extent.max || log) return null;
  const v = extent.min;
  const pad = v === 0 ? 1 : Math.abs(v) * 0.1;
  return [v - pad, v + pad];
}

/**
 * Points appended live since the chart was drawn, as one `Plotly.extendTraces(gd, update,
 * indices)` call: `{indices, update: {x, y, ...}, records, extents}` (empty `indices` when
 * nothing is new), or null when an append cannot express the change (a series was replaced by a
 * full answer, a trace must be added, an axis range switches between constant and not) and the
 * chart must be redrawn. `records`/`extents` are those `buildChart` (or the previous plan)
 * returned; `runs` are the charted runs; `log` says whether the y axes are logarithmic.
 */
export function planAppend(records, extents, runs, seriesFor, spec, { smoothing = 0, log = false } = {}) {
  const indices = [];
  const xs = [];
  const ys = [];
  const next = records.slice();
  const axisOf = new Map(chartAxes(spec).map(([k, a]) => [k, a]));
  const nextExtents = { ...extents };
  const drawn = new Set(records.map((r) => `${r.rid}\n${r.key}`));
  const markerKinds = new Set(records.filter((r) => r.role === 'nonfinite').map((r) => `${r.rid}\n${r.key}\n${r.kind}`));
  const nfDrawn = new Map(records.filter((r) => r.role === 'main').map((r) => [`${r.rid}\n${r.key}`, r.nf ?? 0]));
  for (let i = 0; i < records.length; i++) {
    const rec = records[i];
    const s = seriesFor(rec.rid)?.[rec.key];
    if (!s || (s.epoch ?? 0) !== rec.epoch || s.x.length < rec.n) return null;
    if (rec.role === 'band-low' || rec.role === 'band-high') continue; // appended points are never paired
    if (rec.role === 'nonfinite') {
      const nf = s.nonfinite || { x: [], value: [] };
      if (nf.x.length === rec.nf) continue;
      const add = nonfiniteByKind(nf, rec.nf).get(rec.kind) || [];
      next[i] = { ...rec, nf: nf.x.length };
      if (!add.length) continue;
      indices.push(i);
      xs.push(add);
      ys.push(add.map(() => NONFINITE_MARK[rec.kind].y));
      continue;
    }
    if (rec.role === 'main') {
      const nf = s.nonfinite || { x: [], value: [] };
      for (const kind of nonfiniteByKind(nf, nfDrawn.get(`${rec.rid}\n${rec.key}`)).keys()) {
        if (!markerKinds.has(`${rec.rid}\n${rec.key}\n${kind}`)) return null; // a new kind of marker: add its trace
      }
      next[i] = { ...next[i], nf: nf.x.length };
    }
    if (s.x.length === rec.n) continue;
    if (rec.single) return null; // a one-point series is drawn as a marker; with more, as a line
    const addX = s.x.slice(rec.n);
    const addY = s.y.slice(rec.n);
    let y = addY;
    let ema = rec.ema;
    if (rec.role === 'main' && smoothing > 0) {
      const smoothed = emaSmoothFrom(addY, smoothing, rec.ema || undefined);
      y = smoothed.out;
      ema = smoothed.state;
    }
    if (rec.role === 'main') {
      const axis = axisOf.get(rec.key) || 'y';
      nextExtents[axis] = widen(nextExtents[axis], addY);
    }
    indices.push(i);
    xs.push(addX);
    ys.push(y);
    next[i] = { ...next[i], n: s.x.length, ema };
  }
  // A series with points that had none when drawn needs a new trace.
  for (const [rid, key] of seriesKeys(runs, seriesFor, spec)) {
    if (!drawn.has(`${rid}\n${key}`)) return null;
  }
  for (const axis of ['y', 'y2']) {
    const before = constantRange(extents[axis], log);
    const after = constantRange(nextExtents[axis], log);
    if (JSON.stringify(before) !== JSON.stringify(after)) return null;
  }
  return { indices, update: indices.length ? { x: xs, y: ys } : null, records: next, extents: nextExtents };
}

/** (rid, key) of every series of `runs` that has points, for the chart's keys. */
function* seriesKeys(runs, seriesFor, spec) {
  const keys = chartAxes(spec).map(([k]) => k);
  for (const { id: rid } of runs) {
    const series = seriesFor(rid) || {};
    for (const key of keys) {
      const s = series[key];
      if (s && (s.x.length || s.nonfinite?.x.length)) yield [rid, key];
    }
  }
}

/** Points a chart would draw, to decide between SVG and WebGL traces. */
export function countPoints(runs, seriesFor, keys) {
  let n = 0;
  for (const run of runs) {
    const series = seriesFor(run.id) || {};
    for (const k of keys) n += series[k]?.x.length || 0;
  }
  return n;
}
