/**
 * Grouped curves (pure): the runs of a group (same value of an arg) drawn as one line, their
 * mean at every x that any of them logged, over a band from their min to their max there.
 */
import { PALETTE, withAlpha } from './traces.js';

/**
 * One entry per group and key, in the order groups first appear in `runs`:
 * {label, key, x, mean, min, max, count}. `labelOf(run)` names a run's group.
 */
export function groupStats(runs, seriesFor, keys, labelOf) {
  const groups = new Map();
  for (const run of runs) {
    const label = labelOf(run);
    if (!groups.has(label)) groups.set(label, new Map(keys.map((k) => [k, new Map()])));
    const series = seriesFor(run.id) || {};
    for (const key of keys) {
      const s = series[key];
      if (!s) continue;
      const at = groups.get(label).get(key);
      for (let i = 0; i < s.x.length; i++) {
        const y = s.y[i];
        if (typeof y !== 'number' || !Number.isFinite(y)) continue;
        const cell = at.get(s.x[i]);
        if (cell) {
          cell.sum += y;
          cell.count += 1;
          if (y < cell.min) cell.min = y;
          if (y > cell.max) cell.max = y;
        } else at.set(s.x[i], { sum: y, count: 1, min: y, max: y });
      }
    }
  }
  const out = [];
  for (const [label, byKey] of groups) {
    for (const [key, at] of byKey) {
      const xs = [...at.keys()].sort((a, b) => a - b);
      if (!xs.length) continue;
      out.push({ label, key, x: xs, mean: xs.map((x) => at.get(x).sum / at.get(x).count),
        min: xs.map((x) => at.get(x).min), max: xs.map((x) => at.get(x).max), count: xs.map((x) => at.get(x).count) });
    }
  }
  return out;
}

/** Plotly traces of grouped curves: per group and key a min-max band and the mean line (role 'main'). */
export function groupTraces(stats, spec, { gl = false } = {}) {
  const type = gl ? 'scattergl' : 'scatter';
  const labels = [...new Set(stats.map((g) => g.label))];
  const axisOf = new Map([...(spec.left || []).map((k) => [k, 'y']), ...(spec.right || []).map((k) => [k, 'y2'])]);
  const traces = [];
  for (const g of stats) {
    const color = PALETTE[labels.indexOf(g.label) % PALETTE.length];
    const yaxis = axisOf.get(g.key) || 'y';
    const meta = { rid: g.label, key: g.key, group: true };
    traces.push({ type, x: g.x, y: g.min, yaxis, mode: 'lines', line: { width: 0, color }, hoverinfo: 'skip', showlegend: false,
      meta: { ...meta, role: 'band-low' } });
    traces.push({ type, x: g.x, y: g.max, yaxis, mode: 'lines', line: { width: 0, color }, fill: 'tonexty',
      fillcolor: withAlpha(color, 0.18), hoverinfo: 'skip', showlegend: false, meta: { ...meta, role: 'band-high' } });
    traces.push({ type, x: g.x, y: g.mean, yaxis, mode: g.x.length === 1 ? 'markers' : 'lines', showlegend: false,
      line: { width: 2.2, color }, marker: { color, size: 6 }, meta: { ...meta, role: 'main' } });
  }
  return traces;
}
