/**
 * One image tag across the charted runs, side by side at one step: a grid with a cell per run
 * (named by the run, in its chart colour), one slider over every step any of them logged, and
 * each run showing its image at that step or the nearest one before it (runs log at different
 * steps). The slider follows the newest step while it is at the end; a click opens the image in
 * the lightbox, whose slider moves over the same steps. One request per update for every run
 * (`GET /assets?results=...&tag=...`), never one per run.
 */
import { h } from '../dom.js';
import { api, apiUrl, errorMessage, query } from '../api.js';
import { runColor } from '../lib/traces.js';
import { latestAtOrBefore, unionOfSteps } from '../lib/steps.js';
import { emptyState, errorBox } from './feedback.js';
import { ImageLightbox } from './lightbox.js';

export class ImagesAcross {
  constructor() {
    this.runs = [];
    this.tag = null;
    this.tags = [];
    this.byRun = new Map(); // run id -> its images of the tag, by step
    this.steps = [];
    this.index = -1;
    this.request = 0;
    this.answered = '';
    this.tagPicker = h('select', { class: 'input input-small', 'aria-label': 'Image tag', onChange: (e) => {
      this.tag = e.target.value;
      this.index = -1;
      this.load();
    } });
    this.slider = h('input', { type: 'range', class: 'slider slider-wide', min: '0', max: '0', step: '1', value: '0', 'aria-label': 'Step of every run',
      onInput: (e) => {
        this.index = Number(e.target.value);
        this.renderGrid();
      } });
    this.stepLabel = h('output', { class: 'mono small' });
    this.grid = h('div', { class: 'image-grid images-across-grid' });
    this.controls = h('div', { class: 'toolbar' },
      h('label', { class: 'field-inline' }, h('span', {}, 'Image'), this.tagPicker),
      h('label', { class: 'field-inline grow' }, h('span', {}, 'Step'), this.slider), this.stepLabel);
    this.content = h('div');
    this.el = h('section', { class: 'card images-across', 'aria-label': 'Images across runs' }, this.content);
    this.labels = new Map(); // lightbox label -> run id
    this.lightbox = new ImageLightbox({
      steps: () => this.steps,
      assetAt: (label, step) => this.assetAt(this.labels.get(label), step),
    }, {
      onClose: (index) => {
        if (index === this.index) return;
        this.index = index;
        this.renderGrid();
      },
    });
  }

  /** The runs to show (the charted ones): loads their images of the tag (again: new ones may have come). */
  update(runs) {
    this.runs = runs.map((r) => ({ id: r.id, name: r.name }));
    return this.load();
  }

  async load() {
    const token = ++this.request;
    if (!this.runs.length) {
      this.answered = '';
      this.content.replaceChildren(emptyState('No runs charted', 'Tick runs in the table to see their images side by side.'));
      return;
    }
    let answer;
    try {
      answer = await api(`assets${query({ results: this.runs.map((r) => r.id).join(','), tag: this.tag })}`);
    } catch (err) {
      if (token === this.request) this.content.replaceChildren(errorBox(`Could not load the images: ${errorMessage(err)}`));
      return;
    }
    if (token !== this.request) return; // a newer selection or tag was asked for meanwhile
    const signature = JSON.stringify([this.runs, answer]);
    if (signature === this.answered && this.content.contains(this.grid)) return;
    this.answered = signature;
    this.show(answer);
  }

  show(answer) {
    this.tags = answer.tags;
    if (!this.tags.length) {
      this.tag = null;
      this.content.replaceChildren(emptyState('No images', 'None of the charted runs logged an image (run.log_image(tag, image, step=...)).'));
      return;
    }
    this.tag = answer.tag;
    const shownTags = this.tags.includes(this.tag) ? this.tags : [this.tag, ...this.tags];
    this.tagPicker.replaceChildren(...shownTags.map((t) => h('option', { value: t, selected: t === this.tag }, t)));
    const atEnd = this.index === -1 || this.index >= this.steps.length - 1;
    const keptStep = this.steps[this.index];
    this.byRun = new Map(this.runs.map((r) => [r.id, answer.results[String(r.id)] || []]));
    this.steps = unionOfSteps([...this.byRun.values()]);
    this.index = atEnd ? this.steps.length - 1 : Math.max(0, this.steps.indexOf(keptStep));
    this.slider.max = String(Math.max(0, this.steps.length - 1));
    this.slider.disabled = this.steps.length < 2;
    this.content.replaceChildren(this.controls, this.grid);
    this.renderGrid();
    this.lightbox.refresh();
  }

  /** A run's image at `step`, or its latest one before it (null: none yet). */
  assetAt(runId, step) {
    return latestAtOrBefore(this.byRun.get(runId) || [], step);
  }

  renderGrid() {
    this.slider.value = String(this.index);
    const step = this.steps[this.index];
    this.stepLabel.value = this.steps.length ? `step ${step} (${this.index + 1} of ${this.steps.length})` : `no ${this.tag} images yet`;
    this.labels.clear();
    this.grid.replaceChildren(...this.runs.map((run) => {
      const label = `${run.name} · ${this.tag}`;
      this.labels.set(label, run.id);
      const caption = h('figcaption', {}, h('span', { class: 'swatch', style: { background: runColor(run.id) }, 'aria-hidden': 'true' }),
        h('span', { class: 'mono' }, run.name));
      const asset = step === undefined ? null : this.assetAt(run.id, step);
      if (!asset) {
        return h('figure', { class: 'image-figure missing', dataset: { rid: String(run.id) } },
          h('div', { class: 'image-missing' }, step === undefined ? 'no image' : `no image at or before step ${step}`), caption);
      }
      caption.append(h('span', { class: 'muted small' }, ` step ${asset.step}`));
      return h('figure', { class: 'image-figure', dataset: { rid: String(run.id), step: String(asset.step) } },
        h('button', { class: 'image-open', type: 'button', title: 'Open full size', 'aria-label': `Open ${run.name} ${this.tag} at step ${asset.step} full size`,
          onClick: () => this.lightbox.open(label, this.index) },
        h('img', { src: apiUrl(asset.url), alt: `${this.tag} of ${run.name} at step ${asset.step}`, decoding: 'async' })),
        caption);
    }));
  }

  destroy() {
    this.request += 1;
    this.lightbox.destroy();
  }
}
