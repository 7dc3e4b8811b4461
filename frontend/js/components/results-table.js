/**
 * The results table of a project: status, args and last metric values as columns; sort,
 * free-text and per-column filters, group by an arg, choose/reorder columns, rename, tag
 * (chips added and removed in place), unregister/restore, and the checkboxes that choose which runs the charts draw.
 *
 * Layout settings (columns, sort, group, filters) come in and go out through
 * `settings`/`onSettingsChange` so the page can persist them per project.
 *
 * Live updates patch the table: a row whose result did not change is left alone, a changed
 * row has only its changed cells replaced, and rows are moved (not rebuilt) when the order
 * changes, so a tick with a hundred running jobs costs a hundred small cell updates and keeps
 * focus and hover where they were.
 */
import { h, icon, placeChildren, ICONS } from '../dom.js';
import { link } from '../router.js';
import {
  BASE_COLUMNS, argKeys, columnLabel, columnValue, defaultMetricColumns, filterRows, groupRows, sortRows, metricKeys,
  nonfiniteLastValues,
} from '../lib/table.js';
import { isCharted, toggle, ALL } from '../lib/selection.js';
import { parseQuery } from '../lib/query.js';
import { formatArg, formatDuration, formatNumber, formatRelativeTime } from '../lib/format.js';
import { runColor } from '../lib/traces.js';
import { resultBadge, emptyState } from './feedback.js';
import { columnChooser } from './column-chooser.js';
import { startInlineEdit } from './inline-edit.js';
import { tagChip, tagEditor } from './tag-chips.js';
import { openNotesDialog } from './notes.js';

const MAX_DEFAULT_ARGS = 8;
const MAX_DEFAULT_METRICS = 6;

export class ResultsTable {
  constructor({ settings = {}, onSettingsChange = () => {}, onSelectionChange, onPin = () => {}, onHover = () => {}, onRename, onSetUnregistered, onChangeTags, onLoadNotes, onSaveNotes, onDelete = null }) {
    this.settings = { sort: null, groupBy: null, filters: {}, text: '', order: null, hidden: null, ...settings };
    this.onSettingsChange = onSettingsChange;
    this.onSelectionChange = onSelectionChange;
    this.onPin = onPin;
    this.pins = new Set();
    this.onHover = onHover;
    this.onRename = onRename;
    this.onSetUnregistered = onSetUnregistered;
    this.onChangeTags = onChangeTags;
    this.onLoadNotes = onLoadNotes;
    this.onSaveNotes = onSaveNotes;
    this.onDelete = onDelete;
    this.results = [];
    this.selection = ALL;
    this.editing = false;
    this.signature = '';
    this.rows = new Map(); // result id -> {tr, key, cells: Map(column id -> {td, sig})}
    this.rowColumns = '';

    this.textFilter = h('input', { class: 'input input-query', type: 'search', placeholder: 'Filter: lr>0.01 optimizer=adam name~sweep  /',
      'aria-label': 'Filter runs', 'aria-describedby': 'query-errors', value: this.settings.text, spellcheck: 'false',
      onInput: (e) => this.changeSettings({ text: e.target.value }) });
    this.queryErrors = h('p', { class: 'query-errors', id: 'query-errors', role: 'status', hidden: true });
    this.sameArgsLine = h('p', { class: 'same-args muted small', hidden: true });
    this.groupSelect = h('select', { class: 'input input-small', 'aria-label': 'Group by arg',
      onChange: (e) => this.changeSettings({ groupBy: e.target.value || null }) });
    this.chooserSlot = h('span');
    this.countLabel = h('span', { class: 'muted small', 'aria-live': 'polite' });
    this.thead = h('thead');
    this.tbody = h('tbody');
    this.table = h('table', { class: 'table results-table' }, this.thead, this.tbody);
    this.body = h('div', { class: 'table-scroll' }, this.table);
    this.el = h('section', { class: 'card results-card', 'aria-label': 'Results' },
      h('div', { class: 'toolbar' },
        h('h2', { class: 'section-title' }, 'Results'),
        this.countLabel,
        h('span', { class: 'spacer' }),
        this.textFilter,
        h('label', { class: 'field-inline' }, h('span', {}, 'Group by'), this.groupSelect),
        this.chooserSlot,
        h('button', { class: 'btn btn-small', type: 'button', onClick: () => this.selectAll(true) }, 'Chart all'),
        h('button', { class: 'btn btn-small', type: 'button', onClick: () => this.selectAll(false) }, 'Chart none'),
        this.queryErrors,
        this.sameArgsLine),
      this.body);
    this.tbody.addEventListener('mouseover', (e) => {
      const row = e.target.closest('tr[data-rid]');
      if (row) this.onHover(Number(row.dataset.rid));
    });
    this.tbody.addEventListener('mouseleave', () => this.onHover(null));
    this.tbody.addEventListener('focusin', (e) => {
      const row = e.target.closest('tr[data-rid]');
      if (row) this.onHover(Number(row.dataset.rid));
    });
  }

