/**
 * The only way the app builds DOM: elements and text nodes, never HTML strings.
 *
 * Names, args, keys and command bodies come from training scripts and are shown as text;
 * building everything through `h` keeps "<script>" in a run name harmless by construction.
 */

/** h('a', {href, class, onClick}, 'text', child, [more]) -> HTMLElement. */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) setProp(el, k, v);
  append(el, children);
  return el;
}

/** The same for SVG elements (icons). */
export function svg(tag, attrs, ...children) {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v != null) el.setAttribute(k, String(v));
  append(el, children);
  return el;
}

function setProp(el, key, value) {
  if (value === undefined || value === null || value === false) return;
  if (key === 'class') el.className = Array.isArray(value) ? value.filter(Boolean).join(' ') : value;
  else if (key === 'dataset') Object.assign(el.dataset, value);
  else if (key === 'style' && typeof value === 'object') Object.assign(el.style, value);
  else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2).toLowerCase(), value);
  else if (key === 'value' || key === 'checked' || key === 'selected' || key === 'indeterminate') el[key] = value;
  else el.setAttribute(key, value === true ? '' : String(value));
}

/** Append children: nodes as they are, anything else as a text node; arrays are flattened. */
export function append(el, children) {
  for (const c of [children].flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** Replace every child of `el`. */
export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

/** Make `parent`'s children exactly `nodes`, moving only the nodes that are out of place. */
export function placeChildren(parent, nodes) {
  let cursor = parent.firstChild;
  for (const node of nodes) {
    if (node === cursor) {
      cursor = cursor.nextSibling;
      continue;
    }
    parent.insertBefore(node, cursor);
  }
  while (cursor) {
    const next = cursor.nextSibling;
    cursor.remove();
    cursor = next;
  }
}

/** A small inline icon from a path list (stroke icons, 24x24 grid). */
export function icon(paths, label) {
  const el = svg('svg', { viewBox: '0 0 24 24', class: 'icon', 'aria-hidden': label ? null : 'true', role: label ? 'img' : null },
    ...[paths].flat().map((d) => svg('path', { d })));
  if (label) el.append(svg('title', {}, label));
  return el;
}

export const ICONS = {
  sun: ['M12 4V2', 'M12 22v-2', 'M4 12H2', 'M22 12h-2', 'M5.6 5.6 4.2 4.2', 'M19.8 19.8l-1.4-1.4', 'M5.6 18.4l-1.4 1.4', 'M19.8 4.2l-1.4 1.4', 'M12 8a4 4 0 1 0 0 8a4 4 0 1 0 0-8'],
  moon: ['M20 14.5A8 8 0 0 1 9.5 4 8 8 0 1 0 20 14.5z'],
  plus: ['M12 5v14', 'M5 12h14'],
  close: ['M6 6l12 12', 'M18 6 6 18'],
  pin: ['M9 3h6', 'M10 3v6l-3 4h10l-3-4V3', 'M12 13v8'],
  up: ['M12 19V5', 'M6 11l6-6 6 6'],
  down: ['M12 5v14', 'M6 13l6 6 6-6'],
  download: ['M12 4v11', 'M7 10l5 5 5-5', 'M5 20h14'],
  edit: ['M4 20h4L19 9l-4-4L4 16v4z'],
  note: ['M6 3h9l4 4v14H6z', 'M14 3v5h5', 'M9 12h7', 'M9 16h7'],
  columns: ['M4 5h16v14H4z', 'M10 5v14', 'M15 5v14'],
  reset: ['M4 12a8 8 0 1 0 3-6.2', 'M4 4v5h5'],
};

/** Focus the first focusable element inside `root` (after opening a panel). */
export function focusFirst(root) {
  root.querySelector('input, select, textarea, button, [tabindex]:not([tabindex="-1"])')?.focus();
}
