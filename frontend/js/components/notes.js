/**
 * A run's notes: markdown rendered safely (lib/markdown.js parses a small subset into plain
 * nodes, built here with `h` as text nodes and a few elements: nothing in a note is ever HTML),
 * and an editor with a live preview: the result page's Notes card, and the same card in a dialog
 * for the results table. Links are http(s) only and open in a new tab without the opener.
 */
import { h } from '../dom.js';
import { errorMessage } from '../api.js';
import { parseMarkdown } from '../lib/markdown.js';
import { toast } from './feedback.js';

const MAX_NOTES_CHARS = 65536; // the server's limit (trainui/protocol)

function inline(nodes) {
  return nodes.map((n) => {
    if (typeof n === 'string') return n;
    if (n.type === 'code') return h('code', {}, n.text);
    if (n.type === 'strong') return h('strong', {}, inline(n.children));
    if (n.type === 'em') return h('em', {}, inline(n.children));
    if (n.type === 'link') return h('a', { href: n.href, target: '_blank', rel: 'noopener noreferrer nofollow' }, inline(n.children));
    return '';
  });
}

/** The notes as DOM: a div of headings, paragraphs, lists and code blocks. */
export function renderNotes(source) {
  const blocks = parseMarkdown(source).map((b) => {
    if (b.type === 'heading') return h(`h${Math.min(6, b.level + 2)}`, { class: 'notes-heading' }, inline(b.children));
    if (b.type === 'list') return h(b.ordered ? 'ol' : 'ul', {}, b.items.map((item) => h('li', {}, inline(item))));
    if (b.type === 'code') return h('pre', { class: 'mono small' }, h('code', {}, b.text));
    return h('p', {}, inline(b.children));
  });
  return h('div', { class: 'notes-body' }, blocks);
}

/**
 * The notes card of a result page: the rendered notes and an Edit button; editing shows a
 * textarea beside its preview, saved with `save(text)` (a promise; a refusal keeps the editor).
 */
export class NotesCard {
  constructor({ save, onClose = () => {} }) {
    this.save = save;
    this.onClose = onClose;
    this.notes = '';
    this.editing = false;
    this.body = h('div', { class: 'notes-view' });
    this.editButton = h('button', { class: 'btn btn-small', type: 'button', onClick: () => this.edit() }, 'Edit');
    this.el = h('section', { class: 'card card-pad notes-card', 'aria-label': 'Notes' },
      h('div', { class: 'toolbar' }, h('h2', { class: 'section-title' }, 'Notes'), h('span', { class: 'spacer' }), this.editButton),
      this.body);
  }

  update(notes) {
    if (this.editing || (notes === this.notes && this.body.childNodes.length)) return;
    this.notes = notes || '';
    this.body.replaceChildren(this.notes ? renderNotes(this.notes)
      : h('p', { class: 'muted small' }, 'No notes. Edit to describe this run (markdown), or give trainui.Run(notes=...).'));
  }

  edit() {
    this.editing = true;
    this.editButton.hidden = true;
    const preview = h('div', { class: 'notes-preview', 'aria-label': 'Preview' }, renderNotes(this.notes));
    const count = h('span', { class: 'muted small' });
    const area = h('textarea', { class: 'input notes-input', rows: '8', 'aria-label': 'Notes (markdown)', value: this.notes,
      maxlength: String(MAX_NOTES_CHARS), spellcheck: 'true' });
    const refresh = () => {
      preview.replaceChildren(renderNotes(area.value));
      count.replaceChildren(`${area.value.length.toLocaleString()} / ${MAX_NOTES_CHARS.toLocaleString()}`);
    };
    area.addEventListener('input', refresh);
    const saveButton = h('button', { class: 'btn btn-small btn-primary', type: 'button' }, 'Save');
    const cancel = h('button', { class: 'btn btn-small', type: 'button', onClick: () => this.close() }, 'Cancel');
    saveButton.addEventListener('click', async () => {
      saveButton.disabled = true;
      try {
        await this.save(area.value);
        this.close(area.value);
      } catch (err) {
        saveButton.disabled = false;
        toast(`Notes not saved: ${errorMessage(err)}`, 'error');
      }
    });
    area.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') this.close();
      if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) saveButton.click();
    });
    refresh();
    this.body.replaceChildren(h('div', { class: 'notes-edit' },
      h('div', { class: 'notes-edit-cols' }, area, preview),
      h('div', { class: 'toolbar' }, h('span', { class: 'muted small' }, 'Markdown: # headings, **bold**, *italic*, `code`, - lists, [links](https://...)'),
        h('span', { class: 'spacer' }), count, cancel, saveButton)));
    area.focus();
  }

  close(saved) {
    this.editing = false;
    this.editButton.hidden = false;
    if (saved !== undefined) this.notes = saved;
    this.body.replaceChildren();
    this.update(this.notes);
    this.onClose();
  }
}

/**
 * Edit the notes of run `name` in a modal dialog (the results table's Notes button): `load()`
 * gives the whole notes (a list carries only their first line), `save(text)` stores them;
 * `onDone()` runs when the dialog closes, saved or not.
 */
export async function openNotesDialog({ name, load, save, onDone = () => {} }) {
  const dialog = h('dialog', { class: 'notes-dialog', 'aria-label': `Notes of ${name}` });
  let closed = false;
  const finish = () => {
    if (closed) return;
    closed = true;
    if (dialog.open) dialog.close();
    dialog.remove();
    onDone();
  };
  const card = new NotesCard({ save, onClose: finish });
  dialog.append(h('p', { class: 'muted small' }, `Notes of ${name}`), card.el);
  dialog.addEventListener('close', finish);
  document.body.append(dialog);
  dialog.showModal();
  try {
    card.update(await load());
  } catch (err) {
    toast(`Cannot read the notes: ${errorMessage(err)}`, 'error');
    finish();
    return;
  }
  card.edit();
}
