/**
 * A project: its results table and charts (or the compare-by-hyperparameters view), live.
 *
 * The change feed (live/change-feed.js) says when to look at the results list; only results
 * whose `entry_count` grew are asked for their new points (`since=<cursor>`, all of them in one
 * request), the table patches the rows that changed and the charts append the new points. Runs
 * that start while the page is open join the charts. The view (charted runs, charts, x key,
 * scale, smoothing, tab) lives in the URL; the table layout and last view persist per project.
 */
import { h, icon, ICONS } from '../dom.js';
import { api, errorMessage, query } from '../api.js';
import { link, replaceSearch } from '../router.js';
import { startChangeFeed } from '../live/change-feed.js';
import { SeriesStore } from '../data/series-store.js';
import { decodeView, encodeView, hasSelectionParams, hasViewParams } from '../state/url.js';
import { loadProjectSettings, saveProjectSettings } from '../state/settings.js';
import { argKeys, metricKeys, xKeys } from '../lib/table.js';
import { formatRelativeTime, plural } from '../lib/format.js';
import { setCrumbs } from '../components/layout.js';
import { errorBox, notFoundPage, toast } from '../components/feedback.js';
import { ChartsPanel } from '../components/charts-panel.js';
import { hoveredRunEvents } from '../data/run-events.js';
import { ComparePanel } from '../components/compare.js';
import { ImagesAcross } from '../components/images-across.js';
import { RulesPanel } from '../components/rules-panel.js';
import { ResultsTable } from '../components/results-table.js';
import { confirmDeleteResult } from '../components/delete-dialog.js';
import { startInlineEdit } from '../components/inline-edit.js';
import { defaultCharts } from './default-charts.js';
import { chartedRuns as chartedOf, fromView, joinNew, toggle, toView } from '../lib/selection.js';
import { loadPlotly } from '../components/plotly-loader.js';
import { ViewsMenu, withSavedView } from '../components/views-menu.js';
import { withinBrush } from '../lib/brush.js';
import { brushedRuns, compareMetric } from '../lib/parcoords.js';
import { colourBy } from '../lib/colour-by.js';
import { ColourByControl } from '../components/colour-by.js';

/** A project page; `?view=<id>` opens a saved view (components/views-menu.js). */
export function mountProject(root, route) {
  return withSavedView(mountProjectPage, root, route);
}

