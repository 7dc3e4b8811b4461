/**
 * Which runs the project page charts (pure). A selection is one of
 *   {mode: 'all'}                    every registered run, including runs that start later;
 *   {mode: 'except', ids: Set}       every registered run but these (what unticking from "all" gives);
 *   {mode: 'only', ids: Set}         just these ("Chart none", then ticks).
 * Runs that start later join the first two by construction; `joinNew` adds them to an 'only'
 * selection while the page is open, so a live page never leaves a new run out of its charts.
 * In the URL: nothing, `hide=4,7`, or `runs=3,5`.
 */

export const ALL = Object.freeze({ mode: 'all' });

export function isCharted(selection, result) {
  if (result.unregistered) return false;
  if (selection.mode === 'only') return selection.ids.has(result.id);
  if (selection.mode === 'except') return !selection.ids.has(result.id);
  return true;
}

/** Tick (`on`) or untick `ids`; `results` are the registered results the table lists. */
export function toggle(selection, ids, on, results) {
  if (selection.mode === 'only') {
    const next = new Set(selection.ids);
    for (const id of ids) (on ? next.add(id) : next.delete(id));
    return { mode: 'only', ids: next };
  }
  const hidden = new Set(selection.mode === 'except' ? selection.ids : []);
  for (const id of ids) (on ? hidden.delete(id) : hidden.add(id));
  const registered = results.filter((r) => !r.unregistered);
  if (registered.length && registered.every((r) => hidden.has(r.id))) return { mode: 'only', ids: new Set() };
  return hidden.size ? { mode: 'except', ids: hidden } : ALL;
}

/** Add runs that appeared while the page was open to an 'only' selection (the others include them already). */
export function joinNew(selection, newIds) {
  if (selection.mode !== 'only' || !newIds.length) return selection;
  return { mode: 'only', ids: new Set([...selection.ids, ...newIds]) };
}

/** From the view's `runs` / `hide` lists (null: not given). */
export function fromView({ runs = null, hide = null }) {
  if (Array.isArray(runs)) return { mode: 'only', ids: new Set(runs) };
  if (Array.isArray(hide) && hide.length) return { mode: 'except', ids: new Set(hide) };
  return ALL;
}

/** To the view's `runs` / `hide` lists. */
export function toView(selection) {
  const ids = [...(selection.ids || [])].sort((a, b) => a - b);
  if (selection.mode === 'only') return { runs: ids, hide: null };
  if (selection.mode === 'except') return { runs: null, hide: ids };
  return { runs: null, hide: null };
}

/**
 * The runs the charts draw: those the filters (search box, column filters, brush) let through
 * and the selection ticks, plus the pinned ones whatever the filters say. `matching` is the set
 * of ids that pass the filters; `pins` a set of ids.
 */
export function chartedRuns(results, selection, matching, pins = new Set()) {
  return results.filter((r) => !r.unregistered && (pins.has(r.id) || (matching.has(r.id) && isCharted(selection, r))));
}
