/**
 * Names the run under the pointer in a parallel-coordinates plot. Plotly's parcoords has no hover
 * of its own (its lines are drawn in WebGL), so the line nearest the pointer is found here: between
 * the two axes around the pointer's x, each run's line is the straight segment joining its values
 * on them, placed as Plotly places them (the axis's range, low at the bottom, from the axes' own
 * SVG). A tooltip says the run's name and its values on those two axes.
 */
import { h } from '../dom.js';

const NEAR_PX = 8;

export class ParcoordsHover {
  /** `onFocus(rid)`: the run under the pointer changed (null: none), for the table to highlight it. */
  constructor(plot, container, onFocus = () => {}) {
    this.plot = plot;
    this.onFocus = onFocus;
    this.focused = null;
    this.container = container;
    this.rows = [];
    this.dims = [];
    this.tip = h('div', { class: 'hover-tip parcoords-tip', hidden: true, role: 'tooltip' });
    container.append(this.tip);
    this.onMove = (e) => this.show(e.clientX, e.clientY);
    this.onLeave = () => this.hide();
    plot.addEventListener('mousemove', this.onMove);
    plot.addEventListener('mouseleave', this.onLeave);
  }

  /** `rows[i]` is {id, name} of row i; `dims` the plot's dimensions (lib/parcoords.js: {key, log, values, range?, ticktext?}). */
  setData(rows, dims) {
    this.rows = rows;
    this.dims = dims;
    this.hide();
  }

  axes() {
    const found = [...this.plot.querySelectorAll('.y-axis .domain')].map((d) => d.getBoundingClientRect());
    return found.length === this.dims.length ? found : null;
  }

  /** The row whose line passes closest to the client point (within NEAR_PX), and the axes around it. */
  nearest(cx, cy) {
    const axes = this.axes();
    if (!axes || axes.length < 2) return null;
    const xs = axes.map((r) => (r.left + r.right) / 2);
    let k = xs.findIndex((x, i) => i < xs.length - 1 && cx >= x && cx <= xs[i + 1]);
    if (k < 0) return null;
    const t = (cx - xs[k]) / (xs[k + 1] - xs[k]);
    const at = (dim, rect, v) => {
      const nums = dim.values.filter((x) => typeof x === 'number');
      const [lo, hi] = Array.isArray(dim.range) ? dim.range : [Math.min(...nums), Math.max(...nums)];
      const f = hi > lo ? (v - lo) / (hi - lo) : 0.5;
      return rect.bottom - f * (rect.bottom - rect.top);
    };
    let best = null;
    this.rows.forEach((row, i) => {
      const a = this.dims[k].values[i];
      const b = this.dims[k + 1].values[i];
      if (typeof a !== 'number' || typeof b !== 'number') return;
      const y = at(this.dims[k], axes[k], a) * (1 - t) + at(this.dims[k + 1], axes[k + 1], b) * t;
      const d = Math.abs(y - cy);
      if (d <= NEAR_PX && (!best || d < best.d)) best = { d, i, k };
    });
    return best;
  }

  show(cx, cy) {
    const hit = this.nearest(cx, cy);
    if (!hit) return this.hide();
    const row = this.rows[hit.i];
    const value = (dim) => {
      const v = dim.values[hit.i];
      const tick = dim.tickvals?.indexOf(v);
      if (dim.ticktext && tick >= 0 && !dim.log) return dim.ticktext[tick];
      return dim.log ? formatShort(10 ** v) : formatShort(v);
    };
    this.tip.replaceChildren(h('strong', {}, row.name),
      ...[this.dims[hit.k], this.dims[hit.k + 1]].map((dim) => h('div', { class: 'small' }, `${dim.key}: ${value(dim)}`)));
    this.tip.dataset.rid = String(row.id);
    this.tip.hidden = false;
    this.focus(row.id);
    const box = this.container.getBoundingClientRect();
    const left = cx - box.left + 14;
    const x = left + this.tip.offsetWidth <= box.width ? left : Math.max(0, cx - box.left - 14 - this.tip.offsetWidth);
    this.tip.style.transform = `translate(${Math.round(x)}px, ${Math.round(cy - box.top + 10)}px)`;
    return row;
  }

  hide() {
    this.tip.hidden = true;
    delete this.tip.dataset.rid;
    this.focus(null);
  }

  focus(rid) {
    if (rid === this.focused) return;
    this.focused = rid;
    this.onFocus(rid);
  }

  destroy() {
    this.plot.removeEventListener('mousemove', this.onMove);
    this.plot.removeEventListener('mouseleave', this.onLeave);
    this.tip.remove();
  }
}

function formatShort(v) {
  return typeof v === 'number' ? String(Number(v.toPrecision(4))) : String(v);
}
