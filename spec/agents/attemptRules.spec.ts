import { asyncScheduler, lastValueFrom, toArray } from 'rxjs';
import { AgentError, type DagEvent, defineDag, OutputNotJsonSafeError, runDag, type TaskContext } from '../../src';
import { type AttemptHost, type AttemptOutcome, runAttempt } from '../../src/agents/runAttempt';
import { scheduling, testScheduler, timeline } from '../helpers';

// Rules an attempt holds the agent to on every path: a warning's output is JSON-safe like a
// returned one, and `ctx.spawn` works only while the attempt is going on.

const base = { healthCheckIntervalMs: 0, runId: 'r' } as const;

/** The outcome of one attempt of `agent` as task "t". */
function outcomeOf(agent: (ctx: TaskContext) => unknown): Promise<AttemptOutcome> {
  const host: AttemptHost<AttemptOutcome> = {
    taskId: 't',
    runId: 'r',
    dagId: 'd',
    input: undefined,
    attempt: 1,
    timeoutMs: undefined,
    call: agent,
    upstream: () => ({}),
    wrap: (outcome) => outcome,
    bindStop: () => {},
  };
  return lastValueFrom(runAttempt(host, asyncScheduler));
}

describe('a warning whose output is not JSON-safe', () => {
  it('should fail the attempt with the error a returned output gets', async () => {
    const warned = await outcomeOf(async () => {
      throw new AgentError('degraded', { severity: 'warning', output: new Date(0) });
    });
    const returned = await outcomeOf(async () => new Date(0));
    expect(warned).toMatchObject({ ok: false, error: expect.any(OutputNotJsonSafeError) });
    const { error } = warned as { error: OutputNotJsonSafeError };
    expect(error.message).toBe(
      'output of task "t" is not JSON-safe: $ is a Date (only plain objects, arrays and primitives are JSON-safe)',
    );
    expect(error.message).toBe((returned as { error: Error }).error.message);
    expect(error.cause).toMatchObject({ message: 'degraded', severity: 'warning' });
  });

  it('should keep a warning whose output is JSON-safe, or that has none', async () => {
    const output = await outcomeOf(() => {
      throw new AgentError('degraded', { severity: 'warning', output: { rows: 2 } });
    });
    const none = await outcomeOf(() => {
      throw new AgentError('degraded', { severity: 'warning' });
    });
    expect(output).toMatchObject({ ok: false, error: { message: 'degraded' } });
    expect(none).toMatchObject({ ok: false, error: { message: 'degraded' } });
  });

  it('should fail the task instead of completing it without output', async () => {
    const dag = defineDag({
      id: 'w',
      tasks: [
        { id: 'w', agent: 'w' },
        { id: 'next', agent: 'next', deps: ['w'] },
      ],
    });
    const next = jest.fn(() => 1);
    const events = await lastValueFrom(
      runDag(dag, {
        ...base,
        agents: {
          w: async () => {
            throw new AgentError('degraded', { severity: 'warning', output: new Date() });
          },
          next,
        },
      }).pipe(toArray()),
    );
    expect(events.find((e) => e.type === 'task.failed')).toMatchObject({
      taskId: 'w',
      error: {
        name: 'OutputNotJsonSafeError',
        message:
          'output of task "w" is not JSON-safe: $ is a Date (only plain objects, arrays and primitives are JSON-safe) (cause: AgentError: degraded)',
      },
      severity: 'error',
    });
    expect(events.some((e) => e.type === 'task.completed')).toBe(false);
    expect(next).not.toHaveBeenCalled();
  });
});

