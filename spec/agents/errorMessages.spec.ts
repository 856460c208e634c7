import { lastValueFrom, toArray } from 'rxjs';
import { type DagEvent, runDag } from '../../src/index';
import { errorInfo, MAX_MESSAGE_CHARS } from '../../src/agents/agent';

/**
 * An error's message in events is at most {@link MAX_MESSAGE_CHARS} characters: its start and its
 * end, around a note of how much was left out. An LLM API's error that quotes the whole prompt
 * would otherwise be journaled, logged and shown whole, once per attempt and again in the run's end.
 */
describe("an error's message in events", () => {
  /** What a message of `long` becomes: its start and end around the note, MAX_MESSAGE_CHARS in all. */
  const shortenedOf = (long: string) => {
    const note = `\n… (${long.length - (MAX_MESSAGE_CHARS - `\n… (${long.length} characters left out) …\n`.length)} characters left out) …\n`;
    const kept = MAX_MESSAGE_CHARS - `\n… (${long.length} characters left out) …\n`.length;
    const tail = Math.floor(kept / 5);
    return `${long.slice(0, kept - tail)}${note}${long.slice(long.length - tail)}`;
  };

  it('should keep a short message as it is, and a long one by its start and end, in the most characters, the same when shortened again', () => {
    expect(errorInfo(new Error('short'))).toEqual({ name: 'Error', message: 'short' });
    const long = `400 Bad Request: ${'p'.repeat(10_000_000)} (request id 42)`;
    const { message } = errorInfo(new Error(long));
    expect(message).toBe(shortenedOf(long));
    expect(message.length).toBeLessThanOrEqual(MAX_MESSAGE_CHARS);
    expect(message.startsWith('400 Bad Request: ppp')).toBe(true);
    expect(message.endsWith('(request id 42)')).toBe(true);
    // a remote error is shortened by its worker, then by its scheduler: the count of what was left out stays true
    expect(errorInfo(new Error(message)).message).toBe(message);
    expect(errorInfo(Object.assign(new Error('x'), { name: 'N'.repeat(1000) })).name.length).toBeLessThanOrEqual(200);
  });

  it("should tell an error's causes and an AggregateError's errors, which events have no other field for", () => {
    // Node's fetch: `fetch failed`, its reason in `cause`
    expect(errorInfo(new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED 127.0.0.1:1') }))).toEqual({
      name: 'TypeError',
      message: 'fetch failed (cause: Error: connect ECONNREFUSED 127.0.0.1:1)',
    });
    // Promise.any's, and one without a message: its errors are it (at most three named)
    expect(errorInfo(new AggregateError([new Error('a down'), new RangeError('b down')], 'All promises were rejected'))).toEqual({
      name: 'AggregateError',
      message: 'All promises were rejected (errors: Error: a down; RangeError: b down)',
    });
    expect(errorInfo(new AggregateError([new Error('x'), 'y', 4, new Error('z')])).message).toBe('errors: Error: x; "y"; 4; and 1 more');
    // a chain of causes, at most three, and one that loops
    const chain = new Error('top', {
      cause: new Error('l1', { cause: new Error('l2', { cause: new Error('l3', { cause: new Error('l4') }) }) }),
    });
    expect(errorInfo(chain).message).toBe('top (cause: Error: l1; cause: Error: l2; cause: Error: l3; cause: …)');
    const looped = new Error('loop');
    looped.cause = new Error('inner', { cause: looped });
    expect(errorInfo(looped).message).toBe('loop (cause: Error: inner)');
    // a cause that is no Error, one whose getter throws, and a long one cut short
    expect(errorInfo(new Error('m', { cause: 'timeout' })).message).toBe('m (cause: "timeout")');
    const hostile = Object.defineProperty(new Error('p'), 'cause', {
      get() {
        throw new Error('no');
      },
    });
    expect(errorInfo(hostile)).toEqual({ name: 'Error', message: 'p' });
    expect(errorInfo(new Error('q', { cause: new Error('r'.repeat(2000)) })).message).toBe(`q (cause: Error: ${'r'.repeat(493)}…)`);
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
    const shortened = shortenedOf(long);
    expect(messages).toEqual([shortened, shortened, shortened]); // two attempts, and the run's end
  });
});
