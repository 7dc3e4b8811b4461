/**
 * Hover across runs on one chart: wherever the pointer is over the plot (not only on a line),
 * a vertical rule at its x and a tooltip with every line's value there, sorted, each with its
 * run's colour and name; the line nearest the pointer is named first in bold and reported
 * (`onFocus(rid)`) so the page highlights it in every chart and in the table.
 *
 * Plotly's own hover (one point of one trace, only on the line) is off (`hovermode: false`);
 * this reads the drawn traces and Plotly's axes, so it costs a binary search per line and one
 * small DOM update per animation frame, also for 200 runs. The tooltip stays inside the chart.
 */
import { h } from '../dom.js';
import { formatNumber } from '../lib/format.js';
import { hoverWindow, nearestRow, valuesAt } from '../lib/hover.js';

const MAX_ROWS = 15;

export class CrossRunHover {
  constructor({ plot, body, nameOf, onFocus }) {
    this.plot = plot;
    this.body = body;
    this.nameOf = nameOf; // rid -> run name
    this.onFocus = onFocus;
    this.frame = 0;
    this.pointer = null;
    this.focused = null;
    this.rule = h('div', { class: 'hover-rule', hidden: true, 'aria-hidden': 'true' });
    this.tip = h('div', { class: 'hover-tip', hidden: true, role: 'tooltip' });
    body.append(this.rule, this.tip);
    this.onMove = (e) => {
      this.pointer = { clientX: e.clientX, clientY: e.clientY };
      if (!this.frame) this.frame = requestAnimationFrame(() => this.render());
    };
    this.onLeave = () => {
      this.pointer = null;
      cancelAnimationFrame(this.frame);
      this.frame = 0;
      this.hide();
    };
    plot.addEventListener('mousemove', this.onMove);
    plot.addEventListener('mouseleave', this.onLeave);
  }

  hide() {
    this.rule.hidden = true;
    this.tip.hidden = true;
    this.tip.dataset.rows = '[]';
    if (this.focused !== null) {
      this.focused = null;
      this.onFocus(null);
    }
  }

  render() {
    this.frame = 0;
    const started = performance.now();
    const layout = this.plot._fullLayout;
    if (!this.pointer || !layout?.xaxis || !this.plot.data) return this.hide();
    const box = this.plot.getBoundingClientRect();
    const size = layout._size;
    const px = this.pointer.clientX - box.left - size.l;
    const py = this.pointer.clientY - box.top - size.t;
    if (px < 0 || px > size.w || py < 0 || py > size.h) return this.hide();
    const x = layout.xaxis.p2c(px);
    const rows = valuesAt(this.plot.data, x);
    if (!rows.length) return this.hide();
    const pixelOf = (row) => (layout[row.yaxis === 'y2' ? 'yaxis2' : 'yaxis'] || layout.yaxis).c2p(row.y);
    const focus = nearestRow(rows, py, pixelOf);
    const focusRow = rows[focus];
    if (focusRow.rid !== this.focused) {
      this.focused = focusRow.rid;
      this.onFocus(focusRow.rid);
    }
    const multiKey = new Set(rows.map((r) => r.key)).size > 1;
    const shown = hoverWindow(rows, focus, MAX_ROWS);
    const label = (r) => (multiKey ? `${this.nameOf(r.rid)} · ${r.key}` : this.nameOf(r.rid));
    const more = (n, where) => (n ? h('div', { class: 'hover-more muted' }, `${n} more ${where}`) : null);
    this.tip.replaceChildren(...[
      h('div', { class: 'hover-head muted' }, `${formatNumber(focusRow.x, 6)} · ${rows.length} ${rows.length === 1 ? 'line' : 'lines'}`),
      more(shown.above, 'above'),
      ...shown.rows.map((r) => h('div', { class: ['hover-row', r === focusRow && 'hover-focus'] },
        h('span', { class: 'swatch', style: { background: r.color }, 'aria-hidden': 'true' }),
        h('span', { class: 'hover-name' }, label(r)),
        h('span', { class: 'hover-value num' }, formatNumber(r.y, 5), r.x !== focusRow.x ? h('span', { class: 'muted' }, ` @${formatNumber(r.x, 6)}`) : null))),
      more(shown.below, 'below')].filter(Boolean));
    // Every value at x, for tests and for whoever reads the page: rid, key, x, y.
    this.tip.dataset.rows = JSON.stringify(rows.map((r) => [r.rid, r.key, r.x, r.y]));
    this.place(size.l + px, size.t + py);
    this.tip.dataset.ms = (performance.now() - started).toFixed(2); // what a hover costs (benchmarks/bench_browser.py)
  }

  /** The rule at the pointer's x; the tooltip beside the pointer, flipped to stay in the chart. */
  place(left, top) {
    const width = this.body.clientWidth;
    const height = this.body.clientHeight;
    this.rule.hidden = false;
    this.rule.style.left = `${left}px`;
    this.rule.style.top = `${this.plot._fullLayout._size.t}px`;
    this.rule.style.height = `${this.plot._fullLayout._size.h}px`;
    this.tip.hidden = false;
    const tw = this.tip.offsetWidth;
    const th = this.tip.offsetHeight;
    const x = left + 14 + tw <= width ? left + 14 : Math.max(0, left - 14 - tw);
    const y = Math.max(0, Math.min(height - th, top - th / 2));
    this.tip.style.transform = `translate(${Math.round(x)}px, ${Math.round(y)}px)`;
  }

  destroy() {
    cancelAnimationFrame(this.frame);
    this.plot.removeEventListener('mousemove', this.onMove);
    this.plot.removeEventListener('mouseleave', this.onLeave);
  }
}
