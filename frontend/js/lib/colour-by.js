/**
 * "Colour by" an arg (pure): each run's colour follows its value of the arg instead of its id.
 * Numbers take a sequential scale (on log10 where they span two decades or more, as a learning
 * rate does), anything else a categorical palette in the order values first appear; a run
 * without the arg is grey. The legend says the mapping.
 */
import { runColor } from './traces.js';

export const UNSET_COLOR = '#9ca3af';
// Viridis, sampled: dark to light, and readable on both themes.
const SCALE = ['#440154', '#482878', '#3e4989', '#31688e', '#26828e', '#1f9e89', '#35b779', '#6ece58', '#b5de2b', '#fde725'];

/** A colour of the sequential scale, `t` from 0 to 1. */
export function scaleColor(t) {
  const x = Math.min(Math.max(Number.isFinite(t) ? t : 0, 0), 1) * (SCALE.length - 1);
  const i = Math.min(Math.floor(x), SCALE.length - 2);
  const mix = (a, b, f) => Math.round(a + (b - a) * f);
  const [p, q] = [SCALE[i], SCALE[i + 1]].map((c) => Number.parseInt(c.slice(1), 16));
  const f = x - i;
  const rgb = [16, 8, 0].map((s) => mix((p >> s) & 255, (q >> s) & 255, f));
  return `#${rgb.map((v) => v.toString(16).padStart(2, '0')).join('')}`;
}

const label = (v) => (typeof v === 'string' ? v : JSON.stringify(v));

/**
 * {colorOf(id), legend} for colouring `results` by arg `key`, or null (no key: the runs' own
 * colours). legend: {key, kind: 'category', entries: [{label, color}]} or
 * {key, kind: 'scale', log, min, max, stops: [colour, ...]}, plus `unset` (runs without the arg).
 */
export function colourBy(results, key) {
  if (!key) return null;
  const valueOf = new Map(results.map((r) => [r.id, r.args?.[key]]));
  const given = [...valueOf.values()].filter((v) => v !== undefined && v !== null);
  const unset = given.length < valueOf.size;
  const numbers = given.filter((v) => typeof v === 'number' && Number.isFinite(v));
  if (numbers.length && numbers.length === given.length && new Set(numbers).size > 1) {
    let lo = Math.min(...numbers);
    let hi = Math.max(...numbers);
    const log = lo > 0 && hi / lo >= 100;
    const f = log ? Math.log10 : (v) => v;
    const [a, b] = [f(lo), f(hi)];
    const colorOf = (id) => {
      const v = valueOf.get(id);
      return typeof v === 'number' ? scaleColor((f(v) - a) / (b - a)) : UNSET_COLOR;
    };
    return { colorOf, legend: { key, kind: 'scale', log, min: lo, max: hi, stops: SCALE, unset } };
  }
  const labels = [...new Set(given.map(label))];
  const colorFor = new Map(labels.map((l, i) => [l, runColor(i)]));
  const colorOf = (id) => {
    const v = valueOf.get(id);
    return v === undefined || v === null ? UNSET_COLOR : colorFor.get(label(v));
  };
  return { colorOf, legend: { key, kind: 'category', entries: labels.map((l) => ({ label: l, color: colorFor.get(l) })), unset } };
}
