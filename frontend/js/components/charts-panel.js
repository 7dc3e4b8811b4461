/**
 * The chart area of a page: shared controls (x key, linear/log, smoothing, events, add chart)
 * and a grid of ChartCards. It edits the view ({charts, x, logY, smoothing}) and reports every
 * change with `onViewChange(view)`; the page fetches data and calls `update`, and gives the
 * events to mark with `setEvents` (shown or hidden by the Events button, remembered).
 */
import { h, icon, ICONS } from '../dom.js';
import { loadSetting, saveSetting } from '../state/settings.js';
import { ChartCard } from './chart.js';
import { emptyState } from './feedback.js';

export class ChartsPanel {
  constructor({ view, onViewChange, fetchRange, onHover = () => {} }) {
    this.view = view;
    this.onViewChange = onViewChange;
    this.fetchRange = fetchRange;
    this.onHover = onHover;
    this.cards = [];
    this.drawCosts = new Map(); // the charts of this panel share one budget for live redraws
    this.metricKeys = [];
    this.ctx = null;
    this.events = { events: [], runName: null };
    this.eventsShown = loadSetting('chartEvents', true) !== false;
    this.eventsButton = h('button', { class: 'btn btn-small events-toggle', type: 'button', 'aria-pressed': String(this.eventsShown),
      title: 'Mark what was done to the run on its curves: commands applied, resumes (hover a flag for details)',
      onClick: () => this.showEvents(!this.eventsShown) }, 'Events');

    this.xSelect = h('select', { class: 'input input-small', 'aria-label': 'X axis key', onChange: (e) => this.set({ x: e.target.value }) });
    this.scaleButtons = ['linear', 'log'].map((scale) => h('button', {
      class: 'seg', type: 'button', dataset: { scale }, onClick: () => this.set({ logY: scale === 'log' }),
    }, scale === 'log' ? 'Log' : 'Linear'));
    this.smoothInput = h('input', { type: 'range', min: '0', max: '0.99', step: '0.01', value: String(view.smoothing),
      class: 'slider', 'aria-label': 'Smoothing (EMA weight)', onInput: (e) => this.set({ smoothing: Number(e.target.value) }) });
    this.smoothValue = h('output', { class: 'mono small smooth-value' });
    this.groupButton = h('button', { class: 'btn btn-small', type: 'button', 'aria-pressed': String(!!view.grouped),
      title: 'One line per group of the table\'s "Group by": the mean of its runs over their min-max band',
      onClick: () => this.set({ grouped: !this.view.grouped }) }, 'Group curves');
    this.grid = h('div', { class: 'charts-grid' });
    this.toolSlot = h('span', { class: 'tool-slot' }); // controls the page adds (addTool)
    this.el = h('div', { class: 'charts-panel' },
      h('div', { class: 'toolbar', role: 'toolbar', 'aria-label': 'Chart settings' },
        h('label', { class: 'field-inline' }, h('span', {}, 'X axis'), this.xSelect),
        h('div', { class: 'field-inline' }, h('span', { id: 'y-scale-label' }, 'Y scale'),
          h('div', { class: 'segmented', role: 'group', 'aria-labelledby': 'y-scale-label' }, this.scaleButtons)),
        h('label', { class: 'field-inline' }, h('span', {}, 'Smoothing'), this.smoothInput, this.smoothValue),
        this.groupButton,
        this.eventsButton,
        this.toolSlot,
        h('span', { class: 'spacer' }),
        h('button', { class: 'btn btn-small', type: 'button', onClick: () => this.addChart() }, icon(ICONS.plus), 'Add chart')),
      this.grid);
    this.syncControls();
    this.renderCards();
  }

  /** A control of the page's own in the toolbar (the charts' "Colour by"). */
  addTool(el) {
    this.toolSlot.append(el);
  }

  set(patch) {
    this.view = { ...this.view, ...patch };
    this.syncControls();
    this.onViewChange(this.view);
    this.drawAll();
  }

  syncControls() {
    for (const b of this.scaleButtons) b.setAttribute('aria-pressed', String((b.dataset.scale === 'log') === this.view.logY));
    this.smoothInput.value = String(this.view.smoothing);
    this.smoothValue.value = this.view.smoothing > 0 ? this.view.smoothing.toFixed(2) : 'off';
    this.groupButton.setAttribute('aria-pressed', String(!!this.view.grouped));
    if (this.xSelect.value !== this.view.x) this.fillXSelect(this.xKeys || [this.view.x]);
  }

