/**
 * Exponential moving average smoothing as TensorBoard does it, debiased so the first points
 * are not pulled towards zero (pure; no DOM). A live chart continues the average from where its
 * last draw stopped (`emaSmoothFrom` with the returned state), so appending points costs only
 * the new points.
 */

/** A weight in [0, 0.999]; anything unusable means no smoothing. */
export function clampWeight(weight) {
  const w = Number(weight);
  if (!Number.isFinite(w) || w <= 0) return 0;
  return Math.min(w, 0.999);
}

/** Smoothed copy of `ys`; the same length, null where the input is not a finite number. */
export function emaSmooth(ys, weight) {
  return emaSmoothFrom(ys, weight).out;
}

/**
 * Smooth `ys` continuing from `state` (the state an earlier call returned; none: from the
 * start). Returns `{out, state}`; smoothing a series in two calls equals smoothing it in one.
 */
export function emaSmoothFrom(ys, weight, state = { last: 0, count: 0 }) {
  const w = clampWeight(weight);
  const out = new Array(ys.length);
  let { last, count } = state;
  for (let i = 0; i < ys.length; i++) {
    const y = ys[i];
    if (!isFiniteNumber(y)) {
      out[i] = null;
      continue;
    }
    if (w === 0) {
      out[i] = y;
      continue;
    }
    last = last * w + (1 - w) * y;
    count += 1;
    out[i] = last / (1 - Math.pow(w, count));
  }
  return { out, state: { last, count } };
}

function isFiniteNumber(v) {
  return typeof v === 'number' && Number.isFinite(v);
}
