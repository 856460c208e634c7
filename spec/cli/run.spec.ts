import type { DagEvent } from '../../src/index';
import { type CliResult, ensureBuilt, notices, RUN_LINE, runCli, startCli } from './support/builtCli';
import { eventLogViolations, outcomes } from './support/eventLogInvariants';
import { readEventLog, tempDir, writeText } from './support/files';

/**
 * `rxdag run` on the example DAG files: exit 0, the events log, and the output modes. The
 * cases run side by side (`it.concurrent`): each mostly waits for its shell tasks' sleeps, and
 * each has its own files (runs journal into the specs' store, each under an id of its own).
 */
describe('rxdag run (succeeding DAGs)', () => {
  const tmp = tempDir();
  beforeAll(() => ensureBuilt(), 120_000);
  afterAll(() => tmp.remove());

  /** One `rxdag run examples/release.yaml --events LOG` (lines on stdout), for the two cases that read it. */
  let releaseRun: Promise<{ result: CliResult; log: string }> | undefined;
  const release = () =>
    (releaseRun ??= (async () => {
      const log = tmp.file('release.jsonl');
      return { result: await runCli(['run', 'examples/release.yaml', '--events', log]), log };
    })());

  it.concurrent('should run the release pipeline of shell tasks, exit 0 and log every event', async () => {
    const { result, log } = await release();
    // the run journals (into the specs' store) and says so in one line, nothing else (asserted
    // before the exit code, so that a failure shows what the run said)
    expect(result.stderr.split('\n')[0]).toMatch(RUN_LINE);
    expect(result.code).toBe(0);
    expect(notices(result.stderr)).toBe('');
    const events = readEventLog(log);
    expect(eventLogViolations(events)).toEqual([]);
    expect(Object.values(outcomes(events))).toEqual(Array(10).fill('task.completed'));
    const build = events.find(
      (e): e is Extract<DagEvent, { type: 'task.completed' }> => e.type === 'task.completed' && e.taskId === 'build',
    );
    // stdout of the shell command is the task's output; `env` from the file reached it
    expect(build?.output).toEqual({ exitCode: 0, stdout: '{"artifact":"app-1.4.0.tgz","bytes":48213}', stderr: '' });
  });

  it.concurrent('should retry the flaky step of the data pipeline and succeed on its second attempt', async () => {
    const log = tmp.file('data.jsonl');
    const result = await runCli(['run', 'examples/data-pipeline.yaml', '--events', log, '--quiet']);
    expect(result.code).toBe(0);
    const events = readEventLog(log);
    expect(eventLogViolations(events)).toEqual([]);
    const flaky = events
      .filter((e) => 'taskId' in e && e.taskId === 'fetch-rates')
      .map((e) => `${e.type}#${'attempt' in e ? e.attempt : ''}`);
    expect(flaky).toEqual(['task.ready#1', 'task.started#1', 'task.failed#1', 'task.retrying#2', 'task.started#2', 'task.completed#2']);
    const failed = events.find((e) => e.type === 'task.failed');
    expect(failed).toMatchObject({ willRetry: true, error: { name: 'ShellCommandError' } });
    expect(failed?.type === 'task.failed' && failed.error.message).toMatch(
      /exited with code 75; last stderr lines:\nGET \/rates: 503 Service Unavailable/,
    );
    // --quiet: a retried failure is not worth a line; only the final line is printed
    expect(result.stdout.trim().split('\n')).toEqual([expect.stringMatching(/dag\.completed succeeded: 8\/8 completed/)]);
  });

  it.concurrent(
    'should run the 300-task sleep workflow in polling mode within --concurrency',
    async () => {
      const log = tmp.file('sim.jsonl');
      const result = await runCli([
        'run',
        'examples/simulation-300.yaml',
        '--concurrency',
        '24',
        '--mode',
        'polling',
        '--poll-interval',
        '5',
        '--events',
        log,
        '--quiet',
      ]);
      expect(result.code).toBe(0);
      const events = readEventLog(log);
      expect(eventLogViolations(events)).toEqual([]);
      expect(events[events.length - 1]).toMatchObject({ outcome: 'succeeded', counts: { total: 300, completed: 300 } });
      let running = 0;
      let mostRunning = 0;
      for (const event of events) {
        if (event.type === 'task.started') mostRunning = Math.max(mostRunning, ++running);
        if (event.type === 'task.completed') running--;
      }
      expect(mostRunning).toBe(24);
    },
    30_000,
  );

  it.concurrent('should print one JSON event per line on stdout with --json, the same as the events log', async () => {
    const log = tmp.file('json.jsonl');
    const result = await runCli(['run', 'examples/data-pipeline.yaml', '--json', '--events', log]);
    expect(result.code).toBe(0);
    const printed = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as DagEvent);
    expect(printed).toEqual(readEventLog(log));
  });

  it.concurrent('should print one line per event when stdout is not a terminal', async () => {
    const { result, log } = await release();
    const lines = result.stdout.trim().split('\n');
    expect(lines).toHaveLength(readEventLog(log).length);
    expect(lines[0]).toMatch(/^\[\s+0\.\d{3}s\] dag\.created release: 10 tasks \(run release-[\w-]+\)$/);
    expect(lines).toContainEqual(expect.stringMatching(/task\.completed build #1 in \d+ ms$/));
    expect(lines[lines.length - 1]).toMatch(/dag\.completed succeeded: 10\/10 completed, 0 failed, 0 skipped, 0 cancelled in [\d.]+ s$/);
  });

  it.concurrent('should finish the run when its stdout is closed early (rxdag run … | head)', async () => {
    const log = tmp.file('epipe.jsonl');
    const cli = startCli(['run', 'examples/data-pipeline.yaml', '--events', log]);
    await cli.waitForStdout(/dag\.created/);
    cli.child.stdout!.destroy();
    const result = await cli.done;
    expect(result.code).toBe(0);
    expect(notices(result.stderr)).toBe('');
    expect(readEventLog(log).pop()).toMatchObject({ type: 'dag.completed', outcome: 'succeeded' });
  });

  it.concurrent('should warn on stderr that an empty DAG has nothing to run, and still exit 0', async () => {
    const file = writeText(tmp.file('empty.yaml'), 'id: empty\ntasks: []\n');
    const log = tmp.file('empty.jsonl');
    const [lines, json] = await Promise.all([runCli(['run', file, '--events', log]), runCli(['run', file, '--json'])]);
    expect(lines.code).toBe(0);
    expect(notices(lines.stderr)).toBe(`rxdag: warning: ${file} has no tasks; nothing to run\n`);
    expect(lines.stdout).toMatch(/dag\.completed succeeded: 0\/0 completed/);
    expect(readEventLog(log).map((e) => e.type)).toEqual(['dag.created', 'dag.completed']);
    // stdout stays pure JSON: the warning goes to stderr
    expect(json.code).toBe(0);
    expect(notices(json.stderr)).toBe(`rxdag: warning: ${file} has no tasks; nothing to run\n`);
    expect(
      json.stdout
        .trim()
        .split('\n')
        .map((line) => (JSON.parse(line) as DagEvent).type),
    ).toEqual(['dag.created', 'dag.completed']);
  });
});
