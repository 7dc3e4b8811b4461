/**
 * The commands sent to a job, newest first, with status, when they applied, and the response.
 * Rows are keyed by command id: an answer replaces only its own row, a new command adds one,
 * and a command just posted shows at once (as PENDING) before any answer from the server.
 */
import { h, placeChildren } from '../dom.js';
import { formatJson, formatTimestamp, MISSING } from '../lib/format.js';
import { emptyState, statusBadge } from './feedback.js';

export class CommandHistory {
  constructor() {
    this.body = h('div', { class: 'table-scroll' });
    this.commands = new Map(); // id -> command
    this.rows = new Map(); // id -> {tr, sig}
    this.tbody = h('tbody');
    this.table = h('table', { class: 'table table-compact history-table' },
      h('thead', {}, h('tr', {}, ['Sent', 'Command', 'Body', 'When', 'Status', 'Applied at', 'Response'].map((t) => h('th', { scope: 'col' }, t)))),
      this.tbody);
    this.el = h('section', { class: 'card command-history', 'aria-label': 'Command history' },
      h('div', { class: 'toolbar' }, h('h2', { class: 'section-title' }, 'Command history')), this.body);
    this.render();
  }

  /** The full list from `GET /results/<id>/commands`. */
  update(commands) {
    this.commands = new Map(commands.map((c) => [c.id, c]));
    this.render();
  }

  /** One command, e.g. the answer of the POST that created it. */
  add(command) {
    if (!command || this.commands.has(command.id)) return;
    this.commands.set(command.id, command);
    this.render();
  }

  render() {
    if (!this.commands.size) {
      if (!this.body.querySelector('.empty')) {
        this.body.replaceChildren(emptyState('No commands yet', 'Commands you send appear here with the job’s response.'));
      }
      return;
    }
    if (this.table.parentNode !== this.body) this.body.replaceChildren(this.table);
    const sorted = [...this.commands.values()].sort((a, b) => (b.created_at || 0) - (a.created_at || 0) || b.id - a.id);
    const nodes = sorted.map((c) => {
      const sig = JSON.stringify(c);
      const row = this.rows.get(c.id);
      if (row?.sig === sig) return row.tr;
      const tr = commandRow(c);
      if (row) row.tr.replaceWith(tr);
      this.rows.set(c.id, { tr, sig });
      return tr;
    });
    for (const id of this.rows.keys()) if (!this.commands.has(id)) this.rows.delete(id);
    placeChildren(this.tbody, nodes);
  }
}

function commandRow(c) {
  return h('tr', { dataset: { commandId: String(c.id), status: c.status } },
    h('td', { class: 'nowrap small' }, formatTimestamp(c.created_at)),
    h('td', { class: 'mono' }, c.name),
    h('td', { class: 'mono small json' }, formatJson(c.body)),
    h('td', { class: 'small nowrap' }, c.schedule ? `${c.schedule.key} ${c.schedule.value}` : 'now'),
    h('td', {}, statusBadge(c.status)),
    h('td', { class: 'small nowrap' }, appliedAt(c)),
    h('td', { class: 'mono small json response' }, c.response ? formatJson(c.response) : MISSING));
}

function appliedAt(c) {
  const parts = [];
  if (c.iteration !== null && c.iteration !== undefined) parts.push(`it ${c.iteration}`);
  if (c.epoch !== null && c.epoch !== undefined) parts.push(`ep ${c.epoch}`);
  if (c.ranks > 1) parts.push(`${c.ranks} ranks`);
  return parts.join(' · ') || MISSING;
}
