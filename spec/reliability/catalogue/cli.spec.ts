import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { CLI, type CliResult, ensureBuilt, ROOT, runCli } from '../../cli/support/builtCli';
import { type CliRow, fileRows, probeTask, yaml } from '../../cli/dagFile/catalogueRows';
import { tempDir, writeText } from '../../cli/support/files';
import { type InProcessResult, rxdagInProcess } from '../../cli/support/inProcessCli';

/**
 * Bad-input catalogue, command line: each row is one bad DAG file or option given to `rxdag`.
 * Every row must exit 2, print each problem on stderr (the whole of it, readable), print nothing
 * on stdout, and run nothing: the file's first task would create a probe file, and the events log
 * must not be written. Most rows run the command in this process; those marked `ownProcess` run
 * the built CLI (`node dist/cli/main.js`), so that the executable's path stays covered: a missing
 * file, a YAML error and an option error as the process exits with them, stderr flushed into a
 * busy pipe before the exit, and deep nesting at a real process's stack depth.
 */

/**
 * Runs the CLI with its stderr in a real pipe whose reader is busy for a second (as when piped
 * into a slow program): a CLI that exits before its output is flushed loses what the pipe could
 * not hold. stdout is discarded.
 */
function runCliSlowReader(args: readonly string[]): Promise<CliResult> {
  const script = 'node "$0" "$@" 2>&1 >/dev/null | (sleep 1; cat); exit ${PIPESTATUS[0]}';
  const child = spawn('bash', ['-c', script, CLI, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve) => child.once('close', (code, signal) => resolve({ code, signal, stdout: '', stderr })));
}

/** The longest timer Node keeps: a longer one fires after 1 ms, with a `TimeoutOverflowWarning`. */
const LONGEST_TIMER = 2_147_483_647;

/**
 * Runs `rxdag ...argv` in this process. Node prints a `TimeoutOverflowWarning` on the process's
 * own stderr, out of the command's: a timer set past the longest Node keeps is added to its
 * stderr here as that warning, so that rows can refuse it as they would in a process of its own.
 */
