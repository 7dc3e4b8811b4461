// Chart traces: one main line per run and key, faint raw under smoothing, bands, safe names.
import test from 'node:test';
import assert from 'node:assert/strict';
import { buildChart, escapePlotly, runColor, countPoints } from '../../frontend/js/lib/traces.js';

const buildTraces = (...args) => buildChart(...args).traces;
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

import { constantRange, planAppend, NONFINITE_MARK } from '../../frontend/js/lib/traces.js';
import { applyLogsResponse, emptySeriesState } from '../../frontend/js/lib/merge.js';
import { emaSmooth } from '../../frontend/js/lib/smoothing.js';

const answer = (cursor, incremental, series) => ({ x: 'iteration', cursor, incremental, series });

function liveStore() {
  const states = new Map();
  return {
    apply(rid, response, keys = ['loss']) {
      states.set(rid, applyLogsResponse(states.get(rid) || emptySeriesState(), response, keys));
    },
    seriesFor: (rid) => states.get(rid)?.series,
  };
}

test('non-finite points become markers on the hidden 0..1 axis, one trace per kind', () => {
  const s = { loss: { x: [1, 2, 3, 4], y: [1, null, null, null], epoch: 1,
    nonfinite: { x: [2, 3, 4], value: ['NaN', 'Infinity', '-Infinity'] } } };
  const { traces } = buildChart([{ id: 7, name: 'diverged' }], () => s, { left: ['loss'] });
  const marks = traces.filter((t) => t.meta.role === 'nonfinite');
  assert.deepEqual(marks.map((t) => t.meta.kind), ['NaN', 'Infinity', '-Infinity']);
  assert.ok(marks.every((t) => t.yaxis === 'y3' && t.mode === 'markers'));
  assert.deepEqual(marks.map((t) => t.y[0]), [NONFINITE_MARK.NaN.y, NONFINITE_MARK.Infinity.y, NONFINITE_MARK['-Infinity'].y]);
  assert.ok(NONFINITE_MARK['-Infinity'].y < 0.5 && NONFINITE_MARK.Infinity.y > 0.5);
  assert.match(marks[1].hovertemplate, /^Infinity @ %\{x\}/);
});

test('a constant series gets a range centred on its value; log axes and varying series autorange', () => {
  assert.deepEqual(constantRange({ min: 0.01, max: 0.01 }), [0.009000000000000001, 0.011]);
  assert.deepEqual(constantRange({ min: 0, max: 0 }), [-1, 1]);
  assert.deepEqual(constantRange({ min: -5, max: -5 }), [-5.5, -4.5]);
  assert.equal(constantRange({ min: 0.01, max: 0.02 }), null);
  assert.equal(constantRange({ min: 0.01, max: 0.01 }, true), null);
  assert.equal(constantRange(null), null);
  const { extents } = buildChart([{ id: 1, name: 'a' }], seriesFor, { left: ['lr'], right: ['loss'] });
  assert.deepEqual(extents, { y: { min: 0.01, max: 0.1 }, y2: { min: 1, max: 3 } });
});

test('points appended live become one extendTraces call; smoothing continues exactly', () => {
  const store = liveStore();
  store.apply(1, answer(3, false, { loss: { x: [1, 2, 3], y: [3, 2, 1] } }));
  store.apply(2, answer(2, false, { loss: { x: [1, 2], y: [5, 4] } }));
  const runs = [{ id: 1, name: 'a' }, { id: 2, name: 'b' }];
  const spec = { left: ['loss'] };
  const drawn = buildChart(runs, store.seriesFor, spec, { smoothing: 0.6 });
  assert.deepEqual(planAppend(drawn.records, drawn.extents, runs, store.seriesFor, spec, { smoothing: 0.6 }).indices, []);
  store.apply(1, answer(5, true, { loss: { x: [4, 5], y: [0.5, 0.25] } }));
  const plan = planAppend(drawn.records, drawn.extents, runs, store.seriesFor, spec, { smoothing: 0.6 });
  const roles = plan.indices.map((i) => drawn.traces[i].meta.role);
  assert.deepEqual(roles.sort(), ['main', 'raw'], 'run 1 raw and smoothed lines grow; run 2 is untouched');
  const mainAt = plan.indices.findIndex((i) => drawn.traces[i].meta.role === 'main');
  assert.deepEqual(plan.update.x[mainAt], [4, 5]);
  const full = emaSmooth([3, 2, 1, 0.5, 0.25], 0.6);
  assert.deepEqual(plan.update.y[mainAt], full.slice(3));
  assert.deepEqual(plan.extents.y, { min: 0.25, max: 5 });
  // the next plan starts from the updated records: nothing new, nothing to extend
  assert.deepEqual(planAppend(plan.records, plan.extents, runs, store.seriesFor, spec, { smoothing: 0.6 }).indices, []);
});