  changeSettings(patch, rerender = true) {
    this.settings = { ...this.settings, ...patch };
    this.onSettingsChange(this.settings);
    if (rerender) this.render(true);
  }

  /** results: API Result objects; selection: which runs are ticked (lib/selection.js); pins: a set of ids. */
  setData(results, selection, pins = this.pins) {
    this.results = results;
    this.selection = selection;
    this.pins = pins;
    this.render(false);
  }

  /** Run colours the page chose (colour by an arg; null: each run's own), for the rows' swatches. */
  setColours(colorOf) {
    if (!colorOf && !this.colorOf) return; // (the page asks on every live update)
    this.colorOf = colorOf;
    for (const [rid, row] of this.rows) {
      const swatch = row.tr.querySelector('.swatch');
      if (swatch) swatch.style.background = this.colorOf?.(rid) || runColor(rid);
    }
  }

  isSelected(r) {
    return !r.unregistered && (this.pins.has(r.id) || isCharted(this.selection, r));
  }

  selectAll(on) {
    const visible = this.filtered().filter((r) => !r.unregistered).map((r) => r.id);
    this.onSelectionChange(toggle(this.selection, visible, on, this.results));
  }

  toggle(ids, on) {
    // Unticking a pinned run unpins it too: hiding overrides the pin, as pinning overrides the filters.
    if (!on && ids.some((id) => this.pins.has(id))) this.onPin(ids.filter((id) => this.pins.has(id)), false);
    this.onSelectionChange(toggle(this.selection, ids, on, this.results));
  }

  /** Ids of the runs the search box and the column filters let through. */
  matchingIds() {
    return new Set(filterRows(this.results, { text: this.settings.text || '', columns: this.settings.filters || {} }).map((r) => r.id));
  }

  /** The rows listed: those the filters let through, and the pinned ones. */
  filtered() {
    const matching = this.matchingIds();
    return this.results.filter((r) => matching.has(r.id) || this.pins.has(r.id));
  }

  /** Show what the search box could not understand, under it. */
  renderQueryErrors() {
    const { errors } = parseQuery(this.settings.text || '', { args: argKeys(this.results), metrics: metricKeys(this.results) });
    this.textFilter.setAttribute('aria-invalid', String(errors.length > 0));
    this.queryErrors.hidden = !errors.length;
    this.queryErrors.replaceChildren(...errors.flatMap((e, i) => [i ? ' · ' : '', h('code', {}, e.text), `: ${e.message} (left out)`]));
  }

  /**
   * Column ids in display order: the stored order, then columns that appeared since. By
   * default metrics come right after the name and status (what one compares runs by), then the
   * args that differ between runs; args that are the same in every run are hidden and said once
   * above the table (`sameArgs`).
   */
  columns() {
    const constant = new Set(this.sameArgs().map(([k]) => `arg:${k}`));
    const args = argKeys(this.results).map((k) => `arg:${k}`);
    const metrics = metricKeys(this.results).map((k) => `metric:${k}`);
    const all = [...BASE_COLUMNS.slice(0, 2), ...metrics, ...BASE_COLUMNS.slice(2), 'tags', 'entries', ...args];
    const stored = (this.settings.order || []).filter((id) => all.includes(id));
    const order = [...stored, ...all.filter((id) => !stored.includes(id))];
    let hidden = this.settings.hidden;
    if (!hidden) {
      const shownMetrics = new Set(defaultMetricColumns(this.results).slice(0, MAX_DEFAULT_METRICS).map((k) => `metric:${k}`));
      const shownArgs = new Set(args.filter((id) => !constant.has(id)).slice(0, MAX_DEFAULT_ARGS));
      hidden = all.filter((id) => id === 'entries' || (id.startsWith('arg:') && !shownArgs.has(id)) || (id.startsWith('metric:') && !shownMetrics.has(id)));
    }
    return { order, hidden: new Set(hidden) };
  }

