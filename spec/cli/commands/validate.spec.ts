import { writeFileSync } from 'node:fs';
import { tempDir, writeText } from '../support/files';
import { rxdagInProcess } from '../support/inProcessCli';

/**
 * `rxdag validate` in this process: every problem at once (those of a run of the file included:
 * unknown agents, tasks heavier than the concurrency), a problem of the defaults once, `-c` read
 * as `run` reads it, and the CLI's words for the concurrency.
 */
describe('rxdag validate', () => {
  const tmp = tempDir();
  afterAll(() => tmp.remove());

  const rxdag = rxdagInProcess;

  const heavy = () => writeText(tmp.file('heavy.yaml'), 'id: w\ntasks:\n  - id: d\n    weight: 100\n    sleep: 1\n');

  it.each([['validate'], ['run', '--no-journal']])(
    'should have %s report an unknown agent with the file’s other problems, not after them',
    async (...command) => {
      const file = writeText(tmp.file(`agent-${command[0]}.yaml`), 'id: x\ntasks:\n  - id: a\n    agent: llm\n  - id: b\n    sleep: -1\n');
      expect(await rxdag(command[0]!, file, ...command.slice(1))).toEqual({
        code: 2,
        stdout: '',
        stderr: [
          `rxdag: ${file}:4:12: tasks[0].agent: unknown agent "llm" (used by "a"); known agents: "shell", "sleep"`,
          `rxdag: ${file}:6:12: tasks[1].sleep: must be >= 0 (got -1)`,
          '',
        ].join('\n'),
      });
    },
  );

  it('should warn, once an expression, of GitHub Actions expressions in commands, env values and cwd, which nothing expands', async () => {
    const file = writeText(
      tmp.file('actions.yaml'),
      'id: ported\ntasks:\n' +
        '  - { id: a, run: "echo ${{ env.NAME }}", env: { TOKEN: "${{ secrets.TOKEN }}" } }\n' +
        '  - { id: b, run: "echo ${{ env.NAME }} again ${{ format(\'{0}\', env.N) }}", env: { N: "${{ env.NAME }}" } }\n' +
        '  - { id: c, run: "echo \'${ NAME }\' ${NAME}" }\n',
    );
    const result = await rxdag('validate', file);
    expect(result.code).toBe(0);
    const why =
      "a GitHub Actions expression, which rxdag does not expand (in a command /bin/sh fails on it outside single quotes: Bad substitution); for a variable, write $NAME and give NAME in rxdag's environment or the task's `env`";
    expect(result.stderr.split('\n').filter((line) => line.startsWith('rxdag: warning:'))).toEqual([
      `rxdag: warning: 2 tasks ("a", …) hold \${{ env.NAME }}, ${why}`,
      `rxdag: warning: task "a" holds \${{ secrets.TOKEN }}, ${why}`,
      `rxdag: warning: task "b" holds \${{ format('{0}', env.N) }}, ${why}`,
    ]);
  });

  it('should not warn of an env name it refuses (empty, or holding =), which the file is told of as a problem', async () => {
    const file = writeText(tmp.file('env-refused.yaml'), 'id: e\ntasks:\n  - { id: a, run: "true", env: { "": y, "A=B": z, 2X: w } }\n');
    const result = await rxdag('validate', file);
    expect(result.code).toBe(2);
    expect(result.stderr.split('\n').filter((line) => line.includes('env'))).toEqual([
      `rxdag: ${file}:3:34: tasks[0].env: invalid environment variable name "": it is empty`,
      `rxdag: ${file}:3:41: tasks[0].env: invalid environment variable name "A=B": it contains "="`,
      'rxdag: warning: env "2X" of task "a" is not a shell variable name: /bin/sh may leave it out of the command\'s environment (dash does); use letters, digits and _, not starting with a digit',
    ]);
  });

  it.each([['validate'], ['run', '--no-journal', '--quiet']])(
    'should have %s warn once of an env value the shell would expand (rxdag passes it as written) and of a name the shell may drop, and run nothing else differently',
    async (...command) => {
      const file = writeText(
        tmp.file(`env-${command[0]}.yaml`),
        'id: e\ndefaults:\n  env: { PATH: "./node_modules/.bin:$PATH", PRICE: "5 $", MY-VAR: x, DB_URL: "postgres://app:Pa$$w0rdSECRET@db/p", KEY: "x$Ab9" }\ntasks:\n  - { id: a, run: "true" }\n  - { id: b, run: "true", env: { HOME_DIR: "${HOME}/x", 1ST: y, _OK_2: z } }\n',
      );
      const result = await rxdag(command[0]!, file, ...command.slice(1));
      expect(result.code).toBe(0);
      expect(result.stderr.split('\n').filter((line) => line.startsWith('rxdag: warning:'))).toEqual([
        'rxdag: warning: env PATH of 2 tasks ("a", …) holds $PATH, passed as written: rxdag does not expand it ' +
          "(the command's shell does: to extend $PATH, set PATH in the command itself)",
        'rxdag: warning: env HOME_DIR of task "b" holds ${HOME}, passed as written: rxdag does not expand it ' +
          "(the command's shell does: to use ${HOME}, set HOME_DIR in the command itself)",
        'rxdag: warning: env "MY-VAR" of 2 tasks ("a", …) is not a shell variable name: /bin/sh may leave it out of ' +
          "the command's environment (dash does); use letters, digits and _, not starting with a digit",
        'rxdag: warning: env "1ST" of task "b" is not a shell variable name: /bin/sh may leave it out of ' +
          "the command's environment (dash does); use letters, digits and _, not starting with a digit",
      ]);
    },
  );

  it.each([['validate'], ['run', '--no-journal']])(
    'should have %s warn of an env value the shell would expand after the problems of a file that has some too',
    async (...command) => {
      const file = writeText(
        tmp.file(`env-and-problem-${command[0]}.yaml`),
        'id: e\ntasks:\n  - { id: a, run: "true", env: { PATH: "./bin:$PATH" } }\n  - { id: b, sleep: nope }\n',
      );
      expect(await rxdag(command[0]!, file, ...command.slice(1))).toEqual({
        code: 2,
        stdout: '',
        stderr:
          `rxdag: ${file}:4:21: tasks[1].sleep: expected a number of milliseconds (got "nope")\n` +
          'rxdag: warning: env PATH of task "a" holds $PATH, passed as written: rxdag does not expand it ' +
          "(the command's shell does: to extend $PATH, set PATH in the command itself)\n",
      });
    },
  );

  it('should print the name of a valid file with its control characters escaped', async () => {
    const file = writeText(tmp.file('new\nline\u001b[31m.yaml'), 'id: ok\ntasks:\n  - id: a\n    sleep: 1\n');
    const { code, stdout } = await rxdag('validate', file);
    expect(code).toBe(0);
    expect(stdout).toBe(
      `${tmp.file('new\\nline\\u001b[31m.yaml')}: DAG "ok" is valid: 1 task (1 sleep), 0 dependencies, longest chain 1 task\n`,
    );
  });

  it('should report a task heavier than the concurrency with the file’s other problems, in the CLI’s words', async () => {
    const file = writeText(tmp.file('weight.yaml'), 'id: x\ntasks:\n  - id: a\n    weight: 100\n    sleep: 1\n  - id: b\n    sleep: -1\n');
    expect((await rxdag('validate', file)).stderr.split('\n')).toEqual([
      `rxdag: ${file}:4:13: tasks[0].weight: task "a" weighs 100, more than the concurrency 8 (\`-c\`/\`--concurrency\`): it could never start`,
      `rxdag: ${file}:7:12: tasks[1].sleep: must be >= 0 (got -1)`,
      '',
    ]);
  });

  // a bad value of one task (`defineDag` refuses the spec) hides no other task's run problems
  it.each([
    ['a zero weight', 'weight: 0', '10:13: tasks[1].weight: must be at least 1 (got 0)'],
    [
      'an unknown when',
      'when: sometimes',
      `10:11: tasks[1].when: must be one of "all-succeeded", "all-done", "any-failed", "none-failed" (got "sometimes")`,
    ],
    [
      'limits given as a string',
      'limits: api',
      '10:13: tasks[1].limits: expected a list of limit names (`[api]`) or a mapping of limit names to the units the task takes of each (`{ api: 1, tokens: 3000 }`) (got "api"; write a list: [api])',
    ],
    ['a limit named twice', 'limits: [api, api]', '10:19: tasks[1].limits[1]: names limit "api" twice (got "api")'],
    [
      'when: any-failed without dependencies',
      'when: any-failed',
      '10:11: tasks[1].when: task "g" has `when: any-failed` but no dependencies: none can fail, so it could never run',
    ],
    ['an unknown dependency', 'deps: [ghost]', '10:12: tasks[1].deps[0]: task "g" depends on "ghost", which is not a task of this DAG'],
  ])('should report a task too heavy and an unknown agent with %s in another task', async (_name, field, problem) => {
    const text = `id: w\nlimits:\n  api: { concurrency: 2 }\ntasks:\n  - id: f\n    sleep: 10\n    weight: 20\n  - id: g\n    sleep: 1\n    ${field}\n  - id: h\n    agent: llm\n`;
    const file = writeText(tmp.file('hidden.yaml'), text);
    expect(await rxdag('validate', file)).toEqual({
      code: 2,
      stdout: '',
      stderr: [
        `rxdag: ${file}:7:13: tasks[0].weight: task "f" weighs 20, more than the concurrency 8 (\`-c\`/\`--concurrency\`): it could never start`,
        `rxdag: ${file}:${problem}`,
        `rxdag: ${file}:12:12: tasks[2].agent: unknown agent "llm" (used by "h"); known agents: "shell", "sleep"`,
        '',
      ].join('\n'),
    });
  });

  it('should say a problem of the defaults once, at the defaults, and a task’s own weight at the task', async () => {
    const text = [
      'id: w',
      'limits:',
      '  api: { concurrency: 2 }',
      'defaults:',
      '  weight: 10',
      '  limits: [aip]',
      'tasks:',
      '  - id: ""',
      '    sleep: 1',
      '  - id: a',
      '    sleep: 1',
      // as heavy as the defaults, but written by the task itself
      '  - id: b',
      '    sleep: 1',
      '    weight: 10',
      '  - id: c',
      '    sleep: 1',
      '    limits: [api]',
      '',
    ].join('\n');
    const file = writeText(tmp.file('defaults.yaml'), text);
    const concurrency = 'the concurrency 8 (`-c`/`--concurrency`)';
    expect((await rxdag('validate', file)).stderr.split('\n')).toEqual([
      `rxdag: ${file}:5:11: defaults.weight: the defaults weigh 10, more than ${concurrency}: the 2 tasks that take the default weight ("a", "c") could never start`,
      `rxdag: ${file}:5:11: defaults.weight: the defaults weigh 10, more than limit "api" allows (concurrency 2): task "c", which takes the default weight, could never start`,
      `rxdag: ${file}:6:12: defaults.limits[0]: the defaults need limit "aip", which is not declared in \`limits:\` (did you mean "api"?); declared: "api"`,
      `rxdag: ${file}:8:9: tasks[0].id: must not be empty (got "")`,
      `rxdag: ${file}:14:13: tasks[2].weight: task "b" weighs 10, more than ${concurrency}: it could never start`,
      '',
    ]);
  });

  it('should still find a task’s run problems when a task before it is left out for its id', async () => {
    const text = 'id: w\ntasks:\n  - id: ""\n    sleep: 1\n  - id: f\n    sleep: 1\n    weight: 20\n  - id: h\n    agent: "bad\\u0007"\n';
    const file = writeText(tmp.file('left-out.yaml'), text);
    expect((await rxdag('validate', file)).stderr.split('\n')).toEqual([
      `rxdag: ${file}:3:9: tasks[0].id: must not be empty (got "")`,
      `rxdag: ${file}:7:13: tasks[1].weight: task "f" weighs 20, more than the concurrency 8 (\`-c\`/\`--concurrency\`): it could never start`,
      // an agent that is no valid name is said to be invalid, not unknown as well
      `rxdag: ${file}:9:12: tasks[2].agent: must not contain control characters: a control character (U+0007) at character 4 (got "bad\\u0007")`,
      '',
    ]);
  });

  it('should not check a run of tasks that make no DAG (a cycle, a duplicate id)', async () => {
    const cycle = 'id: w\ntasks:\n  - id: a\n    deps: [b]\n    sleep: 1\n    weight: 20\n  - id: b\n    deps: [a]\n    agent: llm\n';
    expect((await rxdag('validate', writeText(tmp.file('cycle.yaml'), cycle))).stderr).toMatch(/^rxdag: [^\n]*cycle: a -> b -> a[^\n]*\n$/);
    const duplicate = 'id: w\ntasks:\n  - id: a\n    sleep: 1\n    weight: 20\n  - id: a\n    agent: llm\n';
    expect((await rxdag('validate', writeText(tmp.file('duplicate.yaml'), duplicate))).stderr).toMatch(
      /^rxdag: [^\n]*duplicate task id "a"[^\n]*\n$/,
    );
  });

  it('should say each limit problem once when the run’s checks join the file’s', async () => {
    const text =
      'id: x\nlimits:\n  api: { concurrency: 2 }\n  bad: { concurrency: 0 }\ntasks:\n  - id: a\n    weight: 5\n    limits: [api, bad, nope]\n    sleep: 1\n  - id: b\n    sleep: -1\n';
    const file = writeText(tmp.file('limits.yaml'), text);
    expect((await rxdag('validate', file)).stderr.split('\n')).toEqual([
      `rxdag: ${file}:4:23: limits.bad.concurrency: must be a positive integer (got 0)`,
      `rxdag: ${file}:7:13: tasks[0].weight: task "a" weighs 5, more than limit "api" allows (concurrency 2): it could never start`,
      `rxdag: ${file}:8:24: tasks[0].limits[2]: task "a" needs limit "nope", which is not declared in \`limits:\`; declared: "api", "bad"`,
      `rxdag: ${file}:11:12: tasks[1].sleep: must be >= 0 (got -1)`,
      '',
    ]);
  });

  it('should take -c/--concurrency as run does: a file run -c 100 accepts passes validate -c 100', async () => {
    const file = heavy();
    expect(await rxdag('validate', file)).toMatchObject({ code: 2 });
    const valid = `${file}: DAG "w" is valid: 1 task (1 sleep), 0 dependencies, longest chain 1 task\n`;
    expect(await rxdag('validate', file, '-c', '100')).toEqual({ code: 0, stdout: valid, stderr: '' });
    expect(await rxdag('validate', file, '--concurrency', '100')).toEqual({ code: 0, stdout: valid, stderr: '' });
    expect(await rxdag('validate', file, '-c', '99')).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('more than the concurrency 99'),
    });
  });

  it('should refuse a bad -c as run does', async () => {
    const file = heavy();
    for (const bad of ['0', 'x', '1.5', '']) {
      expect(await rxdag('validate', file, '-c', bad)).toEqual({
        code: 2,
        stdout: '',
        stderr: `rxdag: --concurrency must be a positive integer (got ${JSON.stringify(bad)})\n`,
      });
    }
  });

  it('should say --concurrency, not maxConcurrency, when run refuses a task too heavy', async () => {
    const result = await rxdag('run', heavy(), '--no-journal', '-c', '4');
    expect(result).toMatchObject({ code: 2, stdout: '' });
    expect(result.stderr).toBe(
      `rxdag: ${tmp.file('heavy.yaml')}:4:13: tasks[0].weight: task "d" weighs 100, more than the concurrency 4 (\`-c\`/\`--concurrency\`): it could never start\n`,
    );
  });

  it("should refuse to draw a file no run could take, in the CLI's words, but not judge weights against a -c it is not given", async () => {
    const file = writeText(
      tmp.file('graph-heavy.yaml'),
      'id: x\ntasks:\n  - id: d\n    sleep: 1\n    weight: 100\n  - id: e\n    agent: llm\n',
    );
    const result = await rxdag('graph', file);
    expect(result).toMatchObject({ code: 2, stdout: '' });
    expect(result.stderr.split('\n')).toEqual([expect.stringMatching(/^rxdag: .*graph-heavy\.yaml:7:12: tasks\[1\]\.agent: .*"llm"/), '']);
  });

  it('should report a null task as a problem (exit 2), not an internal error', async () => {
    const file = writeText(tmp.file('null.yaml'), 'id: x\ntasks:\n  - id: a\n    sleep: 1\n  -\n');
    expect(await rxdag('validate', file)).toEqual({
      code: 2,
      stdout: '',
      stderr: `rxdag: ${file}:5:3: tasks[1]: expected a task: a mapping with \`id\` and one of \`run\`, \`sleep\` or \`agent\` (got null)\n`,
    });
  });

  it('should refuse a Latin-1 file where its first accent is', async () => {
    const file = tmp.file('latin1.yaml');
    writeFileSync(file, Buffer.from('id: caf\xe9\ntasks:\n  - id: t\xe9st\n    run: echo "na\xefve"\n', 'latin1'));
    expect(await rxdag('validate', file)).toEqual({
      code: 2,
      stdout: '',
      stderr: `rxdag: ${file}:1:8: not UTF-8 text (byte 0xE9): a DAG file is UTF-8 (save it as UTF-8)\n`,
    });
  });
});
