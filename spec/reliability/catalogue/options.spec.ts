import {
  type AgentDefinition,
  createScheduler,
  type DagEvent,
  DagValidationError,
  defineDag,
  runDag,
  type RunOptions,
  type SchedulerOptions,
} from '../../../src';
import { inVirtualTime } from '../../support/virtualTime';

/**
 * Bad-input catalogue, options: each row is one bad option of `runDag`, `createScheduler` or
 * `submit`. Every row must throw when the run is asked for (not when it is subscribed) an error
 * that names the option, and no agent may be called.
 */

const dag = defineDag({ id: 'opts', tasks: [{ id: 'a', agent: 'x' }] });
const READABLE = 10_000;

interface OptionRow {
  readonly name: string;
  /** Options given to runDag and createScheduler (the agent `x` is added unless `agents` is set). */
  readonly options: unknown;
  readonly error: typeof TypeError | typeof DagValidationError;
  readonly message: RegExp;
}

const agentSpec = (extra: Record<string, unknown>) => ({ agents: { x: { run: () => 1, ...extra } } });

const schedulerRows: readonly OptionRow[] = [
  { name: 'options that are a number', options: 8, error: TypeError, message: /: options must be an object of options \(got 8\)$/ },
  {
    name: 'options that are a string',
    options: 'fast',
    error: TypeError,
    message: /: options must be an object of options \(got "fast"\)$/,
  },
  {
    name: 'options that are an array',
    options: [1, 2],
    error: TypeError,
    message: /: options must be an object of options \(got an array\)$/,
  },
  { name: 'a misspelt option (concurrency)', options: { concurrency: 4 }, error: TypeError, message: /unknown option `concurrency`/ },
  {
    name: 'maxConcurrency = 0',
    options: { maxConcurrency: 0 },
    error: TypeError,
    message: /`maxConcurrency` must be a positive integer \(got 0\)/,
  },
  {
    name: 'maxConcurrency negative',
    options: { maxConcurrency: -2 },
    error: TypeError,
    message: /`maxConcurrency` must be a positive integer \(got -2\)/,
  },
  { name: 'maxConcurrency NaN', options: { maxConcurrency: Number.NaN }, error: TypeError, message: /`maxConcurrency` .*\(got NaN\)/ },
  {
    name: 'maxConcurrency Infinity',
    options: { maxConcurrency: Number.POSITIVE_INFINITY },
    error: TypeError,
    message: /`maxConcurrency` .*\(got Infinity\)/,
  },
  {
    name: 'maxConcurrency fractional',
    options: { maxConcurrency: 2.5 },
    error: TypeError,
    message: /`maxConcurrency` must be a positive integer \(got 2\.5\)/,
  },
  { name: 'maxConcurrency as a string', options: { maxConcurrency: '8' }, error: TypeError, message: /`maxConcurrency` .*\(got "8"\)/ },
  { name: 'an unknown mode', options: { mode: 'turbo' }, error: TypeError, message: /`mode` must be 'event' or 'polling' \(got "turbo"\)/ },
  {
    name: 'pollIntervalMs = 0',
    options: { mode: 'polling', pollIntervalMs: 0 },
    error: TypeError,
    message: /`pollIntervalMs` .*\(got 0\)/,
  },
  {
    name: 'pollIntervalMs Infinity',
    options: { mode: 'polling', pollIntervalMs: Number.POSITIVE_INFINITY },
    error: TypeError,
    message: /`pollIntervalMs` .*\(got Infinity\)/,
  },
  {
    name: 'healthCheckIntervalMs negative',
    options: { healthCheckIntervalMs: -1 },
    error: TypeError,
    message: /`healthCheckIntervalMs` .*\(got -1\)/,
  },
  {
    name: 'healthCheckIntervalMs NaN',
    options: { healthCheckIntervalMs: Number.NaN },
    error: TypeError,
    message: /`healthCheckIntervalMs` .*\(got NaN\)/,
  },
  { name: 'stuckAfterMs = 0', options: { stuckAfterMs: 0 }, error: TypeError, message: /`stuckAfterMs` .*\(got 0\)/ },
  { name: 'taskTimeoutMs negative', options: { taskTimeoutMs: -5 }, error: TypeError, message: /`taskTimeoutMs` .*\(got -5\)/ },
  {
    name: 'taskTimeoutMs Infinity',
    options: { taskTimeoutMs: Number.POSITIVE_INFINITY },
    error: TypeError,
    message: /`taskTimeoutMs` .*\(got Infinity\)/,
  },
  {
    name: 'an unknown failurePolicy',
    options: { failurePolicy: 'ignore' },
    error: TypeError,
    message: /`failurePolicy` must be 'skip-dependents', 'fail-fast' or 'continue' \(got "ignore"\)/,
  },
  {
    name: 'contextInjection as a string',
    options: { contextInjection: 'yes' },
    error: TypeError,
    message: /`contextInjection` must be true or false \(got "yes"\)/,
  },
  {
    name: 'a scheduler that is not a SchedulerLike',
    options: { scheduler: {} },
    error: TypeError,
    message: /`scheduler` must be an RxJS SchedulerLike/,
  },
  {
    name: 'a scheduler whose schedule is not a function',
    options: { scheduler: { now: () => 0, schedule: 1 } },
    error: TypeError,
    message: /`scheduler` must be an RxJS SchedulerLike/,
  },
  { name: 'an empty runId', options: { runId: '' }, error: TypeError, message: /`runId` must be a non-empty string/ },
  { name: 'a runId that is a number', options: { runId: 5 }, error: TypeError, message: /: `runId` must be a non-empty string \(got 5\)$/ },
  { name: 'a huge runId (1 MB)', options: { runId: 'r'.repeat(1_000_000) }, error: TypeError, message: /`runId`/ },
  {
    name: 'a runId with a line feed',
    options: { runId: 'a\nb' },
    error: TypeError,
    message: /: `runId` must not contain control characters: a line feed \(U\+000A\) at character 2 \(got "a\\nb"\)$/,
  },
  {
    name: 'agents that are a function',
    options: { agents: () => 1 },
    error: TypeError,
    message: /`agents` must be an object mapping agent names to agents/,
  },
  {
    name: 'an agent that is a number',
    options: { agents: { x: 42 } },
    error: TypeError,
    message: /`agents\.x` must be a function \(task\) => result or an agent object \{ run, .*\} \(got 42\)$/,
  },
  {
    name: 'an agent object without run',
    options: { agents: { x: { capacity: 2 } } },
    error: TypeError,
    message: /: `agents\.x\.run` must be a function \(task, instance\) => result \(got nothing\)$/,
  },
  // a bad field of an agent object is named, with its value and what it expects
  ...(
    [
      ['capacity', 0, 'must be a positive integer or Infinity (got 0)'],
      ['capacity', 1.5, 'must be a positive integer or Infinity (got 1.5)'],
      ['capacity', '2', 'must be a positive integer or Infinity (got "2")'],
      ['capacity', Number.NaN, 'must be a positive integer or Infinity (got NaN)'],
      ['maxInstances', 0, 'must be a positive integer (got 0)'],
      ['maxInstances', 1.5, 'must be a positive integer (got 1.5)'],
      ['idleMs', -1, 'must be a number of milliseconds >= 0 (0 keeps instances until shutdown) (got -1)'],
      ['idleMs', 'x', 'must be a number of milliseconds >= 0 (0 keeps instances until shutdown) (got "x")'],
      ['create', 'x', 'must be a function (got "x")'],
      ['dispose', 5, 'must be a function (got 5)'],
    ] as const
  ).map(([field, value, expected]): OptionRow => ({
    name: `an agent ${field} of ${typeof value === 'string' ? `"${value}"` : String(value)}`,
    options: agentSpec({ [field]: value }),
    error: TypeError,
    message: new RegExp(`: \`agents\\.x\\.${field}\` ${expected.replace(/[()[\]{}.*+?^$|\\]/g, '\\$&')}$`),
  })),
  {
    name: 'a misspelt agent field',
    options: agentSpec({ concurrency: 2 }),
    error: TypeError,
    message: /: `agents\.x` has an unknown field `concurrency`$/,
  },
  {
    name: 'a misspelt agent field, with the field meant',
    options: agentSpec({ capcity: 2 }),
    error: TypeError,
    message: /: `agents\.x` has an unknown field `capcity` \(did you mean `capacity`\?\)$/,
  },
  // times past the longest timer Node keeps (2^31 - 1 ms): Node would fire them after 1 ms
  ...(
    [
      ['taskTimeoutMs', { taskTimeoutMs: 3e9 }],
      ['pollIntervalMs', { mode: 'polling', pollIntervalMs: 3e9 }],
      ['healthCheckIntervalMs', { healthCheckIntervalMs: 3e9 }],
      ['stuckAfterMs', { stuckAfterMs: 3e9 }],
      ['agents.x.idleMs', agentSpec({ idleMs: 3e9 })],
    ] as const
  ).map(([option, options]): OptionRow => ({
    name: `${option} above the longest timer Node keeps (3,000,000,000 ms)`,
    options,
    error: TypeError,
    message: new RegExp(
      `\`${option.replace(/\./g, '\\.')}\` must be at most 2147483647 ms \\(about 24\\.8 days\\), the longest timer Node keeps \\(got 3000000000\\)`,
    ),
  })),
  {
    name: 'a misspelt option, with the option meant',
    options: { concurrency: 4 },
    error: TypeError,
    message: /unknown option `concurrency` \(did you mean `maxConcurrency`\?\)/,
  },
  {
    name: 'an agent idleMs that is not a number (no raw zod text)',
    options: { agents: { x: { run: () => 1, idleMs: 'soon' } } },
    error: TypeError,
    message: /`agents\.x\.idleMs` must be a number of milliseconds >= 0/,
  },
  {
    name: 'an agent name the DAG does not know',
    options: { agents: { y: () => 1 } },
    error: DagValidationError,
    message: /unknown agent "x" \(used by "a"\); known agents: "y"/,
  },
];