  /** [key, value] of the args every registered run has with the same value (none for one run). */
  sameArgs() {
    const runs = this.results.filter((r) => !r.unregistered);
    if (runs.length < 2) return [];
    return argKeys(runs).filter((k) => {
      const first = JSON.stringify(runs[0].args?.[k]);
      return first !== undefined && runs.every((r) => JSON.stringify(r.args?.[k]) === first);
    }).map((k) => [k, runs[0].args[k]]);
  }

  renderSameArgs() {
    const same = this.sameArgs();
    const text = same.map(([k, v]) => `${k}=${formatArgValue(v)}`).join(' · ');
    this.sameArgsLine.hidden = !same.length;
    if (this.sameArgsLine.textContent !== `Same in every run: ${text}`) this.sameArgsLine.replaceChildren(`Same in every run: ${text}`);
  }

  render(force) {
    if (this.editing) return;
    const focusKey = document.activeElement?.dataset?.focusKey;
    const { order, hidden } = this.columns();
    const visible = order.filter((id) => !hidden.has(id));
    this.labels = new Map(order.map((id) => [id, columnLabel(id, order)]));
    if (force) this.rows.clear();
    this.renderToolbar(order, hidden);
    this.renderQueryErrors();
    this.renderSameArgs();
    this.renderHead(visible);
    this.renderBody(visible);
    if (focusKey && this.el.contains(document.activeElement) === false) {
      this.el.querySelector(`[data-focus-key="${CSS.escape(focusKey)}"]`)?.focus();
    }
  }

  renderToolbar(order, hidden) {
    const args = argKeys(this.results);
    const groupOptions = [h('option', { value: '' }, 'none'), ...args.map((k) => h('option', { value: k, selected: k === this.settings.groupBy }, k))];
    if (this.groupSelect.options.length !== groupOptions.length || [...this.groupSelect.options].some((o, i) => o.value !== groupOptions[i].value)) {
      this.groupSelect.replaceChildren(...groupOptions);
    }
    this.groupSelect.value = this.settings.groupBy || '';
    const wasOpen = this.chooserSlot.querySelector('details')?.open;
    const chooserSignature = JSON.stringify([order, [...hidden]]);
    if (!wasOpen && chooserSignature !== this.chooserSignature) {
      this.chooserSignature = chooserSignature;
      this.chooserSlot.replaceChildren(columnChooser({ order: [...order], hidden: new Set(hidden), labels: this.labels,
        onChange: (o, hd) => this.changeSettings({ order: [...o], hidden: [...hd] }, true) }));
    }
    const shown = this.filtered().length;
    const running = this.results.filter((r) => r.status === 'running' && !r.unregistered).length;
    this.countLabel.replaceChildren(`${shown} of ${this.results.length} · ${running} running`);
  }

  renderHead(visible) {
    const { sort, filters } = this.settings;
    const registered = this.results.filter((r) => !r.unregistered);
    const nSel = registered.filter((r) => this.isSelected(r)).length;
    const headSignature = JSON.stringify([visible, visible.map((id) => this.labels.get(id)), sort, nSel, registered.length, filters]);
    if (headSignature === this.headSignature) return;
    this.headSignature = headSignature;
    const all = h('input', { type: 'checkbox', 'aria-label': 'Chart all runs', checked: nSel > 0 && nSel === registered.length,
      indeterminate: nSel > 0 && nSel < registered.length, dataset: { focusKey: 'select-all' },
      onChange: (e) => this.selectAll(e.target.checked) });
    const headCells = visible.map((id) => {
      const dir = sort?.column === id ? (sort.desc ? 'descending' : 'ascending') : 'none';
      const kind = id.startsWith('arg:') ? 'arg' : id.startsWith('metric:') ? 'metric' : 'base';
      return h('th', { scope: 'col', 'aria-sort': dir, class: `col-${kind}` },
        h('button', { class: 'th-sort', type: 'button', title: `Sort by ${this.labels.get(id)}`, dataset: { focusKey: `sort:${id}`, column: id },
          onClick: () => this.changeSettings({ sort: nextSort(sort, id) }) },
          h('span', { class: 'th-label' }, this.labels.get(id)), h('span', { class: 'sort-mark', 'aria-hidden': 'true' }, dir === 'ascending' ? '▲' : dir === 'descending' ? '▼' : '')));
    });
    const filterCells = visible.map((id) => h('th', {},
      h('input', { class: 'input input-filter', type: 'text', value: filters?.[id] || '', placeholder: 'filter',
        'aria-label': `Filter ${this.labels.get(id)} (e.g. >0.1, =adam, or text)`, dataset: { focusKey: `filter:${id}`, column: id },
        onInput: (e) => {
          const next = { ...(this.settings.filters || {}), [id]: e.target.value };
          if (!e.target.value) delete next[id];
          this.changeSettings({ filters: next }, false);
          this.renderBody(visible);
          this.renderToolbarCount();
        } })));
    this.thead.replaceChildren(
      h('tr', {}, h('th', { class: 'col-select', scope: 'col' }, all), headCells, h('th', { class: 'col-actions', scope: 'col' }, h('span', { class: 'sr-only' }, 'Actions'))),
      h('tr', { class: 'filter-row' }, h('th'), filterCells, h('th')));
  }

