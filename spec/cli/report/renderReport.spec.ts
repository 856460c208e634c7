import { renderReport } from '../../../src/cli/report/renderReport';
import { eventsOf } from '../support/eventBuilder';
import { rateRun } from './waitRuns';

/** Two tasks of a DAG with one limit, api (1 start a window of 500 ms), run at -c 1: `a` ended at 12 ms. */
const events = rateRun;
const setup = {
  limits: { api: { rate: { limit: 1, intervalMs: 500 } } },
  tasks: new Map([
    ['a', { limits: ['api'] }],
    ['b', { limits: ['api'] }],
  ]),
};
const deps = { a: [], b: [] };

/** The title of the line from ready to first start of `taskId`. */
function waitOf(html: string, taskId: string): string | undefined {
  return new RegExp(
    `<g class="gantt-row" data-task="${taskId}">(?:(?!</g>).)*?<line class="(?:queued|dispatch)"[^>]*><title>([^<]*)</title>`,
  ).exec(html)?.[1];
}

describe('renderReport', () => {
  it("should tell the timeline the DAG's limits", () => {
    const html = renderReport({ events, deps, setup, maxConcurrency: 1 });
    // -c 1 was not what held b: the slot a held was free from 12 ms on
    expect(waitOf(html, 'b')).toBe('b: waited 500 ms for limit api (its rate: 1 per 500 ms), started 1 ms later');
    expect(html).toContain('<span class="swatch-line queued"></span>waited for a slot, a limit or its agent</span>');
  });

  it("should say the run was full only when told the run's concurrency", () => {
    const oneAtATime = eventsOf(
      { type: 'dag.created', at: 0, dagId: 'serial', taskCount: 2 },
      { type: 'task.ready', at: 0, taskId: 'x', attempt: 1 },
      { type: 'task.ready', at: 0, taskId: 'y', attempt: 1 },
      { type: 'task.started', at: 0, taskId: 'x', attempt: 1, agent: 'sleep' },
      { type: 'task.completed', at: 40, taskId: 'x', attempt: 1, durationMs: 40 },
      { type: 'task.started', at: 40, taskId: 'y', attempt: 1, agent: 'sleep' },
      { type: 'task.completed', at: 50, taskId: 'y', attempt: 1, durationMs: 10 },
    );
    const noLimits = { limits: {}, tasks: new Map() };
    expect(waitOf(renderReport({ events: oneAtATime, setup: noLimits, maxConcurrency: 1 }), 'y')).toBe(
      'y: waited 40 ms for a free slot (the run&#39;s concurrency: 1, 1 running)',
    );
    expect(waitOf(renderReport({ events: oneAtATime, setup: noLimits }), 'y')).toBe(
      'y: waited 40 ms until an attempt ended (1 running; the run never held more than 1 at once: perhaps its concurrency limit)',
    );
  });

  it('should not name a limit it was not told of', () => {
    expect(waitOf(renderReport({ events }), 'b')).toBe(
      'b: waited 501 ms (ready → started; without the DAG&#39;s limits the report cannot tell what for)',
    );
  });
});