/** `exact`: the URL holds a saved view, which this browser's last settings must not amend. */
function mountProjectPage(root, { id: projectId }, { exact = false } = {}) {
  setCrumbs([{ label: 'Projects', href: link('') }, { label: `Project ${projectId}` }]);
  const settings = loadProjectSettings(projectId);
  const fromUrl = exact || hasViewParams(location.search);
  let view = fromUrl ? decodeView(location.search) : { ...decodeView(location.search), ...(settings.view || {}) };
  let chartsChosen = fromUrl || !!settings.view?.charts?.length;
  let results = [];
  let showUnregistered = !!settings.showUnregistered;
  let drawnSignature = '';
  let stopped = false;
  let painted = false;
  let selection = fromView(view);
  // The search box, column filters and group-by are in the link; without them in it, the
  // project's last ones apply (and the link is made to say so).
  const tableSettings = { ...(settings.table || {}) };
  if (exact || hasSelectionParams(location.search)) Object.assign(tableSettings, { text: view.q, filters: view.filters, groupBy: view.group });
  else view = { ...view, q: tableSettings.text || '', filters: tableSettings.filters || {}, group: tableSettings.groupBy || null };
  let pins = new Set(view.pin);
  let seenIds = null; // every result id this page has listed; null before the first answer
  let lastChange = 0;
  let lastListText = '';
  const store = new SeriesStore();

  const title = h('h1', { class: 'project-name' }, '…');
  const subtitle = h('p', { class: 'muted mono small' });
  const stats = h('p', { class: 'muted small' });
  const renameBtn = h('button', { class: 'btn btn-small btn-ghost', type: 'button', 'aria-label': 'Rename project', title: 'Rename project' }, icon(ICONS.edit));
  const unregToggle = h('input', { type: 'checkbox', checked: showUnregistered, onChange: (e) => {
    showUnregistered = e.target.checked;
    saveProjectSettings(projectId, { showUnregistered });
    refresh();
  } });
  const TAB_NAMES = { charts: 'Charts', compare: 'Compare hyperparameters', images: 'Images', rules: 'Rules' };
  const tabs = Object.keys(TAB_NAMES).map((tab) => h('button', { role: 'tab', class: 'tab', type: 'button', dataset: { tab },
    onClick: () => setView({ tab }) }, TAB_NAMES[tab]));
  const tabList = h('div', { class: 'tabs', role: 'tablist', 'aria-label': 'Project views', onKeydown: (e) => {
    if (e.key !== 'ArrowLeft' && e.key !== 'ArrowRight') return;
    const i = tabs.findIndex((t) => t.dataset.tab === view.tab);
    const next = tabs[(i + (e.key === 'ArrowRight' ? 1 : tabs.length - 1)) % tabs.length];
    setView({ tab: next.dataset.tab });
    next.focus();
  } }, tabs);
  const panelSlot = h('div', { class: 'tab-panel', role: 'tabpanel' });
  const errorSlot = h('div');

  const charts = new ChartsPanel({
    view,
    onViewChange: (v) => setView({ charts: v.charts, x: v.x, logY: v.logY, smoothing: v.smoothing, grouped: !!v.grouped }, false),
    fetchRange: (ids, keys, lo, hi) => store.fetchRange(ids, keys, lo, hi),
    onHover: (rid) => {
      table.highlight(rid);
      showEventsOf(rid);
    },
  });
  const showEventsOf = hoveredRunEvents(charts, (rid) => results.find((r) => r.id === rid)?.name);
  const brushNote = h('p', { class: 'small muted brush-note', hidden: true, role: 'status' });
  const colourControl = new ColourByControl({ value: view.color, onChange: (color) => setView({ color }, false) });
  charts.addTool(colourControl.el);
  const compare = new ComparePanel({ metric: view.metric, onMetricChange: (metric) => setView({ metric }, false),
    brush: view.brush, onBrush: (brush) => setView({ brush }, false), onHover: (rid) => table.highlight(rid) });
  const images = new ImagesAcross();
  const rules = new RulesPanel(projectId);
  const table = new ResultsTable({
    settings: tableSettings,
    onSettingsChange: (s) => {
      saveProjectSettings(projectId, { table: { ...s, text: s.text } });
      const patch = { q: s.text || '', filters: { ...(s.filters || {}) }, group: s.groupBy || null };
      if (JSON.stringify([patch.q, patch.filters, patch.group]) !== JSON.stringify([view.q, view.filters, view.group])) setView(patch, false);
    },
    onSelectionChange: (next) => {
      selection = next;
      setView(toView(next));
    },
    onPin: (ids, on) => {
      pins = new Set(pins);
      for (const id of ids) (on ? pins.add(id) : pins.delete(id));
      if (on) selection = toggle(selection, ids, true, results);
      setView({ pin: [...pins].sort((a, b) => a - b), ...toView(selection) });
    },
    onHover: (rid) => {
      charts.highlight(rid);
      showEventsOf(rid);
    },
    onRename: async (rid, name) => {
      await api(`results/${rid}`, { method: 'PATCH', body: { name } });
      await refresh();
    },
    onDelete: async (r) => {
      const deleted = await confirmDeleteResult(r);
      if (!deleted) return;
      toast(`Deleted “${deleted.name}”${deleted.files_deleted ? ' and its files' : ''}.`, 'success');
      await refresh();
    },
    onLoadNotes: async (rid) => (await api(`results/${rid}`)).result.notes || '',
    onSaveNotes: async (rid, notes) => {
      await api(`results/${rid}`, { method: 'PATCH', body: { notes } });
      await refresh();
    },
    onChangeTags: async (rid, change) => {
      await api(`results/${rid}/tags`, { method: 'POST', body: change });
      await refresh();
    },
    onSetUnregistered: async (rid, unregistered) => {
      try {
        await api(`results/${rid}`, { method: 'PATCH', body: { unregistered } });
        toast(unregistered ? 'Result unregistered. Tick "show unregistered" to restore it.' : 'Result restored.', 'success');
        await refresh();
      } catch (err) {
        toast(errorMessage(err), 'error');
      }
    },
  });

  const viewsMenu = new ViewsMenu({ projectId, currentView: () => view });

  root.append(
    h('div', { class: 'page-head' },
      h('div', { class: 'title-row' }, title, renameBtn, h('span', { class: 'spacer' }), viewsMenu.el),
      subtitle, stats),
    errorSlot,
    // The table first, at most half a screen high with a sticky header: at 1440x900 the runs
    // and the first row of charts are both on screen.
    table.el,
    tabList,
    brushNote,
    panelSlot,
    h('label', { class: 'field-inline small muted unreg-toggle' }, unregToggle, h('span', {}, 'Show unregistered results')));

  renameBtn.addEventListener('click', () => startInlineEdit(title, title.textContent, async (name) => {
    const { project } = await api(`projects/${projectId}`, { method: 'PATCH', body: { name } });
    showProject(project);
  }, { label: 'New project name' }));

  function showProject(project) {
    title.replaceChildren(project.name);
    subtitle.replaceChildren(project.path);
    setCrumbs([{ label: 'Projects', href: link('') }, { label: project.name }]);
  }

  /** The runs the filters, ticks and pins select (lib/selection.js): what the compare view plots. */
  function selectedRuns() {
    return chartedOf(results, selection, table.matchingIds(), pins);
  }

  /** The runs inside the parallel coordinates' brush (lib/parcoords.js; null: no brush). */
  function brushedIds() {
    if (!Object.keys(view.brush || {}).length) return null;
    return brushedRuns(selectedRuns(), compareMetric(compare.metric || view.metric, metricKeys(results)), view.brush);
  }

  /** One selection drives every chart: the filters, the ticks, the pins and the brush. */
  function chartedRuns() {
    return chartedOf(results, selection, withinBrush(table.matchingIds(), brushedIds()), pins);
  }

  function showBrush() {
    const brushed = brushedIds();
    brushNote.hidden = !brushed;
    if (!brushed) return brushNote.replaceChildren();
    brushNote.replaceChildren(`The parallel coordinates' brush lets ${plural(brushed.size, 'run')} through to the charts.`,
      h('button', { class: 'btn btn-tiny', type: 'button', onClick: () => {
        compare.setBrush({});
        setView({ brush: {} }, false);
      } }, 'Clear brush'));
  }

  function setView(patch, rerenderPanel = true) {
    view = { ...view, ...patch };
    if (patch.charts) chartsChosen = true;
    replaceSearch(encodeView(view));
    saveProjectSettings(projectId, { view: { charts: view.charts, x: view.x, logY: view.logY, smoothing: view.smoothing } });
    if ('tab' in patch) renderTab();
    if ('runs' in patch || 'hide' in patch || 'pin' in patch) table.setData(results, selection, pins);
    const runsChanged = ['runs', 'hide', 'pin', 'q', 'filters', 'group', 'color', 'brush', 'metric'].some((k) => k in patch);
    if (rerenderPanel || runsChanged || 'charts' in patch || 'x' in patch) syncCharts();
  }

  function renderTab() {
    for (const t of tabs) {
      t.setAttribute('aria-selected', String(t.dataset.tab === view.tab));
      t.tabIndex = t.dataset.tab === view.tab ? 0 : -1;
    }
    const panels = { compare: compare.el, images: images.el, rules: rules.el };
    panelSlot.replaceChildren(panels[view.tab] || charts.el);
    if (view.tab === 'compare') compare.update(selectedRuns(), metricKeys(results));
    else if (view.tab === 'images') images.update(chartedRuns());
    else if (view.tab === 'rules') rules.update(metricKeys(results));
    else charts.drawAll();
  }

  /** The table's group-by, for grouped curves: the arg and each run's group. */
  function groupContext() {
    const key = view.group;
    if (!key) return { groupKey: null, groupLabel: null };
    const byId = new Map(results.map((r) => [r.id, r]));
    return { groupKey: key, groupLabel: (rid) => { const v = byId.get(rid)?.args?.[key]; return v === undefined ? '(not set)' : typeof v === 'string' ? v : JSON.stringify(v); } };
  }

  let syncToken = 0;
  let undrawnChange = false;

  /**
   * Fetch what the charted runs need and draw. Calls overlap (typing in the search box, live
   * ticks): only the latest one draws, with what the earlier ones fetched, so an answer that
   * comes late never draws an older selection over a newer one.
   */
  async function syncCharts() {
    const token = ++syncToken;
    const runs = chartedRuns();
    showBrush();
    // Colour by an arg: over every registered run, so a run's colour stays while the filters change.
    const colours = colourBy(results.filter((r) => !r.unregistered), view.color);
    colourControl.setLegend(colours?.legend || null);
    table.setColours(colours?.colorOf || null);
    compare.setColours(colours?.colorOf || null);
    if (view.tab === 'compare') compare.update(selectedRuns(), metricKeys(results));
    if (view.tab === 'images') images.update(runs);
    // A chart of many overlapping runs shows no more with more points per run; it only costs more.
    const maxPoints = runs.length > 20 ? 250 : 1000;
    store.configure({ keys: charts.neededKeys(), x: view.x, maxPoints });
    const changed = await store.sync(runs);
    if (stopped) return;
    undrawnChange = undrawnChange || changed;
    if (token !== syncToken) return;
    const drawn = runs.map((r) => ({ id: r.id, name: r.name, ...(colours ? { color: colours.colorOf(r.id) } : {}) }));
    const signature = JSON.stringify([drawn, charts.neededKeys(), view.x, view.group]);
    if (undrawnChange || signature !== drawnSignature) {
      // Other runs or keys than drawn: the user changed what is shown, which is drawn at once.
      const urgent = signature !== drawnSignature;
      undrawnChange = false;
      drawnSignature = signature;
      charts.update({ runs: drawn, seriesFor: (rid) => store.series(rid), ...groupContext() }, { urgent });
    }
  }

  async function refresh() {
    const { results: list } = await api(`projects/${projectId}/results${query({ include_unregistered: showUnregistered ? 1 : null })}`);
    errorSlot.replaceChildren();
    const listText = JSON.stringify(list);
    if (listText !== lastListText) lastChange = performance.now();
    lastListText = listText;
    results = list;
    // Runs that start while the page is open join the charts, whatever was ticked.
    const newIds = seenIds === null ? [] : results.filter((r) => !seenIds.has(r.id) && !r.unregistered).map((r) => r.id);
    seenIds = new Set([...(seenIds || []), ...results.map((r) => r.id)]);
    if (newIds.length && joinNew(selection, newIds) !== selection) {
      selection = joinNew(selection, newIds);
      view = { ...view, ...toView(selection) };
      replaceSearch(encodeView(view));
    }
    const running = results.filter((r) => r.status === 'running' && !r.unregistered).length;
    feed.setLive(running > 0 || performance.now() - lastChange < 10000);
    const latest = Math.max(0, ...results.map((r) => r.updated_at || 0));
    stats.replaceChildren(`${plural(results.filter((r) => !r.unregistered).length, 'result')} · ${running} running · last activity ${formatRelativeTime(latest || null)}`);
    charts.setKeys(xKeys(results), metricKeys(results));
    colourControl.setKeys(argKeys(results));
    if (!chartsChosen && results.length) {
      const defaults = defaultCharts(metricKeys(results));
      if (defaults.length) {
        chartsChosen = true;
        view = { ...view, charts: defaults };
        charts.view = { ...charts.view, charts: defaults };
        charts.renderCards();
        replaceSearch(encodeView(view)); // the link now says what is shown
      }
    }
    table.setData(results, selection, pins);
    if (!painted) {
      painted = true;
      // Once the table is on screen, parse plotly.js while the series load.
      requestAnimationFrame(() => setTimeout(() => {
        performance.mark('trainui:results-painted');
        loadPlotly().catch(() => {});
      }, 0));
    }
    await syncCharts();
  }

  async function loadProject() {
    try {
      const { project } = await api(`projects/${projectId}`);
      showProject(project);
    } catch (err) {
      if (err.status === 404) {
        stopped = true;
        stopPolling?.();
        setCrumbs([{ label: 'Projects', href: link('') }, { label: 'Not found' }]);
        root.replaceChildren(notFoundPage('Project not found', `Project ${projectId} does not exist (it may have been removed).`));
      }
    }
  }

  const onKey = (e) => {
    if (e.key === '/' && !/^(INPUT|TEXTAREA|SELECT)$/.test(document.activeElement?.tagName)) {
      e.preventDefault();
      table.focusFilter();
    }
  };
  document.addEventListener('keydown', onKey);
  const onTheme = () => {
    charts.drawAll();
    if (view.tab === 'compare') compare.redraw();
  };
  window.addEventListener('trainui:theme', onTheme);

  if (encodeView(view)) replaceSearch(encodeView(view)); // a restored view (charts, filters) is shareable too
  renderTab();
  loadProject();
  let failures = 0;
  const feed = startChangeFeed({ project: projectId }, async () => {
    try {
      await refresh();
      failures = 0;
    } catch (err) {
      failures += 1;
      if (failures >= 2 || !results.length) errorSlot.replaceChildren(errorBox(`Could not load the results: ${errorMessage(err)}`));
      throw err;
    }
  });
  const stopPolling = () => feed.stop();

  const cleanup = () => {
    stopped = true;
    stopPolling();
    document.removeEventListener('keydown', onKey);
    window.removeEventListener('trainui:theme', onTheme);
    charts.destroy();
    compare.destroy();
    images.destroy();
  };
  return cleanup;
}