  renderToolbarCount() {
    const shown = this.filtered().length;
    const running = this.results.filter((r) => r.status === 'running' && !r.unregistered).length;
    this.countLabel.replaceChildren(`${shown} of ${this.results.length} · ${running} running`);
  }

  renderBody(visible) {
    const rows = sortRows(this.filtered(), this.settings.sort);
    const groups = groupRows(rows, this.settings.groupBy);
    const span = visible.length + 2;
    const columnsKey = visible.join('\n');
    if (columnsKey !== this.rowColumns) {
      this.rows.clear();
      this.rowColumns = columnsKey;
    }
    const out = [];
    if (!this.results.length) {
      out.push(h('tr', {}, h('td', { colspan: span }, emptyState('No results in this project yet',
        'A result is a directory under the project path that holds a “log” file. Start a training job with trainui.Run(out=...) and it appears here within a second.'))));
    } else if (!rows.length) {
      out.push(h('tr', {}, h('td', { colspan: span }, emptyState('No run matches the filters', 'Clear the filter boxes to see every run.'))));
    }
    // The half-minute keeps relative times ("3 min ago") fresh when nothing else changes.
    const clock = Math.floor(Date.now() / 30000);
    const seen = new Set();
    for (const group of groups) {
      if (group.label !== null) out.push(this.groupRow(group, span));
      for (const r of group.rows) {
        seen.add(r.id);
        out.push(this.row(r, visible, clock));
      }
    }
    for (const id of this.rows.keys()) if (!seen.has(id)) this.rows.delete(id);
    placeChildren(this.tbody, out);
  }

  groupRow(group, span) {
    const ids = group.rows.filter((r) => !r.unregistered).map((r) => r.id);
    const nSel = group.rows.filter((r) => this.isSelected(r)).length;
    return h('tr', { class: 'group-row' }, h('td', { colspan: span },
      h('label', {}, h('input', { type: 'checkbox', checked: nSel > 0 && nSel === ids.length, indeterminate: nSel > 0 && nSel < ids.length,
        'aria-label': `Chart the group ${group.key} = ${group.label}`, onChange: (e) => this.toggle(ids, e.target.checked) }),
      h('span', { class: 'group-key' }, `${group.key} = `), h('strong', {}, group.label),
      h('span', { class: 'muted' }, ` (${group.rows.length})`))));
  }

  /** The row of `r`: the one on screen when nothing changed, else patched cell by cell. */
  row(r, visible, clock) {
    const selected = this.isSelected(r);
    const pinned = this.pins.has(r.id);
    const key = `${JSON.stringify(r)}|${selected}|${pinned}|${clock}`;
    const cached = this.rows.get(r.id);
    if (cached && cached.key === key) return cached.tr;
    if (!cached || cached.unregistered !== !!r.unregistered) {
      const built = this.buildRow(r, visible, selected);
      this.rows.set(r.id, { ...built, key, unregistered: !!r.unregistered });
      return built.tr;
    }
    cached.key = key;
    cached.checkbox.checked = selected;
    cached.checkbox.setAttribute('aria-label', `Chart ${r.name}`);
    this.showPin(cached, r, pinned);
    for (const id of visible) {
      const sig = cellSignature(r, id);
      const cell = cached.cells.get(id);
      if (cell.sig === sig) continue;
      const td = this.renderCell(r, id);
      cell.td.replaceWith(td);
      cached.cells.set(id, { td, sig });
    }
    cached.rename?.setAttribute('aria-label', `Rename ${r.name}`);
    if (cached.rename) cached.rename.onclick = (e) => this.rename(r, e.target.closest('tr'));
    return cached.tr;
  }

