// Formatting of numbers, durations, times and values.
import test from 'node:test';
import assert from 'node:assert/strict';
import * as f from '../../frontend/js/lib/format.js';

test('numbers: integers as is, 4 significant digits, exponents when tiny or huge', () => {
  assert.equal(f.formatNumber(3), '3');
  assert.equal(f.formatNumber(0.123456), '0.1235');
  assert.equal(f.formatNumber(1.5), '1.5');
  assert.equal(f.formatNumber(0.00001234), '1.234e-5');
  assert.equal(f.formatNumber(123456789.5), '1.235e+8');
  assert.equal(f.formatNumber(0), '0');
  assert.equal(f.formatNumber(null), f.MISSING);
  assert.equal(f.formatNumber(NaN), 'NaN');
  assert.equal(f.formatNumber(-Infinity), '-∞');
});

test('durations', () => {
  assert.equal(f.formatDuration(42.4), '42s');
  assert.equal(f.formatDuration(0.34), '0.3s');
  assert.equal(f.formatDuration(9.96), '10s');
  assert.equal(f.formatDuration(185), '3m 05s');
  assert.equal(f.formatDuration(7380), '2h 03m');
  assert.equal(f.formatDuration(100800), '1d 4h');
  assert.equal(f.formatDuration(null), f.MISSING);
});

test('relative times and timestamps', () => {
  assert.equal(f.formatRelativeTime(1000, 1002), 'just now');
  assert.equal(f.formatRelativeTime(1000, 1030), '30 s ago');
  assert.equal(f.formatRelativeTime(1000, 1000 + 600), '10 min ago');
  assert.equal(f.formatRelativeTime(0, 7200), '2 h ago');
  assert.equal(f.formatTimestamp(0), '1970-01-01 00:00:00');
  assert.equal(f.formatRelativeTime(null), f.MISSING);
});

test('bytes', () => {
  assert.equal(f.formatBytes(512), '512 B');
  assert.equal(f.formatBytes(1536), '1.5 KB');
  assert.equal(f.formatBytes(23 * 1024 * 1024), '23 MB');
});

test('args keep their exact value; objects as JSON', () => {
  assert.equal(f.formatArg(0.00012), '0.00012');
  assert.equal(f.formatArg('adam'), 'adam');
  assert.equal(f.formatArg([0.9, 0.999]), '[0.9,0.999]');
  assert.equal(f.formatArg(null), 'null');
  assert.equal(f.formatArg(false), 'false');
});

test('typed values parse as numbers, JSON, or text', () => {
  assert.equal(f.parseValue(' 0.01 '), 0.01);
  assert.equal(f.parseValue('1e-3'), 0.001);
  assert.deepEqual(f.parseValue('[0.9, 0.99]'), [0.9, 0.99]);
  assert.equal(f.parseValue('true'), true);
  assert.equal(f.parseValue('adam'), 'adam');
  assert.equal(f.parseValue(''), undefined);
});

test('plural says one result and two results', async () => {
  const { plural } = await import('../../frontend/js/lib/format.js');
  assert.equal(plural(1, 'result'), '1 result');
  assert.equal(plural(2, 'result'), '2 results');
  assert.equal(plural(0, 'entry', 'entries'), '0 entries');
});
