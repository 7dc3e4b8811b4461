// The parallel coordinates' rows, dimensions and brush, without drawing them.
import test from 'node:test';
import assert from 'node:assert/strict';
import { brushOf, brushedRuns, compareMetric, parcoordsDimensions, plotlyDimensions, plottedRows } from '../../frontend/js/lib/parcoords.js';

const runs = [
  { id: 1, args: { lr: 1e-4, opt: 'sgd', bs: 32 }, last_values: { loss: 0.5 } },
  { id: 2, args: { lr: 1e-3, opt: 'adam', bs: 32 }, last_values: { loss: 0.4 } },
  { id: 3, args: { lr: 1e-2, opt: 'sgd', bs: 32 }, last_values: { loss: 0.3 } },
  { id: 4, args: { lr: 1e-1, opt: 'adam', bs: 32 }, last_values: {} },
];

test('rows are the runs with the metric; axes the args that vary, then the metric', () => {
  const rows = plottedRows(runs, 'loss');
  assert.deepEqual(rows.map((r) => r.id), [1, 2, 3]);
  const dims = parcoordsDimensions(rows, 'loss');
  assert.deepEqual(dims.map((d) => [d.key, d.log]), [['lr', true], ['opt', false], ['loss', false]]);
  assert.deepEqual(dims[0].values.map((v) => Math.round(v)), [-4, -3, -2]);
  assert.deepEqual(dims[1].values, [0, 1, 0]);
  assert.equal('key' in plotlyDimensions(dims)[0], false);
});

test('the brush goes by key both ways, and filters the runs as the plot would', () => {
  const dims = parcoordsDimensions(plottedRows(runs, 'loss'), 'loss');
  const drawn = plotlyDimensions(dims, { lr: [[-3.5, -1.5]] });
  assert.deepEqual(drawn[0].constraintrange, [-3.5, -1.5]);
  assert.deepEqual(brushOf(dims, [{ constraintrange: [-1.5, -3.5] }, { constraintrange: [[0.5, 1.5], [2, 3]] }, {}]),
    { lr: [[-3.5, -1.5]], opt: [[0.5, 1.5], [2, 3]] });
  assert.deepEqual(brushedRuns(runs, 'loss', { lr: [[-3.5, -1.5]] }), new Set([2, 3]));
  assert.deepEqual(brushedRuns(runs, 'loss', { lr: [[-3.5, -1.5]], opt: [[-0.5, 0.5]] }), new Set([3]));
  assert.equal(brushedRuns(runs, 'loss', {}), null);
  // an axis the plot no longer draws filters nothing; no plotted row: no brush
  assert.equal(brushedRuns(runs, 'loss', { bs: [[0, 1]] }), null);
  assert.equal(brushedRuns(runs, 'missing', { lr: [[-3, -1]] }), null);
});

test('the compared metric: the one asked for, else a loss, else the first', () => {
  assert.equal(compareMetric('acc', ['iteration', 'acc', 'loss']), 'acc');
  assert.equal(compareMetric('gone', ['iteration', 'acc', 'main/loss']), 'main/loss');
  assert.equal(compareMetric(null, ['epoch', 'acc']), 'acc');
  assert.equal(compareMetric(null, ['iteration']), null);
});
