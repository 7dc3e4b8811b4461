/**
 * The chart view of a page, held in the URL query so a link reproduces what one sees
 * (pure; works on query strings, not on `location`).
 *
 *   runs=3,5,8             only these results are charted
 *   hide=4,7               every registered result but these (runs started later included)
 *   pin=2,9                charted whatever the filters say
 *   q=lr>0.01 name~sweep   the search box's query (lib/query.js)
 *   filter.arg:lr=>0.02    a column filter of the table, one per column
 *   group=optimizer        the arg the table (and the charts) group by
 *   grouped=1              the charts draw one mean line and min-max band per group
 *   chart=a,b~c            one per chart: left-axis keys, then right-axis keys after "~"
 *   zoom=0:100:250         chart 0 (in `chart` order) zoomed to x from 100 to 250
 *   color=lr               run colours follow this arg (lib/colour-by.js)
 *   brush=lr:-3.3:-1.3     a range of the parallel coordinates' brush on an axis, in the axis's own
 *                          units (log10 on a log axis, a category's index); one per range
 *   x=epoch                x key (default iteration)
 *   smooth=0.6             EMA weight (default 0)
 *   scale=log              y scale (default linear)
 *   tab=compare            project page panel: charts (default), compare, images or rules
 *   metric=main/loss       the metric the compare view colours by
 *
 * Inside a chart value the separators "," and "~" (and "%") of a key are percent-escaped,
 * so any key survives the round trip.
 */

export const DEFAULT_X = 'iteration';

export function defaultView() {
  return { runs: null, hide: null, pin: [], q: '', filters: {}, group: null, grouped: false, charts: [], x: DEFAULT_X, smoothing: 0, logY: false,
    tab: 'charts', metric: null, color: null, brush: {} };
}

const escapeKey = (key) => key.replace(/%/g, '%25').replace(/,/g, '%2C').replace(/~/g, '%7E');
const unescapeKey = (text) => text.replace(/%7E/gi, '~').replace(/%2C/gi, ',').replace(/%25/g, '%');

function encodeKeys(keys) {
  return keys.map(escapeKey).join(',');
}

function decodeKeys(text) {
  return text === '' ? [] : text.split(',').map(unescapeKey).filter((k) => k !== '');
}

/** Query string (without "?") for `view`; defaults are left out to keep links short. */
export function encodeView(view) {
  const params = new URLSearchParams();
  if (Array.isArray(view.runs)) params.set('runs', view.runs.join(','));
  else if (Array.isArray(view.hide) && view.hide.length) params.set('hide', view.hide.join(','));
  if (view.pin?.length) params.set('pin', view.pin.join(','));
  if (view.q) params.set('q', view.q);
  for (const [column, text] of Object.entries(view.filters || {})) if (text) params.set(`filter.${column}`, text);
  if (view.group) params.set('group', view.group);
  if (view.grouped) params.set('grouped', '1');
  for (const chart of view.charts || []) {
    const right = chart.right?.length ? `~${encodeKeys(chart.right)}` : '';
    params.append('chart', encodeKeys(chart.left || []) + right);
  }
  (view.charts || []).forEach((chart, i) => {
    if (validZoom(chart.zoom)) params.append('zoom', `${i}:${chart.zoom[0]}:${chart.zoom[1]}`);
  });
  if (view.x && view.x !== DEFAULT_X) params.set('x', view.x);
  if (view.smoothing > 0) params.set('smooth', String(Math.round(view.smoothing * 1000) / 1000));
  if (view.logY) params.set('scale', 'log');
  if (view.tab && view.tab !== 'charts') params.set('tab', view.tab);
  if (view.metric) params.set('metric', view.metric);
  if (view.color) params.set('color', view.color);
  for (const [key, ranges] of Object.entries(view.brush || {})) {
    for (const range of ranges) if (validZoom(range)) params.append('brush', `${key}:${range[0]}:${range[1]}`);
  }
  return params.toString();
}

/** The view a query string describes; anything unreadable falls back to the default. */
export function decodeView(search) {
  const params = new URLSearchParams(search.startsWith('?') ? search.slice(1) : search);
  const view = defaultView();
  const ids = (name) => params.get(name).split(',').map((s) => Number.parseInt(s, 10)).filter((n) => Number.isFinite(n));
  if (params.has('runs')) view.runs = ids('runs');
  else if (params.has('hide')) view.hide = ids('hide');
  if (params.has('pin')) view.pin = ids('pin');
  if (params.get('q')) view.q = params.get('q');
  for (const [name, text] of params) if (name.startsWith('filter.') && name.length > 7 && text) view.filters[name.slice(7)] = text;
  if (params.get('group')) view.group = params.get('group');
  view.grouped = params.get('grouped') === '1';
  view.charts = params.getAll('chart').map((value) => {
    const cut = value.indexOf('~');
    const left = cut < 0 ? value : value.slice(0, cut);
    const right = cut < 0 ? '' : value.slice(cut + 1);
    return { left: decodeKeys(left), right: decodeKeys(right) };
  });
  for (const value of params.getAll('zoom')) {
    const [i, lo, hi] = value.split(':').map(Number);
    const zoom = [lo, hi];
    if (Number.isInteger(i) && view.charts[i] && validZoom(zoom)) view.charts[i].zoom = zoom;
  }
  if (params.get('x')) view.x = params.get('x');
  const smooth = Number.parseFloat(params.get('smooth'));
  if (Number.isFinite(smooth)) view.smoothing = Math.min(Math.max(smooth, 0), 0.999);
  view.logY = params.get('scale') === 'log';
  if (params.get('tab')) view.tab = params.get('tab');
  if (params.get('metric')) view.metric = params.get('metric');
  if (params.get('color')) view.color = params.get('color');
  for (const value of params.getAll('brush')) {
    const cut = value.lastIndexOf(':', value.lastIndexOf(':') - 1); // the key may hold ":" itself
    const range = value.slice(cut + 1).split(':').map(Number);
    if (cut > 0 && validZoom(range)) (view.brush[value.slice(0, cut)] ||= []).push(range);
  }
  return view;
}

/** An x range a chart can be zoomed to (or a brushed range): two finite numbers, low before high. */
export function validZoom(zoom) {
  return Array.isArray(zoom) && zoom.length === 2 && zoom.every(Number.isFinite) && zoom[0] < zoom[1];
}

/** True when the query string says anything about the chart view (else stored settings apply). */
export function hasViewParams(search) {
  const params = new URLSearchParams(search.startsWith('?') ? search.slice(1) : search);
  return ['runs', 'hide', 'chart', 'x', 'smooth', 'scale', 'color'].some((k) => params.has(k));
}

/** True when the query string says which runs are shown (search, column filters, pins, group). */
export function hasSelectionParams(search) {
  const params = new URLSearchParams(search.startsWith('?') ? search.slice(1) : search);
  return [...params.keys()].some((k) => ['q', 'pin', 'group', 'brush'].includes(k) || k.startsWith('filter.'));
}
