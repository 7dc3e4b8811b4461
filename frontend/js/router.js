/**
 * History-API routing relative to the base URL: "" (project list), "projects/<id>",
 * "results/<id>". Same-origin link clicks are handled here so pages switch without a reload
 * (and pollers of the old page are stopped by its cleanup function).
 */

export const BASE_PATH = new URL(document.baseURI).pathname.replace(/\/?$/, '/');

const ROUTES = [
  { pattern: /^$/, page: 'projects' },
  { pattern: /^projects\/(\d+)$/, page: 'project' },
  { pattern: /^results\/(\d+)$/, page: 'result' },
];

let renderCurrent = () => {};

/** The route of the current location: {page, id} or {page: 'not-found'}. */
export function currentRoute() {
  const path = location.pathname.startsWith(BASE_PATH)
    ? location.pathname.slice(BASE_PATH.length).replace(/\/+$/, '')
    : null;
  for (const route of ROUTES) {
    const m = path === null ? null : route.pattern.exec(path);
    if (m) return { page: route.page, id: m[1] ? Number(m[1]) : null };
  }
  return { page: 'not-found', path: location.pathname };
}

/** An href for an app path ("projects/3"), absolute so it works from any page. */
export function link(path, search = '') {
  return BASE_PATH + path + (search ? `?${search.replace(/^\?/, '')}` : '');
}

/** Go to `href` (absolute or relative to the base) and render it. */
export function navigate(href, { replace = false } = {}) {
  const url = new URL(href, document.baseURI);
  history[replace ? 'replaceState' : 'pushState'](null, '', url);
  renderCurrent();
}

/** Change only the query string of the current page, without re-rendering (view state). */
export function replaceSearch(search) {
  const url = new URL(location.href);
  url.search = search ? `?${search}` : '';
  if (url.href !== location.href) history.replaceState(history.state, '', url);
}

function isAppLink(a, event) {
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return false;
  if (!a || (a.target && a.target !== '_self') || a.hasAttribute('download')) return false;
  if (a.getAttribute('href').startsWith('#')) return false;
  const url = new URL(a.href, document.baseURI);
  if (url.origin !== location.origin || !url.pathname.startsWith(BASE_PATH)) return false;
  const rest = url.pathname.slice(BASE_PATH.length);
  return !rest.startsWith('static/') && !rest.startsWith('api/');
}

/** Start routing: `render(route)` is called for the first page and on every navigation. */
export function startRouter(render) {
  renderCurrent = () => render(currentRoute());
  document.addEventListener('click', (event) => {
    const a = event.target.closest?.('a[href]');
    if (!isAppLink(a, event)) return;
    event.preventDefault();
    if (a.href !== location.href) navigate(a.href);
  });
  window.addEventListener('popstate', renderCurrent);
  renderCurrent();
}
