/** The commands sent to a job, newest first, with status, when they applied, and the response. */
import { h } from '../dom.js';
import { formatJson, formatTimestamp, MISSING } from '../lib/format.js';
import { emptyState, statusBadge } from './feedback.js';

export class CommandHistory {
  constructor() {
    this.body = h('div', { class: 'table-scroll' });
    this.signature = '';
    this.el = h('section', { class: 'card command-history', 'aria-label': 'Command history' },
      h('div', { class: 'toolbar' }, h('h2', { class: 'section-title' }, 'Command history')), this.body);
  }

  update(commands) {
    const signature = JSON.stringify(commands);
    if (signature === this.signature) return;
    this.signature = signature;
    if (!commands.length) {
      this.body.replaceChildren(emptyState('No commands yet', 'Commands you send appear here with the job’s response.'));
      return;
    }
    const sorted = [...commands].sort((a, b) => (b.created_at || 0) - (a.created_at || 0) || b.id - a.id);
    this.body.replaceChildren(h('table', { class: 'table table-compact history-table' },
      h('thead', {}, h('tr', {}, ['Sent', 'Command', 'Body', 'When', 'Status', 'Applied at', 'Response'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, sorted.map((c) => h('tr', { dataset: { commandId: String(c.id), status: c.status } },
        h('td', { class: 'nowrap small' }, formatTimestamp(c.created_at)),
        h('td', { class: 'mono' }, c.name),
        h('td', { class: 'mono small json' }, formatJson(c.body)),
        h('td', { class: 'small nowrap' }, c.schedule ? `${c.schedule.key} ${c.schedule.value}` : 'now'),
        h('td', {}, statusBadge(c.status)),
        h('td', { class: 'small nowrap' }, appliedAt(c)),
        h('td', { class: 'mono small json response' }, c.response ? formatJson(c.response) : MISSING))))));
  }
}

function appliedAt(c) {
  const parts = [];
  if (c.iteration !== null && c.iteration !== undefined) parts.push(`it ${c.iteration}`);
  if (c.epoch !== null && c.epoch !== undefined) parts.push(`ep ${c.epoch}`);
  if (c.ranks > 1) parts.push(`${c.ranks} ranks`);
  return parts.join(' · ') || MISSING;
}