test('a replaced series, a run getting its first points or a new kind of marker needs a redraw', () => {
  const store = liveStore();
  store.apply(1, answer(3, false, { loss: { x: [1, 2, 3], y: [3, 2, 1] } }));
  const runs = [{ id: 1, name: 'a' }, { id: 2, name: 'b' }];
  const spec = { left: ['loss'] };
  const drawn = buildChart(runs, store.seriesFor, spec);
  store.apply(2, answer(1, false, { loss: { x: [1], y: [9] } }));
  assert.equal(planAppend(drawn.records, drawn.extents, runs, store.seriesFor, spec), null, 'run 2 needs a trace');

  const again = buildChart(runs, store.seriesFor, spec);
  store.apply(1, answer(4, true, { loss: { x: [4], y: [null], nonfinite: { x: [4], value: ['NaN'] } } }));
  assert.equal(planAppend(again.records, again.extents, runs, store.seriesFor, spec), null, 'the first NaN adds a marker trace');
  const withNaN = buildChart(runs, store.seriesFor, spec);
  store.apply(1, answer(6, true, { loss: { x: [5, 6], y: [null, null], nonfinite: { x: [5, 6], value: ['NaN', 'NaN'] } } }));
  const plan = planAppend(withNaN.records, withNaN.extents, runs, store.seriesFor, spec);
  assert.ok(plan, 'more NaN of a kind already marked is an append');
  const markAt = plan.indices.findIndex((i) => withNaN.traces[i].meta.role === 'nonfinite');
  assert.deepEqual(plan.update.x[markAt], [5, 6]);

  store.apply(1, answer(6, false, { loss: { x: [1, 6], y: [3, 1] } }));
  assert.equal(planAppend(plan.records, plan.extents, runs, store.seriesFor, spec), null, 'a full answer replaced run 1');
});

test('a constant series that starts to vary is redrawn (its axis range changes)', () => {
  const store = liveStore();
  store.apply(1, answer(2, false, { lr: { x: [1, 2], y: [0.01, 0.01] } }), ['lr']);
  const runs = [{ id: 1, name: 'a' }];
  const spec = { left: ['lr'] };
  const drawn = buildChart(runs, store.seriesFor, spec);
  store.apply(1, answer(3, true, { lr: { x: [3], y: [0.01] } }), ['lr']);
  const same = planAppend(drawn.records, drawn.extents, runs, store.seriesFor, spec);
  assert.equal(same.indices.length, 1);
  store.apply(1, answer(4, true, { lr: { x: [4], y: [0.001] } }), ['lr']);
  assert.equal(planAppend(same.records, same.extents, runs, store.seriesFor, spec), null);
});

test('CSV export writes NaN and infinities where the series has them', () => {
  const series = { k: { x: [1, 2, 3, 4], y: [0.5, null, null, null], nonfinite: { x: [2, 3], value: ['NaN', '-Infinity'] } } };
  const rows = seriesToCsv([{ id: 1, name: 'a' }], () => series, ['k'], 'iteration').trim().split('\n').slice(1);
  assert.deepEqual(rows, ['1,a,k,1,0.5', '1,a,k,2,NaN', '1,a,k,3,-Infinity', '1,a,k,4,']);
});

test('200 runs get 200 distinct colours, stable per id, as hex for the alpha bands', () => {
  const colours = Array.from({ length: 200 }, (_, i) => runColor(i + 300));
  assert.equal(new Set(colours).size, 200);
  assert.ok(colours.every((c) => /^#[0-9a-f]{6}$/.test(c)), colours.find((c) => !/^#[0-9a-f]{6}$/.test(c)));
  assert.equal(runColor(317), runColor(317));
  // Neighbouring ids (one sweep) are far apart in colour, not shades of one.
  const rgb = (c) => [1, 3, 5].map((i) => Number.parseInt(c.slice(i, i + 2), 16));
  const distance = (a, b) => Math.hypot(...rgb(a).map((v, i) => v - rgb(b)[i]));
  for (let i = 1; i < colours.length; i++) assert.ok(distance(colours[i - 1], colours[i]) > 60, `${colours[i - 1]} ${colours[i]}`);
});
