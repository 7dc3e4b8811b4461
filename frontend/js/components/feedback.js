/**
 * Messages to the user: toasts for the outcome of an action, and blocks for empty states and
 * errors, so every page says what is going on in the same way.
 */
import { h } from '../dom.js';
import { link } from '../router.js';
import { endSummary } from '../lib/end-reason.js';

let toastRegion = null;

function region() {
  if (!toastRegion || !toastRegion.isConnected) {
    toastRegion = h('div', { class: 'toasts', role: 'status', 'aria-live': 'polite' });
    document.body.append(toastRegion);
  }
  return toastRegion;
}

/** Show a short message; kind: "info" | "success" | "error". */
export function toast(message, kind = 'info', timeoutMs = 4000) {
  const el = h('div', { class: `toast toast-${kind}` }, message);
  region().append(el);
  setTimeout(() => el.remove(), kind === 'error' ? timeoutMs * 2 : timeoutMs);
  return el;
}

export function emptyState(title, text, ...actions) {
  return h('div', { class: 'empty' }, h('p', { class: 'empty-title' }, title), text ? h('p', { class: 'empty-text' }, text) : null, ...actions);
}

/** The page for something that is not there (an unknown URL, a removed result or project). */
export function notFoundPage(title, text) {
  return h('section', { class: 'not-found', 'aria-label': title }, h('h1', {}, title),
    h('p', { class: 'muted' }, text), h('a', { class: 'btn', href: link('') }, 'All projects'));
}

export function errorBox(message, onRetry) {
  return h('div', { class: 'error-box', role: 'alert' },
    h('strong', {}, 'Something went wrong. '), message,
    onRetry ? h('button', { class: 'btn btn-small', type: 'button', onClick: onRetry }, 'Retry') : null);
}

/** A result's pill: "missing" when its directory is gone from disk (what is stored stays
 *  readable, but no status the job wrote can be trusted to be current), else its job status. */
export function resultBadge(r) {
  if (r.missing) {
    const last = r.status ? ` (last status read: ${r.status})` : '';
    return h('span', { class: 'badge badge-missing', dataset: { status: 'missing' },
      title: `The result directory is gone from disk${last}; what was read stays here` }, 'missing');
  }
  const badge = statusBadge(r.status);
  const why = endSummary(r.end);
  if (why) badge.title = why;  // why it ended, where the status is shown (the table's status column too)
  return badge;
}

/** A status pill: running / finished / crashed / stopped / unknown; also command statuses. */
export function statusBadge(status) {
  if (!status) {
    return h('span', { class: 'badge badge-none', dataset: { status: 'none' }, title: 'No job status: a result not written by trainui (e.g. Chainer)' }, 'no status');
  }
  const s = String(status);
  return h('span', { class: `badge badge-${s.toLowerCase()}`, dataset: { status: s } }, s);
}
