/**
 * A run's tags as coloured chips (the colour comes from the tag's text: lib/tags.js), editable:
 * each chip has a remove button, and "+" opens an input that adds the tags typed (space or comma
 * separated) on Enter. Used in the results table and on the result page; the caller saves.
 */
import { h, icon, ICONS } from '../dom.js';
import { errorMessage } from '../api.js';
import { tagHue, tagProblem } from '../lib/tags.js';
import { toast } from './feedback.js';
import { onEnterOrEscape } from './inline-edit.js';

/** One chip: the tag as text (never markup), coloured by its hue. */
export function tagChip(tag, { onRemove = null } = {}) {
  const chip = h('span', { class: 'tag-chip', dataset: { tag }, title: tag }, h('span', { class: 'tag-text' }, tag));
  chip.style.setProperty('--tag-hue', String(tagHue(tag))); // a custom property: not settable as style.x
  if (onRemove) {
    chip.append(h('button', { class: 'tag-remove', type: 'button', 'aria-label': `Remove tag ${tag}`, title: `Remove ${tag}`,
      onClick: (e) => {
        e.stopPropagation();
        onRemove(tag);
      } }, icon(ICONS.close)));
  }
  return chip;
}

/**
 * The chips of `tags` with remove buttons and an add button. `save({add, remove})` returns a
 * promise (the API call); a refusal is shown and the input stays open. `onEditing(true|false)`
 * tells the caller an input is open (the table holds its live redraws meanwhile).
 */
export function tagEditor(tags, { save, label = 'run', onEditing = () => {} }) {
  const box = h('span', { class: 'tag-editor' });
  const run = async (change) => {
    try {
      await save(change);
      return true;
    } catch (err) {
      toast(`Tags not saved: ${errorMessage(err)}`, 'error');
      return false;
    }
  };
  const addButton = h('button', { class: 'btn btn-tiny btn-ghost tag-add', type: 'button', 'aria-label': `Add a tag to ${label}`,
    title: 'Add tags' }, icon(ICONS.plus));
  addButton.addEventListener('click', (e) => {
    e.stopPropagation();
    openInput();
  });
  function openInput() {
    const input = h('input', { class: 'input input-inline tag-input', type: 'text', placeholder: 'tag', spellcheck: 'false',
      'aria-label': `New tags for ${label} (space separated)`, maxlength: '400' });
    let done = false;
    const close = () => {
      if (done) return;
      done = true;
      input.replaceWith(addButton);
      onEditing(false);
    };
    const commit = async () => {
      const typed = input.value.split(/[\s,]+/).filter(Boolean);
      if (!typed.length) return close();
      const bad = typed.map((t) => [t, tagProblem(t)]).find(([, p]) => p);
      if (bad) {
        toast(`"${bad[0]}": ${bad[1]}`, 'error');
        input.focus();
        return;
      }
      input.disabled = true;
      if (await run({ add: typed })) close();
      else {
        input.disabled = false;
        input.focus();
      }
    };
    onEnterOrEscape(input, commit, close);
    input.addEventListener('blur', () => {
      if (!input.disabled && !input.value.trim()) close();
    });
    onEditing(true);
    addButton.replaceWith(input);
    input.focus();
  }
  box.append(...(tags || []).map((t) => tagChip(t, { onRemove: (tag) => run({ remove: [tag] }) })), addButton);
  return box;
}
