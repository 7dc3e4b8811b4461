// The parallel-coordinates brush filters runs: every brushed axis must hold the run's value.
import test from 'node:test';
import assert from 'node:assert/strict';
import { brushedIds, withinBrush } from '../../frontend/js/lib/brush.js';

const ids = [11, 12, 13, 14];
const lr = { values: [-4, -3, -2, -1] }; // log10 of the lr
const opt = { values: [0, 1, 0, 1] }; // category indices

test('no brush is no filter', () => {
  assert.equal(brushedIds(ids, [lr, opt]), null);
  assert.equal(brushedIds(ids, [{ ...lr, constraintrange: [] }]), null);
  const all = new Set(ids);
  assert.equal(withinBrush(all, null), all);
});

test('one range on one axis, and ranges on two axes together', () => {
  assert.deepEqual(brushedIds(ids, [{ ...lr, constraintrange: [-3.5, -1.5] }, opt]), new Set([12, 13]));
  assert.deepEqual(brushedIds(ids, [{ ...lr, constraintrange: [-3.5, -1.5] }, { ...opt, constraintrange: [0.5, 1.5] }]),
    new Set([12]));
});

test('several ranges on one axis, reversed ends, and rows without a value', () => {
  assert.deepEqual(brushedIds(ids, [{ ...lr, constraintrange: [[-4.1, -3.9], [-0.5, -1.5]] }]), new Set([11, 14]));
  assert.deepEqual(brushedIds(ids, [{ values: [null, 1, undefined, 2], constraintrange: [0, 5] }]), new Set([12, 14]));
  assert.deepEqual(withinBrush(new Set([11, 12, 13]), new Set([12, 14])), new Set([12]));
});
