/**
 * Plotly traces for one chart (pure; no DOM, no Plotly import): per charted run and key a
 * main line, plus a faint raw line under a smoothed one and a min-max band where the server
 * downsampled. Every trace carries `meta: {rid, key, role}` so hover and highlight can find
 * the run, and tests can count "main" traces.
 */
import { emaSmooth } from './smoothing.js';
import { minMaxBand } from './merge.js';

export const PALETTE = [
  '#4f46e5', '#f97316', '#10b981', '#e11d48', '#0ea5e9', '#a855f7', '#84cc16', '#f59e0b',
  '#14b8a6', '#ec4899', '#6366f1', '#ef4444', '#22c55e', '#8b5cf6', '#06b6d4', '#eab308',
];
export const DASHES = ['solid', 'dash', 'dashdot', 'longdash'];

/** A stable colour per result id, the same in the table swatch and every chart. */
export function runColor(id) {
  return PALETTE[Math.abs(Number(id) || 0) % PALETTE.length];
}

/** Plotly renders a subset of HTML in names and titles; entities make user text literal. */
export function escapePlotly(text) {
  return String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function withAlpha(hex, alpha) {
  const n = Number.parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255},${(n >> 8) & 255},${n & 255},${alpha})`;
}

/**
 * runs: [{id, name}]; seriesFor(id) -> {key: {x, y, downsampled, pairedPoints}} or undefined;
 * spec: {left: [keys], right: [keys]}; options: {smoothing, gl, highlight (run id or null),
 * bands (draw min-max bands; a chart of many runs turns them off, they would only add noise)}.
 */
export function buildTraces(runs, seriesFor, spec, { smoothing = 0, gl = false, highlight = null, bands = true } = {}) {
  const type = gl ? 'scattergl' : 'scatter';
  const axes = [...(spec.left || []).map((k) => [k, 'y']), ...(spec.right || []).map((k) => [k, 'y2'])];
  const multiKey = axes.length > 1;
  const traces = [];
  for (const run of runs) {
    const series = seriesFor(run.id) || {};
    const color = runColor(run.id);
    const dim = highlight !== null && highlight !== run.id;
    const strong = highlight === run.id;
    axes.forEach(([key, yaxis], i) => {
      const s = series[key];
      if (!s || s.x.length === 0) return;
      const name = escapePlotly(multiKey ? `${run.name} · ${key}` : run.name);
      const meta = { rid: run.id, key };
      const band = bands ? minMaxBand(s) : { x: [] };
      if (band.x.length) {
        traces.push({ type, x: band.x, y: band.lo, yaxis, mode: 'lines', line: { width: 0, color }, hoverinfo: 'skip',
          showlegend: false, meta: { ...meta, role: 'band-low' } });
        traces.push({ type, x: band.x, y: band.hi, yaxis, mode: 'lines', line: { width: 0, color }, fill: 'tonexty',
          fillcolor: withAlpha(color, dim ? 0.04 : 0.14), hoverinfo: 'skip', showlegend: false, meta: { ...meta, role: 'band-high' } });
      }
      const smoothed = smoothing > 0;
      if (smoothed) {
        traces.push({ type, x: s.x, y: s.y, yaxis, mode: 'lines', line: { width: 1, color }, opacity: dim ? 0.08 : 0.25,
          hoverinfo: 'skip', showlegend: false, meta: { ...meta, role: 'raw' } });
      }
      traces.push({
        type, x: s.x, y: smoothed ? emaSmooth(s.y, smoothing) : s.y, yaxis,
        mode: s.x.length === 1 ? 'markers' : 'lines',
        // One legend entry per run (its first key); the keys differ by dash, named in the chart title.
        name: escapePlotly(run.name), legendgroup: String(run.id), showlegend: i === 0,
        line: { width: strong ? 3 : 1.6, color, dash: DASHES[i % DASHES.length] },
        marker: { color, size: 6 },
        opacity: dim ? 0.25 : 1,
        connectgaps: false,
        // The label goes through `meta`: text substituted into a template is not parsed again.
        hovertemplate: '%{y:.4g} @ %{x}<extra>%{meta.label}</extra>',
        meta: { ...meta, role: 'main', label: name },
      });
    });
  }
  return traces;
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
