/**
 * Events on the curves (pure; no DOM): where each event of a run (a command its job applied, a
 * resume, an automation rule's firing) stands on a chart's x axis, which of them share a marker,
 * and the words its hover shows. Event text comes from the job: it is only ever used as text.
 */
import { formatDuration, formatNumber } from './format.js';

/** The x axes an event knows its place on; on any other x key it is not drawn. */
const X_OF = { iteration: (e) => e.iteration, epoch: (e) => e.epoch, elapsed_time: (e) => e.elapsed_time };

/** An event's x on a chart drawn against `xKey`, or null when it has none there. */
export function eventX(event, xKey) {
  const pick = X_OF[xKey];
  const x = pick ? pick(event) : null;
  return typeof x === 'number' && Number.isFinite(x) ? x : null;
}

/** The kinds with a look of their own; any other kind is drawn as a plain marker. */
export const KNOWN_KINDS = new Set(['command', 'resume', 'automation']);

export function kindOf(event) {
  return KNOWN_KINDS.has(event.kind) ? event.kind : 'other';
}

/**
 * The events of `events` that `xKey` can place, with their x, grouped so that events less than
 * `minGapPx` apart (after `toPixel`) share one marker: [{x, px, events}], left to right.
 */
export function markersFor(events, xKey, toPixel, minGapPx = 6) {
  const placed = [];
  for (const event of events || []) {
    const x = eventX(event, xKey);
    if (x === null) continue;
    const px = toPixel(x);
    if (Number.isFinite(px)) placed.push({ x, px, event });
  }
  placed.sort((a, b) => a.px - b.px);
  const markers = [];
  for (const p of placed) {
    const last = markers[markers.length - 1];
    if (last && p.px - last.px < minGapPx) last.events.push(p.event);
    else markers.push({ x: p.x, px: p.px, events: [p.event] });
  }
  return markers;
}

/** "4,990": iterations and epochs as a reader counts them. */
function count(value) {
  return Number.isInteger(value) ? value.toLocaleString('en-US') : formatNumber(value);
}

/** Where and by what: "at iteration 4,990 (epoch 3), by command #12". */
export function eventWhere(event) {
  const epoch = Number.isInteger(event.epoch) ? count(event.epoch) : null;
  let text = Number.isInteger(event.iteration)
    ? `at iteration ${count(event.iteration)}${epoch === null ? '' : ` (epoch ${epoch})`}`
    : epoch === null ? '' : `at epoch ${epoch}`;
  if (typeof event.elapsed_time === 'number' && Number.isFinite(event.elapsed_time)) {
    text += `${text ? ', ' : ''}${formatDuration(event.elapsed_time)} into the run`;
  }
  if (event.kind === 'command' && Number.isInteger(event.command_id)) text += `, by command #${event.command_id}`;
  if (event.kind === 'automation' && Number.isInteger(event.command_id)) text += `, sent command #${event.command_id}`;
  return text;
}

/** The lines of one event's hover: its summary, then where and by what. */
export function eventLines(event) {
  const summary = typeof event.summary === 'string' && event.summary ? event.summary : String(event.kind || 'event');
  return [summary, eventWhere(event)].filter(Boolean);
}
