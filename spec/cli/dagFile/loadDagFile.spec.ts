import { chmodSync, closeSync, mkdirSync, openSync, symlinkSync, truncateSync } from 'node:fs';
import path from 'node:path';
import { loadDagFile } from '../../../src/cli/dagFile/loadDagFile';
import { unusableJournaledDirectories } from '../../../src/cli/dagFile/directories';
import { InvalidInputError } from '../../../src/cli/problems';
import { shutFolders, tempDir, writeText } from '../support/files';
import { asAnotherUser } from '../../journal/support/anotherUser';

describe('loadDagFile', () => {
  const tmp = tempDir();
  afterAll(() => tmp.remove());

  function problemsOf(file: string): string[] {
    try {
      loadDagFile(file);
    } catch (error) {
      if (error instanceof InvalidInputError) return error.message.split('\n');
      throw error;
    }
    throw new Error(`${file} loaded without problems`);
  }

  it('should turn run: into the shell agent with cwd resolved against the file and env as strings', () => {
    mkdirSync(tmp.file('sub'), { recursive: true }); // a cwd must exist
    const file = writeText(
      tmp.file('shell.yaml'),
      'id: s\ndefaults:\n  cwd: sub\n  env: { A: one, N: 2 }\ntasks:\n  - id: a\n    run: "  echo hi  "\n    env: { N: 3, FLAG: true }\n  - id: b\n    run: pwd\n    cwd: /\n',
    );
    const { dag } = loadDagFile(file);
    expect(dag.tasks.map((t) => [t.id, t.agent, t.input])).toEqual([
      ['a', 'shell', { command: 'echo hi', cwd: path.join(tmp.dir, 'sub'), env: { A: 'one', N: '3', FLAG: 'true' } }],
      ['b', 'shell', { command: 'pwd', cwd: '/', env: { A: 'one', N: '2' } }],
    ]);
  });

  it('should turn sleep: into the sleep agent and keep the library fields and defaults', () => {
    const file = writeText(
      tmp.file('sleep.json'),
      JSON.stringify({
        id: 'z',
        defaults: { timeoutMs: 900, retry: { attempts: 2 } },
        tasks: [
          { id: 'nap', sleep: 25, priority: 3, estimateMs: 40 },
          { id: 'late', deps: ['nap'], sleep: 0, timeoutMs: 50 },
        ],
      }),
    );
    const { dag } = loadDagFile(file);
    expect(
      dag.tasks.map(({ id, agent, input, deps, timeoutMs, priority, estimateMs, retry }) => ({
        id,
        agent,
        input,
        deps,
        timeoutMs,
        priority,
        estimateMs,
        attempts: retry.attempts,
      })),
    ).toEqual([
      // a sleep is its own estimate, unless the task gives one
      { id: 'nap', agent: 'sleep', input: 25, deps: [], timeoutMs: 900, priority: 3, estimateMs: 40, attempts: 2 },
      { id: 'late', agent: 'sleep', input: 0, deps: ['nap'], timeoutMs: 50, priority: 0, estimateMs: 0, attempts: 2 },
    ]);
  });

  it('should read the limits, and pass each task’s limits, weight and when to the library', () => {
    const file = writeText(
      tmp.file('limits.yaml'),
      [
        'id: l',
        'limits:',
        '  api: { concurrency: 2, rate: { limit: 60, intervalMs: 60000 } }',
        '  db:',
        '    concurrency: 2',
        'tasks:',
        '  - id: a',
        '    run: echo a',
        '    limits: [api, db]',
        '    weight: 2',
        '  - id: b',
        '    deps: [a]',
        '    sleep: 5',
        '    when: all-done',
        '',
      ].join('\n'),
    );
    const { dag, limits, spec } = loadDagFile(file);
    expect({ ...limits }).toEqual({ api: { concurrency: 2, rate: { limit: 60, intervalMs: 60_000 } }, db: { concurrency: 2 } });
    expect(dag.tasks.map(({ id, limits: names, weight, when, estimateMs }) => ({ id, names, weight, when, estimateMs }))).toEqual([
      { id: 'a', names: ['api', 'db'], weight: 2, when: undefined, estimateMs: undefined },
      { id: 'b', names: [], weight: 1, when: 'all-done', estimateMs: 5 },
    ]);
    expect(spec.tasks[1]).toMatchObject({ id: 'b', when: 'all-done', estimateMs: 5 });
  });

  it('should keep a limit whose name is also an Object.prototype key', () => {
    const file = writeText(
      tmp.file('proto.json'),
      '{"id":"p","limits":{"constructor":{"concurrency":1},"__proto__":{"concurrency":2}},"tasks":[{"id":"a","sleep":1,"limits":["constructor","__proto__"]}]}',
    );
    const { limits } = loadDagFile(file);
    expect(Object.keys(limits)).toEqual(['constructor', '__proto__']);
    expect(Object.getOwnPropertyDescriptor(limits, '__proto__')?.value).toEqual({ concurrency: 2 });
  });

  it('should refuse a limit name that is only an Object.prototype key, not declared', () => {
    const file = writeText(tmp.file('toString.json'), '{"id":"p","tasks":[{"id":"a","sleep":1,"limits":["toString"]}]}');
    expect(problemsOf(file)).toEqual([
      `${file}:1:50: tasks[0].limits[0]: task "a" needs limit "toString", which is not declared in \`limits:\`; the file declares none (add a top-level \`limits:\` mapping)`,
    ]);
  });

  it('should not call the limits of a `limits:` written as a list undeclared: the list is the problem', () => {
    const file = writeText(tmp.file('limitList.yaml'), 'id: x\nlimits: [api]\ntasks:\n  - id: a\n    run: "true"\n    limits: [api]\n');
    expect(problemsOf(file)).toEqual([
      `${file}:2:9: limits: expected a mapping of limit names to limits (\`api: { concurrency: 2 }\`) (got a list)`,
    ]);
  });

  it('should say only the unknown field when a misspelling of concurrency or rate is what a limit lacks', () => {
    const file = writeText(
      tmp.file('misspelt-limit.yaml'),
      'id: l\nlimits:\n  a: { concurency: 2 }\n  b: { rates: { limit: 1, intervalMs: 5 } }\n  c: { parallelism: 2 }\ntasks: []\n',
    );
    expect(problemsOf(file)).toEqual([
      `${file}:3:8: limits.a: unknown field "concurency" (did you mean "concurrency"?)`,
      `${file}:4:8: limits.b: unknown field "rates" (did you mean "rate"?)`,
      // no field meant: what the limit needs is said too
      `${file}:5:6: limits.c: a limit needs \`concurrency\`, \`rate: { limit, intervalMs }\` or both (it has neither)`,
      `${file}:5:8: limits.c: unknown field "parallelism"`,
    ]);
  });

  it('should say that a count has a maximum, and take the maximum', () => {
    const file = writeText(
      tmp.file('big-count.yaml'),
      'id: l\nlimits:\n  a: { concurrency: 1e20 }\n  b: { rate: { limit: 9007199254740992, intervalMs: 5 } }\ntasks: []\n',
    );
    expect(problemsOf(file)).toEqual([
      `${file}:3:21: limits.a.concurrency: must be a positive integer of at most 9007199254740991 (got 100000000000000000000)`,
      `${file}:4:23: limits.b.rate.limit: must be a positive integer of at most 9007199254740991 (got 9007199254740992)`,
    ]);
    const largest = writeText(tmp.file('largest-count.yaml'), 'id: l\nlimits:\n  a: { concurrency: 9007199254740991 }\ntasks: []\n');
    expect(loadDagFile(largest).limits).toEqual({ a: { concurrency: 9007199254740991 } });
  });

  it('should refuse a limit name no task could name, at its key, in the words a task’s limits get', () => {
    const file = writeText(
      tmp.file('limit-names.yaml'),
      'id: l\nlimits:\n  "": { concurrency: 1 }\n  "re\\u001b[31md": { concurrency: 1 }\n  ok: { concurrency: 0 }\ntasks:\n  - id: a\n    sleep: 1\n    limits: [""]\n',
    );
    expect(problemsOf(file)).toEqual([
      `${file}:3:3: limits: invalid limit name "": must not be empty`,
      `${file}:4:3: limits: invalid limit name "re\\u001b[31md": must not contain control characters: an escape (U+001B) at character 3`,
      `${file}:5:22: limits.ok.concurrency: must be a positive integer (got 0)`,
      `${file}:9:14: tasks[0].limits[0]: must not be empty (got "")`,
    ]);
  });

  it('should not list an empty limit name among the declared ones a missing limit is told of', () => {
    const file = writeText(
      tmp.file('limit-empty-declared.yaml'),
      'id: l\nlimits:\n  api: { concurrency: 2 }\n  "": { concurrency: 1 }\ntasks:\n  - id: a\n    sleep: 1\n    limits: [nope]\n',
    );
    expect(problemsOf(file)).toEqual([
      `${file}:4:3: limits: invalid limit name "": must not be empty`,
      `${file}:8:14: tasks[0].limits[0]: task "a" needs limit "nope", which is not declared in \`limits:\`; declared: "api"`,
    ]);
  });

  it('should name a limit a task names twice, and say its other problems once', () => {
    const file = writeText(
      tmp.file('limit-twice.yaml'),
      'id: l\nlimits:\n  api: { concurrency: 2 }\ntasks:\n  - id: a\n    sleep: 1\n    weight: 5\n    limits: [api, nope, api, nope]\n',
    );
    expect(problemsOf(file)).toEqual([
      `${file}:7:13: tasks[0].weight: task "a" weighs 5, more than limit "api" allows (concurrency 2): it could never start`,
      `${file}:8:19: tasks[0].limits[1]: task "a" needs limit "nope", which is not declared in \`limits:\`; declared: "api"`,
      `${file}:8:25: tasks[0].limits[2]: names limit "api" twice (got "api")`,
      `${file}:8:30: tasks[0].limits[3]: names limit "nope" twice (got "nope")`,
    ]);
  });

  it('should place library problems at the line and column of the field', () => {
    const file = writeText(tmp.file('retry.yaml'), 'id: r\ntasks:\n  - id: a\n    sleep: 1\n    retry:\n      attempts: 0\n');
    expect(problemsOf(file)).toEqual([`${file}:6:17: tasks[0].retry.attempts: must be at least 1 (the first attempt counts) (got 0)`]);
  });

  it('should refuse cwd and env on tasks that do not run a command, and input without agent', () => {
    const file = writeText(
      tmp.file('misplaced.yaml'),
      'id: m\ntasks:\n  - id: a\n    sleep: 1\n    cwd: /tmp\n    env: { A: b }\n    input: 3\n',
    );
    expect(problemsOf(file)).toEqual([
      `${file}:5:10: tasks[0].cwd: \`cwd\` only applies to tasks with \`run\``,
      `${file}:6:10: tasks[0].env: \`env\` only applies to tasks with \`run\``,
      `${file}:7:12: tasks[0].input: \`input\` only applies to tasks with \`agent\` (\`run\` and \`sleep\` make their own)`,
    ]);
  });

  it('should report a file whose top level is not a DAG, an unsupported extension, and a folder', () => {
    const list = writeText(tmp.file('list.yaml'), '- id: a\n');
    expect(problemsOf(list)).toEqual([
      `${list}:1:1: top level: expected a mapping with \`id\` and \`tasks\` at the top of the file (got a list)`,
    ]);
    const toml = writeText(tmp.file('dag.toml'), 'id = "a"\n');
    expect(problemsOf(toml)).toEqual([`${toml}: unsupported file type ".toml": expected .yaml, .yml or .json`]);
    const bare = writeText(tmp.file('pipeline'), 'id: a\ntasks: []\n');
    expect(problemsOf(bare)).toEqual([`${bare}: a DAG file is named by its type: .yaml, .yml or .json`]);
    expect(problemsOf(tmp.dir + '/.yaml')).toEqual([`${tmp.dir}/.yaml: cannot read DAG file: no such file`]);
  });

  it('should not read a device, which never ends, nor a file past what one string holds', () => {
    const device = tmp.file('zero.yaml');
    symlinkSync('/dev/zero', device);
    expect(problemsOf(device)).toEqual([`${device}: cannot read DAG file: it is a device, not a file`]);
    const huge = tmp.file('huge.json');
    closeSync(openSync(huge, 'w'));
    truncateSync(huge, 501 * 2 ** 20); // sparse: nothing written
    expect(problemsOf(huge)).toEqual([`${huge}: cannot read DAG file: it is 501 MiB, more than rxdag reads (500 MiB)`]);
  });

  it('should place an unknown field at its key, in YAML and in JSON, with the field meant', () => {
    const yaml = writeText(
      tmp.file('keys.yaml'),
      'id: k\ntasks:\n  - id: a\n    sleep: 1\n    retry:\n      attempts: 2\n      backof: 5\n    dep: []\n',
    );
    expect(problemsOf(yaml)).toEqual([
      `${yaml}:7:7: tasks[0].retry: unknown field "backof" (did you mean "backoffMs"?)`,
      `${yaml}:8:5: tasks[0]: unknown field "dep" (did you mean "deps"?)`,
    ]);
    const json = writeText(tmp.file('keys.json'), '{\n  "id": "k",\n  "tasks": [],\n  "defualts": {}\n}\n');
    expect(problemsOf(json)).toEqual([`${json}:4:3: top level: unknown field "defualts" (did you mean "defaults"?)`]);
  });

  it('should say a misspelt field once: not also that the field it meant is missing', () => {
    const file = writeText(
      tmp.file('misspelt.yaml'),
      'id: m\ntasks:\n  - id: a\n    slep: 1\n  - id: b\n    run: "true"\n    retry:\n      attemps: 2\n  - id: c\n    nap: 1\n',
    );
    expect(problemsOf(file)).toEqual([
      `${file}:4:5: tasks[0]: unknown field "slep" (did you mean "sleep"?)`,
      `${file}:8:7: tasks[1].retry: unknown field "attemps" (did you mean "attempts"?)`,
      // a field that is no misspelling of run, sleep or agent: the task still lacks one
      `${file}:9:5: tasks[2]: a task needs one of \`run\` (a shell command), \`sleep\` (milliseconds) or \`agent\``,
      `${file}:10:5: tasks[2]: unknown field "nap"`,
    ]);
    // an id misspelt, of a task or of the DAG, is not also an id missing
    const ids = writeText(tmp.file('ids.yaml'), 'ID: m\ntasks:\n  - Id: a\n    run: "true"\n  - idd: b\n    run: "true"\n');
    expect(problemsOf(ids)).toEqual([
      `${ids}:1:1: top level: unknown field "ID" (did you mean "id"?)`,
      `${ids}:3:5: tasks[0]: unknown field "Id" (did you mean "id"?)`,
      `${ids}:5:5: tasks[1]: unknown field "idd" (did you mean "id"?)`,
    ]);
  });

  it('should count every problem of a file that has more than one call takes (a problem per dependency of 150,000)', () => {
    const many = 75_000;
    const tasks = Array.from({ length: many }, (_, i) => ({ id: `t${i}`, deps: ['gone', 'lost'], sleep: 0 }));
    const file = writeText(tmp.file('renamed.json'), JSON.stringify({ id: 'renamed', tasks }));
    const lines = problemsOf(file);
    expect(lines).toHaveLength(51);
    expect(lines[0]).toMatch(/:1:\d+: tasks\[0\]\.deps\[0\]: task "t0" depends on "gone", which is not a task of this DAG$/);
    expect(lines[50]).toBe(`… and ${2 * many - 50} more problems (the first 50 are shown)`);
  });

  it('should print the first 50 problems of a file and say how many more there are', () => {
    const tasks = Array.from({ length: 60 }, (_, i) => `  - id: t${i}\n    slep: 1\n`).join('');
    const file = writeText(tmp.file('many.yaml'), `id: many\ntasks:\n${tasks}`);
    const lines = problemsOf(file);
    expect(lines).toHaveLength(51);
    expect(lines[49]).toBe(`${file}:102:5: tasks[49]: unknown field "slep" (did you mean "sleep"?)`);
    expect(lines[50]).toBe('… and 10 more problems (the first 50 are shown)');
  });

  it('should check the input of a task that names a built-in agent, as the agent would when it starts', () => {
    const file = writeText(
      tmp.file('builtin.yaml'),
      'id: b\ntasks:\n  - id: nap\n    agent: sleep\n    input: soon\n  - id: sh\n    agent: shell\n    input: { command: ls }\n',
    );
    expect(problemsOf(file)).toEqual([
      `${file}:5:12: tasks[0].input: expected a number of milliseconds (got "soon")`,
      `${file}:8:12: tasks[1].input.cwd: expected a directory path (got nothing)`,
    ]);
  });

  it('should check working directories only when asked to (a report reads a file for its graph)', () => {
    const file = writeText(tmp.file('cwd.yaml'), 'id: c\ntasks:\n  - id: a\n    run: ls\n    cwd: gone\n');
    expect(problemsOf(file)).toEqual([
      `${file}:5:10: tasks[0].cwd: cwd "gone" ("${tmp.file('gone')}") is not an existing directory (it must exist when the run starts: for a folder a task makes, \`cd\` into it in the command instead)`,
    ]);
    expect(loadDagFile(file, { checkDirectories: false }).dag.size).toBe(1);
  });

  it('should refuse a cwd the user may not enter or reach, as the task would fail to start there', async () => {
    const { shut, inside, remove } = shutFolders();
    try {
      const text = JSON.stringify({
        id: 's',
        tasks: [
          { id: 'a', run: 'pwd', cwd: shut },
          { id: 'b', run: 'pwd', cwd: inside },
        ],
      });
      const file = writeText(tmp.file('shut.json'), text);
      chmodSync(tmp.dir, 0o755); // the file itself must be readable to the other user
      chmodSync(file, 0o644);
      const column = (cwd: string) => text.indexOf(`"cwd":${JSON.stringify(cwd)}`) + 7;
      expect(await asAnotherUser(async () => problemsOf(file))).toEqual([
        `${file}:1:${column(shut)}: tasks[0].cwd: cwd "${shut}" cannot be entered (permission denied)`,
        `${file}:1:${column(inside)}: tasks[1].cwd: cwd "${inside}" cannot be reached (permission denied on a folder above it)`,
      ]);
    } finally {
      remove();
    }
  });

  it('should find the folders a resumed run’s tasks still to run could not start in, entering them as this user', async () => {
    const { shut, remove } = shutFolders();
    try {
      const spec = {
        id: 'r',
        tasks: [
          { id: 'done', agent: 'shell', input: { command: 'true', cwd: '/nowhere-done' } },
          { id: 'gone', agent: 'shell', input: { command: 'true', cwd: '/nowhere' } },
          { id: 'shut', agent: 'shell', input: { command: 'true', cwd: shut } },
          { id: 'fine', agent: 'shell', input: { command: 'true', cwd: '/' } },
        ],
      };
      expect(await asAnotherUser(async () => unusableJournaledDirectories(spec, new Set(['done'])))).toEqual([
        { directory: '/nowhere', taskId: 'gone', problem: 'is not an existing directory' },
        { directory: shut, taskId: 'shut', problem: 'cannot be entered (permission denied)' },
      ]);
    } finally {
      remove();
    }
  });

  it('should refuse a command or a variable longer than the system passes to a process, each at its place', () => {
    const most = 131_071; // Linux's longest argument, its NUL left out
    const fits = `: ${'x'.repeat(most - 2)}`;
    const file = writeText(
      tmp.file('long.json'),
      JSON.stringify({
        id: 'l',
        tasks: [
          { id: 'fits', run: fits },
          { id: 'long', run: `${fits}x` },
          { id: 'wide', run: `: ${'é'.repeat(most / 2)}` }, // 2 bytes a character
          { id: 'env', run: 'true', env: { BIG: 'y'.repeat(most - 3) } }, // with "BIG=": one byte too many
        ],
      }),
    );
    const problems = problemsOf(file).map((problem) => problem.replace(/:1:\d+:/, ':1:…:'));
    expect(problems).toEqual([
      `${file}:1:…: tasks[1].run: the command is 131,072 bytes, longer than the 131,071 the system takes in one argument (write it to a script file and run that)`,
      `${file}:1:…: tasks[2].run: the command is 131,072 bytes, longer than the 131,071 the system takes in one argument (write it to a script file and run that)`,
      `${file}:1:…: tasks[3].env.BIG: the variable is 131,072 bytes (NAME=value), longer than the 131,071 the system takes in one environment entry (write the value to a file and pass its path)`,
    ]);
  });

  it('should ask for a space after the dash of `-id:` at the start of a line, where YAML reads a field of the file', () => {
    const file = writeText(tmp.file('dash.yaml'), 'id: x\ntasks:\n- id: a\n  sleep: 1\n-id: b\n');
    expect(problemsOf(file)).toEqual([
      `${file}:5:1: top level: unknown field "-id" (\`-id\` needs a space after \`-\` to start a list entry: \`- id:\`)`,
    ]);
  });

  it('should escape the no-break spaces of pasted text in an unknown field, and name the field meant', () => {
    const file = writeText(tmp.file('nbsp.yaml'), 'id: x\ntasks:\n  - id: a\n    r\u00a0un: echo a\n');
    expect(problemsOf(file)).toEqual([
      `${file}:4:5: tasks[0]: unknown field "r\\u{a0}un" (did you mean "run"? it holds U+00A0, a space that is not the plain one, as text copied from a web page or a chat often has, and the file reads it as part of the name, not as indentation or spacing)`,
    ]);
  });

  it('should say that rxdag does not expand ~ or variables in a cwd that is not there', () => {
    const file = writeText(
      tmp.file('home.yaml'),
      'id: h\ntasks:\n  - id: a\n    run: ls\n    cwd: ~/work\n  - id: b\n    run: ls\n    cwd: $HOME/work\n  - id: c\n    run: ls\n    cwd: gone\n',
    );
    expect(problemsOf(file)).toEqual([
      `${file}:5:10: tasks[0].cwd: cwd "~/work" ("${tmp.file('~/work')}") is not an existing directory: rxdag does not expand ~ (write the whole path, or one relative to the DAG file)`,
      `${file}:8:10: tasks[1].cwd: cwd "$HOME/work" ("${tmp.file('$HOME/work')}") is not an existing directory: rxdag does not expand variables in cwd (write the whole path, or one relative to the DAG file)`,
      `${file}:11:10: tasks[2].cwd: cwd "gone" ("${tmp.file('gone')}") is not an existing directory (it must exist when the run starts: for a folder a task makes, \`cd\` into it in the command instead)`,
    ]);
  });

  it('should name a loop of symbolic links as such', () => {
    symlinkSync(tmp.file('loop-b.yaml'), tmp.file('loop-a.yaml'));
    symlinkSync(tmp.file('loop-a.yaml'), tmp.file('loop-b.yaml'));
    expect(problemsOf(tmp.file('loop-a.yaml'))).toEqual([
      `${tmp.file('loop-a.yaml')}: cannot read DAG file: its symbolic links lead round in a loop`,
    ]);
  });

  it('should merge YAML merge keys (`<<: *base`), placing a problem of a merged task at its own line', () => {
    const text =
      'id: m\ntasks:\n  - &base { id: a, timeoutMs: 5000, retry: { attempts: 3 }, run: echo a }\n  - { <<: *base, id: b, run: echo b }\n  - id: c\n    <<: *base\n    run: echo c\n';
    const { dag } = loadDagFile(writeText(tmp.file('merge.yaml'), text));
    expect(dag.tasks.map((t) => [t.id, t.timeoutMs, t.retry?.attempts, (t.input as { command: string }).command])).toEqual([
      ['a', 5000, 3, 'echo a'],
      ['b', 5000, 3, 'echo b'],
      ['c', 5000, 3, 'echo c'],
    ]);
    const bad = writeText(tmp.file('merge-bad.yaml'), `${text}    timeout: 3\n`);
    expect(problemsOf(bad)).toEqual([`${bad}:8:5: tasks[2]: unknown field "timeout" (did you mean "timeoutMs"? It is in milliseconds)`]);
  });

  it('should say that an id YAML reads as a number or a boolean wants quotes', () => {
    const file = writeText(
      tmp.file('numeric-ids.yaml'),
      'id: n\ntasks:\n  - { id: 01, sleep: 0 }\n  - { id: true, sleep: 0 }\n  - { id: "1e3", sleep: 0 }\n',
    );
    expect(problemsOf(file)).toEqual([
      `${file}:3:11: tasks[0].id: expected a string id (got 1; write it in quotes to make it text)`,
      `${file}:4:11: tasks[1].id: expected a string id (got true; write it in quotes to make it text)`,
    ]);
  });

  it('should say that a DAG is not read from stdin, nor from a process substitution', () => {
    // (`/dev/stdin`, a file when redirected from one, is told apart in the CLI's specs)
    expect(problemsOf('-')).toEqual(['-: a DAG is read from a file, not from stdin: write it to a .yaml or .json file first']);
    // a descriptor open on a file (`3<dag.yaml`) reads that file, by its name
    const fd = openSync(writeText(tmp.file('by-descriptor.yaml'), 'id: fd\ntasks:\n  - { id: a, sleep: 1 }\n'), 'r');
    try {
      expect(loadDagFile(`/dev/fd/${fd}`).dag.id).toBe('fd');
    } finally {
      closeSync(fd);
    }
    for (const name of ['/dev/fd/63', '/proc/self/fd/11']) {
      expect(problemsOf(name)).toEqual([
        `${name}: a DAG is read from a file, not from a pipe (<(…)): write it to a .yaml or .json file first`,
      ]);
    }
  });

  it('should place a problem of a task written as a YAML alias at the alias', () => {
    const file = writeText(
      tmp.file('alias.yaml'),
      'id: x\ntasks:\n  - &t\n    id: a\n    run: "true"\n  - id: b\n    run: "true"\n  - *t\n',
    );
    expect(problemsOf(file)).toEqual([`${file}:8:5: tasks[2].id: duplicate task id "a" (first used by tasks[0])`]);
  });

  it('should reject duplicate keys in YAML', () => {
    const file = writeText(tmp.file('dup.yaml'), 'id: a\nid: b\ntasks: []\n');
    expect(problemsOf(file)).toEqual([`${file}:2:1: YAML syntax error: Map keys must be unique (\`id\` is given twice in this mapping)`]);
  });
});
