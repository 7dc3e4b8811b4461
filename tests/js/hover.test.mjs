// Hover across runs: the value of every line at the pointer's x, sorted, and the window of a long list.
import test from 'node:test';
import assert from 'node:assert/strict';
import { hoverWindow, nearestIndex, nearestRow, valuesAt } from '../../frontend/js/lib/hover.js';

const main = (rid, x, y, extra = {}) => ({ x, y, line: { color: `c${rid}` }, meta: { rid, key: 'loss', role: 'main' }, ...extra });

test('the nearest x of an ascending array', () => {
  assert.equal(nearestIndex([], 3), -1);
  assert.equal(nearestIndex([10, 20, 30], 14), 0);
  assert.equal(nearestIndex([10, 20, 30], 16), 1);
  assert.equal(nearestIndex([10, 20, 30], 99), 2);
  assert.equal(nearestIndex([10, 20, 30], -5), 0);
});

test('every line that has a value at x, sorted by value, largest first', () => {
  const traces = [
    main(1, [0, 10, 20, 30], [4, 3, 2, 1]),
    main(2, [0, 10, 20, 30], [5, 6, 7, 8]),
    main(3, [0, 10], [9, 9]), // stopped early: no value at 30
    main(4, [0, 10, 20, 30], [1, null, 3, 4]), // a gap (NaN) at 10
    { x: [0, 10], y: [100, 100], meta: { rid: 1, role: 'raw' } },
    main(5, [0, 10, 20, 30], [2, 2, 2, 2], { yaxis: 'y2' }),
  ];
  assert.deepEqual(valuesAt(traces, 11).map((r) => [r.rid, r.y, r.x]), [[3, 9, 10], [2, 6, 10], [1, 3, 10], [5, 2, 10]]);
  assert.deepEqual(valuesAt(traces, 29).map((r) => r.rid), [2, 4, 5, 1]);
  assert.equal(valuesAt(traces, 29)[2].yaxis, 'y2');
  assert.deepEqual(valuesAt(traces, 60), []);
});

test('the row under the pointer and the window around it', () => {
  const rows = Array.from({ length: 40 }, (_, i) => ({ rid: i, y: 40 - i }));
  assert.equal(nearestRow(rows, 103, (r) => 100 + r.rid * 10 - 70), 7);
  assert.deepEqual(hoverWindow(rows.slice(0, 5), 2), { rows: rows.slice(0, 5), above: 0, below: 0 });
  const w = hoverWindow(rows, 20, 15);
  assert.deepEqual([w.rows[0].rid, w.rows.length, w.above, w.below], [13, 15, 13, 12]);
  assert.deepEqual([hoverWindow(rows, 0, 15).above, hoverWindow(rows, 39, 15).below], [0, 0]);
  assert.ok(hoverWindow(rows, 20, 15).rows.some((r) => r.rid === 20));
});
