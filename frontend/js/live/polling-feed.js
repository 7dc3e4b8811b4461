/**
 * The change feed by polling (see change-feed.js for the contract). One loop per topic, never
 * overlapping itself: the next look is scheduled after the previous notice settled. A page with
 * running jobs is looked at every 250 ms (a result page every 200 ms), a quiet one every second,
 * a background tab every 5 s; a look that took long spaces the next ones out (at most half of
 * the time is spent asking, one request at a time).
 * After a command is posted its result's commands are looked at every 100 ms until answered.
 */

const FAST_MS = 250;
/** One result (the result page) is cheap to look at: more often. */
const FAST_RESULT_MS = 200;
const QUIET_MS = 1000;
const HIDDEN_MS = 5000;
const EXPECT_MS = 100;
const EXPECT_FOR_MS = 30000;
/** Looks of one topic take at most 1/BUSY_FACTOR of the time (a slow answer spaces them out). */
const BUSY_FACTOR = 2;

/** Intervals per topic: [live, quiet]. */
const CADENCE = {
  results: [FAST_MS, QUIET_MS],
  result: [FAST_RESULT_MS, QUIET_MS],
  commands: [2000, 5000],
  assets: [2000, 10000],
};

export function startPollingFeed(watch, onNotice) {
  const topics = watch.project !== undefined
    ? { results: { topic: 'results' } }
    : {
        result: { topic: 'result', id: watch.result },
        commands: { topic: 'commands', resultId: watch.result },
        assets: { topic: 'assets', resultId: watch.result },
      };
  let live = false;
  let stopped = false;
  const expecting = new Map(); // topic -> until (ms)
  const loops = new Map();

  for (const [topic, notice] of Object.entries(topics)) {
    const loop = { timer: 0, running: false, again: false, lastMs: 0 };
    loops.set(topic, loop);
    const interval = () => {
      if (document.hidden) return HIDDEN_MS;
      if ((expecting.get(topic) || 0) > performance.now()) return EXPECT_MS;
      const base = CADENCE[topic][live ? 0 : 1];
      return Math.max(base, loop.lastMs * BUSY_FACTOR);
    };
    loop.run = async () => {
      if (stopped) return;
      if (loop.running) {
        loop.again = true;
        return;
      }
      clearTimeout(loop.timer);
      loop.running = true;
      const started = performance.now();
      try {
        await onNotice({ ...notice });
      } catch (err) {
        if (err?.name !== 'AbortError') console.warn(`polling ${topic} failed:`, err);
      }
      loop.lastMs = performance.now() - started;
      loop.running = false;
      if (stopped) return;
      if (loop.again) {
        loop.again = false;
        loop.timer = setTimeout(loop.run, 0);
      } else {
        loop.timer = setTimeout(loop.run, interval());
      }
    };
  }

  const onVisible = () => {
    if (!document.hidden) for (const loop of loops.values()) loop.run();
  };
  document.addEventListener('visibilitychange', onVisible);
  for (const loop of loops.values()) loop.run();

  return {
    kind: 'polling',
    setLive(value) {
      const wasLive = live;
      live = !!value;
      // Turning live: do not wait out a quiet interval.
      if (live && !wasLive) for (const loop of loops.values()) if (!loop.running) loop.run();
    },
    expect(topic) {
      if (!loops.has(topic)) return;
      expecting.set(topic, performance.now() + EXPECT_FOR_MS);
      loops.get(topic).run();
    },
    settle(topic) {
      expecting.delete(topic);
    },
    stop() {
      stopped = true;
      for (const loop of loops.values()) clearTimeout(loop.timer);
      document.removeEventListener('visibilitychange', onVisible);
    },
  };
}
