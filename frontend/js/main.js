/** Entry point: the page frame, then the router mounts one page at a time. */
import { startRouter } from './router.js';
import { startConnectionIndicator, startThemeToggle, setCrumbs } from './components/layout.js';
import { notFoundPage } from './components/feedback.js';
import { mountProjects } from './pages/projects.js';
import { mountProject } from './pages/project.js';
import { mountResult } from './pages/result.js';

const PAGES = { projects: mountProjects, project: mountProject, result: mountResult };

startThemeToggle();
startConnectionIndicator();

const app = document.getElementById('app');
// With <base href>, "#app" would resolve to the base URL and leave the page: focus instead.
document.querySelector('.skip-link')?.addEventListener('click', (e) => {
  e.preventDefault();
  app.focus();
});
let cleanup = null;

startRouter((route) => {
  if (typeof cleanup === 'function') cleanup();
  app.replaceChildren();
  const mount = PAGES[route.page];
  if (!mount) {
    setCrumbs([{ label: 'Not found' }]);
    app.append(notFoundPage('Page not found', `Nothing lives at ${route.path}.`));
    cleanup = null;
    return;
  }
  cleanup = mount(app, route) || null;
  window.scrollTo(0, 0);
});
