/**
 * Merge answers of `GET /results/<id>/logs` into the series a chart draws (pure; no DOM).
 *
 * Live charts ask only for points written since the last answer (`since=<cursor>`), so a tick
 * costs what is new, not the whole log. A full answer replaces what we hold; an incremental
 * one is appended. When appended raw points pile up past what a chart needs, the caller is
 * told to refetch a downsampled full answer (`needsFullRefetch`).
 */

/** The state of one result's series before anything was fetched. */
export function emptySeriesState() {
  return { cursor: null, x: null, keys: [], series: {}, appended: 0 };
}

/**
 * Fold one logs answer into `state` and return the new state (the input is not modified).
 * `keys` is the list of keys the request asked for; a key absent from the answer has no
 * points (yet) and keeps what it had.
 */
export function applyLogsResponse(state, response, keys = null) {
  const series = {};
  const requested = keys || Object.keys(response.series || {});
  if (!response.incremental) {
    for (const key of requested) {
      const s = response.series?.[key];
      series[key] = s
        ? {
            x: s.x.slice(),
            y: s.y.slice(),
            total: s.total ?? s.x.length,
            downsampled: !!s.downsampled,
            pairedPoints: s.downsampled ? s.x.length : 0,
          }
        : { x: [], y: [], total: 0, downsampled: false, pairedPoints: 0 };
    }
    return { cursor: response.cursor, x: response.x, keys: requested.slice(), series, appended: 0 };
  }
  let newest = 0;
  const allKeys = new Set([...Object.keys(state.series), ...requested]);
  for (const key of allKeys) {
    const old = state.series[key] || { x: [], y: [], total: 0, downsampled: false, pairedPoints: 0 };
    const add = response.series?.[key];
    if (!add || add.x.length === 0) {
      series[key] = old;
      continue;
    }
    series[key] = {
      x: old.x.concat(add.x),
      y: old.y.concat(add.y),
      total: old.total + add.x.length,
      downsampled: old.downsampled,
      pairedPoints: old.pairedPoints,
    };
    newest = Math.max(newest, add.x.length);
  }
  return {
    cursor: response.cursor,
    x: response.x ?? state.x,
    keys: [...allKeys],
    series,
    appended: (state.appended || 0) + newest,
  };
}

/** True when the held series are past twice the per-key budget and should be re-downsampled. */
export function needsFullRefetch(state, maxPoints) {
  return Object.values(state.series).some((s) => s.x.length > 2 * maxPoints);
}

/**
 * The min-max band of a downsampled series: the server sends each bucket as two consecutive
 * points (its minimum and its maximum, in x order). Returns one x per bucket (the midpoint)
 * with the bucket's low and high y, skipping buckets with a missing value. Raw points
 * appended live after the downsampled prefix are not paired and get no band.
 */
export function minMaxBand(series) {
  const x = [];
  const lo = [];
  const hi = [];
  if (!series?.downsampled) return { x, lo, hi };
  const paired = series.pairedPoints ?? series.x.length;
  const n = paired - (paired % 2);
  for (let i = 0; i < n; i += 2) {
    const a = series.y[i];
    const b = series.y[i + 1];
    if (a == null || b == null) continue;
    x.push((series.x[i] + series.x[i + 1]) / 2);
    lo.push(Math.min(a, b));
    hi.push(Math.max(a, b));
  }
  return { x, lo, hi };
}
