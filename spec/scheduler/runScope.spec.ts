import { AsyncLocalStorage, createHook } from 'node:async_hooks';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { defer, lastValueFrom, NEVER, Observable } from 'rxjs';
import { AgentError, createScheduler, fileJournal, type TaskContext } from '../../src';

/**
 * An agent runs in the async context its run was subscribed in (a request's), whichever run's
 * completion dispatched it: AsyncLocalStorage stores, such as OpenTelemetry's active span or a
 * request's logger, reach the right run's agents.
 */
describe("the async context of a run's agents", () => {
  const request = new AsyncLocalStorage<string>();
  const seen = (task: TaskContext) => ({ task: task.id, run: task.runId, request: request.getStore() });

  it("should be the one each run was subscribed in, also when another run's completion dispatched the agent", async () => {
    const calls: ReturnType<typeof seen>[] = [];
    // one slot: each task of one run starts when a task of the other ends
    const scheduler = createScheduler({
      agents: { w: async (task) => (calls.push(seen(task)), new Promise((resolve) => setTimeout(resolve, 5))) },
      maxConcurrency: 1,
      healthCheckIntervalMs: 0,
    });
    const dag = (id: string) => ({ id, tasks: ['a', 'b', 'c'].map((t) => ({ id: t, agent: 'w' })) });
    await Promise.all([
      request.run('request-1', () => lastValueFrom(scheduler.submit(dag('one'), { runId: 'run-1' }))),
      request.run('request-2', () => lastValueFrom(scheduler.submit(dag('two'), { runId: 'run-2' }))),
    ]);
    await scheduler.shutdown();
    expect(calls).toHaveLength(6);
    for (const call of calls) expect(call.request).toBe(call.run === 'run-1' ? 'request-1' : 'request-2');
  });

  it('should be destroyed as its subscription ends, not left to the garbage collector (an open handle to jest)', async () => {
    const created: number[] = [];
    const open = new Set<number>();
    const hook = createHook({
      init: (id, type) => void (type === 'rxdag.run' && (created.push(id), open.add(id))),
      destroy: (id) => void open.delete(id),
    }).enable();
    try {
      const scheduler = createScheduler({ agents: { w: async () => 'done', hang: () => NEVER }, healthCheckIntervalMs: 0 });
      await lastValueFrom(scheduler.submit({ id: 'ends', tasks: [{ id: 'a', agent: 'w' }] }));
      const left = scheduler.submit({ id: 'left', tasks: [{ id: 'a', agent: 'hang' }] }).subscribe();
      await new Promise((resolve) => setTimeout(resolve, 10));
      left.unsubscribe();
      await scheduler.shutdown();
      await new Promise((resolve) => setImmediate(resolve));
      expect(created).toHaveLength(2);
      expect([...open]).toEqual([]);
    } finally {
      hook.disable();
    }
  });

  it('should reach an Observable agent when it is subscribed, and an attempt retried after its backoff', async () => {
    const calls: ReturnType<typeof seen>[] = [];
    let tries = 0;
    // one slot shared with another request's run: its completions dispatch these agents
    const scheduler = createScheduler({
      agents: {
        other: () => new Promise((resolve) => setTimeout(resolve, 2)),
        stream: (task: TaskContext) => defer(() => (calls.push(seen(task)), Promise.resolve(1))),
        flaky: (task: TaskContext) => {
          calls.push(seen(task));
          if (++tries === 1) throw new AgentError('once', { retryAfterMs: 5 });
        },
      },
      maxConcurrency: 1,
      healthCheckIntervalMs: 0,
    });
    const other = { id: 'other', tasks: Array.from({ length: 8 }, (_, i) => ({ id: `o${i}`, agent: 'other' })) };
    const dag = {
      id: 'mixed',
      tasks: [
        { id: 's', agent: 'stream' },
        { id: 'f', agent: 'flaky', deps: ['s'], retry: { attempts: 2 } },
      ],
    };
    // the run is subscribed inside the request; its events are heard outside it
    const run$ = new Observable((subscriber) => request.run('request-3', () => scheduler.submit(dag).subscribe(subscriber)));
    await Promise.all([request.run('elsewhere', () => lastValueFrom(scheduler.submit(other))), lastValueFrom(run$)]);
    await scheduler.shutdown();
    expect(calls.map((call) => [call.task, call.request])).toEqual([
      ['s', 'request-3'],
      ['f', 'request-3'],
      ['f', 'request-3'],
    ]);
  });

  it("should be the subscriber's for a journaled run, whose start waits for the journal", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rxdag-scope-'));
    try {
      const calls: ReturnType<typeof seen>[] = [];
      const scheduler = createScheduler({
        agents: { w: (task) => (calls.push(seen(task)), new Promise((resolve) => setTimeout(resolve, 2))) },
        journal: fileJournal(dir),
        maxConcurrency: 1,
        healthCheckIntervalMs: 0,
      });
      const dag = { id: 'durable', tasks: ['a', 'b', 'c'].map((id) => ({ id, agent: 'w' })) };
      await Promise.all([
        request.run('request-4', () => lastValueFrom(scheduler.submit(dag, { runId: 'd-1' }))),
        request.run('request-5', () => lastValueFrom(scheduler.submit(dag, { runId: 'd-2' }))),
      ]);
      await scheduler.shutdown();
      expect(calls).toHaveLength(6);
      for (const call of calls) expect(call.request).toBe(call.run === 'd-1' ? 'request-4' : 'request-5');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
