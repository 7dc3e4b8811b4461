/**
 * What a parallel-coordinates plot of runs draws (pure): its rows (the runs with a number for the
 * metric), its dimensions (each arg that varies, then the metric; log10 where an arg spans
 * decades, categories for anything not a number) and the brush on them. The brush is kept by arg
 * key in the page's view (`brush`, in the URL), in the units the axis draws (log10 on a log axis,
 * the category's index), so the charts can be filtered by it before the plot is ever drawn.
 */
import { argKeys } from './table.js';
import { escapePlotly } from './traces.js';
import { brushedIds } from './brush.js';

/** A long key shortened in the middle ("validation/main/accuracy" -> "validati…n/accuracy"): both ends tell keys apart. */
export function shorten(key, max = 24) {
  const text = String(key);
  if (text.length <= max) return text;
  const tail = Math.ceil((max - 1) * 0.6);
  return `${text.slice(0, max - 1 - tail)}…${text.slice(text.length - tail)}`;
}

/**
 * Whether positive numbers span two decades or more (a learning rate from 1e-4 to 1e-1): such an
 * axis is logarithmic, or its small values all sit on one end.
 */
export function spansDecades(values) {
  const nums = values.filter((v) => typeof v === 'number' && Number.isFinite(v));
  if (nums.length < 2 || nums.length !== values.length || nums.some((v) => v <= 0)) return false;
  return Math.max(...nums) / Math.min(...nums) >= 100;
}

/**
 * A parcoords dimension: numbers as they are (on a log10 scale, ticks at each decade named by
 * their value, where they span decades; parcoords has no log axis), anything else as categories.
 */
export function dimension(key, values) {
  if (spansDecades(values)) {
    const logs = values.map((v) => Math.log10(v));
    const decades = [];
    for (let d = Math.floor(Math.min(...logs)); d <= Math.ceil(Math.max(...logs)); d++) decades.push(d);
    return { label: escapePlotly(shorten(key)), values: logs, tickvals: decades, ticktext: decades.map((d) => `1e${d}`) };
  }
  if (values.every((v) => typeof v === 'number')) return { label: escapePlotly(shorten(key)), values };
  const labels = [...new Set(values.map((v) => (v === undefined ? '(not set)' : typeof v === 'string' ? v : JSON.stringify(v))))];
  return {
    label: escapePlotly(shorten(key)),
    values: values.map((v) => labels.indexOf(v === undefined ? '(not set)' : typeof v === 'string' ? v : JSON.stringify(v))),
    tickvals: labels.map((_, i) => i),
    ticktext: labels, // parcoords draws tick text as plain text (entities would show literally)
  };
}

/** The metric a comparison uses: the one asked for if the runs log it, else a loss, else the first. */
export function compareMetric(metric, metricKeys) {
  const keys = metricKeys.filter((k) => k !== 'iteration' && k !== 'epoch');
  return keys.includes(metric) ? metric : keys.find((k) => /loss/.test(k)) || keys[0] || null;
}

/** The runs the plot draws: those with a number for `metric`. */
export function plottedRows(results, metric) {
  return results.filter((r) => typeof r.last_values?.[metric] === 'number');
}

/**
 * The plot's dimensions for `rows`: every arg whose value differs between them (every arg when
 * none does), then the metric. Each is Plotly's dimension plus `key` and `log` (values are log10).
 */
export function parcoordsDimensions(rows, metric) {
  const args = argKeys(rows);
  const varying = args.filter((k) => new Set(rows.map((r) => JSON.stringify(r.args?.[k] ?? null))).size > 1);
  const dims = (varying.length ? varying : args).map((k) => {
    const values = rows.map((r) => r.args?.[k]);
    return { ...dimension(k, values), key: k, log: spansDecades(values) };
  });
  dims.push({ label: escapePlotly(shorten(metric)), values: rows.map((r) => r.last_values[metric]), key: metric, log: false });
  return dims;
}

/** Plotly's dimensions (without `key` and `log`), each brushed axis with its ranges. */
export function plotlyDimensions(dims, brush = {}) {
  return dims.map(({ key, log, ...dim }) => (brush[key]?.length ? { ...dim, constraintrange: brush[key].length === 1 ? brush[key][0] : brush[key] } : dim));
}

/** The brush that Plotly's dimensions `drawn` hold, by the key of each of `dims`: {key: [[low, high], ...]}. */
export function brushOf(dims, drawn) {
  const brush = {};
  (drawn || []).forEach((d, i) => {
    const c = d.constraintrange;
    if (!dims[i] || !Array.isArray(c) || !c.length) return;
    const ranges = (Array.isArray(c[0]) ? c : [c]).filter((r) => r.length === 2 && r.every(Number.isFinite))
      .map(([lo, hi]) => [Math.min(lo, hi), Math.max(lo, hi)]);
    if (ranges.length) brush[dims[i].key] = ranges;
  });
  return brush;
}

/** The ids of `results` inside `brush` as the plot of `metric` would draw them (null: no brush). */
export function brushedRuns(results, metric, brush) {
  if (!brush || !Object.keys(brush).length) return null;
  const rows = plottedRows(results, metric);
  if (!rows.length) return null; // nothing drawn to brush
  const dims = parcoordsDimensions(rows, metric);
  // an axis the plot does not draw (the arg no longer varies, or is gone) filters nothing
  return brushedIds(rows.map((r) => r.id), plotlyDimensions(dims, brush));
}
