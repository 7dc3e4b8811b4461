/**
 * Merge answers of the logs API into the series a chart draws (pure; no DOM).
 *
 * Live charts ask only for points written since the last answer (`since=<cursor>`), so a tick
 * costs what is new, not the whole log. A full answer replaces what we hold and starts a new
 * `epoch`; an incremental one is appended and keeps it, which is how a chart knows it may
 * append (`Plotly.extendTraces`) instead of redrawing. When appended raw points pile up past what
 * a chart needs, the caller is told to refetch a downsampled full answer (`needsFullRefetch`).
 *
 * JSON cannot carry NaN or Infinity: the server sends null in `y` there and lists those points in
 * `nonfinite: {x, value: ["NaN" | "Infinity" | "-Infinity"]}`, kept here beside the series.
 */

/** The state of one result's series before anything was fetched. */
export function emptySeriesState() {
  return { cursor: null, x: null, keys: [], series: {}, appended: 0, epoch: 0 };
}

export function emptySeries(epoch = 0) {
  return { x: [], y: [], total: 0, downsampled: false, pairedPoints: 0, nonfinite: { x: [], value: [] }, epoch };
}

function nonfiniteOf(s) {
  const nf = s?.nonfinite;
  return nf && Array.isArray(nf.x) ? { x: nf.x.slice(), value: (nf.value || []).slice() } : { x: [], value: [] };
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
    const epoch = (state?.epoch || 0) + 1;
    for (const key of requested) {
      const s = response.series?.[key];
      series[key] = s
        ? {
            x: s.x.slice(),
            y: s.y.slice(),
            total: s.total ?? s.x.length,
            downsampled: !!s.downsampled,
            pairedPoints: s.downsampled ? s.x.length : 0,
            nonfinite: nonfiniteOf(s),
            epoch,
          }
        : emptySeries(epoch);
    }
    return { cursor: response.cursor, x: response.x, keys: requested.slice(), series, appended: 0, epoch };
  }
  let newest = 0;
  const allKeys = new Set([...Object.keys(state.series), ...requested]);
  for (const key of allKeys) {
    const old = state.series[key] || emptySeries(state.epoch);
    const add = response.series?.[key];
    if (!add || add.x.length === 0) {
      series[key] = old;
      continue;
    }
    const nf = nonfiniteOf(add);
    series[key] = {
      x: old.x.concat(add.x),
      y: old.y.concat(add.y),
      total: old.total + add.x.length,
      downsampled: old.downsampled,
      pairedPoints: old.pairedPoints,
      nonfinite: nf.x.length
        ? { x: old.nonfinite.x.concat(nf.x), value: old.nonfinite.value.concat(nf.value) }
        : old.nonfinite,
      epoch: old.epoch,
    };
    newest = Math.max(newest, add.x.length);
  }
  return {
    cursor: response.cursor,
    x: response.x ?? state.x,
    keys: [...allKeys],
    series,
    appended: (state.appended || 0) + newest,
    epoch: state.epoch,
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

/**
 * The series a zoomed chart draws: the full-detail answer for [lo, hi] spliced into the held
 * (downsampled, live) series. Held points before `lo` and after the detail's last x stay, so
 * points that arrive live while zoomed are drawn (appended at the end) and panning shows the
 * coarse neighbourhood; x is assumed to grow with the entry order, as counters do.
 */
export function spliceDetail(base, detail, lo, hi) {
  if (!detail) return base;
  if (!base) return detail;
  const end = detail.x.length ? Math.max(hi, detail.x[detail.x.length - 1]) : hi;
  const x = [];
  const y = [];
  for (let i = 0; i < base.x.length && base.x[i] < lo; i++) {
    x.push(base.x[i]);
    y.push(base.y[i]);
  }
  const prefix = x.length;
  for (let i = 0; i < detail.x.length; i++) {
    x.push(detail.x[i]);
    y.push(detail.y[i]);
  }
  for (let i = 0; i < base.x.length; i++) {
    if (base.x[i] > end) {
      x.push(base.x[i]);
      y.push(base.y[i]);
    }
  }
  const nf = { x: [], value: [] };
  const pick = (src, keep) => src.x.forEach((v, i) => keep(v) && (nf.x.push(v), nf.value.push(src.value[i])));
  pick(base.nonfinite || { x: [] }, (v) => v < lo);
  pick(detail.nonfinite || { x: [] }, () => true);
  pick(base.nonfinite || { x: [] }, (v) => v > end);
  return {
    x, y, total: x.length, nonfinite: nf, epoch: base.epoch,
    // A band is drawn for the coarse prefix only when it is made of whole (min, max) pairs.
    downsampled: base.downsampled && prefix > 1,
    pairedPoints: base.downsampled ? Math.min(prefix, base.pairedPoints ?? prefix) & ~1 : 0,
  };
}
