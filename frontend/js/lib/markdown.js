/**
 * A run's notes as a small, safe subset of markdown (pure: returns a tree of plain objects that
 * `components/notes.js` turns into DOM through `h`, never through HTML strings).
 *
 * Notes come from training scripts and anyone who can edit a run, so nothing in them is ever
 * markup: every character is text, and only these shapes become elements: `#`..`######`
 * headings, `**bold**`, `*italic*` / `_italic_`, `` `code` ``, fenced code blocks (```),
 * `-`/`*`/`+` and `1.` lists, and links `[text](http(s)://...)` or bare http(s) URLs. A link
 * to anything but http(s) (`javascript:`, `data:`, relative) stays text.
 *
 * Node shapes: {type: 'heading', level, children} | {type: 'paragraph', children} |
 * {type: 'list', ordered, items: [children]} | {type: 'code', text} and, inline,
 * string | {type: 'strong'|'em', children} | {type: 'code', text} | {type: 'link', href, children}.
 */

const SAFE_URL = /^https?:\/\/[^\s<>"'`]+$/i;

/** `href` if it is an absolute http(s) URL that parses, else null. */
export function safeHref(href) {
  const text = String(href ?? '').trim();
  if (!SAFE_URL.test(text)) return null;
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
  } catch {
    return null;
  }
}

/** Blocks of `source`. */
export function parseMarkdown(source) {
  const lines = String(source ?? '').replace(/\r\n?/g, '\n').split('\n');
  const blocks = [];
  let paragraph = [];
  let list = null;
  const flushParagraph = () => {
    if (paragraph.length) blocks.push({ type: 'paragraph', children: parseInline(paragraph.join('\n')) });
    paragraph = [];
  };
  const flushList = () => {
    if (list) blocks.push(list);
    list = null;
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (/^\s*```/.test(line)) {
      flushParagraph();
      flushList();
      const body = [];
      i++;
      while (i < lines.length && !/^\s*```/.test(lines[i])) body.push(lines[i++]);
      blocks.push({ type: 'code', text: body.join('\n') });
      continue;
    }
    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    const bullet = /^\s*([-*+]|\d{1,9}[.)])\s+(.*)$/.exec(line);
    if (heading) {
      flushParagraph();
      flushList();
      blocks.push({ type: 'heading', level: heading[1].length, children: parseInline(heading[2].replace(/\s+#+\s*$/, '')) });
    } else if (bullet) {
      flushParagraph();
      const ordered = /\d/.test(bullet[1]);
      if (list && list.ordered !== ordered) flushList();
      if (!list) list = { type: 'list', ordered, items: [] };
      list.items.push(parseInline(bullet[2]));
    } else if (!line.trim()) {
      flushParagraph();
      flushList();
    } else {
      flushList();
      paragraph.push(line);
    }
  }
  flushParagraph();
  flushList();
  return blocks;
}

const INLINE = [
  { re: /`([^`]+)`/, make: (m) => ({ type: 'code', text: m[1] }) },
  { re: /\[([^\]\n]+)\]\(([^)\s]*)\)/, make: (m) => {
    const href = safeHref(m[2]);
    return href ? { type: 'link', href, children: parseInline(m[1]) } : m[0];
  } },
  { re: /\*\*([^*\n][^\n]*?)\*\*/, make: (m) => ({ type: 'strong', children: parseInline(m[1]) }) },
  { re: /(?<![\w*])[*_]([^*_\s](?:[^\n]*?[^*_\s])?)[*_](?![\w*])/, make: (m) => ({ type: 'em', children: parseInline(m[1]) }) },
  { re: /https?:\/\/[^\s<>"'`)\]]+/i, make: (m) => {
    const href = safeHref(m[0]);
    return href ? { type: 'link', href, children: [m[0]] } : m[0];
  } },
];

/** Inline nodes of `text`: the earliest match of any rule wins, the rest stays text. */
export function parseInline(text) {
  const out = [];
  let rest = String(text ?? '');
  while (rest) {
    let best = null;
    for (const rule of INLINE) {
      const m = rule.re.exec(rest);
      if (m && (best === null || m.index < best.m.index)) best = { m, rule };
    }
    if (!best) {
      out.push(rest);
      break;
    }
    if (best.m.index > 0) out.push(rest.slice(0, best.m.index));
    out.push(best.rule.make(best.m));
    rest = rest.slice(best.m.index + best.m[0].length);
  }
  return out;
}
