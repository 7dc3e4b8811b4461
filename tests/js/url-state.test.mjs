// The view in the URL survives a round trip, with awkward keys too.
import test from 'node:test';
import assert from 'node:assert/strict';
import { decodeView, defaultView, encodeView, hasSelectionParams, hasViewParams } from '../../frontend/js/state/url.js';

test('the default view encodes to an empty query', () => {
  assert.equal(encodeView(defaultView()), '');
  assert.deepEqual(decodeView(''), defaultView());
});

test('a full view round-trips', () => {
  const view = {
    runs: [3, 5, 8],
    hide: null,
    pin: [9, 2],
    q: 'lr>0.01 name~"a b" optimizer=adam',
    filters: { 'arg:lr': '>0.02', 'metric:main/loss': '<1&x=y' },
    group: 'optimizer',
    grouped: true,
    charts: [
      { left: ['main/loss', 'validation/main/loss'], right: ['lr'] },
      { left: ['weird,key~with%signs'], right: [], zoom: [-2.5, 1e6] },
    ],
    x: 'epoch', smoothing: 0.6, logY: true, tab: 'compare', metric: 'main/accuracy', color: 'lr', brush: { lr: [[-3, -1]] },
  };
  const query = encodeView(view);
  assert.deepEqual(decodeView(query), view);
  assert.deepEqual(decodeView('?' + query), view);
  assert.ok(hasViewParams(query));
});

test('an empty run selection is kept (nothing charted), unlike no selection', () => {
  const v = decodeView(encodeView({ ...defaultView(), runs: [] }));
  assert.deepEqual(v.runs, []);
  assert.equal(decodeView('').runs, null);
});

test('garbage falls back to defaults', () => {
  const v = decodeView('smooth=abc&runs=1,x,2&scale=weird');
  assert.equal(v.smoothing, 0);
  assert.deepEqual(v.runs, [1, 2]);
  assert.equal(v.logY, false);
  assert.equal(hasViewParams('tab=compare'), false);
});

test('a hidden-runs selection round-trips and says something about the view', () => {
  const v = decodeView(encodeView({ ...defaultView(), hide: [4, 7] }));
  assert.deepEqual(v.hide, [4, 7]);
  assert.equal(v.runs, null);
  assert.ok(hasViewParams('hide=4'));
  assert.equal(encodeView({ ...defaultView(), hide: [] }), '');
});

test('the selection (query, column filters, pins, group) is in the link', () => {
  const query = encodeView({ ...defaultView(), q: 'status=running', filters: { status: 'run', 'arg:x': '' } });
  assert.ok(hasSelectionParams(query));
  assert.deepEqual(decodeView(query).filters, { status: 'run' });
  assert.equal(hasSelectionParams(encodeView({ ...defaultView(), x: 'epoch' })), false);
  assert.deepEqual(decodeView('pin=3,x').pin, [3]);
});

test('a zoom is kept only for a chart that exists and a range that is one', () => {
  const v = decodeView('chart=a&chart=b&zoom=1:10:20&zoom=0:5:5&zoom=7:1:2&zoom=0:x:3');
  assert.deepEqual(v.charts, [{ left: ['a'], right: [] }, { left: ['b'], right: [], zoom: [10, 20] }]);
  assert.equal(encodeView(v), 'chart=a&chart=b&zoom=1%3A10%3A20');
});

test('the brush round-trips by axis key, keys with ":" too, and broken ranges are dropped', () => {
  const view = { ...defaultView(), brush: { lr: [[-3.5, -1.25]], 'a:b': [[0, 1], [2, 3]] } };
  assert.deepEqual(decodeView(encodeView(view)).brush, view.brush);
  assert.ok(hasSelectionParams(encodeView(view)));
  assert.deepEqual(decodeView('brush=lr:1&brush=:1:2&brush=x:3:1&brush=y:a:2').brush, {});
});
