/**
 * Steps of images: runs (and tags) log at steps of their own, so a step picked on a slider shows
 * each one's image at that step or, when it logged none there, its latest one before it.
 */

/** The asset of `assets` (each with a numeric `step`) at `step` or the latest before it; null when none. */
export function latestAtOrBefore(assets, step) {
  let best = null;
  for (const a of assets) if (a.step <= step && (!best || a.step > best.step)) best = a;
  return best;
}

/** Every step any of the lists logged, ascending, once each. */
export function unionOfSteps(lists) {
  return [...new Set(lists.flat().map((a) => a.step))].sort((a, b) => a - b);
}
