/**
 * Steer a running job: take a snapshot, adjust optimizer hyperparameters (current values
 * shown, live), stop, or run one of the job's own commands; now or at an iteration/epoch.
 * A hyperparameter change says what it means under an LR scheduler: scale the rest of the
 * schedule (the job's default) or hold the value.
 * Posts to `POST /results/<id>/commands`; the history component shows the outcome.
 */
import { h } from '../dom.js';
import { api, errorMessage } from '../api.js';
import { formatArg, parseValue } from '../lib/format.js';
import { toast } from './feedback.js';

const BUILTIN = new Set(['take_snapshot', 'adjust_hyperparams', 'stop', 'restore']); // restore: its own form

/** The two meanings of a change under an LR scheduler (`"mode"` in the command body), one line each. */
export const MODES = {
  scale: {
    label: 'scale the schedule',
    help: 'The value becomes the one typed now; the scheduler goes on moving it from there (warmup and decay keep their shape).',
  },
  hold: {
    label: 'hold this value',
    help: 'The value stays the one typed from now on; the scheduler no longer moves it.',
  },
};

/** Numbers and tuples of numbers (lr, momentum, betas...) are worth a field; flags such as `foreach` are not. */
function isTunable(value) {
  return (typeof value === 'number') || (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'number'));
}

export class CommandPanel {
  constructor({ resultId, onPosted = () => {} }) {
    this.resultId = resultId;
    this.onPosted = onPosted;
    this.result = null;
    this.shapeSignature = '';
    this.when = h('select', { class: 'input input-small', 'aria-label': 'When to apply', onChange: () => this.syncWhen() },
      h('option', { value: 'now' }, 'now'), h('option', { value: 'iteration' }, 'at iteration'), h('option', { value: 'epoch' }, 'at epoch'));
    this.whenValue = h('input', { class: 'input input-small input-num', type: 'number', min: '0', step: '1', 'aria-label': 'Iteration or epoch', hidden: true });
    this.notice = h('p', { class: 'notice', hidden: true });
    this.error = h('p', { class: 'form-error', role: 'alert' });
    this.hpSlot = h('div');
    this.userSlot = h('div');
    this.restoreSlot = h('div');
    this.snapshotBtn = h('button', { class: 'btn', type: 'button', onClick: () => this.post('take_snapshot', {}) }, 'Take snapshot');
    this.stopBtn = h('button', { class: 'btn btn-danger', type: 'button', onClick: () => {
      if (confirm('Stop this job? It finishes its current step and exits.')) this.post('stop', {});
    } }, 'Stop job');
    this.controls = h('div', { class: 'command-controls' },
      h('div', { class: 'field-inline when-row' }, h('span', {}, 'Apply'), this.when, this.whenValue),
      h('div', { class: 'button-row' }, this.snapshotBtn, this.stopBtn),
      this.hpSlot, this.restoreSlot, this.userSlot, this.error);
    this.el = h('section', { class: 'card card-pad command-panel', 'aria-label': 'Commands' },
      h('h2', { class: 'section-title' }, 'Commands'), this.notice, this.controls);
  }

  syncWhen() {
    this.whenValue.hidden = this.when.value === 'now';
    if (!this.whenValue.hidden) {
      const current = this.result?.[this.when.value];
      if (this.whenValue.value === '' && Number.isFinite(current)) this.whenValue.value = String(current + 1);
      this.whenValue.focus();
    }
  }

  schedule() {
    if (this.when.value === 'now') return undefined;
    const value = Number.parseInt(this.whenValue.value, 10);
    if (!Number.isFinite(value) || value < 0) throw new Error(`Enter the ${this.when.value} to apply the command at.`);
    return { key: this.when.value, value };
  }

