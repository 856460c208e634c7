import { inspect } from 'node:util';
import { lastValueFrom, Subject, take, toArray } from 'rxjs';
import { type Agent, afterRecorded, type DagEvent, runDag, type TaskContext, withInput } from '../../src';

/**
 * An agent that calls another agent (middleware): `withInput` gives the inner one the attempt's
 * signal, upstream, idempotency key, time limit, spawn and afterRecorded, with another input; and a
 * context shows its data, not the scheduler's plumbing, to loggers.
 */
describe('withInput', () => {
  it('should give the inner agent the new input and everything else of the attempt', async () => {
    const seen: Record<string, unknown>[] = [];
    const told: boolean[] = [];
    const inner: Agent<{ prompt: string }, { plan: string }> = (task) => {
      seen.push({
        input: task.input,
        upstream: task.upstream,
        idempotencyKey: task.idempotencyKey,
        timeoutMs: task.timeoutMs,
        attempt: task.attempt,
        aborted: task.signal.aborted,
      });
      task.spawn([{ id: 'child', agent: 'plain', deps: [] }]);
      afterRecorded(task, (recorded) => told.push(recorded));
      return `${task.input.prompt}!`;
    };
    const shared: boolean[] = [];
    const wrapper: Agent<string, { plan: string }> = (task) => {
      const derived = withInput(task, { prompt: `${task.upstream.plan} ${task.input}` });
      // what the attempt builds once is the same object through either context
      shared.push(derived.upstream === task.upstream, derived.spawn === task.spawn);
      return inner(derived);
    };
    const events = await lastValueFrom(
      runDag(
        {
          id: 'mw',
          tasks: [
            { id: 'plan', agent: 'plain', input: 'x' },
            { id: 'ask', agent: 'llm', deps: ['plan'], input: 'why', timeoutMs: 5000 },
          ],
        },
        { agents: { llm: wrapper as Agent, plain: (task: TaskContext) => (task.id === 'plan' ? 'step' : 'done') }, runId: 'r1' },
      ).pipe(toArray()),
    );
    expect(seen).toEqual([
      { input: { prompt: 'step why' }, upstream: { plan: 'step' }, idempotencyKey: 'r1/ask', timeoutMs: 5000, attempt: 1, aborted: false },
    ]);
    // what the inner agent spawned and returned is the attempt's
    expect(events.find((event) => event.type === 'task.completed' && event.taskId === 'ask')).toMatchObject({ output: 'step why!' });
    expect(events.find((event) => event.type === 'task.completed' && event.taskId === 'child')).toBeDefined();
    expect(events.at(-1)).toMatchObject({ type: 'dag.completed', outcome: 'succeeded' });
    expect(told).toEqual([true]);
    expect(shared).toEqual([true, true]);
  });

  it('should leave only the data in a spread copy, which then lacks the getters (the reason for withInput)', async () => {
    let copy: Record<string, unknown> = {};
    await lastValueFrom(
      runDag(
        { id: 'copy', tasks: [{ id: 'a', agent: 'w', input: 1 }] },
        { agents: { w: (task: TaskContext) => void (copy = { ...task }) }, runId: 'r3' },
      ),
    );
    expect(Object.keys(copy)).toEqual(['id', 'runId', 'dagId', 'attempt']);
    expect(Object.getOwnPropertySymbols(copy)).toEqual([]);
    expect(inspect(copy)).not.toMatch(/RunController|Attempt \{/);
    expect(JSON.parse(JSON.stringify(copy))).toEqual({ id: 'a', runId: 'r3', dagId: 'copy', attempt: 1 });
    expect(copy['signal']).toBeUndefined();
  });

  it('should let a cancel reach the inner agent through the signal', async () => {
    const aborted = new Subject<unknown>();
    const inner: Agent = (task) =>
      new Promise((_, reject) =>
        task.signal.addEventListener('abort', () => {
          aborted.next(task.signal.reason);
          reject(task.signal.reason);
        }),
      );
    const wrapper: Agent = (task) => inner(withInput(task, { wrapped: task.input }));
    const reasons = lastValueFrom(aborted.pipe(take(1)));
    const events: DagEvent[] = [];
    const subscription = runDag({ id: 'cancel', tasks: [{ id: 'a', agent: 'w' }] }, { agents: { w: wrapper } }).subscribe((event) =>
      events.push(event),
    );
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(events.map((event) => event.type)).toContain('task.started');
    subscription.unsubscribe();
    await expect(reasons).resolves.toMatchObject({ name: 'TaskCancelledError' });
  });

  it('should show loggers the data of a context, not the scheduler behind it', async () => {
    let shown = '';
    const agent: Agent = (task) => {
      shown = inspect(withInput(task, 'other')) + '\n' + inspect(task);
      return undefined;
    };
    await lastValueFrom(runDag({ id: 'log', tasks: [{ id: 'a', agent: 'w', input: { n: 1 } }] }, { agents: { w: agent }, runId: 'r2' }));
    const [derived, own] = shown.split('\n{').map((text, i) => (i === 0 ? text : `{${text}`));
    expect(own).toContain("id: 'a'");
    expect(own).toContain('input: { n: 1 }');
    expect(own).toContain("idempotencyKey: 'r2/a'");
    expect(own).not.toMatch(/host|RunController|execution/);
    expect(derived).toContain("input: 'other'");
  });
});
