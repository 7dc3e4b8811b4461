/**
 * Why a run ended, in one line, from the API's `end` object (see the Result schema): the table's
 * status tooltip and the result page say it the same way. Pure; no DOM.
 */
import { formatNumber, formatTimestamp } from './format.js';

const at = (end) => (Number.isInteger(end.iteration) ? ` at iteration ${formatNumber(end.iteration)}` : '');

/** "crashed: RuntimeError: CUDA out of memory", "heartbeat lost at 2026-…, last iteration 300", …; '' while running. */
export function endSummary(end) {
  if (!end || !end.reason) return '';
  switch (end.reason) {
    case 'finished': return `finished${at(end)}`;
    case 'command': return end.message || `stopped by command${at(end)}`;
    case 'signal': return `killed (${(end.message || '').replace(/^terminated by /, '') || 'signal'})${at(end)}`;
    case 'interrupted': return `interrupted (Ctrl-C)${at(end)}`;
    case 'exception': return `crashed: ${end.message}`;
    case 'heartbeat': {
      const last = Number.isInteger(end.iteration) ? `, last iteration ${formatNumber(end.iteration)}` : '';
      return `heartbeat lost at ${formatTimestamp(end.at)} UTC${last} (killed, out of memory or its machine lost?)`;
    }
    case 'missing': return 'its directory went away while it ran';
    default: return end.message ? `stopped: ${end.message}` : `stopped${at(end)}`;
  }
}
