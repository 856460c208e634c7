import { config, defer, Observable, of, type Subscription, throwError } from 'rxjs';
import { AgentError, type Agent, type DagEvent, defineDag, isTerminalEvent, runDag, type TaskContext } from '../../../src';

/**
 * Bad-input catalogue, agent misbehaviour: each row is an agent that returns, throws or emits
 * something wrong. Only that task may fail, with a clear error (or, where the row says so,
 * complete); its dependent is skipped, the independent branch completes, every event stays
 * JSON-serializable, and nothing escapes the scheduler as an unhandled error.
 *
 * The runs are real (asyncScheduler), so promises settle as they do in production.
 */

const dag = defineDag({
  id: 'misbehaving',
  tasks: [
    { id: 'bad', agent: 'bad' },
    { id: 'after-bad', deps: ['bad'], agent: 'good' },
    { id: 'good', agent: 'good' },
    { id: 'after-good', deps: ['good'], agent: 'good' },
  ],
});

/** An object whose prototype cannot be read (`instanceof` throws), though it is no thenable. */
const uninspectable = (): object =>
  new Proxy(
    {},
    {
      getPrototypeOf() {
        throw new Error('prototype refused');
      },
    },
  );

const revokedProxy = (): object => {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  return proxy;
};
const nested = (depth: number): unknown => {
  let value: unknown = 0;
  for (let i = 0; i < depth; i++) value = [value];
  return value;
};
const circular = (): unknown => {
  const node: { self?: unknown } = {};
  node.self = node;
  return node;
};
const throwing = (field: string, base: object = {}): object =>
  Object.defineProperty(base, field, {
    enumerable: true,
    get() {
      throw new Error(`${field} getter exploded`);
    },
  });
const fiftyMegabytes = 50 * 1024 * 1024;

interface AgentRow {
  readonly name: string;
  readonly agent: Agent;
  /** `failed`: the task fails with this error; `completed`: the task completes (see `check`). */
  readonly outcome: 'failed' | 'completed';
  readonly error?: { readonly name: string | RegExp; readonly message: RegExp };
  readonly severity?: 'error' | 'critical';
  /** Extra checks on the task's terminal event. */
  readonly check?: (event: DagEvent) => void;
}