  /** Refresh with the latest `GET /results/<id>` answer; typed input is kept. */
  update(result) {
    this.result = result;
    const running = result.status === 'running';
    // Written by TensorBoard's SummaryWriter alone: no trainui job reads commands, so none is offered.
    const readOnly = Boolean(result.tensorboard) && !result.status;
    this.controls.hidden = readOnly;
    this.notice.hidden = running;
    this.notice.replaceChildren(readOnly
      ? 'Read from TensorBoard event files: this run takes no commands (its script writes with SummaryWriter; a script that uses trainui.Run can be steered).'
      : `The job is ${result.status || 'not running'}: commands can only be sent to a running job.`);
    for (const el of this.el.querySelectorAll('button, input, select, textarea')) el.disabled = !running;
    const groups = result.hyperparams || [];
    const hpKeys = [...new Set(groups.flatMap((g) => Object.keys(g)))].filter((k) => groups.some((g) => isTunable(g[k])));
    const userCommands = (result.commands_available || []).filter((c) => !BUILTIN.has(c));
    const restores = (result.commands_available || []).includes('restore');
    const shape = JSON.stringify([hpKeys, groups.length, userCommands, running, restores]);
    if (shape !== this.shapeSignature) {
      this.shapeSignature = shape;
      this.renderHyperparams(hpKeys, groups.length, running);
      this.renderRestore(restores, running);
      this.renderUserCommands(userCommands, running);
    }
    for (const cell of this.hpSlot.querySelectorAll('[data-current]')) {
      const group = this.groupSelect?.value;
      const key = cell.dataset.current;
      const value = group && group !== 'all' ? groups[Number(group)]?.[key] : groups[0]?.[key];
      const text = formatArg(value);
      if (cell.textContent !== text) cell.textContent = text;
    }
  }

