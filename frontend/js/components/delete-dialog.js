/**
 * "Delete this run?": a modal <dialog> in the app's own look (not window.confirm, which cannot
 * say what goes, offer the files, or show why the server refused). It names the run, says what
 * is deleted, offers "also delete its files on disk (path)" for a run read from a directory, and
 * keeps the server's refusal on screen (running, files still there, a directory outside its
 * project) so the user can change the choice and try again.
 */
import { h, icon, ICONS } from '../dom.js';
import { api, errorMessage, query } from '../api.js';

/** Resolves to the server's {id, name, path, files_deleted} once deleted, or null when cancelled. */
export function confirmDeleteResult(result) {
  return new Promise((resolve) => {
    let answer = null;
    const fromDirectory = result.source !== 'http';
    const files = h('input', { type: 'checkbox', name: 'files', disabled: !fromDirectory });
    const force = h('input', { type: 'checkbox', name: 'force' });
    const problem = h('p', { class: 'delete-problem small', role: 'alert' });
    const cancel = h('button', { class: 'btn', type: 'button', onClick: () => dialog.close() }, 'Cancel');
    const confirm = h('button', { class: 'btn btn-danger', type: 'button', onClick: remove }, 'Delete');
    const dialog = h('dialog', { class: 'lightbox confirm-dialog', 'aria-label': `Delete ${result.name}` },
      h('header', { class: 'lightbox-head' }, h('h2', { class: 'lightbox-title' }, 'Delete run ', h('span', { class: 'mono' }, `“${result.name}”`), '?'),
        h('span', { class: 'spacer' }),
        h('button', { class: 'btn btn-small btn-icon btn-ghost', type: 'button', 'aria-label': 'Close', title: 'Close (Esc)', onClick: () => dialog.close() }, icon(ICONS.close))),
      h('div', { class: 'confirm-body' },
        h('p', {}, 'Its curves, commands, snapshot list and images go from trainui. This cannot be undone. ',
          h('span', { class: 'muted' }, 'To only hide it, unregister it instead.')),
        fromDirectory
          ? h('label', { class: 'field-inline' }, files, h('span', {}, 'Also delete its files on disk ', h('span', { class: 'mono small' }, `(${result.path})`)))
          : h('p', { class: 'muted small' }, 'Shipped over HTTP: its files are on the job\'s machine and stay there.'),
        result.status === 'running'
          ? h('label', { class: 'field-inline' }, force, h('span', {}, 'It is running: delete it anyway (stop it first if you can; its job may write its directory again)'))
          : null,
        problem),
      h('footer', { class: 'lightbox-foot confirm-foot' }, h('span', { class: 'spacer' }), cancel, confirm));

    async function remove() {
      confirm.disabled = true;
      problem.replaceChildren();
      try {
        const params = query({ files: files.checked ? 'true' : null, force: force.checked ? 'true' : null });
        ({ deleted: answer } = await api(`results/${result.id}${params}`, { method: 'DELETE' }));
        dialog.close();
      } catch (err) {
        problem.replaceChildren(errorMessage(err));
        confirm.disabled = false;
      }
    }

    dialog.addEventListener('close', () => {
      dialog.remove();
      resolve(answer);
    });
    document.body.append(dialog);
    dialog.showModal();
    cancel.focus();
  });
}
