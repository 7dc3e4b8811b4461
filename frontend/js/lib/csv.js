/**
 * CSV export of chart data (pure): one row per point, long format, so any tool can pivot it.
 * Raw values (not smoothed): what the server sent for the charted range; a NaN or infinite
 * value is written as such ("NaN", "Infinity", "-Infinity"), not left empty.
 */

export function csvCell(value) {
  if (value === null || value === undefined) return '';
  const text = String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** runs: [{id, name}]; seriesFor(id) -> {key: {x, y}}; keys: keys to export; xKey: header. */
export function seriesToCsv(runs, seriesFor, keys, xKey) {
  const lines = [['result_id', 'result', 'key', xKey, 'value'].map(csvCell).join(',')];
  for (const run of runs) {
    const series = seriesFor(run.id) || {};
    for (const key of keys) {
      const s = series[key];
      if (!s) continue;
      const nonfinite = new Map((s.nonfinite?.x || []).map((x, i) => [x, s.nonfinite.value[i]]));
      for (let i = 0; i < s.x.length; i++) {
        const y = s.y[i] ?? nonfinite.get(s.x[i]);
        lines.push([run.id, run.name, key, s.x[i], y].map(csvCell).join(','));
      }
    }
  }
  return lines.join('\n') + '\n';
}
