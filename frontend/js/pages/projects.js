/**
 * The project list: every registered project with its result count, running jobs and last
 * activity, refreshed every few seconds; and a form to register a directory as a project.
 */
import { h } from '../dom.js';
import { api, errorMessage } from '../api.js';
import { link } from '../router.js';
import { poll } from '../data/poller.js';
import { formatRelativeTime } from '../lib/format.js';
import { setCrumbs } from '../components/layout.js';
import { emptyState, errorBox, toast } from '../components/feedback.js';

export function mountProjects(root) {
  setCrumbs([{ label: 'Projects' }]);
  const list = h('div', { class: 'project-list', 'aria-live': 'polite' }, h('p', { class: 'loading' }, 'Loading projects…'));
  const pathInput = h('input', { class: 'input', name: 'path', required: true, placeholder: '/path/to/results', 'aria-label': 'Project directory' });
  const nameInput = h('input', { class: 'input', name: 'name', placeholder: 'name (optional)', 'aria-label': 'Project name' });
  const formError = h('p', { class: 'form-error', role: 'alert' });
  const form = h('form', { class: 'register-form', onSubmit: (e) => register(e) },
    h('label', { class: 'field' }, h('span', {}, 'Directory'), pathInput),
    h('label', { class: 'field' }, h('span', {}, 'Name'), nameInput),
    h('button', { class: 'btn btn-primary', type: 'submit' }, 'Register project'),
    formError);
  root.append(
    h('div', { class: 'page-head' }, h('h1', {}, 'Projects'),
      h('p', { class: 'muted' }, 'A project is a directory; every subdirectory with a “log” file in it is a result.')),
    h('section', { class: 'card', 'aria-label': 'Projects' }, list),
    h('section', { class: 'card card-pad', 'aria-label': 'Register a project' }, h('h2', { class: 'section-title' }, 'Register a project'), form,
      h('p', { class: 'muted small' }, 'Or from a shell: trainui project create -d DIR -n NAME')));

  let last = '';
  async function refresh() {
    try {
      const { projects } = await api('projects');
      const signature = JSON.stringify(projects);
      if (signature !== last) {
        last = signature;
        render(projects);
      }
    } catch (err) {
      last = '';
      list.replaceChildren(errorBox(errorMessage(err), refresh));
    }
  }

  function render(projects) {
    if (!projects.length) {
      list.replaceChildren(emptyState('No projects yet', 'Register the directory your training jobs write their results into.'));
      return;
    }
    const now = Date.now() / 1000;
    list.replaceChildren(h('table', { class: 'table projects-table' },
      h('thead', {}, h('tr', {}, ['Name', 'Path', 'Results', 'Running', 'Last activity'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, projects.map((p) => h('tr', { dataset: { pid: String(p.id) } },
        h('td', {}, h('a', { class: 'project-link', href: link(`projects/${p.id}`) }, p.name)),
        h('td', { class: 'mono small path', title: p.path }, p.path),
        // data-label names a cell where the header row is not shown (a phone: one card per project).
        h('td', { class: 'num', dataset: { label: 'results' } }, String(p.result_count ?? 0)),
        h('td', { class: 'num', dataset: { label: 'running' } }, p.running_count ? h('span', { class: 'badge badge-running' }, `${p.running_count} running`) : h('span', { class: 'muted' }, '0')),
        h('td', { class: 'nowrap' }, formatRelativeTime(p.last_activity, now)))))));
  }

  async function register(e) {
    e.preventDefault();
    formError.replaceChildren();
    const body = { path: pathInput.value.trim() };
    if (nameInput.value.trim()) body.name = nameInput.value.trim();
    try {
      const { project } = await api('projects', { method: 'POST', body });
      toast(`Registered ${project.name}`, 'success');
      pathInput.value = '';
      nameInput.value = '';
      await refresh();
    } catch (err) {
      formError.replaceChildren(errorMessage(err));
    }
  }

  const stop = poll(refresh, 3000);
  return stop;
}
