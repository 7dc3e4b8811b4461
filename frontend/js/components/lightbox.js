/**
 * One image at full size, over the page: a modal <dialog> (focus stays inside, Escape closes)
 * with the same step slider as the image grid, arrow keys to step, "actual pixels" versus
 * "fit to the window", and a link to the file. Small images (a 28 x 28 digit) are scaled up
 * with crisp pixels, since their natural size would be smaller than the tile they came from.
 */
import { h, icon, ICONS } from '../dom.js';
import { apiUrl } from '../api.js';

export class ImageLightbox {
  /** source: {steps(): [step], assetAt(tag, step): asset | null}; onClose(index) tells the grid where the user went. */
  constructor(source, { onClose = () => {} } = {}) {
    this.source = source;
    this.onClose = onClose;
    this.tag = null;
    this.index = 0;
    this.title = h('h2', { class: 'lightbox-title' });
    this.img = h('img', { class: 'lightbox-img', alt: '' });
    this.img.addEventListener('load', () => this.showSize());
    this.size = h('span', { class: 'muted small mono' });
    this.stepLabel = h('output', { class: 'mono small' });
    this.slider = h('input', { type: 'range', class: 'slider slider-wide', min: '0', max: '0', step: '1', 'aria-label': 'Step of the enlarged image',
      onInput: (e) => this.show(Number(e.target.value)) });
    this.actual = h('input', { type: 'checkbox', onChange: () => this.el.classList.toggle('actual-size', this.actual.checked) });
    this.fileLink = h('a', { class: 'btn btn-small', target: '_blank', rel: 'noopener' }, icon(ICONS.download), 'Open file');
    const close = h('button', { class: 'btn btn-small btn-icon btn-ghost', type: 'button', 'aria-label': 'Close', title: 'Close (Esc)',
      onClick: () => this.el.close() }, icon(ICONS.close));
    this.el = h('dialog', { class: 'lightbox', 'aria-label': 'Image' },
      h('header', { class: 'lightbox-head' }, this.title, this.size, h('span', { class: 'spacer' }),
        h('label', { class: 'field-inline small' }, this.actual, h('span', {}, 'Actual pixels')), this.fileLink, close),
      h('div', { class: 'lightbox-body' }, this.img),
      h('footer', { class: 'lightbox-foot' },
        h('button', { class: 'btn btn-small', type: 'button', 'aria-label': 'Previous step', onClick: () => this.show(this.index - 1) }, '‹'),
        this.slider,
        h('button', { class: 'btn btn-small', type: 'button', 'aria-label': 'Next step', onClick: () => this.show(this.index + 1) }, '›'),
        this.stepLabel));
    this.el.addEventListener('keydown', (e) => {
      if (e.target === this.slider) return; // the slider steps by itself
      if (e.key === 'ArrowLeft') this.show(this.index - 1);
      else if (e.key === 'ArrowRight') this.show(this.index + 1);
    });
    // A click on the backdrop (outside the dialog's box) closes it.
    this.el.addEventListener('click', (e) => {
      if (e.target === this.el) this.el.close();
    });
    this.el.addEventListener('close', () => this.onClose(this.index));
  }

  get isOpen() {
    return this.el.open;
  }

  open(tag, index) {
    this.tag = tag;
    if (!this.el.isConnected) document.body.append(this.el);
    this.show(index);
    if (!this.el.open) this.el.showModal();
    this.slider.focus();
  }

  /** New assets arrived: keep showing the same step, with the slider's end moved. */
  refresh() {
    if (this.el.open) this.show(this.index);
  }

  show(index) {
    const steps = this.source.steps();
    if (!steps.length) return;
    this.index = Math.max(0, Math.min(steps.length - 1, index));
    const step = steps[this.index];
    const asset = this.source.assetAt(this.tag, step);
    this.slider.max = String(steps.length - 1);
    this.slider.value = String(this.index);
    this.slider.disabled = steps.length < 2;
    this.stepLabel.value = `step ${step} (${this.index + 1} of ${steps.length})`;
    const label = asset ? `${this.tag} at step ${asset.step}` : `${this.tag}: no image yet at step ${step}`;
    this.title.replaceChildren(this.tag, h('span', { class: 'muted' }, asset ? ` · step ${asset.step}` : ' · no image yet'));
    this.el.setAttribute('aria-label', label);
    this.el.dataset.step = asset ? String(asset.step) : '';
    if (!asset) {
      this.img.removeAttribute('src');
      this.img.alt = label;
      this.size.replaceChildren();
      this.fileLink.hidden = true;
      return;
    }
    const url = apiUrl(asset.url);
    if (this.img.getAttribute('src') !== url) {
      this.size.replaceChildren();
      this.img.src = url;
    }
    this.img.alt = label;
    this.fileLink.hidden = false;
    this.fileLink.href = url;
  }

  showSize() {
    this.size.replaceChildren(`${this.img.naturalWidth} × ${this.img.naturalHeight} px`);
  }

  destroy() {
    if (this.el.open) this.el.close();
    this.el.remove();
  }
}
