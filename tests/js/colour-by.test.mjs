// Colour by an arg: equal values get equal colours; numbers a sequential scale (log across decades),
// other values a categorical palette; runs without the arg are grey.
import test from 'node:test';
import assert from 'node:assert/strict';
import { colourBy, scaleColor, UNSET_COLOR } from '../../frontend/js/lib/colour-by.js';
import { PALETTE } from '../../frontend/js/lib/traces.js';

const run = (id, args) => ({ id, args });

test('no key: the runs keep their own colours', () => {
  assert.equal(colourBy([run(1, { lr: 1 })], null), null);
});

test('numbers spanning decades take a log scale, ends at the scale ends, equal values equal colours', () => {
  const runs = [run(1, { lr: 1e-4 }), run(2, { lr: 1e-2 }), run(3, { lr: 1e-2 }), run(4, { lr: 1e-1 }), run(5, {})];
  const { colorOf, legend } = colourBy(runs, 'lr');
  assert.deepEqual([legend.kind, legend.log, legend.min, legend.max, legend.unset], ['scale', true, 1e-4, 1e-1, true]);
  assert.equal(colorOf(1), scaleColor(0));
  assert.equal(colorOf(4), scaleColor(1));
  assert.equal(colorOf(2), colorOf(3));
  assert.equal(colorOf(2), scaleColor(2 / 3)); // log10: -2 is two thirds of the way from -4 to -1
  assert.equal(colorOf(5), UNSET_COLOR);
});

test('numbers within a decade stay linear', () => {
  const { colorOf, legend } = colourBy([run(1, { d: 0.1 }), run(2, { d: 0.3 }), run(3, { d: 0.5 })], 'd');
  assert.equal(legend.log, false);
  assert.equal(colorOf(2), scaleColor(0.5));
});

test('strings (and mixed values) take the palette in order of appearance', () => {
  const runs = [run(7, { opt: 'sgd' }), run(8, { opt: 'adam' }), run(9, { opt: 'sgd' }), run(10, { opt: 3 })];
  const { colorOf, legend } = colourBy(runs, 'opt');
  assert.equal(legend.kind, 'category');
  assert.deepEqual(legend.entries.map((e) => e.label), ['sgd', 'adam', '3']);
  assert.deepEqual([colorOf(7), colorOf(8), colorOf(9), colorOf(10)], [PALETTE[0], PALETTE[1], PALETTE[0], PALETTE[2]]);
  assert.equal(legend.unset, false);
});

test('one number for every run is a category, not a scale of zero width', () => {
  const { legend } = colourBy([run(1, { bs: 32 }), run(2, { bs: 32 })], 'bs');
  assert.equal(legend.kind, 'category');
});

test('the scale is clamped and interpolated', () => {
  assert.equal(scaleColor(-1), '#440154');
  assert.equal(scaleColor(2), '#fde725');
  assert.equal(scaleColor(Number.NaN), '#440154');
});
