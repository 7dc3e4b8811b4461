// Grouped curves: mean, min and max per group at every x, and their traces.
import test from 'node:test';
import assert from 'node:assert/strict';
import { groupStats, groupTraces } from '../../frontend/js/lib/groups.js';

const runs = [{ id: 1, g: 'adam' }, { id: 2, g: 'sgd' }, { id: 3, g: 'adam' }];
const data = {
  1: { loss: { x: [0, 10, 20], y: [4, 2, 1] } },
  2: { loss: { x: [0, 10], y: [5, 5] } },
  3: { loss: { x: [0, 10, 30], y: [2, null, 3] } },
};

test('mean and min-max band per group at every x any run logged', () => {
  const stats = groupStats(runs, (id) => data[id], ['loss'], (r) => r.g);
  assert.deepEqual(stats.map((g) => g.label), ['adam', 'sgd']);
  const adam = stats[0];
  assert.deepEqual(adam.x, [0, 10, 20, 30]);
  assert.deepEqual(adam.mean, [3, 2, 1, 3]);
  assert.deepEqual(adam.min, [2, 2, 1, 3]);
  assert.deepEqual(adam.max, [4, 2, 1, 3]);
  assert.deepEqual(adam.count, [2, 1, 1, 1]);
  const traces = groupTraces(stats, { left: ['loss'], right: [] });
  assert.deepEqual(traces.map((t) => t.meta.role), ['band-low', 'band-high', 'main', 'band-low', 'band-high', 'main']);
  assert.equal(traces[2].meta.rid, 'adam');
  assert.notEqual(traces[2].line.color, traces[5].line.color);
});
