import fc from 'fast-check';
import { fileTaskSchema, isPlainFileTask } from '../../../src/cli/dagFile/fileSchema';

/**
 * `isPlainFileTask` lets big files skip the task schema: whatever it passes, the schema must pass
 * unchanged (the same fields, the same values). It may leave anything to the schema.
 */
describe('isPlainFileTask', () => {
  it.each([
    [{ id: 'a', sleep: 0 }],
    [{ id: 'a', deps: ['b'], sleep: 2147483647, timeoutMs: 5, retry: { attempts: 2 }, priority: 1, estimateMs: 3 }],
    [{ id: 'a', run: 'echo hi', cwd: 'sub' }],
    [{ id: 'a', deps: 'not checked here: defineDag does', run: 'ls' }],
  ])('should pass %j, which the schema passes unchanged', (task) => {
    expect(isPlainFileTask(task)).toBe(true);
    expect(fileTaskSchema.parse(task)).toEqual(task);
  });

  it.each([
    [{ id: 'a' }],
    [{ id: 'a', sleep: -1 }],
    [{ id: 'a', sleep: Number.NaN }],
    [{ id: 'a', sleep: 2147483648 }],
    [{ id: 'a', sleep: '5' }],
    [{ id: 'a', sleep: 1, run: 'ls' }],
    [{ id: 'a', run: '  ls  ' }],
    [{ id: 'a', run: '' }],
    [{ id: 'a', sleep: 1, cwd: '/' }],
    [{ id: 'a', run: 'ls', cwd: '' }],
    [{ id: 'a', run: 'ls', env: { A: '1' } }],
    [{ id: 'a', agent: 'sleep', input: 1 }],
    [{ id: 'a', sleep: 1, dep: ['b'] }],
    [JSON.parse('{"id": "a", "sleep": 1, "__proto__": {}}')],
    [['a']],
    [null],
    ['a'],
  ])('should leave %j to the schema', (task) => {
    expect(isPlainFileTask(task)).toBe(false);
  });

  it('should pass only tasks the schema passes unchanged (generated tasks)', () => {
    const field = fc.oneof(
      fc.constant(['id', 'a']),
      fc.constant(['deps', ['a']]),
      fc.constantFrom(
        ['sleep', 0],
        ['sleep', 1.5],
        ['sleep', -0],
        ['sleep', -1],
        ['sleep', 3e9],
        ['sleep', Infinity],
        ['sleep', '1'],
        ['sleep', null],
      ),
      fc.constantFrom(['run', 'ls'], ['run', ' ls'], ['run', ''], ['run', 5], ['run', '\t']),
      fc.constantFrom(['cwd', '/'], ['cwd', ''], ['cwd', 3]),
      fc.constantFrom(
        ['env', {}],
        ['agent', 'sleep'],
        ['input', 1],
        ['timeoutMs', -1],
        ['retry', 5],
        ['priority', 'x'],
        ['estimateMs', 1],
        ['other', 1],
      ),
    );
    fc.assert(
      fc.property(fc.array(field, { maxLength: 6 }), (fields) => {
        const task = Object.fromEntries(fields as [string, unknown][]);
        if (!isPlainFileTask(task)) return;
        const parsed = fileTaskSchema.safeParse(task);
        expect(parsed.success).toBe(true);
        expect(parsed.data).toEqual(task);
      }),
      { numRuns: 2000, seed: 11 },
    );
  });
});
