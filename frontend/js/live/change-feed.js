/**
 * Where a page learns that something changed on the server: the one module that says *when*
 * to look; the pages fetch *what* changed through the usual endpoints (`logs?since=`, the
 * results list, a result, its commands) and update only what changed.
 *
 * Today the feed polls (`polling-feed.js`). The server's event stream (`GET /api/v1/stream`,
 * text/event-stream) will feed the same notices to the same `onNotice`, and this module falls
 * back to polling by itself whenever the stream is not there or breaks. The contract:
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

export function startChangeFeed(watch, onNotice) {
  return startPollingFeed(watch, onNotice);
}
