/**
 * The project page's "Views" menu: save the page's current view under a name, and list, open,
 * rename, update or delete the project's saved views. Views are stored by the server (shared by
 * everyone using it, kept across restarts); a view's link is `?view=<id>`, which `openSavedView`
 * turns into the page's own URL state, so opening one reproduces exactly what was saved.
 */
import { h } from '../dom.js';
import { api, errorMessage } from '../api.js';
import { link, replaceSearch } from '../router.js';
import { encodeView } from '../state/url.js';
import { fromSavedState, savedViewId, toSavedState } from '../state/saved-views.js';
import { closeOnEscape } from './metric-picker.js';
import { startInlineEdit } from './inline-edit.js';
import { notFoundPage, toast } from './feedback.js';

export class ViewsMenu {
  /** `currentView()` is the page's view now (state/url.js). */
  constructor({ projectId, currentView }) {
    this.projectId = projectId;
    this.currentView = currentView;
    this.nameInput = h('input', { class: 'input input-small', type: 'text', maxlength: '255', placeholder: 'Name of this view',
      'aria-label': 'Name of the view to save' });
    this.status = h('p', { class: 'small muted views-status', role: 'status' });
    this.list = h('ul', { class: 'views-list', 'aria-label': 'Saved views' });
    const form = h('form', { class: 'views-save', onSubmit: (e) => {
      e.preventDefault();
      this.save();
    } }, this.nameInput, h('button', { class: 'btn btn-small btn-primary', type: 'submit' }, 'Save view'));
    this.el = h('details', { class: 'menu views-menu', onToggle: () => this.el.open && this.load() },
      h('summary', { class: 'btn btn-small', title: 'Save this view of the project, or open a saved one' }, 'Views'),
      h('div', { class: 'menu-panel menu-wide menu-right' }, form, this.status, this.list));
    closeOnEscape(this.el);
  }

  path() {
    return `projects/${this.projectId}/views`;
  }

  async load() {
    try {
      const { views } = await api(this.path());
      this.render(views);
    } catch (err) {
      this.status.replaceChildren(`Could not list the saved views: ${errorMessage(err)}`);
    }
  }

  render(views) {
    this.status.replaceChildren(views.length ? '' : 'No saved views yet: name this one and save it.');
    this.list.replaceChildren(...views.map((v) => this.row(v)));
  }

  row(v) {
    const name = h('a', { class: 'menu-item views-open', href: link(`projects/${this.projectId}`, `view=${v.id}`),
      title: `Open "${v.name}"` }, v.name);
    const cell = h('span', { class: 'views-name' }, name);
    const button = (label, title, onClick) => h('button', { class: 'btn btn-tiny btn-ghost', type: 'button', title,
      'aria-label': `${label} "${v.name}"`, onClick }, label);
    const remove = button('Delete', 'Delete this saved view', async () => {
      if (remove.dataset.armed !== '1') {
        remove.dataset.armed = '1';
        remove.textContent = 'Confirm delete';
        return;
      }
      await this.act(() => api(`${this.path()}/${v.id}`, { method: 'DELETE' }), `Deleted the view "${v.name}".`);
    });
    return h('li', { class: 'views-row', dataset: { id: String(v.id) } }, cell,
      button('Rename', 'Rename this saved view', () => startInlineEdit(cell, v.name, async (next) => {
        await api(`${this.path()}/${v.id}`, { method: 'PATCH', body: { name: next } });
        await this.load();
      }, { label: 'New name of the view' })),
      button('Update', 'Store the current view under this name', () => this.act(
        () => api(`${this.path()}/${v.id}`, { method: 'PATCH', body: { state: toSavedState(this.currentView()) } }),
        `The view "${v.name}" now holds this view.`)),
      remove);
  }

  async save() {
    const name = this.nameInput.value.trim();
    if (!name) {
      this.status.replaceChildren('Give the view a name first.');
      this.nameInput.focus();
      return;
    }
    const ok = await this.act(() => api(this.path(), { method: 'POST', body: { name, state: toSavedState(this.currentView()) } }),
      `Saved the view "${name}".`);
    if (ok) this.nameInput.value = '';
  }

  /** Run one API call, say how it went, and list the views again. */
  async act(call, success) {
    try {
      await call();
      toast(success, 'success');
      await this.load();
      return true;
    } catch (err) {
      this.status.replaceChildren(errorMessage(err));
      return false;
    }
  }
}

/**
 * Mount a project page for `?view=<id>`: fetch the saved view, put its state in the URL, then
 * `mount(root, route, {exact: true})` (the state as saved, not merged with this browser's last
 * settings). Without `view=` in the URL it mounts at once. Returns the page's cleanup.
 */
export function withSavedView(mount, root, route) {
  const id = savedViewId(location.search);
  if (id === null) return mount(root, route);
  let cleanup = null;
  let gone = false;
  root.replaceChildren(h('p', { class: 'muted' }, 'Opening the saved view…'));
  api(`projects/${route.id}/views/${id}`).then(({ view }) => {
    if (gone) return;
    replaceSearch(encodeView(fromSavedState(view.state)));
    root.replaceChildren();
    cleanup = mount(root, route, { exact: true });
  }, (err) => {
    if (gone) return;
    // the server says which is missing, the project or its view (deleted since the link was made)
    root.replaceChildren(notFoundPage(err.status === 404 ? 'Saved view not found' : 'Could not open the saved view',
      errorMessage(err)),
    h('p', {}, h('a', { href: link(`projects/${route.id}`) }, 'Open the project')));
  });
  return () => {
    gone = true;
    cleanup?.();
  };
}
