/**
 * The charts' "Colour by" control and the legend of its mapping (lib/colour-by.js): a select of
 * the runs' args (or their own colours), then either swatches per value or the scale with its ends.
 */
import { h, replace } from '../dom.js';
import { formatNumber } from '../lib/format.js';
import { UNSET_COLOR } from '../lib/colour-by.js';

const MAX_ENTRIES = 12;

export class ColourByControl {
  constructor({ value, onChange }) {
    this.value = value || '';
    this.select = h('select', { class: 'input input-small', 'aria-label': 'Colour runs by', onChange: (e) => {
      this.value = e.target.value;
      onChange(this.value || null);
    } });
    this.legend = h('div', { class: 'colour-legend small', 'aria-label': 'Colours of the runs', hidden: true });
    this.el = h('span', { class: 'colour-by' },
      h('label', { class: 'field-inline' }, h('span', {}, 'Colour by'), this.select), this.legend);
    this.setKeys([]);
  }

  setKeys(keys) {
    const options = ['', ...keys.includes(this.value) || !this.value ? keys : [this.value, ...keys]];
    if (options.join('\n') === this.options?.join('\n')) return;
    this.options = options;
    this.select.replaceChildren(...options.map((k) => h('option', { value: k, selected: k === this.value }, k || 'Run')));
    this.select.value = this.value;
  }

  /** The mapping's legend (null: the runs' own colours, no legend). */
  setLegend(legend) {
    const signature = JSON.stringify(legend);
    if (signature === this.signature) return null; // (the page asks on every live update)
    this.signature = signature;
    this.legend.hidden = !legend;
    if (!legend) return this.legend.replaceChildren();
    const swatch = (color) => h('span', { class: 'swatch', style: { background: color }, 'aria-hidden': 'true' });
    const unset = legend.unset ? h('span', { class: 'legend-entry' }, swatch(UNSET_COLOR), '(not set)') : null;
    if (legend.kind === 'scale') {
      const bar = h('span', { class: 'colour-scale', 'aria-hidden': 'true',
        style: { background: `linear-gradient(to right, ${legend.stops.join(', ')})` } });
      replace(this.legend, h('span', { class: 'mono' }, formatNumber(legend.min)), bar,
        h('span', { class: 'mono' }, formatNumber(legend.max)), legend.log ? h('span', { class: 'muted' }, '(log scale)') : null, unset);
      this.legend.dataset.kind = 'scale';
      return null;
    }
    const shown = legend.entries.slice(0, MAX_ENTRIES);
    const rest = legend.entries.length - shown.length;
    replace(this.legend, ...shown.map((e) => h('span', { class: 'legend-entry', title: e.label }, swatch(e.color),
      h('span', { class: 'legend-name' }, e.label))), rest > 0 ? h('span', { class: 'muted' }, `${rest} more`) : null, unset);
    this.legend.dataset.kind = 'category';
    return null;
  }
}
