/**
 * The "Console" card of a result: what the job printed (GET /results/<id>/console), its last
 * lines first, then followed live from the answer's `next_offset` while the run runs.
 *
 * The text is the job's, so hostile: every line is built from text nodes and spans whose only
 * attribute is a class from lib/terminal.js (colours), never as HTML. The view sticks to the end
 * while the user is there; scrolled up, it stays put until "Jump to end". A job printing faster
 * than the page reads (more than `BEHIND_BYTES` ahead) is followed by its tail, not byte by byte,
 * and only the last `MAX_LINES` lines are kept in the page.
 */
import { h } from '../dom.js';
import { api, errorMessage, query } from '../api.js';
import { formatBytes } from '../lib/format.js';
import { Terminal, splitMatches } from '../lib/terminal.js';

const MAX_LINES = 2000;
const FIRST_LINES = 1000;
const POLL_MS = 1000;
const RANGE_BYTES = 256 * 1024;
const BEHIND_BYTES = 1024 * 1024;

export class ConsoleView {
  constructor({ resultId }) {
    this.resultId = resultId;
    this.terminal = new Terminal({ maxLines: MAX_LINES });
    this.nextOffset = null; // null: not loaded yet
    this.running = false;
    this.busy = false;
    this.timer = null;
    this.destroyed = false;
    this.needle = '';
    this.rows = []; // the line elements, in order; rows[i] shows line terminal.dropped + i
    this.output = h('pre', { class: 'console-output mono small', tabindex: '0', 'aria-label': 'Console output' });
    this.output.addEventListener('scroll', () => {
      this.following = this.output.scrollTop + this.output.clientHeight >= this.output.scrollHeight - 4;
    });
    this.following = true;
    this.info = h('span', { class: 'small muted console-info' });
    this.search = h('input', { type: 'search', class: 'input input-small console-search', placeholder: 'Search',
      'aria-label': 'Search the console', onInput: () => this.setNeedle(this.search.value) });
    this.matches = h('span', { class: 'small muted console-matches', 'aria-live': 'polite' });
    const jump = h('button', { class: 'btn btn-small', type: 'button', onClick: () => this.jumpToEnd() }, 'Jump to end');
    this.body = h('div', { class: 'console-body' }, this.output);
    this.el = h('section', { class: 'card console-card', 'aria-label': 'Console' },
      h('div', { class: 'toolbar' }, h('h2', { class: 'section-title' }, 'Console'), this.info,
        h('div', { class: 'console-tools' }, this.search, this.matches, jump)),
      this.body);
    this.load();
  }

  /** The result page says whether the run still runs: polled while it does, once more at its end. */
  setRunning(running) {
    if (running === this.running) return;
    this.running = running;
    if (running && !this.timer) this.timer = setInterval(() => this.load(), POLL_MS);
    if (!running) {
      clearInterval(this.timer);
      this.timer = null;
      this.load(); // what it printed last
    }
  }

  destroy() {
    this.destroyed = true;
    clearInterval(this.timer);
    this.timer = null;
  }

  jumpToEnd() {
    this.following = true;
    this.output.scrollTop = this.output.scrollHeight;
  }

  async load() {
    if (this.busy || this.destroyed) return;
    this.busy = true;
    try {
      const first = this.nextOffset === null;
      let answer = await api(`results/${this.resultId}/console${query(first ? { tail: FIRST_LINES }
        : { offset: this.nextOffset, limit: RANGE_BYTES })}`);
      if (!first && (answer.reset || answer.size - answer.next_offset > BEHIND_BYTES)) {
        this.terminal.clear(); // rotated, or far behind: start again from the last lines
        this.rows.forEach((row) => row.remove());
        this.rows = [];
        answer = await api(`results/${this.resultId}/console${query({ tail: FIRST_LINES })}`);
      }
      if (this.destroyed) return;
      if (!answer.exists) {
        this.nextOffset = 0;
        this.showMessage('No console output yet. A job keeps one unless it runs with console=False or '
          + 'TRAINUI_CONSOLE=0 (or was written by an older trainui).');
        return;
      }
      this.body.replaceChildren(this.output);
      const skipped = first && answer.offset > 0;
      this.nextOffset = answer.next_offset;
      if (answer.text) this.terminal.write(answer.text);
      this.info.textContent = `${formatBytes(answer.size)}${skipped || this.terminal.dropped ? `, the last ${this.terminal.lineCount} lines` : ''}`;
      this.render();
    } catch (err) {
      if (this.destroyed) return;
      if (err.status === 404 || err.status === 422) {
        this.destroy(); // the answer will not change by asking again
        this.showMessage(errorMessage(err));
      } else {
        this.info.textContent = `Could not load the console: ${errorMessage(err)}`;
      }
    } finally {
      this.busy = false;
    }
  }

  showMessage(text) {
    this.body.replaceChildren(h('p', { class: 'muted small console-empty' }, text));
  }

  /** Redraw the lines changed since the last draw; drop those the terminal no longer keeps. */
  render() {
    const term = this.terminal;
    const from = term.takeDirty();
    const gone = term.dropped - (this.shownFrom ?? 0); // lines dropped since the last draw
    if (gone > 0) this.rows.splice(0, gone).forEach((row) => row.remove());
    this.shownFrom = term.dropped;
    const count = term.lineCount;
    for (let i = Math.max(0, from - term.dropped); i < count; i++) {
      const row = this.lineElement(term.line(term.dropped + i));
      if (this.rows[i]) this.rows[i].replaceWith(row);
      else this.output.append(row);
      this.rows[i] = row;
    }
    this.rows.splice(count).forEach((row) => row.remove());
    this.countMatches();
    if (this.following) this.output.scrollTop = this.output.scrollHeight;
  }

  lineElement(segments) {
    const row = h('div', { class: 'console-line' });
    for (const { text, cls } of segments) {
      const parts = splitMatches(text, this.needle).map(({ text: t, match }) => (match ? h('mark', { class: 'console-match' }, t) : t));
      row.append(cls ? h('span', { class: cls }, parts) : h('span', {}, parts));
    }
    if (!segments.length) row.append('\u200b'); // an empty line keeps its height
    return row;
  }

  setNeedle(needle) {
    this.needle = needle;
    const term = this.terminal;
    this.rows.forEach((row, i) => {
      const fresh = this.lineElement(term.line(term.dropped + i));
      row.replaceWith(fresh);
      this.rows[i] = fresh;
    });
    this.countMatches();
    this.output.querySelector('mark.console-match')?.scrollIntoView({ block: 'nearest' });
  }

  countMatches() {
    const n = this.needle ? this.output.querySelectorAll('mark.console-match').length : 0;
    this.matches.textContent = this.needle ? `${n} match${n === 1 ? '' : 'es'}` : '';
  }
}
