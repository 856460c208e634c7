import { execFile } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { describeRedis, freePort, type PasswordRedis, startPasswordRedis, startRedisServer } from '../../support/redis';
import { type CliResult, printedRunId, ROOT, runCli, SPEC_STORE, startCli } from '../support/builtCli';
import { readEventLog } from '../support/files';
import { type InProcessResult, rxdagInProcess } from '../support/inProcessCli';
import { useProcessEnv } from '../support/liveInProcessCli';
import { exited, remoteCliSuite, waitFor } from './workerProcesses';

/**
 * What `rxdag run --redis` and `rxdag worker` refuse, and how: a scheduler with the wrong key
 * (nothing runs, the run fails with UnauthorizedJobError), a worker whose `--agents` leaves out
 * a job's agent (it takes no such job: another worker does), a Redis off this machine without a
 * key, an unreachable Redis, bad options, and passwords that never appear in any output.
 * Workers run as built CLI processes; refusals that start no worker run in this process, a few
 * rows as the built CLI (its exit code and stderr as a process).
 */
jest.setTimeout(60_000);

/** Without a key in the environment unless a test gives one. */
const NO_KEY = { RXDAG_WORKER_KEY: '' };

/** `rxdag ...args` in this process, as {@link runCli} reports it (the commands here start nothing that ends with a signal). */
async function inProcess(...args: string[]): Promise<InProcessResult & { signal: null }> {
  return { ...(await rxdagInProcess(...args)), signal: null };
}

