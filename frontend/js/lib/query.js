/**
 * The search box's query language (pure): `lr>0.01 optimizer=adam status=running name~sweep`.
 *
 * A query is terms separated by spaces; a run matches when it matches every term.
 *   key=value  key!=value     equal / not equal (numbers as numbers, text ignoring case)
 *   key>n  key>=n  key<n  key<=n   compare with a number
 *   key~text   key!~text      contains / does not contain (ignoring case)
 *   tag=NAME  tag~part         has the tag NAME / a tag containing part (ignoring case);
 *   tag!=NAME tag!~part        has no such tag (a run without tags matches these)
 *   word                      the name, path, status, a tag or an arg ("k=v") contains the word
 * Quotes keep spaces in a value: `name~"my sweep"`. A key is `name`, `status`, `path`, `id`, an
 * arg or a metric (its last value), looked up in that order; `arg:lr` / `metric:lr` say which
 * one where both exist. A run that lacks the key matches only `!=` and `!~`.
 *
 * A term that cannot be understood (no value, a comparison with a word, a key no run has) is an
 * error with its position, shown under the box; the other terms still apply.
 */
import { columnValue } from './columns.js';
import { formatArg } from './format.js';

const OPERATORS = ['>=', '<=', '!=', '!~', '>', '<', '=', '~'];
const NUMERIC = new Set(['>', '>=', '<', '<=']);
const BASE_KEYS = { name: 'name', status: 'status', path: 'path', id: 'id', tag: 'tag', tags: 'tag' };

/** Split into raw terms with their offsets; quotes group spaces. Returns {tokens, errors}. */
function tokenize(text) {
  const tokens = [];
  const errors = [];
  let i = 0;
  while (i < text.length) {
    while (i < text.length && /\s/.test(text[i])) i++;
    if (i >= text.length) break;
    const start = i;
    let raw = '';
    let quoted = false;
    while (i < text.length && !/\s/.test(text[i])) {
      if (text[i] === '"') {
        const close = text.indexOf('"', i + 1);
        if (close < 0) {
          errors.push({ start, end: text.length, text: text.slice(start), message: 'a quote is not closed' });
          raw = null;
          i = text.length;
          break;
        }
        raw += text.slice(i + 1, close);
        quoted = true;
        i = close + 1;
      } else {
        raw += text[i];
        i++;
      }
    }
    if (raw !== null) tokens.push({ raw, quoted, start, end: i, text: text.slice(start, i) });
  }
  return { tokens, errors };
}

function findOperator(raw) {
  let best = null;
  for (const op of OPERATORS) {
    const at = raw.indexOf(op);
    if (at >= 0 && (best === null || at < best.at || (at === best.at && op.length > best.op.length))) best = { op, at };
  }
  return best;
}

/** Which column a key names: a base field, then an arg, then a metric; null when none has it. */
function resolveKey(key, { args, metrics }) {
  if (key in BASE_KEYS) return BASE_KEYS[key];
  if (key.startsWith('arg:') && args.has(key.slice(4))) return key;
  if (key.startsWith('metric:') && metrics.has(key.slice(7))) return key;
  if (args.has(key)) return `arg:${key}`;
  if (metrics.has(key)) return `metric:${key}`;
  return null;
}

/**
 * Parse `text`; `keys` = {args, metrics} (iterables of the keys the runs have) to check keys.
 * Returns {terms, errors}: a term is {column, op, value, number} or {word}; an error is
 * {start, end, text, message}.
 */
export function parseQuery(text, keys = { args: [], metrics: [] }) {
  const known = { args: new Set(keys.args), metrics: new Set(keys.metrics) };
  const { tokens, errors } = tokenize(String(text ?? ''));
  const terms = [];
  for (const token of tokens) {
    const found = token.quoted && !token.text.replace(/"[^"]*"/g, '').match(/[<>=!~]/) ? null : findOperator(token.raw);
    const fail = (message) => errors.push({ start: token.start, end: token.end, text: token.text, message });
    if (!found) {
      terms.push({ word: token.raw.toLowerCase() });
      continue;
    }
    const key = token.raw.slice(0, found.at);
    const value = token.raw.slice(found.at + found.op.length);
    if (key === '') {
      fail(`a key is needed before "${found.op}" (e.g. lr${found.op}${value || '0.01'})`);
      continue;
    }
    if (value === '' && !token.quoted) {
      fail(`a value is needed after "${key}${found.op}"`);
      continue;
    }
    const column = resolveKey(key, known);
    if (!column) {
      fail(`no run has a key "${key}"`);
      continue;
    }
    const number = value.trim() !== '' && Number.isFinite(Number(value)) ? Number(value) : null;
    if (column === 'tag' && NUMERIC.has(found.op)) {
      fail(`tags are words: use tag=${value} or tag~${value}`);
      continue;
    }
    if (NUMERIC.has(found.op) && number === null) {
      fail(`"${found.op}" compares with a number, and "${value}" is not one`);
      continue;
    }
    terms.push({ column, op: found.op, value: value.toLowerCase(), number });
  }
  errors.sort((a, b) => a.start - b.start);
  return { terms, errors };
}

function valueOf(result, column) {
  if (column === 'path') return result.path;
  if (column === 'id') return result.id;
  return columnValue(result, column);
}

function text(v) {
  return (typeof v === 'string' ? v : formatArg(v)).toLowerCase();
}

/** A tag term: a run's tags are a set, so `=`/`~` ask for one that matches, `!=`/`!~` for none. */
function matchesTags(result, { op, value }) {
  const tags = (Array.isArray(result.tags) ? result.tags : []).map((t) => String(t).toLowerCase());
  const contains = op === '~' || op === '!~';
  const hit = tags.some((t) => (contains ? t.includes(value) : t === value));
  if (op === '=' || op === '~') return hit;
  if (op === '!=' || op === '!~') return !hit;
  return false;
}

function matchesTerm(result, term) {
  if (term.column === 'tag') return matchesTags(result, term);
  if (term.word !== undefined) {
    const hay = [result.name, result.path, result.status, ...(Array.isArray(result.tags) ? result.tags : []), ...Object.entries(result.args || {}).map(([k, v]) => `${k}=${text(v)}`)];
    return hay.some((s) => s !== undefined && s !== null && String(s).toLowerCase().includes(term.word));
  }
  const v = valueOf(result, term.column);
  const missing = v === undefined || v === null;
  const { op, value, number } = term;
  if (op === '!=') return missing || (typeof v === 'number' && number !== null ? v !== number : text(v) !== value);
  if (op === '!~') return missing || !text(v).includes(value);
  if (missing) return false;
  if (op === '=') return typeof v === 'number' && number !== null ? v === number : text(v) === value;
  if (op === '~') return text(v).includes(value);
  if (typeof v !== 'number') return false;
  return { '>': v > number, '>=': v >= number, '<': v < number, '<=': v <= number }[op];
}

/** Whether `result` matches every term of a parsed query. */
export function matchesQuery(result, parsed) {
  return parsed.terms.every((term) => matchesTerm(result, term));
}