  buildRow(r, visible, selected) {
    const color = this.colorOf?.(r.id) || runColor(r.id);
    const tr = h('tr', { dataset: { rid: String(r.id) }, class: [r.unregistered && 'row-unregistered', this.highlighted === r.id && 'row-highlight'] });
    const checkbox = h('input', { type: 'checkbox', checked: selected, disabled: r.unregistered, 'aria-label': `Chart ${r.name}`,
      dataset: { focusKey: `sel:${r.id}` }, onChange: (e) => this.toggle([r.id], e.target.checked) });
    tr.append(h('td', { class: 'col-select' }, checkbox, h('span', { class: 'swatch', style: { background: color }, 'aria-hidden': 'true' })));
    const cells = new Map();
    for (const id of visible) {
      const td = this.renderCell(r, id);
      cells.set(id, { td, sig: cellSignature(r, id) });
      tr.append(td);
    }
    const actions = h('td', { class: 'col-actions' });
    let rename = null;
    let pin = null;
    if (!r.unregistered) {
      pin = h('button', { class: 'btn btn-tiny btn-ghost btn-pin', type: 'button', dataset: { focusKey: `pin:${r.id}` } }, icon(ICONS.pin));
      actions.append(pin);
      rename = h('button', { class: 'btn btn-tiny btn-ghost', type: 'button', title: 'Rename', 'aria-label': `Rename ${r.name}`,
        dataset: { focusKey: `rename:${r.id}` } }, icon(ICONS.edit));
      rename.onclick = (e) => this.rename(r, e.target.closest('tr'));
      actions.append(rename);
      if (this.onSaveNotes) {
        actions.append(h('button', { class: 'btn btn-tiny btn-ghost', type: 'button', title: 'Notes (markdown)',
          'aria-label': `Notes of ${r.name}`, dataset: { focusKey: `notes:${r.id}` }, onClick: () => this.editNotes(r) }, icon(ICONS.note)));
      }
    }
    actions.append(h('button', { class: 'btn btn-tiny btn-ghost', type: 'button', dataset: { focusKey: `unreg:${r.id}` },
      title: r.unregistered ? 'Restore this result' : 'Hide this result (the files are not touched)',
      onClick: () => this.onSetUnregistered(r.id, !r.unregistered) }, r.unregistered ? 'Restore' : 'Unregister'));
    if (this.onDelete) {  // the run as the table shows it now (renamed since the row was built, maybe)
      actions.append(h('button', { class: 'btn btn-tiny btn-ghost btn-delete', type: 'button', dataset: { focusKey: `delete:${r.id}` },
        title: 'Delete this result from trainui (its files only if you ask)', 'aria-label': `Delete ${r.name}`,
        onClick: () => this.onDelete(this.results.find((x) => x.id === r.id) || r) }, 'Delete'));
    }
    tr.append(actions);
    const built = { tr, checkbox, cells, rename, pin };
    this.showPin(built, r, this.pins.has(r.id));
    return built;
  }

  /** The pin button of a row: charts the run whatever the filters say (or stops doing so). */
  showPin(row, r, pinned) {
    row.tr.classList.toggle('row-pinned', pinned);
    if (!row.pin) return;
    row.pin.setAttribute('aria-pressed', String(pinned));
    row.pin.setAttribute('aria-label', `${pinned ? 'Unpin' : 'Pin'} ${r.name}`);
    row.pin.title = pinned ? 'Pinned: charted whatever the filters say. Click to unpin.' : 'Pin: chart this run whatever the filters say';
    row.pin.onclick = () => this.onPin([r.id], !pinned);
  }

  renderCell(r, id) {
    const td = this.cellContent(r, id);
    td.dataset.column = id;
    return td;
  }

