/**
 * The chart data of many results for one x key and set of keys, kept fresh cheaply:
 * the first fetch is a downsampled full answer; afterwards a result is only asked for the
 * entries written since its cursor, and only when its `entry_count` grew.
 */
import { api, query } from '../api.js';
import { applyLogsResponse, emptySeriesState, needsFullRefetch } from '../lib/merge.js';

const PARALLEL = 6;

export class SeriesStore {
  constructor() {
    this.states = new Map();
    this.keys = [];
    this.x = 'iteration';
    this.maxPoints = 1000;
    this.errors = new Map();
    this.inflight = new Map();
  }

  /** Change what is fetched; anything else than the same keys/x/budget drops the held data. */
  configure({ keys, x, maxPoints }) {
    const sortedKeys = [...new Set(keys)].sort();
    const same = sortedKeys.join('\n') === this.keys.join('\n') && x === this.x && maxPoints === this.maxPoints;
    if (same) return false;
    const onlyFewerKeys = x === this.x && maxPoints === this.maxPoints && sortedKeys.every((k) => this.keys.includes(k));
    this.keys = sortedKeys;
    this.x = x;
    this.maxPoints = maxPoints;
    if (!onlyFewerKeys) this.states.clear();
    return true;
  }

  series(resultId) {
    return this.states.get(resultId)?.series;
  }

  /**
   * Bring the series of `results` (API Result objects) up to date. Returns true when any
   * result's series changed, so callers redraw only then.
   */
  async sync(results) {
    if (this.keys.length === 0) return false;
    const jobs = [];
    for (const r of results) {
      const state = this.states.get(r.id);
      if (!state || state.cursor === null || r.entry_count < state.cursor || needsFullRefetch(state, this.maxPoints)) {
        jobs.push(() => this.fetch(r.id, null));
      } else if (r.entry_count > state.cursor) {
        jobs.push(() => this.fetch(r.id, state.cursor));
      }
    }
    const outcomes = await runLimited(jobs, PARALLEL);
    return outcomes.some(Boolean);
  }

  async fetch(resultId, since) {
    const keys = this.keys;
    const flightKey = `${resultId}:${since}`;
    if (this.inflight.get(resultId) === flightKey) return false; // the same request is on its way
    this.inflight.set(resultId, flightKey);
    const params = { keys: keys.join(','), x: this.x, max_points: this.maxPoints, since };
    try {
      const answer = await api(`results/${resultId}/logs${query(params)}`);
      if (keys !== this.keys) return false; // reconfigured meanwhile: the answer is stale
      const current = this.states.get(resultId);
      // Two overlapping syncs must not append the same points twice.
      if (since !== null && current?.cursor !== since) return false;
      const previous = since === null ? emptySeriesState() : current;
      this.states.set(resultId, applyLogsResponse(previous, answer, keys));
      this.errors.delete(resultId);
      return true;
    } catch (err) {
      this.errors.set(resultId, err);
      return false;
    } finally {
      if (this.inflight.get(resultId) === flightKey) this.inflight.delete(resultId);
    }
  }

  /** Full detail of `keys` within [xMin, xMax] for a zoomed chart (not kept). */
  async fetchRange(resultId, keys, xMin, xMax) {
    const params = { keys: keys.join(','), x: this.x, max_points: this.maxPoints, x_min: xMin, x_max: xMax };
    const answer = await api(`results/${resultId}/logs${query(params)}`);
    return applyLogsResponse(emptySeriesState(), answer, keys).series;
  }
}

/** Run async `jobs` with at most `limit` in flight; resolves to their results in order. */
export async function runLimited(jobs, limit) {
  const results = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await jobs[i]();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, worker));
  return results;
}
