import { type DagEvent, defineDag, initialRunState, reduce, runDag, selectTasks, type TaskSpec } from '../../src';
import { scheduling, testScheduler, timeline } from '../helpers';

const base = { healthCheckIntervalMs: 0, runId: 'r' } as const;

function runIn(
  dagSpec: Parameters<typeof defineDag>[0],
  agents: (cold: ReturnType<typeof testScheduler>['createColdObservable']) => Parameters<typeof runDag>[1],
): DagEvent[] {
  const scheduler = testScheduler();
  const events: DagEvent[] = [];
  scheduler.run(({ cold }) => {
    runDag(defineDag(dagSpec), { ...base, scheduler, ...agents(cold as never) }).subscribe((e) => events.push(e));
  });
  return events;
}

const plannerDag = {
  id: 'plan',
  tasks: [
    { id: 'plan', agent: 'planner' },
    { id: 'write', deps: ['plan'], agent: 'writer' },
  ],
};

describe('spawning tasks', () => {
  it('should run spawned tasks after their spawner and make its dependents wait for them', () => {
    const events = runIn(plannerDag, (cold) => ({
      agents: {
        planner: (ctx) => {
          ctx.spawn([
            { id: 'search-a', agent: 'search', input: 'a' },
            { id: 'search-b', agent: 'search', input: 'b' },
            { id: 'merge', agent: 'search', deps: ['search-a', 'search-b'] },
          ]);
          return cold('-(x|)', { x: 'topics' });
        },
        search: ({ id, upstream }) => cold('--(x|)', { x: `${id}<-${Object.keys(upstream).join('+')}` }),
        writer: ({ upstream }) => Object.keys(upstream).sort(),
      },
    }));
    expect(timeline(events, scheduling)).toEqual([
      '0 started:plan',
      '1 spawned:plan',
      '1 completed:plan',
      '1 started:search-a',
      '1 started:search-b',
      '3 completed:search-a',
      '3 completed:search-b',
      '3 started:merge',
      '5 completed:merge',
      '5 started:write',
      '5 completed:write',
      '5 done:succeeded',
    ]);
    const outputs = Object.fromEntries(events.flatMap((e) => (e.type === 'task.completed' ? [[e.taskId, e.output]] : [])));
    expect(outputs['search-a']).toBe('search-a<-plan');
    expect(outputs['merge']).toBe('merge<-plan+search-a+search-b');
    expect(outputs['write']).toEqual(['merge', 'plan', 'search-a', 'search-b']);
    expect(events.at(-1)).toMatchObject({ counts: { total: 5, completed: 5 } });
  });

  it('should time out a spawned task by its own limit in a DAG whose tasks have none', () => {
    const events = runIn(plannerDag, (cold) => ({
      agents: {
        planner: (ctx) => {
          ctx.spawn([{ id: 'slow', agent: 'search', timeoutMs: 4 }]);
          return cold('-(x|)', { x: 'topics' });
        },
        search: () => cold('----------(x|)', { x: 'late' }),
        writer: () => 'w',
      },
    }));
    expect(
      events.filter((e) => e.type === 'task.timed-out' || e.type === 'task.failed').map((e) => [e.type, e.at, 'taskId' in e && e.taskId]),
    ).toEqual([
      ['task.timed-out', 5, 'slow'],
      ['task.failed', 5, 'slow'],
    ]);
  });

  it.each<[string, TaskSpec[], string]>([
    ['a duplicate id', [{ id: 'write', agent: 'search' }], 'spawn[0].id: task id "write" is already used in this run'],
    [
      'an unknown dependency',
      [{ id: 'x', agent: 'search', deps: ['ghost'] }],
      'spawn[0].deps[0]: spawned task "x" depends on "ghost", which is not a task of this run',
    ],
    ['an unknown agent', [{ id: 'x', agent: 'nobody' }], 'spawn[0].agent: unknown agent "nobody"'],
    ['a dependency that has not completed', [{ id: 'x', agent: 'search', deps: ['side'] }], 'which has not completed'],
    [
      'a cycle among spawned tasks',
      [
        { id: 'x', agent: 'search', deps: ['y'] },
        { id: 'y', agent: 'search', deps: ['x'] },
      ],
      'cycle: ',
    ],
    ['a bad value', [{ id: 'x', agent: 'search', timeoutMs: -1 } as TaskSpec], 'spawn[0].timeoutMs: must be > 0'],
    [
      'an unknown dependency, with the unknown agent of another task',
      [
        { id: 'x', agent: 'search', deps: ['ghost'] },
        { id: 'y', agent: 'nobody' },
      ],
      'spawn[1].agent: unknown agent "nobody"',
    ],
  ])('should fail the spawner, not the run, on %s', (_, spawned, message) => {
    const events = runIn({ id: 'bad', tasks: [...plannerDag.tasks, { id: 'side', agent: 'slow' }] }, (cold) => ({
      agents: {
        planner: (ctx) => (ctx.spawn(spawned), cold('-(x|)')),
        search: () => cold('-(x|)'),
        writer: () => cold('-(x|)'),
        slow: () => cold('----(x|)'),
      },
    }));
    const failed = events.find((e) => e.type === 'task.failed');
    expect(failed).toMatchObject({ taskId: 'plan', willRetry: false, error: { name: 'DagValidationError' } });
    expect(failed?.type === 'task.failed' && failed.error.message).toContain(message);
    expect(timeline(events, scheduling).slice(-3)).toEqual(['1 skipped:write', '4 completed:side', '4 done:failed']);
  });

  it('should drop the spawn of a failed attempt and take the one of the attempt that succeeds', () => {
    const events = runIn({ id: 'retry', tasks: [{ id: 'plan', agent: 'planner', retry: { attempts: 2 } }] }, (cold) => ({
      agents: {
        planner: (ctx) => {
          ctx.spawn([{ id: `child-of-attempt-${ctx.attempt}`, agent: 'child' }]);
          return ctx.attempt === 1 ? cold('-#') : cold('-(x|)');
        },
        child: () => cold('-(x|)'),
      },
    }));
    expect(timeline(events, (e) => e.type === 'tasks.spawned' || e.type === 'task.started')).toEqual([
      '0 started:plan',
      '1 started:plan#2',
      '2 spawned:plan#2',
      '2 started:child-of-attempt-2',
    ]);
  });

  it('should replay a run with spawned tasks into the same state', () => {
    const events = runIn(plannerDag, (cold) => ({
      agents: {
        planner: (ctx) => (ctx.spawn([{ id: 'extra', agent: 'writer', input: { n: 1 } }]), cold('-(x|)')),
        writer: () => cold('-(x|)', { x: 'w' }),
      },
    }));
    const replayed = events.reduce(reduce, initialRunState(defineDag(plannerDag), 'r'));
    expect(replayed.status).toBe('succeeded');
    expect(selectTasks(replayed).map((t) => `${t.id}:${t.status}`)).toEqual(['plan:completed', 'write:completed', 'extra:completed']);
    expect(replayed.counts).toMatchObject({ completed: 3, pending: 0 });
  });

  it('should not make a dependent of the spawner that a trigger rule skipped already wait for the spawned tasks (no cycle through it)', () => {
    // F fails; D (on P and F) is skipped; E (on D, all-done) runs; P then spawns S on E, which completed
    const dag = {
      id: 'late',
      tasks: [
        { id: 'F', agent: 'bad' },
        { id: 'P', agent: 'planner' },
        { id: 'D', agent: 'ok', deps: ['P', 'F'] },
        { id: 'E', agent: 'ok', deps: ['D'], when: 'all-done' as const },
      ],
    };
    const events = runIn(dag, (cold) => ({
      agents: {
        bad: () => cold('#', {}, new Error('boom')),
        planner: (ctx) => (ctx.spawn([{ id: 'S', agent: 'ok', deps: ['E'] }]), cold('---(x|)', { x: 'planned' })),
        ok: ({ id }) => cold('-(x|)', { x: id }),
      },
    }));
    const ends = events.flatMap((e) =>
      e.type === 'task.completed' || e.type === 'task.failed' || e.type === 'task.skipped' ? [`${e.type} ${e.taskId}`] : [],
    );
    expect(ends).toEqual(['task.failed F', 'task.skipped D', 'task.completed E', 'task.completed P', 'task.completed S']);
    expect(events.at(-1)).toMatchObject({ type: 'dag.completed', outcome: 'failed' });
    // and the journal's events replay into the same state
    const replayed = events.reduce(reduce, initialRunState(defineDag(dag), 'r'));
    expect(selectTasks(replayed).map((t) => `${t.id}:${t.status}`)).toEqual([
      'F:failed',
      'P:completed',
      'D:skipped',
      'E:completed',
      'S:completed',
    ]);
  });
});
