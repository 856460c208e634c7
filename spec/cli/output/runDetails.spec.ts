import type { JournaledRunSummary, JournalHeader } from '../../../src/index';
import { failureList, failuresOf, runEndFailures } from '../../../src/cli/output/failureList';
import { storeLocation } from '../../../src/cli/store/storeLocation';
import { formatRunDetails, runDetails } from '../../../src/cli/output/runDetails';
import { runsTable } from '../../../src/cli/output/runsTable';
import { eventsOf } from '../support/eventBuilder';

describe('what rxdag runs and rxdag show print', () => {
  const header: JournalHeader = {
    runId: 'run-1',
    dagId: 'd',
    createdAt: 0,
    options: { failurePolicy: 'skip-dependents', contextInjection: true },
    spec: {
      id: 'd',
      tasks: [
        { id: 'fetch', deps: [], agent: 'shell' },
        { id: 'build', deps: ['fetch'], agent: 'shell' },
        { id: 'ship', deps: ['build'], agent: 'shell' },
      ],
    },
  };
  const error = { name: 'ShellCommandError', message: '`make` exited with code 2; last stderr lines:\nmake: *** [all] Error 1\nnope' };
  const events = eventsOf(
    { type: 'dag.created', at: 1000, dagId: 'd', taskCount: 3 },
    { type: 'task.ready', at: 1000, taskId: 'fetch', attempt: 1 },
    { type: 'task.started', at: 1001, taskId: 'fetch', attempt: 1, agent: 'shell' },
    { type: 'run.resumed', at: 3000, resumedAfterSeq: 3, interrupted: ['fetch'] },
    { type: 'task.started', at: 3001, taskId: 'fetch', attempt: 1, agent: 'shell' },
    {
      type: 'task.completed',
      at: 3101,
      taskId: 'fetch',
      attempt: 1,
      durationMs: 100,
      worker: 'box:42',
      output: { exitCode: 0, stdout: 'ok', stderr: '' },
    },
    { type: 'task.ready', at: 3101, taskId: 'build', attempt: 1 },
    { type: 'task.started', at: 3102, taskId: 'build', attempt: 1, agent: 'shell' },
    { type: 'task.failed', at: 3200, taskId: 'build', attempt: 1, error, severity: 'error', willRetry: false, worker: 'box:7' },
    { type: 'task.skipped', at: 3200, taskId: 'ship', attempt: 1, because: 'build' },
    {
      type: 'dag.completed',
      at: 3200,
      outcome: 'failed',
      counts: { total: 3, completed: 1, failed: 1, skipped: 1, cancelled: 0 },
      durationMs: 2200,
      failures: [{ taskId: 'build', attempt: 1, error }],
    },
  );
  const summary: JournaledRunSummary = {
    runId: 'run-1',
    dagId: 'd',
    status: 'failed',
    startedAt: 1000,
    endedAt: 3200,
    lastSeq: 11,
    counts: { total: 3, completed: 1, failed: 1, skipped: 1, cancelled: 0 },
  };

  it('should list every failure with its whole message, continuation lines indented under it', () => {
    expect(failureList(failuresOf(events))).toBe(
      'rxdag: 1 task failed:\n  build (attempt 1): ShellCommandError: `make` exited with code 2; last stderr lines:\n      make: *** [all] Error 1\n      nope\n',
    );
    expect(failureList([])).toBe('');
    // a run that has not ended: its final task.failed events so far
    expect(failuresOf(events.slice(0, -1))).toEqual([{ taskId: 'build', attempt: 1, error }]);
  });

  it("should list a run's first 50 failures at its end, counting the rest and naming where every one is", () => {
    const many = Array.from({ length: 53 }, (_, i) => ({ taskId: `t${i}`, attempt: 1, error: { name: 'Error', message: `boom ${i}` } }));
    const store = storeLocation('my store', {}, '/project');
    const lines = runEndFailures(many, 'r1', store).trimEnd().split('\n');
    expect(lines[0]).toBe('rxdag: 53 tasks failed:');
    expect(lines.slice(1, -1)).toEqual(many.slice(0, 50).map(({ taskId, error }) => `  ${taskId} (attempt 1): Error: ${error.message}`));
    expect(lines.at(-1)).toBe("  … and 3 more (`rxdag show r1 --store 'my store'` lists every one)");
    // without a journal or an events log, counted only; fewer, all of them
    expect(runEndFailures(many, 'r1', undefined).trimEnd().split('\n').at(-1)).toBe('  … and 3 more');
    // without a journal, with an events log: that log
    expect(runEndFailures(many, 'r1', undefined, 'run.jsonl').trimEnd().split('\n').at(-1)).toBe(
      '  … and 3 more (the events log run.jsonl has every one)',
    );
    // a path's control characters, line feed too, escaped
    expect(runEndFailures(many, 'r1', undefined, 'ev\u001b[31m\n.jsonl').trimEnd().split('\n').at(-1)).toBe(
      '  … and 3 more (the events log ev\\u001b[31m\\n.jsonl has every one)',
    );
    expect(runEndFailures(many.slice(0, 50), 'r1', store)).toBe(failureList(many.slice(0, 50)));
  });

  it("should give each task's state, first start, time to its outcome, attempts and worker", () => {
    const details = runDetails(header, events, summary);
    expect(details).toMatchObject({ runId: 'run-1', status: 'failed', durationMs: 2200, resumed: 1, failures: [{ taskId: 'build' }] });
    expect(details.tasks).toEqual([
      // its time spans the stop (the process was down from 1001 to 3000); its output as it completed
      {
        id: 'fetch',
        state: 'completed',
        startedAt: 1001,
        durationMs: 2100,
        acrossResume: true,
        attempts: 1,
        worker: 'box:42',
        output: { exitCode: 0, stdout: 'ok', stderr: '' },
      },
      { id: 'build', state: 'failed', startedAt: 3102, durationMs: 98, attempts: 1, worker: 'box:7' },
      { id: 'ship', state: 'skipped', attempts: 0, because: 'upstream task "build" failed' },
    ]);
    // the same run before its resume: the attempt in flight was cut
    const cut = runDetails(header, events.slice(0, 3), { ...summary, status: 'interrupted', endedAt: undefined });
    expect(cut.tasks[0]).toEqual({ id: 'fetch', state: 'interrupted', startedAt: 1001, attempts: 1 });
    expect(cut.durationMs).toBeUndefined();
  });

  it('should say which task spawned each spawned task, in the table and the data', () => {
    const planned: JournalHeader = { ...header, spec: { id: 'd', tasks: [{ id: 'plan', deps: [], agent: 'llm' }] } };
    const spawning = eventsOf(
      { type: 'dag.created', at: 1000, dagId: 'd', taskCount: 1 },
      { type: 'task.ready', at: 1000, taskId: 'plan', attempt: 1 },
      { type: 'task.started', at: 1000, taskId: 'plan', attempt: 1, agent: 'llm' },
      { type: 'tasks.spawned', at: 1005, taskId: 'plan', attempt: 1, tasks: [{ id: 'step-1', agent: 'llm' }] },
      { type: 'task.completed', at: 1005, taskId: 'plan', attempt: 1, durationMs: 5 },
    );
    const details = runDetails(planned, spawning, { ...summary, status: 'running', endedAt: undefined });
    expect(details.tasks.map((task) => [task.id, task.spawnedBy])).toEqual([
      ['plan', undefined],
      ['step-1', 'plan'],
    ]);
    const rows = formatRunDetails(details, 'store/').trimEnd().split('\n').slice(-3);
    expect(rows.map((row) => row.split(/\s{2,}/))).toEqual([
      ['TASK', 'STATE', 'STARTED', 'TOOK', 'ATTEMPTS', 'SPAWNED BY'],
      ['plan', 'completed', '+0 ms', '5 ms', '1'],
      ['step-1', 'pending', '-', '-', '0', 'plan'],
    ]);
  });

  it('should give the warning a task completed with', () => {
    const warned = eventsOf(
      { type: 'dag.created', at: 0, dagId: 'd', taskCount: 1 },
      { type: 'task.ready', at: 0, taskId: 'fetch', attempt: 1 },
      { type: 'task.started', at: 1, taskId: 'fetch', attempt: 1, agent: 'shell' },
      {
        type: 'task.completed',
        at: 5,
        taskId: 'fetch',
        attempt: 1,
        durationMs: 4,
        warning: { name: 'AgentError', message: 'stale cache' },
      },
    );
    const details = runDetails(header, warned, { ...summary, status: 'running' });
    expect(details.tasks[0]).toMatchObject({ id: 'fetch', warning: 'stale cache' });
    // and in the table's WHY, which would otherwise show a plain completion
    expect(
      formatRunDetails(details, '.rxdag/')
        .split('\n')
        .find((line) => line.startsWith('fetch ')),
    ).toMatch(/^fetch\s+completed\s.*\swith a warning: stale cache$/);
  });

  it('should give what the last attempt of a task waiting to retry failed with, whole in --json, on one line in the table', () => {
    const waiting = eventsOf(
      { type: 'dag.created', at: 0, dagId: 'd', taskCount: 3 },
      { type: 'task.ready', at: 0, taskId: 'fetch', attempt: 1 },
      { type: 'task.started', at: 1, taskId: 'fetch', attempt: 1, agent: 'shell' },
      { type: 'task.failed', at: 5, taskId: 'fetch', attempt: 1, error, severity: 'error', willRetry: true },
    );
    const details = runDetails(header, waiting, { ...summary, status: 'interrupted', endedAt: undefined });
    expect(details.tasks[0]).toMatchObject({
      id: 'fetch',
      state: 'retrying',
      lastError: `attempt #1 failed: ShellCommandError: ${error.message}`,
    });
    expect(details.tasks[1]).not.toHaveProperty('lastError');
    const row = formatRunDetails(details, '.rxdag/')
      .split('\n')
      .find((line) => line.startsWith('fetch'));
    // the first line, and the last line it quotes: where a command's error is
    expect(row).toMatch(/retrying .* attempt #1 failed: ShellCommandError: `make` exited with code 2; last stderr lines: … nope$/);
    // also where the lines it quotes are announced below its first (a timeout's)
    const timedOut = {
      name: 'TaskTimeoutError',
      message: 'task "fetch" timed out after 300 ms\nbefore its time ran out, last stderr lines:\nwarn: disk slow',
    };
    const stopped = eventsOf(...waiting.slice(0, -1).map(({ seq: _seq, runId: _runId, ...event }) => event), {
      type: 'task.failed',
      at: 5,
      taskId: 'fetch',
      attempt: 1,
      error: timedOut,
      severity: 'error',
      willRetry: true,
    });
    expect(
      formatRunDetails(runDetails(header, stopped, { ...summary, status: 'interrupted', endedAt: undefined }), '.rxdag/')
        .split('\n')
        .find((line) => line.startsWith('fetch')),
    ).toMatch(/attempt #1 failed: TaskTimeoutError: task "fetch" timed out after 300 ms … warn: disk slow$/);
    // once it went on, the error is its failure's, not a wait's
    const retried = eventsOf(...waiting.map(({ seq: _seq, runId: _runId, ...event }) => event), {
      type: 'task.retrying',
      at: 10,
      taskId: 'fetch',
      attempt: 2,
    });
    expect(runDetails(header, retried, { ...summary, status: 'interrupted', endedAt: undefined }).tasks[0]).not.toHaveProperty('lastError');
  });

  it('should give how every retried attempt failed: under the failure for good, beside a task that completed after some, and one cancelled in its wait', () => {
    const killed = { name: 'ShellCommandError', message: '`./load.sh` was killed by SIGKILL; last stderr lines:\nloading 3 GB' };
    const timedOut = { name: 'TaskTimeoutError', message: 'task "fetch" timed out after 300 ms' };
    const retried = eventsOf(
      { type: 'dag.created', at: 0, dagId: 'd', taskCount: 3 },
      { type: 'task.ready', at: 0, taskId: 'fetch', attempt: 1 },
      { type: 'task.started', at: 1, taskId: 'fetch', attempt: 1, agent: 'shell' },
      { type: 'task.failed', at: 5, taskId: 'fetch', attempt: 1, error: timedOut, severity: 'error', willRetry: true },
      { type: 'task.retrying', at: 10, taskId: 'fetch', attempt: 2 },
      { type: 'task.started', at: 10, taskId: 'fetch', attempt: 2, agent: 'shell' },
      { type: 'task.completed', at: 20, taskId: 'fetch', attempt: 2, durationMs: 10 },
      { type: 'task.ready', at: 20, taskId: 'build', attempt: 1 },
      { type: 'task.started', at: 21, taskId: 'build', attempt: 1, agent: 'shell' },
      { type: 'task.failed', at: 25, taskId: 'build', attempt: 1, error: killed, severity: 'error', willRetry: true },
      { type: 'task.retrying', at: 30, taskId: 'build', attempt: 2 },
      { type: 'task.started', at: 30, taskId: 'build', attempt: 2, agent: 'shell' },
      { type: 'task.failed', at: 35, taskId: 'build', attempt: 2, error, severity: 'error', willRetry: false },
      { type: 'task.skipped', at: 35, taskId: 'ship', attempt: 1, because: 'build' },
    );
    const details = runDetails(header, retried, { ...summary, status: 'running', endedAt: undefined });
    expect(details.tasks.map((task) => task.failedAttempts)).toEqual([
      [{ attempt: 1, error: timedOut }],
      [{ attempt: 1, error: killed }],
      undefined,
    ]);
    const text = formatRunDetails(details, '.rxdag/');
    expect(text).toContain(
      '\n  build (attempt 2): ShellCommandError: `make` exited with code 2; last stderr lines:\n      make: *** [all] Error 1\n      nope\n' +
        '      attempt #1 failed: ShellCommandError: `./load.sh` was killed by SIGKILL; last stderr lines: … loading 3 GB\n',
    );
    expect(text.split('\n').find((line) => line.startsWith('fetch'))).toMatch(
      / completed .* after 1 failed attempt; attempt #1 failed: TaskTimeoutError: task "fetch" timed out after 300 ms$/,
    );
    // cancelled while it waited to retry: what its attempt failed with is still said
    const cancelled = eventsOf(...retried.slice(0, 10).map(({ seq: _seq, runId: _runId, ...event }) => event), {
      type: 'task.cancelled',
      at: 26,
      taskId: 'build',
      attempt: 2,
    });
    const row = runDetails(header, cancelled, { ...summary, status: 'running', endedAt: undefined }).tasks[1];
    expect(row).toMatchObject({ state: 'cancelled', lastError: `attempt #1 failed: ShellCommandError: ${killed.message}` });
  });

  it('should print the summary, the failures, then a table of the tasks', () => {
    const text = formatRunDetails(runDetails(header, events, summary), '.rxdag/');
    const lines = text.split('\n');
    expect(lines.slice(0, 5)).toEqual([
      'run run-1: DAG d, failed',
      '  store    .rxdag/',
      expect.stringMatching(/^  started  \d{4}-\d\d-\d\d \d\d:\d\d:\d\d, took 2\.20 s$/),
      '  tasks    3: 1 completed, 1 failed, 1 skipped, 0 cancelled',
      '  resumed  once',
    ]);
    expect(text).toContain(
      '\n1 task failed:\n  build (attempt 1): ShellCommandError: `make` exited with code 2; last stderr lines:\n      make: *** [all] Error 1\n',
    );
    expect(text.trimEnd().split('\n').slice(-4)).toEqual([
      'TASK   STATE      STARTED                      TOOK  ATTEMPTS  WORKER  WHY',
      'fetch  completed    +1 ms  2.10 s (across a resume)         1  box:42',
      'build  failed     +2.10 s                     98 ms         1  box:7',
      'ship   skipped          -                         -         0          upstream task "build" failed',
    ]);
  });

  it('should name a failure policy other than the default, in the summary and in the data', () => {
    const policyLine = (failurePolicy: JournalHeader['options']['failurePolicy']) => {
      const details = runDetails({ ...header, options: { ...header.options, failurePolicy } }, events, summary);
      expect(details.failurePolicy).toBe(failurePolicy);
      return formatRunDetails(details, '.rxdag/')
        .split('\n')
        .filter((line) => line.startsWith('  policy '));
    };
    expect(policyLine('skip-dependents')).toEqual([]);
    expect(policyLine('fail-fast')).toEqual(['  policy   fail-fast (the first task to fail for good cancelled the rest)']);
    expect(policyLine('continue')).toEqual([
      '  policy   continue (a task without `when` ran once its dependencies were done, failed or not)',
    ]);
  });

  it('should show the limits, each task’s rules and estimate, which came from history, and why each task was skipped', () => {
    const limited: JournalHeader = {
      ...header,
      options: {
        ...header.options,
        limits: { api: { concurrency: 2, rate: { limit: 60, intervalMs: 60_000 } } },
        metadata: { estimates: { fromHistory: ['fetch'], runs: ['run-0'] } },
      },
      spec: {
        id: 'd',
        tasks: [
          { id: 'fetch', deps: [], agent: 'shell', estimateMs: 1200, limits: ['api'], weight: 2 },
          { id: 'build', deps: ['fetch'], agent: 'shell', estimateMs: 300 },
          { id: 'ship', deps: ['build'], agent: 'shell', when: 'any-failed' },
        ],
      },
    };
    const succeeded = eventsOf(
      { type: 'dag.created', at: 1000, dagId: 'd', taskCount: 3 },
      { type: 'task.started', at: 1000, taskId: 'fetch', attempt: 1, agent: 'shell' },
      { type: 'task.completed', at: 1100, taskId: 'fetch', attempt: 1, durationMs: 100 },
      { type: 'task.started', at: 1100, taskId: 'build', attempt: 1, agent: 'shell' },
      { type: 'task.completed', at: 1200, taskId: 'build', attempt: 1, durationMs: 100 },
      { type: 'task.skipped', at: 1200, taskId: 'ship', attempt: 1, because: 'build' },
    );
    const details = runDetails(limited, succeeded, summary);
    expect(details.limits).toEqual({ api: { concurrency: 2, rate: { limit: 60, intervalMs: 60_000 } } });
    expect(details.estimates).toEqual({ fromHistory: ['fetch'], runs: ['run-0'] });
    expect(details.tasks).toEqual([
      expect.objectContaining({ id: 'fetch', limits: ['api'], weight: 2, estimateMs: 1200, estimateFromHistory: true }),
      expect.objectContaining({ id: 'build', estimateMs: 300 }),
      expect.objectContaining({ id: 'ship', when: 'any-failed', because: 'no dependency failed (when any-failed)' }),
    ]);
    expect(details.tasks[1]).not.toHaveProperty('estimateFromHistory');
    const text = formatRunDetails(details, '.rxdag/');
    expect(text).toContain('\n  limits   api: 2 at once, 60 per minute\n  history  estimates of 1 task from earlier runs: run-0\n');
    expect(text.trimEnd().split('\n').slice(-4)).toEqual([
      'TASK   STATE      STARTED    TOOK  ATTEMPTS          ESTIMATE  RULES                  WHY',
      'fetch  completed    +0 ms  100 ms         1  1.20 s (history)  limits api · weight 2',
      'build  completed  +100 ms  100 ms         1            300 ms',
      'ship   skipped          -       -         0                 -  when any-failed        no dependency failed (when any-failed)',
    ]);
    // a journal written before metadata and limits: none shown
    expect(runDetails(header, succeeded, summary)).not.toHaveProperty('estimates');
  });

  it('should list runs in a table, with no duration for a run that has not ended', () => {
    const lines = runsTable([summary, { ...summary, runId: 'run-2', status: 'interrupted', endedAt: undefined }]);
    expect(lines[0]).toBe('RUN    DAG  STATUS       STARTED                TOOK  COMPLETED  FAILED  SKIPPED  TOTAL');
    expect(lines[1]).toMatch(/^run-1  d    failed       \S+ \S+  2\.20 s          1       1        1      3$/);
    expect(lines[2]).toMatch(/^run-2  d    interrupted  \S+ \S+       -          1       1        1      3$/);
  });

  it('should mark an interrupted run a later run of its DAG followed, and say what the mark means under the table', () => {
    const newer = { ...summary, runId: 'run-3' };
    const followed = { ...summary, runId: 'run-2', status: 'interrupted' as const, endedAt: undefined };
    const lines = runsTable([newer, followed, { ...summary, runId: 'run-1' }], new Set(['run-2', 'run-1']));
    expect(lines.map((line) => line.split(/\s{2,}/)[2])).toEqual(['STATUS', 'failed', 'interrupted*', 'failed', undefined]);
    expect(lines.at(-1)).toBe('* a later run of its DAG followed it (started over): rxdag resume without a run id passes it over');
    // no mark, no footnote
    expect(runsTable([newer, followed], new Set())).toHaveLength(3);
  });
});
