import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Worker } from 'bullmq';
import { notTakenDetail } from '../../src/bullmq/errors';
import { filter, from, lastValueFrom, type ObservableInput, Subject, take, takeUntil, tap } from 'rxjs';
import {
  type Agent,
  AttemptHandedBackError,
  createScheduler,
  type DagEvent,
  fileJournal,
  JournalWriteError,
  resumeRun,
  RunInterruptedError,
  runDag,
  stoppedForResume,
  type TaskContext,
} from '../../src/index';
import { remoteAgent, startWorker, type WorkerOptions } from '../../src/bullmq/index';
import { ProcessGroups } from '../../src/cli/agents/processGroups';
import { createShellAgent } from '../../src/cli/agents/shellAgent';
import { eventLogViolations, outcomes } from '../cli/support/eventLogInvariants';
import { exposeGc } from '../support/gc';
import { describeRedis, prefixPerTest, startRedisServer } from '../support/redis';
import { byTask, Closer, collect, ending, failingJournal, runNow, sleep, waitFor } from './helpers';

jest.setTimeout(30_000);

const LEASE_MS = 1000;

/** An agent that waits for its signal and says when it fired. */
function waitsForAbort(log: { started: number; abortedAt?: number; reason?: unknown }[]): Agent {
  return ({ signal }) =>
    new Promise((_, reject) => {
      const entry: { started: number; abortedAt?: number; reason?: unknown } = { started: Date.now() };
      log.push(entry);
      signal.addEventListener('abort', () => {
        entry.abortedAt = Date.now();
        entry.reason = signal.reason;
        reject(signal.reason);
      });
    });
}

function fakeContext(runId: string, id: string, attempt = 1): TaskContext {
  return {
    id,
    runId,
    dagId: 'd',
    input: null,
    upstream: {},
    attempt,
    idempotencyKey: `${runId}/${id}`,
    signal: new AbortController().signal,
    spawn: () => undefined,
  };
}

