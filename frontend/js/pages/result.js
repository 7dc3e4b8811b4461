/**
 * One result: summary and status, its tags and notes (editable), args, its charts, the command panel, the job's console, the
 * command history, snapshots (downloadable), and images by step. The change feed says when to look
 * again at the result (often while it runs), its commands (every 100 ms from a click until the
 * job answered) and its images; only new log points are fetched and appended to the charts.
 */
import { h, icon, ICONS } from '../dom.js';
import { api, apiUrl, errorMessage } from '../api.js';
import { link, navigate, replaceSearch } from '../router.js';
import { startChangeFeed } from '../live/change-feed.js';
import { SeriesStore } from '../data/series-store.js';
import { RunEvents } from '../data/run-events.js';
import { decodeView, encodeView, hasViewParams } from '../state/url.js';
import { loadSetting, saveSetting } from '../state/settings.js';
import { formatArg, formatBytes, formatDuration, formatNumber, formatRelativeTime, formatTimestamp, MISSING } from '../lib/format.js';
import { nonfiniteLastValues, xKeys } from '../lib/table.js';
import { endSummary } from '../lib/end-reason.js';
import { setCrumbs } from '../components/layout.js';
import { emptyState, errorBox, notFoundPage, resultBadge } from '../components/feedback.js';
import { ChartsPanel } from '../components/charts-panel.js';
import { CommandPanel } from '../components/command-panel.js';
import { CommandHistory } from '../components/command-history.js';
import { ConsoleView } from '../components/console-view.js';
import { ImagesPanel } from '../components/images.js';
import { startInlineEdit } from '../components/inline-edit.js';
import { tagEditor } from '../components/tag-chips.js';
import { NotesCard } from '../components/notes.js';
import { confirmDeleteResult } from '../components/delete-dialog.js';
import { toast } from '../components/feedback.js';
import { defaultCharts } from './default-charts.js';
import { loadPlotly } from '../components/plotly-loader.js';