describe('ctx.spawn after the attempt ended', () => {
  it('should throw, naming the task and its attempt, and spawn nothing', () => {
    const scheduler = testScheduler();
    const events: DagEvent[] = [];
    const thrown: unknown[] = [];
    scheduler.run(({ cold }) => {
      const dag = defineDag({ id: 'late', tasks: [{ id: 'p', agent: 'p' }] });
      const p = (ctx: TaskContext) => {
        // a spawn the agent forgot to wait for: it happens after the agent returned
        scheduler.schedule(() => {
          try {
            ctx.spawn([{ id: 'late', agent: 's' }]);
          } catch (error) {
            thrown.push(error);
          }
        }, 1);
        return 'ok';
      };
      runDag(dag, { ...base, scheduler, agents: { p, s: () => cold('-(x|)') } }).subscribe((e) => events.push(e));
    });
    expect(thrown).toEqual([
      new TypeError(
        'spawn() of task "p" was called after its attempt 1 ended: spawn before the agent returns, resolves or completes (a missing await?)',
      ),
    ]);
    expect(thrown[0]).toBeInstanceOf(TypeError);
    expect(timeline(events, scheduling)).toEqual(['0 started:p', '0 completed:p', '0 done:succeeded']);
  });

  it('should throw once the attempt timed out', () => {
    const scheduler = testScheduler();
    const thrown: unknown[] = [];
    scheduler.run(({ cold }) => {
      const dag = defineDag({ id: 'late', tasks: [{ id: 'p', agent: 'p', timeoutMs: 2 }] });
      const p = (ctx: TaskContext) => {
        scheduler.schedule(() => {
          try {
            ctx.spawn([{ id: 'late', agent: 'p' }]);
          } catch (error) {
            thrown.push((error as Error).message);
          }
        }, 3);
        return cold('-----(x|)');
      };
      runDag(dag, { ...base, scheduler, agents: { p } }).subscribe();
    });
    // not taken for a missing await: the attempt was stopped
    expect(thrown).toEqual([
      'spawn() of task "p" was called after its attempt 1 timed out: tasks spawned after the attempt\'s signal fired are not added',
    ]);
  });

  it('should still spawn while the attempt is going on', () => {
    const scheduler = testScheduler();
    const events: DagEvent[] = [];
    scheduler.run(({ cold }) => {
      const dag = defineDag({ id: 'in-time', tasks: [{ id: 'p', agent: 'p' }] });
      const p = (ctx: TaskContext) => {
        scheduler.schedule(() => ctx.spawn([{ id: 'child', agent: 's' }]), 1);
        return cold('--(x|)');
      };
      runDag(dag, { ...base, scheduler, agents: { p, s: () => cold('-(x|)') } }).subscribe((e) => events.push(e));
    });
    expect(timeline(events, scheduling)).toEqual([
      '0 started:p',
      '2 spawned:p',
      '2 completed:p',
      '2 started:child',
      '3 completed:child',
      '3 done:succeeded',
    ]);
  });
});

describe('a warning after spawn', () => {
  it('should keep the tasks the agent spawned: a warning is a success with a note', async () => {
    const dag = defineDag({ id: 'ws', tasks: [{ id: 'p', agent: 'p' }] });
    const ran: string[] = [];
    const events = await lastValueFrom(
      runDag(dag, {
        ...base,
        agents: {
          p: async (ctx: TaskContext) => {
            ctx.spawn([{ id: 'child', agent: 'c', input: 7 }]);
            throw new AgentError('partly done', { severity: 'warning', output: { rows: 1 } });
          },
          c: ({ id, input }: TaskContext) => (ran.push(id), input),
        },
      }).pipe(toArray()),
    );
    expect(ran).toEqual(['child']);
    const types = events.filter((e) => ('taskId' in e && e.taskId === 'p') || e.type === 'tasks.spawned').map((e) => e.type);
    expect(types).toEqual(['task.ready', 'task.started', 'tasks.spawned', 'task.completed']);
    expect(
      events.find((e): e is Extract<DagEvent, { type: 'task.completed' }> => e.type === 'task.completed' && e.taskId === 'p'),
    ).toMatchObject({
      output: { rows: 1 },
      warning: { name: 'AgentError', message: 'partly done' },
    });
    expect(events.at(-1)).toMatchObject({ type: 'dag.completed', outcome: 'succeeded', counts: { total: 2, completed: 2 } });
  });
});

describe('spawn taken out of the context', () => {
  it('should work as ctx.spawn does when an agent destructures it', async () => {
    const dag = defineDag({ id: 'ds', tasks: [{ id: 'p', agent: 'p' }] });
    const events = await lastValueFrom(
      runDag(dag, {
        ...base,
        agents: {
          p: async ({ spawn }: TaskContext) => {
            spawn([{ id: 'child', agent: 'c' }]);
            return 'planned';
          },
          c: () => 'done',
        },
      }).pipe(toArray()),
    );
    expect(events.at(-1)).toMatchObject({ type: 'dag.completed', outcome: 'succeeded', counts: { total: 2, completed: 2 } });
  });
});
