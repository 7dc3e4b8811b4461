/**
 * Rows of the results table: the value of a column, filters, sorting and grouping (pure).
 *
 * Column ids: "name", "status", "elapsed", "updated", "entries", "arg:<key>", "metric:<key>".
 * A per-column filter is either a comparison ("> 0.1", "<=3", "=adam", "!=sgd") or a
 * case-insensitive substring. A metric whose last value was not finite (the API says "NaN",
 * "Infinity" or "-Infinity") is that number here, so it sorts, filters and is flagged as one.
 */
import { formatArg } from './format.js';
import { columnValue, metricValue } from './columns.js';
import { parseQuery, matchesQuery } from './query.js';

export { columnValue, metricValue };

export const BASE_COLUMNS = ['name', 'status', 'elapsed', 'updated'];
const AXIS_KEYS = new Set(['epoch', 'iteration', 'elapsed_time']);

/**
 * The header of a column. `allIds` (every column id of the table) tells an arg and a metric of
 * the same name apart: "lr (arg)" and "lr (metric)", where both exist.
 */
export function columnLabel(id, allIds = null) {
  const kind = id.startsWith('arg:') ? 'arg' : id.startsWith('metric:') ? 'metric' : null;
  if (!kind) return { name: 'Name', status: 'Status', elapsed: 'Elapsed', updated: 'Updated', entries: 'Entries', tags: 'Tags' }[id] || id;
  const key = id.slice(kind.length + 1);
  const twin = kind === 'arg' ? `metric:${key}` : `arg:${key}`;
  const clash = allIds && (allIds instanceof Set ? allIds.has(twin) : allIds.includes(twin));
  return clash ? `${key} (${kind})` : key;
}

/** Keys whose last value was not a finite number, with that value ("NaN", "Infinity", "-Infinity"). */
export function nonfiniteLastValues(result) {
  return Object.entries(result.last_values || {}).filter(([, v]) => {
    const n = metricValue(v);
    return typeof n === 'number' && !Number.isFinite(n);
  });
}

/** Every arg key over `results`, in first-seen order. */
export function argKeys(results) {
  const keys = new Set();
  for (const r of results) for (const k of Object.keys(r.args || {})) keys.add(k);
  return [...keys];
}

/** Every numeric key any result logged (candidates for charts and metric columns), sorted. */
export function metricKeys(results) {
  const keys = new Set();
  for (const r of results) for (const k of r.keys || Object.keys(r.last_values || {})) keys.add(k);
  return [...keys].sort(compareKeys);
}

/** Keys that make sense on the x axis: the usual counters first, then any other logged key. */
export function xKeys(results) {
  const all = metricKeys(results);
  const first = ['iteration', 'epoch', 'elapsed_time'].filter((k) => all.includes(k));
  return [...first, ...all.filter((k) => !first.includes(k))];
}

/** Metric keys worth a column by default (not the counters). */
export function defaultMetricColumns(results) {
  return metricKeys(results).filter((k) => !AXIS_KEYS.has(k));
}

function compareKeys(a, b) {
  return a.localeCompare(b, undefined, { numeric: true });
}

/** A predicate for one per-column filter text; null when the text is empty. */
export function parseColumnFilter(text) {
  const t = String(text ?? '').trim();
  if (t === '') return null;
  const m = /^(<=|>=|!=|<|>|=)\s*(.*)$/.exec(t);
  if (!m) {
    const needle = t.toLowerCase();
    return (v) => v !== undefined && v !== null && displayText(v).toLowerCase().includes(needle);
  }
  const [, op, rhsText] = m;
  const rhsNum = Number(rhsText);
  const numeric = rhsText !== '' && Number.isFinite(rhsNum);
  return (v) => {
    if (v === undefined || v === null) return op === '!=';
    if (numeric && typeof v === 'number') {
      switch (op) {
        case '<': return v < rhsNum;
        case '<=': return v <= rhsNum;
        case '>': return v > rhsNum;
        case '>=': return v >= rhsNum;
        case '=': return v === rhsNum;
        case '!=': return v !== rhsNum;
      }
    }
    const a = displayText(v).toLowerCase();
    const b = rhsText.toLowerCase();
    if (op === '=') return a === b;
    if (op === '!=') return a !== b;
    const c = compareKeys(a, b);
    return { '<': c < 0, '<=': c <= 0, '>': c > 0, '>=': c >= 0 }[op];
  };
}

function displayText(v) {
  return typeof v === 'string' ? v : formatArg(v);
}

/**
 * Results that match the search box's query (lib/query.js; plain words search the name, path,
 * status and args as before) and every column filter. Terms that do not parse are left out here;
 * the search box shows them as errors.
 */
export function filterRows(results, { text = '', columns = {} } = {}) {
  const query = parseQuery(text, { args: argKeys(results), metrics: metricKeys(results) });
  const predicates = Object.entries(columns)
    .map(([id, f]) => [id, parseColumnFilter(f)])
    .filter(([, p]) => p);
  return results.filter((r) => matchesQuery(r, query) && predicates.every(([id, p]) => p(columnValue(r, id))));
}

/** Sorted copy: numbers numerically, text naturally ("run10" after "run9"), missing values last. */
export function sortRows(results, sort) {
  if (!sort?.column) return results.slice();
  const dir = sort.desc ? -1 : 1;
  return results
    .map((r, i) => [r, i])
    .sort(([a, ia], [b, ib]) => {
      const c = compareValues(columnValue(a, sort.column), columnValue(b, sort.column), dir);
      return c !== 0 ? c : ia - ib;
    })
    .map(([r]) => r);
}

function compareValues(a, b, dir) {
  const aMissing = a === undefined || a === null;
  const bMissing = b === undefined || b === null;
  if (aMissing || bMissing) return aMissing === bMissing ? 0 : aMissing ? 1 : -1;
  // NaN has no place among numbers: after them (either direction), before missing values.
  const aNaN = Number.isNaN(a);
  const bNaN = Number.isNaN(b);
  if (aNaN || bNaN) return aNaN === bNaN ? 0 : aNaN ? 1 : -1;
  if (typeof a === 'number' && typeof b === 'number') return (a - b) * dir;
  return compareKeys(displayText(a), displayText(b)) * dir;
}

/** Groups of rows sharing the value of arg `key`, in order of first appearance. */
export function groupRows(results, key) {
  if (!key) return [{ key: null, label: null, rows: results }];
  const groups = new Map();
  for (const r of results) {
    const v = r.args?.[key];
    const label = v === undefined ? '(not set)' : displayText(v);
    if (!groups.has(label)) groups.set(label, { key, label, rows: [] });
    groups.get(label).rows.push(r);
  }
  return [...groups.values()];
}
