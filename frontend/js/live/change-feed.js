/**
 * Where a page learns that something changed on the server: the one module that says *when*
 * to look; the pages fetch *what* changed through the usual endpoints (`logs?since=`, the
 * results list, a result, its commands) and update only what changed.
 *
 * The server's event stream (`GET /api/v1/stream`, text/event-stream; `stream-feed.js`) feeds
 * the notices; this module falls back to polling (`polling-feed.js`) by itself whenever the
 * stream is not there or breaks. The contract:
 *
 *   startChangeFeed(watch, onNotice) -> feed
 *     watch:    {project: id}  (the project page)  or  {result: id}  (the result page)
 *     onNotice: async (notice) => ...; the feed never sends a topic again before the previous
 *               notice of that topic settled, so a slow server is not flooded (a stream feed
 *               coalesces the notices that arrive meanwhile into one).
 *   notices:
 *     {topic: 'results'}                                 the project's results may have changed
 *                                                        (new runs, entries, status, names)
 *     {topic: 'result', id, entryCount?, status?}        result `id` changed; a stream says its
 *                                                        entry_count and status, polling does not
 *     {topic: 'commands', resultId}                      a command of the result was posted or answered
 *     {topic: 'assets', resultId}                        the result has new images
 *   feed.setLive(bool)   the page shows running jobs (polling: look often; a stream ignores it)
 *   feed.expect(topic)   a change of `topic` is due soon (a command was just posted): polling
 *                        looks every 100 ms until `feed.settle(topic)` or 30 s
 *   feed.settle(topic)
 *   feed.stop()
 *   feed.kind            'polling' (or 'stream')
 *
 * A stream's "result R changed" for the project page maps to {topic: 'results'} when R belongs
 * to the watched project (or is new), and to {topic: 'result', id: R, ...} on a result page
 * showing R; "command C of result R answered" maps to {topic: 'commands', resultId: R}.
 */
import { startPollingFeed } from './polling-feed.js';
import { startStreamFeed } from './stream-feed.js';

/** The stream when the browser and the server can have one, else (and from the moment it breaks) polling. */
export function startChangeFeed(watch, onNotice) {
  let current = null;
  let live = false;
  const show = () => { document.documentElement.dataset.liveFeed = current.kind; }; // for the curious, and tests
  const usePolling = () => {
    current = startPollingFeed(watch, onNotice);
    current.setLive(live);
    show();
  };
  if (typeof EventSource === 'undefined') usePolling();
  else current = startStreamFeed(watch, onNotice, { onFailure: usePolling });
  show();
  return {
    get kind() { return current.kind; },
    setLive(value) { live = !!value; current.setLive(value); },
    expect(topic) { current.expect(topic); },
    settle(topic) { current.settle(topic); },
    stop() { current.stop(); },
  };
}
