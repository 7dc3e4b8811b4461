// Which runs are charted: all, all but some, or only some; runs that start later join.
import test from 'node:test';
import assert from 'node:assert/strict';
import { ALL, fromView, isCharted, joinNew, toggle, toView, chartedRuns } from '../../frontend/js/lib/selection.js';

const results = [{ id: 1 }, { id: 2 }, { id: 3 }, { id: 9, unregistered: true }];
const charted = (sel, rs = results) => rs.filter((r) => isCharted(sel, r)).map((r) => r.id);

test('unticking from "all" hides runs, and a run that starts later is charted', () => {
  const sel = toggle(ALL, [2], false, results);
  assert.equal(sel.mode, 'except');
  assert.deepEqual(charted(sel), [1, 3]);
  assert.deepEqual(charted(sel, [...results, { id: 4 }]), [1, 3, 4]);
  assert.deepEqual(toView(sel), { runs: null, hide: [2] });
  assert.deepEqual(toggle(sel, [2], true, results), ALL, 'ticking it back is "all" again');
});

test('unticking every run is an empty "only" selection; ticks then add to it', () => {
  const none = toggle(ALL, [1, 2, 3], false, results);
  assert.deepEqual(none, { mode: 'only', ids: new Set() });
  const some = toggle(none, [3], true, results);
  assert.deepEqual(charted(some), [3]);
  assert.deepEqual(toView(some), { runs: [3], hide: null });
});

test('runs that appear while the page is open join an "only" selection', () => {
  const some = fromView({ runs: [1] });
  assert.deepEqual(charted(joinNew(some, [4]), [...results, { id: 4 }]), [1, 4]);
  assert.equal(joinNew(ALL, [4]), ALL);
  assert.equal(joinNew(some, []), some);
});

test('unregistered runs are never charted; the view lists round-trip', () => {
  assert.deepEqual(charted(ALL), [1, 2, 3]);
  assert.deepEqual(fromView({ runs: null, hide: [2] }), { mode: 'except', ids: new Set([2]) });
  assert.deepEqual(fromView({ runs: null, hide: null }), ALL);
  assert.deepEqual(fromView({ runs: [], hide: null }), { mode: 'only', ids: new Set() });
});

test('the filters, the ticks and the pins decide together what is charted', () => {
  const rs = [{ id: 1 }, { id: 2 }, { id: 3 }, { id: 4, unregistered: true }];
  const ids = (sel, matching, pins) => chartedRuns(rs, sel, new Set(matching), new Set(pins)).map((r) => r.id);
  assert.deepEqual(ids(ALL, [1, 2, 3, 4], []), [1, 2, 3]);
  assert.deepEqual(ids(ALL, [2], []), [2]);
  assert.deepEqual(ids(ALL, [2], [3]), [2, 3]);
  assert.deepEqual(ids({ mode: 'except', ids: new Set([2]) }, [1, 2], []), [1]);
  assert.deepEqual(ids({ mode: 'only', ids: new Set() }, [1, 2, 3], [1, 4]), [1]);
});
