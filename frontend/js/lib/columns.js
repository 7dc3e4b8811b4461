/**
 * The value of a column of a result (pure), shared by the table and the query language.
 *
 * Column ids: "name", "status", "elapsed", "updated", "entries", "tags", "arg:<key>", "metric:<key>".
 * A run's tags are one text here (space separated), so a column filter or a sort reads them as such.
 * A metric whose last value was not finite (the API says "NaN", "Infinity" or "-Infinity") is
 * that number here, so it sorts, filters and is flagged as one.
 */
const NONFINITE = { NaN: Number.NaN, Infinity: Number.POSITIVE_INFINITY, '-Infinity': Number.NEGATIVE_INFINITY };

/** A last value as a number: the API's "NaN" / "Infinity" / "-Infinity" strings become those numbers. */
export function metricValue(value) {
  return typeof value === 'string' && value in NONFINITE ? NONFINITE[value] : value;
}

export function columnValue(result, id) {
  if (id === 'name') return result.name;
  if (id === 'status') return result.status;
  if (id === 'elapsed') return result.elapsed_time;
  if (id === 'updated') return result.updated_at;
  if (id === 'entries') return result.entry_count;
  if (id === 'tags') return Array.isArray(result.tags) && result.tags.length ? result.tags.join(' ') : undefined;
  if (id.startsWith('arg:')) return result.args?.[id.slice(4)];
  if (id.startsWith('metric:')) return metricValue(result.last_values?.[id.slice(7)]);
  return undefined;
}
