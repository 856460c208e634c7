import { lastValueFrom, toArray } from 'rxjs';
import { type DagEvent, runDag } from '../../src/index';
import { errorInfo, MAX_MESSAGE_CHARS } from '../../src/agents/agent';

/**
 * An error's message in events is at most {@link MAX_MESSAGE_CHARS} characters: its start and its
 * end, around a note of how much was left out. An LLM API's error that quotes the whole prompt
 * would otherwise be journaled, logged and shown whole, once per attempt and again in the run's end.
 */
describe("an error's message in events", () => {
  it('should keep a short message as it is, and a long one by its start and end', () => {
    expect(errorInfo(new Error('short'))).toEqual({ name: 'Error', message: 'short' });
    const long = `400 Bad Request: ${'p'.repeat(10_000_000)} (request id 42)`;
    const { message } = errorInfo(new Error(long));
    const dropped = long.length - MAX_MESSAGE_CHARS;
    expect(message).toBe(`${long.slice(0, 16_000)}\n… (${dropped} characters left out) …\n${long.slice(-4_000)}`);
    expect(message.startsWith('400 Bad Request: ppp')).toBe(true);
    expect(message.endsWith('(request id 42)')).toBe(true);
    expect(errorInfo(Object.assign(new Error('x'), { name: 'N'.repeat(1000) })).name).toHaveLength(
      200 + `\n… (800 characters left out) …\n`.length,
    );
  });

  it('should carry the shortened message in every failure of a run, and in its end', async () => {
    const long = 'x'.repeat(1_000_000);
    const events: DagEvent[] = await lastValueFrom(
      runDag(
        { id: 'd', tasks: [{ id: 'a', agent: 'fn', retry: { attempts: 2, backoffMs: 0 } }] },
        {
          agents: {
            fn: () => {
              throw new Error(long);
            },
          },
          healthCheckIntervalMs: 0,
        },
      ).pipe(toArray()),
    );
    const messages = events.flatMap((event) =>
      event.type === 'task.failed'
        ? [event.error.message]
        : event.type === 'dag.completed'
          ? event.failures.map((failure) => failure.error.message)
          : [],
    );
    const shortened = `${long.slice(0, 16_000)}\n… (${long.length - MAX_MESSAGE_CHARS} characters left out) …\n${long.slice(-4_000)}`;
    expect(messages).toEqual([shortened, shortened, shortened]); // two attempts, and the run's end
  });
});
