// The job's console as a terminal shows it: colours as classes, \r progress bars folded.
import test from 'node:test';
import assert from 'node:assert/strict';
import { Terminal, applySgr, splitMatches } from '../../frontend/js/lib/terminal.js';

function lines(term) {
  return Array.from({ length: term.lineCount }, (_, i) => term.line(term.dropped + i));
}

test('SGR colours, bold and reset become classes; the text stays plain', () => {
  const t = new Terminal();
  t.write('plain \u001b[31mred\u001b[0m \u001b[1;92mbold bright green\u001b[22m thin\u001b[39m back\n');
  assert.deepEqual(lines(t), [[
    { text: 'plain ', cls: '' }, { text: 'red', cls: 'ansi-c1' }, { text: ' ', cls: '' },
    { text: 'bold bright green', cls: 'ansi-c10 ansi-bold' }, { text: ' thin', cls: 'ansi-c10' }, { text: ' back', cls: '' },
  ]]);
  assert.deepEqual(applySgr({ fg: 3, bold: true }, ''), { fg: null, bold: false });
  assert.deepEqual(applySgr({ fg: null, bold: false }, '38;5;196;1'), { fg: null, bold: true });
  assert.deepEqual(applySgr({ fg: null, bold: false }, '38;2;1;2;3;34'), { fg: 4, bold: false });
});

test('a carriage-return progress bar shows its last state, overwriting as a terminal does', () => {
  const t = new Terminal();
  t.write('epoch 1\n\rloading 0%\rloading 50%\rloading 100%\nabcdef\rXY\nwin\r\n');
  assert.equal(t.text(), 'epoch 1\nloading 100%\nXYcdef\nwin');
  t.write('12%|##   |\r');
  t.write('99%|#####|\r\u001b[K');
  assert.equal(t.text(), 'epoch 1\nloading 100%\nXYcdef\nwin');  // erased to the end: an empty open line
  t.write('done\u001b[2K!\n');
  assert.equal(t.text(), 'epoch 1\nloading 100%\nXYcdef\nwin\n    !');
  t.write('ab\bc\n');
  assert.equal(t.text().split('\n').pop(), 'ac');
});

test('chunks cut anywhere, even inside an escape sequence, give the same screen', () => {
  const whole = 'a\u001b[1;31mred\u001b[0m\rb\u001b]0;title\u0007x\n';
  const once = new Terminal();
  once.write(whole);
  for (let cut = 0; cut <= whole.length; cut++) {
    const t = new Terminal();
    t.write(whole.slice(0, cut));
    t.write(whole.slice(cut));
    assert.deepEqual(lines(t), lines(once), `cut at ${cut}`);
  }
  assert.equal(once.text(), 'bxed');
  assert.deepEqual(lines(once)[0], [{ text: 'bx', cls: '' }, { text: 'ed', cls: 'ansi-c1 ansi-bold' }]);
});

test('control characters and hostile text stay text; only the last maxLines lines are kept', () => {
  const t = new Terminal({ maxLines: 3 });
  t.write('<script>alert(1)</script>\u0000\u0007\n1\n2\n3\n4\n');
  assert.equal(t.text(), '3\n4');
  assert.equal(t.dropped, 3);
  assert.equal(t.lineCount, 2);
  const u = new Terminal();
  u.write('<img src=x onerror=alert(1)>\u0000\n');
  assert.equal(u.text(), '<img src=x onerror=alert(1)>');
});

test('takeDirty says from which line to redraw', () => {
  const t = new Terminal({ maxLines: 100 });
  t.write('a\nb\nprogress 1');
  assert.equal(t.takeDirty(), 0);
  t.write('\rprogress 2');
  assert.equal(t.takeDirty(), 2);  // only the open line changed
  t.write('\nc\n');
  assert.equal(t.takeDirty(), 2);
  assert.equal(t.text(), 'a\nb\nprogress 2\nc');
});

test('search matches are split out case-insensitively', () => {
  assert.deepEqual(splitMatches('Loss NaN at nan', 'nan'), [
    { text: 'Loss ', match: false }, { text: 'NaN', match: true }, { text: ' at ', match: false }, { text: 'nan', match: true }]);
  assert.deepEqual(splitMatches('abc', ''), [{ text: 'abc', match: false }]);
  assert.deepEqual(splitMatches('abc', 'x'), [{ text: 'abc', match: false }]);
  assert.deepEqual(splitMatches('', 'x'), [{ text: '', match: false }]);
});