function withAgent(options: unknown, agent: AgentDefinition): unknown {
  if (typeof options !== 'object' || options === null || Array.isArray(options) || 'agents' in options) return options;
  return { ...options, agents: { x: agent } };
}

function thrown(action: () => unknown): Error {
  try {
    action();
  } catch (error) {
    if (error instanceof Error) return error;
    throw new Error(`threw a non-Error: ${String(error)}`);
  }
  throw new Error('expected an error, but none was thrown');
}

describe('bad-input catalogue: options', () => {
  it.each(schedulerRows)('should refuse $name at once, naming it, and run nothing', (row) => {
    const agent = jest.fn(() => 1);
    const options = withAgent(row.options, agent);
    // a run's id goes to the run on a scheduler (createScheduler refuses one for all its runs)
    const submitted = () => {
      if (typeof options !== 'object' || options === null || !('runId' in options))
        return createScheduler(options as SchedulerOptions).submit(dag);
      const { runId, ...schedulerOptions } = options as SchedulerOptions;
      return createScheduler(schedulerOptions).submit(dag, { runId });
    };
    for (const start of [() => runDag(dag, options as SchedulerOptions), submitted]) {
      const error = thrown(start);
      expect(error).toBeInstanceOf(row.error);
      expect(error.message).toMatch(row.message);
      expect(error.message.length).toBeLessThan(READABLE);
      // what was expected, in words: never zod's own text
      expect(error.message).not.toMatch(/Invalid input|, received /);
    }
    expect(agent).not.toHaveBeenCalled();
  });

  const runRows: readonly { readonly name: string; readonly options: unknown; readonly message: RegExp }[] = [
    {
      name: 'a scheduler-wide option given to one run (maxConcurrency)',
      options: { maxConcurrency: 2 },
      message: /: `maxConcurrency` is an option of the scheduler, shared by its runs: give it to createScheduler, not to one run$/,
    },
    {
      name: 'another scheduler-wide option given to one run (limits), with a misspelt one',
      options: { limits: {}, taskTimeout: 5 },
      message:
        /: `limits` is an option of the scheduler, shared by its runs: give it to createScheduler, not to one run; unknown option `taskTimeout` \(did you mean `taskTimeoutMs`\?\)$/,
    },
    { name: 'a bad failurePolicy for one run', options: { failurePolicy: 'retry' }, message: /`failurePolicy` must be/ },
    { name: 'a bad taskTimeoutMs for one run', options: { taskTimeoutMs: 0 }, message: /`taskTimeoutMs`/ },
    {
      name: 'a taskTimeoutMs for one run above the longest timer Node keeps',
      options: { taskTimeoutMs: 2 ** 31 },
      message: /`taskTimeoutMs` must be at most 2147483647 ms \(about 24\.8 days\), the longest timer Node keeps \(got 2147483648\)/,
    },
    { name: 'run options that are a number', options: 3, message: /: options must be an object of options \(got 3\)$/ },
    { name: 'a runId for one run that is a number', options: { runId: 5 }, message: /: `runId` must be a non-empty string \(got 5\)$/ },
    {
      name: 'a bad agent field for one run',
      options: { agents: { x: { run: () => 1, capacity: 1.5 } } },
      message: /: `agents\.x\.capacity` must be a positive integer or Infinity \(got 1\.5\)$/,
    },
  ];

  it.each(runRows)('should refuse $name on submit, naming it, and run nothing', (row) => {
    const agent = jest.fn(() => 1);
    const scheduler = createScheduler({ agents: { x: agent }, healthCheckIntervalMs: 0 });
    const error = thrown(() => scheduler.submit(dag, row.options as RunOptions));
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toMatch(row.message);
    expect(agent).not.toHaveBeenCalled();
  });

  it('should name every bad field of every agent object at once, with the other bad options', () => {
    const options = {
      agents: { x: { run: 5, capacity: 1.5, idleMs: 'x', extra: 1 }, y: { run: () => 1, dispose: 5 }, z: 7 },
      maxConcurrency: 'x',
    };
    const error = thrown(() => runDag(dag, options as unknown as SchedulerOptions));
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message.replace(/^rxdag: invalid options: /, '').split('; ')).toEqual([
      '`agents.x.run` must be a function (task, instance) => result (got 5)',
      '`agents.x.capacity` must be a positive integer or Infinity (got 1.5)',
      '`agents.x.idleMs` must be a number of milliseconds >= 0 (0 keeps instances until shutdown) (got "x")',
      '`agents.x` has an unknown field `extra`',
      '`agents.y.dispose` must be a function (got 5)',
      '`agents.z` must be a function (task) => result or an agent object { run, capacity?, create?, dispose?, maxInstances?, idleMs? } (got 7)',
      '`maxConcurrency` must be a positive integer (got "x")',
    ]);
  });

  it('should refuse a run submitted after shutdown when it is subscribed, running nothing', async () => {
    const agent = jest.fn(() => 1);
    const scheduler = createScheduler({ agents: { x: agent }, healthCheckIntervalMs: 0 });
    await scheduler.shutdown();
    const seen: DagEvent[] = [];
    let failure: unknown;
    scheduler.submit(dag).subscribe({ next: (e) => seen.push(e), error: (e: unknown) => (failure = e) });
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).message).toMatch(/scheduler is shut down; run of DAG "opts" refused/);
    expect(seen).toEqual([]);
    expect(agent).not.toHaveBeenCalled();
  });

  it('should refuse bad shutdown options, naming each, and leave the scheduler open', async () => {
    const scheduler = createScheduler({ agents: { x: () => 1 }, healthCheckIntervalMs: 0 });
    const bad = { force: 'yes', interupt: true } as unknown as Parameters<typeof scheduler.shutdown>[0];
    await expect(scheduler.shutdown(bad)).rejects.toThrow(
      new TypeError(
        'rxdag: invalid options: `force` must be true or false (got "yes"); unknown option `interupt` (did you mean `interrupt`?)',
      ),
    );
    expect(scheduler.closed).toBe(false);
    await scheduler.shutdown({ force: undefined });
    expect(scheduler.closed).toBe(true);
  });

  it('should refuse a second run with the runId of a run still going on the same scheduler', () => {
    const outcomes: string[] = [];
    const events: DagEvent[] = [];
    inVirtualTime(({ cold }, ts) => {
      const scheduler = createScheduler({ scheduler: ts, healthCheckIntervalMs: 0, agents: { x: () => cold('--(v|)') } });
      scheduler.events$.subscribe((e) => events.push(e));
      for (let i = 0; i < 2; i++) {
        try {
          scheduler.submit(dag, { runId: 'same' }).subscribe({
            complete: () => outcomes.push('completed'),
            error: (e: unknown) => outcomes.push(`refused: ${(e as Error).message}`),
          });
        } catch (error) {
          outcomes.push(`refused: ${(error as Error).message}`);
        }
      }
    });
    // two runs under one id would interleave their seq 1, 2, 3… and collide in state$
    expect(outcomes).toContainEqual(expect.stringMatching(/^refused: .*runId.*same/));
    const seqs = events.filter((e) => e.runId === 'same').map((e) => e.seq);
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
  });
});
