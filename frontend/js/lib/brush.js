/**
 * The parallel-coordinates brush as a filter of runs (pure). Plotly keeps a brush as each
 * dimension's `constraintrange`: one [low, high] range or a list of them (several brushes on one
 * axis); a run passes when, on every brushed axis, its value lies in one of the ranges.
 */

function ranges(constraint) {
  if (!Array.isArray(constraint) || !constraint.length) return [];
  return Array.isArray(constraint[0]) ? constraint : [constraint];
}

/**
 * The ids of the runs inside the brush, or null when nothing is brushed. `ids[i]` is the run of
 * row i; each dimension's `values[i]` is that row's value on it (as drawn: log10, category index).
 */
export function brushedIds(ids, dimensions) {
  const active = (dimensions || []).map((d) => ({ values: d.values, ranges: ranges(d.constraintrange) }))
    .filter((d) => d.ranges.length);
  if (!active.length) return null;
  const inside = new Set();
  ids.forEach((id, i) => {
    const ok = active.every((d) => {
      const v = d.values[i];
      return typeof v === 'number' && d.ranges.some(([lo, hi]) => v >= Math.min(lo, hi) && v <= Math.max(lo, hi));
    });
    if (ok) inside.add(id);
  });
  return inside;
}

/** `matching` (a set of ids) narrowed to the brushed ones (`brushed` null: no brush). */
export function withinBrush(matching, brushed) {
  if (!brushed) return matching;
  return new Set([...matching].filter((id) => brushed.has(id)));
}
