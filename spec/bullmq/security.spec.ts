import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Queue, QueueEvents } from 'bullmq';
import { runDag, type TaskContext } from '../../src/index';
import { remoteAgent, type RemoteAgentOptions, startWorker, type WorkerOptions } from '../../src/bullmq/index';
import { ProcessGroups } from '../../src/cli/agents/processGroups';
import { createShellAgent } from '../../src/cli/agents/shellAgent';
import { redisTarget } from '../../src/bullmq/redisConnection';
import { describeRedis } from '../support/redis';
import { byTask, Closer, collect, ending, runNow, signedAsEarlierRxdag, sleep, waitFor } from './helpers';

jest.setTimeout(30_000);

const KEY = 'correct horse battery staple 42';
const OTHER_KEY = 'another key, of another cluster';

describeRedis('who may make a worker run something', (env) => {
  const closer = new Closer();
  let n = 0;
  let prefix = '';
  let dir = '';
  let logs: string[] = [];
  let refused: unknown[] = [];
  beforeEach(() => {
    prefix = `${env.prefix}-${++n}`;
    dir = mkdtempSync(path.join(tmpdir(), 'rxdag-signed-'));
    logs = [];
    refused = [];
  });
  afterEach(async () => {
    await closer.closeAll();
    rmSync(dir, { recursive: true, force: true });
  });

  const marker = (name: string) => path.join(dir, name);
  const touch = (name: string) => ({ command: `touch ${JSON.stringify(marker(name))}`, cwd: dir, env: {} });
  const worker = (options: Partial<WorkerOptions> = {}) =>
    closer.add(
      startWorker({
        connection: env.url,
        prefix,
        agents: { shell: createShellAgent({ groups: new ProcessGroups(500) }) },
        concurrency: 2,
        leaseMs: 1000,
        key: KEY,
        onLog: (line) => logs.push(line),
        onJobRefused: (refusal) => refused.push(refusal),
        ...options,
      }),
    );
  const remote = (options: Partial<RemoteAgentOptions> = {}) =>
    closer.add(remoteAgent({ connection: env.url, prefix, queue: 'shell', leaseMs: 1000, key: KEY, ...options }));
  const runShell = (agent: ReturnType<typeof remote>, id: string, input: object) =>
    collect(runDag({ id, tasks: [{ id: 'sh', agent: 'shell', input }] }, { agents: { shell: agent } }));

  /** Adds a job the way an attacker with access to Redis would, and waits for the worker's answer. */
  async function attackerAdds(jobId: string, data: object): Promise<{ ok: boolean; error?: { name: string; message: string } }> {
    const queue = closer.add(new Queue('shell', { connection: env.client, prefix }));
    const events = closer.add(new QueueEvents('shell', { connection: redisTarget(env.url, 'spec').bullmqOptions, prefix }));
    await events.waitUntilReady();
    const job = await queue.add('evil', data, { jobId });
    return (await job.waitUntilFinished(events, 10_000)) as { ok: boolean; error?: { name: string; message: string } };
  }

  it('should refuse unsigned, altered, re-addressed and re-dated jobs without running anything, and keep serving', async () => {
    // a legitimate job waits in Redis (no worker yet): the attacker reads it and copies its signature
    const legit = remote();
    const client = legit.create!();
    const context: TaskContext = {
      id: 'build',
      runId: 'nightly',
      dagId: 'd',
      input: touch('legit'),
      upstream: {},
      attempt: 1,
      idempotencyKey: 'nightly/build',
      signal: new AbortController().signal,
      spawn: () => undefined,
    };
    const legitDone = runNow(legit, context, client);
    const queue = closer.add(new Queue('shell', { connection: env.client, prefix }));
    await waitFor(async () => (await queue.getJob('nightly|build|1')) !== undefined, 'the legitimate job');
    const copied = (await queue.getJob('nightly|build|1'))!.data as Record<string, unknown>;
    expect(copied['signature']).toMatch(/^v2=[0-9a-f]{64}$/);

    worker();
    const unsigned = await attackerAdds('evil|unsigned|1', { ...copied, signature: undefined, input: touch('unsigned') });
    const altered = await attackerAdds('evil|altered|1', { ...copied, input: touch('altered') });
    const readdressed = await attackerAdds('evil|copy|1', copied);
    // a captured job replayed later with its expiry pushed back
    const extended = await attackerAdds('nightly|build|2', { ...copied, attempt: 2, expiresAt: Date.now() + 86_400_000 });
    // signed as an earlier rxdag signs (a scheme without the key prefix): said as such, not as another key
    const earlierJob = { ...copied, input: touch('earlier') };
    const earlier = await attackerAdds('evil|earlier|1', {
      ...earlierJob,
      signature: signedAsEarlierRxdag(KEY, 'job', 'shell', 'evil|earlier|1', earlierJob),
    });

    for (const answer of [unsigned, altered, readdressed, extended, earlier])
      expect(answer).toMatchObject({ ok: false, error: { name: 'UnauthorizedJobError' } });
    expect(unsigned.error!.message).toMatch(/it is not signed; nothing ran/);
    expect(altered.error!.message).toMatch(/signature does not match/);
    expect(earlier.error!.message).toContain(
      'it is signed by an earlier rxdag with this key (signature v1; this worker checks v2): upgrade its scheduler, so that schedulers and workers of a signed queue are of one version',
    );
    await expect(legitDone).resolves.toMatchObject({ output: { exitCode: 0 } });
    expect(existsSync(marker('legit'))).toBe(true);
    await sleep(200);
    for (const name of ['unsigned', 'altered', 'earlier']) expect(existsSync(marker(name))).toBe(false);
    // one line per refused job, naming it, never its data
    expect(logs).toHaveLength(5);
    expect(refused).toEqual(Array.from({ length: 5 }, () => ({ queue: 'shell', reason: 'unauthorized' })));
    expect(logs[0]).toMatch(/^rxdag worker .+: refused job "evil\|unsigned\|1" on queue "shell": it is not signed$/);
    for (const line of logs) expect(line).not.toMatch(/touch|command|legit/);
  });

  it('should refuse a job whose signature expired before a worker took it, and fail the run', async () => {
    const agent = remote({ signatureTtlMs: 1 });
    const run = runShell(agent, 'late', touch('late'));
    await sleep(50);
    worker();
    const events = await run;
    expect(ending(events).outcome).toBe('failed');
    const failed = byTask(events, 'task.failed').get('sh')!;
    expect([failed.error.name, failed.severity, failed.willRetry]).toEqual(['UnauthorizedJobError', 'critical', false]);
    expect(failed.error.message).toMatch(/refused job .* it expired \d+ ms ago/);
    expect(existsSync(marker('late'))).toBe(false);
  });

  it('should fail the run of a scheduler with the wrong key, or none, and run nothing', async () => {
    worker();
    for (const [name, key] of [
      ['wrong-key', OTHER_KEY],
      ['no-key', undefined],
    ] as const) {
      const started = Date.now();
      const events = await runShell(remote({ key }), name, touch(name));
      expect(Date.now() - started).toBeLessThan(5000);
      expect(ending(events).outcome).toBe('failed');
      const failed = byTask(events, 'task.failed').get('sh')!;
      expect([failed.error.name, failed.severity]).toEqual(['UnauthorizedJobError', 'critical']);
      expect(existsSync(marker(name))).toBe(false);
    }
    expect(logs.map((line) => line.replace(/.*: /, ''))).toEqual([
      'its signature does not match (signed with another key, or altered after signing)',
      'it is not signed',
    ]);
  });

  it('should have a worker without a key refuse a signed job, run nothing, and its scheduler not believe the unsigned result', async () => {
    worker({ key: undefined });
    const events = await runShell(remote(), 'unsigned-result', touch('ran'));
    const failed = byTask(events, 'task.failed').get('sh')!;
    expect(failed.error).toEqual({
      name: 'UnauthorizedJobError',
      message: expect.stringMatching(
        /its result is not signed \(the worker that took it has no key, or the result was forged\); schedulers and workers must share one key\. The result names worker "[^"]+:\d+" \(unverified\)\. It says the worker refused the job: nothing ran\.$/,
      ),
    });
    expect(ending(events).outcome).toBe('failed');
    expect(existsSync(marker('ran'))).toBe(false);
    expect(logs.map((line) => line.replace(/.*: /, ''))).toEqual([
      "it is signed, and this worker has no key to check it (give workers the schedulers' key)",
    ]);
  });

  it('should run signed jobs end to end', async () => {
    worker();
    const events = await runShell(remote(), 'signed', touch('signed'));
    expect(ending(events).outcome).toBe('succeeded');
    expect(existsSync(marker('signed'))).toBe(true);
  });
});
