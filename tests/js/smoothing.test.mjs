// EMA smoothing: debiased, keeps gaps, weight 0 is the identity.
import test from 'node:test';
import assert from 'node:assert/strict';
import { emaSmooth, emaSmoothFrom, clampWeight } from '../../frontend/js/lib/smoothing.js';

test('weight 0 returns the values with non-finite ones as null', () => {
  assert.deepEqual(emaSmooth([1, 2, NaN, Infinity, null, 3], 0), [1, 2, null, null, null, 3]);
});

test('debiased EMA starts at the first value instead of near zero', () => {
  const out = emaSmooth([10, 10, 10], 0.9);
  for (const v of out) assert.ok(Math.abs(v - 10) < 1e-9);
});

test('smoothing follows the textbook recurrence', () => {
  const w = 0.5;
  const out = emaSmooth([0, 4], w);
  // raw EMA: 0, then 0.5*0 + 0.5*4 = 2; debias: 2 / (1 - 0.25) = 8/3
  assert.equal(out[0], 0);
  assert.ok(Math.abs(out[1] - 8 / 3) < 1e-12);
});

test('gaps stay gaps and do not reset the average', () => {
  const out = emaSmooth([1, null, 1], 0.8);
  assert.equal(out[1], null);
  assert.ok(Math.abs(out[2] - 1) < 1e-12);
});

test('smoothing damps noise', () => {
  const ys = Array.from({ length: 200 }, (_, i) => (i % 2 ? 1 : -1));
  const out = emaSmooth(ys, 0.95);
  assert.ok(Math.abs(out[199]) < 0.1);
});

test('weights are clamped below 1 and non-numbers mean off', () => {
  assert.equal(clampWeight(1), 0.999);
  assert.equal(clampWeight('x'), 0);
  assert.equal(clampWeight(-1), 0);
});

test('smoothing continued from a returned state equals smoothing the whole series at once', () => {
  const ys = [3, 1, NaN, 4, 1, 5, null, 9, 2, 6];
  const whole = emaSmooth(ys, 0.7);
  const first = emaSmoothFrom(ys.slice(0, 4), 0.7);
  const rest = emaSmoothFrom(ys.slice(4), 0.7, first.state);
  assert.deepEqual(first.out.concat(rest.out), whole);
  assert.deepEqual(emaSmoothFrom([2, 3], 0, first.state).out, [2, 3]);
});
