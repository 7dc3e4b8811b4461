/**
 * Saved views (pure): a project page's view as the server stores it (the API's `ViewState`: the
 * fields the URL holds, see state/url.js) and back. A stored state goes through the URL's own
 * encoding on the way back, so a view opened from the server is exactly what its link would show,
 * and a state saved by an older or newer page degrades to defaults instead of breaking the page.
 */
import { decodeView, defaultView, encodeView } from './url.js';

const FIELDS = ['runs', 'hide', 'pin', 'q', 'filters', 'group', 'grouped', 'x', 'smoothing', 'logY', 'tab', 'metric', 'color', 'brush'];

/** The state to store for `view`: the URL's fields only, the defaults left out. */
export function toSavedState(view) {
  const full = decodeView(encodeView(view));
  const base = defaultView();
  const state = {};
  for (const key of FIELDS) if (JSON.stringify(full[key]) !== JSON.stringify(base[key])) state[key] = full[key];
  if (full.charts.length) state.charts = full.charts;
  return state;
}

const ids = (v) => Array.isArray(v) && v.every(Number.isInteger);
const text = (v) => typeof v === 'string';
const FIELD_OK = {
  runs: (v) => v === null || ids(v), hide: (v) => v === null || ids(v), pin: ids, q: text,
  filters: (v) => !!v && typeof v === 'object' && !Array.isArray(v) && Object.values(v).every(text),
  group: (v) => v === null || text(v), grouped: (v) => typeof v === 'boolean', x: text,
  smoothing: Number.isFinite, logY: (v) => typeof v === 'boolean', tab: text, metric: (v) => v === null || text(v),
  color: (v) => v === null || text(v),
  brush: (v) => !!v && typeof v === 'object' && !Array.isArray(v) && Object.values(v).every((ranges) => Array.isArray(ranges)
    && ranges.every((r) => Array.isArray(r) && r.length === 2 && r.every(Number.isFinite))),
  charts: (v) => Array.isArray(v) && v.every((c) => c && Array.isArray(c.left) && c.left.every(text)
    && (c.right === undefined || (Array.isArray(c.right) && c.right.every(text)))),
};

/** The view a stored state describes (a field that is missing or of the wrong type: its default). */
export function fromSavedState(state) {
  const view = { ...defaultView() };
  if (state && typeof state === 'object' && !Array.isArray(state)) {
    for (const [key, ok] of Object.entries(FIELD_OK)) if (key in state && ok(state[key])) view[key] = state[key];
  }
  return decodeView(encodeView(view));
}

/** The saved view a project page's query string names (`?view=<id>`), or null. */
export function savedViewId(search) {
  const raw = new URLSearchParams(search.startsWith('?') ? search.slice(1) : search).get('view');
  return raw && /^[1-9][0-9]{0,15}$/.test(raw) ? Number(raw) : null;
}
