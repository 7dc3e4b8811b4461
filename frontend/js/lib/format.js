/**
 * Turning numbers, times and values into the short strings the UI shows (pure; no DOM).
 * One place for it so the table, the charts and the result page read the same.
 */

export const MISSING = '—';

/** A metric value: 4 significant digits, exponent notation when very large or small. */
export function formatNumber(value, digits = 4) {
  if (value === null || value === undefined || value === '') return MISSING;
  if (typeof value !== 'number') return String(value);
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? '∞' : '-∞';
  if (Number.isInteger(value) && Math.abs(value) < 1e6) return String(value);
  const abs = Math.abs(value);
  if (abs !== 0 && (abs >= 1e6 || abs < 1e-3)) return trimExponent(value.toExponential(digits - 1));
  return trimZeros(value.toPrecision(digits));
}

function trimZeros(text) {
  return text.includes('.') && !text.includes('e') ? text.replace(/\.?0+$/, '') : text;
}

function trimExponent(text) {
  const [mantissa, exponent] = text.split('e');
  return `${trimZeros(mantissa)}e${exponent}`;
}

/** "1 result", "2 results": a count with its noun. */
export function plural(count, noun, nouns = `${noun}s`) {
  return `${formatNumber(count)} ${count === 1 ? noun : nouns}`;
}

/** A duration in seconds as "0.3s", "42s", "3m 05s", "2h 03m", "1d 4h" (tenths under 10 s: a short run is not "0s"). */
export function formatDuration(seconds) {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return MISSING;
  if (seconds < 9.95) return `${Math.max(0, seconds).toFixed(1)}s`;
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${pad(s % 60)}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ${pad(Math.floor((s % 3600) / 60))}m`;
  return `${Math.floor(s / 86400)}d ${Math.floor((s % 86400) / 3600)}h`;
}

/** How long ago an epoch-seconds time was, relative to `now` (epoch seconds). */
export function formatRelativeTime(ts, now = Date.now() / 1000) {
  if (ts === null || ts === undefined || !Number.isFinite(ts)) return MISSING;
  const delta = now - ts;
  if (delta < 0) return formatTimestamp(ts);
  if (delta < 5) return 'just now';
  if (delta < 60) return `${Math.floor(delta)} s ago`;
  if (delta < 3600) return `${Math.floor(delta / 60)} min ago`;
  if (delta < 86400) return `${Math.floor(delta / 3600)} h ago`;
  if (delta < 30 * 86400) return `${Math.floor(delta / 86400)} d ago`;
  return formatTimestamp(ts);
}

/** An epoch-seconds time as "2026-11-24 11:44:35" in UTC, stable for tests and sharing. */
export function formatTimestamp(ts) {
  if (ts === null || ts === undefined || !Number.isFinite(ts)) return MISSING;
  return new Date(ts * 1000).toISOString().replace('T', ' ').slice(0, 19);
}

/** A file size: "512 B", "1.5 KB", "23 MB". */
export function formatBytes(bytes) {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return MISSING;
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i += 1;
  }
  return i === 0 ? `${v} B` : `${trimZeros(v.toFixed(v < 10 ? 1 : 0))} ${units[i]}`;
}

/** An arg value exactly as the run recorded it (no rounding: lr 0.00012 stays 0.00012). */
export function formatArg(value) {
  if (value === undefined) return MISSING;
  if (value === null) return 'null';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/** A command body or response as compact JSON, "{}" for nothing. */
export function formatJson(value) {
  if (value === null || value === undefined) return MISSING;
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}

/** Parse what a user typed for a hyperparameter: a number, true/false, JSON (e.g. betas), or text. */
export function parseValue(text) {
  const t = String(text).trim();
  if (t === '') return undefined;
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return Number(t);
  try {
    return JSON.parse(t);
  } catch {
    return t;
  }
}

function pad(n) {
  return String(n).padStart(2, '0');
}