export function mountResult(root, { id: resultId }) {
  setCrumbs([{ label: 'Projects', href: link('') }, { label: `Result ${resultId}` }]);
  const fromUrl = hasViewParams(location.search);
  let view = fromUrl ? decodeView(location.search) : { ...decodeView(location.search), ...(loadSetting('resultView') || {}) };
  let chartsChosen = fromUrl && view.charts.length > 0;
  let result = null;
  let stopped = false;
  let drawn = '';
  const store = new SeriesStore();
  const runEvents = new RunEvents();
  let answeredSeen = null; // the answered commands when the events were last asked for
  let eventsSeen = null; // the job's start and status when the events were last asked for: a resume changes them

  const title = h('h1', {}, '…');
  const statusSlot = h('span');
  const renameBtn = h('button', { class: 'btn btn-small btn-ghost', type: 'button', 'aria-label': 'Rename result', title: 'Rename result' }, icon(ICONS.edit));
  const deleteBtn = h('button', { class: 'btn btn-small btn-danger btn-delete', type: 'button', title: 'Delete this result from trainui (its files only if you ask)' }, 'Delete');
  const pathLine = h('p', { class: 'muted mono small result-path' });
  const tagsLine = h('div', { class: 'result-tags', 'aria-label': 'Tags' });
  let tagsEditing = false;
  let shownTags = null;
  const notesCard = new NotesCard({ save: async (notes) => {
    const { result: updated } = await api(`results/${resultId}`, { method: 'PATCH', body: { notes } });
    show({ ...updated, notes });
  } });
  const summary = h('dl', { class: 'summary' });
  const tracebackSlot = h('div');
  let shownTrace = '';
  const argsSlot = h('div', { class: 'table-scroll' });
  const snapshotsSlot = h('div', { class: 'table-scroll' });
  const errorSlot = h('div');
  const charts = new ChartsPanel({
    view,
    onViewChange: (v) => {
      view = { ...view, charts: v.charts, x: v.x, logY: v.logY, smoothing: v.smoothing };
      chartsChosen = true;
      replaceSearch(encodeView({ ...view, runs: null }));
      saveSetting('resultView', { x: view.x, logY: view.logY, smoothing: view.smoothing });
      syncCharts();
    },
    fetchRange: (ids, keys, lo, hi) => store.fetchRange(ids, keys, lo, hi),
  });
  const history = new CommandHistory();
  const commandPanel = new CommandPanel({ resultId, onPosted: (command) => {
    history.add(command);
    feed.expect('commands');
  } });
  const images = new ImagesPanel();
  const consoleView = new ConsoleView({ resultId });

  root.append(
    h('div', { class: 'page-head' }, h('div', { class: 'title-row' }, title, statusSlot, renameBtn, h('span', { class: 'spacer' }), deleteBtn), pathLine, tagsLine),
    errorSlot,
    h('section', { class: 'card card-pad', 'aria-label': 'Summary' }, summary, tracebackSlot),
    notesCard.el,
    h('div', { class: 'result-layout' },
      h('div', { class: 'result-main' }, charts.el),
      h('div', { class: 'result-side' }, commandPanel.el)),
    history.el,
    h('div', { class: 'two-col' },
      h('section', { class: 'card', 'aria-label': 'Args' }, h('div', { class: 'toolbar' }, h('h2', { class: 'section-title' }, 'Args')), argsSlot),
      h('section', { class: 'card', 'aria-label': 'Snapshots' }, h('div', { class: 'toolbar' }, h('h2', { class: 'section-title' }, 'Snapshots')), snapshotsSlot)),
    images.el,
    consoleView.el);

  renameBtn.addEventListener('click', () => startInlineEdit(title, result?.name || '', async (name) => {
    const { result: updated } = await api(`results/${resultId}`, { method: 'PATCH', body: { name } });
    show(updated);
  }, { label: 'New result name' }));

  deleteBtn.addEventListener('click', async () => {
    if (!result) return;
    const deleted = await confirmDeleteResult(result);
    if (!deleted) return;
    stopped = true;
    feed.stop();
    toast(`Deleted “${deleted.name}”${deleted.files_deleted ? ' and its files' : ''}.`, 'success');
    navigate(link(`projects/${result.project_id}`), { replace: true });
  });

  let lastShown = '';
  let projectName = null;
  function show(r) {
    result = { ...result, ...r };
    const signature = JSON.stringify(r);
    if (signature === lastShown) return;
    lastShown = signature;
    if (!title.querySelector('input')) title.replaceChildren(r.name);
    showTags(result.tags || []);
    if (typeof result.notes === 'string') notesCard.update(result.notes);
    statusSlot.replaceChildren(resultBadge(r));
    pathLine.replaceChildren(r.source === 'http'
      ? `shipped over HTTP; its files are on the job's machine${r.host ? ` (${r.host})` : ''}${r.job_directory ? ` at ${r.job_directory}` : ''}`
      : r.path || '');
    if (projectName === null && r.project_id !== undefined) {
      projectName = 'Project';
      api(`projects/${r.project_id}`).then(({ project }) => {
        projectName = project.name;
        lastShown = '';
        show(result);
      }).catch(() => {});
    }
    setCrumbs([{ label: 'Projects', href: link('') }, { label: projectName || 'Project', href: link(`projects/${r.project_id}`) }, { label: r.name }]);
    const items = [
      ['Status', r.missing ? `missing: the directory is gone from disk (last status read: ${r.status || 'none'})`
        : r.status || 'no status', r.missing ? 'summary-item flagged' : undefined], ['Iteration', formatNumber(r.iteration ?? r.last_values?.iteration)],
      ['Epoch', formatNumber(r.epoch ?? r.last_values?.epoch)], ['Elapsed', formatDuration(r.elapsed_time)],
      ['Started', formatTimestamp(r.started_at)], ['Updated', formatRelativeTime(r.updated_at)],
      ['Heartbeat', formatRelativeTime(r.heartbeat_at)], ['World size', r.world_size ?? MISSING], ['Log entries', formatNumber(r.entry_count)],
    ];
    if (r.end) items.splice(1, 0, ['Ended', endSummary(r.end), ['exception', 'heartbeat', 'missing'].includes(r.end.reason) ? 'summary-item flagged summary-wide' : 'summary-item summary-wide']);
    if (r.ingest_error) items.push(['Ingest error', r.ingest_error]);
    const bad = nonfiniteLastValues(r);
    if (bad.length) items.push(['Not finite', bad.map(([k, v]) => `${k} = ${v}`).join(', '), 'summary-item flagged']);
    summary.replaceChildren(...items.map(([k, v, cls]) => h('div', { class: cls || 'summary-item' },
      h('dt', {}, k), h('dd', { dataset: { field: k.toLowerCase().replace(/ /g, '-') } }, String(v)))));
    const trace = r.end?.traceback || '';
    if (trace !== shownTrace) {  // kept as it is otherwise: a user's fold survives the next poll
      shownTrace = trace;
      tracebackSlot.replaceChildren(...(trace ? [h('details', { class: 'traceback', open: true },
        h('summary', {}, 'Traceback'), h('pre', { class: 'mono small', tabindex: '0' }, trace))] : []));
    }
    const args = Object.entries(r.args || {});
    argsSlot.replaceChildren(args.length
      ? h('table', { class: 'table table-compact args-table' }, h('tbody', {}, args.map(([k, v]) => h('tr', {}, h('th', { scope: 'row', class: 'mono' }, k), h('td', { class: 'mono' }, formatArg(v))))))
      : emptyState('No args', 'The run wrote no “args” file.'));
    const snaps = r.snapshots || [];
    snapshotsSlot.replaceChildren(snaps.length
      ? h('table', { class: 'table table-compact snapshots-table' },
        h('thead', {}, h('tr', {}, ['Name', 'Iteration', 'Size', 'Created'].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, [...snaps].sort((a, b) => (b.iteration ?? 0) - (a.iteration ?? 0)).map((s) => h('tr', {},
          h('td', { class: 'mono' }, snapshotCell(s)), h('td', { class: 'num' }, formatNumber(s.iteration)),
          h('td', { class: 'num' }, formatBytes(s.size)), h('td', { class: 'nowrap small' }, formatTimestamp(s.created_at))))))
      : emptyState('No snapshots', 'Take one with the command panel, or call run.snapshot() in the job.'));
    commandPanel.update(result);
  }

  function showTags(tags) {
    const signature = JSON.stringify(tags);
    if (tagsEditing || signature === shownTags) return;
    shownTags = signature;
    tagsLine.replaceChildren(tagEditor(tags, {
      label: result?.name || 'this run',
      save: async (change) => {
        const { result: updated } = await api(`results/${resultId}/tags`, { method: 'POST', body: change });
        show(updated);
      },
      onEditing: (on) => {
        tagsEditing = on;
        if (!on) showTags(result?.tags || []);
      },
    }));
  }

  async function syncCharts(movedAhead = false) {
    if (!result) return;
    charts.setKeys(xKeys([result]), (result.keys || []).slice().sort());
    if (!chartsChosen) {
      const defaults = defaultCharts(result.keys || []);
      if (defaults.length) {
        chartsChosen = true;
        view = { ...view, charts: defaults };
        charts.view = { ...charts.view, charts: defaults };
        charts.renderCards();
      }
    }
    store.configure({ keys: charts.neededKeys(), x: view.x, maxPoints: 1000 });
    const changed = (await store.sync([result])) || movedAhead;
    const signature = JSON.stringify([result.name, charts.neededKeys(), view.x]);
    if (!stopped && (changed || signature !== drawn)) {
      drawn = signature;
      charts.update({ runs: [{ id: result.id, name: result.name }], seriesFor: (rid) => store.series(rid) });
    }
  }

  async function refreshResult() {
    try {
      // While the job runs, its new points are asked for together with the result: one round trip, not two.
      const ahead = result?.status === 'running' && store.has(resultId)
        ? store.sync([{ id: resultId, entry_count: Infinity }]) : Promise.resolve(false);
      const [{ result: r }, movedAhead] = await Promise.all([api(`results/${resultId}`), ahead]);
      errorSlot.replaceChildren();
      show(r);
      if (eventsSeen !== `${r.started_at}:${r.status}`) {
        eventsSeen = `${r.started_at}:${r.status}`;
        refreshEvents().catch(() => {});
      }
      feed.setLive(r.status === 'running');
      consoleView.setRunning(r.status === 'running');
      loadPlotly().catch(() => {});
      await syncCharts(movedAhead);
    } catch (err) {
      if (err.status === 404) {
        stopped = true;
        feed.stop();
        setCrumbs([{ label: 'Projects', href: link('') }, { label: 'Not found' }]);
        root.replaceChildren(notFoundPage('Result not found', `Result ${resultId} does not exist (it may have been removed).`));
        return;
      }
      errorSlot.replaceChildren(errorBox(`Could not load the result: ${errorMessage(err)}`));
      throw err;
    }
  }

  async function refreshCommands() {
    const { commands } = await api(`results/${resultId}/commands`);
    history.update(commands);
    const answered = commands.filter((c) => c.status !== 'PENDING').map((c) => `${c.id}:${c.status}`).join(',');
    if (answered !== answeredSeen) {
      answeredSeen = answered;
      refreshEvents().catch(() => {});
    }
    // A command applied "now" is answered within a step or two; one waiting for its iteration may take long.
    if (!commands.some((c) => c.status === 'PENDING' && !c.schedule)) feed.settle('commands');
  }

  /** The markers on the charts: each command the job applied, each resume (data/run-events.js). */
  async function refreshEvents() {
    const events = await runEvents.get(resultId, { fresh: true });
    if (!stopped) charts.setEvents(events);
  }

  async function refreshAssets() {
    const { assets } = await api(`results/${resultId}/assets`);
    images.update(assets);
  }

  const feed = startChangeFeed({ result: resultId }, (notice) => {
    if (stopped) return undefined;
    if (notice.topic === 'result') return refreshResult();
    if (notice.topic === 'commands') return refreshCommands();
    if (notice.topic === 'assets') return refreshAssets();
    return undefined;
  });
  const onTheme = () => charts.drawAll();
  window.addEventListener('trainui:theme', onTheme);

  return () => {
    stopped = true;
    feed.stop();
    images.destroy();
    consoleView.destroy();
    window.removeEventListener('trainui:theme', onTheme);
    charts.destroy();
  };
}


/** A snapshot the server holds is a download link; one of a run shipped over HTTP stays on the
 *  job's machine (snapshots are not uploaded), so it says where instead of linking to nothing. */
function snapshotCell(s) {
  if (s.location === 'job') {
    const where = `on the job's machine${s.host ? ` (${s.host})` : ''}${s.job_path ? ` at ${s.job_path}` : ''}`;
    return h('span', { class: 'snapshot-remote', title: where }, s.name, h('span', { class: 'small muted snapshot-where' }, ` ${where}`));
  }
  return h('a', { href: apiUrl(`snapshots/${s.id}/file`), download: s.name, class: 'snapshot-link', title: `Download ${s.name}` }, s.name);
}
