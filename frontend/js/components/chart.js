/**
 * One chart card: header (title, metric picker, export, zoom reset, remove) and a Plotly plot.
 *
 * The page owns the data; the card is told what to draw with `update({runs, seriesFor, x,
 * logY, smoothing})`. Live updates append to the drawn traces (see chart-painter.js) instead of
 * redrawing. Zooming asks the server for full detail of the zoomed x range (`fetchRange`) and
 * splices it into the live series, so points keep arriving while zoomed and the zoom stays.
 * Hovering the plot shows every run's value at the pointer's x (chart-hover.js) and reports
 * the run of the nearest line (`onHover`); `highlight(id)` thickens that run's lines, for the
 * table <-> chart link. The legend is a line of run names above the plot ("N more" beyond
 * what fits), never on it.
 */
import { h, icon, replace, svg, ICONS } from '../dom.js';
import { countPoints, DASHES, runColor } from '../lib/traces.js';
import { spliceDetail } from '../lib/merge.js';
import { seriesToCsv } from '../lib/csv.js';
import { formatNumber } from '../lib/format.js';
import { chartTheme, loadPlotly } from './plotly-loader.js';
import { ChartPainter } from './chart-painter.js';
import { CrossRunHover } from './chart-hover.js';
import { ChartEvents } from './chart-events.js';
import { metricPicker, closeOnEscape } from './metric-picker.js';
import { webglFast } from './webgl.js';
import { toast } from './feedback.js';
import { loadSetting } from '../state/settings.js';
import { validZoom } from '../state/url.js';

/** Run names in a chart's legend line; the rest are counted ("N more", names in its tooltip). */
const LEGEND_NAMES = 8;

/** Min-max bands are drawn for up to this many runs; beyond, they cost time and only add noise. */
const MAX_RUNS_WITH_BANDS = 12;

/**
 * Live redraws of all the charts of a page take at most this share of the time: each chart
 * waits `1 / LIVE_SHARE` times what the last draws of all charts cost (Plotly's work and the
 * browser's painting of it), but never longer than `maxLiveSpacing` (live charts never stall):
 * 1 s for a chart of up to 24 lines, up to 2.5 s for one of 124 lines or more. A page of three
 * charts of 100 runs redraws each of them about every 2 s; a chart of one run at once.
 */
const LIVE_SHARE = 0.2;

function maxLiveSpacing(lines) {
  return 1000 + Math.min(1, Math.max(0, lines - 24) / 100) * 1500;
}

/**
 * WebGL traces above this many lines in a chart, where a GPU draws them: SVG redraws cost
 * about a millisecond per line, WebGL a fraction of it (its first draw costs more, once).
 */
const GL_LINES = 24;

/** Points per chart above which WebGL traces are used; `localStorage['trainui.glThreshold']` overrides it. */
function glThreshold() {
  const stored = Number(loadSetting('glThreshold'));
  return Number.isFinite(stored) && stored > 0 ? stored : 60000;
}

let zoomTokens = 0;

