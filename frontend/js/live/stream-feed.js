/**
 * The change feed from the server's event stream (`GET api/v1/stream`, see change-feed.js for the
 * contract). The browser's EventSource reconnects by itself and sends the last event id back, so
 * nothing is missed across a dropped connection. Notices of one topic are coalesced while the
 * page is still busy with the previous one. A result page hears of new images from the stream too
 * (their count); a slow poll stays as a safety net. `onFailure` is called once when the stream cannot be had (refused, or no connection
 * for a while); the caller then polls instead.
 */

const GIVE_UP_AFTER_MS = 6000;
const ASSETS_MS = [3000, 15000]; // images of a result: live, quiet

export function startStreamFeed(watch, onNotice, { onFailure }) {
  const scope = watch.project !== undefined ? `project=${watch.project}` : `result=${watch.result}`;
  const source = new EventSource(new URL(`api/v1/stream?${scope}`, document.baseURI).toString());
  const topics = new Map(); // topic -> {running, pending}
  let stopped = false;
  let failed = false;
  let opened = false;
  let live = false;
  let assetsTimer = 0;

  const deliver = (notice) => {
    if (stopped) return;
    const state = topics.get(notice.topic) || { running: false, pending: null };
    topics.set(notice.topic, state);
    if (state.running) {
      state.pending = notice; // the latest one says all an earlier one would have
      return;
    }
    state.running = true;
    Promise.resolve()
      .then(() => onNotice({ ...notice }))
      .catch((err) => { if (err?.name !== 'AbortError') console.warn(`stream notice ${notice.topic} failed:`, err); })
      .finally(() => {
        state.running = false;
        if (state.pending) {
          const next = state.pending;
          state.pending = null;
          deliver(next);
        }
      });
  };

  const catchUp = () => {
    if (watch.project !== undefined) deliver({ topic: 'results' });
    else {
      deliver({ topic: 'result', id: watch.result });
      deliver({ topic: 'commands', resultId: watch.result });
      deliver({ topic: 'assets', resultId: watch.result });
    }
  };

  const fail = () => {
    if (failed || stopped) return;
    failed = true;
    feed.stop();
    onFailure();
  };

  let brokenTimer = 0;
  source.onopen = () => {
    clearTimeout(brokenTimer);
    brokenTimer = 0;
    if (!opened) {
      opened = true;
      catchUp();
    }
  };
  source.onerror = () => {
    if (source.readyState === EventSource.CLOSED) return fail(); // refused (busy, gone): poll instead
    // reconnecting by itself; a stream that stays away this long is given up for polling
    if (opened && !brokenTimer) brokenTimer = setTimeout(fail, GIVE_UP_AFTER_MS);
  };
  source.addEventListener('result', (event) => {
    const data = JSON.parse(event.data);
    if (watch.project !== undefined) deliver({ topic: 'results' });
    else deliver({ topic: 'result', id: data.id, entryCount: data.entry_count, status: data.status });
  });
  source.addEventListener('command', (event) => {
    const data = JSON.parse(event.data);
    deliver({ topic: 'commands', resultId: data.result_id });
  });

  source.addEventListener('assets', (event) => {
    const data = JSON.parse(event.data);
    deliver({ topic: 'assets', resultId: data.result_id });
  });

  const pollAssets = () => {
    if (stopped || watch.result === undefined) return;
    deliver({ topic: 'assets', resultId: watch.result });
    assetsTimer = setTimeout(pollAssets, ASSETS_MS[live ? 0 : 1]);
  };
  if (watch.result !== undefined) assetsTimer = setTimeout(pollAssets, ASSETS_MS[0]);
  const giveUpTimer = setTimeout(() => { if (!opened) fail(); }, GIVE_UP_AFTER_MS);

  const feed = {
    kind: 'stream',
    setLive(value) { live = !!value; },
    expect() {}, // answers arrive as events
    settle() {},
    stop() {
      stopped = true;
      source.close();
      clearTimeout(assetsTimer);
      clearTimeout(giveUpTimer);
      clearTimeout(brokenTimer);
    },
  };
  return feed;
}
