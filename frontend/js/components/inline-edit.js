/**
 * Rename in place: a text input replaces the label until Enter (save) or Escape (cancel).
 * `save(newName)` may reject; the error is shown and the input stays open.
 */
import { h } from '../dom.js';
import { errorMessage } from '../api.js';
import { toast } from './feedback.js';

export function startInlineEdit(container, currentValue, save, { onDone = () => {}, label = 'New name' } = {}) {
  const previous = [...container.childNodes];
  const input = h('input', { class: 'input input-inline', type: 'text', value: currentValue, 'aria-label': label });
  let finished = false;
  /** Put the label back: the saved value, or what was there on cancel (unless the page re-rendered it). */
  const finish = (saved) => {
    if (finished) return;
    finished = true;
    if (input.isConnected) {
      if (saved === undefined) container.replaceChildren(...previous);
      else container.replaceChildren(saved);
    }
    onDone();
  };
  const commit = async () => {
    const value = input.value.trim();
    if (!value || value === currentValue) return finish();
    input.disabled = true;
    try {
      await save(value);
      finish(value);
    } catch (err) {
      input.disabled = false;
      input.focus();
      toast(`Rename failed: ${errorMessage(err)}`, 'error');
    }
  };
  onEnterOrEscape(input, commit, () => finish());
  input.addEventListener('blur', () => {
    if (!input.disabled) commit();
  });
  container.replaceChildren(input);
  input.focus();
  input.select();
}

/** Enter calls `commit`, Escape `cancel` (each instead of the key's default). */
export function onEnterOrEscape(input, commit, cancel) {
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      commit();
    } else if (e.key === 'Escape') {
      e.preventDefault();
      cancel();
    }
  });
}