export class ChartCard {
  constructor({ spec, keys, onSpecChange, onRemove, onHover = () => {}, fetchRange, removable = true, drawCosts = new Map(),
    onZoomChange = () => {} }) {
    this.spec = { left: [...spec.left], right: [...(spec.right || [])] };
    this.keys = keys;
    this.onSpecChange = onSpecChange;
    this.onHover = onHover;
    this.fetchRange = fetchRange;
    this.drawCosts = drawCosts; // card -> its last draw's ms, shared by the charts of a page
    this.ctx = null;
    this.zoom = null;
    this.onZoomChange = onZoomChange;
    // A zoom from the link or a saved view, applied once the chart has lines to zoom into.
    this.pendingZoom = validZoom(spec.zoom) ? [...spec.zoom] : null;
    this.highlighted = null;
    this.frame = 0;
    this.timer = 0;
    this.lastDrawMs = 0;
    this.lastDrawEnd = 0;
    this.plotted = false;

    this.title = h('h3', { class: 'chart-title' });
    this.pickerSlot = h('span');
    this.zoomChip = h('span', { class: 'chip chip-zoom', hidden: true });
    this.nonfiniteChip = h('span', { class: 'chip chip-nonfinite', hidden: true });
    this.plot = h('div', { class: 'chart-plot' });
    this.painter = new ChartPainter(this.plot);
    this.overlay = h('div', { class: 'chart-overlay' });
    this.legend = h('div', { class: 'chart-legend', hidden: true });
    this.body = h('div', { class: 'chart-body' }, this.plot, this.overlay);
    this.hover = new CrossRunHover({ plot: this.plot, body: this.body, nameOf: (rid) => this.runName(rid), onFocus: (rid) => this.onHover(rid) });
    this.markers = new ChartEvents({ plot: this.plot, body: this.body }); // the run's events (chart-events.js)
    const exportMenu = h('details', { class: 'menu' },
      h('summary', { class: 'btn btn-small btn-icon', title: 'Export', 'aria-label': 'Export chart' }, icon(ICONS.download)),
      h('div', { class: 'menu-panel menu-right' },
        h('button', { class: 'menu-item', type: 'button', onClick: () => this.exportImage('png') }, 'PNG image'),
        h('button', { class: 'menu-item', type: 'button', onClick: () => this.exportImage('svg') }, 'SVG image'),
        h('button', { class: 'menu-item', type: 'button', onClick: () => this.exportCsv() }, 'CSV data')));
    closeOnEscape(exportMenu);
    this.el = h('section', { class: 'card chart-card', 'aria-label': 'Chart' },
      h('header', { class: 'chart-head' }, this.title, this.zoomChip, this.nonfiniteChip, h('span', { class: 'spacer' }), this.pickerSlot, exportMenu,
        removable ? h('button', { class: 'btn btn-small btn-icon btn-ghost', type: 'button', title: 'Remove chart',
          'aria-label': 'Remove chart', onClick: () => onRemove?.(this) }, icon(ICONS.close)) : null),
      this.legend,
      this.body);
    this.renderHeader();
  }

  setKeys(keys) {
    if (keys.join('\n') === this.keys.join('\n')) return;
    this.keys = keys;
    this.renderHeader();
  }

  renderHeader() {
    this.renderTitle();
    const wasOpen = this.pickerSlot.querySelector('details')?.open;
    const picker = metricPicker({ keys: this.keys, spec: this.spec, onChange: (spec) => this.changeSpec(spec) });
    picker.open = !!wasOpen;
    this.pickerSlot.replaceChildren(picker);
  }

  /** The keys, each with a sample of its line style (several keys share a run's colour). */
  renderTitle() {
    const { left, right } = this.spec;
    const keys = [...left.map((k) => [k, '']), ...right.map((k) => [k, ' (right)'])];
    this.title.replaceChildren(...(keys.length ? keys.map(([key, side], i) => h('span', { class: 'title-key' },
      keys.length > 1 ? dashSample(DASHES[i % DASHES.length]) : null, key + side)) : ['No metric chosen']));
    this.title.title = keys.map(([k, side]) => k + side).join(', ');
  }

  changeSpec(spec) {
    this.spec = spec;
    this.clearZoom(false);
    this.renderTitle();
    this.onSpecChange?.(this, spec);
  }

  get chartKeys() {
    return [...this.spec.left, ...this.spec.right];
  }

  /**
   * Draw with new data or settings; coalesced to one Plotly call per animation frame. Live
   * data updates (`urgent` false) are spaced out so the charts of a page take at most about a
   * fifth of the time (see LIVE_SHARE); what the user changes is drawn at once. Only drawing is
   * timed: loading plotly.js on the first draw is not a cost of later draws.
   */
  update(ctx, { urgent = false } = {}) {
    const reset = this.ctx && (ctx.x !== this.ctx.x || ctx.logY !== this.ctx.logY);
    if (reset) this.clearZoom(false);
    this.ctx = ctx;
    this.schedule(urgent);
  }

