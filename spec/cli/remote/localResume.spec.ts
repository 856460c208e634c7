import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { keyIdOf } from '../../../src/cli/remote/remoteNote';
import { describeRedis } from '../../support/redis';
import { printedRunId, runCli, startCli } from '../support/builtCli';
import { linesOf, remoteCliSuite } from './workerProcesses';

/**
 * `rxdag resume` without `--redis` of a run that sent its attempts to workers: the attempts it
 * had in flight may still be queued in Redis, and a worker started later would run them a
 * second time, after the run ended. It refuses, saying how to take them up again; `--local`
 * runs them here anyway; nothing in flight, it resumes here without a word.
 */
jest.setTimeout(60_000);

const NO_KEY = { RXDAG_WORKER_KEY: '' };

describeRedis('rxdag resume without --redis of a remote run', (env) => {
  let prefix = '';
  const { tmp, fleet } = remoteCliSuite(env, (fresh) => (prefix = fresh));

  /** Starts `rxdag run --redis` of two shell tasks with no worker to take them, and kills it once its first attempt is queued. */
  async function killedWithAttemptsQueued(name: string): Promise<{ runId: string; store: string; marks: string }> {
    const store = tmp.file(`${name}-store`);
    const marks = tmp.file(`${name}.marks`);
    const file = tmp.file(`${name}.json`);
    writeFileSync(
      file,
      JSON.stringify({
        id: name,
        tasks: [
          { id: 'p', run: `echo "$RXDAG_TASK_ID" >> '${marks}'` },
          { id: 'q', deps: ['p'], run: 'true' },
        ],
      }),
    );
    const run = fleet.track(startCli(['run', file, '--store', store, '--redis', env.url, '--redis-prefix', prefix, '--json'], NO_KEY));
    await run.waitForStdout(/"type":"task\.started"/);
    const runId = printedRunId(run.stderrSoFar());
    if (runId === undefined) throw new Error(`no run id in:\n${run.stderrSoFar()}`);
    await jobInRedis(`${prefix}:shell:${runId}|p|1`);
    run.child.kill('SIGKILL');
    await run.done;
    return { runId, store, marks };
  }

  /** Resolves once Redis holds the job `key` (BullMQ's `<prefix>:<queue>:<job id>`): the add reached it, whatever the machine's load. */
  async function jobInRedis(key: string): Promise<void> {
    const deadline = Date.now() + 15_000;
    while ((await env.client.exists(key)) === 0) {
      if (Date.now() > deadline) throw new Error(`the job ${key} did not reach Redis`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Runs `file` here (no --redis) into `store`, kills it once a task started and resolves with its run id. */
  async function killedHereMidTask(file: string, store: string): Promise<string> {
    const run = fleet.track(startCli(['run', file, '--store', store, '--json'], NO_KEY));
    await run.waitForStdout(/"type":"task\.started"/);
    run.child.kill('SIGKILL');
    await run.done;
    const runId = printedRunId(run.stderrSoFar());
    if (runId === undefined) throw new Error(`no run id in:\n${run.stderrSoFar()}`);
    return runId;
  }

  /**
   * A DAG file `name` of one task, `p`, that marks each run of it in `marks` and sleeps 2 s the
   * first time only (to be running when a run here is killed; run again, it ends at once), and a store for it.
   */
  function sleepsOnce(name: string): { store: string; marks: string; file: string } {
    const marks = tmp.file(`${name}.marks`);
    const once = tmp.file(`${name}.once`);
    const file = tmp.file(`${name}.json`);
    const run = `echo "$RXDAG_TASK_ID" >> '${marks}'; [ -e '${once}' ] || { touch '${once}'; sleep 2; }`;
    writeFileSync(file, JSON.stringify({ id: name, tasks: [{ id: 'p', run }] }));
    return { store: tmp.file(`${name}-store`), marks, file };
  }

  it('should refuse, naming the attempts in flight and the flags that reach their workers, and run nothing (also under another key prefix or signing key)', async () => {
    const { runId, store, marks } = await killedWithAttemptsQueued('refused');
    const key = 'k'.repeat(32);
    // each refuses before it takes the run, reading the journal only: they run side by side
    const [resume, otherPrefix, otherDb, otherKey] = await Promise.all([
      runCli(['resume', runId, '--store', store], NO_KEY),
      runCli(['resume', runId, '--store', store, '--redis', env.url, '--redis-prefix', `${prefix}-other`], NO_KEY),
      runCli(['resume', runId, '--store', store, '--redis', `${env.url}/3`, '--redis-prefix', prefix], NO_KEY),
      runCli(['resume', runId, '--store', store, '--redis', env.url, '--redis-prefix', prefix, '--insecure'], { RXDAG_WORKER_KEY: key }),
    ]);
    expect(resume.code).toBe(2);
    expect(resume.stderr).toBe(
      `rxdag: run ${runId} sent its attempts to rxdag workers, and one was in flight when it stopped (p): it may still be queued or running there. ` +
        `Resume with --redis ${env.url}/0 --redis-prefix ${prefix} to take it up again, ` +
        'or with --local to run it here (a worker may then run it a second time)\n',
    );
    expect(linesOf(marks)).toEqual([]);
    // under another key prefix no worker of the run would take it up: refused too, naming the run's flags
    expect(otherPrefix).toMatchObject({
      code: 2,
      stderr:
        `rxdag: run ${runId} sent its attempts under the key prefix "${prefix}", and one was in flight when it stopped: ` +
        `resumed under "${prefix}-other", no worker of the run would take it up again. Resume with --redis ${env.url}/0 --redis-prefix ${prefix}\n`,
    });
    // in another Redis database the queued attempt would be added again, and run twice once a worker there takes it
    expect(otherDb).toMatchObject({
      code: 2,
      stderr:
        `rxdag: run ${runId} sent its attempts to Redis database 0, and one was in flight when it stopped: ` +
        `resumed on database 3, no worker of the run would take it up again. Resume with --redis ${env.url}/0 --redis-prefix ${prefix}\n`,
    });
    // signed with another key than the run's, the results of its attempts in flight would be refused as forged
    expect(otherKey).toMatchObject({
      code: 2,
      stderr:
        `rxdag: run ${runId} signed its jobs with no key, and one was in flight when it stopped: resumed with the key of id ` +
        `${keyIdOf(Buffer.from(key))}, its results would be refused and the run would fail. Resume with --redis ${env.url}/0 --redis-prefix ${prefix} ` +
        'and no key (no --key-file, RXDAG_WORKER_KEY unset)\n',
    });
    // the flags it gives take the queued attempt up again, on a worker
    await fleet.start(env.url, prefix, [], NO_KEY);
    const remote = await runCli(['resume', runId, '--store', store, '--redis', env.url, '--redis-prefix', prefix, '--quiet'], NO_KEY);
    expect(remote.code).toBe(0);
    // taken up where it waits, not run again
    expect(remote.stderr).toMatch(/: 0\/2 tasks had completed; taking up on workers: p\n/);
    expect(linesOf(marks)).toEqual(['p']);
  });

  it('should say that a run which ran its tasks here runs its attempts in flight again on workers, not that it takes them up', async () => {
    const { store, marks, file } = sleepsOnce('here');
    const runId = await killedHereMidTask(file, store);
    await fleet.start(env.url, prefix, [], NO_KEY);
    const resume = await runCli(['resume', runId, '--store', store, '--redis', env.url, '--redis-prefix', prefix, '--quiet'], NO_KEY);
    expect(resume.code).toBe(0);
    expect(resume.stderr).toMatch(/: 0\/1 tasks had completed; running again on workers: p\n/);
    expect(linesOf(marks)).toEqual(['p', 'p']); // here, then on a worker
  });

  it('should resume with --redis a run whose folder is not here, saying the workers need it, where a local resume refuses', async () => {
    const workspace = tmp.file('moved-ws');
    mkdirSync(workspace);
    const store = tmp.file('moved-store');
    const file = tmp.file('moved.json');
    writeFileSync(file, JSON.stringify({ id: 'moved', tasks: [{ id: 'p', run: 'sleep 2', cwd: workspace }] }));
    const runId = await killedHereMidTask(file, store);
    renameSync(workspace, `${workspace}-elsewhere`);
    // the local resume refuses while the worker starts: it reaches no Redis
    const [local] = await Promise.all([runCli(['resume', runId, '--store', store], NO_KEY), fleet.start(env.url, prefix, [], NO_KEY)]);
    expect(local).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/cannot go on here/),
    });
    // the workers of this spec share this machine, so they lack the folder too: the task fails there
    const remote = await runCli(['resume', runId, '--store', store, '--redis', env.url, '--redis-prefix', prefix, '--quiet'], NO_KEY);
    expect(remote.stderr).toContain(
      `rxdag: warning: task "p" runs in "${workspace}", which is not an existing directory here: the workers must have it (a worker without it fails the task)\n`,
    );
    expect(remote.stderr).not.toMatch(/cannot go on here/);
    expect(remote.code).toBe(1);
  });

  it('should refuse a local resume of a run whose latest resume sent its attempts to workers, though the run began here', async () => {
    const { store, marks, file } = sleepsOnce('later');
    const runId = await killedHereMidTask(file, store);
    // resumed onto workers (none is there: its attempt stays queued), then killed
    const remote = fleet.track(
      startCli(['resume', runId, '--store', store, '--redis', env.url, '--redis-prefix', prefix, '--json'], NO_KEY),
    );
    await jobInRedis(`${prefix}:shell:${runId}|p|1`);
    remote.child.kill('SIGKILL');
    await remote.done;
    const [local, shown] = await Promise.all([
      runCli(['resume', runId, '--store', store], NO_KEY),
      runCli(['show', runId, '--store', store], NO_KEY),
    ]);
    expect(local).toMatchObject({
      code: 2,
      stderr: expect.stringContaining(
        `rxdag: run ${runId} sent its attempts to rxdag workers, and one was in flight when it stopped (p): it may still be queued or running there. ` +
          `Resume with --redis ${env.url}/0 --redis-prefix ${prefix} to take it up again`,
      ),
    });
    expect(shown.stdout).toContain(`rxdag resume ${runId} --store ${store} --redis ${env.url}/0 --redis-prefix ${prefix}`);
    expect(linesOf(marks)).toEqual(['p']); // only the run's own attempt ran: the queued one waits for a worker
  });

  it('should run them here with --local, and refuse --local with --redis', async () => {
    const { runId, store, marks } = await killedWithAttemptsQueued('local');
    // the refusal of the options comes before the store is read: it runs beside the resume
    const [both, local] = await Promise.all([
      runCli(['resume', runId, '--store', store, '--local', '--redis', env.url], NO_KEY),
      runCli(['resume', runId, '--store', store, '--local', '--quiet'], NO_KEY),
    ]);
    expect(both).toMatchObject({
      code: 2,
      stderr: 'rxdag: --local and --redis cannot go together: --local runs here what --redis sends to workers\n',
    });
    expect(local.code).toBe(0);
    expect(linesOf(marks)).toEqual(['p']);
  });
});
