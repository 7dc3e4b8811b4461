// The step an image grid shows for each run (or tag): at the slider's step, else the latest before.
import test from 'node:test';
import assert from 'node:assert/strict';
import { latestAtOrBefore, unionOfSteps } from '../../frontend/js/lib/steps.js';

const a = [{ id: 1, step: 10 }, { id: 2, step: 20 }, { id: 3, step: 30 }];
const b = [{ id: 4, step: 10 }, { id: 5, step: 25 }];

test('the image at the step, else the latest one before it, else none', () => {
  assert.equal(latestAtOrBefore(a, 20).id, 2);
  assert.equal(latestAtOrBefore(a, 25).id, 2);
  assert.equal(latestAtOrBefore(b, 24).id, 4);
  assert.equal(latestAtOrBefore(a, 1000).id, 3);
  assert.equal(latestAtOrBefore(a, 9), null);
  assert.equal(latestAtOrBefore([], 10), null);
});

test('the slider runs over every step any run logged, in order, once each', () => {
  assert.deepEqual(unionOfSteps([a, b]), [10, 20, 25, 30]);
  assert.deepEqual(unionOfSteps([[], []]), []);
  assert.deepEqual(unionOfSteps([[{ step: 3 }, { step: 1 }], [{ step: 3 }]]), [1, 3]);
});
