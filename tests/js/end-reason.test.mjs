// Why a run ended, said in one line for the status tooltip and the result page.
import test from 'node:test';
import assert from 'node:assert/strict';
import { endSummary } from '../../frontend/js/lib/end-reason.js';

test('every end reason reads as a sentence', () => {
  assert.equal(endSummary(null), '');
  assert.equal(endSummary({ reason: 'finished', iteration: 1000 }), 'finished at iteration 1000');
  assert.equal(endSummary({ reason: 'exception', message: 'RuntimeError: CUDA out of memory', iteration: 300 }),
    'crashed: RuntimeError: CUDA out of memory');
  assert.equal(endSummary({ reason: 'signal', message: 'terminated by SIGTERM', iteration: 12 }),
    'killed (SIGTERM) at iteration 12');
  assert.equal(endSummary({ reason: 'command', message: 'stopped by command at iteration 2', iteration: 2 }),
    'stopped by command at iteration 2');
  assert.equal(endSummary({ reason: 'heartbeat', at: 1764000000, iteration: 300 }),
    'heartbeat lost at 2025-11-24 16:00:00 UTC, last iteration 300 (killed, out of memory or its machine lost?)');
  assert.equal(endSummary({ reason: 'heartbeat', at: 1764000000, iteration: null }),
    'heartbeat lost at 2025-11-24 16:00:00 UTC (killed, out of memory or its machine lost?)');
  assert.equal(endSummary({ reason: 'interrupted', iteration: 5 }), 'interrupted (Ctrl-C) at iteration 5');
  assert.equal(endSummary({ reason: 'stopped', message: null, iteration: null }), 'stopped');
});
