import { EMPTY, lastValueFrom, of, throwError, toArray } from 'rxjs';
import { type DagEvent, defineDag, observableAgent, promiseAgent, runDag, syncAgent, type Agent } from '../../src';

async function outcomeOf(agent: Agent): Promise<DagEvent> {
  const dag = defineDag({ id: 'one', tasks: [{ id: 't', agent: 'a' }] });
  const events = await lastValueFrom(runDag(dag, { healthCheckIntervalMs: 0, agents: { a: agent } }).pipe(toArray()));
  return events.find((e) => e.type === 'task.completed' || e.type === 'task.failed')!;
}

describe('agent adapters', () => {
  it('should take a promise agent resolved value as the output', async () => {
    expect(await outcomeOf(promiseAgent(async () => ({ ok: 1 })))).toMatchObject({ type: 'task.completed', output: { ok: 1 } });
  });

  it('should fail on a rejected promise, and on a synchronous throw inside a promise agent', async () => {
    expect(await outcomeOf(promiseAgent(() => Promise.reject(new RangeError('rejected'))))).toMatchObject({
      type: 'task.failed',
      error: { name: 'RangeError', message: 'rejected' },
    });
    const throwsBeforePromise = promiseAgent((): Promise<never> => {
      throw new TypeError('threw');
    });
    expect(await outcomeOf(throwsBeforePromise)).toMatchObject({ type: 'task.failed', error: { name: 'TypeError', message: 'threw' } });
  });

  it('should take the last value of an observable agent and fail on its error', async () => {
    expect(await outcomeOf(observableAgent(() => of(1, 2, 3)))).toMatchObject({ type: 'task.completed', output: 3 });
    expect(await outcomeOf(observableAgent(() => throwError(() => new Error('errored'))))).toMatchObject({
      type: 'task.failed',
      error: { message: 'errored' },
    });
  });

  it('should complete an observable agent that emitted nothing with no output and an EmptyResult warning', async () => {
    const event = await outcomeOf(observableAgent(() => EMPTY));
    expect(event).toEqual(
      expect.objectContaining({ type: 'task.completed', warning: { name: 'EmptyResult', message: 'agent completed without a value' } }),
    );
    expect(event).not.toHaveProperty('output');
  });

  it('should take a sync agent return value as it is, without unwrapping arrays', async () => {
    expect(await outcomeOf(syncAgent(() => [1, 2, 3]))).toMatchObject({ type: 'task.completed', output: [1, 2, 3] });
    expect(
      await outcomeOf(
        syncAgent(() => {
          throw new Error('sync');
        }),
      ),
    ).toMatchObject({ type: 'task.failed', error: { message: 'sync' } });
  });
});
