// The charts a page starts with when nothing is stored or linked.
import test from 'node:test';
import assert from 'node:assert/strict';
import { defaultCharts } from '../../frontend/js/pages/default-charts.js';

test('losses together, accuracies together, then lr', () => {
  const keys = ['epoch', 'iteration', 'lr', 'main/accuracy', 'main/loss', 'validation/main/accuracy', 'validation/main/loss'];
  assert.deepEqual(defaultCharts(keys), [
    { left: ['main/loss', 'validation/main/loss'], right: [] },
    { left: ['main/accuracy', 'validation/main/accuracy'], right: [] },
    { left: ['lr'], right: [] },
  ]);
});

test('otherwise the first metric, and nothing for counters only', () => {
  assert.deepEqual(defaultCharts(['iteration', 'reward']), [{ left: ['reward'], right: [] }]);
  assert.deepEqual(defaultCharts(['iteration', 'epoch']), []);
});
