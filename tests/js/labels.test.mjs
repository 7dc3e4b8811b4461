// Tags and notes (pure parts): the tag query terms, a tag's stable colour, and the notes' safe
// markdown subset (nothing in a note becomes markup but the allowed shapes; links are http(s) only).
import test from 'node:test';
import assert from 'node:assert/strict';
import { matchesQuery, parseQuery } from '../../frontend/js/lib/query.js';
import { parseInline, parseMarkdown, safeHref } from '../../frontend/js/lib/markdown.js';
import { tagHue, tagProblem } from '../../frontend/js/lib/tags.js';

const runs = [
  { id: 1, name: 'a', status: 'running', args: { lr: 0.1 }, tags: ['baseline', 'lr:0.1'] },
  { id: 2, name: 'b', status: 'finished', args: { lr: 0.01 }, tags: ['Best', 'ablation/no-aug'] },
  { id: 3, name: 'c', status: 'finished', args: {}, tags: [] },
  { id: 4, name: 'd', status: 'finished', args: {} },
];
const ids = (q) => {
  const parsed = parseQuery(q, { args: ['lr'], metrics: [] });
  assert.deepEqual(parsed.errors, [], `${q}: ${JSON.stringify(parsed.errors)}`);
  return runs.filter((r) => matchesQuery(r, parsed)).map((r) => r.id);
};

test('tag=NAME, tag~part and their negations', () => {
  assert.deepEqual(ids('tag=baseline'), [1]);
  assert.deepEqual(ids('tag=best'), [2]); // ignoring case, as every text term
  assert.deepEqual(ids('tag=base'), []); // equal is the whole tag
  assert.deepEqual(ids('tag~base'), [1]);
  assert.deepEqual(ids('tag~ablation/'), [2]);
  assert.deepEqual(ids('tag!=baseline'), [2, 3, 4]);
  assert.deepEqual(ids('tag!~a'), [3, 4]);
  assert.deepEqual(ids('tags=lr:0.1'), [1]);
  assert.deepEqual(ids('tag=baseline lr>0.05'), [1]);
  assert.deepEqual(ids('ablation'), [2]); // a plain word looks at the tags too
});

test('a tag compared with a number is an error naming the fix', () => {
  const { errors } = parseQuery('tag>1', { args: [], metrics: [] });
  assert.equal(errors.length, 1);
  assert.match(errors[0].message, /tag=1 or tag~1/);
});

test("a tag's colour depends on its text only", () => {
  assert.equal(tagHue('baseline'), tagHue('baseline'));
  assert.notEqual(tagHue('baseline'), tagHue('baseline2'));
  const hues = new Set(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].map(tagHue));
  assert.ok(hues.size >= 7, [...hues]);
  for (const t of ['x', 'lr:0.1', 'ablation/no-aug']) assert.ok(tagHue(t) >= 0 && tagHue(t) < 360);
});

test('the tag rules match the server', () => {
  assert.equal(tagProblem('lr:0.1'), null);
  assert.match(tagProblem('two words'), /no spaces/);
  assert.match(tagProblem('x'.repeat(65)), /at most 64/);
  assert.match(tagProblem(''), /at least one/);
  assert.match(tagProblem('<b>'), /letters, digits/);
});

test('markdown: headings, emphasis, code, lists, links', () => {
  const blocks = parseMarkdown('# Title\n\nSome **bold** and *it* and `x<y`\n\n- one\n- [two](https://example.com/a?b=1)\n\n1. first\n2. second\n\n```\n<b>raw</b>\n```');
  assert.deepEqual(blocks[0], { type: 'heading', level: 1, children: ['Title'] });
  assert.deepEqual(blocks[1].children, ['Some ', { type: 'strong', children: ['bold'] }, ' and ',
    { type: 'em', children: ['it'] }, ' and ', { type: 'code', text: 'x<y' }]);
  assert.equal(blocks[2].type, 'list');
  assert.equal(blocks[2].ordered, false);
  assert.deepEqual(blocks[2].items[1], [{ type: 'link', href: 'https://example.com/a?b=1', children: ['two'] }]);
  assert.equal(blocks[3].ordered, true);
  assert.deepEqual(blocks[4], { type: 'code', text: '<b>raw</b>' });
  assert.deepEqual(parseInline('see http://x.org/p.'), ['see ', { type: 'link', href: 'http://x.org/p.', children: ['http://x.org/p.'] }]);
  assert.deepEqual(parseInline('snake_case_name stays'), ['snake_case_name stays']);
});

test('markdown: only http(s) links; everything else stays text', () => {
  for (const bad of ['javascript:alert(1)', 'JaVaScRiPt:alert(1)', 'data:text/html,<script>', '/relative', 'vbscript:x',
    'java\tscript:alert(1)', '']) assert.equal(safeHref(bad), null, bad);
  assert.deepEqual(parseInline('[click](javascript:alert(1))'), ['[click](javascript:alert(1)', ')']);
  const tree = JSON.stringify(parseMarkdown('<script>alert(1)</script>\n<img src=x onerror=alert(1)>'));
  assert.ok(!tree.includes('"type":"link"'));
  assert.ok(tree.includes('<script>alert(1)</script>')); // as text: the DOM builder makes text nodes of it
});
