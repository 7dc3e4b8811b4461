/**
 * Events on one chart: a dashed vertical line at the x of each event (a command the job applied,
 * a resume) with a small flag at the plot's top; hovering or focusing the flag shows what happened
 * and where ("lr 0.1 -> 0.01", "at iteration 4,990, by command #12"). Events closer than a few
 * pixels share one flag, which lists them all.
 *
 * The layer sits over the plot in the chart's body and is placed from Plotly's x axis after every
 * draw, zoom and resize (`place`), so the flags follow the curves; it never touches the traces.
 * Event text is the job's data: it is set as text, never as markup.
 */
import { h, replace } from '../dom.js';
import { eventLines, kindOf, markersFor } from '../lib/events.js';

export class ChartEvents {
  constructor({ plot, body }) {
    this.plot = plot;
    this.body = body;
    this.events = [];
    this.runName = null;
    this.visible = true;
    this.xKey = null;
    this.drawn = '';
    this.shown = null; // the event ids of the flag whose details are shown
    this.flags = new Map(); // flag element -> its marker
    this.layer = h('div', { class: 'event-layer', 'aria-label': 'Events', dataset: { count: '0' } });
    this.tip = h('div', { class: 'hover-tip event-tip', hidden: true, role: 'tooltip' });
    body.append(this.layer, this.tip);
    const flagOf = (e) => e.target.closest?.('.event-flag');
    this.layer.addEventListener('mouseover', (e) => flagOf(e) && this.show(flagOf(e)));
    this.layer.addEventListener('focusin', (e) => flagOf(e) && this.show(flagOf(e)));
    this.layer.addEventListener('focusout', () => this.hide());
    this.onMove = (e) => {
      if (this.shown && !flagOf(e)) this.hide();
    };
    body.addEventListener('mousemove', this.onMove);
    body.addEventListener('mouseleave', this.onMove);
  }

  /** The events to mark (of the run named `runName` when a chart shows several runs). */
  set(events, { runName = null } = {}) {
    this.events = events || [];
    this.runName = runName;
    this.place();
  }

  setVisible(visible) {
    this.visible = !!visible;
    this.place();
  }

  /**
   * Put the flags where the x axis now puts their x (`xKey`: the chart's x key, else the last
   * one). Rebuilt only when a flag moves, so a live chart's redraws keep an open hover.
   */
  place(xKey = this.xKey) {
    this.xKey = xKey;
    const layout = this.plot._fullLayout;
    const size = layout?._size;
    const markers = this.visible && this.events.length && layout?.xaxis && xKey
      ? markersFor(this.events, xKey, (x) => layout.xaxis.c2p(x)).filter((m) => m.px >= -0.5 && m.px <= size.w + 0.5)
      : [];
    const signature = JSON.stringify([this.runName, size && [size.l, size.t, size.w, size.h],
      markers.map((m) => [Math.round(m.px * 10), m.events.map((e) => [e.id, e.summary, e.status])])]);
    if (signature === this.drawn) return;
    this.drawn = signature;
    this.flags.clear();
    this.layer.replaceChildren(...markers.flatMap((m) => this.marker(m, size)));
    this.layer.dataset.count = String(markers.length);
    const again = this.shown && [...this.flags.keys()].find((f) => f.dataset.events === this.shown);
    if (again) this.show(again);
    else this.hide();
  }

  marker(m, size) {
    const left = size.l + m.px;
    const kinds = [...new Set(m.events.map(kindOf))];
    const kind = kinds.length === 1 ? kinds[0] : 'mixed';
    const failed = m.events.every((e) => e.status === 'FAILURE');
    const classes = (base) => [base, `event-${kind}`, failed && 'event-failed'];
    const line = h('div', { class: classes('event-line'), 'aria-hidden': 'true',
      style: { left: `${left}px`, top: `${size.t}px`, height: `${size.h}px` } });
    const flag = h('button', { class: classes('event-flag'), type: 'button',
      'aria-label': m.events.map((e) => eventLines(e).join(' ')).join('; '),
      style: { left: `${left}px`, top: `${size.t}px` },
      dataset: { x: String(m.x), events: m.events.map((e) => e.id).join(' ') } });
    this.flags.set(flag, { ...m, left, top: size.t });
    return [line, flag];
  }

  /** The details of a flag's events, beside it (flipped to stay inside the chart). */
  show(flag) {
    const m = this.flags.get(flag);
    if (!m) return;
    this.shown = flag.dataset.events;
    replace(this.tip,
      this.runName ? h('div', { class: 'hover-head muted' }, this.runName) : null,
      m.events.map((e) => {
        const [summary, ...rest] = eventLines(e);
        return h('div', { class: ['event-tip-row', `event-${kindOf(e)}`] },
          h('div', { class: 'event-summary' }, summary), rest.map((line) => h('div', { class: 'muted small' }, line)));
      }));
    this.tip.hidden = false;
    const tw = this.tip.offsetWidth;
    const x = m.left + 10 + tw <= this.body.clientWidth ? m.left + 10 : Math.max(0, m.left - 10 - tw);
    this.tip.style.transform = `translate(${Math.round(x)}px, ${Math.round(m.top + 12)}px)`;
  }

  hide() {
    this.shown = null;
    this.tip.hidden = true;
  }

  destroy() {
    this.body.removeEventListener('mousemove', this.onMove);
    this.body.removeEventListener('mouseleave', this.onMove);
  }
}