const rows: readonly AgentRow[] = [
  {
    name: 'returns a BigInt inside its output',
    agent: () => ({ total: 10n }),
    outcome: 'failed',
    error: { name: 'OutputNotJsonSafeError', message: /\$\.total is a BigInt/ },
  },
  {
    name: 'returns a circular object',
    agent: circular,
    outcome: 'failed',
    error: { name: 'OutputNotJsonSafeError', message: /\$\.self is a circular reference/ },
  },
  {
    name: 'returns a Date',
    agent: () => ({ at: new Date(0) }),
    outcome: 'failed',
    error: { name: 'OutputNotJsonSafeError', message: /\$\.at is a Date/ },
  },
  {
    name: 'returns a Map',
    agent: () => new Map([[1, 2]]),
    outcome: 'failed',
    error: { name: 'OutputNotJsonSafeError', message: /\$ is a Map/ },
  },
  {
    name: 'returns a function inside its output',
    agent: () => ({ callback: () => 1 }),
    outcome: 'failed',
    error: { name: 'OutputNotJsonSafeError', message: /\$\.callback is a function/ },
  },
  { name: 'returns NaN', agent: () => Number.NaN, outcome: 'failed', error: { name: 'OutputNotJsonSafeError', message: /\$ is NaN/ } },
  {
    name: 'returns Infinity inside an array',
    agent: () => [1, Number.POSITIVE_INFINITY],
    outcome: 'failed',
    error: { name: 'OutputNotJsonSafeError', message: /\$\[1\] is Infinity/ },
  },
  {
    name: 'returns a symbol',
    agent: () => ({ s: Symbol('s') }),
    outcome: 'failed',
    error: { name: 'OutputNotJsonSafeError', message: /\$\.s is a symbol/ },
  },
  {
    name: 'returns undefined inside an array',
    agent: () => [1, undefined],
    outcome: 'failed',
    error: { name: 'OutputNotJsonSafeError', message: /\$\[1\] is undefined/ },
  },
  {
    name: 'resolves a BigInt from a promise',
    agent: async () => 5n,
    outcome: 'failed',
    error: { name: 'OutputNotJsonSafeError', message: /\$ is a BigInt/ },
  },
  {
    name: 'returns an output nested 100,000 levels deep (JSON.stringify cannot write it)',
    agent: () => nested(100_000),
    outcome: 'failed',
    error: { name: 'OutputNotJsonSafeError', message: /deep|nest/i },
  },
  {
    name: 'returns an output whose getter throws',
    agent: () => throwing('value'),
    outcome: 'failed',
    error: { name: /Error/, message: /value getter exploded|not JSON-safe/ },
  },
  {
    name: 'returns a revoked Proxy',
    agent: () => revokedProxy(),
    outcome: 'failed',
    error: { name: /Error/, message: /revoked|not JSON-safe/ },
  },
  {
    name: 'returns a 50 MB string',
    agent: () => 'x'.repeat(fiftyMegabytes),
    outcome: 'completed',
    check: (e) => expect(e.type === 'task.completed' && typeof e.output === 'string' && e.output.length).toBe(fiftyMegabytes),
  },
  {
    name: 'returns 50 MB of objects (a million rows)',
    agent: () => Array.from({ length: 1_000_000 }, (_, id) => ({ id, name: 'abcdefghijklmnopqrstuvwxyz0123' })),
    outcome: 'completed',
    check: (e) => expect(e.type === 'task.completed' && Array.isArray(e.output) && e.output.length).toBe(1_000_000),
  },
  {
    name: 'throws a string',
    agent: () => {
      throw 'disk full';
    },
    outcome: 'failed',
    error: { name: 'NonError', message: /^agent threw a non-Error value: "disk full"$/ },
  },
  {
    name: 'throws undefined',
    agent: () => {
      throw undefined;
    },
    outcome: 'failed',
    error: { name: 'NonError', message: /^agent threw a non-Error value: undefined$/ },
  },
  {
    name: 'throws null',
    agent: () => {
      throw null;
    },
    outcome: 'failed',
    error: { name: 'NonError', message: /^agent threw a non-Error value: null$/ },
  },
  {
    name: 'throws a number',
    agent: () => {
      throw 404;
    },
    outcome: 'failed',
    error: { name: 'NonError', message: /^agent threw a non-Error value: 404$/ },
  },
  {
    name: 'throws a symbol',
    agent: () => {
      throw Symbol('nope');
    },
    outcome: 'failed',
    error: { name: 'NonError', message: /Symbol\(nope\)/ },
  },
  {
    name: 'throws a BigInt',
    agent: () => {
      throw 7n;
    },
    outcome: 'failed',
    error: { name: 'NonError', message: /7n/ },
  },
  {
    name: 'throws a plain object without a message',
    agent: () => {
      throw { code: 'E42' };
    },
    outcome: 'failed',
    error: { name: 'NonError', message: /\{"code":"E42"\}/ },
  },
  {
    name: 'throws an object holding a BigInt',
    agent: () => {
      throw { code: 1n };
    },
    outcome: 'failed',
    error: { name: 'NonError', message: /object|code/ },
  },
  {
    name: 'throws a 10 MB message',
    agent: () => {
      throw new Error('m'.repeat(10_000_000));
    },
    outcome: 'failed',
    error: { name: 'Error', message: /^m+/ },
  },
  {
    name: 'throws an object whose message getter throws',
    agent: () => {
      throw throwing('message');
    },
    outcome: 'failed',
    error: { name: /Error/, message: /./ },
  },
  {
    name: 'throws an Error whose severity getter throws',
    agent: () => {
      throw throwing('severity', new Error('sev'));
    },
    outcome: 'failed',
    error: { name: /Error/, message: /./ },
  },
  {
    name: 'throws an Error whose name getter throws',
    agent: () => {
      throw throwing('name', new Error('named'));
    },
    outcome: 'failed',
    error: { name: /./, message: /./ },
  },
  {
    name: 'resolves an output whose prototype cannot be read',
    agent: () => Promise.resolve(uninspectable()),
    outcome: 'failed',
    error: { name: 'Error', message: /prototype refused/ },
  },
  {
    name: 'emits, last, an output whose prototype cannot be read',
    agent: () => of(uninspectable()),
    outcome: 'failed',
    error: { name: 'Error', message: /prototype refused/ },
  },
  {
    name: 'throws a revoked Proxy',
    agent: () => {
      throw revokedProxy();
    },
    outcome: 'failed',
    error: { name: /Error/, message: /./ },
  },
  {
    name: 'rejects with undefined',
    agent: () => Promise.reject(undefined),
    outcome: 'failed',
    error: { name: 'NonError', message: /undefined/ },
  },
  {
    name: 'errors its Observable with a string',
    agent: () => throwError(() => 'stream broke'),
    outcome: 'failed',
    error: { name: 'NonError', message: /"stream broke"/ },
  },
  {
    name: 'returns a thenable whose then throws',
    agent: () => ({
      then() {
        throw new Error('then exploded');
      },
    }),
    outcome: 'failed',
    error: { name: 'Error', message: /then exploded/ },
  },
  {
    name: 'returns an Observable whose subscribe throws',
    agent: () =>
      new Observable(() => {
        throw new Error('subscribe exploded');
      }),
    outcome: 'failed',
    error: { name: 'Error', message: /subscribe exploded/ },
  },
  {
    name: 'returns an async iterable that throws',
    agent: () => ({
      [Symbol.asyncIterator]: async function* () {
        yield 1;
        throw new Error('iteration exploded');
      },
    }),
    outcome: 'failed',
    error: { name: 'Error', message: /iteration exploded/ },
  },
  {
    name: 'spawns something that is not a list',
    agent: (ctx: TaskContext) => {
      ctx.spawn('more work' as never);
      return 1;
    },
    outcome: 'failed',
    error: { name: 'TypeError', message: /spawn\(\) of task "bad" expects an array/ },
  },
  {
    name: 'spawns an invalid task (a duplicate id)',
    agent: (ctx: TaskContext) => {
      ctx.spawn([{ id: 'good', agent: 'good' }]);
      return 1;
    },
    outcome: 'failed',
    error: { name: 'DagValidationError', message: /task id "good" is already used/ },
  },
  {
    name: 'spawns a task whose input is nested 100,000 levels deep',
    agent: (ctx: TaskContext) => {
      ctx.spawn([{ id: 'child', agent: 'good', input: nested(100_000) }]);
      return 1;
    },
    outcome: 'failed',
    error: { name: 'DagValidationError', message: /input.*(deep|nest)/i },
  },
  {
    name: 'warns with an output that is not JSON-safe (failed like returning that output)',
    agent: () => {
      throw new AgentError('partial', { severity: 'warning', output: { n: 1n } });
    },
    outcome: 'failed',
    severity: 'error',
    error: { name: 'OutputNotJsonSafeError', message: /not JSON-safe: \$\.n is a BigInt/ },
  },
  {
    name: 'claims an unknown severity',
    agent: () => {
      throw Object.assign(new Error('odd'), { severity: 'apocalyptic' });
    },
    outcome: 'failed',
    severity: 'error',
    error: { name: 'Error', message: /^odd$/ },
  },
];