describeRedis('cancelling remote attempts', (env) => {
  const closer = new Closer();
  let prefix = '';
  prefixPerTest(env, (fresh) => (prefix = fresh));
  afterEach(() => closer.closeAll());

  const worker = (agents: WorkerOptions['agents'], options: Partial<WorkerOptions> = {}) =>
    closer.add(startWorker({ connection: env.url, prefix, agents, concurrency: 2, leaseMs: LEASE_MS, onLog: () => undefined, ...options }));
  const remote = (queue: string) => closer.add(remoteAgent({ connection: env.url, prefix, queue, leaseMs: LEASE_MS }));

  it("should fire the worker's AbortSignal within a lease period when the attempt times out", async () => {
    const seen: { started: number; abortedAt?: number; reason?: unknown }[] = [];
    const limits: (number | undefined)[] = [];
    const hang = waitsForAbort(seen);
    await worker({ hang: (task) => (limits.push(task.timeoutMs), hang(task)) }).ready();
    // long enough for the scheduler to hear that a worker took the job, on a loaded machine too
    const limitMs = 1500;
    const events = await collect(
      runDag({ id: 'timeout', tasks: [{ id: 't', agent: 'hang', timeoutMs: limitMs }] }, { agents: { hang: remote('hang') } }),
    );
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['task.timed-out', 'task.failed']));
    expect(ending(events).outcome).toBe('failed');
    // a worker took the job: the timeout says no more than that
    const timedOut = `task "t" timed out after ${limitMs} ms`;
    expect(byTask(events, 'task.failed').get('t')!.error).toEqual({ name: 'TaskTimeoutError', message: timedOut });
    await waitFor(() => seen[0]?.abortedAt !== undefined, 'the remote abort', LEASE_MS + 500);
    expect(seen[0]!.abortedAt! - seen[0]!.started).toBeLessThan(limitMs + LEASE_MS);
    // the worker's agent knows the limit, and hears a timeout, not a cancel
    expect(limits).toEqual([limitMs]);
    expect(seen[0]!.reason).toMatchObject({ name: 'TaskTimeoutError', message: timedOut });
    // nobody reads a cancelled job's outcome: it is removed once it ends (its cancel key expires by itself)
    const jobKeys = async () =>
      (await env.keys()).filter((key) => key.startsWith(`${prefix}:hang:`) && key.includes('|') && !key.includes('rxdag-cancel'));
    await waitFor(async () => (await jobKeys()).length === 0, 'the cancelled job to be removed');
  });

  it('should let go of each attempt it stopped once its agent returned, its input with it', async () => {
    const gc = exposeGc();
    // (not WeakRefs: one made in the agent would keep its input alive a while by itself)
    let ran = 0;
    let returned = 0;
    let collected = 0;
    const inputs = new FinalizationRegistry(() => collected++);
    // each hears its signal and returns a moment later: until then its job is the worker's
    const slowToStop: Agent = ({ input, signal }) =>
      new Promise((_, reject) => {
        ran++;
        inputs.register(input as object, undefined);
        signal.addEventListener('abort', () => setTimeout(() => (returned++, reject(signal.reason)), 5));
      });
    const served = worker({ slow: slowToStop }, { concurrency: 4 });
    await served.ready();
    const tasks = Array.from({ length: 4 }, (_, n) => ({
      id: `t${n}`,
      agent: 'slow',
      input: { n, blob: 'x'.repeat(100_000) },
      timeoutMs: 1000,
    }));
    const events = await collect(runDag({ id: 'stopped', tasks }, { agents: { slow: remote('slow') } }));
    expect(ending(events).counts.failed).toBe(4);
    // (a job the worker had not taken by then was removed, never run)
    await waitFor(() => returned === ran, 'every agent that ran to return', 5000);
    // BullMQ's fetch loop holds the last job it took until its next fetch returns (an idle queue's
    // blocking wait, some seconds): closed, it lets that go too, and the worker keeps nothing it ran
    await served.close();
    await waitFor(
      async () => {
        gc();
        await sleep(20);
        return collected === ran;
      },
      'the stopped attempts to be let go of',
      5000,
    );
    expect(ran).toBeGreaterThan(0);
  });

  it('should say in a timeout that no worker took the job, when none serves its queue', async () => {
    worker({ other: () => 1 }); // a worker of another queue only
    const events = await collect(
      runDag({ id: 'unserved', tasks: [{ id: 't', agent: 'hang', timeoutMs: 300 }] }, { agents: { hang: remote('hang') } }),
    );
    expect(byTask(events, 'task.failed').get('t')!.error).toEqual({
      name: 'TaskTimeoutError',
      message:
        'task "t" timed out after 300 ms\n' +
        `no worker took its job (queue "hang", prefix "${prefix}") as far as this scheduler heard: is a worker serving that queue, with the same prefix and key? (or were they all busy with other schedulers' jobs)`,
    });
  });

  it("should say in a timeout that the workers were busy, when they took this scheduler's other jobs", async () => {
    // first holds the only worker until second has timed out; second's time is what a loaded machine takes to hear first taken
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    worker({ slow: () => held }, { concurrency: 1 });
    const run = runDag(
      {
        id: 'busy',
        tasks: [
          { id: 'first', agent: 'slow', priority: 10 },
          { id: 'second', agent: 'slow', timeoutMs: 2000 },
        ],
      },
      { agents: { slow: remote('slow') }, healthCheckIntervalMs: 0 },
    );
    const events = await collect(run.pipe(tap((event) => event.type === 'task.failed' && release())));
    expect(byTask(events, 'task.failed').get('second')!.error.message).toBe(
      'task "second" timed out after 2000 ms\n' +
        `no worker took its job (queue "slow", prefix "${prefix}") as far as this scheduler heard: its workers were busy ` +
        "(they took 1 of this scheduler's jobs, 1 running now; other schedulers' jobs may be ahead in the queue)",
    );
  });

  it("should reach the worker by its poll when the user's ACL has no pub/sub channel: the cancel key is set all the same", async () => {
    // Redis 7's users get no channel unless given one (`acl-pubsub-default resetchannels`)
    const acl = await startRedisServer(['--user', 'team', 'on', '>pw', '~*', '+@all', 'resetchannels']);
    try {
      const url = `redis://team:pw@127.0.0.1:${acl.port}`;
      const seen: { started: number; abortedAt?: number; reason?: unknown }[] = [];
      const log: string[] = [];
      await closer
        .add(
          startWorker({
            connection: url,
            prefix,
            agents: { hang: waitsForAbort(seen) },
            concurrency: 1,
            leaseMs: LEASE_MS,
            onLog: (line) => void log.push(line),
          }),
        )
        .ready();
      const hang = closer.add(remoteAgent({ connection: url, prefix, queue: 'hang', leaseMs: LEASE_MS }));
      // a cancel, not a time limit (which the worker keeps by itself)
      const subscription = runDag({ id: 'no-channel', tasks: [{ id: 't', agent: 'hang' }] }, { agents: { hang } }).subscribe();
      await waitFor(() => seen.length === 1, 'the attempt to start');
      subscription.unsubscribe();
      await waitFor(() => seen[0]?.abortedAt !== undefined, 'the remote abort', 2 * LEASE_MS);
      expect(seen[0]!.reason).toMatchObject({ name: 'TaskCancelledError' });
      // the worker said why it does not hear cancels at once
      expect(log.join('\n')).toMatch(/cannot listen for cancels/);
    } finally {
      await closer.closeAll();
      await acl.stop();
    }
  });

  it("should fire the worker's AbortSignal when the run is cancelled", async () => {
    const seen: { started: number; abortedAt?: number; reason?: unknown }[] = [];
    worker({ hang: waitsForAbort(seen) });
    const tasks = [
      { id: 'a', agent: 'hang' },
      { id: 'b', agent: 'hang', timeoutMs: 60_000 },
    ];
    const subscription = runDag({ id: 'cancel', tasks }, { agents: { hang: remote('hang') } }).subscribe();
    await waitFor(() => seen.length === 2, 'both attempts to start');
    const cancelledAt = Date.now();
    subscription.unsubscribe();
    await waitFor(() => seen.every((entry) => entry.abortedAt !== undefined), 'the remote aborts', LEASE_MS + 500);
    for (const entry of seen) expect(entry.abortedAt! - cancelledAt).toBeLessThan(LEASE_MS);
    // with a time limit or without, a cancel is a cancel
    expect(seen.map((entry) => (entry.reason as Error).name)).toEqual(['TaskCancelledError', 'TaskCancelledError']);
  });

  it('should stop an attempt on the worker at its time limit and a lease when no scheduler is left to time it out', async () => {
    const seen: { started: number; abortedAt?: number; reason?: unknown }[] = [];
    worker({ hang: waitsForAbort(seen) });
    const agent = remoteAgent({ connection: env.url, prefix, queue: 'hang', leaseMs: LEASE_MS });
    const attempt = runNow(agent, { ...fakeContext('gone', 'slow'), timeoutMs: 300 }, agent.create!());
    await waitFor(() => seen.length === 1, 'the attempt to start');
    await agent.close(); // the scheduler dies: nobody cancels the attempt
    await expect(attempt).rejects.toThrow(/was closed/);
    await waitFor(() => seen[0]!.abortedAt !== undefined, "the worker's own timeout", 300 + LEASE_MS + 1000);
    expect(seen[0]!.abortedAt! - seen[0]!.started).toBeGreaterThanOrEqual(300 + LEASE_MS - 50);
    // the error names the task's own limit, and when and why the worker stopped it
    await waitFor(() => (seen[0]!.reason as Error).message.includes('\n'), "the worker's word on its timeout");
    expect(seen[0]!.reason).toMatchObject({
      name: 'TaskTimeoutError',
      message: `task "slow" timed out after 300 ms\nthis worker stopped it at ${300 + LEASE_MS} ms, a lease period past its limit, as no scheduler had timed it out`,
    });
  });

  it("should kill a remote shell task's process group on timeout", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rxdag-remote-shell-'));
    closer.onClose(() => rmSync(dir, { recursive: true, force: true }));
    const groups = new ProcessGroups(500);
    worker({ shell: createShellAgent({ groups }) });
    const pidFile = path.join(dir, 'pid');
    const command = `echo $$ > ${JSON.stringify(pidFile)}; sleep 30; touch ${JSON.stringify(path.join(dir, 'marker'))}`;
    const events = await collect(
      runDag(
        { id: 'shell-timeout', tasks: [{ id: 'sh', agent: 'shell', timeoutMs: 500, input: { command, cwd: dir, env: { X: '1' } } }] },
        { agents: { shell: remote('shell') } },
      ),
    );
    expect(byTask(events, 'task.timed-out').get('sh')).toBeDefined();
    await waitFor(() => existsSync(pidFile), 'the shell to start');
    const pid = Number(readFileSync(pidFile, 'utf8'));
    await waitFor(() => !alive(pid), 'the shell to be killed', LEASE_MS + 2000);
    await groups.whenEmpty();
    expect(existsSync(path.join(dir, 'marker'))).toBe(false);
  });

  it('should run a remote shell task with its command, cwd and env', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rxdag-remote-shell-'));
    closer.onClose(() => rmSync(dir, { recursive: true, force: true }));
    worker({ shell: createShellAgent({ groups: new ProcessGroups(500) }) });
    const input = { command: 'echo "$GREETING from $(basename "$PWD") attempt $RXDAG_ATTEMPT"', cwd: dir, env: { GREETING: 'hello' } };
    const events = await collect(
      runDag({ id: 'shell', tasks: [{ id: 'sh', agent: 'shell', input }] }, { agents: { shell: remote('shell') } }),
    );
    expect(byTask(events, 'task.completed').get('sh')!.output).toEqual({
      exitCode: 0,
      stdout: `hello from ${path.basename(dir)} attempt 1`,
      stderr: '',
    });
  });

  it('should remove a job still waiting when its attempt is cancelled, so it never runs', async () => {
    let calls = 0;
    const events = collect(
      runDag({ id: 'queued', tasks: [{ id: 'q', agent: 'later', timeoutMs: 200 }] }, { agents: { later: remote('later') } }),
    );
    expect(ending(await events).outcome).toBe('failed');
    await sleep(100);
    worker({ later: () => void calls++ });
    await sleep(500);
    expect(calls).toBe(0);
    expect((await env.keys()).filter((key) => key.startsWith(`${prefix}:later:`) && key.includes('|'))).toEqual([]);
  });

  it("should cancel the attempts of a run torn down right after its agent's close() began, not fail them and leave their jobs running", async () => {
    const seen: { started: number; abortedAt?: number; reason?: unknown }[] = [];
    worker({ hang: waitsForAbort(seen) });
    const agent = remoteAgent({ connection: env.url, prefix, queue: 'hang', leaseMs: LEASE_MS });
    const dir = mkdtempSync(path.join(tmpdir(), 'rxdag-closing-'));
    closer.onClose(() => rmSync(dir, { recursive: true, force: true }));
    const journal = fileJournal(dir, { sync: 'none' });
    let closed: Promise<unknown> | undefined;
    const stop = new Subject<void>();
    // closed where a subscriber's `complete` closes it: `takeUntil` calls that before it unsubscribes the run
    runDag({ id: 'closing', tasks: [{ id: 'a', agent: 'hang' }] }, { agents: { hang: agent }, journal, runId: 'closing' })
      .pipe(takeUntil(stop))
      .subscribe({ complete: () => (closed = agent.close()) });
    await waitFor(() => seen.length === 1, 'the attempt to start');
    stop.next();
    expect(await closed).toEqual({ cancelsNotSent: [] });
    await waitFor(async () => (await journal.runs())[0]?.status === 'cancelled', 'the run to be recorded as cancelled');
    expect((await journal.events('closing')).map((event) => event.type)).toContain('task.cancelled');
    // closing waited for the cancelled job to end on its worker
    expect(seen[0]?.abortedAt).toBeDefined();
    expect((seen[0]?.reason as Error).name).toBe('TaskCancelledError');
    const jobKeys = (await env.keys()).filter(
      (key) => key.startsWith(`${prefix}:hang:`) && key.includes('|') && !key.includes('rxdag-cancel'),
    );
    expect(jobKeys).toEqual([]);
  });

  it('should remove a cancelled job that ends on its worker before the cancel reaches it, even when its run and agent close at once', async () => {
    // a plain BullMQ worker hears no cancel: its job ends as if the cancel had come too late
    let started = 0;
    let ended = 0;
    const deaf = new Worker('deaf', async () => (started++, await sleep(400), ended++, null), { connection: { url: env.url }, prefix });
    closer.onClose(() => deaf.close());
    const agent = remoteAgent({ connection: env.url, prefix, queue: 'deaf', leaseMs: LEASE_MS });
    const subscription = runDag({ id: 'late', tasks: [{ id: 't', agent: 'deaf' }] }, { agents: { deaf: agent } }).subscribe();
    const jobKeys = async () =>
      (await env.keys()).filter((key) => key.startsWith(`${prefix}:deaf:`) && key.includes('|') && !key.includes('rxdag-cancel'));
    await waitFor(() => started === 1, 'the job to start');
    subscription.unsubscribe();
    await agent.close();
    expect(ended).toBe(1); // closing waited for the job's end
    expect(await jobKeys()).toEqual([]);
  });

  it('should hand the attempts of a force-closed worker to another worker, under the same attempt number', async () => {
    const seen: { started: number; abortedAt?: number; reason?: unknown; forResume?: boolean }[] = [];
    const handedBack: Agent = (context) => {
      context.signal.addEventListener('abort', () => (seen[seen.length - 1]!.forResume = stoppedForResume(context.signal)));
      return waitsForAbort(seen)(context);
    };
    const first = worker({ job: handedBack }, { name: 'first:1' });
    const run = collect(runDag({ id: 'handover', tasks: [{ id: 'a', agent: 'job' }] }, { agents: { job: remote('job') } }));
    await waitFor(() => seen.length === 1, 'the first worker to start the attempt');
    await first.close({ force: true });
    expect(seen[0]!.abortedAt).toBeDefined();
    // not a cancel: an agent that undoes cancelled work can tell (the attempt runs again elsewhere)
    expect(seen[0]!.reason).toBeInstanceOf(AttemptHandedBackError);
    expect((seen[0]!.reason as Error).message).toBe('task "a" was handed back to run again on another worker: the worker shut down');
    expect(seen[0]!.forResume).toBe(true);
    worker({ job: () => 'done' }, { name: 'second:2' });
    const events = await run;
    expect(eventLogViolations(events)).toEqual([]);
    expect(outcomes(events)).toEqual({ a: 'task.completed' });
    const completed = byTask(events, 'task.completed').get('a')!;
    expect([completed.worker, completed.attempt]).toEqual(['second:2', 1]);
  });

  it('should hand a force-closed attempt on only once its agent has returned, when the agent ignores its signal for a while', async () => {
    const calls: { worker: string; started: number; ended?: number }[] = [];
    const stubborn =
      (worker: string): Agent =>
      async () => {
        const call: { worker: string; started: number; ended?: number } = { worker, started: Date.now() };
        calls.push(call);
        await sleep(worker === 'first:1' ? 1200 : 0); // deaf to its signal
        call.ended = Date.now();
        return worker;
      };
    const first = worker({ job: stubborn('first:1') }, { name: 'first:1' });
    const run = collect(runDag({ id: 'stubborn', tasks: [{ id: 'a', agent: 'job' }] }, { agents: { job: remote('job') } }));
    await waitFor(() => calls.length === 1, 'the first worker to start the attempt');
    worker({ job: stubborn('second:2') }, { name: 'second:2' });
    await first.close({ force: true });
    const events = await run;
    expect(outcomes(events)).toEqual({ a: 'task.completed' });
    expect(byTask(events, 'task.completed').get('a')!.worker).toBe('second:2');
    expect(calls.map((call) => call.worker)).toEqual(['first:1', 'second:2']);
    // never two copies at once: the second started after the first returned
    expect(calls[1]!.started).toBeGreaterThanOrEqual(calls[0]!.ended!);
  });

  it('should leave a remote attempt running when its run stops resumably (its journal failed, or a shutdown interrupted it), for the resume to re-attach to', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rxdag-remote-resume-'));
    closer.onClose(() => rmSync(dir, { recursive: true, force: true }));
    const ran: string[] = [];
    worker({ job: async ({ id }) => (ran.push(id), await sleep(600), `ran ${id}`) });
    // `quick` ends while `slow` runs on the worker: what is journaled then decides the stop
    const dag = {
      id: 'stopped',
      tasks: [
        { id: 'slow', agent: 'job' },
        { id: 'quick', agent: 'quick' },
      ],
    };
    const quick = () => sleep(150).then(() => 'quick');
    const resumed = async (runId: string): Promise<DagEvent[]> =>
      collect(resumeRun(fileJournal(dir), runId, { agents: { job: remote('job'), quick }, healthCheckIntervalMs: 0 }));

    // the journal fails while the attempt runs on the worker (at `quick`'s end): the run errors, its attempt stopped
    let failing = false;
    const journal = failingJournal(dir, () => failing);
    const crashed = collect(runDag(dag, { agents: { job: remote('job'), quick }, journal, runId: 'crashed', healthCheckIntervalMs: 0 }));
    await waitFor(() => ran.length === 1, 'the attempt to start on the worker');
    failing = true;
    await expect(crashed).rejects.toBeInstanceOf(JournalWriteError);
    await sleep(LEASE_MS); // a cancel, had one been sent, would have reached the worker by now
    const afterCrash = await resumed('crashed');
    expect(byTask(afterCrash, 'task.completed').get('slow')).toMatchObject({ attempt: 1, output: 'ran slow' });
    expect(ending(afterCrash).outcome).toBe('succeeded');
    expect(ran).toEqual(['slow']); // re-attached, not run again

    // a scheduler shut down with interrupt: the same
    ran.length = 0;
    const scheduler = createScheduler({ agents: { job: remote('job'), quick }, journal: fileJournal(dir), healthCheckIntervalMs: 0 });
    const interrupted = collect(scheduler.submit(dag, { runId: 'interrupted' }));
    await waitFor(() => ran.length === 1, 'the attempt to start on the worker');
    await scheduler.shutdown({ interrupt: true });
    await expect(interrupted).rejects.toBeInstanceOf(RunInterruptedError);
    await sleep(LEASE_MS);
    const afterShutdown = await resumed('interrupted');
    expect(byTask(afterShutdown, 'task.completed').get('slow')).toMatchObject({ attempt: 1, output: 'ran slow' });
    expect(ran).toEqual(['slow']);
  });

  it('should let a resumed scheduler re-attach to a job still running or already finished, not run it again', async () => {
    let calls = 0;
    worker({ job: async ({ id }) => (calls++, await sleep(300), `ran ${id}`) });
    const before = remoteAgent({ connection: env.url, prefix, queue: 'job', leaseMs: LEASE_MS });
    const client = before.create!();
    const running = runNow(before, fakeContext('r1', 'running'), client);
    const finished = runNow(before, fakeContext('r1', 'finished'), client);
    await waitFor(() => calls === 2, 'both attempts to start');
    await before.close(); // the scheduler dies: its attempts stay on the workers
    await expect(running).rejects.toThrow(/was closed/);
    await expect(finished).rejects.toThrow(/was closed/);
    const after = closer.add(remoteAgent({ connection: env.url, prefix, queue: 'job', leaseMs: LEASE_MS }));
    const again = after.create!();
    const stillRunning = runNow(after, fakeContext('r1', 'running'), again);
    await sleep(500); // `finished` finishes before anyone asks
    await expect(stillRunning).resolves.toMatchObject({ output: 'ran running' });
    await expect(runNow(after, fakeContext('r1', 'finished'), again)).resolves.toMatchObject({ output: 'ran finished' });
    expect(calls).toBe(2);
  });

  it("should cancel a resumed attempt's job that a worker runs when the attempt ends before its own add went out", async () => {
    const seen: { started: number; abortedAt?: number }[] = [];
    worker({ job: waitsForAbort(seen) });
    const before = remoteAgent({ connection: env.url, prefix, queue: 'job', leaseMs: LEASE_MS });
    const running = runNow(before, fakeContext('r2', 'long'), before.create!());
    await waitFor(() => seen.length === 1, 'the attempt to start on the worker');
    await before.close(); // the scheduler dies: its attempt runs on
    await expect(running).rejects.toThrow(/was closed/);
    const after = closer.add(remoteAgent({ connection: env.url, prefix, queue: 'job', leaseMs: LEASE_MS }));
    // the resumed attempt, cancelled in the same turn: its add is still in the next burst
    const instance = await after.create!();
    const resumed = from(after.run(fakeContext('r2', 'long'), instance) as ObservableInput<unknown>).subscribe({
      error: () => undefined,
    });
    resumed.unsubscribe();
    await waitFor(() => seen[0]!.abortedAt !== undefined, 'the cancel to reach the worker', 5000);
    expect(seen).toHaveLength(1); // and it never ran again
  });

  it('should send nothing for the attempts of a run cancelled before their adds went out, and say no cancel went missing', async () => {
    const agent = remoteAgent({ connection: env.url, prefix, queue: 'job', leaseMs: LEASE_MS });
    const dag = {
      id: 'early',
      tasks: [
        { id: 'a', agent: 'job' },
        { id: 'b', agent: 'job' },
      ],
    };
    const run = runDag(dag, { agents: { job: agent }, healthCheckIntervalMs: 0 }).subscribe({ error: () => undefined });
    await sleep(2); // its first burst of adds is connecting
    run.unsubscribe();
    expect((await agent.close()).cancelsNotSent).toEqual([]);
    expect((await env.keys()).filter((key) => key.startsWith(`${prefix}:job:`) && key.includes('rxdag-cancel'))).toEqual([]);
    // nor, with Redis out of reach, a cancel it could not send for a job it never added
    const away = remoteAgent({ connection: 'redis://127.0.0.1:1', prefix, queue: 'job', leaseMs: LEASE_MS });
    const attempt = from(away.run(fakeContext('away', 'a'), await away.create!()) as ObservableInput<unknown>).subscribe({
      error: () => undefined,
    });
    attempt.unsubscribe();
    expect((await away.close()).cancelsNotSent).toEqual([]);
  });

  it('should cancel through its open connections a job whose add lands while the agent closes, and not say that cancel went missing', async () => {
    // an attempt that times out while its job's add is under way (the first, which opens the
    // connections), the agent closed as soon as the run ends: the add lands while it closes
    for (const timeoutMs of [5, 10, 20, 30, 40, 60]) {
      const agent = remoteAgent({ connection: env.url, prefix, queue: 'job', leaseMs: LEASE_MS });
      const dag = { id: `landing${timeoutMs}`, tasks: [{ id: 'a', agent: 'job', timeoutMs }] };
      expect(ending(await collect(runDag(dag, { agents: { job: agent }, healthCheckIntervalMs: 0 }))).outcome).toBe('failed');
      expect({ timeoutMs, ...(await agent.close()) }).toEqual({ timeoutMs, cancelsNotSent: [] });
    }
    // no job left to run (a cancel key may stay a while, for a worker's poll: not a job)
    const jobs = (await env.keys()).filter((key) => key.startsWith(`${prefix}:job:landing`));
    expect(jobs).toEqual([]);
  });

  it('should not cancel the job of another run that has the same id on the prefix when it leaves at once, before its check', async () => {
    const aborted: string[] = [];
    worker({
      job: ({ id, dagId, signal }) =>
        new Promise((resolve, reject) => {
          const done = setTimeout(() => resolve(`${dagId} ran ${id}`), 800);
          signal.addEventListener('abort', () => (clearTimeout(done), aborted.push(`${dagId}/${id}`), reject(signal.reason)));
        }),
    });
    const teamA = closer.add(remoteAgent({ connection: env.url, prefix, queue: 'job', leaseMs: LEASE_MS }));
    const clientA = teamA.create!();
    const own = ['build', 'test'].map((id) => runNow(teamA, { ...fakeContext('nightly', id), dagId: 'etl' }, clientA));
    await sleep(200); // both run on the worker
    const teamB = closer.add(remoteAgent({ connection: env.url, prefix, queue: 'job', leaseMs: LEASE_MS }));
    // leaves on its second start, at once: its adds may not even be read back yet
    await lastValueFrom(
      runDag(
        {
          id: 'report',
          tasks: [
            { id: 'build', agent: 'job' },
            { id: 'test', agent: 'job' },
          ],
        },
        { agents: { job: teamB }, runId: 'nightly', healthCheckIntervalMs: 0 },
      ).pipe(
        filter((event) => event.type === 'task.started'),
        take(2),
      ),
    );
    expect(await Promise.all(own)).toMatchObject([{ output: 'etl ran build' }, { output: 'etl ran test' }]);
    expect(aborted).toEqual([]);
  });

  it('should not take the job of another run that has the same id on the prefix (another DAG, another input), running or finished, and leave it to that run', async () => {
    let calls = 0;
    worker({ job: async ({ id, dagId }) => (calls++, await sleep(300), `${dagId} ran ${id}`) });
    const teamA = closer.add(remoteAgent({ connection: env.url, prefix, queue: 'job', leaseMs: LEASE_MS }));
    const teamB = closer.add(remoteAgent({ connection: env.url, prefix, queue: 'job', leaseMs: LEASE_MS }));
    const clientA = teamA.create!();
    const clientB = teamB.create!();
    const ownRun = runNow(teamA, { ...fakeContext('nightly-42', 'build'), dagId: 'etl' }, clientA);
    await waitFor(() => calls === 1, 'team A to start');
    // running: another DAG under the same run id
    await expect(runNow(teamB, { ...fakeContext('nightly-42', 'build'), dagId: 'report' }, clientB)).rejects.toMatchObject({
      name: 'RunIdTakenError',
      severity: 'critical',
      message: expect.stringContaining('is another run\'s (DAG "etl"), not this attempt\'s'),
    });
    await expect(ownRun).resolves.toMatchObject({ output: 'etl ran build' });
    // finished and kept (its scheduler died): the same DAG with another input
    const left = runNow(teamA, { ...fakeContext('nightly-43', 'build'), dagId: 'etl', input: 'yesterday' }, clientA);
    await waitFor(() => calls === 2, 'the second job to start');
    await teamA.close();
    await expect(left).rejects.toThrow(/was closed/);
    await sleep(400); // it finishes with nobody to read it
    await expect(runNow(teamB, { ...fakeContext('nightly-43', 'build'), dagId: 'etl', input: 'today' }, clientB)).rejects.toThrow(
      'is another run\'s (DAG "etl" with another input for task "build")',
    );
    expect(calls).toBe(2);
  });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('notTakenDetail', () => {
  it('should name a Redis database other than 0, which a worker must be on too', () => {
    expect(notTakenDetail({ queue: 'sleep', prefix: 'ci', database: 1 }, 0, 0)).toBe(
      'no worker took its job (queue "sleep", prefix "ci", Redis database 1) as far as this scheduler heard: ' +
        "is a worker serving that queue, with the same prefix, database and key? (or were they all busy with other schedulers' jobs)",
    );
    expect(notTakenDetail({ queue: 'sleep', prefix: 'ci', database: 0 }, 0, 0)).toContain('(queue "sleep", prefix "ci") as far');
  });
});