describeRedis('rxdag run --redis and rxdag worker refusing what they should', (env) => {
  let prefix = '';
  const { tmp, fleet } = remoteCliSuite(env, (fresh) => (prefix = fresh));
  // what the commands run in this process read: no key (NO_KEY), and the spec's store
  useProcessEnv(() => ({ ...NO_KEY, RXDAG_STORE: SPEC_STORE }));

  // a TLS handshake with a Redis that does not speak TLS only ends at the probe's timeout (5 s),
  // and a Redis that refuses connections is tried again until then (it may be restarting): those
  // refusals are started first and wait while the other tests run (their tests are the last)
  let plain: Awaited<ReturnType<typeof startRedisServer>> | undefined;
  let redissToPlain: Promise<InProcessResult> | undefined;
  let unreachable: { port: number; file: string; refusals: Promise<CliResult[]> } | undefined;
  beforeAll(async () => {
    plain = await startRedisServer();
    redissToPlain = rxdagInProcess('worker', '--redis', `rediss://127.0.0.1:${plain.port}`);
    const port = await freePort();
    const { file } = markerDag('unreachable');
    const refusals = Promise.all([
      inProcess('run', file, '--redis', `redis://127.0.0.1:${port}`),
      runCli(['worker', '--redis', `redis://127.0.0.1:${port}`], NO_KEY),
    ]);
    unreachable = { port, file, refusals };
  });
  afterAll(async () => {
    await redissToPlain;
    await unreachable?.refusals;
    await plain?.stop();
  });

  /** A DAG whose shell task `touch`es a marker file, and a sleep task that runs after it whatever happened. */
  function markerDag(name: string): { file: string; marker: string } {
    const marker = tmp.file(`${name}.marker`);
    const file = tmp.file(`${name}.json`);
    writeFileSync(
      file,
      JSON.stringify({
        id: name,
        tasks: [
          { id: 'touch', run: `touch '${marker}'` },
          { id: 'after', deps: ['touch'], when: 'all-done', sleep: 50 },
        ],
      }),
    );
    return { file, marker };
  }

  it('should refuse a Redis off this machine without a key or --insecure, saying why, and run nothing', async () => {
    const { file, marker } = markerDag('off-machine');
    const [run, worker] = await Promise.all([
      inProcess('run', file, '--redis', 'redis://10.0.0.5:6379'),
      inProcess('worker', '--redis', 'redis://10.0.0.5:6379'),
    ]);
    for (const result of [run, worker]) {
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(
        /^rxdag: refusing Redis at redis:\/\/10\.0\.0\.5:6379\/0 without a key: it is not on this machine, and whoever can write to it could make every worker run commands\. .*--key-file PATH or RXDAG_WORKER_KEY.* or pass --insecure if this Redis is trusted\n$/,
      );
    }
    expect(printedRunId(run.stderr)).toBeUndefined();
    expect(existsSync(marker)).toBe(false);
  });

  it('should refuse a --metrics-port in use with the words rxdag run uses, and exit 2', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as AddressInfo;
    try {
      const result = await inProcess('worker', '--redis', env.url, '--redis-prefix', prefix, '--metrics-port', String(port));
      expect([result.code, result.stdout, result.stderr]).toEqual([
        2,
        '',
        `rxdag: --metrics-port ${port}: the port is in use on 127.0.0.1 (choose another, or 0 for a free one)\n`,
      ]);
    } finally {
      await new Promise<void>((resolve) => taken.close(() => resolve()));
    }
  });

  it('should refuse a Redis database the server does not have, with one line and exit 2, before anything runs', async () => {
    const url = new URL(env.url);
    url.pathname = '/999999';
    const { file, marker } = markerDag('no-such-db');
    const results = await Promise.all([inProcess('run', file, '--redis', url.href), inProcess('worker', '--redis', url.href)]);
    for (const result of results) {
      expect([result.code, result.stdout]).toEqual([2, '']);
      // reached: the database is what it lacks
      expect(result.stderr).toMatch(/^rxdag: Redis at redis:\/\/\S+\/999999: ERR DB index is out of range\n$/);
    }
    expect(existsSync(marker)).toBe(false);
  });

  it('should refuse a server that does not speak Redis, saying so in one line', async () => {
    const server = createServer((socket) => socket.end('HTTP/1.1 400 Bad Request\r\n\r\n'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const result = await inProcess('worker', '--redis', `redis://127.0.0.1:${port}`);
      expect([result.code, result.stdout, result.stderr]).toEqual([
        2,
        '',
        `rxdag: cannot reach Redis at redis://127.0.0.1:${port}/0: the server does not answer in Redis's protocol (is it a Redis server?)\n`,
      ]);
    } finally {
      server.close();
    }
  });

  it('should refuse, in one line and before anything runs, a user whose ACL keeps it from the keys of the queues it would use', async () => {
    // team may use the keys of its prefix's shell queue only
    const acl = await startRedisServer([
      '--user',
      'team',
      'on',
      '>pw',
      '~team-a:shell:*',
      '+@all',
      '--user',
      'slim',
      'on',
      '>pw',
      '~team-a:*',
      '+@all',
      '-exists',
      // may only read its keys; may not run scripts; may not ask INFO (a hardened ACL's `-@dangerous`)
      '--user',
      'reader',
      'on',
      '>pw',
      '%R~team-a:*',
      '+@all',
      '--user',
      'scriptless',
      'on',
      '>pw',
      '~team-a:*',
      '+@all',
      '-@scripting',
      '--user',
      'hardened',
      'on',
      '>pw',
      '~team-a:*',
      '+@all',
      '-@dangerous',
    ]);
    try {
      const { file, marker } = markerDag('acl');
      const url = (user: string) => `redis://${user}:pw@127.0.0.1:${acl.port}`;
      const location = (user: string) => `redis://${user}:\\*\\*\\*@127\\.0\\.0\\.1:${acl.port}/0`;
      const results = await Promise.all([
        inProcess('run', file, '--no-journal', '--redis', url('team'), '--redis-prefix', 'team-b'),
        inProcess('worker', '--redis', url('team'), '--redis-prefix', 'team-a'),
      ]);
      const [otherPrefix, sleepQueue] = results;
      expect(otherPrefix!.stderr).toMatch(
        new RegExp(
          `^rxdag: Redis at ${location('team')}: its user may not use the keys of queue "shell" of prefix "team-b" \\(NOPERM [^\\n]*\\): allow it ~team-b:shell:\\* in its ACL, or give the prefix it may use \\(--redis-prefix\\)\\n$`,
        ),
      );
      // a worker serves the sleep queue too by default
      expect(sleepQueue!.stderr).toMatch(
        /its user may not use the keys of queue "sleep" of prefix "team-a" \(NOPERM [^\n]*\): allow it ~team-a:sleep:\* in its ACL/,
      );
      const denied = await inProcess('worker', '--redis', url('slim'), '--redis-prefix', 'team-a');
      expect(denied.stderr).toMatch(
        new RegExp(
          `^rxdag: Redis at ${location('slim')}: its user may not run a command rxdag needs \\(NOPERM [^\\n]*'exists'[^\\n]*\\): allow it in its ACL\\n$`,
        ),
      );
      const [reader, scriptless, hardened] = await Promise.all(
        ['reader', 'scriptless', 'hardened'].map((user) => inProcess('worker', '--redis', url(user), '--redis-prefix', 'team-a')),
      );
      expect(reader!.stderr).toMatch(
        /^rxdag: Redis at [^\n]*: its user may not use the keys of queue "shell" of prefix "team-a" \(NOPERM [^\n]*\): allow it ~team-a:shell:\* in its ACL/,
      );
      expect(scriptless!.stderr).toMatch(
        /^rxdag: Redis at [^\n]*: its user may not run a command rxdag needs \(NOPERM [^\n]*'eval'[^\n]*\): allow it in its ACL\n$/,
      );
      // the built command too: one line, no warning of the Redis client's before it
      const hardenedCli = await runCli(['worker', '--redis', url('hardened'), '--redis-prefix', 'team-a']);
      expect(hardenedCli.stderr).toBe(hardened!.stderr);
      expect(hardened!.stderr).toMatch(
        /^rxdag: Redis at [^\n]*: its user may not run a command rxdag needs \(NOPERM [^\n]*'info'[^\n]*\): allow it in its ACL\n$/,
      );
      for (const result of [...results, denied, reader!, scriptless!, hardened!]) expect([result.code, result.stdout]).toEqual([2, '']);
      expect(existsSync(marker)).toBe(false);
    } finally {
      await acl.stop();
    }
  });

  it('should run, saying once that cancels reach the workers late, for a user whose ACL has no cancel channel', async () => {
    const acl = await startRedisServer(['--user', 'team', 'on', '>pw', '~*', '+@all', 'resetchannels']);
    try {
      const file = tmp.file('no-channel.json');
      // no worker: the attempt waits in Redis until its time runs out, which ends the run
      writeFileSync(file, JSON.stringify({ id: 'no-channel', tasks: [{ id: 'wait', sleep: 1, timeoutMs: 300 }] }));
      const result = await inProcess('run', file, '--no-journal', '--redis', `redis://team:pw@127.0.0.1:${acl.port}`);
      expect(result.code).toBe(1);
      const notes = result.stderr.split('\n').filter((line) => line.startsWith('rxdag: note: Redis at'));
      expect(notes).toEqual([
        expect.stringMatching(
          /: its user may not publish on rxdag:rxdag-cancel \(NOPERM [^\n]*\): cancels and timeouts reach the workers by their poll, within a third of their lease, not at once; allow it &rxdag:rxdag-cancel in its ACL$/,
        ),
      ]);
      expect(result.stderr).not.toContain('pw@');
    } finally {
      await acl.stop();
    }
  });

  it('should refuse a read-only replica in one line, naming what to give instead', async () => {
    const primary = await startRedisServer();
    const replica = await startRedisServer(['--replicaof', '127.0.0.1', String(primary.port)]);
    try {
      const result = await inProcess('worker', '--redis', replica.url);
      expect([result.code, result.stdout]).toEqual([2, '']);
      expect(result.stderr).toMatch(
        /^rxdag: Redis at redis:\/\/127\.0\.0\.1:\d+\/0 is a read-only replica \(READONLY [^\n]*\): give the URL of its primary\n$/,
      );
    } finally {
      await replica.stop();
      await primary.stop();
    }
  });

  it('should take a user whose ACL gives it the keys of the queues it uses and no more', async () => {
    const acl = await startRedisServer(['--user', 'team', 'on', '>pw', '~team-a:shell:*', '+@all', '&*']);
    try {
      const worker = await fleet.start(`redis://team:pw@127.0.0.1:${acl.port}`, 'team-a', ['--agents', 'shell']);
      // shell tasks only: the run uses the shell queue alone
      const marker = tmp.file('acl-shell.marker');
      const file = tmp.file('acl-shell.json');
      writeFileSync(file, JSON.stringify({ id: 'acl-shell', tasks: [{ id: 'touch', run: `touch '${marker}'` }] }));
      const run = await inProcess(
        'run',
        file,
        '--no-journal',
        '--redis',
        `redis://team:pw@127.0.0.1:${acl.port}`,
        '--redis-prefix',
        'team-a',
      );
      expect(run.stderr).not.toMatch(/NOPERM/);
      expect(worker.stderrSoFar()).not.toMatch(/NOPERM/);
      expect(existsSync(marker)).toBe(true);
    } finally {
      await acl.stop();
    }
  });

  describe('with a password', () => {
    const PASSWORD = 's3cret p@ss/with:odd&chars';
    let server: PasswordRedis;
    beforeAll(async () => {
      server = await startPasswordRedis(PASSWORD);
    });
    afterAll(() => server.stop());
    const url = (password: string) => `redis://:${encodeURIComponent(password)}@127.0.0.1:${server.port}`;
    const leaks = (text: string) =>
      [PASSWORD, encodeURIComponent(PASSWORD), 'wrong-p@ss', encodeURIComponent('wrong-p@ss')].filter((secret) => text.includes(secret));

    it('should run across a worker on a Redis with a password and never print the password', async () => {
      const worker = await fleet.start(url(PASSWORD), prefix);
      const { file, marker } = markerDag('password');
      const log = tmp.file('password.jsonl');
      const run = await runCli(['run', file, '--redis', url(PASSWORD), '--redis-prefix', prefix, '--events', log], NO_KEY);
      expect(run.code).toBe(0);
      expect(existsSync(marker)).toBe(true);
      const show = await rxdagInProcess('show', printedRunId(run.stderr)!, '--json');
      expect(show.code).toBe(0);
      expect(run.stderr).toContain(`through Redis at redis://:***@127.0.0.1:${server.port}/0 `);
      expect(worker.stderrSoFar()).toContain(`of Redis at redis://:***@127.0.0.1:${server.port}/0, `);
      expect(leaks([run.stdout, run.stderr, show.stdout, JSON.stringify(readEventLog(log)), worker.stderrSoFar()].join('\n'))).toEqual([]);
    });

    it('should refuse a wrong password with one line that does not show it', async () => {
      const { file } = markerDag('wrong-password');
      const results = await Promise.all([
        runCli(['run', file, '--redis', url('wrong-p@ss')], NO_KEY),
        inProcess('worker', '--redis', url('wrong-p@ss')),
      ]);
      for (const result of results) {
        expect([result.code, result.signal, result.stdout]).toEqual([2, null, '']);
        expect(result.stderr).toMatch(
          new RegExp(
            `^rxdag: Redis at redis://:\\*\\*\\*@127\\.0\\.0\\.1:${server.port}/0: this Redis refused the user name or password of the URL \\(WRONGPASS[^\\n]*\\)\\n$`,
          ),
        );
        expect(leaks(result.stderr)).toEqual([]);
      }
    });

    it('should say this Redis needs a password when the URL has none', async () => {
      const { file } = markerDag('no-password');
      const results = await Promise.all([
        inProcess('run', file, '--redis', `redis://127.0.0.1:${server.port}`),
        inProcess('worker', '--redis', `redis://127.0.0.1:${server.port}`),
      ]);
      for (const result of results) {
        expect([result.code, result.stdout, result.stderr]).toEqual([
          2,
          '',
          `rxdag: Redis at redis://127.0.0.1:${server.port}/0: this Redis needs a password (NOAUTH): give it in the URL, redis://:PASSWORD@HOST:PORT (or in RXDAG_REDIS_PASSWORD, which ps does not show)\n`,
        ]);
      }
    });
  });

  it('should not load BullMQ or a Redis client for a run without --redis', async () => {
    const { file } = markerDag('local');
    const script = `
      const { cli } = require(${JSON.stringify(path.join(ROOT, 'dist', 'cli', 'program.js'))});
      const sink = { write: () => true };
      cli(['run', ${JSON.stringify(file)}, '--no-journal', '--quiet'], { stdout: sink, stderr: sink }, '0').then((code) => {
        const loaded = Object.keys(require.cache).filter((name) => /node_modules[\\\\/](bullmq|ioredis)[\\\\/]/.test(name));
        process.stdout.write(JSON.stringify({ code, loaded }));
      });`;
    const { stdout } = await promisify(execFile)(process.execPath, ['-e', script], { cwd: ROOT, timeout: 30_000 });
    expect(JSON.parse(stdout)).toEqual({ code: 0, loaded: [] });
  });

  // runs of real workers, after the refusals
  it('should run nothing for a scheduler with the wrong key: the run fails with UnauthorizedJobError and the worker goes on', async () => {
    const workerKey = tmp.file('worker.key');
    writeFileSync(workerKey, `${'a'.repeat(64)}\n`, { mode: 0o600 });
    const worker = await fleet.start(env.url, prefix, ['--key-file', workerKey]);
    expect(worker.stderrSoFar()).toContain(`signed jobs only (key of --key-file ${workerKey}; signatures v2)`);
    const { file, marker } = markerDag('wrong-key');
    const log = tmp.file('wrong-key.jsonl');
    const result = await runCli(['run', file, '--redis', env.url, '--redis-prefix', prefix, '--events', log], {
      RXDAG_WORKER_KEY: 'b'.repeat(64),
    });

    expect(result.code).toBe(1);
    expect(existsSync(marker)).toBe(false);
    const failed = readEventLog(log).find((event) => event.type === 'task.failed');
    expect(failed).toMatchObject({ taskId: 'touch', severity: 'critical', willRetry: false, error: { name: 'UnauthorizedJobError' } });
    expect(result.stdout).toMatch(
      /touch \(attempt 1\): UnauthorizedJobError: .*not signed with this scheduler's key.*schedulers and workers must share one key\. The result names worker "[^"]+:\d+" \(unverified\)\. It says the worker refused the job: nothing ran\.\n/,
    );
    expect(worker.stderrSoFar()).toMatch(
      /^rxdag worker \S+: refused job "wrong-key-[^"|]+\|touch\|1" on queue "shell": its signature does not match/m,
    );
    expect(exited(worker)).toBe(false);
  });

  it('should leave shell jobs to the fleet when a worker runs --agents sleep: it takes none, and a run says no worker takes them yet', async () => {
    const sleeper = await fleet.start(env.url, prefix, ['--agents', 'sleep']);
    expect(sleeper.stderrSoFar()).toMatch(/serving queues sleep \(--agents sleep\) of Redis/);
    const { file, marker } = markerDag('sleep-only');
    const log = tmp.file('sleep-only.jsonl');
    const run = fleet.track(startCli(['run', file, '--redis', env.url, '--redis-prefix', prefix, '--events', log, '--no-journal'], NO_KEY));
    const hint =
      `rxdag: no worker takes jobs of queue shell yet (the workers connected run other agents): ` +
      `shell tasks wait in Redis until one does (rxdag worker --redis URL --redis-prefix ${prefix} --agents shell)`;
    await waitFor(() => run.stderrSoFar().includes(hint), 'the hint', 30_000);
    expect(existsSync(marker)).toBe(false);

    const full = await fleet.start(env.url, prefix);
    expect(await run.done).toMatchObject({ code: 0 });
    const completed = readEventLog(log).filter((event) => event.type === 'task.completed');
    expect(completed.map((event) => [event.taskId, event.worker])).toEqual([
      ['touch', full.id],
      ['after', expect.stringMatching(/\S/)],
    ]);
    expect(existsSync(marker)).toBe(true);
    expect(exited(sleeper)).toBe(false);
  });

  it('should not say that a queue its tasks do not use has no worker', async () => {
    const shells = await fleet.start(env.url, prefix, ['--agents', 'shell', '--kill-grace', '4000']);
    // the start line says the grace it gives a stopped task
    expect(shells.stderrSoFar()).toMatch(/; concurrency 8, lease 30000 ms, kill grace 4000 ms; job format 1$/m);
    const marker = tmp.file('shell-only.marker');
    const file = tmp.file('shell-only.json');
    writeFileSync(file, JSON.stringify({ id: 'shell-only', tasks: [{ id: 'touch', run: `touch '${marker}'` }] }));
    const run = fleet.track(startCli(['run', file, '--redis', env.url, '--redis-prefix', prefix, '--no-journal'], NO_KEY));
    const result = await run.done;
    expect(result.code).toBe(0);
    expect(existsSync(marker)).toBe(true);
    expect(result.stderr).not.toMatch(/no worker/);
    expect(exited(shells)).toBe(false);
  });

  // last: the refusals of beforeAll that wait for the probe's 5 s end while the tests above run
  it('should refuse an unreachable Redis, a wrong URL and bad worker options with one line each, exit 2 and no stack trace', async () => {
    const { port, file, refusals } = unreachable!;
    const results = await Promise.all([
      ...(await refusals),
      inProcess('worker', '--redis', 'http://127.0.0.1:6379'),
      inProcess('worker', '--redis', env.url, '--agents', 'shell,gpu', '--key-file', tmp.file('missing.key'), '--lease-ms', '10'),
      inProcess('run', file, '--key-file', tmp.file('missing.key'), '--insecure'),
      inProcess('run', file, '--insecure'),
    ]);
    expect(results.map((result) => [result.code, result.signal, result.stdout, result.stderr])).toEqual([
      [2, null, '', `rxdag: cannot reach Redis at redis://127.0.0.1:${port}/0: connect ECONNREFUSED 127.0.0.1:${port}\n`],
      [2, null, '', `rxdag: cannot reach Redis at redis://127.0.0.1:${port}/0: connect ECONNREFUSED 127.0.0.1:${port}\n`],
      [
        2,
        null,
        '',
        'rxdag: --redis: the URL must be a redis:// or rediss:// URL, got http://… (e.g. redis://127.0.0.1:6379 or rediss://:PASSWORD@HOST:6380)\n',
      ],
      [
        2,
        null,
        '',
        'rxdag: --lease-ms must be a whole number of milliseconds from 1000 (a shorter lease is lost while the worker\'s event loop pauses, as when it spawns a task) (got "10")\n' +
          'rxdag: --agents: unknown agent "gpu" (a worker runs: shell, sleep)\n' +
          `rxdag: --key-file ${tmp.file('missing.key')}: cannot read the key: ENOENT (no such file or directory)\n`,
      ],
      [2, null, '', 'rxdag: --key-file, --insecure only apply with --redis (attempts sent to rxdag worker processes)\n'],
      [2, null, '', 'rxdag: --insecure only applies with --redis (attempts sent to rxdag worker processes)\n'],
    ]);
  });

  it('should say a rediss:// URL to a Redis that does not speak TLS may need redis://', async () => {
    const result = await redissToPlain!;
    expect([result.code, result.stdout, result.stderr]).toEqual([
      2,
      '',
      `rxdag: cannot reach Redis at rediss://127.0.0.1:${plain!.port}/0: connect ETIMEDOUT (no TLS handshake in time: if the server does not speak TLS, use redis://)\n`,
    ]);
  });
});