async function runInProcess(argv: string[]): Promise<InProcessResult> {
  const warnings: string[] = [];
  const spies = (['setTimeout', 'setInterval'] as const).map((name) => {
    const original = globalThis[name] as (callback: () => void, ms?: number, ...args: unknown[]) => NodeJS.Timeout;
    const watched = (callback: () => void, ms?: number, ...args: unknown[]) => {
      if (ms !== undefined && ms > LONGEST_TIMER)
        warnings.push(`(node) TimeoutOverflowWarning: ${ms} does not fit into a 32-bit signed integer.\n`);
      return original(callback, ms, ...args);
    };
    return jest.spyOn(globalThis, name).mockImplementation(watched as never);
  });
  try {
    const result = await rxdagInProcess(...argv);
    return { ...result, stderr: result.stderr + warnings.join('') };
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
}

const READABLE = 10_000;
const json = (name: string, value: () => unknown) => ({ name, text: () => JSON.stringify(value()) });
const okFile = yaml('ok.yaml', '');
const ring = (n: number) => ({
  id: 'ring',
  tasks: [
    { id: 'probe', run: 'touch PROBE' },
    ...Array.from({ length: n }, (_, i) => ({ id: `t${i}`, deps: [`t${(i + 1) % n}`], sleep: 1 })),
  ],
});
const nestedJson = (depth: number) =>
  `{"id":"deep","tasks":[{"id":"probe","run":"touch PROBE"},{"id":"a","agent":"sleep","input":${'['.repeat(depth)}${']'.repeat(depth)}}]}`;

const rows: readonly CliRow[] = [
  { name: 'a file that does not exist', command: 'run', file: undefined, stderr: /cannot read DAG file: no such file/, ownProcess: true },
  {
    name: 'an empty file',
    command: 'run',
    file: { name: 'empty.yaml', text: () => '' },
    stderr: /^rxdag: .*empty\.yaml is empty: expected a mapping with `id` and `tasks` at the top of the file\n$/,
    notStderr: /got null/,
  },
  {
    name: 'a YAML list instead of a mapping',
    command: 'validate',
    file: { name: 'list.yaml', text: () => '- a\n- b\n' },
    stderr: /:1:1: top level: expected a mapping/,
  },
  {
    name: 'binary garbage',
    command: 'validate',
    file: { name: 'garbage.yaml', text: () => String.fromCharCode(...Array.from({ length: 512 }, (_, i) => (i * 37) % 256)) },
    stderr: /^rxdag: .*garbage\.yaml is not a text DAG file \(it looks binary\)\n$/,
  },
  {
    name: 'a JSON syntax error',
    command: 'run',
    file: { name: 'comma.json', text: () => '{"id": "j", "tasks": [{"id": "probe", "run": "touch PROBE"},]}' },
    stderr: /:1:\d+: JSON syntax error/,
  },
  {
    name: 'a YAML syntax error',
    command: 'run',
    file: { name: 'syntax.yaml', text: () => `id: broken\ntasks:\n${probeTask}  - id: b\n    deps: [probe\n` },
    stderr: /YAML syntax error/,
    ownProcess: true,
  },
  {
    name: 'tasks written as a mapping',
    command: 'validate',
    file: { name: 'tasks-map.yaml', text: () => 'id: m\ntasks:\n  a:\n    sleep: 1\n' },
    stderr: /tasks: expected a list of tasks/,
  },
  {
    name: 'a task with both run and sleep',
    command: 'run',
    file: yaml('both.yaml', '  - id: b\n    run: echo hi\n    sleep: 5\n'),
    stderr: /tasks\[1\]\.sleep: give only one of `run`, `sleep` or `agent`/,
  },
  {
    name: 'a task with neither run, sleep nor agent',
    command: 'run',
    file: yaml('neither.yaml', '  - id: b\n'),
    stderr: /tasks\[1\]: a task needs one of `run`/,
  },
  {
    name: 'a negative sleep',
    command: 'run',
    file: yaml('negative.yaml', '  - id: b\n    sleep: -5\n'),
    stderr: /tasks\[1\]\.sleep: must be >= 0 \(got -5\)/,
  },
  {
    name: 'sleep: .nan',
    command: 'run',
    file: yaml('nan.yaml', '  - id: b\n    sleep: .nan\n'),
    stderr: /tasks\[1\]\.sleep: /,
    notStderr: /got null/,
  },
  {
    name: 'sleep: .inf',
    command: 'run',
    file: yaml('inf.yaml', '  - id: b\n    sleep: .inf\n'),
    stderr: /tasks\[1\]\.sleep: /,
    notStderr: /got null/,
  },
  {
    name: 'duplicate task ids',
    command: 'run',
    file: yaml('dup.yaml', '  - id: probe\n    sleep: 1\n'),
    stderr: /tasks\[1\]\.id: duplicate task id "probe" \(first used by tasks\[0\]\)/,
  },
  {
    name: 'an unknown dependency',
    command: 'run',
    file: yaml('ghost.yaml', '  - id: b\n    deps: [ghost]\n    sleep: 1\n'),
    stderr: /task "b" depends on "ghost", which is not a task of this DAG/,
  },
  {
    name: 'a self-dependency',
    command: 'run',
    file: yaml('self.yaml', '  - id: b\n    deps: [b]\n    sleep: 1\n'),
    stderr: /task "b" depends on itself/,
  },
  {
    name: 'a cycle of three tasks',
    command: 'run',
    file: yaml(
      'cycle.yaml',
      '  - id: a\n    deps: [c]\n    sleep: 1\n  - id: b\n    deps: [a]\n    sleep: 1\n  - id: c\n    deps: [b]\n    sleep: 1\n',
    ),
    stderr: /cycle: (a -> c -> b -> a|b -> a -> c -> b|c -> b -> a -> c) \(each task depends on the next\)/,
  },
  {
    name: 'a 20,000-task cycle (named by its ends and length, the line not cut off)',
    command: 'validate',
    file: json('ring.json', () => ring(20_000)),
    stderr: /cycle: t0 -> t1 -> .* -> … 19940 more … -> .* -> t19999 -> t0 \(20000 tasks\) \(each task depends on the next\)\n$/,
    ownProcess: true,
    slowReader: true,
  },
  {
    name: 'a huge task id (100,000 characters)',
    command: 'validate',
    file: yaml('huge-id.yaml', `  - id: ${'x'.repeat(100_000)}\n    sleep: 1\n`),
    stderr: /tasks\[1\]\.id: must be at most 256 characters/,
  },
  {
    name: 'an empty task id',
    command: 'run',
    file: yaml('empty-id.yaml', "  - id: ''\n    sleep: 1\n"),
    stderr: /tasks\[1\]\.id: must not be empty/,
  },
  {
    name: 'retry.attempts of 0',
    command: 'run',
    file: yaml('attempts.yaml', '  - id: b\n    sleep: 1\n    retry: { attempts: 0 }\n'),
    stderr: /tasks\[1\]\.retry\.attempts: must be at least 1/,
  },
  {
    name: 'a negative timeoutMs',
    command: 'run',
    file: yaml('timeout.yaml', '  - id: b\n    sleep: 1\n    timeoutMs: -1\n'),
    stderr: /tasks\[1\]\.timeoutMs: must be > 0/,
  },
  // empty and binary files, limits, wording, every problem at once, control characters, directories
  ...fileRows,
  {
    name: 'an unknown top-level field',
    command: 'run',
    file: yaml('field.yaml', '', 'id: bad\nconcurrency: 4\ntasks:\n'),
    stderr: /unknown field "concurrency"/,
  },
  {
    name: 'an env value that is a list',
    command: 'run',
    file: yaml('env.yaml', '  - id: b\n    run: echo hi\n    env: { A: [1, 2] }\n'),
    stderr: /tasks\[1\]\.env\.A: expected a string, number or boolean value/,
  },
  { name: 'an unknown agent', command: 'run', file: yaml('agent.yaml', '  - id: ask\n    agent: llm\n'), stderr: /unknown agent "llm"/ },
  {
    name: 'an input nested 100,000 levels deep (JSON)',
    command: 'run',
    file: { name: 'deep.json', text: () => nestedJson(100_000) },
    stderr: /nest|deep/i,
    notStderr: /NaN|Maximum call stack/,
    ownProcess: true,
  },
  {
    name: 'an input nested 5,000 levels deep (YAML)',
    command: 'run',
    file: {
      name: 'deep.yaml',
      text: () => `id: deep\ntasks:\n${probeTask}  - id: a\n    agent: sleep\n    input: ${'['.repeat(5_000)}${']'.repeat(5_000)}\n`,
    },
    stderr: /nest|deep/i,
    notStderr: /NaN|Maximum call stack/,
    ownProcess: true,
  },
  {
    name: '--concurrency 0',
    command: 'run',
    file: okFile,
    args: ['--concurrency', '0'],
    stderr: /--concurrency must be a positive integer \(got "0"\)/,
  },
  {
    name: '--concurrency abc',
    command: 'run',
    file: okFile,
    args: ['--concurrency', 'abc'],
    stderr: /--concurrency must be a positive integer \(got "abc"\)/,
  },
  {
    name: '--concurrency Infinity',
    command: 'run',
    file: okFile,
    args: ['--concurrency', 'Infinity'],
    stderr: /--concurrency must be a positive integer \(got "Infinity"\)/,
  },
  {
    name: '--concurrency -3',
    command: 'run',
    file: okFile,
    args: ['--concurrency=-3'],
    stderr: /--concurrency must be a positive integer \(got "-3"\)/,
  },
  {
    name: '--mode turbo',
    command: 'run',
    file: okFile,
    args: ['--mode', 'turbo'],
    stderr: /argument 'turbo' is invalid/,
    ownProcess: true,
  },
  {
    name: 'a negative --poll-interval',
    command: 'run',
    file: okFile,
    args: ['--mode', 'polling', '--poll-interval=-5'],
    stderr: /--poll-interval must be a positive number of milliseconds \(got "-5"\)/,
  },
  { name: 'an unknown option', command: 'run', file: okFile, args: ['--frobnicate'], stderr: /unknown option '--frobnicate'/ },
  {
    name: '--concurrency past the safe integers',
    command: 'run',
    file: okFile,
    args: ['-c', '99999999999999999999'],
    stderr: /^rxdag: --concurrency must be a positive integer \(got "99999999999999999999"\)\n$/,
  },
  {
    name: '--kill-grace above the longest timer Node keeps',
    command: 'run',
    file: okFile,
    args: ['--kill-grace', '3000000000'],
    stderr: /^rxdag: --kill-grace must be at most 2147483647 ms \(about 24\.8 days\), the longest timer Node keeps \(got "3000000000"\)\n$/,
  },
  {
    name: '--poll-interval above the longest timer Node keeps',
    command: 'run',
    file: okFile,
    args: ['--mode', 'polling', '--poll-interval', '3000000000'],
    stderr:
      /^rxdag: --poll-interval must be at most 2147483647 ms \(about 24\.8 days\), the longest timer Node keeps \(got "3000000000"\)\n$/,
  },
];

/** Control characters other than the line feed ending each line: a message must never carry one raw. */
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e]/;

