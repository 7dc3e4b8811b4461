/**
 * Compare runs by their hyperparameters: a parallel-coordinates plot of every arg plus a
 * chosen metric (coloured by that metric), or a scatter of one arg against the metric.
 * Uses each run's last value of the metric. Axis labels of the parallel coordinates are made to
 * fit: long keys are shortened in the middle, the margins grow to hold the outer labels, and
 * labels that would run into each other are tilted. Brushing an axis filters the runs the page's
 * charts draw (the brush is the page's view: `onBrush`), and the line under the pointer is named
 * (parcoords-hover.js); the scatter's points take the page's run colours (colour by an arg).
 */
import { h } from '../dom.js';
import { argKeys } from '../lib/table.js';
import { escapePlotly, runColor } from '../lib/traces.js';
import { chartTheme, loadPlotly, plotConfig } from './plotly-loader.js';
import { webglSupported } from './webgl.js';
import { emptyState, errorBox } from './feedback.js';
import { ParcoordsHover } from './parcoords-hover.js';
import { brushOf, compareMetric, parcoordsDimensions, plotlyDimensions, plottedRows, spansDecades } from '../lib/parcoords.js';

export class ComparePanel {
  /** `brush`/`onBrush(brush)`: the parallel coordinates' brush, by arg key (lib/parcoords.js). */
  constructor({ metric, onMetricChange, brush = {}, onBrush = () => {}, onHover = () => {} }) {
    this.metric = metric;
    this.onMetricChange = onMetricChange;
    this.brush = brush;
    this.onBrush = onBrush;
    this.mode = webglSupported() ? 'parallel' : 'scatter';
    this.arg = null;
    this.metricSelect = h('select', { class: 'input input-small', 'aria-label': 'Metric to compare', onChange: (e) => {
      this.metric = e.target.value;
      this.onMetricChange(this.metric);
      this.redraw();
    } });
    this.modeSelect = h('select', { class: 'input input-small', 'aria-label': 'Comparison view', onChange: (e) => {
      this.mode = e.target.value;
      this.redraw();
    } },
    h('option', { value: 'parallel', selected: this.mode === 'parallel', disabled: !webglSupported() }, 'Parallel coordinates'),
    h('option', { value: 'scatter', selected: this.mode === 'scatter' }, 'Scatter: arg vs metric'));
    this.argSelect = h('select', { class: 'input input-small', 'aria-label': 'Arg on the x axis', onChange: (e) => {
      this.arg = e.target.value;
      this.redraw();
    } });
    this.argLabel = h('label', { class: 'field-inline' }, h('span', {}, 'Arg'), this.argSelect);
    this.plot = h('div', { class: 'compare-plot' });
    this.message = h('div');
    this.el = h('section', { class: 'card compare-card', 'aria-label': 'Compare by hyperparameters' },
      h('div', { class: 'toolbar' },
        h('label', { class: 'field-inline' }, h('span', {}, 'Plot'), this.modeSelect),
        h('label', { class: 'field-inline' }, h('span', {}, 'Metric'), this.metricSelect),
        this.argLabel,
        webglSupported() ? null : h('span', { class: 'muted small' }, 'Parallel coordinates need WebGL, which this browser lacks.')),
      this.message, h('div', { class: 'compare-body' }, this.plot));
    this.hover = new ParcoordsHover(this.plot, this.plot.parentNode, onHover);
    this.results = [];
  }

  update(results, metricKeys) {
    this.results = results;
    const keys = metricKeys.filter((k) => k !== 'iteration' && k !== 'epoch');
    this.metric = compareMetric(this.metric, metricKeys);
    fillSelect(this.metricSelect, keys, this.metric);
    const args = argKeys(results);
    if (!args.includes(this.arg)) this.arg = args[0] || null;
    fillSelect(this.argSelect, args, this.arg);
    this.redraw();
  }

  redraw() {
    this.draw().catch((err) => {
      this.message.replaceChildren(errorBox(`Could not draw the comparison: ${err.message}`));
    });
  }

  async draw() {
    if (!this.el.isConnected) return;
    const args = argKeys(this.results);
    const rows = plottedRows(this.results, this.metric);
    // Redraw only when what is drawn changed: a live poll must not reset the user's brushing.
    const signature = JSON.stringify([this.mode, this.metric, this.arg, document.documentElement.dataset.theme,
      rows.map((r) => [r.id, r.name, r.args, r.last_values[this.metric], this.colour(r.id)]), this.brush]);
    if (signature === this.drawnSignature && this.plot.data) return;
    this.drawnSignature = signature;
    this.argLabel.hidden = this.mode !== 'scatter';
    if (!this.metric || !rows.length || !args.length) {
      this.message.replaceChildren(emptyState('Nothing to compare yet',
        !args.length ? 'The charted runs have no args.' : 'No charted run has a value of this metric.'));
      this.plot.hidden = true;
      return;
    }
    this.message.replaceChildren();
    this.plot.hidden = false;
    const Plotly = await loadPlotly();
    const theme = chartTheme();
    const layout = { paper_bgcolor: theme.bg, plot_bgcolor: theme.bg, font: { family: theme.font, color: theme.text, size: 12 },
      margin: { l: 70, r: 40, t: 50, b: 50 } };
    let data;
    if (this.mode === 'parallel' && webglSupported()) {
      this.dims = parcoordsDimensions(rows, this.metric);
      // the brush is the view's (it outlives a redraw, a tab switch and a reload)
      data = [{ type: 'parcoords', dimensions: plotlyDimensions(this.dims, this.brush),
        line: { color: rows.map((r) => r.last_values[this.metric]), colorscale: 'Viridis', showscale: true } }];
    } else {
      const arg = this.arg;
      data = [{ type: 'scatter', mode: 'markers', x: rows.map((r) => plotValue(r.args?.[arg])), y: rows.map((r) => r.last_values[this.metric]),
        text: rows.map((r) => escapePlotly(r.name)), marker: { size: 11, color: rows.map((r) => this.colour(r.id)), line: { width: 1, color: theme.bg } },
        hovertemplate: '%{text}<br>%{x} → %{y:.4g}<extra></extra>' }];
      const xs = rows.map((r) => r.args?.[arg]);
      layout.xaxis = { type: spansDecades(xs) ? 'log' : '-', exponentformat: 'e', title: { text: escapePlotly(arg || '') }, gridcolor: theme.grid, zerolinecolor: theme.grid, color: theme.muted, automargin: true };
      layout.yaxis = { title: { text: escapePlotly(this.metric) }, gridcolor: theme.grid, zerolinecolor: theme.grid, color: theme.muted, automargin: true };
      layout.margin.t = 16;
    }
    await Plotly.react(this.plot, data, layout, plotConfig());
    if (data[0].type === 'parcoords') {
      this.hover.setData(rows.map((r) => ({ id: r.id, name: r.name })), this.dims);
      if (!this.brushListening) {
        this.brushListening = true;
        this.plot.on('plotly_restyle', () => this.emitBrush());
      }
      await this.fitLabels(Plotly, layout.margin);
    } else this.hover.setData([], []);
  }