  fillXSelect(xKeys) {
    const keys = xKeys.includes(this.view.x) ? xKeys : [this.view.x, ...xKeys];
    this.xSelect.replaceChildren(...keys.map((k) => h('option', { value: k, selected: k === this.view.x }, k)));
    this.xSelect.value = this.view.x;
  }

  setKeys(xKeys, metricKeys) {
    if (xKeys.join('\n') !== (this.xKeys || []).join('\n')) {
      this.xKeys = xKeys;
      this.fillXSelect(xKeys);
    }
    this.metricKeys = metricKeys;
    for (const card of this.cards) card.setKeys(metricKeys);
  }

  renderCards() {
    for (const card of this.cards) card.destroy();
    this.cards = this.view.charts.map((spec) => this.makeCard(spec));
    this.grid.replaceChildren(...this.cards.map((c) => c.el));
    if (!this.cards.length) {
      this.grid.append(emptyState('No charts', 'Add a chart and choose the metrics to plot.'));
    }
  }

  makeCard(spec) {
    const card = this.newCard(spec);
    card.markers.visible = this.eventsShown;
    card.markers.set(this.events.events, { runName: this.events.runName });
    return card;
  }

  /** Mark these events on every chart (`runName`: whose, when the charts show several runs). */
  setEvents(events, { runName = null } = {}) {
    this.events = { events: events || [], runName };
    for (const card of this.cards) card.markers.set(this.events.events, { runName });
  }

  showEvents(shown) {
    this.eventsShown = shown;
    saveSetting('chartEvents', shown);
    this.eventsButton.setAttribute('aria-pressed', String(shown));
    for (const card of this.cards) card.markers.setVisible(shown);
  }

  newCard(spec) {
    return new ChartCard({
      spec,
      keys: this.metricKeys,
      fetchRange: this.fetchRange,
      drawCosts: this.drawCosts,
      onHover: (rid) => {
        this.highlight(rid); // the hovered run stands out in every chart, and in the table
        this.onHover(rid);
      },
      onSpecChange: () => this.commitCards(),
      onZoomChange: () => this.commitZoom(),
      onRemove: (card) => {
        this.cards = this.cards.filter((c) => c !== card);
        card.destroy();
        this.commitCards();
        if (!this.cards.length) this.renderCards();
      },
    });
  }

  chartSpecs() {
    return this.cards.map((c) => ({ left: c.spec.left, right: c.spec.right, ...(c.zoomRange ? { zoom: c.zoomRange } : {}) }));
  }

  commitCards() {
    this.view = { ...this.view, charts: this.chartSpecs() };
    this.onViewChange(this.view);
    this.drawAll();
  }

  /** A chart zoomed or unzoomed: the view (and the link) say so; nothing to redraw. */
  commitZoom() {
    const charts = this.chartSpecs();
    if (JSON.stringify(charts) === JSON.stringify(this.view.charts)) return;
    this.view = { ...this.view, charts };
    this.onViewChange(this.view);
  }

  addChart() {
    if (!this.cards.length) this.grid.replaceChildren();
    const card = this.makeCard({ left: [], right: [] });
    this.cards.push(card);
    this.grid.append(card.el);
    this.commitCards();
    // After this click has finished bubbling (a click elsewhere closes open menus).
    setTimeout(() => {
      const picker = card.el.querySelector('details');
      picker.open = true;
      picker.querySelector('input[type="search"]')?.focus();
    }, 0);
  }

  /** All keys the charts need (the page fetches these). */
  neededKeys() {
    return [...new Set(this.view.charts.flatMap((c) => [...c.left, ...c.right]))];
  }

  /**
   * New data from the page: live updates (slow charts may space these out), or a new set of
   * runs the user chose (`urgent`: drawn at once).
   */
  update(ctx, { urgent = false } = {}) {
    this.ctx = ctx;
    this.drawAll(urgent);
  }

  drawAll(urgent = true) {
    if (!this.ctx) return;
    const ctx = { ...this.ctx, x: this.view.x, logY: this.view.logY, smoothing: this.view.smoothing,
      grouped: !!this.view.grouped && !!this.ctx.groupKey };
    this.groupButton.disabled = !this.ctx.groupKey;
    if (!this.ctx.groupKey) this.groupButton.title = 'Choose "Group by" in the table first';
    for (const card of this.cards) card.update(ctx, { urgent });
  }

  highlight(rid) {
    for (const card of this.cards) card.highlight(rid);
  }

  destroy() {
    for (const card of this.cards) card.destroy();
  }
}
