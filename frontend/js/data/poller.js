/**
 * A polling loop that never overlaps itself: the next tick is scheduled after the previous
 * one settled, so a slow server is not flooded. Background tabs poll less often.
 */
export function poll(tick, intervalMs, { hiddenIntervalMs = 5000 } = {}) {
  let stopped = false;
  let timer = null;
  const run = async () => {
    if (stopped) return;
    try {
      await tick();
    } catch (err) {
      if (err?.name !== 'AbortError') console.warn('poll failed:', err);
    }
    if (!stopped) timer = setTimeout(run, document.hidden ? Math.max(intervalMs, hiddenIntervalMs) : intervalMs);
  };
  const onVisible = () => {
    if (!document.hidden && !stopped) {
      clearTimeout(timer);
      run();
    }
  };
  document.addEventListener('visibilitychange', onVisible);
  run();
  return () => {
    stopped = true;
    clearTimeout(timer);
    document.removeEventListener('visibilitychange', onVisible);
  };
}
