/**
 * The "Console" card of a result: what the job printed (GET /results/<id>/console), its last
 * lines first, then followed live from the answer's `next_offset` while the run runs.
 *
 * The text is the job's, so hostile: every line is built from text nodes and spans whose only
 * attribute is a class from lib/terminal.js (colours), never as HTML. The view sticks to the end
 * while the user is there; scrolled up, it stays put until "Jump to end". A job printing faster
 * than the page reads (more than `OUTPACED_BYTES` ahead after a read) is followed by the last
 * `FOLLOW_LINES` lines of what it printed since each poll (a dim line says how much was not shown),
 * not byte by byte, and only the last `MAX_LINES` lines are kept in the page.
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
const OUTPACED_BYTES = 64 * 1024; // this far behind after a read: follow by the last lines instead
const FOLLOW_LINES = 300;
const LIVE_ROWS = 200;

export class ConsoleView {
  constructor({ resultId }) {
    this.resultId = resultId;
    this.terminal = new Terminal({ maxLines: MAX_LINES });
    this.nextOffset = null; // null: not loaded yet
    this.outpaced = false; // the job prints faster than ranges can follow
    this.endedLine = true;
    this.running = false;
    this.busy = false;
    this.timer = null;
    this.destroyed = false;
    this.needle = '';
    this.rows = []; // the line elements, in order; rows[i] shows line shownFrom + i (absolute)
    this.output = h('pre', { class: 'console-output mono small', tabindex: '0', 'aria-label': 'Console output' });
    this.output.addEventListener('scroll', () => {
      const following = this.output.scrollTop + this.output.clientHeight >= this.output.scrollHeight - 4;
      const more = this.following && !following && this.outpaced;
      this.following = following;
      if (more) this.render(); // scrolled up from the live lines: every kept line, the view kept still
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
      // a job printing faster than a reader can read is followed by the last lines of what it printed
      // since (a few hundred new rows a second at most, not thousands: the page stays responsive)
      const ask = first ? { tail: FIRST_LINES }
        : this.outpaced ? { tail: FOLLOW_LINES, offset: this.nextOffset } : { offset: this.nextOffset, limit: RANGE_BYTES };
      let answer = await api(`results/${this.resultId}/console${query(ask)}`);
      const behind = answer.size - answer.next_offset;
      let outpaced = !first && (behind > OUTPACED_BYTES || (this.outpaced && answer.offset > this.nextOffset));
      const rotated = answer.reset || (!first && answer.next_offset < this.nextOffset); // (a tail says it so)
      if (!first && (rotated || behind > BEHIND_BYTES)) {
        this.terminal.clear(); // rotated, or far behind: start again from the last lines
        this.rows.forEach((row) => row.remove());
        this.rows = [];
        this.shownFrom = 0;
        this.nextOffset = null; // (nothing to say is missing: the view starts again)
        outpaced = this.outpaced || behind > BEHIND_BYTES; // a rotation changes nothing of the job's pace
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
      const skipped = answer.offset > 0 && this.nextOffset === null;
      if (this.nextOffset !== null && answer.offset > this.nextOffset) {
        this.terminal.write(`${this.endedLine ? '' : '\n'}\x1b[2m[${formatBytes(answer.offset - this.nextOffset)} not shown: `
          + 'the job prints faster than a page can follow]\x1b[0m\n');
      }
      this.outpaced = outpaced;
      this.nextOffset = answer.next_offset;
      if (answer.text) {
        this.terminal.write(answer.text);
        this.endedLine = answer.text.endsWith('\n');
      }
      this.info.textContent = `${formatBytes(answer.size)}${skipped || this.terminal.dropped ? `, the last ${this.terminal.lineCount} lines` : ''}`
        + (this.outpaced ? '; the job prints faster than a page can follow: its last lines are shown' : '');
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

  /** Redraw the lines changed since the last draw; drop those no longer shown. While the view follows
   * a job that outpaces it, only the last `LIVE_ROWS` lines are in the page (a screenful and more:
   * nobody reads thousands of lines a second, and each row in the page costs every redraw); scrolled
   * up or searching, every line the terminal keeps is. */
  render() {
    const term = this.terminal;
    const dirty = term.takeDirty();
    const end = term.dropped + term.lineCount; // one past the last line, absolute
    const live = this.following && this.outpaced && !this.needle;
    const first = Math.max(term.dropped, live ? end - LIVE_ROWS : term.dropped); // the first line shown
    let from = dirty;
    const shownFrom = this.shownFrom ?? 0;
    if (first < shownFrom) { // more lines to show than before: build them all again, keep the view still
      const fromBottom = this.output.scrollHeight - this.output.scrollTop;
      this.rows.forEach((row) => row.remove());
      this.rows = [];
      from = first;
      this.keepBottom = fromBottom;
    } else if (first > shownFrom) {
      this.rows.splice(0, first - shownFrom).forEach((row) => row.remove());
    }
    this.shownFrom = first;
    const count = end - first;
    for (let i = Math.max(0, from - first); i < count; i++) {
      const row = this.lineElement(term.line(first + i));
      if (this.rows[i]) this.rows[i].replaceWith(row);
      else this.output.append(row);
      this.rows[i] = row;
    }
    this.rows.splice(count).forEach((row) => row.remove());
    this.countMatches();
    if (this.keepBottom !== undefined) {
      this.output.scrollTop = this.output.scrollHeight - this.keepBottom;
      this.keepBottom = undefined;
    } else if (this.following) this.output.scrollTop = this.output.scrollHeight;
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
    this.render(); // a search shows every kept line
    this.rows.forEach((row, i) => {
      const fresh = this.lineElement(term.line(this.shownFrom + i));
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
