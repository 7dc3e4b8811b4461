// Chart traces: one main line per run and key, faint raw under smoothing, bands, safe names.
import test from 'node:test';
import assert from 'node:assert/strict';
import { buildTraces, escapePlotly, runColor, countPoints } from '../../frontend/js/lib/traces.js';
import { seriesToCsv } from '../../frontend/js/lib/csv.js';

const runs = [{ id: 1, name: 'a' }, { id: 2, name: '<b>x</b>' }];
const data = {
  1: { loss: { x: [1, 2, 3], y: [3, 2, 1], downsampled: false }, lr: { x: [1, 2, 3], y: [0.1, 0.1, 0.01] } },
  2: { loss: { x: [0, 1, 2, 3], y: [4, 5, 1, 2], downsampled: true, pairedPoints: 4 } },
};
const seriesFor = (id) => data[id];
const mains = (traces) => traces.filter((t) => t.meta.role === 'main');

test('one main trace per run with data, coloured per run', () => {
  const t = buildTraces(runs, seriesFor, { left: ['loss'], right: [] });
  assert.equal(mains(t).length, 2);
  assert.equal(mains(t)[0].line.color, runColor(1));
  assert.equal(t.filter((x) => x.meta.role.startsWith('band')).length, 2, 'downsampled run 2 has a band');
});

test('smoothing adds a faint raw trace under each smoothed line', () => {
  const t = buildTraces(runs, seriesFor, { left: ['loss'], right: ['lr'] }, { smoothing: 0.5 });
  const raw = t.filter((x) => x.meta.role === 'raw');
  assert.equal(raw.length, 3);
  assert.ok(raw.every((r) => r.opacity < 0.5));
  const lr = mains(t).find((x) => x.meta.key === 'lr');
  assert.equal(lr.yaxis, 'y2');
});

test('names are escaped for Plotly and the highlight dims the others', () => {
  const t = buildTraces(runs, seriesFor, { left: ['loss'] }, { highlight: 1, gl: true });
  assert.equal(mains(t)[1].name, '&lt;b&gt;x&lt;/b&gt;');
  assert.equal(mains(t)[0].line.width, 3);
  assert.ok(mains(t)[1].opacity < 1);
  assert.ok(t.every((x) => x.type === 'scattergl'));
  assert.equal(escapePlotly('a&b'), 'a&amp;b');
  assert.equal(countPoints(runs, seriesFor, ['loss', 'lr']), 10);
});

test('CSV export quotes awkward names', () => {
  const csv = seriesToCsv(runs, seriesFor, ['loss'], 'iteration');
  const lines = csv.trim().split('\n');
  assert.equal(lines[0], 'result_id,result,key,iteration,value');
  assert.equal(lines.length, 1 + 3 + 4);
  assert.equal(seriesToCsv([{ id: 3, name: 'a,"b"' }], () => ({ k: { x: [1], y: [null] } }), ['k'], 'x').split('\n')[1], '3,"a,""b""",k,1,');
});

test('bands can be turned off for charts of many runs', () => {
  const t = buildTraces(runs, seriesFor, { left: ['loss'] }, { bands: false });
  assert.equal(t.filter((x) => x.meta.role.startsWith('band')).length, 0);
  assert.equal(mains(t).length, 2);
});

test('hover labels carry the run and key through meta, not the template text', () => {
  const t = buildTraces([{ id: 1, name: '100%{x}' }], seriesFor, { left: ['loss'], right: ['lr'] });
  assert.ok(mains(t).every((m) => m.hovertemplate === '%{y:.4g} @ %{x}<extra>%{meta.label}</extra>'));
  assert.deepEqual(mains(t).map((m) => m.meta.label), ['100%{x} · loss', '100%{x} · lr']);
  assert.deepEqual(mains(t).map((m) => m.showlegend), [true, false]);
});
