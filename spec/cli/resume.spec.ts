import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureBuilt, runCli, startCli } from './support/builtCli';
import { eventLogViolations } from './support/eventLogInvariants';
import { readEventLog, tempDir } from './support/files';
import { rxdagInProcess } from './support/inProcessCli';
import { rxdagWith } from './support/liveInProcessCli';
import { gatedDag, gatedEnv, interruptedRun, journalEvents, killGroups, linesOf, storeFiles, waitUntil } from './support/journaledRuns';

/**
 * `rxdag resume`: a run killed with SIGKILL (left `interrupted` in its store) continues from its
 * journal without running again what had completed, the newest interrupted run by default; and
 * every refusal (an unknown run, an ended one, one a live `rxdag run` owns, a missing store, no
 * interrupted run) is one line and exit 2, with nothing run and nothing written.
 */
describe('rxdag resume', () => {
  const tmp = tempDir();
  beforeAll(() => ensureBuilt(), 120_000);
  afterAll(() => tmp.remove());

  function writeFileIn(dir: string, name: string, lines: readonly string[]): string {
    const file = path.join(dir, name);
    writeFileSync(file, lines.join('\n'));
    return file;
  }

  /** A folder of its own for a test: its store, DAG files and the files its tasks write. */
  function setup(name: string) {
    const dir = path.join(tmp.dir, name);
    const store = path.join(dir, 'store');
    const files = gatedEnv(dir);
    mkdirSync(dir, { recursive: true });
    return { dir, store, files, env: { ...files, RXDAG_STORE: store } };
  }

  it('should resume the newest interrupted run, then the older one, running again only what was in flight', async () => {
    const { dir, store, files, env } = setup('newest');
    const older = await interruptedRun(gatedDag(dir, 'older'), env);
    const newer = await interruptedRun(gatedDag(dir, 'newer'), env);
    expect(linesOf(files.MARKERS)).toEqual(['first 1', 'gate 1', 'first 1', 'gate 1']);
    const listed = await rxdagWith({ env }, 'runs', '--json');
    expect(
      listed.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { runId: string; status: string }),
    ).toEqual([
      expect.objectContaining({ runId: newer, status: 'interrupted' }),
      expect.objectContaining({ runId: older, status: 'interrupted' }),
    ]);

    writeFileSync(files.GATE, '');
    const log = path.join(dir, 'resumed.jsonl');
    const first = await runCli(['resume', '--events', log], env);
    expect(first.code).toBe(0);
    expect(first.stderr).toBe(`rxdag: resuming run ${newer} (journal ${store}/): 1/3 tasks had completed; running again: gate\n`);
    // the display starts from the journal: times count from the run's start, nothing printed twice
    const lines = first.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^\[\s+\d+\.\d{3}s\] run\.resumed after seq \d+; in flight when it stopped: gate$/);
    expect(lines).not.toContainEqual(expect.stringMatching(/task\.completed first/));
    expect(lines.pop()).toMatch(/dag\.completed succeeded: 3\/3 completed/);
    // the events log holds the whole run, journaled part included
    const logged = readEventLog(log);
    expect(eventLogViolations(logged)).toEqual([]);
    expect(logged).toEqual(journalEvents(store, newer));
    expect(logged.filter((e) => e.type === 'run.resumed')).toHaveLength(1);

    // the older one next, resumed in this process (its shell tasks see the same variables)
    const second = await rxdagWith({ env }, 'resume', '--quiet');
    expect(second).toMatchObject({ code: 0 });
    expect(second.stderr).toMatch(new RegExp(`^rxdag: resuming run ${older} `));
    // `first` completed before each crash and never ran again; `gate` ran again under attempt 1
    expect(linesOf(files.MARKERS)).toEqual(['first 1', 'gate 1', 'first 1', 'gate 1', 'gate 1', 'last 1', 'gate 1', 'last 1']);

    const none = await rxdagWith({ env }, 'resume');
    expect(none).toEqual({
      code: 2,
      stdout: '',
      stderr: `rxdag: no interrupted run to resume in the store ${store}/ (every run ended; rxdag runs lists them)\n`,
    });
  }, 60_000);

  it('should say that the DAG file has changed since the run started, and go on with the DAG as journaled', async () => {
    const { dir, files, env } = setup('edited');
    const dagFile = gatedDag(dir, 'edited');
    const runId = await interruptedRun(dagFile, env);
    writeFileSync(dagFile, `${readFileSync(dagFile, 'utf8').replace('id: last', 'id: renamed')}`);
    writeFileSync(files.GATE, '');
    const resumed = await runCli(['resume', runId, '--quiet'], env);
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toContain(
      `rxdag: note: ${dagFile} has changed since run ${runId} started; it goes on with its DAG as journaled (rxdag run ${dagFile} runs the file as it is now)\n`,
    );
    expect(linesOf(files.MARKERS)).toEqual(['first 1', 'gate 1', 'gate 1', 'last 1']);
  });

  it("should keep the run's own -c and --mode unless given again", async () => {
    const { dir, env } = setup('settings');
    const mark = 'echo "$RXDAG_TASK_ID $RXDAG_ATTEMPT" >> "$MARKERS"';
    const dag = writeFileIn(dir, 'settings.yaml', [
      'id: settings',
      'tasks:',
      '  - id: gate',
      `    run: echo $$ >> "$PIDS"; ${mark}; while [ ! -f "$GATE" ]; do sleep 0.05; done`,
      ...['p1', 'p2', 'p3'].flatMap((id) => [`  - id: ${id}`, '    deps: [gate]', `    run: ${mark}; sleep 0.2`]),
      '',
    ]);
    const runId = await interruptedRun(dag, env, ['-c', '1', '--mode', 'polling', '--poll-interval', '20']);
    writeFileSync(env.GATE, '');
    const log = path.join(dir, 'resumed.jsonl');
    const resumed = await runCli(['resume', runId, '--quiet', '--events', log], env);
    expect(resumed.code).toBe(0);
    // at most one task at a time, as the run began: -c 1 was kept (the default is 8)
    let running = 0;
    let most = 0;
    for (const event of readEventLog(log)) {
      if (event.type === 'run.resumed') running = 0; // what ran when the process died runs no more
      if (event.type === 'task.started') most = Math.max(most, ++running);
      if (event.type === 'task.completed' || event.type === 'task.failed') running--;
    }
    expect(most).toBe(1);
    expect(linesOf(env.MARKERS).sort()).toEqual(['gate 1', 'gate 1', 'p1 1', 'p2 1', 'p3 1']);
  }, 60_000);

  it('should take a -c lighter than a task that has completed, and refuse one lighter than a task still to run, in its own words', async () => {
    const { dir, env } = setup('lighter');
    const mark = 'echo "$RXDAG_TASK_ID $RXDAG_ATTEMPT" >> "$MARKERS"';
    const dag = writeFileIn(dir, 'lighter.yaml', [
      'id: lighter',
      'tasks:',
      "  - { id: first, weight: 3, run: '" + mark + "' }",
      '  - id: gate',
      '    deps: [first]',
      `    run: echo $$ >> "$PIDS"; ${mark}; while [ ! -f "$GATE" ]; do sleep 0.05; done`,
      "  - { id: last, deps: [gate], weight: 2, run: '" + mark + "' }",
      '',
    ]);
    const runId = await interruptedRun(dag, env, ['-c', '3']);
    writeFileSync(env.GATE, '');
    const refused = await rxdagWith({ env }, 'resume', runId, '-c', '1', '--quiet');
    expect(refused).toEqual({
      code: 2,
      stdout: '',
      stderr: 'rxdag: task "last" weighs 2, more than the concurrency 1 (`-c`/`--concurrency`): it could never start\n',
    });
    const resumed = await rxdagWith({ env }, 'resume', runId, '-c', '2', '--quiet');
    expect(resumed).toMatchObject({ code: 0 });
    expect(linesOf(env.MARKERS)).toEqual(['first 1', 'gate 1', 'gate 1', 'last 1']);
  }, 60_000);

  it('should refuse a run whose tasks still to run have their folder gone (moved), leaving it interrupted', async () => {
    const { dir, files, env } = setup('moved');
    const workspace = path.join(dir, 'ws');
    mkdirSync(workspace);
    const runId = await interruptedRun(gatedDag(workspace, 'moved'), env);
    renameSync(workspace, path.join(dir, 'ws-elsewhere'));
    writeFileSync(files.GATE, '');
    const refused = await rxdagWith({ env }, 'resume', runId);
    expect(refused).toMatchObject({
      code: 2,
      stderr: `rxdag: run ${runId} cannot go on here: task "gate" runs in "${workspace}", which is not an existing directory (the run stays interrupted: resume it where that folder is, or make it, or with --redis for workers that have it)\n`,
    });
    expect(linesOf(files.MARKERS)).toEqual(['first 1', 'gate 1']);
    // a file in its place: told to put a folder there
    writeFileSync(workspace, '');
    expect(await rxdagWith({ env }, 'resume', runId)).toMatchObject({
      code: 2,
      stderr: `rxdag: run ${runId} cannot go on here: task "gate" runs in "${workspace}", which is a file, not a directory (the run stays interrupted: resume it where that folder is, or put a folder in its place, or with --redis for workers that have it)\n`,
    });
    rmSync(workspace);
    // back where it was, it goes on
    renameSync(path.join(dir, 'ws-elsewhere'), workspace);
    expect(await rxdagWith({ env }, 'resume', runId, '--quiet')).toMatchObject({ code: 0 });
    expect(linesOf(files.MARKERS)).toEqual(['first 1', 'gate 1', 'gate 1', 'last 1']);
  }, 60_000);

  it('should refuse an unknown run, an ended run and a missing store with one line, exit 2, running nothing', async () => {
    const { dir, store, files, env } = setup('refusals');
    writeFileSync(files.GATE, '');
    const dagFile = gatedDag(dir, 'ended');
    const ended = await runCli(['run', dagFile, '--quiet'], env);
    expect(ended.code).toBe(0);
    const runId = JSON.parse((await rxdagInProcess('runs', '--json', '--store', store)).stdout).runId as string;
    const markers = linesOf(files.MARKERS);
    const before = storeFiles(store);
    const missing = path.join(os.tmpdir(), `rxdag-no-such-store-${process.pid}`);

    // one refusal in a process of its own (its exit code), the others in this one, one at a time
    // (they read RXDAG_STORE from this process's environment)
    const ownProcess = runCli(['resume', runId], env);
    const results = [
      await rxdagWith({ env }, 'resume', 'no-such-run'),
      await ownProcess,
      await rxdagWith({ env }, 'resume', '--store', missing),
      await rxdagWith({ env }, 'resume', runId, '--store', missing),
      await rxdagWith({ env }, 'resume', dagFile),
      await rxdagWith({ env }, 'resume', dagFile, '--store', missing),
    ];
    expect(results.map((r) => [r.code, r.stdout, r.stderr])).toEqual([
      [2, '', `rxdag: run "no-such-run" is not in the store ${store}/ (rxdag runs lists its runs)\n`],
      [2, '', `rxdag: run "${runId}" already ended (succeeded); there is nothing to resume\n`],
      [2, '', `rxdag: no store at ${missing}/: the folder does not exist (runs are journaled there by rxdag run)\n`],
      [2, '', `rxdag: no store at ${missing}/: the folder does not exist (runs are journaled there by rxdag run)\n`],
      [
        2,
        '',
        `rxdag: run "${dagFile}" is not in the store ${store}/: ${dagFile} is a file, and a run is named by its id (rxdag runs lists them; rxdag run ${dagFile} runs the file)\n`,
      ],
      // no store yet (a first try of resume): the file is said to be one all the same
      [
        2,
        '',
        `rxdag: no store at ${missing}/: the folder does not exist (runs are journaled there by rxdag run); ${dagFile} is a file, and a run is named by its id (rxdag run ${dagFile} runs the file)\n`,
      ],
    ]);
    expect(linesOf(files.MARKERS)).toEqual(markers);
    expect(storeFiles(store)).toEqual(before);
  }, 30_000);

  it('should refuse a run that a live rxdag run owns, naming the owner, and leave that run alone', async () => {
    const { dir, store, files, env } = setup('locked');
    const owner = startCli(['run', gatedDag(dir, 'owned'), '--quiet'], env);
    try {
      await waitUntil(() => linesOf(files.PIDS).length === 1, 'the gate task to start');
      const runId = JSON.parse((await rxdagInProcess('runs', '--json', '--store', store)).stdout).runId as string;
      const names = readdirSync(store).sort();

      // with --metrics-port, the endpoint's line is said once the run starts: refused, one line only
      const refusedById = runCli(['resume', runId, '--metrics-port', '0'], env);
      const newest = await rxdagWith({ env }, 'resume');
      const byId = await refusedById;
      expect(byId).toMatchObject({ code: 2, stdout: '' });
      expect(byId.stderr).toBe(
        `rxdag: run "${runId}" is owned by a live process (${os.hostname()}:${owner.child.pid}); wait for it to end or stop it first (rxdag runs lists it as running)\n`,
      );
      expect(newest).toMatchObject({
        code: 2,
        stdout: '',
        stderr:
          `rxdag: no interrupted run to resume in the store ${store}/ (1 running now, the others ended; rxdag runs lists them); ` +
          `the newest running one, ${runId}, is owned by ${os.hostname()}:${owner.child.pid}\n`,
      });
      expect(linesOf(files.MARKERS)).toEqual(['first 1', 'gate 1']);
      expect(readdirSync(store).sort()).toEqual(names);

      writeFileSync(files.GATE, '');
      expect((await owner.done).code).toBe(0);
      expect(journalEvents(store, runId).filter((e) => e.type === 'run.resumed')).toEqual([]);
    } finally {
      owner.child.kill('SIGKILL');
      await owner.done;
      await killGroups(files.PIDS);
    }
  }, 30_000);
});
