// Events on the curves: where each event stands on a chart's x axis, which share a flag, what its hover says.
import test from 'node:test';
import assert from 'node:assert/strict';
import { eventLines, eventWhere, eventX, kindOf, markersFor } from '../../frontend/js/lib/events.js';

const lr = { id: 'command-12', kind: 'command', iteration: 4990, epoch: 3, elapsed_time: 125.5, command_id: 12,
  status: 'SUCCESS', summary: 'lr 0.1 -> 0.01' };
const resume = { id: 'resume-0', kind: 'resume', iteration: 5000, epoch: null, elapsed_time: null, summary: 'resumed (it had crashed)' };

test('an event stands at its iteration, epoch or elapsed time, and nowhere on another x key', () => {
  assert.equal(eventX(lr, 'iteration'), 4990);
  assert.equal(eventX(lr, 'epoch'), 3);
  assert.equal(eventX(lr, 'elapsed_time'), 125.5);
  assert.equal(eventX(lr, 'main/loss'), null);
  assert.equal(eventX(resume, 'epoch'), null);
  assert.equal(eventX(resume, 'elapsed_time'), null);
  assert.equal(eventX({ ...lr, iteration: 'NaN' }, 'iteration'), null);
  assert.equal(eventX({ ...lr, elapsed_time: Infinity }, 'elapsed_time'), null);
});

test('events a few pixels apart share one flag; those the axis cannot place are left out', () => {
  const toPixel = (x) => (x - 4000) / 10; // 10 iterations a pixel
  const far = { ...lr, id: 'command-13', iteration: 6000 };
  const markers = markersFor([far, resume, lr, { ...lr, id: 'x', iteration: null }], 'iteration', toPixel);
  assert.deepEqual(markers.map((m) => [m.x, m.events.map((e) => e.id)]),
    [[4990, ['command-12', 'resume-0']], [6000, ['command-13']]]);
  assert.deepEqual(markersFor(null, 'iteration', toPixel), []);
  assert.deepEqual(markersFor([lr], 'iteration', () => NaN), []);
});

test('the hover says what, where and by which command', () => {
  assert.deepEqual(eventLines(lr), ['lr 0.1 -> 0.01', 'at iteration 4,990 (epoch 3), 2m 06s into the run, by command #12']);
  assert.equal(eventWhere(resume), 'at iteration 5,000');
  assert.deepEqual(eventLines({ kind: 'automation', epoch: 2, command_id: 4, summary: 'NaN guard: main/loss is nan -> stop' }),
    ['NaN guard: main/loss is nan -> stop', 'at epoch 2, sent command #4']);
  assert.deepEqual(eventLines({ kind: 'later', iteration: 7 }), ['later', 'at iteration 7']);
  assert.equal(kindOf({ kind: 'later' }), 'other');
  assert.equal(kindOf({ kind: 'automation' }), 'automation');
  assert.equal(kindOf(resume), 'resume');
  // the summary is text the job wrote: it is passed on as it is, never interpreted
  assert.equal(eventLines({ ...lr, summary: '<img src=x onerror=alert(1)>' })[0], '<img src=x onerror=alert(1)>');
});
