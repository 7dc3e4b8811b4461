/**
 * The events of runs (`GET results/<id>/events`), for the markers on the charts: the result page
 * asks again whenever its feed says a command was answered or the job restarted; the project page
 * asks for the run the pointer is on, so a short-lived cache keeps a sweep over many lines from
 * asking twice while still showing a live run's new events on the next hover.
 */
import { api } from '../api.js';

export class RunEvents {
  constructor({ maxAgeMs = 5000 } = {}) {
    this.maxAgeMs = maxAgeMs;
    this.cache = new Map(); // rid -> {at, events}
  }

  /** The run's events (from the cache when younger than maxAgeMs, unless `fresh`). */
  async get(rid, { fresh = false } = {}) {
    const hit = this.cache.get(rid);
    if (hit && !fresh && performance.now() - hit.at < this.maxAgeMs) return hit.events;
    const { events } = await api(`results/${rid}/events`);
    this.cache.set(rid, { at: performance.now(), events });
    return events;
  }
}

/**
 * For a page of several runs: `show(rid)` marks the events of run `rid` on `charts` (after the
 * pointer rested on it for `delayMs`; a group's line, a string id, has none). The last run shown
 * stays marked when the pointer leaves, so that its flags can be hovered.
 */
export function hoveredRunEvents(charts, nameOf, { delayMs = 120 } = {}) {
  const source = new RunEvents();
  let timer = 0;
  let wanted = null;
  return function show(rid) {
    if (typeof rid !== 'number' || rid === wanted) return;
    wanted = rid;
    clearTimeout(timer);
    timer = setTimeout(async () => {
      try {
        const events = await source.get(rid);
        if (wanted === rid) charts.setEvents(events, { runName: nameOf(rid) || `run ${rid}` });
      } catch {
        /* the run went away or the server is unreachable: its events are not shown, nothing breaks */
      }
    }, delayMs);
  };
}