  renderHyperparams(keys, nGroups, running) {
    if (!keys.length) {
      this.hpSlot.replaceChildren(h('p', { class: 'muted small' }, 'The job reports no optimizer hyperparameters (pass optimizer= to trainui.Run).'));
      return;
    }
    this.groupSelect = nGroups > 1
      ? h('select', { class: 'input input-small', 'aria-label': 'Parameter group', disabled: !running, onChange: () => this.update(this.result) },
        h('option', { value: 'all' }, 'all groups'), ...Array.from({ length: nGroups }, (_, i) => h('option', { value: String(i) }, `group ${i}`)))
      : null;
    const rows = keys.map((key) => h('tr', {},
      h('th', { scope: 'row', class: 'mono' }, key),
      h('td', { class: 'mono current', dataset: { current: key } }),
      h('td', {}, h('input', { class: 'input input-small', name: key, disabled: !running, 'aria-label': `New ${key}`, placeholder: 'new value' }))));
    const form = h('form', { class: 'hp-form', onSubmit: (e) => {
      e.preventDefault();
      this.adjust(form);
    } },
    h('div', { class: 'hp-head' }, h('h3', {}, 'Hyperparameters'), this.groupSelect),
    h('table', { class: 'table table-compact' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'key'), h('th', { scope: 'col' }, 'current'), h('th', { scope: 'col' }, 'new'))),
      h('tbody', {}, rows)),
    this.renderMode(running),
    h('button', { class: 'btn btn-primary', type: 'submit', disabled: !running }, 'Apply'));
    this.hpSlot.replaceChildren(form);
  }

  /** Scale or hold, with the line that says what the choice does; kept across re-renders. */
  renderMode(running) {
    const chosen = this.modeSelect?.value || 'scale';
    const help = h('p', { class: 'muted small hp-mode-help', id: `hp-mode-help-${this.resultId}` });
    this.modeSelect = h('select', {
      class: 'input input-small', 'aria-label': 'Under an LR scheduler', 'aria-describedby': help.id, disabled: !running,
      onChange: () => help.replaceChildren(MODES[this.modeSelect.value].help),
    }, ...Object.entries(MODES).map(([value, mode]) => h('option', { value }, mode.label)));
    this.modeSelect.value = chosen;
    help.replaceChildren(MODES[chosen].help);
    return h('div', { class: 'hp-mode' }, h('div', { class: 'field-inline' }, h('span', {}, 'Under an LR scheduler'), this.modeSelect), help);
  }

  adjust(form) {
    const values = {};
    for (const input of form.querySelectorAll('input[name]')) {
      const v = parseValue(input.value);
      if (v !== undefined) values[input.name] = v;
    }
    if (!Object.keys(values).length) {
      this.error.replaceChildren('Type a new value for at least one hyperparameter.');
      return;
    }
    const group = this.groupSelect?.value;
    const body = group && group !== 'all' ? { param_groups: { [group]: values } } : { ...values };
    body.mode = this.modeSelect?.value || 'scale';
    this.post('adjust_hyperparams', body).then((ok) => {
      if (ok) for (const input of form.querySelectorAll('input[name]')) input.value = '';
    });
  }

  /** Back to a snapshot (the last one, or the last at or before an iteration), lr times a factor. */
  renderRestore(available, running) {
    if (!available) {
      this.restoreSlot.replaceChildren();
      return;
    }
    const iteration = h('input', { class: 'input input-small input-num', type: 'number', min: '0', step: '1', disabled: !running,
      'aria-label': 'Restore the last snapshot at or before iteration', placeholder: 'last' });
    const factor = h('input', { class: 'input input-small input-num', type: 'number', min: '0', step: 'any', disabled: !running,
      'aria-label': 'Multiply the lr by', placeholder: '1' });
    const form = h('form', { class: 'restore-form', onSubmit: (e) => {
      e.preventDefault();
      const body = {};
      if (iteration.value !== '') body.iteration = Number.parseInt(iteration.value, 10);
      if (factor.value !== '' && Number(factor.value) !== 1) {
        if (!(Number(factor.value) > 0)) {
          this.error.replaceChildren('The lr factor must be a number above 0, e.g. 0.5.');
          return;
        }
        body.multiply = { lr: Number(factor.value) };
      }
      this.post('restore', body);
    } },
    h('h3', {}, 'Restore'),
    h('p', { class: 'muted small' }, 'Back to a snapshot on every rank (model, optimizer, schedulers, RNG), the log rewound with it.'),
    h('div', { class: 'toolbar-inline' },
      h('label', { class: 'field-inline' }, h('span', {}, 'at or before iteration'), iteration),
      h('label', { class: 'field-inline' }, h('span', {}, 'lr x'), factor),
      h('button', { class: 'btn btn-small', type: 'submit', disabled: !running }, 'Restore')));
    this.restoreSlot.replaceChildren(form);
  }

  renderUserCommands(names, running) {
    if (!names.length) {
      this.userSlot.replaceChildren();
      return;
    }
    this.userSlot.replaceChildren(h('h3', {}, 'Job commands'), ...names.map((name) => {
      const body = h('textarea', { class: 'input mono', rows: '2', disabled: !running, 'aria-label': `Body of ${name} (JSON object)` }, '{}');
      return h('div', { class: 'user-command' },
        h('div', { class: 'user-command-head' }, h('span', { class: 'mono' }, name),
          h('button', { class: 'btn btn-small', type: 'button', disabled: !running, onClick: () => {
            let parsed;
            try {
              parsed = JSON.parse(body.value || '{}');
              if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
            } catch {
              this.error.replaceChildren(`The body of ${name} must be a JSON object, e.g. {"factor": 2}.`);
              return;
            }
            this.post(name, parsed);
          } }, 'Run')),
        body);
    }));
  }

  async post(name, body) {
    this.error.replaceChildren();
    let schedule;
    try {
      schedule = this.schedule();
    } catch (err) {
      this.error.replaceChildren(err.message);
      return false;
    }
    try {
      const payload = { name, body };
      if (schedule) payload.schedule = schedule;
      const { command } = await api(`results/${this.resultId}/commands`, { method: 'POST', body: payload });
      toast(`${name} sent${schedule ? ` (at ${schedule.key} ${schedule.value})` : ''}`, 'success');
      this.onPosted(command);
      return true;
    } catch (err) {
      this.error.replaceChildren(`${name} failed: ${errorMessage(err)}`);
      return false;
    }
  }
}
