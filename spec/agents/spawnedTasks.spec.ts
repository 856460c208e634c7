import { SpawnedTasks } from '../../src/agents/spawnedTasks';
import { jsonBytes, MAX_JSON_BYTES } from '../../src/jsonSafe';

describe('the tasks an attempt spawned', () => {
  it('should keep every call’s tasks in order, as frozen copies', () => {
    const spawned = new SpawnedTasks();
    const input = { rows: [1, 2] };
    spawned.keep([{ id: 'a', input }]);
    spawned.keep([{ id: 'b' }, { id: 'c' }]);
    input.rows.push(3);
    expect(spawned.kept()).toEqual([{ id: 'a', input: { rows: [1, 2] } }, { id: 'b' }, { id: 'c' }]);
    expect(Object.isFrozen(spawned.kept()[0]!.input)).toBe(true);
    expect(spawned.problem).toBeUndefined();
  });

  it('should measure the tasks kept once, and each later call alone, once their bound passes what an event carries', () => {
    // its bound is 6 bytes a character (a character may be written `\u0000`): these calls' bound
    // passes the maximum about a tenth of the way, their text never does; measuring all the tasks
    // again at each call made the last ones take ~0.2 s each
    const input = 'a'.repeat(8 * 1024);
    const calls = Math.ceil(MAX_JSON_BYTES / (6 * input.length)) + 500;
    const spawned = new SpawnedTasks();
    const start = performance.now();
    for (let k = 0; k < calls; k++) spawned.keep([{ id: `t${k}`, agent: 'work', input }]);
    // a bound, not a measurement: ~0.2 s here, ~90 s measuring everything at each call
    expect(performance.now() - start).toBeLessThan(15_000);
    expect(spawned.problem).toBeUndefined();
    expect(spawned.kept()).toHaveLength(calls);
  });

  it('should say they are too long at the first call that makes their JSON, as one array, longer than an event carries', () => {
    const spawned = new SpawnedTasks();
    // each call's bound passes the maximum (6 bytes a character), its text is a sixth of it
    const big = 'a'.repeat(Math.ceil(MAX_JSON_BYTES / 6) + 1);
    // an array's JSON: `[`, then each element followed by `,` (the last by `]`); the ids are as long
    const element = jsonBytes([{ id: 't0', input: big }]) - 2;
    const bytesOf = (calls: number) => 1 + calls * (element + 1);
    let calls = 0;
    while (spawned.problem === undefined) {
      spawned.keep([{ id: `t${calls}`, input: big }]);
      calls++;
      expect(spawned.problem === undefined).toBe(bytesOf(calls) <= MAX_JSON_BYTES);
    }
    expect(calls).toBe(6);
    expect(spawned.problem).toBe(
      `spawned tasks are too long for an event: spawn is ${bytesOf(calls)} bytes long as JSON text (UTF-8), more than an event carries (${MAX_JSON_BYTES})`,
    );
  });

  it('should keep the first problem and look at no later call', () => {
    const spawned = new SpawnedTasks();
    spawned.keep([{ id: 'a' }]);
    spawned.keep([{ id: 'b', input: { at: new Date(0) } }]);
    spawned.keep([{ id: 'c', input: { f: () => 1 } }]);
    expect(spawned.problem).toBe(
      'spawned tasks are not JSON-safe: spawn[1].input.at is a Date (only plain objects, arrays and primitives are JSON-safe)',
    );
    expect(spawned.kept()).toEqual([{ id: 'a' }]);
  });
});
