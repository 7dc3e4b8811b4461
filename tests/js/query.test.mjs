// The search box's query language: terms, errors with positions, and the README's examples.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { matchesQuery, parseQuery } from '../../frontend/js/lib/query.js';
import { argKeys, filterRows, metricKeys } from '../../frontend/js/lib/table.js';

const runs = [
  { id: 1, name: 'sweep-a', path: '/r/sweep-a', status: 'running', args: { lr: 0.1, optimizer: 'adam' }, last_values: { 'main/loss': 0.4, lr: 0.05 } },
  { id: 2, name: 'sweep-b', path: '/r/sweep-b', status: 'finished', args: { lr: 0.001, optimizer: 'adam' }, last_values: { 'main/loss': 0.9, lr: 0.0005 } },
  { id: 3, name: 'lr sweep c', path: '/r/c', status: 'running', args: { lr: 0.05, optimizer: 'SGD' }, last_values: { 'main/loss': 'NaN' } },
  { id: 4, name: 'base', path: '/r/base', status: 'crashed', args: { optimizer: 'adam' }, last_values: {} },
];
const keys = { args: argKeys(runs), metrics: metricKeys(runs) };
const ids = (q) => {
  const parsed = parseQuery(q, keys);
  assert.deepEqual(parsed.errors, [], `${q}: ${JSON.stringify(parsed.errors)}`);
  return runs.filter((r) => matchesQuery(r, parsed)).map((r) => r.id);
};

test('comparisons, equality, contains and plain words', () => {
  assert.deepEqual(ids('lr>0.01'), [1, 3]);
  assert.deepEqual(ids('lr>=0.05'), [1, 3]);
  assert.deepEqual(ids('lr<0.05'), [2]);
  assert.deepEqual(ids('optimizer=sgd'), [3]);
  assert.deepEqual(ids('optimizer!=adam'), [3]);
  assert.deepEqual(ids('status=running'), [1, 3]);
  assert.deepEqual(ids('name~sweep'), [1, 2, 3]);
  assert.deepEqual(ids('name!~sweep'), [4]);
  assert.deepEqual(ids('name~"lr sweep"'), [3]);
  assert.deepEqual(ids('sweep-'), [1, 2]);
  assert.deepEqual(ids('optimizer=adam'), [1, 2, 4]);
  assert.deepEqual(ids('lr>0.01 optimizer=adam status=running name~sweep'), [1]);
  assert.deepEqual(ids(''), [1, 2, 3, 4]);
  assert.deepEqual(ids('id=2'), [2]);
});

test('a run without the key matches only the negations', () => {
  assert.deepEqual(ids('lr<1'), [1, 2, 3]);
  assert.deepEqual(ids('lr!=0.1'), [2, 3, 4]);
});

test('args come before metrics of the same name; prefixes choose', () => {
  assert.deepEqual(ids('lr<0.01'), [2]);
  assert.deepEqual(ids('metric:lr<0.01'), [2]);
  assert.deepEqual(ids('metric:lr>0.01'), [1]);
  assert.deepEqual(ids('arg:lr>0.01'), [1, 3]);
  assert.deepEqual(ids('main/loss<0.5'), [1]); // NaN is below nothing
});

test('what cannot be understood is an error at its place; the other terms still apply', () => {
  const bad = parseQuery('lr> optimizer=adam =x lrr>1 lr>fast name~"open', keys);
  assert.deepEqual(bad.errors.map((e) => [e.text, e.start]), [['lr>', 0], ['=x', 19], ['lrr>1', 22], ['lr>fast', 28], ['name~"open', 36]]);
  assert.match(bad.errors[0].message, /value is needed/);
  assert.match(bad.errors[1].message, /key is needed/);
  assert.match(bad.errors[2].message, /no run has a key "lrr"/);
  assert.match(bad.errors[3].message, /number/);
  assert.match(bad.errors[4].message, /quote/);
  assert.deepEqual(runs.filter((r) => matchesQuery(r, bad)).map((r) => r.id), [1, 2, 4]);
});

test('the table filters with the query language', () => {
  assert.deepEqual(filterRows(runs, { text: 'lr>0.01 name~sweep' }).map((r) => r.id), [1, 3]);
  assert.deepEqual(filterRows(runs, { text: 'lr>0.01', columns: { 'arg:optimizer': '=adam' } }).map((r) => r.id), [1]);
});

test("every example in frontend/README.md's query table parses without an error", () => {
  const readme = readFileSync(new URL('../../frontend/README.md', import.meta.url), 'utf8');
  const section = readme.slice(readme.indexOf('## Which runs the charts show'), readme.indexOf('## Live updates'));
  const examples = [...section.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1]);
  assert.ok(examples.length >= 8, examples);
  for (const q of examples) ids(q);
});
