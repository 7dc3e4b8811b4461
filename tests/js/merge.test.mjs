// Merging full and incremental logs answers into chart series.
import test from 'node:test';
import assert from 'node:assert/strict';
import { applyLogsResponse, emptySeries, emptySeriesState, minMaxBand, needsFullRefetch, spliceDetail } from '../../frontend/js/lib/merge.js';

const full = {
  result_id: 1, x: 'iteration', cursor: 3, incremental: false,
  series: { 'main/loss': { x: [1, 2, 3], y: [3, 2, 1], total: 3, downsampled: false } },
};

test('a full answer replaces the state and keeps the cursor', () => {
  const s = applyLogsResponse(emptySeriesState(), full, ['main/loss', 'lr']);
  assert.equal(s.cursor, 3);
  assert.deepEqual(s.series['main/loss'].x, [1, 2, 3]);
  assert.deepEqual(s.series.lr, emptySeries(1));
});

test('an incremental answer appends only the new points', () => {
  const s1 = applyLogsResponse(emptySeriesState(), full, ['main/loss']);
  const inc = { x: 'iteration', cursor: 5, incremental: true,
    series: { 'main/loss': { x: [4, 5], y: [0.5, null], total: 2, downsampled: false } } };
  const s2 = applyLogsResponse(s1, inc, ['main/loss']);
  assert.deepEqual(s2.series['main/loss'].x, [1, 2, 3, 4, 5]);
  assert.deepEqual(s2.series['main/loss'].y, [3, 2, 1, 0.5, null]);
  assert.equal(s2.cursor, 5);
  assert.equal(s2.appended, 2);
  // the input state is untouched
  assert.deepEqual(s1.series['main/loss'].x, [1, 2, 3]);
});

test('an empty incremental answer keeps the series and moves the cursor', () => {
  const s1 = applyLogsResponse(emptySeriesState(), full, ['main/loss']);
  const s2 = applyLogsResponse(s1, { x: 'iteration', cursor: 4, incremental: true, series: {} }, ['main/loss']);
  assert.deepEqual(s2.series['main/loss'].y, [3, 2, 1]);
  assert.equal(s2.cursor, 4);
});

test('a key that appears later is created by an incremental answer', () => {
  const s1 = applyLogsResponse(emptySeriesState(), full, ['main/loss', 'val']);
  const inc = { x: 'iteration', cursor: 4, incremental: true, series: { val: { x: [4], y: [0.9], total: 1 } } };
  const s2 = applyLogsResponse(s1, inc, ['main/loss', 'val']);
  assert.deepEqual(s2.series.val.x, [4]);
});

test('held points past twice the budget ask for a downsampled refetch', () => {
  const s = applyLogsResponse(emptySeriesState(), full, ['main/loss']);
  assert.equal(needsFullRefetch(s, 2), false);
  assert.equal(needsFullRefetch(s, 1), true);
});

test('min-max band pairs consecutive points of a downsampled answer', () => {
  const resp = { x: 'iteration', cursor: 100, incremental: false, series: {
    k: { x: [0, 4, 5, 9], y: [1, 5, 7, 2], total: 10, downsampled: true } } };
  let s = applyLogsResponse(emptySeriesState(), resp, ['k']);
  assert.deepEqual(minMaxBand(s.series.k), { x: [2, 7], lo: [1, 2], hi: [5, 7] });
  // raw points appended live are not paired into the band
  s = applyLogsResponse(s, { x: 'iteration', cursor: 102, incremental: true,
    series: { k: { x: [10, 11], y: [0, 9] } } }, ['k']);
  assert.equal(minMaxBand(s.series.k).x.length, 2);
  assert.deepEqual(minMaxBand({ x: [1], y: [1], downsampled: false }), { x: [], lo: [], hi: [] });
});

test('a full answer starts a new epoch; increments keep it (a chart may append only within one)', () => {
  const s1 = applyLogsResponse(emptySeriesState(), full, ['main/loss']);
  const s2 = applyLogsResponse(s1, { x: 'iteration', cursor: 4, incremental: true,
    series: { 'main/loss': { x: [4], y: [0.4] } } }, ['main/loss']);
  const s3 = applyLogsResponse(s2, full, ['main/loss']);
  assert.equal(s1.series['main/loss'].epoch, 1);
  assert.equal(s2.series['main/loss'].epoch, 1);
  assert.equal(s3.series['main/loss'].epoch, 2);
  assert.equal(s3.epoch, 2);
});

test('non-finite points are kept beside the series, from full and incremental answers', () => {
  const withNaN = { x: 'iteration', cursor: 3, incremental: false, series: {
    loss: { x: [1, 2, 3], y: [1, null, 0.5], nonfinite: { x: [2], value: ['NaN'] } } } };
  const s1 = applyLogsResponse(emptySeriesState(), withNaN, ['loss']);
  assert.deepEqual(s1.series.loss.nonfinite, { x: [2], value: ['NaN'] });
  const s2 = applyLogsResponse(s1, { x: 'iteration', cursor: 5, incremental: true, series: {
    loss: { x: [4, 5], y: [null, null], nonfinite: { x: [4, 5], value: ['Infinity', '-Infinity'] } } } }, ['loss']);
  assert.deepEqual(s2.series.loss.nonfinite, { x: [2, 4, 5], value: ['NaN', 'Infinity', '-Infinity'] });
  assert.deepEqual(s1.series.loss.nonfinite.x, [2], 'the earlier state is untouched');
  // an answer without the field (an older server) still works
  const s3 = applyLogsResponse(s2, { x: 'iteration', cursor: 6, incremental: true, series: { loss: { x: [6], y: [0.1] } } }, ['loss']);
  assert.equal(s3.series.loss.nonfinite.x.length, 3);
});

test('zoom detail is spliced into the held series; live points after it stay', () => {
  const base = { x: [0, 10, 20, 30, 40, 50], y: [5, 4, 3, 2, 1, 0], downsampled: false, pairedPoints: 0, epoch: 3,
    nonfinite: { x: [5, 45], value: ['NaN', 'NaN'] } };
  const detail = { x: [21, 22, 23, 24], y: [2.9, 2.8, 2.7, 2.6], nonfinite: { x: [22.5], value: ['Infinity'] } };
  const z = spliceDetail(base, detail, 20.5, 25);
  assert.deepEqual(z.x, [0, 10, 20, 21, 22, 23, 24, 30, 40, 50]);
  assert.deepEqual(z.y, [5, 4, 3, 2.9, 2.8, 2.7, 2.6, 2, 1, 0]);
  assert.deepEqual(z.nonfinite, { x: [5, 22.5, 45], value: ['NaN', 'Infinity', 'NaN'] });
  assert.equal(z.epoch, 3);
  // a point appended to the held series later lands at the end of the spliced one
  const grown = { ...base, x: base.x.concat([60]), y: base.y.concat([-1]) };
  assert.deepEqual(spliceDetail(grown, detail, 20.5, 25).x.slice(-2), [50, 60]);
  assert.equal(spliceDetail(base, null, 0, 1), base);
});

test('a spliced downsampled series keeps a band only over whole (min, max) pairs before the zoom', () => {
  const base = { x: [0, 1, 2, 3, 4, 5], y: [1, 2, 1, 2, 1, 2], downsampled: true, pairedPoints: 6, epoch: 1, nonfinite: { x: [], value: [] } };
  const z = spliceDetail(base, { x: [2.5, 2.6], y: [1, 1] }, 2.5, 2.6);
  assert.equal(z.pairedPoints, 2);
  assert.equal(minMaxBand(z).x.length, 1);
});
