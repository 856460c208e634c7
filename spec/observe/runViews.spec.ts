import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { Registry } from 'prom-client';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createScheduler, type DagEvent, defineDag, fileJournal, type Journal, JournalWriteError, RunInterruptedError } from '../../src';
import { traceEvents } from '../../src/observe/otel';
import { collectMetrics } from '../../src/observe/prometheus';
import { failingJournal } from '../support/journals';
import { valueOf } from './readMetrics';

/**
 * A run's own notification streams (`run.events$`) as `collectMetrics` and `traceEvents` see
 * them: open after a run that ended with its `dag.completed` (the next subscription's run comes
 * through them too), ended when a run stops without one (an interrupting shutdown, a journal
 * that failed), so that the attempts they saw start count, and end, as interrupted instead of
 * staying in the gauges and open spans for good.
 */

const TWO = defineDag({
  id: 'two',
  tasks: [
    { id: 'a', agent: 'slow' },
    { id: 'b', agent: 'slow' },
  ],
});
const never = () => new Promise<never>(() => {});

describe("a run's events$", () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'rxdag-run-views-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** Submits TWO on `journal` with a collector, a tracer and a listener on the run's `events$`; its error and theirs are kept. */
  function watchedRun(journal: Journal, slow: (context: { id: string }) => Promise<number> = never) {
    const scheduler = createScheduler({ agents: { slow }, healthCheckIntervalMs: 0, journal });
    const registry = new Registry();
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    const run = scheduler.submit(TWO, { runId: 'r' });
    collectMetrics(run.events$, { registry });
    traceEvents(run.events$, provider.getTracer('spec'));
    const seen = { events: [] as DagEvent[], completed: false, errors: [] as unknown[] };
    run.events$.subscribe({ next: (event) => seen.events.push(event), complete: () => (seen.completed = true) });
    run.subscribe({ error: (error) => seen.errors.push(error) });
    const metrics = async () => ({
      running: await valueOf(registry, 'rxdag_running_tasks'),
      interrupted: await valueOf(registry, 'rxdag_attempts_total', { agent: 'slow', outcome: 'interrupted' }),
    });
    const spans = () => exporter.getFinishedSpans().map((span) => `${span.name} ${span.attributes['rxdag.outcome']}`);
    return { scheduler, seen, metrics, spans, whenRunning: () => waitUntil(async () => (await metrics()).running === 2) };
  }

  it('should end when an interrupting shutdown stops its run: its running attempts count and end as interrupted', async () => {
    const { scheduler, seen, metrics, spans, whenRunning } = watchedRun(fileJournal(dir));
    await whenRunning();
    await scheduler.shutdown({ interrupt: true });
    expect(seen.errors).toEqual([expect.any(RunInterruptedError)]);
    expect(seen.completed).toBe(true);
    expect(await metrics()).toEqual({ running: 0, interrupted: 2 });
    expect(spans().sort()).toEqual(['rxdag.run two interrupted', 'rxdag.task a interrupted', 'rxdag.task b interrupted']);
  });

  it('should end when its journal fails: its running attempts count and end as interrupted', async () => {
    let broken = false;
    const journal = failingJournal(dir, () => broken);
    let finishB: () => void = () => undefined;
    const agent = ({ id }: { id: string }) => (id === 'b' ? new Promise<number>((resolve) => (finishB = () => resolve(1))) : never());
    const { scheduler, seen, metrics, spans, whenRunning } = watchedRun(journal, agent);
    await whenRunning();
    broken = true;
    finishB(); // its completion cannot be written: the run stops there, `a` still running
    await waitUntil(() => seen.errors.length > 0);
    expect(seen.errors).toEqual([expect.any(JournalWriteError)]);
    expect(seen.completed).toBe(true);
    expect(await metrics()).toEqual({ running: 0, interrupted: 1 });
    expect(spans().filter((span) => span.includes(' a ') || span.includes('run'))).toEqual([
      'rxdag.task a interrupted',
      'rxdag.run two interrupted',
    ]);
    await scheduler.shutdown();
  });

  it('should stay open after a run that ended with its dag.completed, and carry the next subscription’s run', async () => {
    const scheduler = createScheduler({ agents: { quick: () => Promise.resolve(1) }, healthCheckIntervalMs: 0 });
    const run = scheduler.submit(defineDag({ id: 'one', tasks: [{ id: 'a', agent: 'quick' }] }));
    const ends: string[] = [];
    let completed = false;
    run.events$.subscribe({
      next: (event) => event.type === 'dag.completed' && ends.push(event.outcome),
      complete: () => (completed = true),
    });
    await new Promise<void>((resolve) => run.subscribe({ complete: resolve }));
    await new Promise<void>((resolve) => run.subscribe({ complete: resolve }));
    expect([ends, completed]).toEqual([['succeeded', 'succeeded'], false]);
    await scheduler.shutdown();
  });

  it('should start anew for a later subscription of the same run, once a stopped run ended it', async () => {
    let broken = false;
    const journal = failingJournal(dir, () => broken);
    let release: () => void = () => undefined;
    let hold = true;
    const step = () => (hold ? new Promise<number>((resolve) => (release = () => resolve(1))) : Promise.resolve(1));
    const scheduler = createScheduler({ agents: { step }, healthCheckIntervalMs: 0, journal });
    const run = scheduler.submit(
      defineDag({
        id: 'two-steps',
        tasks: [
          { id: 'a', agent: 'step' },
          { id: 'b', agent: 'step', deps: ['a'] },
        ],
      }),
    );
    const first: string[] = [];
    run.events$.subscribe({ next: (event) => first.push(event.type), complete: () => first.push('end') });
    const errors: unknown[] = [];
    run.subscribe({ error: (error) => errors.push(error) });
    await waitUntil(() => first.includes('task.started'));
    broken = true;
    release(); // its completion cannot be written: the run stops before its end, and its stream ends
    await waitUntil(() => errors.length > 0);
    expect(first.at(-1)).toBe('end');

    broken = false;
    hold = false;
    const second: string[] = [];
    run.events$.subscribe({ next: (event) => second.push(event.type), complete: () => second.push('end') });
    await new Promise<void>((resolve) => run.subscribe({ complete: resolve }));
    expect([second[0], second.at(-1)]).toEqual(['dag.created', 'dag.completed']);
    await scheduler.shutdown();
  });
});

async function waitUntil(done: () => boolean | Promise<boolean>, withinMs = 5000): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`not done within ${withinMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
