import { lastValueFrom, toArray } from 'rxjs';
import {
  type Agent,
  type AgentDefinition,
  defineAgent,
  defineDag,
  type DagEvent,
  promiseAgent,
  runDag,
  syncAgent,
  type TaskContext,
} from '../../src';

// These specs are checked twice: by `tsc --noEmit` (the `@ts-expect-error` lines must be errors,
// everything else must compile) and by jest (the typed agents really run).

const dag = defineDag({
  id: 'typed',
  tasks: [
    { id: 'fetch', agent: 'fetch', input: { url: 'https://example.test/a' } },
    { id: 'count', agent: 'count', deps: ['fetch'], input: { min: 2 } },
    { id: 'pooled', agent: 'pooled', deps: ['count'], input: { label: 'n' } },
  ],
});

const fetchAgent: Agent<{ url: string }> = ({ input }) => `body of ${input.url}`;
const countAgent = promiseAgent(async ({ input, upstream }: TaskContext<{ min: number }, { fetch: string }>) =>
  Math.max(input.min, upstream.fetch.length),
);
const pooled = defineAgent({
  capacity: 1,
  create: () => ({ prefix: '#' }),
  run: ({ input, upstream }: TaskContext<{ label: string }, { count: number }>, client) =>
    `${client.prefix}${input.label}=${upstream.count}`,
});

const agents = { fetch: fetchAgent, count: countAgent, pooled } satisfies Record<string, AgentDefinition>;

describe('typed agents', () => {
  it('should fit an agents map and see their typed input and upstream', async () => {
    const events: DagEvent[] = await lastValueFrom(runDag(dag, { agents, healthCheckIntervalMs: 0 }).pipe(toArray()));
    const outputs = Object.fromEntries(events.flatMap((e) => (e.type === 'task.completed' ? [[e.taskId, e.output]] : [])));
    expect(outputs).toEqual({ fetch: 'body of https://example.test/a', count: 30, pooled: '#n=30' });
  });

  it('should keep input unknown for an untyped agent, and inline agents contextually typed', () => {
    const plain: Agent = ({ input, upstream, id }) => {
      // @ts-expect-error input is unknown until the agent says what it is
      void input.url;
      return `${id}:${Object.keys(upstream).length}`;
    };
    const typedSync = syncAgent(({ input }: TaskContext<{ n: number }>) => input.n + 1);
    const map = { plain, typedSync, inline: ({ attempt }) => attempt } satisfies Record<string, AgentDefinition>;
    // an instance without `create` to make it: `run` would get undefined
    // @ts-expect-error `create` is required when the instance cannot be undefined
    expect(() => defineAgent({ run: (_task, client: { q: string }) => client.q })).not.toThrow();
    // @ts-expect-error the same with the instance type given
    expect(() => defineAgent<{ q: string }>({ run: (_task, client) => client.q })).not.toThrow();
    expect(defineAgent<{ q: string } | undefined>({ run: (_task, client) => client?.q ?? 'none' }).create).toBeUndefined();
    expect(Object.keys(map)).toEqual(['plain', 'typedSync', 'inline']);
  });

  it('should type the task of an agent object written inline in an agents map, its instance unknown without defineAgent', async () => {
    const inlineDag = defineDag({
      id: 'inline',
      tasks: [
        { id: 'a', agent: 'limited' },
        { id: 'b', agent: 'pooled' },
      ],
    });
    const run = runDag(inlineDag, {
      healthCheckIntervalMs: 0,
      agents: {
        // `task` is a TaskContext here, not an implicit any
        limited: { capacity: 2, run: (task) => `${task.id}#${task.attempt}` },
        pooled: {
          create: () => ({ prefix: '>' }),
          // @ts-expect-error an instance made inline is unknown to `run`: defineAgent types it from `create`
          run: (task, client) => `${client.prefix}${task.id}`,
        },
      },
    });
    const events: DagEvent[] = await lastValueFrom(run.pipe(toArray()));
    const outputs = Object.fromEntries(events.flatMap((e) => (e.type === 'task.completed' ? [[e.taskId, e.output]] : [])));
    expect(outputs).toEqual({ a: 'a#1', b: '>b' });
    // @ts-expect-error a misspelt field of the task is an error, not an any
    const typo: AgentDefinition = { run: (task) => task.inptu };
    expect(typeof typo).toBe('object');
  });
});
