/**
 * The charts a page starts with when neither the URL nor stored settings name any: losses
 * together, accuracies together, then the learning rate; otherwise the first metric.
 */
const COUNTERS = new Set(['epoch', 'iteration', 'elapsed_time']);

export function defaultCharts(keys) {
  const metrics = keys.filter((k) => !COUNTERS.has(k));
  const charts = [];
  const loss = metrics.filter((k) => /loss/i.test(k));
  const acc = metrics.filter((k) => /acc/i.test(k));
  if (loss.length) charts.push({ left: loss.slice(0, 4), right: [] });
  if (acc.length) charts.push({ left: acc.slice(0, 4), right: [] });
  if (metrics.includes('lr')) charts.push({ left: ['lr'], right: [] });
  if (!charts.length && metrics.length) charts.push({ left: [metrics[0]], right: [] });
  return charts;
}
