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
  const finish = () => {
    if (finished) return;
    finished = true;
    container.replaceChildren(...previous);
    onDone();
  };
  const commit = async () => {
    const value = input.value.trim();
    if (!value || value === currentValue) return finish();
    input.disabled = true;
    try {
      await save(value);
      finish();
    } catch (err) {
      input.disabled = false;
      input.focus();
      toast(`Rename failed: ${errorMessage(err)}`, 'error');
    }
  };
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      commit();
    } else if (e.key === 'Escape') {
      e.preventDefault();
      finish();
    }
  });
  input.addEventListener('blur', () => {
    if (!input.disabled) commit();
  });
  container.replaceChildren(input);
  input.focus();
  input.select();
}