interface Outcome {
  readonly events: DagEvent[];
  readonly runError: unknown;
  readonly unhandled: unknown[];
}

/**
 * Runs the DAG with `bad` as the misbehaving agent. Catches what RxJS would report as unhandled
 * (and stops waiting soon after: a pipeline that lost an error usually hangs), and gives up on
 * a run that does not end within `HANG_MS`.
 */
const HANG_MS = 5_000;

function runWith(bad: Agent): Promise<Outcome> {
  const unhandled: unknown[] = [];
  const events: DagEvent[] = [];
  const previous = config.onUnhandledError;
  return new Promise<Outcome>((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    let subscription: Subscription | undefined;
    let finished = false;
    const finish = (runError: unknown) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      subscription?.unsubscribe();
      // let a late unhandled error surface before judging
      setTimeout(() => {
        config.onUnhandledError = previous;
        resolve({ events, runError, unhandled });
      }, 10);
    };
    config.onUnhandledError = (error) => {
      unhandled.push(error);
      clearTimeout(timer);
      timer = setTimeout(() => finish(new Error('the run did not end after an unhandled error')), 200);
    };
    timer = setTimeout(() => finish(new Error(`the run did not end within ${HANG_MS} ms`)), HANG_MS);
    subscription = runDag(dag, { healthCheckIntervalMs: 0, agents: { bad, good: () => defer(() => of('fine')) } }).subscribe({
      next: (event) => events.push(event),
      error: (error: unknown) => finish(error),
      complete: () => finish(undefined),
    });
    if (finished) subscription.unsubscribe();
  });
}

describe('bad-input catalogue: agent misbehaviour', () => {
  it.each(rows)(
    'should contain an agent that $name to its own task',
    async (row) => {
      const { events, runError, unhandled } = await runWith(row.agent);
      expect({
        runError: runError === undefined ? undefined : String((runError as Error)?.message ?? runError).slice(0, 200),
        unhandled: unhandled.map((e) => String((e as Error)?.message ?? e).slice(0, 200)),
      }).toEqual({
        runError: undefined,
        unhandled: [],
      });
      const ends = new Map(events.filter(isTerminalEvent).map((e) => ['taskId' in e ? e.taskId : '', e]));
      expect(ends.get('good')?.type).toBe('task.completed');
      expect(ends.get('after-good')?.type).toBe('task.completed');
      const bad = ends.get('bad');
      if (row.outcome === 'failed') {
        expect(bad?.type).toBe('task.failed');
        if (bad?.type !== 'task.failed') return;
        expect(bad.error.name).toEqual(typeof row.error!.name === 'string' ? row.error!.name : expect.stringMatching(row.error!.name));
        expect(bad.error.message).toMatch(row.error!.message);
        expect(bad.severity).toBe(row.severity ?? 'error');
        expect(ends.get('after-bad')?.type).toBe('task.skipped');
        expect(events.at(-1)).toMatchObject({
          type: 'dag.completed',
          outcome: 'failed',
          counts: { total: 4, completed: 2, failed: 1, skipped: 1, cancelled: 0 },
        });
      } else {
        expect(bad?.type).toBe('task.completed');
        row.check?.(bad!);
        expect(events.at(-1)).toMatchObject({ type: 'dag.completed', outcome: 'succeeded' });
      }
      // the events stay the JSON contract
      for (const event of events) expect(() => JSON.stringify(event)).not.toThrow();
    },
    60_000,
  );
});
