// A saved view's state is the URL's view: stored without defaults, restored exactly, and a broken
// stored state degrades to defaults.
import test from 'node:test';
import assert from 'node:assert/strict';
import { decodeView, defaultView, encodeView } from '../../frontend/js/state/url.js';
import { fromSavedState, savedViewId, toSavedState } from '../../frontend/js/state/saved-views.js';

test('a view round-trips through its stored state', () => {
  const view = decodeView('runs=3,5&pin=7&q=lr%3E0.01&filter.arg:opt=adam&group=opt&grouped=1&chart=main/loss~lr&chart=acc&zoom=0:10:40&x=epoch&smooth=0.5&scale=log&tab=compare&metric=acc&color=lr');
  const state = toSavedState(view);
  assert.deepEqual(state.charts, [{ left: ['main/loss'], right: ['lr'], zoom: [10, 40] }, { left: ['acc'], right: [] }]);
  assert.equal(state.group, 'opt');
  assert.deepEqual(fromSavedState(JSON.parse(JSON.stringify(state))), view);
  assert.equal(encodeView(fromSavedState(state)), encodeView(view));
});

test('the default view stores as an empty object', () => {
  assert.deepEqual(toSavedState(defaultView()), {});
  assert.deepEqual(fromSavedState({}), defaultView());
});

test('a broken stored state falls back to defaults, field by field', () => {
  assert.deepEqual(fromSavedState(null), defaultView());
  assert.deepEqual(fromSavedState([1, 2]), defaultView());
  const v = fromSavedState({ smoothing: 'lots', charts: 'nope', group: 'lr', unknown: 1 });
  assert.equal(v.smoothing, 0);
  assert.equal(v.group, 'lr');
  assert.equal('unknown' in v, false);
});

test('only a positive integer names a saved view', () => {
  assert.equal(savedViewId('?view=12&x=epoch'), 12);
  for (const bad of ['', '?view=', '?view=0', '?view=-3', '?view=1e3', '?view=abc']) assert.equal(savedViewId(bad), null);
});
