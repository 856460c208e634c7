import { filter, lastValueFrom } from 'rxjs';
import { type AgentSpec, defineAgent, defineDag, isEvent, runDag } from '../../src';

const run = () => 1;
const PREFIX = 'rxdag: invalid agent given to defineAgent: ';

describe('defineAgent', () => {
  it('should return the spec itself when every field is valid', () => {
    const spec = { capacity: Number.POSITIVE_INFINITY, maxInstances: 2, idleMs: 0, create: () => ({}), dispose: () => {}, run };
    expect(defineAgent(spec)).toBe(spec);
    expect(defineAgent({ run, capacity: 3, idleMs: undefined })).toEqual({ run, capacity: 3, idleMs: undefined });
  });

  it.each<[string, unknown, string]>([
    ['null', null, 'the spec must be an agent object { run, capacity?, create?, dispose?, maxInstances?, idleMs? } (got null)'],
    ['a function', run, 'the spec must be an agent object { run, capacity?, create?, dispose?, maxInstances?, idleMs? } (got a function)'],
    ['no run', { capacity: 2 }, '`run` must be a function (task, instance) => result (got nothing)'],
    ['a fractional capacity', { run, capacity: 1.5 }, '`capacity` must be a positive integer or Infinity (got 1.5)'],
    ['a capacity of 0', { run, capacity: 0 }, '`capacity` must be a positive integer or Infinity (got 0)'],
    ['a capacity that is a string', { run, capacity: '2' }, '`capacity` must be a positive integer or Infinity (got "2")'],
    ['a capacity of NaN', { run, capacity: Number.NaN }, '`capacity` must be a positive integer or Infinity (got NaN)'],
    ['a fractional maxInstances', { run, maxInstances: 1.5 }, '`maxInstances` must be a positive integer (got 1.5)'],
    [
      'more instances than capacity',
      { run, capacity: 1, maxInstances: 5 },
      '`maxInstances` must be at most `capacity` (1): no more attempts run at once, so no more instances are made; raise `capacity` for more (got 5)',
    ],
    [
      'an idleMs that is a string',
      { run, idleMs: 'x' },
      '`idleMs` must be a number of milliseconds >= 0 (0 keeps instances until shutdown) (got "x")',
    ],
    ['a create that is a string', { run, create: 'x' }, '`create` must be a function (got "x")'],
    ['a dispose that is a number', { run, dispose: 5 }, '`dispose` must be a function (got 5)'],
    ['a misspelt field', { run, capcity: 2 }, 'unknown field `capcity` (did you mean `capacity`?)'],
  ])('should throw a TypeError naming %s', (_, spec, problem) => {
    expect(() => defineAgent(spec as AgentSpec)).toThrow(new TypeError(`${PREFIX}${problem}`));
  });

  it('should take the types of its instance and input, and fit an agents map with them', async () => {
    const agent = defineAgent<{ prefix: string }, { q: string }>({
      create: () => ({ prefix: '> ' }),
      run: ({ input }, client) => `${client.prefix}${input.q}`,
    });
    const dag = defineDag({ id: 'typed', tasks: [{ id: 'a', agent: 'typed', input: { q: 'hi' } }] });
    const done = await lastValueFrom(runDag(dag, { agents: { typed: agent }, healthCheckIntervalMs: 0 }));
    expect(done).toMatchObject({ type: 'dag.completed', outcome: 'succeeded' });
    const outputs = await lastValueFrom(
      runDag(dag, { agents: { typed: agent }, healthCheckIntervalMs: 0 }).pipe(filter(isEvent('task.completed'))),
    );
    expect(outputs.output).toBe('> hi');
  });

  it('should name every bad field at once', () => {
    const spec = { run: 5, capacity: 1.5, idleMs: 'x', dispose: 5 } as unknown as AgentSpec;
    expect(() => defineAgent(spec)).toThrow(
      new TypeError(
        `${PREFIX}\`run\` must be a function (task, instance) => result (got 5); ` +
          '`capacity` must be a positive integer or Infinity (got 1.5); `dispose` must be a function (got 5); ' +
          '`idleMs` must be a number of milliseconds >= 0 (0 keeps instances until shutdown) (got "x")',
      ),
    );
  });
});
