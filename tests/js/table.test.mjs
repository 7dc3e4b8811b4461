// Results table logic: filters, sorting, grouping.
import test from 'node:test';
import assert from 'node:assert/strict';
import { filterRows, groupRows, parseColumnFilter, sortRows, metricKeys, xKeys } from '../../frontend/js/lib/table.js';

const rows = [
  { id: 1, name: 'run9', status: 'finished', args: { lr: 0.1, opt: 'sgd' }, last_values: { 'main/loss': 0.5 }, keys: ['iteration', 'main/loss'] },
  { id: 2, name: 'run10', status: 'running', args: { lr: 0.01, opt: 'adam' }, last_values: { 'main/loss': 0.2 }, keys: ['epoch', 'iteration', 'main/loss'] },
  { id: 3, name: 'other', status: 'crashed', args: { lr: 0.001, opt: 'adam' }, last_values: {}, keys: [] },
];

test('column filters compare numbers and match text', () => {
  assert.equal(parseColumnFilter(''), null);
  assert.ok(parseColumnFilter('>0.05')(0.1));
  assert.ok(!parseColumnFilter('>0.05')(0.01));
  assert.ok(parseColumnFilter('=adam')('adam'));
  assert.ok(parseColumnFilter('ada')('adam'));
  assert.ok(!parseColumnFilter('<1')(undefined));
});

test('free text and per-column filters combine', () => {
  assert.deepEqual(filterRows(rows, { text: 'run' }).map((r) => r.id), [1, 2]);
  assert.deepEqual(filterRows(rows, { text: 'opt=adam' }).map((r) => r.id), [2, 3]);
  assert.deepEqual(filterRows(rows, { columns: { 'arg:lr': '<0.05', status: 'run' } }).map((r) => r.id), [2]);
});

test('sorting is natural for text, numeric for numbers, missing last', () => {
  assert.deepEqual(sortRows(rows, { column: 'name' }).map((r) => r.id), [3, 1, 2]);
  assert.deepEqual(sortRows(rows, { column: 'arg:lr' }).map((r) => r.id), [3, 2, 1]);
  assert.deepEqual(sortRows(rows, { column: 'metric:main/loss', desc: true }).map((r) => r.id), [1, 2, 3]);
  assert.deepEqual(sortRows(rows, { column: 'metric:main/loss' }).map((r) => r.id), [2, 1, 3]);
});

test('grouping by an arg keeps first-seen order', () => {
  const groups = groupRows(rows, 'opt');
  assert.deepEqual(groups.map((g) => [g.label, g.rows.length]), [['sgd', 1], ['adam', 2]]);
  assert.equal(groupRows(rows, null)[0].rows.length, 3);
});

test('keys for charts and the x axis', () => {
  assert.deepEqual(metricKeys(rows), ['epoch', 'iteration', 'main/loss']);
  assert.deepEqual(xKeys(rows), ['iteration', 'epoch', 'main/loss']);
});

import { columnLabel, columnValue, nonfiniteLastValues } from '../../frontend/js/lib/table.js';

test('an arg and a metric of the same name get headers that tell them apart', () => {
  const ids = ['name', 'arg:lr', 'arg:opt', 'metric:lr', 'metric:main/loss'];
  assert.equal(columnLabel('arg:lr', ids), 'lr (arg)');
  assert.equal(columnLabel('metric:lr', ids), 'lr (metric)');
  assert.equal(columnLabel('arg:opt', ids), 'opt');
  assert.equal(columnLabel('metric:main/loss', new Set(ids)), 'main/loss');
  assert.equal(columnLabel('arg:lr'), 'lr');
});

test('non-finite last values are numbers: flagged, sorted after finite ones, filterable', () => {
  const rs = [
    { id: 1, name: 'a', last_values: { loss: 'NaN', lr: 0.1 } },
    { id: 2, name: 'b', last_values: { loss: 0.5 } },
    { id: 3, name: 'c', last_values: { loss: 'Infinity' } },
    { id: 4, name: 'd', last_values: {} },
  ];
  assert.ok(Number.isNaN(columnValue(rs[0], 'metric:loss')));
  assert.equal(columnValue(rs[2], 'metric:loss'), Infinity);
  assert.deepEqual(nonfiniteLastValues(rs[0]), [['loss', 'NaN']]);
  assert.deepEqual(nonfiniteLastValues(rs[1]), []);
  assert.deepEqual(sortRows(rs, { column: 'metric:loss' }).map((r) => r.id), [2, 3, 1, 4]);
  assert.deepEqual(sortRows(rs, { column: 'metric:loss', desc: true }).map((r) => r.id), [3, 2, 1, 4]);
  assert.deepEqual(filterRows(rs, { columns: { 'metric:loss': '>1' } }).map((r) => r.id), [3]);
  assert.deepEqual(filterRows(rs, { columns: { 'metric:loss': 'nan' } }).map((r) => r.id), [1]);
});