  cellContent(r, id) {
    const v = columnValue(r, id);
    if (id === 'name') {
      const bad = nonfiniteLastValues(r);
      return h('td', { class: 'col-name' },
        h('span', { class: 'name-slot' }, h('a', { href: link(`results/${r.id}`), class: 'run-link', dataset: { focusKey: `open:${r.id}` } }, r.name)),
        bad.length ? h('span', { class: 'flag-nonfinite', role: 'img', title: `Not finite: ${describeNonfinite(bad)}`,
          'aria-label': `Not finite: ${describeNonfinite(bad)}` }, '⚠') : null,
        r.ingest_error ? h('span', { class: 'warn', title: r.ingest_error, role: 'img', 'aria-label': `Ingest error: ${r.ingest_error}` }, '⚠') : null);
    }
    if (id === 'status') return h('td', {}, resultBadge(r));
    if (id === 'tags') return this.tagsCell(r);
    if (id === 'elapsed') return h('td', { class: 'num' }, formatDuration(v));
    if (id === 'updated') return h('td', { class: 'nowrap', title: v ? new Date(v * 1000).toLocaleString() : '' }, formatRelativeTime(v));
    if (id === 'entries') return h('td', { class: 'num' }, formatNumber(v));
    if (id.startsWith('metric:')) {
      if (typeof v === 'number' && !Number.isFinite(v)) {
        return h('td', { class: 'num nonfinite', title: `The last value of ${id.slice(7)} was ${formatNumber(v)}` }, `⚠ ${formatNumber(v)}`);
      }
      return h('td', { class: 'num', title: v === null || v === undefined ? '' : String(v) }, formatNumber(v));
    }
    const text = v === undefined ? '' : formatArgValue(v);
    return h('td', { class: typeof v === 'number' ? 'num' : 'arg', title: v === undefined ? '' : formatArg(v) }, text);
  }

  /** The run's chips; editable unless it is unregistered. The notes' first line is the cell's tooltip. */
  tagsCell(r) {
    const tags = Array.isArray(r.tags) ? r.tags : [];
    const title = r.notes_excerpt ? `Notes: ${r.notes_excerpt}` : null;
    if (r.unregistered || !this.onChangeTags) {
      return h('td', { class: 'col-tags', title }, h('span', { class: 'tag-editor' }, tags.map((t) => tagChip(t))));
    }
    return h('td', { class: 'col-tags', title }, tagEditor(tags, {
      label: r.name,
      save: (change) => this.onChangeTags(r.id, change),
      onEditing: (on) => {
        this.editing = on;
        if (!on) this.render(true);
      },
    }));
  }

  editNotes(r) {
    this.editing = true;
    openNotesDialog({ name: r.name, load: () => this.onLoadNotes(r.id), save: (text) => this.onSaveNotes(r.id, text),
      onDone: () => {
        this.editing = false;
        this.render(true);
      } });
  }

  rename(r, tr) {
    const slot = tr.querySelector('.name-slot');
    this.editing = true;
    startInlineEdit(slot, r.name, (name) => this.onRename(r.id, name), {
      label: `New name for ${r.name}`,
      onDone: () => {
        this.editing = false;
        this.render(true);
      },
    });
  }

  /** Emphasise the row of run `rid` (null: none), e.g. while its line is hovered in a chart. */
  highlight(rid) {
    if (this.highlighted === rid) return;
    this.highlighted = rid;
    for (const tr of this.tbody.querySelectorAll('tr.row-highlight')) tr.classList.remove('row-highlight');
    if (rid !== null) this.tbody.querySelector(`tr[data-rid="${rid}"]`)?.classList.add('row-highlight');
  }

  focusFilter() {
    this.textFilter.focus();
  }
}

/** An arg as the table shows it: numbers at six significant digits (0.1 + 0.2 is 0.3), the rest as text. */
function formatArgValue(v) {
  return typeof v === 'number' ? formatNumber(v, 6) : formatArg(v);
}

/** What a cell shows, to tell whether it must be redrawn. */
function cellSignature(r, id) {
  if (id === 'name') return JSON.stringify([r.name, r.ingest_error, nonfiniteLastValues(r)]);
  if (id === 'updated') return formatRelativeTime(r.updated_at);
  if (id === 'status') return JSON.stringify([r.status ?? null, Boolean(r.missing)]);
  if (id === 'tags') return JSON.stringify([r.tags ?? [], r.notes_excerpt ?? '', Boolean(r.unregistered)]);
  const v = columnValue(r, id);
  return typeof v === 'number' ? String(v) : JSON.stringify(v ?? null);
}

function describeNonfinite(entries) {
  return entries.map(([k, v]) => `${k} = ${v}`).join(', ');
}

function nextSort(sort, id) {
  if (sort?.column !== id) return { column: id, desc: false };
  if (!sort.desc) return { column: id, desc: true };
  return null;
}
