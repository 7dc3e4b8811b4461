/**
 * Exponential moving average smoothing for chart lines (pure; no DOM).
 *
 * Debiased like TensorBoard's slider: without the correction the first points of every
 * curve would be pulled towards zero, which reads as a fake warm-up. Missing values (null,
 * NaN, Infinity in the log) stay missing and do not reset the average, so one bad report
 * does not break a curve.
 */

/** Clamp a slider value to a usable weight: 0 = no smoothing, never reaching 1 (a flat line). */
export function clampWeight(weight) {
  const w = Number(weight);
  if (!Number.isFinite(w) || w <= 0) return 0;
  return Math.min(w, 0.999);
}

/** Smoothed copy of `ys`; the same length, null where the input is not a finite number. */
export function emaSmooth(ys, weight) {
  const w = clampWeight(weight);
  const out = new Array(ys.length);
  if (w === 0) {
    for (let i = 0; i < ys.length; i++) out[i] = isFiniteNumber(ys[i]) ? ys[i] : null;
    return out;
  }
  let last = 0;
  let count = 0;
  for (let i = 0; i < ys.length; i++) {
    const y = ys[i];
    if (!isFiniteNumber(y)) {
      out[i] = null;
      continue;
    }
    last = last * w + (1 - w) * y;
    count += 1;
    out[i] = last / (1 - Math.pow(w, count));
  }
  return out;
}

function isFiniteNumber(v) {
  return typeof v === 'number' && Number.isFinite(v);
}
