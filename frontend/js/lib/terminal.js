/**
 * What a terminal would show of a job's output: lines of styled text, no DOM.
 *
 * A job's console holds ANSI colour codes and progress bars redrawn with carriage returns
 * (tqdm, the trainer's own bar). Shown raw, a bar is thousands of copies of itself and colours
 * are "[31m" litter. `Terminal` consumes the output in chunks (cut anywhere, even inside an escape
 * sequence) the way a terminal does: `\r` goes back to the line's start and what follows
 * overwrites it, `\b` steps back, ESC[K erases to the line's end, SGR sets colours (30-37,
 * 90-97, 39), bold (1, 22) and resets (0); other escape sequences and control characters are
 * dropped. Each line is a list of segments `{ text, cls }`, `cls` being CSS classes
 * (`ansi-c<0-15>`, `ansi-bold`): the page builds text nodes from them, never HTML.
 *
 * Only the last `maxLines` lines are kept (`dropped` counts the others); `dirtyFrom` is the
 * absolute number of the first line changed since `takeDirty()`, so a view redraws only those.
 */

const ESC = '\u001b';
const MAX_PENDING = 64; // an escape sequence longer than this is not one: shown as text

export class Terminal {
  constructor({ maxLines = 2000 } = {}) {
    this.maxLines = maxLines;
    this.clear();
  }

  clear() {
    this.rows = [{ chars: [], styles: [] }]; // the last row is the one being written
    this.dropped = 0; // lines removed from the front
    this.col = 0;
    this.style = { fg: null, bold: false };
    this.pending = ''; // an escape sequence cut by the chunk's end
    this.dirtyFrom = 0;
  }

  /** Feed the next chunk of output. */
  write(chunk) {
    const text = this.pending + chunk;
    this.pending = '';
    let row = this.rows[this.rows.length - 1];
    this.touch(this.rows.length - 1);
    for (let i = 0; i < text.length; i++) {
      const c = text[i];
      if (c === '\n') {
        row = { chars: [], styles: [] };
        this.rows.push(row);
        this.col = 0;
      } else if (c === '\r') {
        this.col = 0;
      } else if (c === '\b') {
        this.col = Math.max(0, this.col - 1);
      } else if (c === ESC) {
        const end = escapeEnd(text, i);
        if (end < 0) {
          if (text.length - i <= MAX_PENDING) {
            this.pending = text.slice(i);
            break;
          }
          continue; // a lone ESC: dropped
        }
        this.escape(text.slice(i, end + 1), row);
        i = end;
      } else if (c === '\t' || c >= ' ') {
        if (c === '\u007f') continue;
        for (let k = row.chars.length; k < this.col; k++) { row.chars[k] = ' '; row.styles[k] = ''; } // after ESC[2K
        row.chars[this.col] = c;
        row.styles[this.col] = styleClass(this.style);
        this.col += 1;
      }
    }
    this.trim();
  }

  escape(seq, row) {
    if (seq[1] !== '[') return; // OSC titles, charset switches: nothing to show
    const final = seq[seq.length - 1];
    const params = seq.slice(2, -1);
    if (final === 'm') this.style = applySgr(this.style, params);
    else if (final === 'K') {
      const mode = params === '' ? 0 : Number(params);
      if (mode === 0) { row.chars.length = this.col; row.styles.length = this.col; }
      else if (mode === 2) { row.chars.length = 0; row.styles.length = 0; }
    }
  }

  touch(index) {
    const absolute = this.dropped + index;
    if (absolute < this.dirtyFrom) this.dirtyFrom = absolute;
  }

  trim() {
    const over = this.rows.length - this.maxLines;
    if (over > 0) {
      this.rows.splice(0, over);
      this.dropped += over;
      if (this.dirtyFrom < this.dropped) this.dirtyFrom = this.dropped;
    }
  }

  /** The absolute number of the first line changed since the last call; then nothing is dirty. */
  takeDirty() {
    const from = this.dirtyFrom;
    this.dirtyFrom = this.dropped + this.rows.length - 1; // the open row changes with the next write
    return from;
  }

  /** Lines as segments; the open last row is left out while empty. */
  get lineCount() {
    const last = this.rows[this.rows.length - 1];
    return this.rows.length - (last.chars.length === 0 ? 1 : 0);
  }

  /** Segments of line `absolute` (counting dropped lines). */
  line(absolute) {
    const row = this.rows[absolute - this.dropped];
    return row ? segments(row) : [];
  }

  /** The plain text of every kept line, joined by newlines. */
  text() {
    const out = [];
    for (let i = 0; i < this.lineCount; i++) out.push(this.rows[i].chars.join(''));
    return out.join('\n');
  }
}

/** Where the escape sequence starting at `i` ends (its last index), or -1 if it is cut off. */
function escapeEnd(text, i) {
  const kind = text[i + 1];
  if (kind === undefined) return -1;
  if (kind === '[') {
    for (let j = i + 2; j < text.length && j < i + MAX_PENDING; j++) {
      const code = text.charCodeAt(j);
      if (code >= 0x40 && code <= 0x7e) return j;
    }
    return -1;
  }
  if (kind === ']') { // OSC: ends with BEL or ESC \
    for (let j = i + 2; j < text.length && j < i + MAX_PENDING * 4; j++) {
      if (text[j] === '\u0007') return j;
      if (text[j] === ESC && text[j + 1] === '\\') return j + 1;
    }
    return -1;
  }
  return i + 1; // a two-character sequence (ESC 7, ESC =, ...)
}

/** The style after an SGR sequence's parameters (`"1;31"`). */
export function applySgr(style, params) {
  const codes = params === '' ? [0] : params.split(';').map((p) => (p === '' ? 0 : Number(p)));
  let { fg, bold } = style;
  for (let k = 0; k < codes.length; k++) {
    const n = codes[k];
    if (n === 0) { fg = null; bold = false; }
    else if (n === 1) bold = true;
    else if (n === 22) bold = false;
    else if (n >= 30 && n <= 37) fg = n - 30;
    else if (n >= 90 && n <= 97) fg = n - 90 + 8;
    else if (n === 39) fg = null;
    else if (n === 38 || n === 48) k += codes[k + 1] === 5 ? 2 : codes[k + 1] === 2 ? 4 : 0; // 256/true colour: skipped
  }
  return { fg, bold };
}

function styleClass({ fg, bold }) {
  if (fg === null && !bold) return '';
  return [fg === null ? '' : `ansi-c${fg}`, bold ? 'ansi-bold' : ''].filter(Boolean).join(' ');
}

function segments(row) {
  const out = [];
  for (let i = 0; i < row.chars.length; i++) {
    const cls = row.styles[i] || '';
    const last = out[out.length - 1];
    if (last && last.cls === cls) last.text += row.chars[i];
    else out.push({ text: row.chars[i], cls });
  }
  return out;
}

/** `text` cut around the matches of `needle` (case-insensitive): `[{ text, match }]`. */
export function splitMatches(text, needle) {
  if (!needle) return [{ text, match: false }];
  const out = [];
  const hay = text.toLowerCase();
  const want = needle.toLowerCase();
  let from = 0;
  for (let at = hay.indexOf(want); at >= 0; at = hay.indexOf(want, at + want.length)) {
    if (at > from) out.push({ text: text.slice(from, at), match: false });
    out.push({ text: text.slice(at, at + want.length), match: true });
    from = at + want.length;
  }
  if (from < text.length || !out.length) out.push({ text: text.slice(from), match: false });
  return out;
}
