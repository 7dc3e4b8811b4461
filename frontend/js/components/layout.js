/**
 * The frame around every page: breadcrumbs, document title, the connection indicator and
 * the theme switch.
 */
import { h, icon, ICONS } from '../dom.js';
import { onConnectionChange } from '../api.js';
import { loadSetting, saveSetting } from '../state/settings.js';

/** crumbs: [{label, href?}]; the last one is the current page. */
export function setCrumbs(crumbs) {
  const nav = document.getElementById('crumbs');
  const items = crumbs.map((c, i) => {
    const last = i === crumbs.length - 1;
    return h('li', {}, c.href && !last ? h('a', { href: c.href }, c.label) : h('span', { 'aria-current': last ? 'page' : null }, c.label));
  });
  nav.replaceChildren(h('ol', {}, items));
  document.title = [...crumbs.map((c) => c.label).reverse(), 'trainui'].join(' · ');
}

const CONNECTION_TEXT = {
  connecting: 'Connecting…',
  online: 'Live',
  offline: 'Offline, retrying…',
  degraded: 'Server error',
};

export function startConnectionIndicator() {
  const el = document.getElementById('connection');
  onConnectionChange((c) => {
    el.dataset.state = c.state;
    el.title = c.message || CONNECTION_TEXT[c.state];
    el.replaceChildren(h('span', { class: 'dot', 'aria-hidden': 'true' }), CONNECTION_TEXT[c.state] || c.state);
  });
}

/** Light / dark: follows the system until the user picks one, then remembers the choice. */
export function startThemeToggle() {
  const button = document.getElementById('theme-toggle');
  const media = window.matchMedia('(prefers-color-scheme: dark)');
  const current = () => loadSetting('theme') || (media.matches ? 'dark' : 'light');
  const apply = () => {
    const theme = current();
    document.documentElement.dataset.theme = theme;
    button.replaceChildren(icon(theme === 'dark' ? ICONS.sun : ICONS.moon));
    button.setAttribute('aria-label', theme === 'dark' ? 'Switch to the light theme' : 'Switch to the dark theme');
    button.title = button.getAttribute('aria-label');
    window.dispatchEvent(new CustomEvent('trainui:theme'));
  };
  button.addEventListener('click', () => {
    saveSetting('theme', current() === 'dark' ? 'light' : 'dark');
    apply();
  });
  media.addEventListener?.('change', apply);
  apply();
}
