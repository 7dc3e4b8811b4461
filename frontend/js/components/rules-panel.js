/**
 * A project's automations (the "Rules" tab): the rules with what they watch and do, switched on
 * and off or deleted in place; each rule's firings (the run, the point, what was sent and how the
 * job answered); and a form that starts from a preset (NaN guard, plateau, early stop, loss spike)
 * on any metric key, shows the backtest (where it would have fired on the runs' history) before
 * anything is saved, and saves it. Every text from the server is set as text, never as HTML.
 */
import { h } from '../dom.js';
import { api, errorMessage } from '../api.js';
import { emptyState, errorBox, toast } from './feedback.js';

const WHEN = {
  nan: (c) => `${c.key} is NaN or infinite`,
  above: (c) => `${c.key} > ${c.threshold} for ${c.count} point(s)`,
  below: (c) => `${c.key} < ${c.threshold} for ${c.count} point(s)`,
  spike: (c) => (c.factor ? `${c.key} > ${c.factor} x its minimum` : `${c.key} z-score > ${c.zscore} over ${c.window}`),
  plateau: (c) => `${c.key} has not improved for ${c.patience + 1} points`,
  silent: (c) => `no new entry for ${c.seconds} s`,
  crashed: () => 'the run crashed',
};

/** One line saying when a rule fires. */
export function describeCondition(condition) {
  return (WHEN[condition.kind] || (() => condition.kind))(condition);
}

/** One line saying what a rule does. */
export function describeAction(action) {
  if (action.kind === 'adjust_hyperparams') {
    const parts = Object.entries(action.set || action.multiply || {}).map(([k, v]) => (action.set ? `${k} = ${v}` : `${k} x ${v}`));
    return `adjust ${parts.join(', ')}`;
  }
  if (action.kind === 'command') return `${action.name} ${Object.keys(action.body || {}).length ? JSON.stringify(action.body) : ''}`.trim();
  if (action.kind === 'notify') return `notify ${action.url}`;
  return action.kind.replace('_', ' ');
}

export class RulesPanel {
  constructor(projectId) {
    this.projectId = projectId;
    this.keys = [];
    this.presets = [];
    this.list = h('div', { class: 'rules-list' });
    this.form = this.buildForm();
    this.el = h('section', { class: 'card rules-panel', 'aria-label': 'Automations' },
      h('div', { class: 'card-head' }, h('h2', { class: 'card-title' }, 'Rules'),
        h('p', { class: 'small muted' }, 'Rules watch every run of this project as its entries arrive, and act: a snapshot, a new lr, stop, restore, a webhook.')),
      this.list, this.form);
  }

  /** The project's metric keys (for the key field); loads the rules. */
  async update(keys) {
    this.keys = keys;
    this.keyList.replaceChildren(...keys.map((k) => h('option', { value: k })));
    if (!this.presets.length) {
      try {
        this.presets = (await api('rules/presets')).presets;
        this.presetPicker.replaceChildren(...this.presets.map((p) => h('option', { value: p.id }, p.title)));
        this.choosePreset(this.presets[0]?.id);
      } catch (err) {
        this.formStatus.replaceChildren(errorBox(errorMessage(err)));
      }
    }
    return this.load();
  }