  schedule(urgent = true) {
    if (this.drawing) {
      // One draw at a time: two would plan their appends from the same drawn state.
      this.again = { urgent: urgent || !!this.again?.urgent };
      return;
    }
    if (this.frame) return;
    let cost = 0;
    for (const [card, ms] of this.drawCosts) if (card.el.isConnected) cost += ms;
    const lines = (this.ctx?.runs.length || 0) * this.chartKeys.length;
    const spacing = Math.min(cost / LIVE_SHARE, maxLiveSpacing(lines));
    const wait = this.lastDrawEnd + spacing - performance.now();
    if (!urgent && wait > 0) {
      if (!this.timer) this.timer = setTimeout(() => {
        this.timer = 0;
        this.schedule(true);
      }, wait);
      return;
    }
    clearTimeout(this.timer);
    this.timer = 0;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.drawing = true;
      this.draw().catch((err) => this.showOverlay(err.message)).finally(() => {
        this.drawing = false;
        const again = this.again;
        this.again = null;
        if (again) this.schedule(again.urgent);
      });
    });
  }

  /** What the chart draws for run `id`: the live series, with the zoom's full detail spliced in. */
  seriesFor(id) {
    const base = this.ctx.seriesFor(id);
    if (!this.zoom?.detail || !base) return base;
    const detail = this.zoom.detail.get(id);
    if (!detail) return base;
    const out = {};
    for (const key of Object.keys(base)) out[key] = spliceDetail(base[key], detail[key], this.zoom.lo, this.zoom.hi);
    return out;
  }

  async draw() {
    if (!this.ctx || !this.el.isConnected) return;
    const Plotly = await loadPlotly();
    const { runs, x, logY, smoothing } = this.ctx;
    const keys = this.chartKeys;
    const memo = new Map();
    const seriesFor = (id) => {
      if (!memo.has(id)) memo.set(id, this.seriesFor(id));
      return memo.get(id);
    };
    const lines = runs.length * keys.length;
    const gl = webglFast() && (lines > GL_LINES || countPoints(runs, seriesFor, keys) > glThreshold());
    const grouped = this.ctx.grouped && this.ctx.groupLabel ? { labelOf: (run) => this.ctx.groupLabel(run.id) } : null;
    const scene = { runs, seriesFor, spec: this.spec, x, logY, smoothing, gl, bands: runs.length <= MAX_RUNS_WITH_BANDS, grouped,
      highlight: this.highlighted, theme: chartTheme(), zoomKey: this.zoom?.detail ? this.zoom.token : null };
    const started = performance.now();
    const how = await this.painter.paint(Plotly, scene);
    if (how === 'none') return;
    // The cost of a draw includes the browser laying out and painting it (for SVG, about as much
    // again as Plotly's own work), so the live budget counts up to the frame that shows it.
    await afterNextPaint();
    this.lastDrawEnd = performance.now();
    this.lastDrawMs = this.lastDrawEnd - started;
    this.drawCosts.set(this, this.lastDrawMs);
    this.el.dataset.draw = how;
    this.el.dataset.reacts = String(this.painter.draws.react);
    this.el.dataset.extends = String(this.painter.draws.extend);
    const data = this.plot.data || [];
    const mains = data.filter((t) => t.meta?.role === 'main' && t.x.length).length;
    this.el.dataset.traces = String(mains);
    this.el.dataset.gl = String(gl);
    this.showNonfinite(data.filter((t) => t.meta?.role === 'nonfinite'));
    this.showLegend(data);
    if (!keys.length) this.showOverlay('Choose metrics for this chart with the Metrics menu.');
    else if (!runs.length) this.showOverlay('No run is selected. Tick runs in the table to chart them.');
    else if (!mains && !data.length) this.showOverlay(this.ctx.loading ? 'Loading…' : `No data for ${keys.join(', ')} against ${x} yet.`);
    else this.showOverlay(null);
    if (!this.plotted) this.attachPlotEvents();
    this.plotted = true;
    this.markers.place(x);
    if (this.pendingZoom && mains) {
      const [lo, hi] = this.pendingZoom;
      this.pendingZoom = null;
      Plotly.relayout(this.plot, { 'xaxis.range': [lo, hi] }); // as a drag would: onRelayout loads its detail
    }
    if (scene.zoomKey !== null && this.zoomDrawn !== scene.zoomKey) {
      this.zoomDrawn = scene.zoomKey;
      performance.mark('trainui:zoom-drawn', { detail: { token: scene.zoomKey } });
    }
  }

  /** A chip in the header when the chart marks NaN or infinite values, naming where. */
  showNonfinite(traces) {
    const kinds = [...new Set(traces.map((t) => t.meta.kind))];
    this.nonfiniteChip.hidden = !traces.length;
    if (!traces.length) return;
    const where = [...new Set(traces.map((t) => `${t.meta.runName} · ${t.meta.key}`))];
    this.nonfiniteChip.replaceChildren(`⚠ ${kinds.join(' / ')}`);
    this.nonfiniteChip.title = `Not finite values, marked at the chart's top (NaN ✕, +∞ ▲) or bottom (-∞ ▼) edge: ${where.join(', ')}`;
  }

  runName(rid) {
    if (typeof rid === 'string') return `${this.ctx?.groupKey}=${rid}`; // a group's mean line
    return this.ctx?.runs.find((r) => r.id === rid)?.name ?? `run ${rid}`;
  }

  /** One entry per run that has a line here (whatever its keys), in the page's order. */
  showLegend(data) {
    const mains = data.filter((t) => t.meta?.role === 'main' && t.x.length);
    const drawn = new Set(mains.map((t) => t.meta.rid));
    const runs = mains.some((t) => t.meta.group)
      ? [...drawn].map((label) => ({ id: label, name: this.runName(label), color: mains.find((t) => t.meta.rid === label).line.color }))
      : (this.ctx?.runs || []).filter((r) => drawn.has(r.id));
    const signature = JSON.stringify(runs.map((r) => [r.id, r.name, r.color]));
    if (signature === this.legendSignature) return;
    this.legendSignature = signature;
    this.legend.hidden = runs.length < 2;
    const entry = (r) => h('span', { class: 'legend-entry', title: r.name, dataset: { rid: String(r.id) },
      onMouseenter: () => this.onHover(r.id), onMouseleave: () => this.onHover(null) },
    h('span', { class: 'swatch', style: { background: r.color || runColor(r.id) }, 'aria-hidden': 'true' }), h('span', { class: 'legend-name' }, r.name));
    const rest = runs.slice(LEGEND_NAMES);
    const restNames = rest.slice(0, 40).map((r) => r.name).join(', ') + (rest.length > 40 ? ', …' : '');
    replace(this.legend, ...runs.slice(0, LEGEND_NAMES).map(entry),
      rest.length ? h('span', { class: 'legend-more muted', title: restNames }, `${rest.length} more`) : null);
  }

  attachPlotEvents() {
    this.plot.on('plotly_relayout', (e) => this.onRelayout(e));
    const placeMarkers = () => this.markers.place();
    this.plot.on('plotly_relayout', placeMarkers); // a zoom or a resize moves them with the curves
    this.plot.on('plotly_afterplot', placeMarkers);
  }

  onRelayout(e) {
    if (e['xaxis.autorange'] || e.autosize) {
      if (this.zoom) this.clearZoom(true);
      return;
    }
    const lo = e['xaxis.range[0]'] ?? e['xaxis.range']?.[0];
    const hi = e['xaxis.range[1]'] ?? e['xaxis.range']?.[1];
    if (lo === undefined || hi === undefined) return;
    this.zoomTo(Number(lo), Number(hi));
  }

  async zoomTo(lo, hi) {
    const token = ++zoomTokens;
    this.zoom = { lo, hi, token, detail: null };
    this.onZoomChange(this);
    this.zoomChip.hidden = false;
    this.zoomChip.replaceChildren(`Zoomed ${formatNumber(lo)} – ${formatNumber(hi)}: loading detail…`);
    const runs = this.ctx?.runs || [];
    try {
      const detail = await this.fetchRange(runs.map((r) => r.id), this.chartKeys, lo, hi);
      if (this.zoom?.token !== token) return;
      this.zoom = { lo, hi, token, detail };
      performance.mark('trainui:zoom-detail', { detail: { token } });
      this.zoomChip.replaceChildren(`Zoomed ${formatNumber(lo)} – ${formatNumber(hi)} (full detail) `,
        h('button', { class: 'btn btn-tiny', type: 'button', onClick: () => this.resetZoom() }, 'Reset zoom'));
      this.schedule();
    } catch (err) {
      if (this.zoom?.token === token) this.zoomChip.replaceChildren(`Zoom detail failed: ${err.message}`);
    }
  }

  resetZoom() {
    const update = { 'xaxis.autorange': true, 'yaxis.autorange': true };
    if (this.spec.right.length) update['yaxis2.autorange'] = true;
    window.Plotly?.relayout(this.plot, update);
  }

  /** The x range this chart shows ([low, high]; null: all of it), for the page's URL. */
  get zoomRange() {
    if (this.pendingZoom) return this.pendingZoom;
    return this.zoom ? [this.zoom.lo, this.zoom.hi] : null;
  }

  clearZoom(redraw) {
    const had = !!(this.zoom || this.pendingZoom);
    this.zoom = null;
    this.pendingZoom = null;
    if (had) this.onZoomChange(this);
    this.zoomChip.hidden = true;
    if (redraw) this.schedule();
  }

  /**
   * Emphasise one run (null: none) without rebuilding the traces. Coalesced to one restyle per
   * frame, touching only the traces whose width or opacity changes (moving from one run to
   * another restyles two runs, not fifty).
   */
  highlight(rid) {
    if (rid === this.highlighted) return;
    this.highlighted = rid;
    if (this.highlightFrame) return;
    this.highlightFrame = requestAnimationFrame(() => {
      this.highlightFrame = 0;
      this.applyHighlight();
    });
  }

  applyHighlight() {
    const data = this.plot.data;
    if (!window.Plotly || !data?.length) return;
    const rid = this.highlighted;
    const indices = [];
    const widths = [];
    const opacities = [];
    data.forEach((t, i) => {
      const role = t.meta?.role;
      if (role !== 'main' && role !== 'raw') return;
      const dim = rid !== null && t.meta.rid !== rid;
      const width = role === 'main' ? (rid !== null && !dim ? 3 : 1.6) : t.line?.width ?? 1;
      const opacity = role === 'main' ? (dim ? 0.25 : 1) : dim ? 0.08 : 0.25;
      if (t.line?.width === width && (t.opacity ?? 1) === opacity) return;
      indices.push(i);
      widths.push(width);
      opacities.push(opacity);
    });
    if (indices.length) window.Plotly.restyle(this.plot, { 'line.width': widths, opacity: opacities }, indices);
  }

  showOverlay(message) {
    this.overlay.hidden = !message;
    this.overlay.replaceChildren(message || '');
  }

  fileName() {
    return `trainui-${this.chartKeys.join('_').replace(/[^A-Za-z0-9_.-]+/g, '-') || 'chart'}`;
  }

  exportImage(format) {
    if (!window.Plotly || !this.plotted) return toast('The chart is not drawn yet.', 'error');
    window.Plotly.downloadImage(this.plot, { format, filename: this.fileName(),
      width: this.plot.clientWidth || 900, height: this.plot.clientHeight || 450 });
  }

  exportCsv() {
    if (!this.ctx) return;
    const csv = seriesToCsv(this.ctx.runs, (id) => this.seriesFor(id), this.chartKeys, this.ctx.x);
    const url = URL.createObjectURL(new Blob([csv], { type: 'text/csv' }));
    const a = h('a', { href: url, download: `${this.fileName()}.csv` });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }

  destroy() {
    cancelAnimationFrame(this.frame);
    clearTimeout(this.timer);
    cancelAnimationFrame(this.highlightFrame);
    this.hover.destroy();
    this.markers.destroy();
    window.Plotly?.purge(this.plot);
    this.drawCosts.delete(this);
    this.el.remove();
  }
}

function afterNextPaint() {
  return new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
}

const DASH_ARRAYS = { solid: null, dash: '5 3', dashdot: '5 2 1 2', longdash: '9 3' };

function dashSample(dash) {
  return svg('svg', { class: 'dash-sample', viewBox: '0 0 22 6', 'aria-hidden': 'true' },
    svg('line', { x1: 0, y1: 3, x2: 22, y2: 3, 'stroke-dasharray': DASH_ARRAYS[dash] }));
}