/** Whether a row runs the built CLI in a process of its own (a busy pipe needs one). */
const ownProcess = (row: CliRow) => row.ownProcess === true || row.slowReader === true;

describe('bad-input catalogue: command line', () => {
  const tmp = tempDir();
  afterAll(() => tmp.remove());

  /** The row's files: the DAG file (its probe path filled in), the probe, the events log and a store for `run`. */
  function filesOf(row: CliRow) {
    const slug = row.name.replace(/[^a-z0-9]+/gi, '-').slice(0, 60);
    const probe = tmp.file(`${slug}.probe`);
    const events = tmp.file(`${slug}.events.jsonl`);
    const store = tmp.file(`${slug}.store`);
    const file =
      row.file === undefined
        ? tmp.file(`${slug}-missing.yaml`)
        : writeText(tmp.file(`${slug}-${row.file.name}`), row.file.text().replace('PROBE', probe));
    const argv = [row.command, file, ...(row.args ?? []), ...(row.command === 'run' ? ['--events', events] : [])];
    return { probe, events, store, argv };
  }

  function expectRefused(row: CliRow, result: { code: number | null; stdout: string; stderr: string }, made: readonly string[]) {
    expect({ code: result.code, stdout: result.stdout }).toEqual({ code: 2, stdout: '' });
    expect(result.stderr).toMatch(row.stderr);
    if (row.notStderr !== undefined) expect(result.stderr).not.toMatch(row.notStderr);
    if (!row.name.includes('cycle')) expect(result.stderr.length).toBeLessThan(READABLE);
    expect(result.stderr).not.toMatch(/internal error|\n\s+at .*\.[jt]s:\d+/);
    // what was expected in words (never zod's own text), the same prefix once, no raw control byte
    expect(result.stderr).not.toMatch(/Invalid input|, received |rxdag: rxdag:/);
    expect(result.stderr).not.toMatch(CONTROL);
    // nothing ran: no probe file, no events log (nor, in this process, a journal)
    expect(made.filter((path) => existsSync(path))).toEqual([]);
  }

  it.each(rows.filter((row) => !ownProcess(row)))(
    'should refuse $name with exit 2, every problem on stderr, and run nothing',
    async (row) => {
      const { probe, events, store, argv } = filesOf(row);
      // its own store: a run that got past the checks would journal into the repository's `.rxdag/`
      const result = await runInProcess(row.command === 'run' ? [...argv, '--store', store] : argv);
      expectRefused(row, result, [probe, events, store]);
    },
  );

  describe('in a process of its own', () => {
    let built: Promise<void> | undefined;

    it.concurrent.each(rows.filter(ownProcess))(
      'should refuse $name with exit 2, every problem on stderr, and run nothing',
      async (row) => {
        await (built ??= ensureBuilt());
        const { probe, events, argv } = filesOf(row);
        const result = await (row.slowReader === true ? runCliSlowReader : runCli)(argv);
        expectRefused(row, result, [probe, events]);
      },
      180_000,
    );
  });
});
