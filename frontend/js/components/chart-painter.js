/**
 * Puts one chart's scene on screen with as little Plotly work as possible: when only points
 * were appended since the last draw (same runs, keys, settings, zoom), they go out as one
 * `Plotly.extendTraces` call; anything else is a `Plotly.react` of the whole chart.
 *
 * A scene: {runs, seriesFor, spec, x, logY, smoothing, gl, bands, highlight, theme, zoomKey}.
 */
import { buildChart, constantRange, escapePlotly, planAppend } from '../lib/traces.js';
import { plotConfig } from './plotly-loader.js';
import { groupStats, groupTraces } from '../lib/groups.js';

const CONFIG = plotConfig({ modeBarButtonsToRemove: ['select2d', 'lasso2d', 'toImage'] });

export class ChartPainter {
  constructor(plot) {
    this.plot = plot;
    this.drawn = null;
    this.draws = { react: 0, extend: 0 };
  }

  /** Forget what is drawn: the next paint is a full one. */
  invalidate() {
    this.drawn = null;
  }

  /** Resolves to 'react', 'extend' or 'none' (nothing new). */
  async paint(Plotly, scene) {
    if (scene.grouped) return this.paintGroups(Plotly, scene);
    const signature = sceneSignature(scene);
    if (this.drawn?.signature === signature && this.plot.data) {
      const plan = planAppend(this.drawn.records, this.drawn.extents, scene.runs, scene.seriesFor, scene.spec,
        { smoothing: scene.smoothing, log: scene.logY });
      if (plan) {
        if (plan.indices.length) await Plotly.extendTraces(this.plot, plan.update, plan.indices);
        this.drawn = { ...this.drawn, records: plan.records, extents: plan.extents };
        if (!plan.indices.length) return 'none';
        this.draws.extend += 1;
        return 'extend';
      }
    }
    const { traces, records, extents } = buildChart(scene.runs, scene.seriesFor, scene.spec,
      { smoothing: scene.smoothing, gl: scene.gl, highlight: scene.highlight, bands: scene.bands });
    await Plotly.react(this.plot, traces, chartLayout(scene, extents), CONFIG);
    this.drawn = { signature, records, extents, traces: traces.length };
    this.draws.react += 1;
    return 'react';
  }
}

/**
 * Grouped curves are redrawn whole (a new point moves a group's mean and band, not just its end):
 * one line per group, its mean, over its min-max band.
 */
ChartPainter.prototype.paintGroups = async function paintGroups(Plotly, scene) {
  const keys = [...scene.spec.left, ...scene.spec.right];
  const stats = groupStats(scene.runs, scene.seriesFor, keys, scene.grouped.labelOf);
  const traces = groupTraces(stats, scene.spec, { gl: scene.gl });
  const extents = { y: null, y2: null };
  await Plotly.react(this.plot, traces, chartLayout(scene, extents), CONFIG);
  this.drawn = null;
  this.draws.react += 1;
  return 'react';
};

function sceneSignature(s) {
  return JSON.stringify([s.runs.map((r) => [r.id, r.name, r.color]), s.spec, s.x, s.logY, s.smoothing, s.gl, s.bands, s.theme,
    s.zoomKey ?? null]);
}

function yAxis(axis, log, range) {
  const type = log ? 'log' : 'linear';
  return range ? { ...axis, type, range, autorange: false } : { ...axis, type, autorange: true };
}

export function chartLayout(scene, extents) {
  const { theme, x, logY, spec } = scene;
  const keys = [...spec.left, ...spec.right];
  // Fixed margins: automargin would lay the chart out twice on every draw.
  const axis = { gridcolor: theme.grid, zerolinecolor: theme.grid, linecolor: theme.grid, color: theme.muted, automargin: false };
  return {
    uirevision: `${x}|${logY}|${keys.join(',')}`,
    margin: { l: 56, r: spec.right.length ? 56 : 16, t: 12, b: 40 },
    paper_bgcolor: theme.bg, plot_bgcolor: theme.bg,
    font: { family: theme.font, size: 12, color: theme.text },
    // Hover across runs and the legend are the card's own (chart-hover.js, chart.js).
    hovermode: false,
    showlegend: false,
    xaxis: { ...axis, title: { text: escapePlotly(x), font: { size: 12 } } },
    yaxis: { ...yAxis(axis, logY, constantRange(extents.y, logY)), exponentformat: 'e' },
    yaxis2: { ...yAxis(axis, logY, constantRange(extents.y2, logY)), exponentformat: 'e', overlaying: 'y', side: 'right',
      showgrid: false, visible: spec.right.length > 0 },
    // Markers of NaN / infinite values sit on a hidden 0..1 axis: at the top or bottom edge, whatever the zoom.
    yaxis3: { overlaying: 'y', range: [0, 1], fixedrange: true, visible: false },
  };
}
