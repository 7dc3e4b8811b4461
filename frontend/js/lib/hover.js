/**
 * Hover across runs (pure): at the pointer's x, the value of every line of a chart, sorted, as
 * TensorBoard and W&B show it; and, for charts of many runs, the part of that list around the
 * line under the pointer, with how many rows are left out above and below.
 */

/** Index of the element of ascending `xs` nearest to `x` (-1 for an empty array). */
export function nearestIndex(xs, x) {
  let lo = 0;
  let hi = xs.length - 1;
  if (hi < 0) return -1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo > 0 && Math.abs(xs[lo - 1] - x) <= Math.abs(xs[lo] - x) ? lo - 1 : lo;
}

/**
 * One row per main trace that has a finite value near `x`: {rid, key, x, y, yaxis, color},
 * sorted by value, largest first. A line is left out where the pointer is beyond its ends by
 * more than one of its steps (a run that stopped early has no value there).
 */
export function valuesAt(traces, x) {
  const rows = [];
  for (const t of traces) {
    if (t.meta?.role !== 'main' || !t.x?.length) continue;
    const n = t.x.length;
    const step = n > 1 ? (t.x[n - 1] - t.x[0]) / (n - 1) : 0;
    if (x < t.x[0] - step || x > t.x[n - 1] + step) continue;
    const i = nearestIndex(t.x, x);
    const y = t.y[i];
    if (typeof y !== 'number' || !Number.isFinite(y)) continue;
    rows.push({ rid: t.meta.rid, key: t.meta.key, x: t.x[i], y, yaxis: t.yaxis || 'y', color: t.line?.color });
  }
  rows.sort((a, b) => b.y - a.y);
  return rows;
}

/** The row whose line is nearest the pointer: `pixelOf(row)` gives its y on screen. */
export function nearestRow(rows, pointerY, pixelOf) {
  let best = -1;
  let bestDistance = Infinity;
  rows.forEach((row, i) => {
    const d = Math.abs(pixelOf(row) - pointerY);
    if (d < bestDistance) {
      best = i;
      bestDistance = d;
    }
  });
  return best;
}

/**
 * At most `max` rows around row `focus` (the whole list when it fits): {rows, above, below},
 * where `above` and `below` count the rows left out on each side.
 */
export function hoverWindow(rows, focus, max = 15) {
  if (rows.length <= max) return { rows, above: 0, below: 0 };
  const centre = focus < 0 ? 0 : focus;
  const start = Math.max(0, Math.min(rows.length - max, centre - Math.floor(max / 2)));
  return { rows: rows.slice(start, start + max), above: start, below: rows.length - start - max };
}