  /** Run colours the page chose (colour by an arg; null: each run's own), for the scatter's points. */
  setColours(colorOf) {
    this.colorOf = colorOf;
  }

  colour(rid) {
    return this.colorOf?.(rid) || runColor(rid);
  }

  /** The user brushed: tell the page (the plot already shows it). */
  emitBrush() {
    if (this.plot.data?.[0]?.type !== 'parcoords' || !this.dims) return;
    const brush = brushOf(this.dims, this.plot.data[0].dimensions);
    if (JSON.stringify(brush) === JSON.stringify(this.brush)) return;
    this.brush = brush;
    this.onBrush(brush);
  }

  /** A brush from the page (cleared, or from the link): drawn when the plot is next shown. */
  setBrush(brush) {
    if (JSON.stringify(brush || {}) === JSON.stringify(this.brush)) return;
    this.brush = brush || {};
    this.redraw();
  }

  /** Grow the margins until every axis label is inside the plot, tilting labels that overlap. */
  async fitLabels(Plotly, margin) {
    const angles = [0, -25, -45, -70];
    let tilt = 0;
    const m = { ...margin };
    for (let attempt = 0; attempt < 6; attempt++) {
      const texts = [...this.plot.querySelectorAll('.axis-title')];
      if (!texts.length) return;
      if (labelsCollide(texts) && tilt < angles.length - 1) {
        tilt += 1;
        await Plotly.restyle(this.plot, { labelangle: angles[tilt] }, [0]);
        continue;
      }
      const box = this.plot.getBoundingClientRect();
      const rects = texts.map((t) => t.getBoundingClientRect());
      const grow = {
        l: Math.ceil(Math.max(0, box.left + 4 - Math.min(...rects.map((r) => r.left)))),
        r: Math.ceil(Math.max(0, Math.max(...rects.map((r) => r.right)) + 4 - box.right)),
        t: Math.ceil(Math.max(0, box.top + 4 - Math.min(...rects.map((r) => r.top)))),
      };
      if (!grow.l && !grow.r && !grow.t) return;
      m.l += grow.l;
      m.r += grow.r;
      m.t += grow.t;
      await Plotly.relayout(this.plot, { margin: m });
    }
  }

  destroy() {
    this.hover.destroy();
    window.Plotly?.purge(this.plot);
  }
}

function plotValue(v) {
  if (v === undefined || v === null) return null;
  return typeof v === 'number' ? v : escapePlotly(typeof v === 'string' ? v : JSON.stringify(v));
}

/**
 * Whether neighbouring axis labels run into each other. Labels drawn level collide when their
 * boxes overlap; tilted (all by the same angle) when their baselines are closer than a line of text.
 */
export function labelsCollide(texts) {
  const labels = texts.map((t) => {
    const m = t.getScreenCTM();
    const anchor = new DOMPoint(Number(t.getAttribute('x')) || 0, Number(t.getAttribute('y')) || 0).matrixTransform(m);
    const length = Math.hypot(m.a, m.b) || 1;
    return { t, anchor, dir: { x: m.a / length, y: m.b / length }, rect: t.getBoundingClientRect(),
      size: Number.parseFloat(getComputedStyle(t).fontSize) || 12 };
  }).sort((p, q) => p.anchor.x - q.anchor.x);
  return labels.some((p, i) => {
    if (i === 0) return false;
    const q = labels[i - 1];
    if (Math.abs(p.dir.y) < 0.01) return p.rect.left < q.rect.right + 4 && p.rect.top < q.rect.bottom && q.rect.top < p.rect.bottom;
    const gap = Math.abs((p.anchor.x - q.anchor.x) * -p.dir.y + (p.anchor.y - q.anchor.y) * p.dir.x);
    return gap < p.size * 1.25;
  });
}

function fillSelect(select, values, current) {
  const same = select.options.length === values.length && [...select.options].every((o, i) => o.value === values[i]);
  if (!same) select.replaceChildren(...values.map((v) => h('option', { value: v }, v)));
  if (current !== null) select.value = current;
}
