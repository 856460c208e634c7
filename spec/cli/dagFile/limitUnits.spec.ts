import { readEventLog, tempDir, writeText } from '../support/files';
import { rxdagInProcess } from '../support/inProcessCli';

/**
 * A DAG file's tasks giving their own units of each limit (`limits: { api: 1, tokens: 3000 }`):
 * each problem at its line and column, in the file's words, before anything runs; a run that
 * holds each limit to the units its tasks give; `show` and the report saying them.
 */
describe('DAG file: units per limit', () => {
  const tmp = tempDir();
  afterAll(() => tmp.remove());

  const LIMITS = 'limits:\n  api: { concurrency: 1 }\n  tokens: { rate: { limit: 5000, intervalMs: 60000 } }\n';
  const file = (name: string, tasks: string, defaults = '') => writeText(tmp.file(name), `id: units\n${LIMITS}${defaults}tasks:\n${tasks}`);

  it.each([
    [
      'units of 0',
      '    limits: { api: 1, tokens: 0 }\n',
      '8:31: tasks[0].limits.tokens: must be at least 1 (leave out a limit the task does not need) (got 0)',
    ],
    ['units in words', '    limits: { api: one }\n', '8:20: tasks[0].limits.api: expected a positive integer number of units (got "one")'],
    [
      'a limit the file does not declare',
      '    limits: { api: 1, tokenz: 5 }\n',
      '8:31: tasks[0].limits.tokenz: task "a" needs limit "tokenz", which is not declared in `limits:` (did you mean "tokens"?); declared: "api", "tokens"',
    ],
    [
      'more units than a limit allows',
      '    limits: { tokens: 6000 }\n',
      '8:23: tasks[0].limits.tokens: task "a" takes 6000 units of limit "tokens", more than it allows (rate limit 5000 per 60000 ms): it could never start',
    ],
    // one problem: its own, not also that the limit could never give it that many
    [
      'units past the most',
      '    limits: { tokens: 1e20 }\n',
      '8:23: tasks[0].limits.tokens: must be at most 9007199254740991 (got 100000000000000000000)',
    ],
    ['a weight past the most', '    limits: [api]\n    weight: 2000000\n', '9:13: tasks[0].weight: must be at most 1000000 (got 2000000)'],
  ])('should refuse %s at its line, running nothing', async (_name, limits, problem) => {
    const path = file(`${_name.replace(/\W+/g, '-')}.yaml`, `  - id: a\n    sleep: 1\n${limits}`);
    const events = tmp.file(`${_name.replace(/\W+/g, '-')}.jsonl`);
    for (const command of [
      ['validate', path],
      ['run', path, '--no-journal', '--events', events],
    ]) {
      expect(await rxdagInProcess(...command)).toEqual({ code: 2, stdout: '', stderr: `rxdag: ${path}:${problem}\n` });
    }
  });

  it('should place an undeclared limit of the defaults’ mapping there, and too many of its units there too, once', async () => {
    const path = file('defaults.yaml', '  - id: a\n    sleep: 1\n', 'defaults:\n  limits: { ghost: 1, tokens: 9000 }\n');
    const { code, stderr } = await rxdagInProcess('validate', path);
    expect(code).toBe(2);
    expect(stderr.split('\n')).toEqual([
      `rxdag: ${path}:6:20: defaults.limits.ghost: the defaults need limit "ghost", which is not declared in \`limits:\`; declared: "api", "tokens"`,
      `rxdag: ${path}:6:31: defaults.limits.tokens: the defaults take 9000 units of limit "tokens", more than it allows (rate limit 5000 per 60000 ms): task "a", which takes the default limits, could never start`,
      '',
    ]);
  });

  it('should check a limit called __proto__ as any other, which zod’s record leaves out, in YAML and JSON', async () => {
    const yaml = writeText(
      tmp.file('proto.yaml'),
      'id: proto\nlimits:\n  __proto__: { concurrency: 0, bogus: 1 }\n  api: { concurency: 2 }\ntasks:\n  - { id: a, sleep: 1 }\n',
    );
    // said with the other limits' problems, none hidden
    expect(await rxdagInProcess('validate', yaml)).toEqual({
      code: 2,
      stdout: '',
      stderr:
        `rxdag: ${yaml}:3:29: limits.__proto__.concurrency: must be a positive integer (got 0)\n` +
        `rxdag: ${yaml}:3:32: limits.__proto__: unknown field "bogus"\n` +
        `rxdag: ${yaml}:4:10: limits.api: unknown field "concurency" (did you mean "concurrency"?)\n`,
    });
    const json = writeText(
      tmp.file('proto.json'),
      '{"id":"proto","limits":{"__proto__":{"concurrency":1}},"tasks":[{"id":"a","sleep":1,"limits":["__proto__"]}]}',
    );
    expect(await rxdagInProcess('validate', json)).toMatchObject({ code: 0 });
  });

  it('should run a file whose tasks give units per limit, each limit holding its own units, and show them', async () => {
    // one call of `api` at a time, 5000 tokens a minute: the three fit (2000 + 2000 + 1000)
    const path = file(
      'run.yaml',
      [
        '  - id: first',
        '    sleep: 1',
        '    limits: { api: 1, tokens: 2000 }',
        '  - id: second',
        '    sleep: 1',
        '    limits: { api: 1, tokens: 2000 }',
        '  - id: small',
        '    sleep: 1',
        '    limits: { tokens: 1000 }',
        '',
      ].join('\n'),
    );
    const store = tmp.file('store');
    const events = tmp.file('run.jsonl');
    const ran = await rxdagInProcess('run', path, '--store', store, '--events', events, '--quiet');
    expect(ran.code).toBe(0);
    const started = readEventLog(events).filter((event) => event.type === 'task.started');
    expect(started.map((event) => ('taskId' in event ? event.taskId : '')).sort()).toEqual(['first', 'second', 'small']);
    const runId = /run (\S+) \(journal/.exec(ran.stderr)?.[1];
    expect(runId).toBeDefined();
    const shown = await rxdagInProcess('show', runId!, '--store', store);
    expect(shown.stdout).toMatch(/first .*limits api ×1, tokens ×2000/);
    expect(shown.stdout).toMatch(/small .*limits tokens ×1000/);
    const json = await rxdagInProcess('show', runId!, '--store', store, '--json');
    const tasks = (JSON.parse(json.stdout) as { tasks: { id: string; limits?: string[]; limitUnits?: Record<string, number> }[] }).tasks;
    expect(tasks.find((task) => task.id === 'first')).toMatchObject({ limits: ['api', 'tokens'], limitUnits: { api: 1, tokens: 2000 } });
  });
});
