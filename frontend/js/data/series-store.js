/**
 * The chart data of many results for one x key and set of keys, kept fresh cheaply:
 * the first fetch is a downsampled full answer; afterwards a result is only asked for the
 * entries written since its cursor, and only when its `entry_count` grew. All results that need
 * data on a tick go out as one `GET /logs?results=` request (in a few chunks when there are
 * many), not one request per result.
 */
import { api, query } from '../api.js';
import { applyLogsResponse, emptySeriesState, needsFullRefetch } from '../lib/merge.js';

/** Results per batch request, and batch requests in flight at once (the server has few threads). */
const BATCH_SIZE = 25;
const PARALLEL = 3;

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

  /** True when `resultId` has had an answer for the current keys (possibly with no points). */
  has(resultId) {
    return this.states.has(resultId);
  }

  /**
   * Bring the series of `results` (API Result objects, or {id, entry_count}) up to date.
   * Returns true when any result's series changed, so callers redraw only then. An
   * `entry_count` of Infinity asks for whatever is new without knowing whether anything is.
   */
  async sync(results) {
    if (this.keys.length === 0) return false;
    const wanted = [];
    for (const r of results) {
      const state = this.states.get(r.id);
      if (!state || state.cursor === null || needsFullRefetch(state, this.maxPoints)) {
        wanted.push([r.id, null]);
      } else if (r.entry_count !== state.cursor) {
        // A log that shrank (rewritten) is answered in full by the server, not as an increment.
        wanted.push([r.id, state.cursor]);
      }
    }
    const fresh = wanted.filter(([id, since]) => this.inflight.get(id) !== `${since}`); // the same request is on its way
    if (!fresh.length) return false;
    const chunks = [];
    for (let i = 0; i < fresh.length; i += BATCH_SIZE) chunks.push(fresh.slice(i, i + BATCH_SIZE));
    const outcomes = await runLimited(chunks.map((chunk) => () => this.fetchBatch(chunk)), PARALLEL);
    return outcomes.some(Boolean);
  }

  async fetchBatch(pairs) {
    const keys = this.keys;
    for (const [id, since] of pairs) this.inflight.set(id, `${since}`);
    const results = pairs.map(([id, since]) => (since === null ? `${id}` : `${id}:${since}`)).join(',');
    const params = { results, keys: keys.join(','), x: this.x, max_points: this.maxPoints };
    let changed = false;
    try {
      const answer = await api(`logs${query(params)}`);
      if (keys !== this.keys) return false; // reconfigured meanwhile: the answer is stale
      for (const [id, since] of pairs) {
        const one = answer.results?.[String(id)];
        if (!one) continue;
        const current = this.states.get(id);
        // Two overlapping syncs must not append the same points twice.
        if (since !== null && current?.cursor !== since) continue;
        this.states.set(id, applyLogsResponse(current || emptySeriesState(), { ...one, x: answer.x }, keys));
        this.errors.delete(id);
        changed = true;
      }
      return changed;
    } catch (err) {
      for (const [id] of pairs) this.errors.set(id, err);
      return changed;
    } finally {
      for (const [id, since] of pairs) if (this.inflight.get(id) === `${since}`) this.inflight.delete(id);
    }
  }

  /**
   * Full detail of `keys` within [xMin, xMax] for a zoomed chart, for several results in one
   * request (not kept): Map of result id -> series.
   */
  async fetchRange(resultIds, keys, xMin, xMax) {
    const out = new Map();
    const chunks = [];
    for (let i = 0; i < resultIds.length; i += BATCH_SIZE) chunks.push(resultIds.slice(i, i + BATCH_SIZE));
    await runLimited(chunks.map((ids) => async () => {
      const params = { results: ids.join(','), keys: keys.join(','), x: this.x, max_points: this.maxPoints, x_min: xMin, x_max: xMax };
      const answer = await api(`logs${query(params)}`);
      for (const id of ids) {
        const one = answer.results?.[String(id)];
        if (one) out.set(id, applyLogsResponse(emptySeriesState(), { ...one, x: answer.x, incremental: false }, keys).series);
      }
    }), PARALLEL);
    return out;
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
