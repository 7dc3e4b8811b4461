// index.html preloads every module, so the page fetches them at once instead of import by import.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const frontend = new URL('../../frontend/', import.meta.url).pathname;

function modules(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? modules(path) : name.endsWith('.js') ? [relative(frontend, path)] : [];
  });
}

test('every module but the entry is preloaded, and nothing else', () => {
  const html = readFileSync(join(frontend, 'index.html'), 'utf8');
  const preloaded = [...html.matchAll(/<link rel="modulepreload" href="static\/([^"]+)">/g)].map((m) => m[1]).sort();
  const expected = modules(join(frontend, 'js')).filter((m) => m !== 'js/main.js').sort();
  assert.deepEqual(preloaded, expected);
  assert.match(html, /<script type="module" src="static\/js\/main.js"><\/script>/);
});
