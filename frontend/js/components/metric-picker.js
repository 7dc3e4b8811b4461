/**
 * Choose the keys of a chart: a menu listing every logged key with a "left axis" and a
 * "right axis" checkbox, filterable by typing. Built from <details> so it opens with the
 * keyboard (Enter/Space on the summary) and closes with Escape.
 */
import { h } from '../dom.js';

export function metricPicker({ keys, spec, onChange, label = 'Metrics' }) {
  const selected = { left: new Set(spec.left), right: new Set(spec.right) };
  const filter = h('input', { class: 'input input-small', type: 'search', placeholder: 'Filter keys', 'aria-label': 'Filter keys' });
  const list = h('div', { class: 'picker-list', role: 'group', 'aria-label': 'Keys' });
  const emit = () => onChange({ left: keys.filter((k) => selected.left.has(k)), right: keys.filter((k) => selected.right.has(k)) });

  const renderList = () => {
    const needle = filter.value.trim().toLowerCase();
    const rows = keys.filter((k) => k.toLowerCase().includes(needle)).map((key) => {
      const box = (side) => h('input', {
        type: 'checkbox', checked: selected[side].has(key), 'aria-label': `${key} on the ${side} axis`,
        dataset: { key, side },
        onChange: (e) => {
          const other = side === 'left' ? 'right' : 'left';
          if (e.target.checked) {
            selected[side].add(key);
            selected[other].delete(key);
            e.target.closest('.picker-row').querySelector(`input[data-side="${other}"]`).checked = false;
          } else selected[side].delete(key);
          emit();
        },
      });
      return h('label', { class: 'picker-row' }, box('left'), box('right'), h('span', { class: 'picker-key' }, key));
    });
    list.replaceChildren(
      h('div', { class: 'picker-head', 'aria-hidden': 'true' }, h('span', {}, 'L'), h('span', {}, 'R'), h('span', {}, 'key')),
      ...(rows.length ? rows : [h('p', { class: 'muted small' }, 'No key matches.')]),
    );
  };
  filter.addEventListener('input', renderList);
  renderList();

  const details = h('details', { class: 'menu' },
    h('summary', { class: 'btn btn-small' }, label),
    h('div', { class: 'menu-panel menu-wide' }, filter, list));
  closeOnEscape(details);
  return details;
}

/** Escape closes an open <details> menu and returns focus to its summary; so does a click outside. */
export function closeOnEscape(details) {
  details.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && details.open) {
      details.open = false;
      details.querySelector('summary').focus();
    }
  });
  const outside = (e) => {
    if (!details.isConnected) return document.removeEventListener('click', outside);
    // A click on an element the menu just re-rendered (gone from the page) is still inside.
    if (details.open && e.target.isConnected && !details.contains(e.target)) details.open = false;
  };
  document.addEventListener('click', outside);
}
