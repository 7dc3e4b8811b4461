/**
 * Images a job recorded, by tag and step: a slider picks the step and every tag shows its
 * image at that step (or the latest before it), so triplets such as original / adversarial /
 * noise line up. Follows the newest step while the slider is at the end. A click on an image
 * opens it full size (lightbox.js) with the same step slider.
 */
import { h } from '../dom.js';
import { apiUrl } from '../api.js';
import { emptyState } from './feedback.js';
import { ImageLightbox } from './lightbox.js';
import { latestAtOrBefore } from '../lib/steps.js';

export class ImagesPanel {
  constructor() {
    this.assets = [];
    this.steps = [];
    this.index = -1;
    this.slider = h('input', { type: 'range', class: 'slider slider-wide', min: '0', max: '0', step: '1', value: '0', 'aria-label': 'Step',
      onInput: (e) => {
        this.index = Number(e.target.value);
        this.renderImages();
      } });
    this.stepLabel = h('output', { class: 'mono small' });
    this.grid = h('div', { class: 'image-grid' });
    this.controls = h('div', { class: 'toolbar' }, h('label', { class: 'field-inline grow' }, h('span', {}, 'Step'), this.slider), this.stepLabel);
    this.content = h('div');
    this.el = h('section', { class: 'card images-card', 'aria-label': 'Images' },
      h('div', { class: 'toolbar' }, h('h2', { class: 'section-title' }, 'Images')), this.content);
    this.signature = '';
    this.lightbox = new ImageLightbox({
      steps: () => this.steps,
      assetAt: (tag, step) => this.assetAt(tag, step),
    }, {
      onClose: (index) => {
        // Back in the grid at the step the user went to in the lightbox.
        if (index !== this.index) {
          this.index = index;
          this.slider.value = String(index);
          this.renderImages();
        }
      },
    });
  }

  update(assets) {
    const signature = JSON.stringify(assets.map((a) => a.id));
    if (signature === this.signature) return;
    this.signature = signature;
    const atEnd = this.index === -1 || this.index >= this.steps.length - 1;
    this.assets = assets;
    this.steps = [...new Set(assets.map((a) => a.step))].sort((a, b) => a - b);
    if (!assets.length) {
      this.content.replaceChildren(emptyState('No images', 'Images recorded with run.log_image(tag, image, step=...) show here.'));
      return;
    }
    if (atEnd) this.index = this.steps.length - 1;
    this.slider.max = String(this.steps.length - 1);
    this.slider.value = String(this.index);
    this.slider.disabled = this.steps.length < 2;
    this.content.replaceChildren(this.controls, this.grid);
    this.renderImages();
    this.lightbox.refresh();
  }

  /** The image of `tag` at `step`, or the latest one before it. */
  assetAt(tag, step) {
    return latestAtOrBefore(this.assets.filter((a) => a.tag === tag), step);
  }

  renderImages() {
    const step = this.steps[this.index];
    const tags = [...new Set(this.assets.map((a) => a.tag))].sort();
    this.stepLabel.value = `step ${step} (${this.index + 1} of ${this.steps.length})`;
    const figures = tags.map((tag) => {
      const asset = this.assetAt(tag, step);
      if (!asset) return h('figure', { class: 'image-figure missing' }, h('div', { class: 'image-missing' }, 'no image yet'), h('figcaption', {}, tag));
      return h('figure', { class: 'image-figure', dataset: { tag, step: String(asset.step) } },
        h('button', { class: 'image-open', type: 'button', title: 'Open full size', 'aria-label': `Open ${tag} at step ${asset.step} full size`,
          onClick: () => this.lightbox.open(tag, this.index) },
        h('img', { src: apiUrl(asset.url), alt: `${tag} at step ${asset.step}`, loading: 'lazy', decoding: 'async' })),
        h('figcaption', {}, h('span', { class: 'mono' }, tag), h('span', { class: 'muted small' },
          ` step ${asset.step}${asset.iteration !== null && asset.iteration !== undefined ? ` · it ${asset.iteration}` : ''}`)));
    });
    this.grid.replaceChildren(...figures);
  }

  destroy() {
    this.lightbox.destroy();
  }
}