  async load() {
    let rules;
    try {
      rules = (await api(`projects/${this.projectId}/rules`)).rules;
    } catch (err) {
      this.list.replaceChildren(errorBox(errorMessage(err), () => this.load()));
      return;
    }
    if (!rules.length) {
      this.list.replaceChildren(emptyState('No rules yet', 'Start from a preset below: try the backtest to see where it would have fired.'));
      return;
    }
    this.list.replaceChildren(h('table', { class: 'table rules-table' },
      h('thead', {}, h('tr', {}, ...['Rule', 'When', 'Then', 'Fired', ''].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, ...rules.map((rule) => this.row(rule)))));
  }

  row(rule) {
    const fired = h('td', { class: 'num' }, '…');
    const details = h('tr', { class: 'rule-firings', hidden: true }, h('td', { colspan: '5' }));
    const toggle = h('input', { type: 'checkbox', checked: rule.enabled, 'aria-label': `Enable ${rule.name}`,
      onChange: async (e) => {
        try {
          await api(`rules/${rule.id}`, { method: 'PATCH', body: { enabled: e.target.checked } });
        } catch (err) {
          e.target.checked = !e.target.checked;
          toast(errorMessage(err), 'error');
        }
      } });
    const remove = h('button', { class: 'btn btn-small btn-ghost', type: 'button', onClick: async (e) => {
      if (e.currentTarget.dataset.armed !== '1') {
        e.currentTarget.dataset.armed = '1';
        e.currentTarget.textContent = 'Really delete?';
        return;
      }
      try {
        await api(`rules/${rule.id}`, { method: 'DELETE' });
        toast(`Deleted rule “${rule.name}”.`, 'success');
        this.load();
      } catch (err) {
        toast(errorMessage(err), 'error');
      }
    } }, 'Delete');
    const show = h('button', { class: 'btn btn-small btn-ghost', type: 'button', 'aria-expanded': 'false', onClick: async (e) => {
      const open = details.hidden;
      details.hidden = !open;
      e.currentTarget.setAttribute('aria-expanded', String(open));
      if (open) details.firstChild.replaceChildren(await this.firings(rule));
    } }, 'Firings');
    const flags = [rule.dry_run ? 'dry run' : null, rule.result_id ? `run ${rule.result_id} only` : null].filter(Boolean);
    api(`rules/${rule.id}/firings`).then((a) => { fired.textContent = String(a.firings.length); }, () => { fired.textContent = '?'; });
    return [
      h('tr', { dataset: { rule: String(rule.id) } },
        h('td', {}, h('label', { class: 'field-inline' }, toggle, h('span', {}, rule.name)),
          flags.length ? h('span', { class: 'small muted' }, ` (${flags.join(', ')})`) : null),
        h('td', {}, describeCondition(rule.condition)), h('td', {}, describeAction(rule.action)), fired,
        h('td', { class: 'actions' }, show, remove)),
      details,
    ];
  }

  async firings(rule) {
    try {
      const { firings } = await api(`rules/${rule.id}/firings`);
      if (!firings.length) return h('p', { class: 'small muted' }, 'It has not fired.');
      return h('ul', { class: 'firing-list' }, ...firings.slice(-50).reverse().map((f) => h('li', { class: 'small' },
        h('a', { href: `results/${f.result_id}` }, `run ${f.result_id}`), ` at ${f.x ?? '?'}: ${f.reason} — ${f.outcome}`,
        f.command_status ? ` (${f.command_status})` : '', f.message ? `: ${f.message}` : '')));
    } catch (err) {
      return errorBox(errorMessage(err));
    }
  }

  buildForm() {
    this.presetPicker = h('select', { class: 'input input-small', 'aria-label': 'Preset', onChange: (e) => this.choosePreset(e.target.value) });
    this.keyList = h('datalist', { id: `rule-keys-${this.projectId}` });
    this.keyInput = h('input', { class: 'input input-small', list: this.keyList.id, 'aria-label': 'Metric key', placeholder: 'main/loss',
      onInput: () => this.clearPreview() });
    this.nameInput = h('input', { class: 'input input-small', 'aria-label': 'Rule name', maxLength: 100 });
    this.dryRun = h('input', { type: 'checkbox', 'aria-label': 'Dry run' });
    this.presetText = h('p', { class: 'small muted' });
    this.preview = h('div', { class: 'rule-preview', role: 'status' });
    this.formStatus = h('div');
    this.saveButton = h('button', { class: 'btn btn-primary btn-small', type: 'submit' }, 'Save rule');
    return h('form', { class: 'rule-form', onSubmit: (e) => { e.preventDefault(); this.save(); } },
      h('h3', { class: 'card-subtitle' }, 'Add a rule'),
      h('div', { class: 'toolbar' },
        h('label', { class: 'field-inline' }, h('span', {}, 'Preset'), this.presetPicker),
        h('label', { class: 'field-inline' }, h('span', {}, 'Metric'), this.keyInput, this.keyList),
        h('label', { class: 'field-inline grow' }, h('span', {}, 'Name'), this.nameInput),
        h('label', { class: 'field-inline' }, this.dryRun, h('span', {}, 'Dry run'))),
      this.presetText,
      h('div', { class: 'toolbar' },
        h('button', { class: 'btn btn-small', type: 'button', onClick: () => this.backtest() }, 'Backtest'), this.saveButton),
      this.preview, this.formStatus);
  }

  choosePreset(id) {
    const preset = this.presets.find((p) => p.id === id);
    if (!preset) return;
    this.presetPicker.value = id;
    this.keyInput.disabled = !preset.key; // a rule on the run itself (hang alarm) watches no metric
    this.keyInput.value = !preset.key ? '' : this.keys.includes(preset.key) ? preset.key : (this.keys.find((k) => /loss/.test(k)) || preset.key);
    this.nameInput.value = '';
    this.presetText.textContent = preset.description;
    this.clearPreview();
  }

  definition() {
    const preset = this.presets.find((p) => p.id === this.presetPicker.value);
    const key = this.keyInput.value.trim();
    const base = preset.definition;
    if (!('key' in base.condition)) return { ...base, name: this.nameInput.value.trim() || base.name, dry_run: this.dryRun.checked };
    return { ...base, name: this.nameInput.value.trim() || base.name.replace(preset.key, key),
      condition: { ...base.condition, key }, dry_run: this.dryRun.checked };
  }

  clearPreview() {
    this.preview.replaceChildren();
    this.formStatus.replaceChildren();
  }

  async backtest() {
    this.clearPreview();
    try {
      const answer = await api(`projects/${this.projectId}/rules/backtest`, { method: 'POST', body: this.definition() });
      const fired = answer.runs.filter((r) => r.firings.length);
      this.preview.replaceChildren(h('p', { class: 'small' },
        `On the history of ${answer.runs.length} run(s) with this metric it would have fired ${answer.firings} time(s), on ${fired.length} run(s).`),
      fired.length ? h('ul', { class: 'firing-list' }, ...fired.slice(0, 20).map((r) => h('li', { class: 'small' },
        h('a', { href: `results/${r.result_id}` }, r.name), `: at ${r.firings.slice(0, 8).map((f) => f.x).join(', ')}${r.firings.length > 8 ? ' …' : ''}`))) : null);
    } catch (err) {
      this.formStatus.replaceChildren(errorBox(errorMessage(err)));
    }
  }

  async save() {
    this.formStatus.replaceChildren();
    try {
      const { rule } = await api(`projects/${this.projectId}/rules`, { method: 'POST', body: this.definition() });
      toast(`Saved rule “${rule.name}”: it watches new entries from now on.`, 'success');
      this.clearPreview();
      await this.load();
    } catch (err) {
      this.formStatus.replaceChildren(errorBox(errorMessage(err)));
    }
  }
}
