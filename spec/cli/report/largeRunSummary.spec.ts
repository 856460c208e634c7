import { waitsLine } from '../../../src/cli/report/largeRunSummary';
import type { TaskRow } from '../../../src/cli/report/runModel';
import type { TaskWait } from '../../../src/cli/report/taskWaits';

/** A task that completed, having waited `wait` before its first start. */
function waited(id: string, wait: TaskWait | undefined): TaskRow {
  return { id, outcome: 'completed', attempts: [], readyMs: 0, endMs: 1, detail: undefined, ...(wait === undefined ? {} : { wait }) };
}

const slot = (ms: number): TaskWait => ({
  kind: 'waited',
  ms,
  thenMs: 0,
  cause: { kind: 'slot', concurrency: 8, held: { attempts: 8, units: 8 }, weight: 1 },
});

describe('waitsLine', () => {
  it('should count the tasks held back by each kind of wait, the most common first, with the longest wait', () => {
    const tasks = [
      waited('a', slot(20)),
      waited('b', {
        kind: 'waited',
        ms: 500,
        thenMs: 1,
        cause: { kind: 'rate', limit: 'api', rate: { limit: 1, intervalMs: 500 }, units: 1 },
      }),
      waited('c', slot(1500)),
      waited('d', { kind: 'dispatch', ms: 2 }),
      waited('e', { kind: 'resumed', ms: 3200 }),
      waited('f', undefined),
      waited('g', slot(5)),
    ];
    expect(waitsLine(tasks)).toBe(
      '<p class="meta" id="waits">Waited before their first start, of every task: ' +
        '3 for a free slot (the run&#39;s concurrency: 8), the longest 1.50 s; ' +
        '1 for limit api (its rate: 1 per 500 ms), the longest 500 ms; ' +
        '1 across a stop and resume of the run, the longest 3.20 s</p>\n',
    );
  });

  it('should say nothing when no task was held back (dispatch latency is not a wait)', () => {
    expect(waitsLine([waited('a', { kind: 'dispatch', ms: 2 }), waited('b', { kind: 'unexplained', ms: 40 })])).toBe('');
  });
});
