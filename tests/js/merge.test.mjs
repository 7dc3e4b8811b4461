// Merging full and incremental logs answers into chart series.
import test from 'node:test';
import assert from 'node:assert/strict';
import { applyLogsResponse, emptySeriesState, minMaxBand, needsFullRefetch } from '../../frontend/js/lib/merge.js';

const full = {
  result_id: 1, x: 'iteration', cursor: 3, incremental: false,
  series: { 'main/loss': { x: [1, 2, 3], y: [3, 2, 1], total: 3, downsampled: false } },
};

test('a full answer replaces the state and keeps the cursor', () => {
  const s = applyLogsResponse(emptySeriesState(), full, ['main/loss', 'lr']);
  assert.equal(s.cursor, 3);
  assert.deepEqual(s.series['main/loss'].x, [1, 2, 3]);
  assert.deepEqual(s.series.lr, { x: [], y: [], total: 0, downsampled: false, pairedPoints: 0 });
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
