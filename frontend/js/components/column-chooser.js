/**
 * Choose and reorder the table's columns: a menu with a checkbox per column and up/down
 * buttons (keyboard usable, no drag and drop needed).
 */
import { h, icon, ICONS } from '../dom.js';
import { columnLabel as plainLabel } from '../lib/table.js';
import { closeOnEscape } from './metric-picker.js';

/** order: every column id in display order; hidden: Set of hidden ids; labels: Map id -> header; onChange(order, hidden). */
export function columnChooser({ order, hidden, labels = new Map(), onChange }) {
  const columnLabel = (id) => labels.get(id) || plainLabel(id);
  const list = h('ol', { class: 'chooser-list' });
  const render = (focusId, focusDir) => {
    list.replaceChildren(...order.map((id, i) => {
      const kind = id.startsWith('arg:') ? 'arg' : id.startsWith('metric:') ? 'metric' : '';
      return h('li', { class: 'chooser-row' },
        h('label', {},
          h('input', { type: 'checkbox', checked: !hidden.has(id), disabled: id === 'name',
            onChange: (e) => {
              if (e.target.checked) hidden.delete(id);
              else hidden.add(id);
              onChange(order, hidden);
            } }),
          kind ? h('span', { class: `kind kind-${kind}` }, kind) : null,
          h('span', { class: 'chooser-label' }, columnLabel(id))),
        h('button', { class: 'btn btn-tiny btn-icon btn-ghost', type: 'button', disabled: i === 0, 'aria-label': `Move ${columnLabel(id)} up`,
          dataset: { id, dir: 'up' }, onClick: () => move(i, -1) }, icon(ICONS.up)),
        h('button', { class: 'btn btn-tiny btn-icon btn-ghost', type: 'button', disabled: i === order.length - 1,
          'aria-label': `Move ${columnLabel(id)} down`, dataset: { id, dir: 'down' }, onClick: () => move(i, 1) }, icon(ICONS.down)));
    }));
    if (focusId) {
      const target = [...list.querySelectorAll('button')].find((b) => b.dataset.id === focusId && b.dataset.dir === focusDir && !b.disabled);
      (target || list.querySelector(`button[data-id]`))?.focus();
    }
  };
  const move = (i, delta) => {
    const j = i + delta;
    if (j < 0 || j >= order.length) return;
    const id = order[i];
    [order[i], order[j]] = [order[j], order[i]];
    onChange(order, hidden);
    render(id, delta < 0 ? 'up' : 'down');
  };
  render();
  const details = h('details', { class: 'menu' },
    h('summary', { class: 'btn btn-small' }, icon(ICONS.columns), 'Columns'),
    h('div', { class: 'menu-panel menu-wide menu-right' }, list));
  closeOnEscape(details);
  return details;
}
